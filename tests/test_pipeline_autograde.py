"""Autograde grades every fit submission, rejects unfit ones, and never lets one stop the rest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.cohorts import source_points
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.graded_cohort import TinyCohort
from helpers.notebooks import reference_notebook

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.intake.types import Severity
from coursekit.nbgrader import api as nbgrader_api


@pytest.fixture
def graded(tiny_cohort: TinyCohort) -> tuple[Course, AutogradeReport]:
    """The session's tiny cohort, autograded once (grading costs a kernel start per student)."""
    return tiny_cohort.course, tiny_cohort.report


def test_progress_is_told_after_each_student(tiny_cohort: TinyCohort) -> None:
    report = tiny_cohort.report
    total = len(report.outcomes)
    expected = [(done, total, o) for done, o in enumerate(report.outcomes, start=1)]
    assert expected == list(tiny_cohort.progress)


def outcome(report: AutogradeReport, student_id: str) -> StudentOutcome:
    return next(o for o in report.outcomes if o.student_id == student_id)


def test_every_submitted_student_gets_an_outcome_in_order(graded) -> None:
    _, report = graded
    assert [o.student_id for o in report.outcomes] == sorted(
        [
            "reference",
            "blank",
            "wrong_add",
            "test_deleted",
            "test_edited",
            "duplicated",
            "kernel_killer",
            "not_json",
            "hidden_fail",
        ]
    )
    assert not report.all_graded


@pytest.mark.parametrize(
    ("student_id", "lost"),
    [
        ("reference", set()),
        ("blank", {"add_is_sum", "square_is_power"}),
        ("wrong_add", {"add_is_sum"}),
        # The deleted test is put back and run: the correct answer keeps its points.
        ("test_deleted", set()),
        ("test_edited", {"square_is_power"}),
        ("hidden_fail", {"add_is_sum"}),
        # A copied test cell is graded once (tests/test_duplicated_cells.py).
        ("duplicated", set()),
    ],
)
def test_graded_score_is_the_points_of_the_tests_passed(graded, student_id, lost) -> None:
    course, report = graded
    points = source_points(course)
    result = outcome(report, student_id)

    assert result.status is Status.GRADED, result.reason
    (score,) = result.scores
    assert score.notebook_id == TINY_NOTEBOOK
    assert score.auto_score == sum(p for gid, p in points.items() if gid not in lost)
    assert {c.grade_id: c.score for c in score.cells if c.grade_id in points} == {
        gid: (0.0 if gid in lost else p) for gid, p in points.items()
    }


def test_max_score_counts_every_grade_cell(graded) -> None:
    course, report = graded
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    every_point = sum(
        c.metadata.nbgrader.points
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )
    assert outcome(report, "reference").scores[0].max_score == every_point


def test_deleted_and_edited_tests_are_reported_as_warnings(graded) -> None:
    _, report = graded
    for student_id, grade_id in [
        ("test_deleted", "add_is_sum"),
        ("test_edited", "square_is_power"),
    ]:
        problems = outcome(report, student_id).problems
        assert [p.severity for p in problems] == [Severity.WARNING]
        assert grade_id in problems[0].reason
    restored = {c.grade_id: c for c in outcome(report, "test_deleted").scores[0].cells}
    assert restored["add_is_sum"].score == restored["add_is_sum"].max_score > 0
    assert not restored["add_is_sum"].needs_manual_grade


@pytest.mark.parametrize(("student_id", "words"), [("not_json", "is not JSON")])
def test_unfit_submission_is_rejected_with_its_reason(graded, student_id, words) -> None:
    course, report = graded
    result = outcome(report, student_id)
    assert result.status is Status.REJECTED
    assert words in result.reason
    assert result.scores == (), "a rejected first submission must not enter the gradebook"
    assert not course.autograded_dir(TINY_ASSIGNMENT, student_id).exists()


def test_dead_kernel_costs_that_student_only_the_cells_from_the_crash_on(graded) -> None:
    course, report = graded
    result = outcome(report, "kernel_killer")
    # os._exit in square_answer (coursekit.steps.execution): add_is_sum, run before, keeps its
    # points.
    assert result.status is Status.GRADED, result.reason
    (score,) = result.scores
    assert score.auto_score == source_points(course)["add_is_sum"]
    assert [crash.grade_id for crash in result.crashes] == ["square_answer"]
    assert outcome(report, "reference").status is Status.GRADED  # graded after it, alphabetically


def test_broken_resubmission_keeps_the_earlier_grade(
    kernels: None, tiny_cohort: TinyCohort, tmp_path: Path
) -> None:
    course = tiny_cohort.copy(tmp_path / "course")
    first = tiny_cohort.outcome("reference")
    assert first.status is Status.GRADED

    cohort.write_submission(course, TINY_ASSIGNMENT, "reference", {TINY_NOTEBOOK: b""})
    second = autograde_assignment(course, TINY_ASSIGNMENT, ["reference"]).outcomes[0]

    assert second.status is Status.REJECTED
    assert "is empty" in second.reason
    assert second.scores == first.scores
    assert (
        course.autograded_dir(TINY_ASSIGNMENT, "reference") / f"{TINY_NOTEBOOK}.ipynb"
    ).is_file()


def test_rerunning_autograde_gives_identical_scores(
    kernels: None, tiny_cohort: TinyCohort, tmp_path: Path
) -> None:
    course = tiny_cohort.copy(tmp_path / "course")
    student_ids = ["reference", "wrong_add"]
    first = [tiny_cohort.outcome(student_id) for student_id in student_ids]

    second = autograde_assignment(course, TINY_ASSIGNMENT, student_ids)

    assert [o.scores for o in first] == [o.scores for o in second.outcomes]
    assert all(o.status is Status.GRADED for o in first)


@pytest.mark.slow  # releases and grades an assignment of two notebooks of its own: about 10 s
def test_a_notebook_not_handed_in_scores_zero_and_the_others_are_graded(
    tiny_course_dir: Path,
) -> None:
    """An assignment of several notebooks: skipping one costs its points, not the whole grade."""
    source_dir = tiny_course_dir / "source" / TINY_ASSIGNMENT
    shutil.copy(source_dir / f"{TINY_NOTEBOOK}.ipynb", source_dir / "second.ipynb")
    course = locate_course(tiny_course_dir)
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "skipper", {TINY_NOTEBOOK: reference_notebook(course)}
    )

    (outcome,) = autograde_assignment(course, TINY_ASSIGNMENT).outcomes

    assert outcome.status is Status.GRADED
    assert [(p.notebook_id, p.severity) for p in outcome.problems] == [("second", Severity.WARNING)]
    assert "not handed in" in outcome.problems[0].reason
    scores = {score.notebook_id: score.auto_score for score in outcome.scores}
    assert scores == {TINY_NOTEBOOK: sum(source_points(course).values()), "second": 0}


def test_a_folder_without_notebooks_is_rejected(
    kernels: None, released_tiny_course: Course
) -> None:
    folder = cohort.write_submission(released_tiny_course, TINY_ASSIGNMENT, "empty_handed", {})
    (folder / "notes.txt").write_text("I will hand in tomorrow")

    (outcome,) = autograde_assignment(released_tiny_course, TINY_ASSIGNMENT).outcomes

    assert outcome.status is Status.REJECTED
    assert "no notebook" in outcome.reason
