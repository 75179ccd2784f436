"""Judging the verdict checks: reading the executed notebook, deciding which tests need review.

After nbgrader's Execute has run a notebook armed by coursekit.integrity.verdict_arming, its
cells are read. A test has three outcomes: passed, failed, or needs review. A test cell that
shows neither an error nor its own marker exactly once (its error swallowed, its code rewritten,
its output suppressed), shows another cell's marker, or a result output it did not produce is
not trusted; if a probe did not fail as it must, no passing test of the notebook is (a rigged
comparison can only make a test pass: a test that failed keeps its failure and its verdict).
An untrusted test that would have earned points needs review: an error output
`VerdictNotTrustworthy` goes first in the cell (nbgrader's grading reads it first, so it counts
0), saying why and what it would have earned, and coursekit's SaveAutoGradesPerNotebook flags
the cell needs_manual_grade for the formgrader, where a TA's grade overrides it. Then the cells
get their own source back and the probes go, so the graded notebook and the feedback show the
instructor's tests as they are; what was found is kept in the notebook's metadata
(VERDICTS_KEY) for `course autograde`, `course report` and `course export`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.core.formatting import points
from coursekit.integrity.types import Suspicion, SuspicionKind
from coursekit.integrity.verdict_arming import (
    MARKER,
    MARKER_LINE,
    MARKER_PREFIX,
    TOUCH,
    TOUCH_LINE,
    TOUCH_PREFIX,
    VERDICTS_KEY,
    Armed,
    ArmedCell,
    Probe,
)
from coursekit.nbgrader.api import cell_grade

VERDICT_ERROR = "VerdictNotTrustworthy"  # the ename of the error output that zeroes a cell
# How the error output says what the test would have earned (read back when metadata is gone).
REVIEW_POINTS = re.compile(r"it would have earned ([0-9.]+) of ([0-9.]+) points")


@dataclass(frozen=True)
class Finding:
    """What the check found: a cell whose verdict is not trusted (cell None: the notebook)."""

    cell: int | None
    grade_id: str | None
    detail: str
    zeroed: bool
    flagged: bool = True  # False: a note for the log only (probes a dead kernel never ran)
    review_points: float | None = None  # needs review: the points the test would have earned
    max_points: float | None = None  # the test's points (set with review_points)

    @property
    def needs_review(self) -> bool:
        """Whether a TA must decide on points the test would otherwise have given."""
        return self.review_points is not None


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


def would_earn(cell: NotebookNode) -> tuple[float, float]:
    """(points, max points) nbgrader would give the executed test cell as it stands."""
    score, max_points = cell_grade(cell)
    return float(score or 0.0), float(max_points)


def verdict_error(
    detail: str, earned: float = 0.0, max_points: float | None = None
) -> NotebookNode:
    """The error output that makes nbgrader score a test cell 0, saying why and, when the test
    would have earned points, that a TA decides on them."""
    if earned > 0 and max_points is not None:
        outcome = (
            f"Needs review: it would have earned {points(earned)} of {points(max_points)} "
            "points, which count 0 until a TA decides."
        )
    else:
        outcome = "Scored 0, flagged for a TA."
    evalue = f"the grader could not confirm this test's verdict: {detail}. {outcome}"
    return nbformat.v4.new_output(
        "error", ename=VERDICT_ERROR, evalue=evalue, traceback=[f"{VERDICT_ERROR}: {evalue}"]
    )


def verdict_errors(cell: NotebookNode) -> list[NotebookNode]:
    """The error outputs the verdict checks put in a cell."""
    return [
        output
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error" and output.get("ename") == VERDICT_ERROR
    ]


def held_points(evalue: str) -> tuple[float | None, float | None]:
    """(points the test would have earned, its points) as a verdict error says them; (None, None)
    when it held nothing for review."""
    held = REVIEW_POINTS.search(evalue)
    return (float(held.group(1)), float(held.group(2))) if held else (None, None)


def held_for_review(cell: NotebookNode) -> float | None:
    """The points an executed test cell would have earned if the verdict checks held them for
    a TA's review (read from their error output), else None."""
    errors = verdict_errors(cell)
    return held_points(str(errors[0].get("evalue", "")))[0] if errors else None


def probes_failed(why: Iterable[str]) -> str:
    """The start of a reason that names the probes which did not fail as they must."""
    return "the known-answer checks after the notebook failed (" + "; ".join(why) + ")"


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


def coalesce_streams(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """outputs with each run of consecutive same-stream outputs joined into one, as Jupyter
    shows them: a marker and its newline may have arrived as two messages."""
    joined: list[NotebookNode] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and output.get("name") == previous.get("name")
        ):
            previous["text"] = previous.get("text", "") + output.get("text", "")
            continue
        joined.append(output)
    return joined


