"""Export grades as CSV: per student and notebook, per grade cell, and for Moodle's or Canvas's
gradebook import; computed apart from the CSV writing."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable
from pathlib import Path

from coursekit.authoring.summary import summarize_assignment
from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.core.formatting import ids_or_count
from coursekit.core.types import StudentInfo
from coursekit.grading import inflight
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.types import CellGradeRow, GradeRow, LmsExport

# Statuses read from the gradebook and the course folders (no memory of earlier runs needed).
GRADED = "graded"
NEEDS_MANUAL_GRADE = "needs manual grade"
# Autograder tests held for a TA (coursekit.integrity.verdict_judging): the total is not final.
UNDER_REVIEW = "tests under review"
GRADED_STATUSES = (GRADED, NEEDS_MANUAL_GRADE, UNDER_REVIEW)  # graded, if not all final yet
NOT_GRADED = "not graded"  # submitted, but never autograded (rejected, or not run yet)
FAILED = "autograde failed"  # handed in, in the gradebook without an autograded notebook
NOT_HANDED_IN = "not handed in"  # the student graded without this notebook: it scores 0
UNFINISHED = "grading unfinished"  # being graded, or cut off (inflight): nothing of it is final
COLUMNS = [field.name for field in dataclasses.fields(GradeRow)]
CELL_COLUMNS = [field.name for field in dataclasses.fields(CellGradeRow)]
AUTO = "auto"  # an autograder test's points
MANUAL = "manual"  # a written answer's points, graded by a TA


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
    scores = {s.notebook_id: s for s in nbgrader_api.read_scores(course, assignment_id, student_id)}
    autograded = course.autograded_dir(assignment_id, student_id)
    submitted = course.submitted_dir(assignment_id, student_id)
    rows = []
    for notebook_id in notebook_ids:
        score = scores.get(notebook_id)
        if score is None:
            rows.append(
                GradeRow(assignment_id, student_id, notebook_id, *[None] * 5, status=NOT_GRADED)
            )
            continue
        if inflight.is_unfinished(course, assignment_id, student_id):
            status = UNFINISHED
        elif not (submitted / f"{notebook_id}.ipynb").is_file():
            status = NOT_HANDED_IN  # nbgrader scored it 0 and wrote no notebook: nothing failed
        elif not (autograded / f"{notebook_id}.ipynb").is_file():
            status = FAILED
        elif score.tests_under_review:
            status = UNDER_REVIEW
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


def write_grades_csv(
    rows: Iterable[GradeRow | CellGradeRow], path: Path, columns: list[str] = COLUMNS
) -> Path:
    """Write result rows as CSV under columns (empty cells for missing scores); return the path."""
    return write_csv(
        [columns],
        (["" if value is None else value for value in dataclasses.astuple(row)] for row in rows),
        path,
    )


def write_csv(head: Iterable[list], rows: Iterable[list], path: Path) -> Path:
    """Write the head rows, then the rows, as CSV; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerows(head)
        writer.writerows(rows)
    return path


def export_grades(course: Course, assignment_id: str | None, path: Path) -> tuple[GradeRow, ...]:
    """Export one assignment's grades (all assignments when None) to a CSV at path."""
    assignment_ids = [assignment_id] if assignment_id else course.assignment_ids()
    rows = collect_grade_rows(course, assignment_ids)
    write_grades_csv(rows, path)
    return rows


def collect_cell_rows(course: Course, assignment_ids: Iterable[str]) -> tuple[CellGradeRow, ...]:
    """One row per grade cell of each student's notebooks, by assignment, student, notebook."""
    rows = []
    for assignment_id in sorted(assignment_ids):
        for student_id in course.submitted_student_ids(assignment_id):
            for score in nbgrader_api.read_scores(course, assignment_id, student_id):
                rows.extend(
                    CellGradeRow(
                        assignment_id,
                        student_id,
                        score.notebook_id,
                        cell.grade_id,
                        cell.score,
                        cell.max_score,
                        AUTO if cell.cell_type == "code" else MANUAL,
                        cell.needs_manual_grade,
                        cell.failed_tests,
                    )
                    for cell in score.cells
                )
    return tuple(rows)


def export_cell_grades(
    course: Course, assignment_id: str | None, path: Path
) -> tuple[CellGradeRow, ...]:
    """Export one row per student, notebook and grade cell (all assignments when None) to path."""
    assignment_ids = [assignment_id] if assignment_id else course.assignment_ids()
    rows = collect_cell_rows(course, assignment_ids)
    write_grades_csv(rows, path, CELL_COLUMNS)
    return rows


# Moodle's "Import grades from CSV" maps one column to a user field: "ID number"
# (useridnumber) or "Email address" (useremail), the names of Moodle's own grade export.
MOODLE_ID = "ID number"
MOODLE_EMAIL = "Email address"
# Canvas's gradebook import reads its own export's layout: five student columns, one column per
# assignment ("Name (canvas id)" updates that assignment; a bare name creates a new one) and a
# second row of points possible.
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
LMS_FORMATS = ("moodle", "canvas")


