"""Plain-text rendering of results for the terminal; no computing happens here.

`course autograde`'s table lives in autograde_table.py; render_autograde is here too, where
callers have always found it."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from coursekit.authoring.types import NotebookSummary, ReleaseReport
from coursekit.cli.autograde_table import render_autograde as render_autograde
from coursekit.cli.progress import AutogradeProgress
from coursekit.cli.terminal import duration, fit, names_or_count
from coursekit.core.formatting import HANDFUL, points
from coursekit.grading.types import CheckStatus, NotebookCheck, StudentOutcome
from coursekit.intake.types import CollectReport, RosterImport
from coursekit.reporting.types import FeedbackReport, GradeRow, ReportFiles

MIN_COLUMN = 20  # a table's last column wraps under itself only with at least this much room


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None
) -> str:
    """Columns padded to their widest cell; the last column is left ragged and, past width,
    wrapped under itself, or below the row when the columns before it leave it no room."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    start = sum(widths) + 2 * len(widths)  # where the last column begins
    if width is not None and width - start < MIN_COLUMN:
        start = 4  # the last column's lines go below the row, indented
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        line = "  ".join([*cells, str(row[-1])]).rstrip()
        if width is None or len(line) <= width:
            lines.append(line)
            continue
        parts = textwrap.wrap(
            str(row[-1]), width - start, break_long_words=False, break_on_hyphens=False
        )
        if start == 4:
            lines.append(fit("  ".join(cells).rstrip(), width))
        else:
            lines.append("  ".join([*cells, parts.pop(0)]))
        lines += [" " * start + part for part in parts]
    return "\n".join(lines)


def render_release(report: ReleaseReport) -> str:
    """Where the release is, then each check once: over which notebooks it passed or failed."""
    lines = [f"Release of {report.assignment_id}: {report.release_dir}"]
    names = list(dict.fromkeys(c.name for p in report.notebooks for c in p.checks))
    for name in names:
        marks: dict[bool | None, list[str]] = {True: [], False: [], None: []}
        for proof in report.notebooks:
            for check in proof.checks:
                if check.name == name:
                    marks[check.passed].append(proof.notebook_id)
        said = [
            f"{word} ({names_or_count(marks[key], 'notebook')})"
            for key, word in ((False, "FAILED"), (True, "ok"), (None, "skipped"))
            if marks[key]
        ]
        lines.append(f"  {name}: {', '.join(said)}")
        for proof in report.notebooks:
            findings = [f for check in proof.checks if check.name == name for f in check.findings]
            if findings:  # the notebook said once; every finding, each is a thing to fix
                lines += [f"    {proof.notebook_id}:", *(f"      {f}" for f in findings)]
    lines.append(
        "Release proven." if report.ok else "Release NOT proven: fix the source and rerun."
    )
    return "\n".join(lines)


def feedback_folder(report: FeedbackReport) -> str:
    """The folder above the students' (feedback/<student>/<assignment>/<notebook>.html)."""
    files = [Path(f) for o in report.outcomes if not o.error for f in o.files]
    return str(files[0].parents[2]) if files else ""


def collect_paths(report: CollectReport) -> list[str]:
    """Every path render_collect names: the archive and its entries."""
    entries = [*report.refused, *report.unmapped, *report.ignored]
    return [
        report.archive,
        *(entry.path for entry in entries),
        *(path for student in report.students for path in student.unmatched),
        *(n.source for student in report.students for n in student.notebooks),
    ]


def render_feedback(report: FeedbackReport) -> str:
    """How many students got feedback and where it is (said once), then each failure."""
    done = [o for o in report.outcomes if not o.error]
    files = [f for o in done for f in o.files]
    folder = feedback_folder(report)
    where = f" in {folder}/<student>/{report.assignment_id}/" if folder else ""
    lines = [
        f"Feedback of {report.assignment_id}: {len(done)} student{'s' if len(done) != 1 else ''}, "
        f"{len(files)} HTML file{'s' if len(files) != 1 else ''}{where}"
    ]
    lines += [f"  FAILED {o.student_id}: {o.error}" for o in report.outcomes if o.error]
    return "\n".join(lines)


def render_export(rows: Sequence[GradeRow], path: Path) -> str:
    """Exported grades: students, rows and statuses counted, and where they went."""
    students = len({row.student_id for row in rows})
    statuses = Counter(row.status for row in rows)
    counted = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    return (
        f"{len(rows)} grade row{'s' if len(rows) != 1 else ''} of {students} "
        f"student{'s' if students != 1 else ''} written to {path}"
        + (f" ({counted})" if counted else "")
    )


