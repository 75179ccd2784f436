"""Grades export as CSV: one row per student and notebook, in a stable order."""

from __future__ import annotations

import csv
from pathlib import Path

from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, autograded_test_points, read_notebook
from helpers.notebooks import edit_cell, reference_notebook

from coursekit.authoring import cohort
from coursekit.core.course import Course
from coursekit.grading.autograde import autograde_assignment
from coursekit.reporting.export import (
    COLUMNS,
    FAILED,
    GRADED,
    NEEDS_MANUAL_GRADE,
    NOT_GRADED,
    export_grades,
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_export_has_one_row_per_student_and_notebook(
    kernels: None, released_tiny_course: Course, tmp_path: Path
) -> None:
    course = released_tiny_course
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    test_points = autograded_test_points(source)
    every_point = sum(
        c.metadata.nbgrader.points
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )
    ref = reference_notebook(course)
    students = {
        "ann": ref,
        "ben": edit_cell(ref, "why_commutative", "Because counting ignores order."),
        "cy": ref,
        "dee": b"not a notebook",
    }
    for student_id, nb in students.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    autograde_assignment(course, TINY_ASSIGNMENT)
    # What nbgrader leaves of a notebook it failed on: the gradebook's entry, no graded file.
    # (A dead kernel no longer makes it fail: coursekit.steps.execution keeps what was earned.)
    (course.autograded_dir(TINY_ASSIGNMENT, "cy") / f"{TINY_NOTEBOOK}.ipynb").unlink()

    rows = export_grades(course, TINY_ASSIGNMENT, tmp_path / "out" / "grades.csv")
    written = read_csv(tmp_path / "out" / "grades.csv")

    assert list(written[0]) == COLUMNS
    assert [(r["student_id"], r["notebook_id"], r["status"]) for r in written] == [
        ("ann", TINY_NOTEBOOK, GRADED),
        ("ben", TINY_NOTEBOOK, NEEDS_MANUAL_GRADE),
        ("cy", TINY_NOTEBOOK, FAILED),
        ("dee", TINY_NOTEBOOK, NOT_GRADED),
    ]
    ann, ben = rows[0], rows[1]
    assert (ann.score, ann.max_score, ann.auto_score) == (
        sum(test_points.values()),
        every_point,
        sum(test_points.values()),
    )
    assert ben.needs_manual_grade and ben.auto_score == sum(test_points.values())
    assert written[3]["score"] == "" and written[3]["assignment_id"] == TINY_ASSIGNMENT
    assert float(written[0]["score"]) == ann.score