def is_marked(output: NotebookNode) -> bool:
    """Whether an output is a stream holding a completion marker or a watch line."""
    text = output.get("text", "")
    return output.get("output_type") == "stream" and bool(MARKER.search(text) or TOUCH.search(text))


def strip_markers(cell: NotebookNode) -> None:
    """Remove completion markers and watch lines (and streams left empty) from a cell's
    outputs."""
    if "outputs" not in cell:
        return  # markdown and raw cells have none (and must not get any)
    outputs = cell.get("outputs", [])
    if any(is_marked(o) for o in outputs):
        outputs = coalesce_streams(outputs)
    kept = []
    for output in outputs:
        if is_marked(output):
            output["text"] = TOUCH_LINE.sub("", MARKER_LINE.sub("", output["text"]))
            if not output["text"]:
                continue
        kept.append(output)
    cell["outputs"] = kept


@dataclass(frozen=True)
class ProbeFailures:
    """Why probes did not fail as they must (each said once), by the scope of their failure."""

    passing: tuple[str, ...] = ()  # a comparison or library changed: every passing test
    rigged: tuple[str, ...] = ()  # a rigged class: the passing tests that used it
    unrun: int = 0  # probes a dead kernel never ran

    @property
    def all(self) -> tuple[str, ...]:
        """Every failure, the changed comparisons first."""
        return (*self.passing, *self.rigged)


def failed_probes_of(nb: NotebookNode, armed: Armed) -> ProbeFailures:
    """What the probes after the notebook found."""
    failed: dict[str, list[str]] = {"passing": [], "rigged": []}
    unrun = 0
    for probe in armed.probes:
        why = probe_failure(nb.cells[probe.index], probe) if probe.index < len(nb.cells) else ""
        if why == "":
            unrun += 1
        elif why is not None and why not in failed.setdefault(probe.scope, []):
            failed[probe.scope].append(why)
    return ProbeFailures(tuple(failed["passing"]), tuple(failed["rigged"]), unrun)


def touched_methods(cell: NotebookNode, armed: ArmedCell) -> set[str]:
    """The rigged methods the test's watch line names ('?': the watch failed), if any."""
    if not armed.touch:
        return set()
    named: set[str] = set()
    for found in TOUCH.finditer(stdout_text(cell)):
        if TOUCH_PREFIX + found.group(1) == armed.touch:
            named.update(name for name in found.group(2).split(",") if name)
    return named


def rigged_reason(cell: NotebookNode, armed: ArmedCell, failures: ProbeFailures) -> str | None:
    """Why a rigged class concerns this passing test, or None: the test called a rigged method
    (or one turned up while it ran), or the watch failed where the probe found a rigged class."""
    used = touched_methods(cell, armed)
    named = sorted(used - {"?"})
    if named:
        return (
            f"it used {', '.join(named[:8])}: comparisons or arithmetic of the notebook's own "
            "that answer any object at all (a rigged comparison)"
        )
    if "?" in used and failures.rigged:
        return (
            probes_failed(failures.rigged)
            + " and the grader could not tell whether this test used those methods"
        )
    return None


def leaked_marker_findings(
    index: int, cell: NotebookNode, armed: Armed, owner: Mapping[str, str]
) -> list[Finding]:
    """A cell that is not a test printed tests' markers: it and the owners are flagged."""
    leaked = sorted({owner.get(MARKER_PREFIX + m, "?") for m in MARKER.findall(stdout_text(cell))})
    found = [
        Finding(
            index + 1,
            cells.grade_id(cell),
            f"it printed the completion marker of {', '.join(leaked)}",
            False,
        )
    ]
    found.extend(
        Finding(
            a.index + 1, a.grade_id, f"its completion marker was printed by cell {index + 1}", True
        )
        for a in armed.cells
        if a.grade_id in leaked
    )
    return found


def test_findings(nb: NotebookNode, armed: Armed, failures: ProbeFailures) -> list[Finding]:
    """The findings on the test cells and on cells that printed a test's marker.

    A failed probe concerns only tests that would earn points (a rigged comparison only makes
    tests pass; a test that failed keeps its own verdict and no finding): a changed comparison
    or library function every such test, a rigged class those that used it."""
    owner = {a.marker: a.grade_id for a in armed.cells}
    probe_cells = {p.index for p in armed.probes}
    by_index = {a.index: a for a in armed.cells}
    findings: list[Finding] = []
    for index, cell in enumerate(nb.cells):
        if index in probe_cells:
            continue
        if index not in by_index:
            if MARKER.search(stdout_text(cell)):
                findings.extend(leaked_marker_findings(index, cell, armed, owner))
            continue
        reasons = distrust_reasons(cell, by_index[index], owner)
        earned, _ = would_earn(cell)
        if failures.passing and earned > 0:
            reasons.append(
                probes_failed(failures.passing) + ": the comparisons the tests rely on were changed"
            )
        elif earned > 0 and (rigged := rigged_reason(cell, by_index[index], failures)):
            reasons.append(rigged)
        if reasons:
            findings.append(Finding(index + 1, cells.grade_id(cell), "; ".join(reasons), True))
    return findings


