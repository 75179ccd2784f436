"""Arming the verdict checks: what goes into the notebook autograde is about to execute.

Works on the copy autograde executes (never source/ or release/): each test cell gets a check
appended that prints a fresh random marker only if the cell ran to its end and `assert` and
NumPy's comparisons still work there, and one cell of known-answer probes goes after the
notebook: comparisons with random inputs that must fail, and two probes whose code lives in
coursekit.integrity.in_kernel (provenance.py: a library function replaced from the notebook;
rigged.py: a class of the notebook rigged to equal anything). The markers and probe answers
stay in the grader (`Armed`), for coursekit.integrity.verdict_judging to read the executed
notebook by.

The few lines appended to each test cell and the probes' comparisons are written here, with
fresh random literals: an `assert` must be in the cell's own code to show that `assert` works
there. What this does not guarantee, and the sounder design, are in docs/verdicts.md.
"""

from __future__ import annotations

import ast
import copy
import random
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.integrity import fingerprints, in_kernel

VERDICTS_KEY = "coursekit_verdicts"  # notebook metadata: what the check found, for the reports
MARKER_PREFIX = "coursekit-verdict-"
MARKER = re.compile(re.escape(MARKER_PREFIX) + r"([0-9a-f]{32})")
MARKER_LINE = re.compile(MARKER.pattern + r"\n?")
# A test's line naming the rigged methods it concerns (in_kernel/rigged.py, watch_rigged).
TOUCH_PREFIX = "coursekit-touched-"
TOUCH = re.compile(re.escape(TOUCH_PREFIX) + r"([0-9a-f]{32}) ([^\n]*)")
TOUCH_LINE = re.compile(TOUCH.pattern + r"\n?")
SECURE = random.SystemRandom()  # the student's code must not be able to predict any of this


@dataclass(frozen=True)
class ArmedCell:
    """A test cell as armed: its position, original source and completion marker."""

    index: int
    grade_id: str
    source: str
    marker: str
    shows_value: bool  # the test ends in an expression whose value nbgrader may read
    touch: str = ""  # the marker of its line naming the rigged methods it concerns


@dataclass(frozen=True)
class Probe:
    """A known-answer cell after the notebook: it must raise AssertionError(token)."""

    index: int
    what: str  # the comparison it makes, which must come out false
    token: str
    marker: str  # printed only if the comparison wrongly passed
    # Which tests its failure concerns: "passing" (every test that passed) or "rigged" (the
    # passing tests whose touch line names a rigged method).
    scope: str = "passing"


@dataclass(frozen=True)
class Armed:
    """Everything the judging needs to read one executed notebook by (kept in the grader)."""

    cells: tuple[ArmedCell, ...]
    probes: tuple[Probe, ...]
    # Code the executing step runs silently before each armed test cell (coursekit.steps.
    # execution.ContainedExecute): the watch that lets a test's end name only what it used.
    before_test: str = ""


def new_marker() -> str:
    """A marker nobody can guess: 128 random bits."""
    return MARKER_PREFIX + secrets.token_hex(16)


def random_floats(count: int) -> list[float]:
    return [round(SECURE.uniform(-100, 100), 6) for _ in range(count)]


def byte_offset_to_index(line: str, offset: int) -> int:
    """ast's column offsets count UTF-8 bytes; a str index counts characters."""
    return len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def split_last_expression(source: str) -> tuple[str, str, str] | None:
    """(before, expression, after) when the cell ends in an expression IPython would display."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None  # IPython syntax or an error: nbgrader reads no value from it either way
    if not tree.body or not isinstance(tree.body[-1], ast.Expr) or source.rstrip().endswith(";"):
        return None
    node = tree.body[-1]
    lines = source.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    assert node.end_lineno is not None and node.end_col_offset is not None
    begin = starts[node.lineno - 1] + byte_offset_to_index(lines[node.lineno - 1], node.col_offset)
    end = starts[node.end_lineno - 1] + byte_offset_to_index(
        lines[node.end_lineno - 1], node.end_col_offset
    )
    return source[:begin], source[begin:end], source[end:]


# The markers are printed with their newline in one write: print's own newline is a second
# write, which the kernel may send as a stream message of its own (seen under load), and a lone
# "\n" was then left in the graded cell once the marker was stripped.


def completion_check(marker: str) -> str:
    """Code that prints marker only if `assert` and NumPy's comparisons still behave."""
    left, right = SECURE.sample(range(10**6), 2)
    token = secrets.token_hex(8)
    caught = f"_verdict_{secrets.token_hex(4)}"
    xs = random_floats(3)
    ys = [x + SECURE.uniform(1, 50) for x in xs]
    # A list, not any(...): `from numpy import *` in a student's cell binds any to np.any,
    # for which a generator is always true.
    numpy_lies = (
        f"[m for m in (__import__('sys').modules.get('numpy'), globals().get('np')) "
        f"if m is not None and getattr(m, 'allclose', lambda *_: False)({xs}, {ys})]"
    )
    return (
        "\n# The grader's check that this test ran to its end (in the graded copy only).\n"
        "try:\n"
        f"    assert {left} == {right}, {token!r}\n"
        f"except AssertionError as {caught}:\n"
        f"    if {caught}.args == ({token!r},) and not {numpy_lies}:\n"
        f"        print({marker + chr(10)!r}, end='')\n"
    )


