"""Write feedback HTML for every autograded student (hidden tests stay hidden: see config)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable

from coursekit.core.course import Course
from coursekit.core.errors import CourseError, NbgraderError
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.types import FeedbackOutcome, FeedbackReport


def autograded_student_ids(course: Course, assignment_id: str) -> list[str]:
    """The students with an autograded folder for this assignment, sorted."""
    return [
        student_id
        for student_id in course.submitted_student_ids(assignment_id)
        if course.autograded_dir(assignment_id, student_id).is_dir()
    ]


def generate_feedback(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str] | None = None,
    show_hidden_tests: bool = False,
) -> FeedbackReport:
    """Run nbgrader generate_feedback per autograded student; one failure stops no one else.

    show_hidden_tests: the instructor's choice to show hidden tests' code and tracebacks.
    """
    chosen = (
        sorted(set(student_ids))
        if student_ids is not None
        else autograded_student_ids(course, assignment_id)
    )
    if not chosen:
        folder = course.autograded_dir(assignment_id, "*")
        raise CourseError(
            f"No autograded submission of {assignment_id!r} ({folder} matches nothing): "
            f"run `course autograde {assignment_id}` first."
        )
    run_course = showing_hidden_tests(course) if show_hidden_tests else course
    return FeedbackReport(
        assignment_id, tuple(feedback_student(run_course, assignment_id, sid) for sid in chosen)
    )


def showing_hidden_tests(course: Course) -> Course:
    """The course with a config whose feedback keeps hidden tests and their tracebacks."""
    # Only this run's copy of the config changes: `nbgrader generate_feedback` and the
    # default `course feedback` keep hiding them, and the release (which also runs
    # ClearHiddenTests) never sees this config.
    config = copy.deepcopy(course.config)
    config.ClearHiddenTests.enabled = False
    config.HideHiddenTestTracebacks.enabled = False
    return dataclasses.replace(course, config=config)


def feedback_student(course: Course, assignment_id: str, student_id: str) -> FeedbackOutcome:
    """Feedback HTML for one student, or the reason it could not be written."""
    if not course.autograded_dir(assignment_id, student_id).is_dir():
        return FeedbackOutcome(
            student_id, error=f"{student_id!r} has no autograded {assignment_id!r}: autograde first"
        )
    try:
        nbgrader_api.generate_feedback(course, assignment_id, student_id)
    except NbgraderError as error:
        return FeedbackOutcome(student_id, error=error.summary)
    folder = course.feedback_dir(assignment_id, student_id)
    return FeedbackOutcome(student_id, tuple(str(path) for path in sorted(folder.glob("*.html"))))
