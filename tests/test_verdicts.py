"""Verdict checks: a test counts only if it provably ran to its end and the comparisons still work.

Fast tests run the armed notebook cell by cell with exec() in this process (what a faithful
kernel records); the slow ones grade real submissions with real kernels and nbgrader.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import io
import shutil
import sys
import types
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from helpers.course import (
    REPO_ROOT,
    TINY_ASSIGNMENT,
    TINY_NOTEBOOK,
    autograded_test_points,
    read_notebook,
    tiny_source_notebook,
    write_tiny_course,
)
from helpers.notebooks import edit_cell, reference_notebook
from nbformat import NotebookNode

from coursekit.authoring import cohort
from coursekit.cli.render import render_autograde
from coursekit.core import cells
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, StudentOutcome
from coursekit.integrity import fingerprints
from coursekit.integrity.types import SuspicionKind
from coursekit.integrity.verdict_arming import (
    MARKER,
    TOUCH_PREFIX,
    VERDICTS_KEY,
    Armed,
    arm_notebook,
    completion_check,
    split_last_expression,
)
from coursekit.integrity.verdict_judging import (
    VERDICT_ERROR,
    check_notebook,
    held_for_review,
    notebook_suspicions,
    strip_markers,
)
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.report import build_report
from coursekit.reporting.types import FlagKind

Hook = Callable[[int, NotebookNode, list[NotebookNode]], list[NotebookNode]]


def stream(text: str, name: str = "stdout") -> NotebookNode:
    return nbformat.v4.new_output("stream", name=name, text=text)


def run_in_process(
    nb: NotebookNode,
    namespace: dict | None = None,
    hook: Hook | None = None,
    before: dict[int, str] | None = None,
) -> None:
    """Run each code cell with exec() in one namespace, recording outputs as a kernel does.

    hook(index, cell, outputs) may change what is recorded: a compromised kernel's report.
    before: code run (silently, as ContainedExecute does) before the cell of that index.
    """
    namespace = {} if namespace is None else namespace
    # Classes an earlier test's notebook made would still be alive in this process (a kernel
    # is a fresh one): the verdict probes walk every live class.
    gc.collect()
    for count, (index, cell) in enumerate(
        ((i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"), start=1
    ):
        if before and index in before:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(before[index], namespace)
        printed = io.StringIO()
        outputs: list[NotebookNode] = []
        error = None
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(cells.cell_source(cell), f"<cell {index}>", "exec"), namespace)
        except Exception as raised:  # what a kernel reports as the cell's error
            error = nbformat.v4.new_output(
                "error", ename=type(raised).__name__, evalue=str(raised), traceback=[]
            )
        if printed.getvalue():
            outputs.append(stream(printed.getvalue()))
        if error is not None:
            outputs.append(error)
        cell.outputs = hook(index, cell, outputs) if hook else outputs
        cell.execution_count = count


def answered(add: str = "def add(a, b):\n    return a + b") -> NotebookNode:
    """The tiny notebook with its reference answers, add replaced if given."""
    nb = tiny_source_notebook()
    for cell in nb.cells:
        if cells.grade_id(cell) == "add_answer":
            cell.source = add
    return nb


def scores(nb: NotebookNode) -> dict[str, float | None]:
    return {gid: score for gid, (score, _) in nbgrader_api.grade_cell_scores(nb).items()}


def full_marks(nb: NotebookNode) -> dict[str, float]:
    return autograded_test_points(nb)


def graded(
    nb: NotebookNode, namespace: dict | None = None, hook: Hook | None = None
) -> tuple[NotebookNode, list]:
    """Arm, run in process, check: the notebook as nbgrader would score it, and the findings."""
    armed_nb, armed = arm_notebook(nb)
    before = {test.index: armed.before_test for test in armed.cells}
    run_in_process(armed_nb, namespace, hook, before)
    return armed_nb, check_notebook(armed_nb, armed)


def test_arming_leaves_the_given_notebook_alone_and_the_check_restores_every_source() -> None:
    nb = answered()
    before = copy.deepcopy(nb)
    armed_nb, armed = arm_notebook(nb)
    assert nb == before
    tests = [c for c in armed_nb.cells if cells.is_autograded_test(c)]
    assert len(armed.cells) == len(tests) == 2
    assert all(a.marker in cells.cell_source(armed_nb.cells[a.index]) for a in armed.cells)
    assert len(armed_nb.cells) == len(nb.cells) + 1  # one cell of probes
    assert len({p.index for p in armed.probes}) == 1 and len(armed.probes) >= 4
    run_in_process(armed_nb)
    check_notebook(armed_nb, armed)
    assert [cells.cell_source(c) for c in armed_nb.cells] == [
        cells.cell_source(c) for c in before.cells
    ]
    assert not any(MARKER.search(str(c.get("outputs", ""))) for c in armed_nb.cells)
    assert all("outputs" not in c for c in armed_nb.cells if c.cell_type != "code")
    nbformat.validate(armed_nb)


def test_a_notebook_without_tests_gets_no_probes() -> None:
    nb = answered()
    nb.cells = [c for c in nb.cells if not cells.is_autograded_test(c)]
    armed_nb, armed = arm_notebook(nb)
    assert armed == Armed((), ()) and armed_nb.cells == nb.cells


def test_markers_and_probes_differ_on_every_run() -> None:
    _, first = arm_notebook(answered())
    _, second = arm_notebook(answered())
    assert {a.marker for a in first.cells}.isdisjoint(a.marker for a in second.cells)
    assert {p.token for p in first.probes}.isdisjoint(p.token for p in second.probes)


def test_correct_answers_keep_full_marks_and_raise_no_finding() -> None:
    nb, findings = graded(answered())
    assert findings == []
    assert {gid: scores(nb)[gid] for gid in full_marks(nb)} == full_marks(nb)
    assert nb.metadata[VERDICTS_KEY] == []


def test_a_failing_test_keeps_its_own_error_and_raises_no_finding() -> None:
    nb, findings = graded(answered("def add(a, b):\n    return a - b"))
    assert findings == []
    assert scores(nb)["add_is_sum"] == 0
    add_test = next(c for c in nb.cells if cells.grade_id(c) == "add_is_sum")
    assert [o.ename for o in add_test.outputs if o.output_type == "error"] == ["AssertionError"]


def swallow_errors(index: int, cell: NotebookNode, outputs: list[NotebookNode]) -> list:
    """A kernel that shows no error of a test cell (as IPython's set_custom_exc can)."""
    if not cells.is_autograded_test(cell):
        return outputs
    return [o for o in outputs if o.output_type != "error"]


def test_a_swallowed_error_scores_zero_and_is_flagged() -> None:
    nb, findings = graded(answered("def add(a, b):\n    return a - b"), hook=swallow_errors)
    assert scores(nb)["add_is_sum"] == 0
    assert [f.grade_id for f in findings if f.zeroed] == ["add_is_sum"]
    assert "neither an error nor the marker" in findings[0].detail
    (suspicion,) = notebook_suspicions("arith", nb)
    assert suspicion.kind is SuspicionKind.UNTRUSTED_VERDICT and suspicion.grade_id == "add_is_sum"
    assert scores(nb)["square_is_power"] == full_marks(nb)["square_is_power"]


def test_without_the_check_the_same_swallowed_error_gets_full_marks() -> None:
    nb = answered("def add(a, b):\n    return a - b")
    run_in_process(nb, hook=swallow_errors)
    assert scores(nb)["add_is_sum"] == full_marks(nb)["add_is_sum"]  # stock nbgrader's verdict


def fake_numpy(**rigged: Callable) -> types.SimpleNamespace:
    """A NumPy whose named functions are replaced, as `np.allclose = lambda *a: True` does."""
    import numpy

    fake = types.SimpleNamespace(
        **{name: getattr(numpy, name) for name in dir(numpy) if not name.startswith("__")}
    )
    for name, function in rigged.items():
        setattr(fake, name, function)
    return fake


def square_notebook(test: str, answer: str) -> NotebookNode:
    """The tiny notebook with its square test and square answer replaced."""
    nb = answered()
    for cell in nb.cells:
        if cells.grade_id(cell) == "square_is_power":
            cell.source = test
        if cells.grade_id(cell) == "square_answer":
            cell.source = answer
    return nb


def numpy_test_notebook() -> NotebookNode:
    """The tiny notebook with a test that compares by np.allclose, square answered wrong."""
    return square_notebook(
        "assert np.allclose(square(3), 9), 'square(3)'",
        "def square(x):\n    return x + 1",  # square(3) is 4
    )


def assert_cheats_stock_but_zeroed(nb: NotebookNode, detail: str) -> None:
    """nb gets full marks for square without the checks, and with them every test scores 0
    with a finding that says detail."""
    stock = copy.deepcopy(nb)
    run_in_process(stock, {"__name__": "__main__"})
    assert scores(stock)["square_is_power"] == full_marks(stock)["square_is_power"]
    checked, findings = graded(nb, {"__name__": "__main__"})
    assert all(score == 0 for gid, score in scores(checked).items() if gid in full_marks(checked))
    assert findings and all(detail in f.detail for f in findings if f.zeroed)


def test_a_rigged_allclose_zeroes_every_test_of_the_notebook() -> None:
    # as if a cell of the student had run `np.allclose = lambda *a, **k: True`
    namespace = {"np": fake_numpy(allclose=lambda *a, **k: True)}
    nb, findings = graded(numpy_test_notebook(), namespace)
    assert all(score == 0 for gid, score in scores(nb).items() if gid in full_marks(nb))
    assert {f.grade_id for f in findings if f.zeroed} == set(full_marks(nb))
    assert all("np.allclose" in f.detail for f in findings if f.zeroed)


def first_error(nb: NotebookNode, grade_id: str) -> NotebookNode:
    cell = next(c for c in nb.cells if cells.grade_id(c) == grade_id)
    return next(o for o in cell.outputs if o.output_type == "error")


def test_rigged_comparisons_hold_passing_tests_for_review_and_leave_failed_ones_failed() -> None:
    # add is wrong (its test fails on its own); square is wrong too, but the rigged
    # np.allclose makes its test pass: only that one has points at stake.
    nb = numpy_test_notebook()
    nb = edit_cell(nb, "add_answer", "def add(a, b):\n    return a - b")
    nb, findings = graded(nb, {"np": fake_numpy(allclose=lambda *a, **k: True)})
    assert (scores(nb)["add_is_sum"], scores(nb)["square_is_power"]) == (0, 0)
    assert first_error(nb, "add_is_sum").ename == "AssertionError"  # its own verdict stands
    (held,) = [f for f in findings if f.needs_review]
    square_points = full_marks(nb)["square_is_power"]
    assert (held.grade_id, held.review_points, held.max_points) == (
        "square_is_power",
        square_points,
        square_points,
    )
    assert not any(f.grade_id == "add_is_sum" for f in findings)
    told = first_error(nb, "square_is_power")
    assert told.ename == VERDICT_ERROR
    assert f"it would have earned {square_points:g} of {square_points:g} points" in told.evalue
    assert held_for_review(nb.cells[held.cell - 1]) == square_points
    (suspicion,) = notebook_suspicions("arith", nb)
    assert (suspicion.review_points, suspicion.max_points) == (square_points, square_points)
    del nb.metadata[VERDICTS_KEY]  # read back from the error output alone
    (suspicion,) = notebook_suspicions("arith", nb)
    assert (suspicion.review_points, suspicion.max_points) == (square_points, square_points)


def test_rigged_comparisons_in_a_notebook_whose_tests_all_failed_are_said_once() -> None:
    nb = numpy_test_notebook()
    nb = edit_cell(nb, "add_answer", "def add(a, b):\n    return a - b")
    nb = edit_cell(nb, "square_is_power", "assert np.array_equal(square(3), 9), 'square(3)'")
    nb, findings = graded(nb, {"np": fake_numpy(allclose=lambda *a, **k: True)})
    assert {scores(nb)[gid] for gid in full_marks(nb)} == {0}
    (finding,) = findings
    assert finding.cell is None and not finding.zeroed and not finding.needs_review
    assert "no passing test relied" in finding.detail and "np.allclose" in finding.detail


def test_the_same_rigged_allclose_passes_without_the_check() -> None:
    nb = numpy_test_notebook()
    run_in_process(nb, {"np": fake_numpy(allclose=lambda *a, **k: True)})
    assert scores(nb)["square_is_power"] == full_marks(nb)["square_is_power"]


def test_a_library_function_replaced_from_the_notebook_zeroes_every_test() -> None:
    library = types.ModuleType("fakelib")
    exec(
        "def scale(x):\n    return 2 * x\nclass Model:\n    def count(self):\n        return 3",
        vars(library),
    )
    nb = answered()
    nb.cells.insert(1, nbformat.v4.new_code_cell("fakelib.Model.count = lambda self: 8"))
    nb, findings = graded(nb, {"__name__": "__main__", "fakelib": library})
    assert {f.grade_id for f in findings if f.zeroed} == set(full_marks(nb))
    assert all("fakelib.Model.count" in f.detail for f in findings if f.zeroed)


def tolerance_test_notebook(answer: str) -> NotebookNode:
    """The tiny notebook whose square test compares within a tolerance, square answered."""
    # The result kept in a global, as tests do: a rigged class that nothing holds any more
    # may be collected before the probes run (and escape them).
    return square_notebook("got = square(3)\nassert abs(got - 9) < 1e-9, 'square(3)'", answer)


RIGGED_ARITHMETIC = {  # an answer for square, and the rigged method its test uses
    "a class whose differences are zero": (
        "class Near:\n    def __sub__(self, other):\n        return 0.0\n\n"
        "def square(x):\n    return Near()",
        "Near.__sub__",
    ),
    "a float subclass built inside the function": (
        "def square(x):\n"
        "    near = type('near', (float,), {'__sub__': lambda s, o: 0.0})\n"
        "    return near(x + 1)",
        "near.__sub__",
    ),
    "ordering that never disagrees": (
        "class Level(float):\n    def __lt__(self, other):\n        return False\n\n"
        "    __gt__ = __lt__\n\ndef square(x):\n    return Level(x + 1)",
        "Level.__lt__",
    ),
}


@pytest.mark.parametrize("case", RIGGED_ARITHMETIC.values(), ids=RIGGED_ARITHMETIC.keys())
def test_rigged_arithmetic_holds_for_review_only_the_test_that_used_it(
    case: tuple[str, str],
) -> None:
    answer, method = case
    nb = tolerance_test_notebook(answer)
    if "__lt__" in answer:  # a test that compares by ordering instead
        nb = square_notebook("got = square(3)\nassert not got < 9 and not got > 9", answer)
    stock = copy.deepcopy(nb)
    run_in_process(stock, {"__name__": "__main__"})
    assert scores(stock)["square_is_power"] == full_marks(stock)["square_is_power"]  # cheated
    checked, findings = graded(nb, {"__name__": "__main__"})
    assert scores(checked)["square_is_power"] == 0
    assert scores(checked)["add_is_sum"] == full_marks(checked)["add_is_sum"]  # untouched
    (held,) = [f for f in findings if f.needs_review]
    assert held.grade_id == "square_is_power" and method in held.detail
    assert held.review_points == full_marks(checked)["square_is_power"]
    assert not MARKER.search(nbformat.writes(checked)) and TOUCH_PREFIX not in nbformat.writes(
        checked
    )


ALWAYS_EQUAL_ADD = (
    "class Anything:\n    def __eq__(self, other):\n        return True\n\n\n"
    "def add(a, b):\n    return Anything()\n"
)


def test_a_rigged_method_called_by_a_later_test_holds_that_test_too() -> None:
    # The first test after the class finds it (and wraps it); the second is held because it
    # called it (its counter moved), not because the class turned up.
    nb = square_notebook("assert add(1, 1) == 2, 'add again'", "def square(x):\n    return x * x")
    nb = edit_cell(nb, "add_answer", ALWAYS_EQUAL_ADD)
    checked, findings = graded(nb, {"__name__": "__main__"})
    held = {f.grade_id: f.detail for f in findings if f.needs_review}
    assert set(held) == {"add_is_sum", "square_is_power"}
    assert all("Anything.__eq__" in detail for detail in held.values())


def test_a_rigged_class_no_test_used_is_flagged_once_and_costs_nothing() -> None:
    nb = edit_cell(answered(), "add_answer", "def add(a, b):\n    return a + b\n\n" + (
        "class Unused:\n    def __eq__(self, other):\n        return True\n\n"
        "kept = Unused()\n"
    ))  # fmt: skip
    checked, findings = graded(nb, {"__name__": "__main__"})
    assert {gid: scores(checked)[gid] for gid in full_marks(checked)} == full_marks(checked)
    (finding,) = findings  # said once, for the notebook; every test keeps its verdict
    assert finding.cell is None and not finding.zeroed and finding.flagged
    assert "Unused.__eq__" in finding.detail and "no passing test relied" in finding.detail


def test_the_watch_keeps_an_honest_class_s_prints_out_of_the_test() -> None:
    chatty = (
        "class Loud:\n"
        "    def __init__(self, value):\n        self.value = value\n"
        "    def __eq__(self, other):\n"
        "        print('comparing')\n"
        "        return isinstance(other, Loud) and self.value == other.value\n\n"
        "kept = Loud(1)\n\n"
        "def add(a, b):\n    return a + b\n"
    )
    checked, findings = graded(
        edit_cell(answered(), "add_answer", chatty), {"__name__": "__main__"}
    )
    assert findings == []
    assert not any("comparing" in str(c.get("outputs", "")) for c in checked.cells)


HONEST_CLASSES = {
    "a dataclass with ordering": (
        "import dataclasses\n\n@dataclasses.dataclass(order=True)\nclass Box:\n"
        "    side: float\n\ndef square(x):\n    return Box(x).side ** 2"
    ),
    "a vector with arithmetic on its fields": (
        "class Vector:\n    def __init__(self, *xs):\n        self.xs = xs\n"
        "    def __sub__(self, other):\n"
        "        return Vector(*(a - b for a, b in zip(self.xs, other.xs)))\n"
        "    def __mul__(self, k):\n        if not isinstance(k, (int, float)):\n"
        "            return NotImplemented\n        return Vector(*(a * k for a in self.xs))\n\n"
        "def square(x):\n    return (Vector(x) * x).xs[0]"
    ),
    "a class whose equality compares its state with the other's": (
        "class Side:\n    def __init__(self, x):\n        self.x = x\n"
        "    def __eq__(self, other):\n        return self.__dict__ == other.__dict__\n\n"
        "def square(x):\n    return Side(x).x ** 2"
    ),
}


@pytest.mark.parametrize("answer", HONEST_CLASSES.values(), ids=HONEST_CLASSES.keys())
def test_honest_classes_with_operators_keep_full_marks(answer: str) -> None:
    nb, findings = graded(tolerance_test_notebook(answer), {"__name__": "__main__"})
    assert findings == []
    assert scores(nb) == {**scores(nb), **full_marks(nb)}


ALL_TEST = (
    "got = square([1, 2])\nassert len(got) == 2 and all(g == v * v for g, v in zip(got, [1, 2]))"
)
WRONG_SQUARES = "def square(xs):\n    return [x + 1 for x in xs]"  # [2, 3]: wrong


# `builtins.all = bool` itself cannot run in this process (nbformat's validation calls all):
# the adversarial suite's rebind_builtins_to_c_functions grades it in a real kernel.


def test_a_global_hiding_a_called_builtin_with_another_builtin_zeroes_every_test() -> None:
    nb = square_notebook(ALL_TEST, "all = bool\n\n" + WRONG_SQUARES)
    assert_cheats_stock_but_zeroed(nb, "all, which the tests call")


def test_a_kernel_of_another_python_compares_no_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    # A kernelspec of another environment: its builtins are not the grader's, so none of them
    # counts as replaced (the other probes still apply).
    versions = {**fingerprints.library_versions(), "builtins": "another Python"}
    monkeypatch.setattr(fingerprints, "library_versions", lambda: versions)
    nb = square_notebook(ALL_TEST, "all = bool\n\n" + WRONG_SQUARES)
    checked, findings = graded(nb, {"__name__": "__main__"})
    assert findings == []
    assert scores(checked)["square_is_power"] == full_marks(checked)["square_is_power"]


@pytest.mark.parametrize(
    ("shadow", "test_passes"),
    [
        ("from numpy import *", True),
        ("def len(xs):\n    return sum(1 for _ in xs)", True),
        ("all = [True]", False),  # the test fails calling it: honestly, its own error
    ],
    ids=["numpy star import", "the student's own function", "a value"],
)
def test_honest_shadows_of_builtins_are_left_to_the_code_scan(
    shadow: str, test_passes: bool
) -> None:
    right = shadow + "\n\ndef square(xs):\n    return [x * x for x in xs]"
    checked, findings = graded(square_notebook(ALL_TEST, right), {"__name__": "__main__"})
    assert findings == []
    points = full_marks(checked)["square_is_power"]
    assert scores(checked)["square_is_power"] == (points if test_passes else 0)


def replay_marker() -> Hook:
    """A kernel that shows the first test's marker again in the second test cell."""
    seen = []

    def hook(index: int, cell: NotebookNode, outputs: list) -> list:
        seen.extend(MARKER.findall(str(outputs)))
        if cells.grade_id(cell) == "square_is_power":
            return [stream(f"coursekit-verdict-{seen[0]}\n")]
        return outputs

    return hook


def test_a_marker_in_the_wrong_cell_is_flagged() -> None:
    nb = answered()
    for cell in nb.cells:
        if cells.grade_id(cell) == "square_answer":
            cell.source = "def square(x):\n    return x + 1"
    nb, findings = graded(nb, hook=replay_marker())
    assert scores(nb)["square_is_power"] == 0
    assert any("completion marker of add_is_sum" in f.detail for f in findings)


def duplicate_marker(index: int, cell: NotebookNode, outputs: list) -> list:
    return outputs + [o for o in outputs if MARKER.search(str(o))]


def test_a_duplicated_marker_is_flagged() -> None:
    nb, findings = graded(answered(), hook=duplicate_marker)
    assert {f.grade_id for f in findings if f.zeroed} >= set(full_marks(nb))
    assert all("appeared 2 times" in f.detail for f in findings if f.zeroed)


def forged_partial_credit(index: int, cell: NotebookNode, outputs: list) -> list:
    """A kernel that sends a result before the cell's error (nbgrader reads the first)."""
    if cells.grade_id(cell) == "add_is_sum":
        result = nbformat.v4.new_output("execute_result", data={"text/plain": "2"})
        return [result, *outputs]
    return outputs


def test_a_result_before_an_error_cannot_buy_partial_credit() -> None:
    nb, findings = graded(answered("def add(a, b):\n    return a - b"), hook=forged_partial_credit)
    assert scores(nb)["add_is_sum"] == 0
    assert any("result" in f.detail for f in findings if f.grade_id == "add_is_sum")


def test_a_probe_that_passes_zeroes_every_test() -> None:
    def rig_probes(index: int, cell: NotebookNode, outputs: list) -> list:
        return [] if "known-answer" in cells.cell_source(cell) else outputs

    nb, findings = graded(answered(), hook=rig_probes)
    assert all(score == 0 for gid, score in scores(nb).items() if gid in full_marks(nb))
    assert all("known-answer checks after the notebook failed" in f.detail for f in findings)


def test_probes_that_never_ran_are_noted_but_zero_nothing() -> None:
    nb = answered()
    armed_nb, armed = arm_notebook(nb)
    run_in_process(armed_nb)
    for probe in armed.probes:
        armed_nb.cells[probe.index].outputs = []
        armed_nb.cells[probe.index].execution_count = None
    findings = check_notebook(armed_nb, armed)
    assert [(f.zeroed, f.flagged) for f in findings] == [(False, False)]
    assert "did not run" in findings[0].detail
    assert notebook_suspicions("arith", armed_nb) == ()  # a note for the log, not a flag
    assert {gid: scores(armed_nb)[gid] for gid in full_marks(nb)} == full_marks(nb)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("assert True\n0.5", "0.5"),
        ("x = 1; x * 2  # a comment", "x * 2"),
        ('"""Only a docstring: IPython shows it."""', '"""Only a docstring: IPython shows it."""'),
        ("assert True\n0.5;", None),
        ("%time x = 1\nx", None),
        ("y = 'é' + 'ü'; y", "y"),
    ],
)
def test_a_test_ending_in_an_expression_keeps_showing_its_value(
    source: str, shown: str | None
) -> None:
    split = split_last_expression(source)
    assert (split[1] if split else None) == shown
    if split:
        assert "".join(split) == source


