"""Feedback keeps hidden tests out of every output, not only out of the test cells' source."""

from __future__ import annotations

import nbformat
from helpers.course import nbgrader_cell
from nbformat.v4 import new_code_cell, new_notebook, new_output

from coursekit.steps.redaction import HideHiddenTestTracebacks

HIDDEN_ASSERT = "assert add(40, 2) == 42, 'hidden add check'"
VISIBLE_ASSERT = 'assert add(1, 2) == 3, "add(1, 2)"'
TEST_SOURCE = (
    f"{VISIBLE_ASSERT}\n### BEGIN HIDDEN TESTS\n{HIDDEN_ASSERT}\nx = 1\n### END HIDDEN TESTS"
)


def graded_notebook(leak: str) -> nbformat.NotebookNode:
    """A student cell whose output is `leak`, then the test cell it ran before, failed."""
    student = new_code_cell("get_ipython().events.register('post_run_cell', show)")
    student.outputs = [new_output("stream", name="stdout", text=leak)]
    test = nbgrader_cell("code", TEST_SOURCE, "add_is_sum", grade=True, points=2)
    test.outputs = [
        new_output("stream", name="stdout", text=f"{TEST_SOURCE}\n"),
        new_output("display_data", data={"text/plain": f"'{HIDDEN_ASSERT}'"}),
        new_output(
            "error",
            ename="AssertionError",
            evalue="hidden add check",
            traceback=["----", f"----> 3 {HIDDEN_ASSERT}", "AssertionError: hidden add check"],
        ),
    ]
    return new_notebook(cells=[student, test])


def redact(nb: nbformat.NotebookNode, **options: object) -> nbformat.NotebookNode:
    # As nbconvert runs a step: called, so that `enabled` applies.
    redacted, _ = HideHiddenTestTracebacks(**options)(nb, {})
    return redacted


def test_an_output_quoting_a_hidden_line_loses_that_line_only() -> None:
    leak = f"cell ran:\n{TEST_SOURCE}\nall done\n"
    redacted = redact(graded_notebook(leak))
    student_text = redacted.cells[0].outputs[0].text
    assert HIDDEN_ASSERT not in student_text
    assert student_text.splitlines() == [
        "cell ran:",
        VISIBLE_ASSERT,  # visible to the student anyway
        "### BEGIN HIDDEN TESTS",
        HideHiddenTestTracebacks().removed,
        "x = 1",  # too short to say anything of the test
        "### END HIDDEN TESTS",
        "all done",
    ]


def test_no_output_of_a_test_cell_quotes_it_and_its_message_stays() -> None:
    redacted = redact(graded_notebook("nothing\n"))
    test = redacted.cells[1]
    text = "".join(
        str(output.get("text", ""))
        + str(output.get("data", ""))
        + "".join(output.get("traceback", []))
        for output in test.outputs
    )
    assert HIDDEN_ASSERT not in text
    error = test.outputs[-1]
    assert (error.ename, error.evalue) == ("AssertionError", "hidden add check")


def test_disabled_for_show_hidden_tests_it_changes_nothing() -> None:
    nb = graded_notebook(f"{TEST_SOURCE}\n")
    before = nbformat.writes(nb)
    assert nbformat.writes(redact(nb, enabled=False)) == before


def test_hidden_markers_typed_into_an_answer_do_not_break_it() -> None:
    nb = graded_notebook(f"{TEST_SOURCE}\n")
    written = nbgrader_cell(
        "markdown", "I saw ### BEGIN HIDDEN TESTS here", "why", grade=True, solution=True, points=1
    )
    nb.cells.insert(0, written)
    redacted = redact(nb)
    assert HIDDEN_ASSERT not in redacted.cells[1].outputs[0].text
