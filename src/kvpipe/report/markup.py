"""The HTML primitives every report section is written with: escaped text, a table, an inline image,
a captioned figure."""

from __future__ import annotations

import base64
import html

from kvpipe.report.table import Table


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _is_numeric(text: str) -> bool:
    t = text.strip()
    return bool(t) and (t[0].isdigit() or t[0] in "-+<≤>≥")


DENSE_COLUMNS = 10  # a table with more columns gets a smaller font and padding, to fit 1400 px


def render_table(table: Table, caption: bool = True, numeric_from: int = 1) -> str:
    """A :class:`Table` as an HTML table (all cells escaped)."""
    dense = ' class="dense"' if len(table.columns) > DENSE_COLUMNS else ""
    out = [f'<div class="wide"><table{dense}>']
    if caption:
        out.append(f"<caption style='text-align:left;font-weight:600;padding:0.3em 0'>{escape(table.title)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in table.columns) + "</tr></thead><tbody>")
    for row in table.rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i >= numeric_from and _is_numeric(cell) and table.columns[i] != "Source" else ""
            cells.append(f"<td{cls}>{escape(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def img(png: bytes, alt: str) -> str:
    """``png`` inlined as a data URI (the report is one self-contained file)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def figure(png: bytes, title: str, key: str) -> str:
    """``png`` inlined, captioned with ``title`` and the file it is written to (``KEY.png``)."""
    return f"<figure>{img(png, title)}<figcaption>{escape(title)} (<code>{escape(key)}.png</code>)</figcaption></figure>"