def test_a_test_cell_value_still_reaches_nbgrader_as_partial_credit() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    nb = answered()
    test = next(c for c in nb.cells if cells.grade_id(c) == "add_is_sum")
    test.source = "assert add(1, 2) == 3\n0.5"
    armed_nb, _ = arm_notebook(nb)
    source = cells.cell_source(next(c for c in armed_nb.cells if cells.grade_id(c) == "add_is_sum"))
    shell = InteractiveShell.instance()
    try:
        shell.run_cell("def add(a, b):\n    return a + b", store_history=False)
        result = shell.run_cell(source, store_history=False)
    finally:
        InteractiveShell.clear_instance()
    assert result.success and result.result == 0.5


def test_a_notebook_without_recorded_verdicts_is_read_from_its_error_outputs() -> None:
    nb, _ = graded(answered("def add(a, b):\n    return a - b"), hook=swallow_errors)
    del nb.metadata[VERDICTS_KEY]
    (suspicion,) = notebook_suspicions("arith", nb)
    assert suspicion.grade_id == "add_is_sum" and suspicion.cell is not None
    assert any(o.get("ename") == VERDICT_ERROR for c in nb.cells for o in c.get("outputs", []))


def test_a_submitted_notebook_cannot_bring_its_own_verdicts() -> None:
    nb = answered()
    nb.metadata[VERDICTS_KEY] = [{"cell": 1, "grade_id": "x", "detail": "planted", "zeroed": False}]
    armed_nb, _ = arm_notebook(nb)
    assert VERDICTS_KEY not in armed_nb.metadata


