"""The grading kernel forgets each test cell's source once it has run
(coursekit.integrity.kernel_hygiene).

Real kernels: autograde's own Execute step runs a notebook whose last cell, a student's,
prints everything IPython remembers of the cells before it, reversed (so that no output line
quotes a test as written). With the hygiene on, no secret of the tests reaches that output;
with it off (the control), every one does. The tests' own outputs and scores are unchanged.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import nbformat
import pytest
from helpers.course import nbgrader_cell, python_notebook
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils

from coursekit.integrity.kernel_hygiene import PLACEHOLDER, digests_of_tests, hygiene_code
from coursekit.steps.execution import ContainedExecute

# A student's cell that prints, reversed, what the kernel keeps of earlier cells.
READER = r"""
import linecache, sys
shell = get_ipython()
history = shell.history_manager
kept = [str(list(In)), str(_ih), _i, _ii, _iii]
kept += [str(v) for k, v in globals().items() if k.startswith("_i")]
kept += ["".join(entry[2]) for entry in list(linecache.cache.values())]
kept += [str(row) for row in history.get_range(output=False)]
kept += [str(getattr(history, "exceptions", "")), str(getattr(history, "outputs", ""))]
kept += [str(shell._last_traceback), str(shell.last_execution_result.info.raw_cell)]
tb = sys.last_traceback
while tb is not None:
    kept += [str(c) for c in tb.tb_frame.f_code.co_consts]
    tb = tb.tb_next
print("\n".join(kept)[::-1])
""".strip()
# An IPython hook the student registered before the tests: it prints each cell it sees.
HOOK = (
    "def show(result):\n    print(str(result.info.raw_cell)[::-1])\n\n"
    "get_ipython().events.register('post_run_cell', show)"
)


def leaky_notebook(secret: str) -> NotebookNode:
    """A passing and a failing test with secrets in hidden lines, a hook before, a reader after."""
    return python_notebook(
        [
            nbgrader_cell("code", "import math", "setup", locked=True),
            nbgrader_cell("code", HOOK, "hook_answer", solution=True),
            nbgrader_cell(
                "code",
                "assert math.sqrt(4) == 2\n### BEGIN HIDDEN TESTS\n"
                f"# {secret}-comment\nassert math.sqrt(9) == 3\n### END HIDDEN TESTS",
                "passes",
                grade=True,
                points=1,
            ),
            nbgrader_cell(
                "code",
                "assert True\n### BEGIN HIDDEN TESTS\n"
                f"kept = '{secret}-constant'\nassert math.sqrt(9) == 4, 'wrong root'\n"
                "### END HIDDEN TESTS",
                "fails",
                grade=True,
                points=1,
            ),
            nbgrader_cell("code", READER, "reader_answer", solution=True),
        ]
    )


def execute(nb: NotebookNode, folder: Path, forget: bool) -> NotebookNode:
    """nb run by autograde's Execute step in a plain Jupyter kernel (the hygiene is the
    kernel's own IPython, whichever kernelspec)."""
    executor = ContainedExecute(kernel_name="python3", timeout=60, forget_test_sources=forget)
    executor.preprocess(nb, {"metadata": {"path": str(folder)}})
    return nb


def kinds(cell: NotebookNode) -> list[str]:
    """The cell's output types but streams."""
    return [o.output_type for o in cell.outputs if o.output_type != "stream"]


def outputs_text(cell: NotebookNode) -> str:
    return "".join(o.get("text", "") + str(o.get("evalue", "")) for o in cell.outputs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[str, NotebookNode]]:
    """The notebook executed with the hygiene on and off, each with a secret of its own."""
    found = {}
    for forget in (True, False):
        secret = f"SECRET{secrets.token_hex(6)}"
        folder = tmp_path_factory.mktemp(f"hygiene-{forget}")
        found[forget] = (secret, execute(leaky_notebook(secret), folder, forget))
    return found


def student_outputs(nb: NotebookNode) -> str:
    """What the student's own cells printed (the hook's and the reader's)."""
    return "".join(outputs_text(c) for c in nb.cells if not nbgrader_utils.is_grade(c))


@pytest.mark.slow
def test_without_the_hygiene_a_later_cell_reads_every_secret_of_the_tests(runs) -> None:
    secret, nb = runs[False]
    printed = student_outputs(nb)[::-1]
    assert f"{secret}-comment" in printed
    assert f"{secret}-constant" in printed


