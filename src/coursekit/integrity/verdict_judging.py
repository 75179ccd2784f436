"""Judging the verdict checks: reading the executed notebook, deciding which tests can't be trusted.

After nbgrader's Execute has run a notebook armed by coursekit.integrity.verdict_arming, its
cells are read. A test cell that shows neither an error nor its own marker exactly once (its
error swallowed, its code rewritten, its output suppressed), shows another cell's marker, or a
result output it did not produce scores 0: an error output `VerdictNotTrustworthy` goes first
in the cell, which nbgrader's grading reads first. If a probe did not fail as it must, every
test cell of the notebook scores 0. Then the cells get their own source back and the probes go,
so the graded notebook and the feedback show the instructor's tests as they are; what was found
is kept in the notebook's metadata (VERDICTS_KEY) for `course autograde` and `course report`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.integrity.types import Suspicion, SuspicionKind
from coursekit.integrity.verdict_arming import (
    MARKER,
    MARKER_LINE,
    MARKER_PREFIX,
    VERDICTS_KEY,
    Armed,
    ArmedCell,
    Probe,
)

VERDICT_ERROR = "VerdictNotTrustworthy"  # the ename of the error output that zeroes a cell


@dataclass(frozen=True)
class Finding:
    """What the check found: a cell whose verdict is not trusted (cell None: the notebook)."""

    cell: int | None
    grade_id: str | None
    detail: str
    zeroed: bool
    flagged: bool = True  # False: a note for the log only (probes a dead kernel never ran)


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


def strip_markers(cell: NotebookNode) -> None:
    """Remove completion markers (and streams left empty) from a cell's outputs."""
    if "outputs" not in cell:
        return  # markdown and raw cells have none (and must not get any)
    outputs = cell.get("outputs", [])
    if any(MARKER.search(o.get("text", "")) for o in outputs if o.get("output_type") == "stream"):
        outputs = coalesce_streams(outputs)
    kept = []
    for output in outputs:
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
