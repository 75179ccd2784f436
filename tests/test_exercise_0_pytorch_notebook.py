"""What exercise 0 (PyTorch) in particular promises; the conventions of every notebook are checked
in test_notebooks_static.
"""

from __future__ import annotations

import re
from pathlib import Path

from helpers.lecture import autograded_tests, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_0_pytorch"
CALIBRATION = Path(__file__).resolve().parents[1] / "docs" / f"calibration_{NOTEBOOK_ID}.md"
TOLERANCE_LINE = re.compile(r"^\s*([A-Z_]*TOL) = ([0-9.eE+-]+)$", re.MULTILINE)


def test_every_graded_task_is_tested() -> None:
    assert {cells.grade_id(cell) for cell in autograded_tests(NOTEBOOK_ID)} == {
        "mse_matches_numpy_reference",
        "mse_keeps_autograd_graph",
        "grad_of_sum_of_squares_from_backward",
        "gradient_of_any_function_by_autograd",
        "column_means_along_dim_0",
    }


def test_written_answers_cover_shared_memory_and_accumulating_gradients() -> None:
    written = {cells.grade_id(c) for c in source(NOTEBOOK_ID).cells if cells.is_written_answer(c)}
    assert written == {"answer_shared_memory", "answer_grad_accumulates"}


def test_test_cells_silence_warnings_of_student_code() -> None:
    """A warning raised by the student's function in a test cell is stderr: nbgrader scores 0."""
    for cell in autograded_tests(NOTEBOOK_ID):
        if cells.grade_id(cell) != "grad_of_sum_of_squares_from_backward":  # calls no function
            assert 'warnings.simplefilter("ignore")' in cell.source, cells.grade_id(cell)


def test_every_tolerance_is_in_the_committed_calibration() -> None:
    """Each *_TOL of the notebook appears, with its value, in the calibration table."""
    table = CALIBRATION.read_text()
    tolerances = {
        name: value
        for cell in autograded_tests(NOTEBOOK_ID)
        for name, value in TOLERANCE_LINE.findall(cell.source)
    }
    assert len(tolerances) == 5
    for name, value in tolerances.items():
        assert f"{name} = {float(value):g}" in table, f"{name} changed: rerun the calibration"