def watch_code(touch: str, stranger: str, registry: str) -> str:
    """Code that prints touch and the rigged methods the test concerns (in_kernel.rigged); with
    touch '', the watch before a test, which prints nothing."""
    return in_kernel.call_code("rigged", "watch_rigged", [stranger, registry, touch])


def armed_source(source: str, marker: str, watch: str = "") -> tuple[str, bool]:
    """The test's source with the completion check and the watch after it (its displayed value
    kept). The watch goes last: a failing line's traceback quotes the 3 lines after it, which
    are then the check's first lines, never the watch's long ones."""
    split = split_last_expression(source)
    check = completion_check(marker) + watch
    if split is None:
        return source + "\n" + check, False
    before, expression, after = split
    name = f"_verdict_value_{secrets.token_hex(4)}"
    return f"{before}{name} = ({expression}){after}\n{check}{name}\n", True


def must_fail(condition: str, token: str) -> str:
    """A probe body: an assert whose condition is false, with the token as its message."""
    return f"assert {condition}, {token!r}\n"


def probe_sources(uses_numpy: bool, called: Sequence[str] = ()) -> list[tuple[str, str, str, str]]:
    """(the comparison, token, code that must raise AssertionError(token), the scope of its
    failure: Probe.scope), shuffled; called: the builtin names the tests call."""
    a, b = SECURE.sample(range(10**6), 2)
    x, gap = SECURE.uniform(-100, 100), SECURE.uniform(1, 50)
    xs = random_floats(4)
    ys = [v + SECURE.uniform(1, 50) * SECURE.choice((-1, 1)) for v in xs]
    ints = [SECURE.randint(-50, 50) for _ in range(SECURE.randint(2, 9))]
    other = [*ints[:-1], ints[-1] + SECURE.randint(1, 9)]
    conditions = [
        (f"assert {a} == {b}", f"{a} == {b}"),
        (f"assert abs({x!r} - {x + gap!r}) <= 0.5", f"abs({x!r} - {x + gap!r}) <= 0.5"),
        (f"assert isinstance({a}, str)", f"isinstance({a}, str)"),
    ]
    if uses_numpy:
        conditions += [
            (f"np.allclose({xs}, {ys})", f"np.allclose(np.array({xs}), np.array({ys}))"),
            (f"np.isclose({x!r}, {x + gap!r})", f"np.isclose({x!r}, {x + gap!r})"),
            (f"np.array_equal({ints}, {other})", f"np.array_equal({ints}, {other})"),
            (
                f"np.max(np.abs(a - b)) <= 0.5 for a = {xs}, b = {ys}",
                f"np.max(np.abs(np.array({xs}) - np.array({ys}))) <= 0.5",
            ),
        ]
    found = []
    for what, condition in conditions:
        token = secrets.token_hex(8)
        found.append((what, token, must_fail(condition, token), "passing"))
    if uses_numpy:
        token = secrets.token_hex(8)
        testing = (
            "try:\n"
            f"    np.testing.assert_allclose({xs}, {ys})\n"
            "except AssertionError:\n"
            f"    raise AssertionError({token!r}) from None\n"
        )
        found.append((f"np.testing.assert_allclose({xs}, {ys})", token, testing, "passing"))
    token = secrets.token_hex(8)
    found.append(
        (
            "the check that no library function was replaced",
            token,
            provenance_check(token, called),
            "passing",
        )
    )
    token = secrets.token_hex(8)
    found.append(
        (
            "the check that no class of the notebook equals, or is close to, anything",
            token,
            rigged_check(token),
            "rigged",
        )
    )
    SECURE.shuffle(found)
    return found


