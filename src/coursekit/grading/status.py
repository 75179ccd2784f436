"""What the course holds of each student's last autograde, read back without grading again."""

from __future__ import annotations

from collections.abc import Iterable

from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.grading.autograde import chosen_students, rejected_outcome
from coursekit.grading.flags import with_suspicions
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.intake.submissions import inspect_submission, read_release
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.execution import read_student_crashes


def read_outcomes(
    course: Course, assignment_id: str, student_ids: Iterable[str] | None = None
) -> AutogradeReport:
    """Each student's outcome as the submission, the gradebook and the autograded notebooks
    hold it now: problems found again by inspection, scores, crashes and flags.

    A student never autograded is an error that says how to grade them; what a run alone knew
    (a failed nbgrader's log, a warm kernel replaced by a cold one) is not kept, so not here.
    """
    release = read_release(course, assignment_id)
    outcomes = []
    for student_id in chosen_students(course, assignment_id, student_ids):
        problems = inspect_submission(course, assignment_id, student_id, release)
        outcome = rejected_outcome(course, assignment_id, student_id, problems)
        if outcome is None and course.autograded_dir(assignment_id, student_id).is_dir():
            outcome = StudentOutcome(
                assignment_id,
                student_id,
                Status.GRADED,
                problems=problems,
                scores=nbgrader_api.read_scores(course, assignment_id, student_id),
                crashes=read_student_crashes(course, assignment_id, student_id),
            )
        elif outcome is None:
            raise CourseError(
                f"{student_id} has not been autograded "
                f"({course.autograded_dir(assignment_id, student_id)} does not exist): run "
                f"`course autograde {assignment_id} --student {student_id}` first"
            )
        outcomes.append(with_suspicions(course, outcome, release))
    return AutogradeReport(assignment_id, tuple(outcomes))
