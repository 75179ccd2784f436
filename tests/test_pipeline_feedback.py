"""Feedback HTML per student shows scores and visible tests, never the hidden tests."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest
from conftest import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from test_submissions import edit_cell, reference_notebook

from coursekit.authoring import cohort
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.grading.autograde import autograde_assignment
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.types import FeedbackReport

# Passes the visible test add(1, 2) == 3 and fails the hidden one: its traceback would quote it.
HIDDEN_ONLY_WRONG_ADD = "def add(a, b):\n    return a + b if a < 10 else 0"


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


@pytest.fixture
def feedback_report(released_tiny_course: Course) -> FeedbackReport:
    course = released_tiny_course
    ref = reference_notebook(course)
    students = {
        "reference": ref,
        "hidden_fail": edit_cell(ref, "add_answer", HIDDEN_ONLY_WRONG_ADD),
    }
    for student_id, nb in students.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    cohort.write_submission(course, TINY_ASSIGNMENT, "broken", {TINY_NOTEBOOK: b"{"})
    autograde_assignment(course, TINY_ASSIGNMENT)
    return generate_feedback(course, TINY_ASSIGNMENT)


def test_feedback_written_for_each_autograded_student(
    released_tiny_course, feedback_report
) -> None:
    course = released_tiny_course
    assert feedback_report.ok
    assert {o.student_id: o.files for o in feedback_report.outcomes} == {
        sid: (str(course.feedback_dir(TINY_ASSIGNMENT, sid) / f"{TINY_NOTEBOOK}.html"),)
        for sid in ("hidden_fail", "reference")
    }


def test_feedback_hides_hidden_tests_even_when_they_fail(
    released_tiny_course, feedback_report
) -> None:
    secrets = hidden_test_lines(released_tiny_course)
    assert secrets, "the tiny notebook must have hidden tests for this test to mean anything"
    for outcome in feedback_report.outcomes:
        text = visible_text(Path(outcome.files[0]))
        assert "add(1, 2)" in text, "visible tests stay in the feedback"
        assert "HIDDEN TESTS" not in text
        for line in secrets:
            assert line not in text, f"{outcome.student_id}: {line!r} shown"


def test_failed_hidden_test_still_shows_its_message(feedback_report) -> None:
    hidden_fail = next(o for o in feedback_report.outcomes if o.student_id == "hidden_fail")
    text = visible_text(Path(hidden_fail.files[0]))
    assert "AssertionError: hidden add check" in text
    assert "traceback hidden" in text


def test_show_hidden_tests_shows_them_for_that_run_only(released_tiny_course, feedback_report):
    course = released_tiny_course
    secrets = hidden_test_lines(course)
    shown = generate_feedback(course, TINY_ASSIGNMENT, ["hidden_fail"], show_hidden_tests=True)
    text = visible_text(Path(shown.outcomes[0].files[0]))
    for line in secrets:
        assert line in text, f"{line!r} not shown although the instructor asked for it"
    assert "traceback hidden" not in text

    again = generate_feedback(course, TINY_ASSIGNMENT, ["hidden_fail"])
    text = visible_text(Path(again.outcomes[0].files[0]))
    assert not [line for line in secrets if line in text], "the default run must hide them again"


def test_feedback_before_autograde_says_to_autograde_first(released_tiny_course) -> None:
    with pytest.raises(CourseError, match=r"course autograde ps1"):
        generate_feedback(released_tiny_course, TINY_ASSIGNMENT)
