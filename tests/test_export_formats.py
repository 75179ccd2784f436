"""Grade exports per grade cell and in the import formats of Moodle's and Canvas's gradebooks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.report_cohort import GradedCohort
from nbgrader.api import Gradebook

from coursekit.core import cells
from coursekit.core.errors import CourseError
from coursekit.core.formatting import ids_or_count
from coursekit.reporting.export import (
    AUTO,
    CANVAS_POINTS_ROW,
    CANVAS_STUDENT_COLUMNS,
    CELL_COLUMNS,
    MANUAL,
    MOODLE_EMAIL,
    MOODLE_ID,
    export_cell_grades,
    export_lms,
)

pytestmark = pytest.mark.slow  # shares the graded cohort of tests/helpers/report_cohort.py

# Gradebook facts a roster would bring: some students have them, the others must be named.
EMAILS = {"ann": "ann@example.org", "cat": "cat@example.org"}
LMS_IDS = {"ann": "1001", "dee": "1004"}
NAMES = {"ann": ("Ann", "Arbor")}


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def expected_totals(cohort: GradedCohort) -> dict[str, str]:
    """student_id -> the total an LMS gets: the points of the tests kept ('' if never graded)."""
    every_point = sum(cohort.test_points.values())
    totals = {
        sid: f"{every_point - sum(cohort.test_points[g] for g in lost):g}"
        for sid, lost in cohort.lost.items()
    }
    return totals | dict.fromkeys(cohort.never_graded, "")


def every_grade_cell(cohort: GradedCohort) -> dict[str, float]:
    """grade_id -> points of each grade cell (tests and written answers) of the notebook."""
    source = read_notebook(cohort.course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    return {
        cells.grade_id(c): float(cells.nbgrader_meta(c)["points"])
        for c in source.cells
        if cells.is_grade(c)
    }


@pytest.fixture
def rostered(private_cohort: GradedCohort) -> GradedCohort:
    """The cohort with emails, LMS ids and names in the gradebook for some students."""
    with Gradebook(private_cohort.course.db_url, private_cohort.course.layout.course_id) as gb:
        for student_id in {*EMAILS, *LMS_IDS, *NAMES}:
            first, last = NAMES.get(student_id, (None, None))
            gb.update_or_create_student(
                student_id,
                email=EMAILS.get(student_id),
                lms_user_id=LMS_IDS.get(student_id),
                first_name=first,
                last_name=last,
            )
    return private_cohort


def test_cell_export_has_one_row_per_student_notebook_and_grade_cell(
    graded_cohort: GradedCohort, tmp_path: Path
) -> None:
    rows = export_cell_grades(graded_cohort.course, TINY_ASSIGNMENT, tmp_path / "cells.csv")
    written = read_rows(tmp_path / "cells.csv")
    grade_cells = every_grade_cell(graded_cohort)

    assert written[0] == CELL_COLUMNS
    assert len(written) - 1 == len(rows)
    by_key = {(r.student_id, r.grade_id): r for r in rows}
    for student_id, lost in graded_cohort.lost.items():
        for grade_id, points in grade_cells.items():
            row = by_key[(student_id, grade_id)]
            assert row.max_score == points and row.notebook_id == TINY_NOTEBOOK
            if grade_id in graded_cohort.test_points:
                assert row.kind == AUTO
                assert row.score == (0 if grade_id in lost else points), (student_id, grade_id)
                assert row.failed == (grade_id in lost)
            else:
                assert row.kind == MANUAL and row.score == 0  # the release's text, unanswered
    assert not any(r.student_id == "broken" for r in rows)  # never in the gradebook


def test_moodle_csv_maps_by_id_number_or_email_and_names_missing_emails(
    rostered: GradedCohort, tmp_path: Path
) -> None:
    result = export_lms(
        rostered.course, TINY_ASSIGNMENT, "moodle", tmp_path / "moodle.csv", "Lecture 1"
    )
    written = read_rows(tmp_path / "moodle.csv")

    assert written[0] == [MOODLE_ID, MOODLE_EMAIL, "Lecture 1"]
    by_id = {row[0]: row for row in written[1:]}
    assert {sid: row[2] for sid, row in by_id.items()} == expected_totals(rostered)
    assert {sid: row[1] for sid, row in by_id.items() if row[1]} == EMAILS
    no_email = sorted(set(by_id) - set(EMAILS))
    assert any(
        f"no email address in the gradebook for {ids_or_count(no_email)}" in w
        for w in result.warnings
    )
    assert any(", ".join(sorted(rostered.never_graded)) in w for w in result.warnings)
    assert result.students == len(by_id)


def test_canvas_csv_has_its_student_columns_and_points_possible(
    rostered: GradedCohort, tmp_path: Path
) -> None:
    column = "Lecture 1 (4242)"
    result = export_lms(rostered.course, TINY_ASSIGNMENT, "canvas", tmp_path / "canvas.csv", column)
    written = read_rows(tmp_path / "canvas.csv")

    assert written[0] == [*CANVAS_STUDENT_COLUMNS, column]
    assert written[1][0] == CANVAS_POINTS_ROW
    assert float(written[1][-1]) == sum(every_grade_cell(rostered).values())
    by_sis_id = {row[2]: row for row in written[2:]}
    assert {sid: row[-1] for sid, row in by_sis_id.items()} == expected_totals(rostered)
    assert {sid: row[1] for sid, row in by_sis_id.items() if row[1]} == LMS_IDS
    assert by_sis_id["ann"][0] == "Arbor, Ann" and by_sis_id["cat"][0] == "cat"
    no_id = sorted(set(by_sis_id) - set(LMS_IDS))
    assert any(
        f"no lms_user_id in the gradebook for {ids_or_count(no_id)}" in w for w in result.warnings
    )


def test_lms_export_needs_one_known_assignment(graded_cohort: GradedCohort, tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="name the assignment"):
        export_lms(graded_cohort.course, None, "canvas", tmp_path / "c.csv")
    with pytest.raises(CourseError, match="No assignment 'nope'"):
        export_lms(graded_cohort.course, "nope", "moodle", tmp_path / "m.csv")
    with pytest.raises(CourseError, match="moodle, canvas"):
        export_lms(graded_cohort.course, TINY_ASSIGNMENT, "blackboard", tmp_path / "b.csv")
    assert not any(tmp_path.iterdir())
