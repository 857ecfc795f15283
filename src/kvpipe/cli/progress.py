"""Progress bars on stderr for the long commands (explore, simulate, study).

The core packages never print: they take a plain callback, and the CLI passes the one this
module yields. A bar is shown only when stderr is a terminal and ``--quiet`` is not given.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Update(Protocol):
    """Report progress: ``done`` so far; optionally a new description and a (new) total."""

    def __call__(self, done: float, description: str | None = None, total: float | None = None) -> None: ...


def _ignore(done: float, description: str | None = None, total: float | None = None) -> None:
    return None


def progress_enabled(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: float | None, *, quiet: bool = False,
                 show_count: bool = False) -> Iterator[Update]:
    """A rich progress bar on stderr (removed when done); with ``total`` None it only spins.
    Yields the update function (a no-op when the bar is off)."""
    if not progress_enabled(quiet):
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn() if show_count else TaskProgressColumn(),
                                     TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def update(done: float, description: str | None = None, total: float | None = None) -> None:
            bar.update(task, completed=done, description=description, total=total)

        yield update



__all__ = ["Update", "progress_bar", "progress_enabled"]