def provenance_arguments(called: Sequence[str] = ()) -> list[object]:
    """The grader's data for in_kernel.provenance.replaced_names, after the namespace."""
    return [
        dict(fingerprints.library_fingerprints()),
        dict(fingerprints.library_versions()),
        list(fingerprints.MODULES),
        list(called),
        sorted(fingerprints.BUILTIN_KINDS),
        sorted(fingerprints.BUILTIN_HOMES),
        sorted(fingerprints.BUILTIN_HOMES - {"builtins"}),  # the homes of a value's type
    ]


def provenance_check(token: str, called: Sequence[str] = ()) -> str:
    """A probe body that raises AssertionError(token) only if no library function was replaced
    and no builtin the tests call (`called`) is hidden by another built-in thing."""
    found = in_kernel.private_name()
    arguments = provenance_arguments(called)
    return in_kernel.call_code("provenance", "replaced_names", arguments, found) + (
        f"raise AssertionError({token!r} if not {found} else "
        f"'replaced: ' + ', '.join({found}[:8]))\n"
    )


def rigged_check(token: str) -> str:
    """A probe body raising AssertionError(token) only if no notebook class equals anything or
    does arithmetic with anything."""
    found, stranger = in_kernel.private_name(), f"C{secrets.token_hex(6)}"
    return in_kernel.call_code("rigged", "rigged_classes", [stranger], found) + (
        f"raise AssertionError({token!r} if not {found} else "
        f"'rigged comparisons or arithmetic: ' + ', '.join({found}[:8]))\n"
    )


def probe_cell_source(bodies: list[tuple[str, str]], marker: str) -> str:
    """One cell running every probe body (each must raise AssertionError(token)), then raising
    AssertionError with what each raised, one per line; marker only if that raise is skipped.

    One cell, not one per probe: a cell costs the kernel 0.1-0.5 s however little it does.
    """
    seen, caught = f"_verdict_{secrets.token_hex(4)}", f"_verdict_{secrets.token_hex(4)}"
    lines = ["# The grader's known-answer checks (in the graded copy only).", f"{seen} = []"]
    for _, body in bodies:
        lines.append("try:")
        lines.extend("    " + line for line in body.rstrip("\n").split("\n"))
        lines.append(f"except AssertionError as {caught}:")
        lines.append(f"    {seen}.append(str({caught}))")
    lines.append(f"raise AssertionError('\\n'.join({seen}))")
    lines.append(f"print({marker + chr(10)!r}, end='')")
    return "\n".join(lines) + "\n"


def uses_numpy(nb: NotebookNode) -> bool:
    """Whether the notebook's tests call NumPy by its usual name."""
    return any(
        re.search(r"\bnp\.", cells.cell_source(cell))
        for cell in nb.cells
        if cells.is_autograded_test(cell)
    )


def arm_notebook(nb: NotebookNode) -> tuple[NotebookNode, Armed]:
    """A copy of nb with completion checks in its test cells and probes after it."""
    armed_nb = copy.deepcopy(nb)
    armed_nb.metadata.pop(VERDICTS_KEY, None)  # a submitted notebook's own claim counts for nothing
    armed: list[ArmedCell] = []
    stranger, registry = f"C{secrets.token_hex(6)}", in_kernel.private_name()
    for index, cell in enumerate(armed_nb.cells):
        # A cell magic's body may not be Python (%%bash): such a test is left as it is.
        if cells.is_autograded_test(cell) and not cells.cell_source(cell).lstrip().startswith("%%"):
            marker, touch = new_marker(), TOUCH_PREFIX + secrets.token_hex(16)
            original = cells.cell_source(cell)
            watch = watch_code(touch, stranger, registry)
            cell.source, shows_value = armed_source(original, marker, watch)
            armed.append(
                ArmedCell(index, cells.grade_id(cell) or "", original, marker, shows_value, touch)
            )
    if not armed:
        return armed_nb, Armed((), ())
    tests = [cells.cell_source(c) for c in nb.cells if cells.is_autograded_test(c)]
    found = probe_sources(uses_numpy(nb), fingerprints.builtins_called(tests))
    marker, index = new_marker(), len(armed_nb.cells)
    source = probe_cell_source([(token, body) for _, token, body, _ in found], marker)
    armed_nb.cells.append(nbformat.v4.new_code_cell(source))
    probes = tuple(Probe(index, what, token, marker, scope) for what, token, _, scope in found)
    return armed_nb, Armed(tuple(armed), probes, watch_code("", stranger, registry))
