"""What exercise 0 (TensorFlow) in particular promises; the conventions of every notebook are
checked in test_notebooks_static, its grading behaviour in test_grading_variants.
"""

from __future__ import annotations

import re
from pathlib import Path

from helpers.lecture import autograded_tests, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_0_tensorflow"
CALIBRATION = Path(__file__).resolve().parents[1] / "docs" / f"calibration_{NOTEBOOK_ID}.md"
TOLERANCE_LINE = re.compile(r"^\s*([A-Z_]*TOL) = ([0-9.eE+-]+)", re.MULTILINE)


def test_every_task_is_tested() -> None:
    tested = {cells.grade_id(cell) for cell in autograded_tests(NOTEBOOK_ID)}
    assert tested == {
        "simulate_fall_updates_variables_in_place",
        "channel_means_subtracted",
        "mean_squared_error_matches_numpy",
        "mean_squared_error_runs_in_tensorflow",
        "loss_uniform_close_to_one_twelfth",
    }


def test_written_answers_cover_the_euler_error_and_one_twelfth() -> None:
    written = {cells.grade_id(c) for c in source(NOTEBOOK_ID).cells if cells.is_written_answer(c)}
    assert written == {"answer_euler_step_error", "answer_one_twelfth"}


def test_the_graph_check_runs_the_function_in_tf_function_with_tensorflow_logging_silenced() -> (
    None
):
    """The task text promises tf.function; a retracing warning on stderr would fail the cell."""
    (cell,) = [
        c for c in autograded_tests(NOTEBOOK_ID) if "runs_in_tensorflow" in cells.grade_id(c)
    ]
    assert "tf.function(mean_squared_error)" in cell.source
    assert 'setLevel("ERROR")' in cell.source and "finally:" in cell.source


def test_calibration_report_shows_every_tolerance_with_its_current_value() -> None:
    """docs/ must not go stale: each *_TOL of the notebook appears there with today's value."""
    report = CALIBRATION.read_text()
    tolerances = {
        name: float(value)
        for cell in autograded_tests(NOTEBOOK_ID)
        for name, value in TOLERANCE_LINE.findall(cell.source)
    }
    assert len(tolerances) == 7
    missing = [name for name, value in tolerances.items() if f"`{name} = {value:g}`" not in report]
    assert missing == [], "rerun benchmarks/calibrate.py lecture1 exercise_0_tensorflow into docs/"
