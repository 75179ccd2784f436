"""Autograde caps each output's characters: a 30 MB line is not kept whole, grades unchanged."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader import utils as nbgrader_utils

from coursekit.steps.output_limits import LimitOutputCharacters

LIMIT = 1000


def cell_with(*outputs) -> object:
    cell = new_code_cell("print('x' * 30_000_000)")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False}
    cell.outputs = list(outputs)
    return cell


def capped(cell):
    """The cell after the step, called as nbgrader's autograde calls each of its steps."""
    nb, _ = LimitOutputCharacters(max_characters=LIMIT)(new_notebook(cells=[cell]), {})
    return nb.cells[0]


def test_a_huge_line_is_cut_and_the_cut_said() -> None:
    cell = capped(cell_with(new_output("stream", name="stdout", text="x" * 3_000_000 + "\n")))
    text = cell.outputs[0].text
    assert len(text) < LIMIT + 100
    assert text.startswith("x" * LIMIT) and "3000001" not in text
    assert text.endswith(f"{3_000_001 - LIMIT} more characters ...")


def test_results_and_error_messages_are_cut_too() -> None:
    cell = capped(
        cell_with(
            new_output("execute_result", data={"text/plain": "y" * 5000}, execution_count=1),
            new_output("error", ename="E", evalue="z" * 5000, traceback=["w" * 5000]),
        )
    )
    result, error = cell.outputs
    assert len(result.data["text/plain"]) < LIMIT + 100
    assert len(error.evalue) < LIMIT + 100 and len(error.traceback[0]) < LIMIT + 100


def test_short_outputs_are_untouched() -> None:
    output = new_output("stream", name="stdout", text="ok\n")
    assert capped(cell_with(output)).outputs[0].text == "ok\n"


def test_grades_are_the_same_cut_or_not() -> None:
    """nbgrader reads errors and stderr streams: cutting keeps every output and its kind."""
    for outputs in (
        [new_output("stream", name="stdout", text="x" * 5000)],
        [new_output("stream", name="stderr", text="x" * 5000)],
        [new_output("error", ename="AssertionError", evalue="m" * 5000, traceback=[])],
    ):
        before = nbgrader_utils.determine_grade(cell_with(*outputs))
        after = nbgrader_utils.determine_grade(capped(cell_with(*outputs)))
        assert before == after
