"""Markdown rendering of `course calibrate`'s report; no computing happens here."""

from __future__ import annotations

import numpy as np

from coursekit.calibration.types import (
    CalibrationReport,
    Measured,
    Mistake,
    NotebookCalibration,
    ToleranceCalibration,
    VariantOutcome,
)
from coursekit.core.formatting import points


def number(value: float) -> str:
    """A measured figure in three significant digits."""
    return f"{value:.3g}"


def cell(text: str) -> str:
    """Text for a Markdown table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")


def margin(row: ToleranceCalibration) -> str:
    """tolerance / worst as '12.3x', 'exact' when every correct run matched bit for bit."""
    return "exact" if row.worst == 0 else f"{row.margin:.3g}x"


def closest_wrong(row: ToleranceCalibration) -> str:
    """The wrong answer that came closest, its value and whether the tolerance catches it."""
    if row.closest_wrong is None:
        return "-"
    if row.closest_wrong == float("inf"):
        return cell(f"fails outright ({row.closest_wrong_name})")
    caught = "" if row.closest_wrong > row.value else " (inside the tolerance)"
    return cell(f"{number(row.closest_wrong)} ({row.closest_wrong_name}){caught}")


def render_rows(rows: tuple[ToleranceCalibration, ...]) -> list[str]:
    """One Markdown table row per calibrated quantity."""
    lines = [
        "| test | tolerance | checked quantity | runs | median | p95 | worst "
        "| margin (tol / worst) | closest wrong answer | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.grade_id} | `{row.tolerance} = {row.value:g}` | {cell(row.quantity)} "
            f"| {row.runs} "
            f"| {number(row.median)} | {number(row.p95)} | {number(row.worst)} | {margin(row)} "
            f"| {closest_wrong(row)} | {'ok' if row.ok else 'FALSE FAIL'} |"
        )
    return lines


def closest_mistake(mistake: Mistake) -> str:
    """How near a mistake came to passing: its smallest value and, if told, which run."""
    if mistake.closest == float("inf"):
        return "fails outright"
    case = f" ({mistake.closest_case})" if mistake.closest_case else ""
    return cell(number(mistake.closest) + case)


def render_mistakes(mistakes: tuple[Mistake, ...]) -> list[str]:
    """One Markdown table row per typical mistake: how near it came, how often it was caught."""
    lines = [
        "| wrong answer | test | tolerance | checked quantity | runs | closest to passing "
        "| median | caught |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mistake in mistakes:
        runs = len(mistake.values)
        lines.append(
            f"| {cell(mistake.name)} | {mistake.grade_id} | `{mistake.tolerance}` "
            f"| {cell(mistake.quantity)} | {runs} | {closest_mistake(mistake)} "
            f"| {number(float(np.median(mistake.values)))} | {mistake.caught}/{runs} |"
        )
    return lines


def render_measured(notebook: NotebookCalibration, measured: Measured) -> str:
    """A calibration spec's full report: the notebook's section, its mistakes, its notes."""
    lines = render_notebook(notebook)
    if measured.mistakes:
        lines += [*render_mistakes(measured.mistakes), ""]
    lines += [f"- {note}" for note in measured.notes]
    return "\n".join(lines).rstrip("\n")


def expected(outcome: VariantOutcome) -> str:
    """What a variant should do."""
    if outcome.correct:
        return "full marks"
    return "loses " + ", ".join(sorted(outcome.expected_lost))


def actual(outcome: VariantOutcome) -> str:
    """What a variant did: its score and the tests it lost."""
    scored = f"{points(outcome.score)}/{points(outcome.max_score)}"
    lost = ", lost " + ", ".join(sorted(outcome.lost)) if outcome.lost else ""
    silent = ", no message: " + ", ".join(outcome.unexplained) if outcome.unexplained else ""
    return scored + lost + silent


def render_variants(outcomes: tuple[VariantOutcome, ...]) -> list[str]:
    """One Markdown table row per variant: expected vs actual."""
    lines = ["| variant | kind | expected | actual | |", "|---|---|---|---|---|"]
    for outcome in outcomes:
        kind = "correct" if outcome.correct else "wrong"
        mark = "ok" if outcome.as_expected else "NOT AS EXPECTED"
        lines.append(
            f"| {outcome.name} | {kind} | {cell(expected(outcome))} "
            f"| {cell(actual(outcome))} | {mark} |"
        )
    return lines


def render_notebook(notebook: NotebookCalibration) -> list[str]:
    """A notebook's section: its calibration table, uncovered tolerances, variants."""
    where = f"`{notebook.script}`, {notebook.seeds} seeds" if notebook.script else "no script"
    lines = [f"## {notebook.notebook_id} ({where}, {notebook.seconds:.0f} s)", ""]
    if notebook.rows:
        lines += [*render_rows(notebook.rows), ""]
    if notebook.uncovered:
        lines.append("**UNCOVERED tolerances** (no calibration row measures them):")
        lines += [f"- {item}" for item in notebook.uncovered]
        lines.append("")
    if not notebook.rows and not notebook.uncovered:
        lines += ["No named tolerance in its autograded tests.", ""]
    if notebook.variants:
        lines += [*render_variants(notebook.variants), ""]
    return lines


def worst_margin(notebook: NotebookCalibration) -> str:
    """The smallest margin of a notebook's rows, with its tolerance; '-' without rows."""
    if not notebook.rows:
        return "-"
    row = min(notebook.rows, key=lambda r: r.margin)
    return f"{margin(row)} (`{row.tolerance}`)"


def render_calibration(report: CalibrationReport) -> str:
    """The whole report: a summary of worst margins, then each notebook's section."""
    lines = [
        f"# Calibration of {report.assignment_id}",
        "",
        "| notebook | rows | worst margin | uncovered | variants as expected |",
        "|---|---|---|---|---|",
    ]
    for notebook in report.notebooks:
        good = sum(outcome.as_expected for outcome in notebook.variants)
        variants = f"{good}/{len(notebook.variants)}" if notebook.variants else "-"
        lines.append(
            f"| {notebook.notebook_id} | {len(notebook.rows)} | {worst_margin(notebook)} "
            f"| {len(notebook.uncovered)} | {variants} |"
        )
    lines.append("")
    for notebook in report.notebooks:
        lines += render_notebook(notebook)
    lines.append(
        "Calibration ok: every tolerance covered, no false fail, every variant as expected."
        if report.ok
        else "Calibration NOT ok: see FALSE FAIL, UNCOVERED and NOT AS EXPECTED above."
    )
    return "\n".join(lines)