def render_report(files: ReportFiles) -> str:
    """Where the report is (said once), what it shows counted, and its figures by file name."""
    from coursekit.reporting.export import GRADED_STATUSES  # imports nbgrader: only when run

    data = files.data
    graded = {r.student_id for r in data.rows if r.status in GRADED_STATUSES}
    flagged = {f.student_id for f in data.flags}
    pairs = len(data.similar_pairs)
    lines = [
        f"Report of {data.assignment_id}: {files.page}",
        f"  {len({r.student_id for r in data.rows})} students handed in, {len(graded)} graded",
        f"  {len(data.flags)} flag{'s' if len(data.flags) != 1 else ''} on {len(flagged)} "
        f"student{'s' if len(flagged) != 1 else ''}; {pairs} pair{'s' if pairs != 1 else ''} "
        "of alike answers for a TA to look at",
    ]
    page_dir = Path(files.page).parent
    beside = [Path(f).name for f in files.figures if Path(f).parent == page_dir]
    elsewhere = [f for f in files.figures if Path(f).parent != page_dir]
    if beside:
        named = f": {names_or_count(beside, 'figure')}" if len(beside) <= HANDFUL else ""
        lines.append(f"  {len(beside)} figure{'s' if len(beside) > 1 else ''} beside it{named}")
    lines += [f"  figure: {path}" for path in elsewhere]
    return "\n".join(lines)


def render_progress(done: int, total: int, outcome: StudentOutcome) -> str:
    """One line per graded student while a long autograde runs."""
    auto = sum(score.auto_score for score in outcome.scores)
    most = sum(score.max_auto_score for score in outcome.scores)
    scored = f", auto {points(auto)}/{points(most)}" if outcome.scores else ""
    return f"[{done}/{total}] {outcome.student_id}: {outcome.status.value}{scored}"


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


def capped(items: Sequence[str], limit: int = HANDFUL) -> list[str]:
    """The first limit items, then a line counting the rest."""
    shown = [f"  {item}" for item in items[:limit]]
    return shown + ([f"  ... and {len(items) - limit} more"] if len(items) > limit else [])


def render_collect(report: CollectReport, width: int | None = None) -> str:
    """Each student's collected notebooks and action, then everything not collected, and why.

    What needs a person (refused, not mapped, not matched) is listed in full; what does not
    (files renamed or chosen, ignored entries, students without a submission) past a handful
    is counted."""
    lines = [f"Collect of {report.assignment_id} from {report.archive} ({report.layout} layout)"]
    rows = []
    for student in report.students:
        when = f"{student.timestamp:%Y-%m-%d %H:%M:%S} UTC" if student.timestamp else "-"
        late = "marked LATE by the LMS" if student.late else ""
        note = "; ".join(part for part in (student.reason, late) if part)
        ids = [n.notebook_id for n in student.notebooks]
        notebooks = names_or_count(ids, "notebook", limit=2) if ids else "-"
        rows.append(
            [student.student_id, student.lms_name, student.action.value, when, notebooks, note]
        )
    lines.append(
        format_table(
            ["student", "lms name", "action", "timestamp", "notebooks", "note"], rows, width
        )
    )
    chosen = [
        f"{student.student_id}: {notebook.notebook_id} <- {notebook.source}"
        + (f" (latest of: {', '.join(notebook.passed_over)})" if notebook.passed_over else "")
        for student in report.students
        for notebook in student.notebooks
        if notebook.filename != f"{notebook.notebook_id}.ipynb" or notebook.passed_over
    ]
    sections = [
        ("renamed or chosen among several", chosen, HANDFUL),
        ("REFUSED (unsafe, not extracted)", [f"{e.path}: {e.reason}" for e in report.refused], 0),
        ("NOT MAPPED to a student", [f"{e.path}: {e.reason}" for e in report.unmapped], 0),
        (
            "NOT MATCHED to a notebook of the assignment",
            [f"{s.student_id}: {path}" for s in report.students for path in s.unmatched],
            0,
        ),
        ("ignored", [f"{e.path}: {e.reason}" for e in report.ignored], HANDFUL),
        ("no submission in the archive", list(report.missing), HANDFUL),
    ]
    for title, items, limit in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(capped(items, limit) if limit else [f"  {item}" for item in items])
    return "\n".join(lines)


def render_roster_import(report: RosterImport) -> str:
    """Who was added, updated or left as is, and the columns that were not used."""
    lines = [f"Roster import from {report.source}"]
    for title, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
    ):
        named = f": {', '.join(ids)}" if 0 < len(ids) <= HANDFUL else ""
        lines.append(f"  {title}: {len(ids)}{named}")
    if report.ignored_columns:
        lines.append(f"  ignored columns: {', '.join(report.ignored_columns)}")
    if report.missing_columns:
        lines.append(f"  no column for: {', '.join(report.missing_columns)}")
    return "\n".join(lines)
