"""Result tables for notebooks: the HTML and Markdown that Jupyter shows for a report object
(``_repr_html_`` / ``_repr_markdown_`` of gradient-check results).

>>> print(markdown_table("check: passed", ["a", "b"], [[1, "x|y"]]))
**check: passed**
<BLANKLINE>
| a | b |
|---|---|
| 1 | x\\|y |
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


def html_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A captioned HTML table; cells are escaped, failing rows (a cell starting with '!')
    are drawn in red."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for row in rows:
        bad = any(str(c).startswith("!") for c in row)
        style = ' style="color:#b00020;font-weight:bold"' if bad else ""
        cells = "".join(f"<td>{html.escape(str(c).lstrip('!'))}</td>" for c in row)
        body.append(f"<tr{style}>{cells}</tr>")
    return (
        f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def markdown_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The same table in Markdown (``|`` in cells escaped)."""

    def cell(c: Any) -> str:
        return str(c).lstrip("!").replace("|", "\\|").replace("\n", " ")

    lines = [f"**{title}**", "", "| " + " | ".join(headers) + " |"]
    lines.append("|" + "---|" * len(headers))
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
