"""A test the verdict checks cannot trust, that would have earned points, needs review: it counts
0 until a TA decides, the formgrader lists it (needs_manual_grade), the status line, the report
and the export say so with the points at stake, and a TA's grade in formgrader settles it."""

from __future__ import annotations

import csv
from pathlib import Path

from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, autograded_test_points, read_notebook
from helpers.notebooks import edit_cell, reference_notebook
from nbgrader.api import Gradebook

from coursekit.authoring import cohort
from coursekit.cli.render import render_autograde
from coursekit.core.course import Course
from coursekit.grading.autograde import autograde_assignment
from coursekit.reporting.export import UNDER_REVIEW, export_grades, export_lms
from coursekit.reporting.report import build_report
from coursekit.reporting.types import FlagKind

ALWAYS_EQUAL_ADD = (
    "class Anything:\n"
    "    def __eq__(self, other):\n"
    "        return True\n\n\n"
    "def add(a, b):\n"
    "    return Anything()\n"
)
WRONG_ADD = "def add(a, b):\n    return a - b\n"


def cell_grades(course: Course, student_id: str) -> dict[str, tuple[float, bool]]:
    """grade_id -> (score, needs_manual_grade) of each autograder test, from the gradebook."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        notebook = gradebook.find_submission_notebook(TINY_NOTEBOOK, TINY_ASSIGNMENT, student_id)
        return {
            grade.name: (float(grade.score), bool(grade.needs_manual_grade))
            for grade in notebook.grades
            if grade.cell_type == "code"
        }


def grade_as_a_ta(course: Course, student_id: str, scores: dict[str, float]) -> None:
    """What formgrader's grade form stores (its API handler's rule for needs_manual_grade)."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        for grade_id, score in scores.items():
            grade = gradebook.find_grade(grade_id, TINY_NOTEBOOK, TINY_ASSIGNMENT, student_id)
            grade.manual_score = score
            grade.needs_manual_grade = False
        gradebook.db.commit()


def moodle_totals(course: Course, path: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    export = export_lms(course, TINY_ASSIGNMENT, "moodle", path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return {row[0]: row[2] for row in rows}, export.warnings


def test_a_rigged_test_waits_for_a_ta_who_settles_it_in_formgrader(
    kernels: None, released_tiny_course: Course, tmp_path: Path
) -> None:
    course = released_tiny_course
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    points = autograded_test_points(source)
    reference = reference_notebook(course)
    students = {
        "honest": edit_cell(reference, "add_answer", WRONG_ADD),
        "rigged": edit_cell(reference, "add_answer", ALWAYS_EQUAL_ADD),
    }
    for student_id, nb in students.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    report = autograde_assignment(course, TINY_ASSIGNMENT)

    honest, rigged = report.outcomes
    assert honest.under_review == ()  # a failed test is failed, not in doubt
    assert cell_grades(course, "honest")["add_is_sum"] == (0.0, False)
    held = {s.grade_id: s.review_points for s in rigged.under_review}
    assert held == {"add_is_sum": points["add_is_sum"]}  # square never touched the class
    assert rigged.held_points == points["add_is_sum"]
    gradebook = cell_grades(course, "rigged")
    assert gradebook["add_is_sum"] == (0.0, True)
    assert gradebook["square_is_power"] == (points["square_is_power"], False)
    table = render_autograde(report)
    assert f"1 test needs review ({points['add_is_sum']:g} points held until a TA decides)" in (
        table
    )
    assert f"needs review, would earn {points['add_is_sum']:g} of" in table

    flags = [f for f in build_report(course, TINY_ASSIGNMENT).flags if f.kind is FlagKind.REVIEW]
    assert [f.student_id for f in flags] == ["rigged"]
    assert f"would earn {points['add_is_sum']:g} of {points['add_is_sum']:g} points" in (
        flags[0].detail
    )

    rows = {r.student_id: r for r in export_grades(course, TINY_ASSIGNMENT, tmp_path / "g.csv")}
    assert rows["rigged"].status == UNDER_REVIEW and rows["honest"].status != UNDER_REVIEW
    totals, warnings = moodle_totals(course, tmp_path / "moodle.csv")
    assert totals["rigged"] == "" and totals["honest"] != ""  # held back: the LMS keeps its own
    assert any(w.startswith("totals held back for rigged:") for w in warnings)

    # The TA looks and decides: the object was rigged, add earns nothing.
    decided = {"add_is_sum": 0.0}
    grade_as_a_ta(course, "rigged", decided)
    totals, warnings = moodle_totals(course, tmp_path / "moodle.csv")
    assert totals["rigged"] != ""
    assert not any("held back" in w for w in warnings)
    rows = {r.student_id: r for r in export_grades(course, TINY_ASSIGNMENT, tmp_path / "g.csv")}
    assert rows["rigged"].status != UNDER_REVIEW

    # Grading again changes nothing the TA decided: the same answer, the same tests.
    autograde_assignment(course, TINY_ASSIGNMENT, ["rigged"])
    gradebook = cell_grades(course, "rigged")
    assert {gid: gradebook[gid] for gid in held} == {gid: (decided[gid], False) for gid in held}
