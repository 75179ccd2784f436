"""Grading exercise 1.2 again, or on a machine with fewer cores, gives the same grade bit for bit.

The reference submission carries a scratch cell of the student's own at its end that prints every
trained model's parameters exactly (the hidden tests' models included): the comparison is of
what was trained, not of rounded prints. "Another machine" has one core (TensorFlow sizes its
thread pools by the cores a kernel may use) and an older CPU: oneDNN is told to use SSE4.1 at
most, which changed the 10-input fits while oneDNN was on. The environment is otherwise the one
nbgrader_config.py gives every grading kernel.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from coursekit.authoring.cohort import (
    fill_release,
    solution_answers,
    write_submission,
    written_answers,
)
from coursekit.core.course import Course, locate_course
from coursekit.core.types import NotebookScore
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import Status
from coursekit.nbgrader import api as nbgrader_api

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
NOTEBOOK_ID = "exercise_1_2_linear_regression"
STUDENT_ID = "reference"
# Every model the notebook and its hidden tests train, in float32 bits; then the cores it had.
PRINT_PARAMETERS = """\
for name in ("model", "model_u", "model_n", "trained", "fitted"):
    print(name, [float(v).hex() for w in globals()[name].get_weights() for v in w.ravel()])"""
PRINT_MACHINE = (
    "import os\n"
    "print('cores:', len(os.sched_getaffinity(0)), 'isa:', os.environ.get('ONEDNN_MAX_CPU_ISA'))"
)

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def older_smaller_machine() -> Iterator[None]:
    """Kernels started meanwhile run on one core and see a CPU without AVX (as oneDNN sees it)."""
    # A kernel inherits the CPU mask of the thread that starts it: this one.
    every_core = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(every_core)})
    try:
        with mock.patch.dict(os.environ, {"ONEDNN_MAX_CPU_ISA": "SSE41"}):
            yield
    finally:
        os.sched_setaffinity(0, every_core)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A course of exercise 1.2 alone, released, with the reference submission handed in."""
    root = tmp_path_factory.mktemp("repeatable")
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    source_path = REPO_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK_ID}.ipynb"
    shutil.copy(source_path, root / "source" / ASSIGNMENT)
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, ASSIGNMENT)

    source = nbformat.read(source_path, as_version=4)
    release = nbformat.read(course.release_dir(ASSIGNMENT) / f"{NOTEBOOK_ID}.ipynb", as_version=4)
    submission = fill_release(release, solution_answers(source) | written_answers(source))
    submission.cells += [new_code_cell(PRINT_PARAMETERS), new_code_cell(PRINT_MACHINE)]
    write_submission(course, ASSIGNMENT, STUDENT_ID, {NOTEBOOK_ID: submission})
    return course


def grade(course: Course) -> tuple[NotebookScore, list[list[str]]]:
    """Autograde the reference (again): its scores and what each code cell printed or returned."""
    (outcome,) = autograde_assignment(course, ASSIGNMENT, [STUDENT_ID]).outcomes
    assert outcome.status is Status.GRADED, outcome.reason
    graded = course.autograded_dir(ASSIGNMENT, STUDENT_ID) / f"{NOTEBOOK_ID}.ipynb"
    nb = nbformat.read(graded, as_version=4)
    # stderr is left out: TensorFlow's log lines carry a timestamp and a process id.
    printed = [
        [
            output.get("text") or output.get("data", {}).get("text/plain") or output.get("ename")
            for output in cell.outputs
            if output.get("name") != "stderr" and output.output_type != "display_data"
        ]
        for cell in nb.cells
        if cell.cell_type == "code"
    ]
    (score,) = outcome.scores
    return score, printed


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores to take one away")
def test_regrading_on_another_machine_gives_the_same_scores_and_trained_parameters(
    course,
) -> None:
    cores = len(os.sched_getaffinity(0))
    first_score, first_printed = grade(course)
    with older_smaller_machine():
        second_score, second_printed = grade(course)

    assert first_printed[-1] == [f"cores: {cores} isa: None\n"]
    assert second_printed[-1] == ["cores: 1 isa: SSE41\n"]
    assert first_score.auto_score == first_score.max_auto_score, "the reference has full marks"
    assert second_score.cells == first_score.cells
    parameters = first_printed[-2][0]
    assert parameters.count("0x") > 20, f"the scratch cell printed the parameters: {parameters}"
    assert second_printed[:-1] == first_printed[:-1]
