"""Small pieces of the report's HTML: escaped text, numbers, tables, inline PNG figures."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path


def esc(value: object) -> str:
    """Text made safe for HTML."""
    return html.escape(str(value))


def number(value: float | None, digits: int = 2) -> str:
    """A number without pointless zeros; '-' when there is none."""
    return "-" if value is None else f"{round(value, digits):g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """An HTML table; cells are HTML already; numeric columns align right."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def embedded_image(path: Path | None, alt: str) -> str:
    """The PNG as an <img> with its bytes inline (base64), so the page needs no other file."""
    if path is None:
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{esc(alt)}" src="data:image/png;base64,{data}"></p>'
