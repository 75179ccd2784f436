"""Checks that the hidden tests really ran, which do not take the student's kernel at its word.

Two autograde steps around nbgrader's Execute (c.Autograde.autograde_preprocessors):

- `ArmVerdictChecks`, before it, works on the copy autograde executes (never source/ or
  release/): it appends to each test cell a check that prints a fresh random marker only if
  the cell ran to its end and `assert` and NumPy's comparisons still work there, and it appends
  known-answer probe cells after the notebook: comparisons with random inputs that must fail.
- `CheckVerdicts`, after it, reads the executed cells. A test cell that shows neither an error
  nor its own marker exactly once (its error swallowed, its code rewritten, its output
  suppressed), shows another cell's marker, or a result output it did not produce scores 0:
  an error output `VerdictNotTrustworthy` goes first in the cell, which nbgrader's grading
  reads first. If a probe did not fail as it must, every test cell of the notebook scores 0.
  Then the cells get their own source back and the probes go, so the graded notebook and the
  feedback show the instructor's tests as they are; what was found is kept in the notebook's
  metadata (VERDICTS_KEY) for `course autograde` and `course report`.

The markers and probe answers live only in this process (nbconvert's resources). What this
does not guarantee, and the sounder design, are in docs/verdicts.md.
"""

from __future__ import annotations

import ast
import copy
import random
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from coursekit.core import cells
from coursekit.integrity import fingerprints
from coursekit.integrity.types import Suspicion, SuspicionKind

VERDICT_ERROR = "VerdictNotTrustworthy"  # the ename of the error output that zeroes a cell
RESOURCES_KEY = "coursekit_verdicts"  # where ArmVerdictChecks leaves its secrets for the check
VERDICTS_KEY = "coursekit_verdicts"  # notebook metadata: what the check found, for the reports
MARKER_PREFIX = "coursekit-verdict-"
MARKER = re.compile(re.escape(MARKER_PREFIX) + r"([0-9a-f]{32})")
MARKER_LINE = re.compile(MARKER.pattern + r"\n?")
SECURE = random.SystemRandom()  # the student's code must not be able to predict any of this


@dataclass(frozen=True)
class ArmedCell:
    """A test cell as armed: its position, original source and completion marker."""

    index: int
    grade_id: str
    source: str
    marker: str
    shows_value: bool  # the test ends in an expression whose value nbgrader may read


@dataclass(frozen=True)
class Probe:
    """A known-answer cell after the notebook: it must raise AssertionError(token)."""

    index: int
    what: str  # the comparison it makes, which must come out false
    token: str
    marker: str  # printed only if the comparison wrongly passed


@dataclass(frozen=True)
class Armed:
    """Everything CheckVerdicts needs to judge one executed notebook (kept in the grader)."""

    cells: tuple[ArmedCell, ...]
    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class Finding:
    """What the check found: a cell whose verdict is not trusted (cell None: the notebook)."""

    cell: int | None
    grade_id: str | None
    detail: str
    zeroed: bool
    flagged: bool = True  # False: a note for the log only (probes a dead kernel never ran)


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
        f"        print({marker!r})\n"
    )


def armed_source(source: str, marker: str) -> tuple[str, bool]:
    """The test's source with the completion check after it (its displayed value kept)."""
    split = split_last_expression(source)
    check = completion_check(marker)
    if split is None:
        return source + "\n" + check, False
    before, expression, after = split
    name = f"_verdict_value_{secrets.token_hex(4)}"
    return f"{before}{name} = ({expression}){after}\n{check}{name}\n", True


def must_fail(condition: str, token: str) -> str:
    """A probe body: an assert whose condition is false, with the token as its message."""
    return f"assert {condition}, {token!r}\n"


