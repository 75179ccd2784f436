"""All of lecture 1 through the whole loop, on a copy of this course: release and proof of every
notebook, a small cohort, autograde, feedback, export; and the stock nbgrader commands giving the
same grades.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers.course import autograded_test_points
from helpers.feedback import visible_text

from coursekit.authoring.cohort import (
    fill_release,
    solution_answers,
    write_submission,
    written_answers,
)
from coursekit.authoring.release import release_assignment
from coursekit.authoring.types import ReleaseReport
from coursekit.core import cells
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, Status
from coursekit.intake.types import Severity
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.feedback import generate_feedback

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
NOTEBOOK_IDS = sorted(p.stem for p in (REPO_ROOT / "source" / ASSIGNMENT).glob("*.ipynb"))
EXERCISE_1_2 = "exercise_1_2_linear_regression"
# A student who did Tasks 1-4 of exercise 1.2 (data plot, model, untrained plot, compile),
# nothing after, and handed in no other notebook.
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
        timeout=900,  # the slowest call grades a TensorFlow notebook; the test's bound is 1800 s
    )


def source_nb(notebook_id: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / "source" / ASSIGNMENT / f"{notebook_id}.ipynb", as_version=4)


def full_marks(notebook_id: str) -> float:
    return sum(autograded_test_points(source_nb(notebook_id)).values())


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source", root / "source")
    return locate_course(root)


@pytest.fixture(scope="module")
def released(course: Course) -> ReleaseReport:
    return release_assignment(course, ASSIGNMENT)


def release_nb(course: Course, notebook_id: str) -> nbformat.NotebookNode:
    return nbformat.read(course.release_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def graded(course: Course, released: ReleaseReport) -> AutogradeReport:
    reference = {
        notebook_id: fill_release(
            release_nb(course, notebook_id),
            solution_answers(source_nb(notebook_id)) | written_answers(source_nb(notebook_id)),
        )
        for notebook_id in NOTEBOOK_IDS
    }
    answers_1_2 = solution_answers(source_nb(EXERCISE_1_2))
    partial = fill_release(
        release_nb(course, EXERCISE_1_2), {gid: answers_1_2[gid] for gid in PARTIAL_ANSWERS}
    )
    cohort = {
        "reference": reference,
        "blank": {notebook_id: release_nb(course, notebook_id) for notebook_id in NOTEBOOK_IDS},
        "partial": {EXERCISE_1_2: partial},
        "not_json": reference | {EXERCISE_1_2: b'{"cells": [ this is not JSON'},
    }
    for student_id, notebooks in cohort.items():
        write_submission(course, ASSIGNMENT, student_id, notebooks)
    return autograde_assignment(course, ASSIGNMENT)


def outcome(report: AutogradeReport, student_id: str):
    return next(item for item in report.outcomes if item.student_id == student_id)


def auto_scores(report: AutogradeReport, student_id: str) -> dict[str, float]:
    return {score.notebook_id: score.auto_score for score in outcome(report, student_id).scores}


def test_the_assignment_is_all_of_lecture_1() -> None:
    assert NOTEBOOK_IDS == [
        "exercise_0_python",
        "exercise_0_pytorch",
        "exercise_0_tensorflow",
        "exercise_1_1_playground",
        "exercise_1_2_linear_regression",
        "exercise_1_3_many_linear_layers",
        "exercise_1_4_try_out",
    ]


def test_every_notebook_is_released_and_proven(released: ReleaseReport) -> None:
    assert released.ok, released
    assert [proof.notebook_id for proof in released.notebooks] == NOTEBOOK_IDS
    for proof in released.notebooks:
        assert all(check.passed is True for check in proof.checks), proof


def test_reference_solution_gets_full_marks_in_every_notebook(graded: AutogradeReport) -> None:
    assert outcome(graded, "reference").status is Status.GRADED
    assert auto_scores(graded, "reference") == {nid: full_marks(nid) for nid in NOTEBOOK_IDS}


def test_reference_written_answers_await_a_ta(graded: AutogradeReport) -> None:
    for score in outcome(graded, "reference").scores:
        assert score.needs_manual_grade == (score.max_manual_score > 0), score.notebook_id


def test_untouched_release_scores_zero_without_crashing(graded: AutogradeReport) -> None:
    assert outcome(graded, "blank").status is Status.GRADED
    assert auto_scores(graded, "blank") == dict.fromkeys(NOTEBOOK_IDS, 0)


def test_partly_done_assignment_gets_the_points_of_its_tasks(graded: AutogradeReport) -> None:
    """Four tasks of exercise 1.2 done, no other notebook handed in: those points, 0 elsewhere."""
    points = autograded_test_points(source_nb(EXERCISE_1_2))
    partial = outcome(graded, "partial")
    assert partial.status is Status.GRADED
    expected = dict.fromkeys(NOTEBOOK_IDS, 0) | {
        EXERCISE_1_2: sum(points[gid] for gid in PARTIAL_PASSES)
    }
    assert auto_scores(graded, "partial") == expected
    skipped = {p.notebook_id for p in partial.problems if p.severity is Severity.WARNING}
    assert skipped == set(NOTEBOOK_IDS) - {EXERCISE_1_2}


def test_broken_notebook_is_reported_and_others_still_graded(graded: AutogradeReport) -> None:
    broken = outcome(graded, "not_json")
    assert broken.status is Status.REJECTED
    assert "JSON" in broken.reason and EXERCISE_1_2 in broken.reason
    assert [item.status for item in graded.outcomes].count(Status.GRADED) == 3


def hidden_lines(notebook_id: str) -> list[str]:
    """Lines only hidden tests hold: not in any visible code (a student's answer may echo those)."""
    labelled = [
        (label, line.strip())
        for cell in source_nb(notebook_id).cells
        for label, line in cells.label_lines(
            cells.cell_source(cell), cells.BEGIN_HIDDEN_TESTS, cells.END_HIDDEN_TESTS
        )
    ]
    public = {line for label, line in labelled if label != "inside"}
    # Long lines only: short ones (a bracket, `else:`) occur in ordinary code and prose too.
    return [
        line
        for label, line in labelled
        if label == "inside" and len(line) > 30 and line not in public
    ]


def test_feedback_shows_no_hidden_test_code(course: Course, graded: AutogradeReport) -> None:
    report = generate_feedback(course, ASSIGNMENT)
    assert report.ok, report
    for notebook_id in NOTEBOOK_IDS:
        secret = hidden_lines(notebook_id)
        title = cells.cell_source(source_nb(notebook_id).cells[0]).splitlines()[0].lstrip("# ")
        for student_id in ("reference", "blank"):
            # The text a reader sees: in the raw HTML, syntax highlighting splits each code line.
            path = course.feedback_dir(ASSIGNMENT, student_id) / f"{notebook_id}.html"
            text = visible_text(path)
            assert title in text, path
            leaked = [line for line in secret if line in text]
            assert leaked == [], f"{student_id}'s feedback shows hidden tests: {leaked[:3]}"


def test_stock_nbgrader_gives_the_same_grades(course: Course, graded: AutogradeReport) -> None:
    """Grading again with plain `nbgrader autograde` changes no cell's score."""
    before = {sid: outcome(graded, sid).scores for sid in ("reference", "blank", "partial")}
    for student_id in before:
        nbgrader("autograde", ASSIGNMENT, "--force", f"--student={student_id}", cwd=course.root)
    for student_id, scores in before.items():
        assert nbgrader_api.read_scores(course, ASSIGNMENT, student_id) == scores, student_id
    nbgrader("generate_feedback", ASSIGNMENT, "--force", cwd=course.root)
    nbgrader("export", cwd=course.root)
    with open(course.root / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student_id, scores in before.items():
        assert float(rows[student_id]["raw_score"]) == pytest.approx(sum(s.score for s in scores))
