"""What exercise 1.2 in particular promises; the conventions of every notebook are checked in
test_notebooks_static.
"""

from __future__ import annotations

from helpers.lecture import autograded_tests, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_1_2_linear_regression"


def test_every_task_is_tested() -> None:
    assert len(autograded_tests(NOTEBOOK_ID)) >= 5


def test_written_answers_cover_uncertainty_and_input_dimension() -> None:
    written = {cells.grade_id(c) for c in source(NOTEBOOK_ID).cells if cells.is_written_answer(c)}
    assert written >= {"answer_uncertainty", "answer_input_dimension"}