def assignment_totals(
    course: Course, assignment_id: str
) -> tuple[dict[str, float | None], list[str]]:
    """student_id -> the assignment's score (None: nothing graded), and warnings to read first."""
    rows = collect_grade_rows(course, [assignment_id])
    by_student: dict[str, list[GradeRow]] = {}
    for row in rows:
        by_student.setdefault(row.student_id, []).append(row)
    totals: dict[str, float | None] = {}
    ungraded, partial, manual, held = [], [], [], []
    for student_id, student_rows in sorted(by_student.items()):
        if any(row.status == UNDER_REVIEW for row in student_rows):
            # Held back: the LMS keeps what it has until a TA has decided on the tests.
            totals[student_id] = None
            held.append(student_id)
            continue
        # A failed autograde's gradebook entry is no grade: nbgrader stopped before the tests ran.
        scores = [
            row.score
            for row in student_rows
            if row.score is not None and row.status not in (FAILED, UNFINISHED)
        ]
        totals[student_id] = sum(scores) if scores else None
        if not scores:
            ungraded.append(student_id)
        elif len(scores) < len(student_rows):
            partial.append(student_id)
        if any(row.needs_manual_grade for row in student_rows):
            manual.append(student_id)
    warnings = []
    if ungraded:
        warnings.append(
            f"no grade for {ids_or_count(ungraded)} (rejected, failed or not autograded yet): "
            "their grade cells are left empty, which both LMSs read as 'no change'"
        )
    if partial:
        warnings.append(
            f"some notebooks not graded for {ids_or_count(partial)}: "
            "their totals count only the graded ones"
        )
    if held:
        warnings.append(
            f"totals held back for {ids_or_count(held)}: autograder tests under review "
            "(`course report` lists them with the points at stake); grade them in formgrader "
            "and export again"
        )
    if manual:
        warnings.append(
            f"written answers still to grade for {ids_or_count(manual)}: "
            "their totals lack those points (grade them in formgrader and export again)"
        )
    return totals, warnings


def roster_for(course: Course, student_ids: Iterable[str]) -> dict[str, StudentInfo]:
    """student_id -> what the gradebook knows of each student (only ids where it knows nothing)."""
    known = {info.student_id: info for info in nbgrader_api.read_students(course)}
    return {sid: known.get(sid, StudentInfo(sid, None, None, None, None)) for sid in student_ids}


def lms_inputs(
    course: Course, assignment_id: str, field: str, label: str, consequence: str
) -> tuple[dict[str, float | None], dict[str, StudentInfo], list[str]]:
    """The totals, the roster and the warnings of an LMS export that needs the roster's field."""
    totals, warnings = assignment_totals(course, assignment_id)
    roster = roster_for(course, totals)
    missing = [sid for sid, info in roster.items() if not getattr(info, field)]
    if missing:
        warnings.append(f"no {label} in the gradebook for {ids_or_count(missing)}: {consequence}")
    return totals, roster, warnings


def cell(value: float | None) -> str:
    """A score as an LMS reads it: no pointless '.0', empty when there is none."""
    return "" if value is None else f"{value:g}"


def export_moodle(course: Course, assignment_id: str, path: Path, column: str) -> LmsExport:
    """A CSV for Moodle's "Import grades from CSV": ID number, email address, the total."""
    totals, roster, warnings = lms_inputs(
        course,
        assignment_id,
        "email",
        "email address",
        "their 'Email address' cell is empty; map Moodle's 'ID number' (the nbgrader "
        "student_id) instead, or add emails with `course roster import`",
    )
    rows = [[sid, roster[sid].email or "", cell(total)] for sid, total in totals.items()]
    write_csv([[MOODLE_ID, MOODLE_EMAIL, column]], rows, path)
    return LmsExport("moodle", str(path), len(rows), tuple(warnings))


def canvas_name(info: StudentInfo) -> str:
    """The name as Canvas's export writes it ("Last, First"); the student_id if none is known."""
    names = [name for name in (info.last_name, info.first_name) if name]
    return ", ".join(names) or info.student_id


def export_canvas(course: Course, assignment_id: str, path: Path, column: str) -> LmsExport:
    """A CSV for Canvas's gradebook import: the five student columns, the total, points possible."""
    totals, roster, warnings = lms_inputs(
        course,
        assignment_id,
        "lms_user_id",
        "lms_user_id",
        "their Canvas 'ID' cell is empty, so Canvas must match them by 'SIS User ID' "
        "(the nbgrader student_id): check the import preview",
    )
    possible = sum(
        s.auto_points + s.manual_points for s in summarize_assignment(course, assignment_id)
    )
    head = [
        [*CANVAS_STUDENT_COLUMNS, column],
        [CANVAS_POINTS_ROW, "", "", "", "", cell(possible)],
    ]
    rows = [
        [canvas_name(roster[sid]), roster[sid].lms_user_id or "", sid, "", "", cell(total)]
        for sid, total in totals.items()
    ]
    write_csv(head, rows, path)
    return LmsExport("canvas", str(path), len(rows), tuple(warnings))


def export_lms(
    course: Course, assignment_id: str | None, lms: str, path: Path, column: str | None = None
) -> LmsExport:
    """Write one assignment's totals in an LMS's gradebook import format (moodle or canvas)."""
    if not assignment_id:
        raise CourseError(f"A {lms} export is one gradebook column: name the assignment")
    if lms not in LMS_FORMATS:
        raise CourseError(f"No LMS format {lms!r}; choose one of {', '.join(LMS_FORMATS)}")
    course.notebook_ids(assignment_id)  # an unknown assignment is an error, not an empty file
    writer = export_moodle if lms == "moodle" else export_canvas
    return writer(course, assignment_id, path, column or assignment_id)
