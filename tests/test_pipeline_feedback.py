"""Feedback HTML per student shows scores and visible tests, never the hidden tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.feedback import hidden_test_lines, visible_text
from helpers.graded_cohort import TinyCohort

from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.grading.types import Status
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.types import FeedbackReport


@pytest.fixture(scope="module")
def feedback_course(tiny_cohort: TinyCohort, tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A copy of the session's graded cohort for this module's feedback runs."""
    return tiny_cohort.copy(tmp_path_factory.mktemp("feedback") / "course")


@pytest.fixture(scope="module")
def feedback_report(feedback_course: Course) -> FeedbackReport:
    return generate_feedback(feedback_course, TINY_ASSIGNMENT)


def test_feedback_written_for_each_autograded_student(
    tiny_cohort: TinyCohort, feedback_course: Course, feedback_report: FeedbackReport
) -> None:
    course = feedback_course
    graded = [o.student_id for o in tiny_cohort.report.outcomes if o.status is Status.GRADED]
    assert "hidden_fail" in graded and "not_json" not in graded
    assert feedback_report.ok
    assert {o.student_id: o.files for o in feedback_report.outcomes} == {
        sid: (str(course.feedback_dir(TINY_ASSIGNMENT, sid) / f"{TINY_NOTEBOOK}.html"),)
        for sid in graded
    }


def test_feedback_hides_hidden_tests_even_when_they_fail(feedback_course, feedback_report) -> None:
    secrets = hidden_test_lines(feedback_course)
    assert secrets, "the tiny notebook must have hidden tests for this test to mean anything"
    for outcome in feedback_report.outcomes:
        text = visible_text(Path(outcome.files[0]))
        assert "add(1, 2)" in text, "visible tests stay in the feedback"
        assert "HIDDEN TESTS" not in text
        for line in secrets:
            assert line not in text, f"{outcome.student_id}: {line!r} shown"


def test_failed_hidden_test_still_shows_its_message(feedback_report) -> None:
    hidden_fail = next(o for o in feedback_report.outcomes if o.student_id == "hidden_fail")
    text = visible_text(Path(hidden_fail.files[0]))
    assert "AssertionError: hidden add check" in text
    assert "traceback hidden" in text


def test_show_hidden_tests_shows_them_for_that_run_only(feedback_course, feedback_report):
    course = feedback_course
    secrets = hidden_test_lines(course)
    shown = generate_feedback(course, TINY_ASSIGNMENT, ["hidden_fail"], show_hidden_tests=True)
    text = visible_text(Path(shown.outcomes[0].files[0]))
    for line in secrets:
        assert line in text, f"{line!r} not shown although the instructor asked for it"
    assert "traceback hidden" not in text

    again = generate_feedback(course, TINY_ASSIGNMENT, ["hidden_fail"])
    text = visible_text(Path(again.outcomes[0].files[0]))
    assert not [line for line in secrets if line in text], "the default run must hide them again"


def test_feedback_before_autograde_says_to_autograde_first(released_tiny_course) -> None:
    with pytest.raises(CourseError, match=r"course autograde ps1"):
        generate_feedback(released_tiny_course, TINY_ASSIGNMENT)
