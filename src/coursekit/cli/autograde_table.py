"""`course autograde`'s output: one line per student, the flags, a summary, or JSON.

Notes are said once, on the notebook they concern; a row is cut to the terminal's width (the
per-notebook detail of `--verbose` wraps instead). Computing nothing: it reads outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coursekit.cli.terminal import duration, fit, names_or_count, paint, wrap
from coursekit.core.formatting import points
from coursekit.core.types import NotebookScore
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.intake.types import Severity, SubmissionProblem
from coursekit.integrity.types import Suspicion

# `--json`: bump when a key changes meaning or goes away (adding keys keeps the version).
JSON_FORMAT = 1
# A path to a handed-in notebook inside a reason: the file's name says it (the folder is known).
NOTEBOOK_PATH = re.compile(r"(?:/[^\s/:;,()]+)+/([^\s/:;,()]+\.ipynb)")
HEADER = ["student", "auto", "written", "status", "note"]
WHOLE = ("", "*")  # the notebook_id of a problem with the whole submission


@dataclass(frozen=True)
class AutogradeView:
    """How much to show and where: detail, width, colour, and the run's time."""

    verbose: bool = False  # each notebook of each student, wrapped, with the nbgrader log tail
    quiet: bool = False  # only the students who need a person, the flags and the summary
    width: int | None = None  # columns a line may take; None: as long as it needs
    color: bool = False
    elapsed_s: float | None = None
    title: str = "Autograde of {assignment_id}"  # the first line (not under --quiet)


def assignment_notebooks(report: AutogradeReport) -> list[str]:
    """The assignment's notebooks, as far as the gradebook's scores and problems name them."""
    seen: dict[str, None] = {}
    for outcome in report.outcomes:
        seen.update((score.notebook_id, None) for score in outcome.scores)
        seen.update((p.notebook_id, None) for p in outcome.problems if p.notebook_id not in WHOLE)
    return list(seen)


def not_handed_in(outcome: StudentOutcome) -> list[str]:
    """The notebooks this student did not hand in (each scores 0)."""
    return [p.notebook_id for p in outcome.problems if not p.handed_in]


def written_to_grade(score: NotebookScore) -> float:
    """The points of the written answers of a notebook still waiting for a TA."""
    if not score.cells:
        return score.max_manual_score if score.needs_manual_grade else 0.0
    waiting = (c for c in score.cells if c.cell_type != "code" and c.needs_manual_grade)
    return sum(cell.max_score for cell in waiting)


def needs_person(outcome: StudentOutcome) -> bool:
    """Whether someone must look: not graded, a flag or a test under review, a kernel crash."""
    return outcome.status is not Status.GRADED or bool(outcome.suspicions or outcome.crashes)


def short_reason(problem: SubmissionProblem) -> str:
    """A problem's reason with each notebook's path cut to its file name."""
    return NOTEBOOK_PATH.sub(r"\1", problem.reason)


def fatal_notes(outcome: StudentOutcome) -> list[str]:
    """Why a student was rejected or failed; the same reason on many notebooks said once."""
    fatal = [p for p in outcome.problems if p.severity is Severity.FATAL]
    if not fatal:
        return [outcome.reason] if outcome.reason else []
    groups: dict[str, list[str]] = {}  # the reason, {} for the notebook's file name -> ids
    for problem in fatal:
        reason, named = short_reason(problem), f"{problem.notebook_id}.ipynb"
        groups.setdefault(reason.replace(named, "{}"), []).append(problem.notebook_id)
    notes = []
    for reason, ids in groups.items():
        ids = [notebook_id for notebook_id in ids if notebook_id not in WHOLE]
        if "{}" in reason and ids:  # `a.ipynb (and 6 more alike) is not JSON`: before the cut
            more = f" (and {len(ids) - 1} more alike)" if len(ids) > 1 else ""
            note = reason.replace("{}", f"{ids[0]}.ipynb{more}")
        else:
            note = f"{names_or_count(ids, 'notebook')}: {reason}" if ids else reason
        notes.append(note)
    return notes


def review_note(outcome: StudentOutcome) -> str:
    """`2 tests need review (8 points held until a TA decides)`, or ''."""
    count = len(outcome.under_review)
    if not count:
        return ""
    return (
        f"{count} test{'s' if count > 1 else ''} need{'' if count > 1 else 's'} review "
        f"({points(outcome.held_points)} point{'' if outcome.held_points == 1 else 's'} held "
        "until a TA decides)"
    )