@pytest.mark.slow
def test_with_the_hygiene_no_secret_reaches_a_later_cell_or_a_hook(runs) -> None:
    # The hook is detached after its own cell, the later cell reads placeholders.
    secret, nb = runs[True]
    printed = student_outputs(nb)
    assert secret not in printed and secret not in printed[::-1]
    assert PLACEHOLDER in printed[::-1]  # the history holds the placeholder instead


@pytest.mark.slow
def test_the_tests_outputs_scores_and_counts_are_unchanged(runs) -> None:
    _, with_hygiene = runs[True]
    _, without = runs[False]
    for on, off in zip(with_hygiene.cells, without.cells, strict=True):
        assert on.get("execution_count") == off.get("execution_count")
        if nbgrader_utils.is_grade(on):
            assert nbgrader_utils.determine_grade(on) == nbgrader_utils.determine_grade(off)
            # The same errors and results (streams differ: the student's hook, detached after
            # its own cell with the hygiene on, prints into every later cell without it).
            assert kinds(on) == kinds(off)
    counts = [c.execution_count for c in with_hygiene.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # the hygiene ran silently, uncounted


def test_only_autograded_test_cells_are_forgotten() -> None:
    nb = leaky_notebook("x")
    tests = [c.source for c in nb.cells if nbgrader_utils.is_grade(c)]
    assert len(digests_of_tests(nb)) == len(tests) == 2
    code = hygiene_code(digests_of_tests(nb))
    compile(code, "<hygiene>", "exec")
    assert all(source not in code for source in tests)  # digests only, never the sources


def test_a_notebook_with_no_tests_has_no_digests() -> None:
    nb = python_notebook([nbformat.v4.new_code_cell("print(1 + 1)")])
    assert digests_of_tests(nb) == []


# A student's cell that installs every IPython-level way to skip, hide or rewrite a test.
RIGGING = r"""
import sys
shell = get_ipython()
shell.input_transformers_cleanup.append(lambda lines: [l for l in lines if "assert" not in l])
shell.ast_transformers.append(type("Drop", (__import__("ast").NodeTransformer,), {})())
shell.set_custom_exc((AssertionError,), lambda *args, **kwargs: None)
shell.events.register("post_run_cell", lambda result: setattr(result, "error_in_exec", None))
sys.settrace(lambda *args: None)
""".strip()


def rigged_notebook() -> NotebookNode:
    """A rigging cell, then a test that must fail, then a plot (the inline backend's hook)."""
    return python_notebook(
        [
            nbgrader_cell("code", "%load_ext autoreload\n%autoreload 2", "setup", locked=True),
            nbgrader_cell("code", RIGGING, "rigging_answer", solution=True),
            nbgrader_cell(
                "code", "assert 1 + 1 == 3, 'arithmetic'", "must_fail", grade=True, points=1
            ),
            nbgrader_cell(
                "code",
                "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
                "plot_answer",
                solution=True,
            ),
        ]
    )


@pytest.fixture(scope="module")
def rigged(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, NotebookNode]:
    """The rigged notebook executed with the hygiene on and off."""
    return {
        forget: execute(rigged_notebook(), tmp_path_factory.mktemp(f"rigged-{forget}"), forget)
        for forget in (True, False)
    }


def cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.slow
def test_without_the_hygiene_the_students_hooks_pass_a_failing_test(rigged) -> None:
    test = cell(rigged[False], "must_fail")
    assert nbgrader_utils.determine_grade(test)[0] == 1  # stock: the rigging works


@pytest.mark.slow
def test_the_students_hooks_are_detached_after_their_cell(rigged) -> None:
    test = cell(rigged[True], "must_fail")
    assert nbgrader_utils.determine_grade(test)[0] == 0
    assert [o.ename for o in test.outputs if o.output_type == "error"] == ["AssertionError"]


@pytest.mark.slow
def test_library_hooks_stay_plots_still_show(rigged) -> None:
    for forget in (True, False):
        plot = cell(rigged[forget], "plot_answer")
        assert any("image/png" in o.get("data", {}) for o in plot.outputs), forget
        setup = cell(rigged[forget], "setup")
        assert not [o for o in setup.outputs if o.output_type == "error"]
