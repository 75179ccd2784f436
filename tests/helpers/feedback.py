"""Reading feedback as a student does: an HTML page's text, the hidden test lines to look for."""

from __future__ import annotations

import html.parser
from pathlib import Path

from coursekit.core import cells
from coursekit.core.course import Course
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook


class TextOf(html.parser.HTMLParser):
    """The text a reader sees in an HTML page (no markup, styles or scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skipping += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skipping -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(path: Path) -> str:
    parser = TextOf()
    parser.feed(path.read_text(encoding="utf-8"))
    return "".join(parser.parts)


def hidden_test_lines(course: Course) -> list[str]:
    """The code lines inside the source's hidden test regions."""
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    return [
        line.strip()
        for cell in source.cells
        for label, line in cells.label_lines(
            cells.cell_source(cell), cells.BEGIN_HIDDEN_TESTS, cells.END_HIDDEN_TESTS
        )
        if label == "inside" and line.strip()
    ]
