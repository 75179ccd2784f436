"""Plain-text rendering of results for the terminal; no computing happens here."""

from __future__ import annotations

from collections.abc import Sequence

from coursekit.authoring.types import NotebookSummary, ReleaseReport
from coursekit.cli.progress import AutogradeProgress
from coursekit.core.formatting import points
from coursekit.grading.types import (
    AutogradeReport,
    CheckStatus,
    NotebookCheck,
    Status,
    StudentOutcome,
)
from coursekit.intake.types import CollectReport, RosterImport
from coursekit.integrity.types import Suspicion
from coursekit.reporting.types import FeedbackReport, GradeRow


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return "\n".join(lines)


def render_release(report: ReleaseReport) -> str:
    """Each notebook's proof, one line per check, and where the release is."""
    lines = [f"Release of {report.assignment_id}: {report.release_dir}"]
    for proof in report.notebooks:
        for check in proof.checks:
            mark = {True: "ok", False: "FAILED", None: "skipped"}[check.passed]
            lines.append(f"  {proof.notebook_id}: {check.name}: {mark}")
            lines.extend(f"      {finding}" for finding in check.findings)
    lines.append(
        "Release proven." if report.ok else "Release NOT proven: fix the source and rerun."
    )
    return "\n".join(lines)


def outcome_note(outcome: StudentOutcome) -> str:
    """The status of one student with its reason and any warnings."""
    parts = [outcome.reason] if outcome.reason else []
    if outcome.status is Status.GRADED:
        parts += [p.reason for p in outcome.problems]
        parts += [f"{crash.where}: {crash.reason}" for crash in outcome.crashes]
    if outcome.under_review:
        count = len(outcome.under_review)
        parts.append(
            f"{count} test{'s' if count > 1 else ''} need{'' if count > 1 else 's'} review "
            f"({points(outcome.held_points)} points held until a TA decides)"
        )
    others = len(outcome.suspicions) - len(outcome.under_review)
    if others:
        parts.append(f"{others} flagged for a TA (below)")
    note = "; ".join(parts)
    return f"{outcome.status.value}: {note}" if note else outcome.status.value


def flag_label(suspicion: Suspicion) -> str:
    """What a flag is, with the points a test under review would have earned."""
    if suspicion.needs_review:
        return (
            f"needs review, would earn {points(suspicion.review_points)} of "
            f"{points(suspicion.max_points)} points"
        )
    return suspicion.kind.value


def render_autograde(report: AutogradeReport) -> str:
    """A score table: student, notebook, score/max, status and reason."""
    rows = []
    for outcome in report.outcomes:
        note = outcome_note(outcome)
        if not outcome.scores:
            notebooks = sorted({p.notebook_id for p in outcome.problems}) or ["-"]
            # The reason names every notebook already; a list of seven would widen the table.
            where = ", ".join(notebooks) if len(notebooks) <= 2 else f"{len(notebooks)} notebooks"
            rows.append([outcome.student_id, where, "-", "-", note])
        for score in outcome.scores:
            manual = f"{points(score.manual_score)}/{points(score.max_manual_score)}"
            rows.append(
                [
                    outcome.student_id,
                    score.notebook_id,
                    f"{points(score.auto_score)}/{points(score.max_auto_score)}",
                    f"{manual} (to grade)" if score.needs_manual_grade else manual,
                    note,
                ]
            )
    table = format_table(["student", "notebook", "auto", "manual", "status"], rows)
    failed = [o for o in report.outcomes if o.status is Status.FAILED and o.log_tail]
    tails = [f"\n--- nbgrader log tail for {o.student_id} ---\n{o.log_tail}" for o in failed]
    flagged = [
        f"  {o.student_id}: {s.where}: {flag_label(s)}: {s.detail}"
        for o in report.outcomes
        for s in o.suspicions
    ]
    if flagged:
        flagged.insert(0, "\nFlagged for a TA (suspicious code, tests to review):")
    return "\n".join([f"Autograde of {report.assignment_id}", table, *flagged, *tails])


def render_feedback(report: FeedbackReport) -> str:
    """Where each student's feedback went, or why it did not."""
    lines = [f"Feedback of {report.assignment_id}"]
    for outcome in report.outcomes:
        where = ", ".join(outcome.files) if not outcome.error else f"FAILED: {outcome.error}"
        lines.append(f"  {outcome.student_id}: {where}")
    return "\n".join(lines)


def render_grade_rows(rows: Sequence[GradeRow]) -> str:
    """Exported grades as a table."""
    return format_table(
        ["assignment", "student", "notebook", "score", "status"],
        [
            [
                r.assignment_id,
                r.student_id,
                r.notebook_id,
                f"{points(r.score)}/{points(r.max_score)}",
                r.status,
            ]
            for r in rows
        ],
    )


def render_progress(done: int, total: int, outcome: StudentOutcome) -> str:
    """One line per graded student while a long autograde runs."""
    auto = sum(score.auto_score for score in outcome.scores)
    most = sum(score.max_auto_score for score in outcome.scores)
    scored = f", auto {points(auto)}/{points(most)}" if outcome.scores else ""
    return f"[{done}/{total}] {outcome.student_id}: {outcome.status.value}{scored}"


