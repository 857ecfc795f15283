"""The table every report medium renders: a title, column names and rows of text cells
(:func:`kvpipe.report.markup.render_table` writes it as HTML; the CLI prints it with rich)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