def handed_in_note(outcome: StudentOutcome, total: int) -> str:
    """`2 of 7 handed in` when some notebook was not; '' when all were."""
    missing = len(not_handed_in(outcome))
    if not missing:
        return ""
    if total <= missing:
        return f"not handed in: {names_or_count(not_handed_in(outcome), 'notebook')}"
    return f"{total - missing} of {total} handed in"


def warning_notes(outcome: StudentOutcome) -> list[str]:
    """The warnings of a student, grouped by the notebook each concerns."""
    by_notebook: dict[str, list[str]] = {}
    for problem in outcome.problems:
        if problem.severity is Severity.WARNING and problem.handed_in:
            by_notebook.setdefault(problem.notebook_id, []).append(short_reason(problem))
    return [
        f"{notebook_id}: {'; '.join(reasons)}" if notebook_id not in WHOLE else "; ".join(reasons)
        for notebook_id, reasons in by_notebook.items()
    ]


def outcome_note(outcome: StudentOutcome, total: int = 0) -> str:
    """What needs saying about one student, most pressing first; '' when nothing does."""
    parts = fatal_notes(outcome) if outcome.status is not Status.GRADED else []
    parts.append(review_note(outcome))
    parts += [f"{crash.where}: {crash.reason}" for crash in outcome.crashes]
    others = len(outcome.suspicions) - len(outcome.under_review)
    if others:
        parts.append(f"{others} flag{'s' if others > 1 else ''} for a TA (below)")
    parts.append(handed_in_note(outcome, total))
    parts += warning_notes(outcome)
    return "; ".join(part for part in parts if part)


def flag_label(suspicion: Suspicion) -> str:
    """What a flag is, with the points a test under review would have earned."""
    if suspicion.needs_review:
        return (
            f"needs review, would earn {points(suspicion.review_points)} of "
            f"{points(suspicion.max_points)} points"
        )
    return suspicion.kind.value


def auto_cell(outcome: StudentOutcome) -> str:
    """`31/42` autograded points, or '-' without scores."""
    if not outcome.scores:
        return "-"
    auto = sum(score.auto_score for score in outcome.scores)
    return f"{points(auto)}/{points(sum(s.max_auto_score for s in outcome.scores))}"


def written_cell(scores: Sequence[NotebookScore]) -> str:
    """`12 to grade`, `8/12` once graded, or '-' without written answers."""
    waiting = sum(written_to_grade(score) for score in scores)
    if waiting:
        return f"{points(waiting)} to grade"
    most = sum(score.max_manual_score for score in scores)
    return f"{points(sum(s.manual_score for s in scores))}/{points(most)}" if most else "-"


def student_row(outcome: StudentOutcome, total: int) -> list[str]:
    """One student's cells: student, auto, written, status, note."""
    return [
        outcome.student_id,
        auto_cell(outcome),
        written_cell(outcome.scores),
        outcome.status.value,
        outcome_note(outcome, total),
    ]


def row_style(outcome: StudentOutcome) -> str | None:
    """The colour of a student's row: a problem, something to look at, or none."""
    if outcome.status is not Status.GRADED:
        return "problem"
    return "attention" if needs_person(outcome) else None


