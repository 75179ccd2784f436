"""Autograde every submission of an assignment, one student at a time, never all-or-nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from nbformat import NotebookNode

from coursekit import nbgrader_ops
from coursekit.course import Course
from coursekit.errors import NbgraderError
from coursekit.results import AutogradeReport, Severity, Status, StudentOutcome
from coursekit.submissions import inspect_submission, read_release

# Told after each student: (students done, students in all, that student's outcome).
Progress = Callable[[int, int, StudentOutcome], None]


def autograde_assignment(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str] | None = None,
    force: bool = True,
    progress: Progress | None = None,
) -> AutogradeReport:
    """Inspect and autograde each student's submission; report per student."""
    release = read_release(course, assignment_id)
    chosen = (
        sorted(set(student_ids))
        if student_ids is not None
        else course.submitted_student_ids(assignment_id)
    )
    outcomes = []
    for done, student_id in enumerate(chosen, start=1):
        outcomes.append(autograde_student(course, assignment_id, student_id, release, force))
        if progress is not None:
            progress(done, len(chosen), outcomes[-1])
    return AutogradeReport(assignment_id=assignment_id, outcomes=tuple(outcomes))


def autograde_student(
    course: Course,
    assignment_id: str,
    student_id: str,
    release: Mapping[str, NotebookNode],
    force: bool = True,
) -> StudentOutcome:
    """Inspect one submission, then grade it unless it is unfit; never raises for its content."""
    problems = inspect_submission(course, assignment_id, student_id, release)
    fatal = [p for p in problems if p.severity is Severity.FATAL]
    if fatal:
        # nbgrader is not called: it would delete the previous autograded notebooks, and the
        # gradebook keeps whatever grade this student had before.
        return StudentOutcome(
            assignment_id,
            student_id,
            Status.REJECTED,
            reason="; ".join(f"{p.notebook_id}: {p.reason}" for p in fatal),
            problems=problems,
            scores=nbgrader_ops.read_scores(course, assignment_id, student_id),
        )
    try:
        nbgrader_ops.autograde_student(course, assignment_id, student_id, force=force)
    except NbgraderError as error:
        return StudentOutcome(
            assignment_id,
            student_id,
            Status.FAILED,
            reason=error.summary,
            problems=problems,
            scores=nbgrader_ops.read_scores(course, assignment_id, student_id),
            log_tail=error.log_tail,
        )
    return StudentOutcome(
        assignment_id,
        student_id,
        Status.GRADED,
        problems=problems,
        scores=nbgrader_ops.read_scores(course, assignment_id, student_id),
    )