def zero_and_hold(nb: NotebookNode, findings: list[Finding]) -> list[Finding]:
    """Put the error output first in each untrusted test cell; the findings with the points
    each such test would have earned (held for a TA's review)."""
    details: dict[int, list[str]] = {}
    for finding in findings:
        if finding.zeroed and finding.cell is not None:
            details.setdefault(finding.cell - 1, []).append(finding.detail)
    held: dict[int, tuple[float, float]] = {}
    for index, told in details.items():
        cell = nb.cells[index]
        earned, max_points = would_earn(cell)
        cell.setdefault("outputs", []).insert(0, verdict_error("; ".join(told), earned, max_points))
        if earned > 0:
            held[index] = (earned, max_points)
    return [
        dataclasses.replace(f, review_points=held[f.cell - 1][0], max_points=held[f.cell - 1][1])
        if f.zeroed and f.cell is not None and f.cell - 1 in held
        else f
        for f in findings
    ]


def check_notebook(nb: NotebookNode, armed: Armed) -> list[Finding]:
    """Judge an executed armed notebook in place: zero untrusted tests (holding for review what
    they would have earned), restore, report."""
    failures = failed_probes_of(nb, armed)
    findings = zero_and_hold(nb, test_findings(nb, armed, failures))
    if failures.all and not any(f.zeroed for f in findings):
        findings.append(
            Finding(
                None,
                None,
                probes_failed(failures.all)
                + ": no passing test relied on what they found, so no verdict was in doubt",
                False,
            )
        )
    if failures.unrun and not failures.all:
        findings.append(
            Finding(
                None,
                None,
                f"{failures.unrun} known-answer checks after the notebook did not run "
                "(the kernel ended first): each test cell's own check still applied",
                False,
                flagged=False,
            )
        )
    probe_cells = {p.index for p in armed.probes}
    by_index = {a.index: a for a in armed.cells}
    for a in armed.cells:
        nb.cells[a.index].source = a.source
        strip_markers(nb.cells[a.index])
    for index, cell in enumerate(nb.cells):
        if index not in by_index:
            strip_markers(cell)
    nb.cells = [cell for index, cell in enumerate(nb.cells) if index not in probe_cells]
    nb.metadata[VERDICTS_KEY] = [
        {
            "cell": f.cell,
            "grade_id": f.grade_id,
            "detail": f.detail,
            "zeroed": f.zeroed,
            "review_points": f.review_points,
            "max_points": f.max_points,
        }
        for f in findings
        if f.flagged
    ]
    return findings


def recorded_findings(nb: NotebookNode) -> list[Mapping]:
    """The findings CheckVerdicts recorded in an autograded notebook (read back from the error
    outputs when its metadata was cleared)."""
    recorded = nb.get("metadata", {}).get(VERDICTS_KEY)
    if recorded is not None:
        return [r for r in recorded if isinstance(r, Mapping)]
    found = []
    for index, cell in enumerate(nb.cells):
        for output in verdict_errors(cell):
            evalue = str(output.get("evalue", ""))
            review_points, max_points = held_points(evalue)
            found.append(
                {
                    "cell": index + 1,
                    "grade_id": cells.grade_id(cell),
                    "detail": evalue,
                    "review_points": review_points,
                    "max_points": max_points,
                }
            )
    return found


def optional_points(value: object) -> float | None:
    """A recorded number of points, or None (absent, or not a number: the metadata is data)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def notebook_suspicions(notebook_id: str, nb: NotebookNode) -> tuple[Suspicion, ...]:
    """The verdict findings recorded in an autograded notebook, as suspicions."""
    return tuple(
        Suspicion(
            notebook_id,
            r.get("cell"),
            r.get("grade_id"),
            None,
            SuspicionKind.UNTRUSTED_VERDICT,
            str(r.get("detail", "")),
            review_points=optional_points(r.get("review_points")),
            max_points=optional_points(r.get("max_points")),
        )
        for r in recorded_findings(nb)
    )


def autograded_suspicions(folder: Path, notebook_ids: Iterable[str]) -> tuple[Suspicion, ...]:
    """Verdict findings of each autograded notebook in folder."""
    found: list[Suspicion] = []
    for notebook_id in notebook_ids:
        path = folder / f"{notebook_id}.ipynb"
        if path.is_file():
            found.extend(notebook_suspicions(notebook_id, nbformat.read(path, as_version=4)))
    return tuple(found)
