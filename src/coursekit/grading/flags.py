"""What a TA should look at in one student's submission: its code scan, and after grading, the
verdict checks' findings, attached to the student's outcome (never a change of grade)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from nbformat import NotebookNode

from coursekit.core.course import Course
from coursekit.grading.types import Status, StudentOutcome
from coursekit.intake.submissions import load_notebook
from coursekit.intake.types import SubmissionProblem
from coursekit.integrity import verdict_judging
from coursekit.integrity.suspicion import scan_notebook
from coursekit.integrity.types import Suspicion


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
        found += verdict_judging.autograded_suspicions(folder, release)
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