@pytest.mark.parametrize("old", ["coursekit.verdicts", "coursekit.integrity.verdicts"])
def test_a_config_naming_the_old_verdict_steps_still_resolves_them(
    old: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traitlets.utils.importstring import import_item

    from coursekit.steps import verdicts as steps

    monkeypatch.delitem(sys.modules, old, raising=False)  # imported afresh: it warns
    with pytest.warns(FutureWarning, match="coursekit.compat.verdicts"):
        arm = import_item(f"{old}.ArmVerdictChecks")
    assert arm is steps.ArmVerdictChecks
    assert import_item(f"{old}.CheckVerdicts") is steps.CheckVerdicts
    assert import_item(f"{old}.arm_notebook") is arm_notebook


# --- real kernels, real nbgrader: the course's own nbgrader_config.py ----------------------

WRONG_ADD = "def add(a, b):\n    return a - b\n"
# An error hidden from nbgrader: the custom handler shows nothing, and the post_run_cell hook
# clears the error from the result, so the kernel even replies "ok". (set_custom_exc alone
# still fails the cell under stock nbgrader 0.9.6: the kernel replies "error", and nbgrader's
# Execute adds the reply's error to the cell; the "custom_exc_only" student shows it.)
HIDE_ERRORS = (
    "ip = get_ipython()\n"
    "ip.set_custom_exc((AssertionError,), lambda *args, **kwargs: None)\n"
    "ip.events.register('post_run_cell', lambda result: setattr(result, 'error_in_exec', None))\n"
)
ALWAYS_EQUAL = (
    "class Anything:\n"
    "    def __eq__(self, other):\n"
    "        return True\n\n\n"
    "def add(a, b):\n"
    "    return Anything()\n"
)
RIGGED_SQUARE = (
    "import numpy as np\n"
    "np.allclose = lambda *args, **kwargs: True\n\n\n"
    "def square(x):\n"
    "    return x + 1\n"
)
NUMPY_SQUARE_TEST = (
    '"""square squares (compared by np.allclose)."""\n'
    "import numpy as np\n"
    'assert np.allclose(square(3), 9), "square(3)"\n'
    "### BEGIN HIDDEN TESTS\n"
    'assert np.allclose(square(-7), 49), "hidden square check"\n'
    "### END HIDDEN TESTS"
)
STUDENTS = {
    "reference": {},
    "hides_errors": {"add_answer": WRONG_ADD + HIDE_ERRORS},
    "custom_exc_only": {
        "add_answer": WRONG_ADD
        + "get_ipython().set_custom_exc((AssertionError,), lambda *args, **kwargs: None)\n"
    },
    "rigged_allclose": {"square_answer": RIGGED_SQUARE},
    "always_equal": {"add_answer": ALWAYS_EQUAL},
}
VERDICT_STEPS = (
    "coursekit.steps.verdicts.ArmVerdictChecks",
    "coursekit.steps.verdicts.CheckVerdicts",
)


@dataclasses.dataclass(frozen=True)
class Graded:
    course: Course
    report: AutogradeReport
    points: dict[str, float]

    def outcome(self, student_id: str) -> StudentOutcome:
        return next(o for o in self.report.outcomes if o.student_id == student_id)

    def auto(self, student_id: str) -> dict[str, float]:
        (score,) = self.outcome(student_id).scores
        return {cell.grade_id: cell.score for cell in score.cells if cell.grade_id in self.points}

    def kinds(self, student_id: str) -> set[SuspicionKind]:
        return {s.kind for s in self.outcome(student_id).suspicions}


def grade_cohort(root: Path, with_checks: bool) -> Graded:
    """The tiny course (its square test comparing by np.allclose), the cohort, autograded."""
    write_tiny_course(root)
    if not with_checks:  # stock nbgrader's verdicts: the same steps without the checks,
        # and a kernel that keeps the student's hooks (coursekit.integrity.kernel_hygiene detaches
        # them)
        with (root / "nbgrader_config.py").open("a") as config:
            config.write(
                "\nc.Autograde.autograde_preprocessors = [step for step in "
                f"c.Autograde.autograde_preprocessors if step not in {VERDICT_STEPS!r}]\n"
                "c.ContainedExecute.forget_test_sources = False\n"
            )
    source_path = root / "source" / TINY_ASSIGNMENT / f"{TINY_NOTEBOOK}.ipynb"
    source = edit_cell(read_notebook(source_path), "square_is_power", NUMPY_SQUARE_TEST)
    nbformat.write(source, source_path)
    course = locate_course(root)
    steps = list(course.config.Autograde.autograde_preprocessors)
    assert all(step in steps for step in VERDICT_STEPS) is with_checks
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    reference = reference_notebook(course)
    for student_id, answers in STUDENTS.items():
        nb = reference
        for grade_id, code in answers.items():
            nb = edit_cell(nb, grade_id, code)
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    report = autograde_assignment(course, TINY_ASSIGNMENT)
    return Graded(course, report, autograded_test_points(source))


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    return grade_cohort(tmp_path_factory.mktemp("checked") / "course", with_checks=True)


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    return grade_cohort(tmp_path_factory.mktemp("stock") / "course", with_checks=False)


@pytest.mark.slow
def test_a_correct_submission_keeps_full_marks_and_no_flag(checked: Graded) -> None:
    assert checked.auto("reference") == checked.points
    assert checked.outcome("reference").suspicions == ()
    autograded = checked.course.autograded_dir(TINY_ASSIGNMENT, "reference")
    graded_nb = read_notebook(autograded / f"{TINY_NOTEBOOK}.ipynb")
    source = read_notebook(checked.course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    # the graded notebook shows the instructor's tests as written, and no probe
    assert [cells.cell_source(c) for c in graded_nb.cells if cells.is_autograded_test(c)] == [
        cells.cell_source(c) for c in source.cells if cells.is_autograded_test(c)
    ]
    assert len(graded_nb.cells) == len(source.cells)
    assert not MARKER.search(nbformat.writes(graded_nb))


@pytest.mark.slow
def test_hidden_errors_get_full_marks_from_stock_nbgrader(stock: Graded) -> None:
    assert stock.auto("hides_errors") == stock.points
    assert stock.auto("rigged_allclose") == stock.points
    assert stock.auto("always_equal") == stock.points
    assert stock.auto("custom_exc_only")["add_is_sum"] == 0  # the kernel's reply said "error"


@pytest.mark.slow
def test_hidden_errors_cannot_hide_and_the_hooks_are_flagged(checked: Graded) -> None:
    # The kernel detaches the hooks after the cell that set them
    # (coursekit.integrity.kernel_hygiene):
    # the wrong add fails as it should, the right square keeps its points, nothing is left
    # for the verdict checks to distrust, and the code is flagged by line for a TA.
    assert checked.auto("hides_errors") == {**checked.points, "add_is_sum": 0}
    kinds = checked.kinds("hides_errors")
    assert SuspicionKind.UNTRUSTED_VERDICT not in kinds
    assert SuspicionKind.IPYTHON_HOOK in kinds
    table = render_autograde(checked.report)
    assert "hides_errors: arith cell" in table and "(add_answer)" in table


@pytest.mark.slow
def test_a_rebound_allclose_scores_zero_and_is_flagged(checked: Graded) -> None:
    assert set(checked.auto("rigged_allclose").values()) == {0}
    assert {SuspicionKind.UNTRUSTED_VERDICT, SuspicionKind.LIBRARY_REBINDING} <= checked.kinds(
        "rigged_allclose"
    )
    (rebinding,) = [
        s
        for s in checked.outcome("rigged_allclose").suspicions
        if s.kind is SuspicionKind.LIBRARY_REBINDING
    ]
    assert (rebinding.grade_id, rebinding.line) == ("square_answer", 2)


@pytest.mark.slow
def test_an_always_equal_object_scores_zero_and_is_flagged(checked: Graded) -> None:
    # The rigged-comparison probe fails: the test that used the class needs review, the
    # square test, which never touched it, keeps its points.
    assert checked.auto("always_equal") == {**checked.points, "add_is_sum": 0}
    (held,) = checked.outcome("always_equal").under_review
    assert (held.grade_id, held.review_points) == ("add_is_sum", checked.points["add_is_sum"])
    assert SuspicionKind.UNTRUSTED_VERDICT in checked.kinds("always_equal")
    assert SuspicionKind.RIGGED_COMPARISON in checked.kinds("always_equal")
    (rigged,) = [
        s
        for s in checked.outcome("always_equal").suspicions
        if s.kind is SuspicionKind.RIGGED_COMPARISON
    ]
    assert (rigged.grade_id, rigged.line) == ("add_answer", 2)


@pytest.mark.slow
def test_the_report_lists_the_flags(checked: Graded) -> None:
    flags = build_report(checked.course, TINY_ASSIGNMENT).flags
    kinds = {(f.student_id, f.kind) for f in flags}
    assert ("hides_errors", FlagKind.SUSPICIOUS) in kinds
    assert ("rigged_allclose", FlagKind.SUSPICIOUS) in kinds
    assert ("always_equal", FlagKind.SUSPICIOUS) in kinds
    assert not any(f.student_id == "reference" for f in flags)
    assert not any(f.kind is FlagKind.ERROR and "VerdictNotTrustworthy" in f.detail for f in flags)


@pytest.mark.slow
def test_the_lecture_reference_solutions_keep_full_marks_and_raise_no_flag(
    tmp_path: Path,
) -> None:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source", root / "source")
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, "lecture1")
    sources = {
        path.stem: read_notebook(path)
        for path in sorted((root / "source" / "lecture1").glob("*.ipynb"))
    }
    reference = {
        notebook_id: cohort.fill_release(
            read_notebook(course.release_dir("lecture1") / f"{notebook_id}.ipynb"),
            cohort.solution_answers(source),
        )
        for notebook_id, source in sources.items()
    }
    cohort.write_submission(course, "lecture1", "reference", reference)
    (outcome,) = autograde_assignment(course, "lecture1").outcomes
    assert outcome.suspicions == ()
    assert {s.notebook_id: s.auto_score for s in outcome.scores} == {
        notebook_id: sum(autograded_test_points(source).values())
        for notebook_id, source in sources.items()
    }


class CountingStdout(io.StringIO):
    """A stdout that counts its non-empty writes (each may reach Jupyter as a message)."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += bool(text)
        return super().write(text)


def test_a_completion_marker_is_printed_in_one_write() -> None:
    marker = "coursekit-verdict-" + "0" * 32
    stdout = CountingStdout()
    with contextlib.redirect_stdout(stdout):
        exec(completion_check(marker), {})
    assert (stdout.getvalue(), stdout.writes) == (marker + "\n", 1)


def test_a_marker_split_from_its_newline_leaves_nothing_behind() -> None:
    # Under load the kernel may send print's text and its newline as two stream messages.
    cell = nbformat.v4.new_code_cell("assert True")
    marker = "coursekit-verdict-" + "a" * 32
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="checked\n"),
        nbformat.v4.new_output("stream", name="stdout", text=marker),
        nbformat.v4.new_output("stream", name="stdout", text="\n"),
    ]
    strip_markers(cell)
    assert [(o.name, o.text) for o in cell.outputs] == [("stdout", "checked\n")]