def probe_sources(uses_numpy: bool, called: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """(the comparison, token, code that must raise AssertionError(token)), shuffled; called:
    the builtin names the tests call."""
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
        found.append((what, token, must_fail(condition, token)))
    if uses_numpy:
        token = secrets.token_hex(8)
        testing = (
            "try:\n"
            f"    np.testing.assert_allclose({xs}, {ys})\n"
            "except AssertionError:\n"
            f"    raise AssertionError({token!r}) from None\n"
        )
        found.append((f"np.testing.assert_allclose({xs}, {ys})", token, testing))
    token = secrets.token_hex(8)
    found.append(
        ("the check that no library function was replaced", token, provenance_check(token, called))
    )
    token = secrets.token_hex(8)
    found.append(
        (
            "the check that no class of the notebook equals, or is close to, anything",
            token,
            rigged_check(token),
        )
    )
    SECURE.shuffle(found)
    return found


# Kernel-side code of the provenance probe: every function found on a module the notebook
# imported (one level of its submodules, and the classes of its own package), and on builtins,
# must come from that library, not from the notebook (`__module__ == "__main__"`): this is
# what `np.allclose = lambda ...`, `keras.Model.count_params = ...` or `builtins.abs = ...`
# leave behind, whatever the tests later call.
PROVENANCE = """
def {walk}():
    # Builtins from their module, not the user's globals (`from numpy import *` rebinds some).
    from builtins import Exception, getattr, globals, isinstance, list, set, sorted, str, type, vars
    import builtins, types, warnings
    warnings.simplefilter("ignore")  # reading deprecated attributes warns; restored below
    roots = {{id(builtins): ("builtins", builtins)}}
    for name, value in list(globals().items()):
        if isinstance(value, types.ModuleType) and value.__name__ != "__main__":
            roots.setdefault(id(value), (name, value))
    changed = set()
    for label, module in roots.values():
        try:
            package = module.__name__.split(".")[0]
            owners = [(label, module)] + [
                (label + "." + k, v) for k, v in list(vars(module).items())
                if isinstance(v, types.ModuleType) and v.__name__.split(".")[0] == package
            ]
            for where, owner in owners:
                for key, value in list(vars(owner).items()):
                    places = [(where + "." + key, value)]
                    home = value.__dict__.get("__module__") if isinstance(value, type) else None
                    if str(home).split(".")[0] == package:
                        places += [(f"{{where}}.{{key}}.{{k}}", v) for k, v in vars(value).items()]
                    for place, item in places:
                        if isinstance(item, (staticmethod, classmethod, types.MethodType)):
                            item = item.__func__
                        elif isinstance(item, property):
                            item = item.fget
                        if isinstance(item, types.FunctionType) and item.__module__ == "__main__":
                            changed.add(place)
        except Exception:
            continue  # an odd module is not evidence: the other probes still run
    # Names compared with the grader's untouched interpreter (coursekit.integrity.fingerprints): a
    # built-in put in the place of another leaves no function of the notebook's behind.
    import sys
    expected, versions = {table}, {versions}
    for label in {modules}:
        module = builtins if label == "builtins" else sys.modules.get(label)
        version = sys.version if label == "builtins" else getattr(
            sys.modules.get("numpy"), "__version__", None
        )
        if version != versions[label]:
            continue  # another interpreter or NumPy than the grader's: nothing to compare
        for key, value in list(vars(module).items()) if module is not None else ():
            want = expected.get(label + "." + key)
            if want is not None and {fingerprint}(value) != want:
                changed.add(label + "." + key + " (now " + ".".join({fingerprint}(value)[2:]) + ")")
    for name in {called} if sys.version == versions["builtins"] else ():
        if name not in globals():
            continue
        now = {fingerprint}(globals()[name])
        if now != expected.get("builtins." + name) and (
            now[1] in {kinds} or now[0] in {type_homes} or now[2] in {homes}
        ):
            changed.add(name + ", which the tests call (the notebook bound it to "
                        + ".".join(now[2:]) + ")")
    return sorted(changed)
import warnings as {walk}_warnings
with {walk}_warnings.catch_warnings():
    {found} = {walk}()
del {walk}, {walk}_warnings, {fingerprint}
raise AssertionError({token!r} if not {found} else "replaced: " + ", ".join({found}[:8]))
"""


def provenance_check(token: str, called: Sequence[str] = ()) -> str:
    """A probe body that raises AssertionError(token) only if no library function was replaced
    and no builtin the tests call (`called`) is hidden by another built-in thing."""
    fingerprint = f"_verdict_{secrets.token_hex(4)}"
    names = {
        "walk": f"_verdict_{secrets.token_hex(4)}",
        "found": f"_verdict_{secrets.token_hex(4)}",
        "fingerprint": fingerprint,
        "table": repr(dict(fingerprints.library_fingerprints())),
        "versions": repr(dict(fingerprints.library_versions())),
        "modules": repr(fingerprints.MODULES),
        "called": repr(list(called)),
        "kinds": repr(set(fingerprints.BUILTIN_KINDS)),
        "homes": repr(set(fingerprints.BUILTIN_HOMES)),
        "type_homes": repr(set(fingerprints.BUILTIN_HOMES - {"builtins"})),
    }
    code = fingerprints.FINGERPRINT.replace("def fingerprint(", f"def {fingerprint}(")
    return code.lstrip("\n") + PROVENANCE.format(token=token, **names).lstrip("\n")


# Kernel-side code of the rigged-comparison probe: a class the notebook defined whose __eq__
# says yes (or __ne__ says no) to a fresh object of a class it cannot know is rigged, the
# way `__eq__ = lambda self, other: True` passes `assert answer == expected`; so is one whose
# ordering or arithmetic gives any answer at all for that stranger, the way `__sub__` that
# returns 0 passes `abs(answer - expected) < tol`. Called on an instance made without
# __init__: an honest method uses fields it then lacks (an AttributeError), converts the
# stranger (a TypeError) or returns NotImplemented, as dataclasses do. The classes: those its
# globals name or hold instances of, and every live class the notebook made (object's
# subclasses, walked), so that one built inside a function is found too.
RIGGED = """
def {walk}():
    # Builtins from their module, not the user's globals (`from numpy import *` rebinds bool).
    from builtins import (
        Exception, NotImplemented, bool, getattr, globals, id, isinstance, list, object, set,
        sorted, type,
    )
    stranger = type("{stranger}", (), {{}})()
    says = {{"__eq__": True, "__ne__": False}}
    operators = (
        "__lt__", "__le__", "__gt__", "__ge__", "__add__", "__radd__", "__sub__", "__rsub__",
        "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__",
        "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
    )
    classes, stack = {{}}, [object]
    while stack:
        for sub in type.__subclasses__(stack.pop()):
            if id(sub) not in classes:
                classes[id(sub)] = sub
                stack.append(sub)
    for value in list(globals().values()):
        for cls in ([value] if isinstance(value, type) else [type(value)]):
            classes.setdefault(id(cls), cls)
    rigged = []
    for cls in classes.values():
        if getattr(cls, "__module__", None) != "__main__" or cls is type(None):
            continue
        for method in (*says, *operators):
            function = cls.__dict__.get(method)
            if function is None:
                continue
            me = None
            for make in (lambda: cls.__new__(cls), lambda: object.__new__(cls)):
                try:
                    me = make()  # an int subclass needs int.__new__, a plain class object's
                    break
                except Exception:
                    continue
            try:
                answer = function(me, stranger)
            except Exception:
                continue
            if answer is NotImplemented:
                continue
            if method not in says or bool(answer) is says[method]:
                rigged.append(cls.__qualname__ + "." + method)
    return sorted(set(rigged))
{found} = {walk}()
del {walk}
raise AssertionError(
    {token!r} if not {found} else "rigged comparisons or arithmetic: " + ", ".join({found}[:8])
)
"""


def rigged_check(token: str) -> str:
    """A probe body raising AssertionError(token) only if no notebook class equals anything or
    does arithmetic with anything."""
    names = {
        "walk": f"_verdict_{secrets.token_hex(4)}",
        "found": f"_verdict_{secrets.token_hex(4)}",
        "stranger": f"C{secrets.token_hex(6)}",
    }
    return RIGGED.format(token=token, **names).lstrip("\n")


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
    lines.append(f"print({marker!r})")
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
    for index, cell in enumerate(armed_nb.cells):
        # A cell magic's body may not be Python (%%bash): such a test is left as it is.
        if cells.is_autograded_test(cell) and not cells.cell_source(cell).lstrip().startswith("%%"):
            marker = new_marker()
            original = cells.cell_source(cell)
            cell.source, shows_value = armed_source(original, marker)
            armed.append(
                ArmedCell(index, cells.grade_id(cell) or "", original, marker, shows_value)
            )
    if not armed:
        return armed_nb, Armed((), ())
    tests = [cells.cell_source(c) for c in nb.cells if cells.is_autograded_test(c)]
    found = probe_sources(uses_numpy(nb), fingerprints.builtins_called(tests))
    marker, index = new_marker(), len(armed_nb.cells)
    source = probe_cell_source([(token, body) for _, token, body in found], marker)
    armed_nb.cells.append(nbformat.v4.new_code_cell(source))
    probes = tuple(Probe(index, what, token, marker) for what, token, _ in found)
    return armed_nb, Armed(tuple(armed), probes)


def stdout_text(cell: NotebookNode) -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def decisive_output(cell: NotebookNode) -> NotebookNode | None:
    """The output nbgrader's determine_grade decides by: the first error, stderr or result."""
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind in ("error", "execute_result") or (
            kind == "stream" and output.get("name") == "stderr"
        ):
            return output
    return None


def distrust_reasons(cell: NotebookNode, armed: ArmedCell, owner: Mapping[str, str]) -> list[str]:
    """Why the verdict of one executed test cell cannot be trusted ([] if it can)."""
    outputs = cell.get("outputs", [])
    markers = MARKER.findall(stdout_text(cell))
    own = sum(MARKER_PREFIX + m == armed.marker for m in markers)
    foreign = sorted(
        {owner.get(MARKER_PREFIX + m, "an unknown cell") for m in markers} - {armed.grade_id}
    )
    errors = [o for o in outputs if o.get("output_type") == "error"]
    results = [o for o in outputs if o.get("output_type") == "execute_result"]
    reasons = []
    if foreign:
        reasons.append(f"it shows the completion marker of {', '.join(foreign)}")
    if own > 1:
        reasons.append(f"its completion marker appeared {own} times")
    if not errors and own == 0:
        reasons.append(
            "it shows neither an error nor the marker it prints when it runs to its end "
            "(an error swallowed, its code rewritten or its output suppressed)"
        )
    if len(results) > int(armed.shows_value):
        reasons.append(
            "it shows a result (nbgrader reads it as partial credit) the test never produced"
        )
    decisive = decisive_output(cell)
    if errors and decisive is not None and decisive.get("output_type") == "execute_result":
        reasons.append("a result output came before its error")
    return reasons


def verdict_error(detail: str) -> NotebookNode:
    """The error output that makes nbgrader score a test cell 0, saying why."""
    evalue = (
        f"the grader could not confirm this test's verdict: {detail}. Scored 0, flagged for a TA."
    )
    return nbformat.v4.new_output(
        "error", ename=VERDICT_ERROR, evalue=evalue, traceback=[f"{VERDICT_ERROR}: {evalue}"]
    )


def probe_failure(cell: NotebookNode, probe: Probe) -> str | None:
    """Why one probe did not fail as it must; None if it did ('' : its cell never ran)."""
    outputs = cell.get("outputs", [])
    if not outputs and cell.get("execution_count") is None:
        return ""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if probe.marker in stdout_text(cell):
        return "the known-answer checks ran past their end"
    if not errors:
        return "the known-answer checks showed no failure"
    first = errors[0]
    if first.get("ename") != "AssertionError":
        return f"the known-answer checks raised {first.get('ename')} instead of failing"
    raised = str(first.get("evalue", "")).split("\n")
    if probe.token in raised:
        return None
    told = [line for line in raised if line and not re.fullmatch(r"[0-9a-f]{16}", line)]
    return f"{probe.what} did not fail" + "".join(f"; {line[:200]}" for line in told)


def strip_markers(cell: NotebookNode) -> None:
    """Remove completion markers (and streams left empty) from a cell's outputs."""
    if "outputs" not in cell:
        return  # markdown and raw cells have none (and must not get any)
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and MARKER.search(output.get("text", "")):
            output["text"] = MARKER_LINE.sub("", output["text"])
            if not output["text"]:
                continue
        kept.append(output)
    cell["outputs"] = kept


def check_notebook(nb: NotebookNode, armed: Armed) -> list[Finding]:
    """Judge an executed armed notebook in place: zero untrusted tests, restore, report."""
    owner = {a.marker: a.grade_id for a in armed.cells}
    findings: list[Finding] = []
    probe_cells = {p.index for p in armed.probes}
    failed_probes: list[str] = []
    unrun = 0
    for probe in armed.probes:
        why = probe_failure(nb.cells[probe.index], probe) if probe.index < len(nb.cells) else ""
        if why == "":
            unrun += 1
        elif why is not None and why not in failed_probes:
            failed_probes.append(why)
    by_index = {a.index: a for a in armed.cells}
    for index, cell in enumerate(nb.cells):
        if index in probe_cells:
            continue
        reasons = []
        if index in by_index:
            reasons = distrust_reasons(cell, by_index[index], owner)
            if failed_probes:
                reasons.append(
                    "the known-answer checks after the notebook failed ("
                    + "; ".join(failed_probes)
                    + "): the comparisons the tests rely on were changed"
                )
        elif MARKER.search(stdout_text(cell)):
            leaked = sorted(
                {owner.get(MARKER_PREFIX + m, "?") for m in MARKER.findall(stdout_text(cell))}
            )
            findings.append(
                Finding(
                    index + 1,
                    cells.grade_id(cell),
                    f"it printed the completion marker of {', '.join(leaked)}",
                    False,
                )
            )
            for a in armed.cells:
                if a.grade_id in leaked:
                    findings.append(
                        Finding(
                            a.index + 1,
                            a.grade_id,
                            f"its completion marker was printed by cell {index + 1}",
                            True,
                        )
                    )
        if reasons:
            findings.append(Finding(index + 1, cells.grade_id(cell), "; ".join(reasons), True))
    zeroed: dict[int, list[str]] = {}
    for finding in findings:
        if finding.zeroed and finding.cell is not None:
            zeroed.setdefault(finding.cell - 1, []).append(finding.detail)
    for index, details in zeroed.items():
        nb.cells[index].setdefault("outputs", []).insert(0, verdict_error("; ".join(details)))
    if unrun and not failed_probes:
        findings.append(
            Finding(
                None,
                None,
                f"{unrun} known-answer checks after the notebook did not run "
                "(the kernel ended first): each test cell's own check still applied",
                False,
                flagged=False,
            )
        )
    for a in armed.cells:
        nb.cells[a.index].source = a.source
        strip_markers(nb.cells[a.index])
    for index, cell in enumerate(nb.cells):
        if index not in by_index:
            strip_markers(cell)
    nb.cells = [cell for index, cell in enumerate(nb.cells) if index not in probe_cells]
    nb.metadata[VERDICTS_KEY] = [
        {"cell": f.cell, "grade_id": f.grade_id, "detail": f.detail, "zeroed": f.zeroed}
        for f in findings
        if f.flagged
    ]
    return findings


class ArmVerdictChecks(NbGraderPreprocessor):
    """Autograde step before Execute: completion checks in test cells, probes after them."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        """Arm the notebook autograde is about to execute."""
        armed_nb, armed = arm_notebook(nb)
        resources[RESOURCES_KEY] = armed
        return armed_nb, resources


class CheckVerdicts(NbGraderPreprocessor):
    """Autograde step after Execute: zero the tests whose verdict cannot be trusted."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        """Judge, restore and record the executed notebook (nothing to do if it was not armed)."""
        armed = resources.pop(RESOURCES_KEY, None)
        if armed is None:
            return nb, resources
        for finding in check_notebook(nb, armed):
            where = f"cell {finding.cell} ({finding.grade_id})" if finding.cell else "notebook"
            self.log.warning("Verdict check, %s: %s", where, finding.detail)
        return nb, resources


def notebook_suspicions(notebook_id: str, nb: NotebookNode) -> tuple[Suspicion, ...]:
    """The verdict findings recorded in an autograded notebook, as suspicions."""
    recorded = nb.get("metadata", {}).get(VERDICTS_KEY)
    if recorded is None:  # metadata cleared: the error outputs still say which cells
        recorded = [
            {"cell": i + 1, "grade_id": cells.grade_id(c), "detail": o.get("evalue", "")}
            for i, c in enumerate(nb.cells)
            for o in c.get("outputs", [])
            if o.get("output_type") == "error" and o.get("ename") == VERDICT_ERROR
        ]
    return tuple(
        Suspicion(
            notebook_id,
            r.get("cell"),
            r.get("grade_id"),
            None,
            SuspicionKind.UNTRUSTED_VERDICT,
            str(r.get("detail", "")),
        )
        for r in recorded
        if isinstance(r, Mapping)
    )


def autograded_suspicions(folder: Path, notebook_ids: Iterable[str]) -> tuple[Suspicion, ...]:
    """Verdict findings of each autograded notebook in folder."""
    found: list[Suspicion] = []
    for notebook_id in notebook_ids:
        path = folder / f"{notebook_id}.ipynb"
        if path.is_file():
            found.extend(notebook_suspicions(notebook_id, nbformat.read(path, as_version=4)))
    return tuple(found)
