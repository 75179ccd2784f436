"""Exercise 1.2 through the whole loop, on a copy of this course: release, a small cohort,
autograde, feedback, export; and the stock nbgrader commands giving the same grades.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import autograded_test_points
from test_pipeline_feedback import visible_text

from coursekit import cells, nbgrader_ops
from coursekit.autograde import autograde_assignment
from coursekit.cohort import fill_release, solution_answers, write_submission
from coursekit.course import Course, locate_course
from coursekit.feedback import generate_feedback
from coursekit.release import release_assignment
from coursekit.results import AutogradeReport, ReleaseReport, Status

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
NOTEBOOK_ID = "exercise_1_2_linear_regression"
# A student who did Tasks 1-4 (data plot, model, untrained plot, compile) and nothing after.
PARTIAL_ANSWERS = ("plot_data", "build_model", "plot_untrained", "compile_model")
PARTIAL_PASSES = ("model_has_one_node", "model_compiled_with_mse_and_sgd")

pytestmark = pytest.mark.slow


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )


def source_nb() -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK_ID}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source", root / "source")
    return locate_course(root)


@pytest.fixture(scope="module")
def released(course: Course) -> ReleaseReport:
    return release_assignment(course, ASSIGNMENT)


@pytest.fixture(scope="module")
def graded(course: Course, released) -> AutogradeReport:
    release = nbformat.read(course.release_dir(ASSIGNMENT) / f"{NOTEBOOK_ID}.ipynb", as_version=4)
    reference = solution_answers(source_nb())
    cohort = {
        "reference": fill_release(release, reference),
        "blank": release,
        "partial": fill_release(release, {gid: reference[gid] for gid in PARTIAL_ANSWERS}),
        "not_json": b'{"cells": [ this is not JSON',
    }
    for student_id, notebook in cohort.items():
        write_submission(course, ASSIGNMENT, student_id, {NOTEBOOK_ID: notebook})
    return autograde_assignment(course, ASSIGNMENT)


def outcome(report: AutogradeReport, student_id: str):
    return next(item for item in report.outcomes if item.student_id == student_id)


def auto_score(report: AutogradeReport, student_id: str) -> float:
    (score,) = outcome(report, student_id).scores
    return score.auto_score


def test_release_is_proven(released: ReleaseReport) -> None:
    assert released.ok, released
    checks = {check.name: check.passed for proof in released.notebooks for check in proof.checks}
    assert checks and all(passed is True for passed in checks.values()), checks


def test_reference_solution_gets_full_marks(graded: AutogradeReport) -> None:
    assert outcome(graded, "reference").status is Status.GRADED
    assert auto_score(graded, "reference") == sum(autograded_test_points(source_nb()).values())


def test_untouched_release_scores_zero_without_crashing(graded: AutogradeReport) -> None:
    assert outcome(graded, "blank").status is Status.GRADED
    assert auto_score(graded, "blank") == 0


def test_partly_correct_submission_gets_the_points_of_its_tasks(graded: AutogradeReport) -> None:
    points = autograded_test_points(source_nb())
    assert auto_score(graded, "partial") == sum(points[gid] for gid in PARTIAL_PASSES)


def test_broken_notebook_is_reported_and_others_still_graded(graded: AutogradeReport) -> None:
    broken = outcome(graded, "not_json")
    assert broken.status is Status.REJECTED
    assert "JSON" in broken.reason and NOTEBOOK_ID in broken.reason
    assert [item.status for item in graded.outcomes].count(Status.GRADED) == 3


def test_feedback_shows_no_hidden_test_code(course: Course, graded: AutogradeReport) -> None:
    report = generate_feedback(course, ASSIGNMENT)
    assert report.ok, report
    # Long lines only: short ones (a bracket, `else:`) occur in the visible code too.
    hidden_lines = [
        line.strip()
        for cell in source_nb().cells
        for label, line in cells.label_lines(
            cells.cell_source(cell), cells.BEGIN_HIDDEN_TESTS, cells.END_HIDDEN_TESTS
        )
        if label == "inside" and len(line.strip()) > 30
    ]
    assert hidden_lines
    for student_id in ("reference", "blank", "partial"):
        # The text a reader sees: in the raw HTML, syntax highlighting splits each code line.
        text = visible_text(course.feedback_dir(ASSIGNMENT, student_id) / f"{NOTEBOOK_ID}.html")
        assert "Exercise 1.2" in text
        leaked = [line for line in hidden_lines if line in text]
        assert leaked == [], f"{student_id}'s feedback shows hidden tests: {leaked[:3]}"


def test_stock_nbgrader_gives_the_same_grades(course: Course, graded: AutogradeReport) -> None:
    """Grading again with plain `nbgrader autograde` changes no cell's score."""
    before = {sid: outcome(graded, sid).scores for sid in ("reference", "blank", "partial")}
    for student_id in before:
        nbgrader("autograde", ASSIGNMENT, "--force", f"--student={student_id}", cwd=course.root)
    for student_id, scores in before.items():
        assert nbgrader_ops.read_scores(course, ASSIGNMENT, student_id) == scores, student_id
    nbgrader("generate_feedback", ASSIGNMENT, "--force", cwd=course.root)
    nbgrader("export", cwd=course.root)
    with open(course.root / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student_id, scores in before.items():
        assert float(rows[student_id]["raw_score"]) == pytest.approx(scores[0].score)