def table_lines(
    rows: Sequence[Sequence[str]], styles: Sequence[str | None], view: AutogradeView
) -> list[str]:
    """Header and rows, columns padded to their widest cell, each line cut to the width."""
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER) - 1)]

    def line(row: Sequence[str]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return fit("  ".join([*cells, row[-1]]).rstrip(), view.width)

    lines = [paint(line(HEADER), "bold", view.color)]
    for row, style in zip(rows, styles, strict=True):
        text = line(row)
        lines.append(paint(text, style, view.color) if style else text)
    return lines


def wrapped(text: str, indent: str, view: AutogradeView) -> list[str]:
    """text wrapped to the width (every line indented), or one indented line without one."""
    return wrap(f"{indent}{text}", view.width)


def outcome_notebooks(outcome: StudentOutcome) -> list[str]:
    """Every notebook an outcome speaks of (scores, problems, flags, crashes), in that order."""
    return list(
        dict.fromkeys(
            [
                *(score.notebook_id for score in outcome.scores),
                *(problem.notebook_id for problem in outcome.problems),
                *(suspicion.notebook_id for suspicion in outcome.suspicions),
                *(crash.notebook_id for crash in outcome.crashes),
            ]
        )
    )


def notebook_detail(outcome: StudentOutcome, view: AutogradeView) -> list[str]:
    """`--verbose`: each notebook of a student with its scores, problems, flags and crashes."""
    scores = {score.notebook_id: score for score in outcome.scores}
    lines = []
    for notebook_id in outcome_notebooks(outcome):
        score = scores.get(notebook_id)
        if notebook_id in WHOLE:
            heading = "  the submission:"
        elif score is None:
            heading = f"  {notebook_id}:"
        else:
            auto = f"{points(score.auto_score)}/{points(score.max_auto_score)}"
            heading = f"  {notebook_id}: auto {auto}, written {written_cell([score])}"
        lines.append(fit(heading, view.width))
        for problem in outcome.problems:
            if problem.notebook_id == notebook_id:
                lines += wrapped(f"{problem.severity.value}: {problem.reason}", "    ", view)
        for s in outcome.suspicions:
            if s.notebook_id == notebook_id:
                lines += wrapped(f"flag: {s.where}: {flag_label(s)}: {s.detail}", "    ", view)
        for crash in outcome.crashes:
            if crash.notebook_id == notebook_id:
                lines += wrapped(f"crash: {crash.where}: {crash.reason}", "    ", view)
    fatal = any(p.severity is Severity.FATAL for p in outcome.problems)
    if outcome.status is not Status.GRADED and outcome.reason and not fatal:  # else said above
        lines += wrapped(f"{outcome.status.value}: {outcome.reason}", "  ", view)
    if outcome.log_tail:
        lines.append("  nbgrader log tail:")
        lines += [fit(f"    {line}", view.width) for line in outcome.log_tail.splitlines()]
    return lines


def flag_lines(outcomes: Sequence[StudentOutcome], view: AutogradeView) -> list[str]:
    """Each flag once, a line each, under a heading with their count; none: no lines."""
    flags = [
        fit(f"  {o.student_id}: {s.where}: {flag_label(s)}: {s.detail}", view.width)
        for o in outcomes
        for s in o.suspicions
    ]
    if not flags:
        return []
    heading = f"Flagged for a TA ({len(flags)}; suspicious code, tests to review):"
    return ["", paint(heading, "attention", view.color), *flags]


def summary_lines(report: AutogradeReport, view: AutogradeView) -> list[str]:
    """The run at a glance: who was graded, rejected, failed, flagged; mean score; time."""
    outcomes = report.outcomes
    count = {status: sum(o.status is status for o in outcomes) for status in Status}
    flagged = sum(bool(o.suspicions) for o in outcomes)
    review = sum(len(o.under_review) for o in outcomes)
    first = (
        f"{len(outcomes)} student{'s' if len(outcomes) != 1 else ''}: "
        f"{count[Status.GRADED]} graded, {count[Status.REJECTED]} rejected, "
        f"{count[Status.FAILED]} failed, {flagged} flagged for a TA"
    )
    if review:
        held = points(sum(o.held_points for o in outcomes))
        first += f" ({review} test{'s' if review > 1 else ''} under review, {held} points held)"
    graded = [o for o in outcomes if o.status is Status.GRADED and o.scores]
    figures = []
    if graded:
        mean = sum(sum(s.auto_score for s in o.scores) for o in graded) / len(graded)
        most = max(sum(s.max_auto_score for s in o.scores) for o in graded)
        figures.append(f"mean auto score {mean:.1f}/{points(most)}")
    waiting = sum(written_to_grade(s) for o in outcomes for s in o.scores)
    if waiting:
        figures.append(f"{points(waiting)} written point{'s' if waiting != 1 else ''} to grade")
    if view.elapsed_s is not None:
        figures.append(f"took {duration(view.elapsed_s)}")
    style = "problem" if count[Status.REJECTED] or count[Status.FAILED] else "ok"
    lines = [paint(fit(first, view.width), style, view.color)]
    if figures:
        lines.append(fit("; ".join(figures), view.width))
    return lines


def render_autograde(report: AutogradeReport, view: AutogradeView | None = None) -> str:
    """The table (one line per student), the flags, then the summary."""
    view = view or AutogradeView()
    total = len(assignment_notebooks(report))
    shown = [o for o in report.outcomes if needs_person(o)] if view.quiet else report.outcomes
    lines = []
    if not view.quiet:
        lines.append(fit(view.title.format(assignment_id=report.assignment_id), view.width))
    if shown:
        rows = [student_row(outcome, total) for outcome in shown]
        table = table_lines(rows, [row_style(o) for o in shown], view)
        if view.verbose:
            lines.append(table[0])
            for outcome, line in zip(shown, table[1:], strict=True):
                lines += [line, *notebook_detail(outcome, view)]
        else:
            lines += table
    if not view.verbose:
        lines += flag_lines(report.outcomes, view)
    if shown or not view.quiet:
        lines.append("")
    return "\n".join([*lines, *summary_lines(report, view)])


def notebook_json(outcome: StudentOutcome, score: NotebookScore | None, notebook_id: str) -> dict:
    """One notebook of a student's outcome, for `--json`."""
    return {
        "notebook_id": notebook_id,
        "handed_in": notebook_id not in not_handed_in(outcome),
        "auto_score": score.auto_score if score else None,
        "max_auto_score": score.max_auto_score if score else None,
        "manual_score": score.manual_score if score else None,
        "max_manual_score": score.max_manual_score if score else None,
        "written_to_grade": written_to_grade(score) if score else 0.0,
        "problems": [
            {"severity": p.severity.value, "reason": p.reason}
            for p in outcome.problems
            if p.notebook_id == notebook_id
        ],
        "flags": [
            {
                "cell": s.cell,
                "grade_id": s.grade_id,
                "line": s.line,
                "kind": s.kind.value,
                "detail": s.detail,
                "needs_review": s.needs_review,
                "review_points": s.review_points,
                "max_points": s.max_points,
            }
            for s in outcome.suspicions
            if s.notebook_id == notebook_id
        ],
        "crashes": [
            {"cell": c.cell, "grade_id": c.grade_id, "reason": c.reason}
            for c in outcome.crashes
            if c.notebook_id == notebook_id
        ],
    }


def student_json(outcome: StudentOutcome, total: int) -> dict:
    """One student's outcome, for `--json`: totals, the note of the table, each notebook."""
    scores = {score.notebook_id: score for score in outcome.scores}
    return {
        "student_id": outcome.student_id,
        "status": outcome.status.value,
        "reason": outcome.reason,
        "auto_score": sum((s.auto_score for s in outcome.scores), 0.0),
        "max_auto_score": sum((s.max_auto_score for s in outcome.scores), 0.0),
        "manual_score": sum((s.manual_score for s in outcome.scores), 0.0),
        "max_manual_score": sum((s.max_manual_score for s in outcome.scores), 0.0),
        "written_to_grade": sum((written_to_grade(s) for s in outcome.scores), 0.0),
        "handed_in": total - len(not_handed_in(outcome)) if total else None,
        "tests_under_review": len(outcome.under_review),
        "held_points": float(outcome.held_points),
        "needs_person": needs_person(outcome),
        "note": outcome_note(outcome, total),
        "problems": [  # about the submission as a whole, not one notebook
            {"severity": p.severity.value, "reason": p.reason}
            for p in outcome.problems
            if p.notebook_id in WHOLE
        ],
        "notebooks": [
            notebook_json(outcome, scores.get(notebook_id), notebook_id)
            for notebook_id in outcome_notebooks(outcome)
            if notebook_id not in WHOLE
        ],
        "log_tail": outcome.log_tail,
    }


def autograde_json(report: AutogradeReport, elapsed_s: float | None = None) -> dict[str, Any]:
    """`course autograde --json`: the run's summary and each student (docs/instructors.md)."""
    total = len(assignment_notebooks(report))
    outcomes = report.outcomes
    graded = [o for o in outcomes if o.status is Status.GRADED and o.scores]
    mean = (
        sum(sum(s.auto_score for s in o.scores) for o in graded) / len(graded) if graded else None
    )
    return {
        "format": JSON_FORMAT,
        "assignment_id": report.assignment_id,
        "notebooks": total,
        "summary": {
            "students": len(outcomes),
            **{status.value: sum(o.status is status for o in outcomes) for status in Status},
            "flagged": sum(bool(o.suspicions) for o in outcomes),
            "tests_under_review": sum(len(o.under_review) for o in outcomes),
            "held_points": sum((o.held_points for o in outcomes), 0.0),
            "mean_auto_score": mean,
            "written_to_grade": sum((written_to_grade(s) for o in outcomes for s in o.scores), 0.0),
            "elapsed_s": elapsed_s,
        },
        "students": [student_json(outcome, total) for outcome in outcomes],
    }