def duration(seconds: float | None) -> str:
    """A duration as 1h02m, 3m05s or 42s; '?' when unknown."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, minutes, secs = whole // 3600, whole % 3600 // 60, whole % 60
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_figures(progress: AutogradeProgress) -> str:
    """Failed and rejected counts, rate per minute and time left of an autograde run."""
    rate = progress.rate_per_minute
    left = "done" if progress.done == progress.total else f"~{duration(progress.remaining_s)} left"
    return (
        f"{progress.failed} failed, {progress.rejected} rejected, "
        f"{'?' if rate is None else f'{rate:.1f}'}/min, {left}"
    )


def render_progress_bar(progress: AutogradeProgress, width: int = 24) -> str:
    """One line to redraw in place on a terminal: a bar, students done, and the figures."""
    filled = width * progress.done // progress.total if progress.total else width
    bar = "#" * filled + "." * (width - filled)
    return f"[{bar}] {progress.done}/{progress.total} students, {progress_figures(progress)}"


def render_progress_log_line(progress: AutogradeProgress) -> str:
    """One line per finished student for logs (CI): who, how it went, and the figures."""
    line = render_progress(progress.done, progress.total, progress.last)
    return f"{line} ({progress_figures(progress)})"


def graded_items(summary: NotebookSummary, autograded: bool) -> str:
    """The autograded (or the written) items of a notebook as `grade_id` points, or '-'."""
    chosen = [item for item in summary.items if item.autograded is autograded]
    return ", ".join(f"`{item.grade_id}` {points(item.points)}" for item in chosen) or "-"


def render_summary(assignment_id: str, summaries: Sequence[NotebookSummary]) -> str:
    """A Markdown table of the assignment: notebook, title, graded items with points, totals."""
    rows = []
    for summary in summaries:
        auto = graded_items(summary, autograded=True)
        manual = graded_items(summary, autograded=False)
        rows.append(
            f"| `{summary.notebook_id}` | {summary.title} | {auto} | {manual} "
            f"| {points(summary.auto_points)} + {points(summary.manual_points)} |"
        )
    auto_total = sum(s.auto_points for s in summaries)
    manual_total = sum(s.manual_points for s in summaries)
    return "\n".join(
        [
            "| notebook | title | autograded tests (points) | written answers (points) "
            "| auto + manual |",
            "|---|---|---|---|---|",
            *rows,
            f"| **{assignment_id}** | | | | **{points(auto_total)} + {points(manual_total)}** |",
        ]
    )


def render_check(check: NotebookCheck, quiet: bool = False) -> str:
    """A student's check: each visible test, what is unanswered, and what the check cannot see.

    quiet leaves out the passed tests and the notes, never a failure.
    """
    lines = [f"Checked {check.path}"]
    for test in check.tests:
        if quiet and test.status is CheckStatus.PASSED:
            continue
        mark = {CheckStatus.PASSED: "passed", CheckStatus.FAILED: "FAILED"}.get(
            test.status, "NOT RUN"
        )
        what = f": {test.behaviour}" if test.behaviour else ""
        lines.append(f"  {mark:<7} {test.grade_id} ({points(test.points)} pt){what}")
        lines.extend(f"          {line}" for line in test.message.splitlines())
    if check.stopped:
        lines.append(f"Execution stopped early: {check.stopped}")
    if check.unanswered:
        lines.append(f"Not answered yet: {', '.join(check.unanswered)}")
    if check.edited_tests:
        lines.append(
            f"Edited test cells: {', '.join(check.edited_tests)} (grading runs the original "
            "version: your edit changes nothing)"
        )
    passed = sum(test.status is CheckStatus.PASSED for test in check.tests)
    lines.append(f"{passed} of {len(check.tests)} visible checks pass.")
    if not quiet:
        if check.written:
            lines.append(f"Written answers, graded by hand later: {', '.join(check.written)}")
        lines.append(
            "Hidden tests run at grading: passing the visible checks does not guarantee full marks."
        )
    return "\n".join(lines)


def render_collect(report: CollectReport) -> str:
    """Each student's collected notebooks and action, then everything not collected, and why."""
    lines = [f"Collect of {report.assignment_id} from {report.archive} ({report.layout} layout)"]
    rows = []
    for student in report.students:
        when = f"{student.timestamp:%Y-%m-%d %H:%M:%S} UTC" if student.timestamp else "-"
        note = student.reason + ("; marked LATE by the LMS" if student.late else "")
        notebooks = ", ".join(n.notebook_id for n in student.notebooks) or "-"
        rows.append(
            [student.student_id, student.lms_name, student.action.value, when, notebooks, note]
        )
    lines.append(
        format_table(["student", "lms name", "action", "timestamp", "notebooks", "note"], rows)
    )
    for student in report.students:
        for notebook in student.notebooks:
            if notebook.filename != f"{notebook.notebook_id}.ipynb" or notebook.passed_over:
                others = (
                    f" (latest of: {', '.join(notebook.passed_over)})"
                    if notebook.passed_over
                    else ""
                )
                lines.append(
                    f"  {student.student_id}: {notebook.notebook_id} <- {notebook.source}{others}"
                )
    sections = [
        ("REFUSED (unsafe, not extracted)", [f"{e.path}: {e.reason}" for e in report.refused]),
        ("NOT MAPPED to a student", [f"{e.path}: {e.reason}" for e in report.unmapped]),
        (
            "NOT MATCHED to a notebook of the assignment",
            [f"{s.student_id}: {path}" for s in report.students for path in s.unmatched],
        ),
        ("ignored", [f"{e.path}: {e.reason}" for e in report.ignored]),
        ("no submission in the archive", list(report.missing)),
    ]
    for title, items in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in items)
    return "\n".join(lines)


def render_roster_import(report: RosterImport) -> str:
    """Who was added, updated or left as is, and the columns that were not used."""
    lines = [f"Roster import from {report.source}"]
    for title, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
    ):
        lines.append(f"  {title} ({len(ids)}): {', '.join(ids) or '-'}")
    if report.ignored_columns:
        lines.append(f"  ignored columns: {', '.join(report.ignored_columns)}")
    if report.missing_columns:
        lines.append(f"  no column for: {', '.join(report.missing_columns)}")
    return "\n".join(lines)
