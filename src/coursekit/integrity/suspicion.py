"""Flag suspicious code in the cells a student can edit, with cell and line, for a TA to look at.

A static scan (code_scan.py): it never changes a grade, it says where to look. What it flags
is listed in SuspicionKind (results.py); docs/verdicts.md says why each matters and what a
static scan cannot see (code built at run time from data, for one). Calibrated on this
course's reference solutions and correct answer variants (tests/test_suspicion.py): none of
them raises a flag.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping

from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.grading.types import Status, StudentOutcome
from coursekit.intake.submissions import load_notebook
from coursekit.intake.types import SubmissionProblem
from coursekit.integrity import verdicts
from coursekit.integrity.code_scan import imported_modules, scan_code
from coursekit.integrity.types import Suspicion, SuspicionKind
from coursekit.reporting.types import Flag, FlagKind


def editable_cells(
    nb: NotebookNode, release_nb: NotebookNode | None = None
) -> Iterator[tuple[int, NotebookNode]]:
    """(1-based index, cell) of each code cell whose source runs as the student left it.

    nbgrader puts back the instructor's version of every locked cell (tests, setup) before it
    runs the notebook, so those are not the student's code; everything else is.
    """
    released = {}
    if release_nb is not None:
        released = {cells.grade_id(c): c for c in release_nb.cells if cells.grade_id(c)}
    for index, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in released and cells.is_locked(released[gid]):
            continue
        if gid not in released and cells.is_locked(cell) and release_nb is None:
            continue
        yield index, cell


def given_lines(release_nb: NotebookNode | None) -> set[str]:
    """Every stripped line of code the instructor handed out (not the student's doing)."""
    if release_nb is None:
        return set()
    return {
        line.strip()
        for cell in release_nb.cells
        if cell.get("cell_type") == "code"
        for line in cells.cell_source(cell).split("\n")
        if line.strip()
    }


def scan_notebook(
    notebook_id: str, nb: NotebookNode, release_nb: NotebookNode | None = None
) -> tuple[Suspicion, ...]:
    """Suspicions in the cells of a submitted notebook a student can edit.

    With the release notebook, lines the instructor handed out are not flagged and only cells
    nbgrader does not restore are scanned.
    """
    modules = imported_modules(
        cells.cell_source(c) for c in nb.cells if c.get("cell_type") == "code"
    )
    given = given_lines(release_nb)
    found = []
    for index, cell in editable_cells(nb, release_nb):
        source = cells.cell_source(cell).replace("\r\n", "\n").replace("\r", "\n")
        lines = source.split("\n")
        for finding in scan_code(source, modules):
            text = lines[finding.line - 1].strip() if finding.line <= len(lines) else ""
            if text and text in given:
                continue
            found.append(
                Suspicion(
                    notebook_id,
                    index,
                    cells.grade_id(cell),
                    finding.line,
                    finding.kind,
                    finding.detail,
                )
            )
    return tuple(found)


def scan_submission(
    course: Course, assignment_id: str, student_id: str, release: Mapping[str, NotebookNode]
) -> tuple[Suspicion, ...]:
    """Suspicions in every readable notebook of one student's submission."""
    folder = course.submitted_dir(assignment_id, student_id)
    if not folder.is_dir():
        return ()
    found: list[Suspicion] = []
    for notebook_id, release_nb in release.items():
        loaded = load_notebook(folder, notebook_id, set(release))
        if not isinstance(loaded, SubmissionProblem):  # unreadable: inspection says why
            found.extend(scan_notebook(notebook_id, loaded, release_nb))
    return tuple(found)


def flag_submission(
    course: Course,
    assignment_id: str,
    student_id: str,
    release: Mapping[str, NotebookNode],
    graded: bool,
) -> tuple[Suspicion, ...]:
    """The code scan of a submission, then (if it was just graded) its verdict checks."""
    found = scan_submission(course, assignment_id, student_id, release)
    if graded:
        folder = course.autograded_dir(assignment_id, student_id)
        found += verdicts.autograded_suspicions(folder, release)
    return found


def with_suspicions(
    course: Course, outcome: StudentOutcome, release: Mapping[str, NotebookNode]
) -> StudentOutcome:
    """The outcome with what the code scan and the verdict checks flagged."""
    found = flag_submission(
        course,
        outcome.assignment_id,
        outcome.student_id,
        release,
        graded=outcome.status is Status.GRADED,
    )
    return dataclasses.replace(outcome, suspicions=outcome.suspicions + found)


def report_flags(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str],
    release: Mapping[str, NotebookNode],
) -> list[Flag]:
    """`course report`'s flags: per notebook, its suspicious code and its untrusted verdicts."""
    flags = []
    for student_id in student_ids:
        groups: dict[tuple[str, FlagKind], list[Suspicion]] = {}
        for found in flag_submission(course, assignment_id, student_id, release, graded=True):
            untrusted = found.kind is SuspicionKind.UNTRUSTED_VERDICT
            kind = FlagKind.UNTRUSTED if untrusted else FlagKind.SUSPICIOUS
            groups.setdefault((found.notebook_id, kind), []).append(found)
        for (notebook_id, kind), items in groups.items():
            detail = "; ".join(describe(item) for item in items)
            flags.append(Flag(student_id, notebook_id, kind, detail))
    return flags


def describe(suspicion: Suspicion) -> str:
    """`cell 3 (grade_id) line 2: rebinds numpy.allclose: ...` without the notebook's name."""
    where = suspicion.where.removeprefix(suspicion.notebook_id).strip()
    return f"{where}: {suspicion.detail}" if where else suspicion.detail
