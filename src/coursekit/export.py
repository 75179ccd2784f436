"""Export grades: one row per student and notebook, computed apart from the CSV rendering."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable
from pathlib import Path

from coursekit import nbgrader_ops
from coursekit.course import Course
from coursekit.results import GradeRow

# Statuses read from the gradebook and the course folders (no memory of earlier runs needed).
GRADED = "graded"
NEEDS_MANUAL_GRADE = "needs manual grade"
NOT_GRADED = "not graded"  # submitted, but never autograded (rejected, or not run yet)
FAILED = "autograde failed"  # in the gradebook without an autograded notebook
COLUMNS = [field.name for field in dataclasses.fields(GradeRow)]


def collect_grade_rows(course: Course, assignment_ids: Iterable[str]) -> tuple[GradeRow, ...]:
    """The grade rows of these assignments, sorted by assignment, student, notebook."""
    rows: list[GradeRow] = []
    for assignment_id in sorted(assignment_ids):
        notebook_ids = course.notebook_ids(assignment_id)
        for student_id in course.submitted_student_ids(assignment_id):
            rows.extend(student_rows(course, assignment_id, student_id, notebook_ids))
    return tuple(rows)


def student_rows(
    course: Course, assignment_id: str, student_id: str, notebook_ids: list[str]
) -> list[GradeRow]:
    """One row per notebook of one student's submission."""
    scores = {s.notebook_id: s for s in nbgrader_ops.read_scores(course, assignment_id, student_id)}
    autograded = course.autograded_dir(assignment_id, student_id)
    rows = []
    for notebook_id in notebook_ids:
        score = scores.get(notebook_id)
        if score is None:
            rows.append(
                GradeRow(assignment_id, student_id, notebook_id, *[None] * 5, status=NOT_GRADED)
            )
            continue
        if not (autograded / f"{notebook_id}.ipynb").is_file():
            status = FAILED
        else:
            status = NEEDS_MANUAL_GRADE if score.needs_manual_grade else GRADED
        rows.append(
            GradeRow(
                assignment_id,
                student_id,
                notebook_id,
                score.score,
                score.max_score,
                score.auto_score,
                score.manual_score,
                score.needs_manual_grade,
                status,
            )
        )
    return rows


def write_grades_csv(rows: Iterable[GradeRow], path: Path) -> Path:
    """Write grade rows as CSV (empty cells for missing scores); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(["" if value is None else value for value in dataclasses.astuple(row)])
    return path


def export_grades(course: Course, assignment_id: str | None, path: Path) -> tuple[GradeRow, ...]:
    """Export one assignment's grades (all assignments when None) to a CSV at path."""
    assignment_ids = [assignment_id] if assignment_id else course.assignment_ids()
    rows = collect_grade_rows(course, assignment_ids)
    write_grades_csv(rows, path)
    return rows
