"""The grade report as one self-contained HTML page, with its PNG figures written beside it.

The page carries its own CSS and the figures as base64 data, loads nothing from anywhere (no
CDN, no script), and links only to the students' feedback pages by relative paths, so the
report folder can be zipped or opened from a file share as it is.
"""

from __future__ import annotations

import datetime
import os
import statistics
import urllib.parse
from pathlib import Path

from matplotlib.figure import Figure

from coursekit.core.course import Course
from coursekit.integrity.similarity import KGRAM, MIN_OWN_TOKENS
from coursekit.reporting.export import GRADED_STATUSES
from coursekit.reporting.html_parts import embedded_image, esc, number, table
from coursekit.reporting.report import build_report
from coursekit.reporting.types import ReportData, ReportFiles
from coursekit.reporting.written_html import written_figure, written_section

REPORT_FOLDER = "report"  # relative to the course root
FIGURE_DPI = 100
BAR_COLOUR = "#3b6ea5"
LOW_COLOUR = "#c0504d"  # pass rates under LOW_PASS_RATE: tests to look at first
LOW_PASS_RATE = 0.5

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222;
       line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f3f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-size: 0.92em; } .low { color: #a02020; font-weight: 600; }
.kind { font-weight: 600; } code { background: #f4f4f4; padding: 0 0.2em; }
ul.summary { list-style: none; padding: 0; } ul.summary li { display: inline-block;
  margin-right: 1.5em; }
"""


def write_report(course: Course, assignment_id: str, directory: Path | None = None) -> ReportFiles:
    """Compute the report of an assignment and write it to directory (default <root>/report)."""
    data = build_report(course, assignment_id)
    return render_report(data, directory or course.root / REPORT_FOLDER)


def render_report(data: ReportData, directory: Path) -> ReportFiles:
    """Write the page <assignment_id>.html and its figures into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    figures = {
        "scores": score_figure(data),
        "pass_rates": pass_rate_figure(data),
        "timings": timing_figure(data),
        "written": written_figure(data.written),
    }
    written = {}
    for name, figure in figures.items():
        if figure is not None:
            path = directory / f"{data.assignment_id}_{name}.png"
            figure.savefig(path, dpi=FIGURE_DPI)
            written[name] = path
    page = directory / f"{data.assignment_id}.html"
    page.write_text(page_html(data, written, directory), encoding="utf-8")
    return ReportFiles(str(page), tuple(str(p) for p in written.values()), data)


def render_report_summary(files: ReportFiles) -> str:
    """What the terminal says after `course report`."""
    data = files.data
    graded = {r.student_id for r in data.rows if r.status in GRADED_STATUSES}
    flagged = {f.student_id for f in data.flags}
    return "\n".join(
        [
            f"Report of {data.assignment_id}: {files.page}",
            f"  {len({r.student_id for r in data.rows})} students handed in, {len(graded)} graded",
            f"  {len(data.flags)} flags on {len(flagged)} students; "
            f"{len(data.similar_pairs)} pairs of alike answers for a TA to look at",
            *(f"  figure: {path}" for path in files.figures),
        ]
    )


# --- figures -------------------------------------------------------------------------------


def score_fractions(data: ReportData, notebook_id: str) -> list[float]:
    """score / max_score of each graded notebook."""
    return [
        r.score / r.max_score
        for r in data.rows
        if r.notebook_id == notebook_id
        and r.status in GRADED_STATUSES
        and r.score is not None
        and r.max_score
    ]


def score_figure(data: ReportData) -> Figure | None:
    """One histogram of score / max per notebook that anyone handed in and had graded."""
    notebooks = [n for n in data.notebook_ids if score_fractions(data, n)]
    if not notebooks:
        return None
    columns = min(len(notebooks), 3)
    rows = -(-len(notebooks) // columns)
    figure = Figure(figsize=(4 * columns, 2.8 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(notebooks):
            ax.set_visible(False)
            continue
        fractions = score_fractions(data, notebooks[index])
        ax.hist(fractions, bins=10, range=(0, 1), color=BAR_COLOUR, edgecolor="white")
        ax.set_title(f"{notebooks[index]} ({len(fractions)} graded)", fontsize=9)
        ax.set_xlabel("score / max score")
        ax.set_ylabel("notebooks")
        ax.set_xlim(0, 1)
        ax.yaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(f"{data.assignment_id}: score distribution per notebook")
    return figure


def pass_rate_figure(data: ReportData) -> Figure | None:
    """A horizontal bar per hidden test: the share of graded notebooks with its full points."""
    rates = [r for r in data.pass_rates if r.rate is not None]
    if not rates:
        return None
    figure = Figure(figsize=(9, 1 + 0.32 * len(rates)), layout="constrained")
    ax = figure.subplots()
    labels = [f"{r.notebook_id}: {r.grade_id}" for r in rates]
    values = [r.rate for r in rates]
    colours = [LOW_COLOUR if v < LOW_PASS_RATE else BAR_COLOUR for v in values]
    positions = range(len(rates))
    ax.barh(positions, values, color=colours)
    ax.set_yticks(positions, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of graded notebooks with full points")
    for position, rate in zip(positions, rates, strict=True):
        ax.text(1.0, position, f" {rate.passed}/{rate.graded}", va="center", fontsize=8)
    ax.set_title(f"{data.assignment_id}: pass rate of each autograded test")
    return figure


def timing_figure(data: ReportData) -> Figure | None:
    """Seconds of cell execution per autograded notebook, one box per notebook."""
    series = timing_series(data)
    if not series:
        return None
    figure = Figure(figsize=(9, 1.2 + 0.5 * len(series)), layout="constrained")
    ax = figure.subplots()
    names = list(series)
    ax.boxplot([series[n] for n in names], orientation="horizontal", tick_labels=names)
    for position, name in enumerate(names, start=1):
        ax.plot(series[name], [position] * len(series[name]), "o", color=BAR_COLOUR, alpha=0.5)
    ax.invert_yaxis()
    ax.set_xlabel("seconds executing cells (nbclient's timing metadata)")
    ax.set_title(f"{data.assignment_id}: time each autograded notebook took")
    return figure


def timing_series(data: ReportData) -> dict[str, list[float]]:
    """notebook_id -> the recorded seconds of each autograded notebook (notebooks with any)."""
    series: dict[str, list[float]] = {}
    for timing in data.timings:
        if timing.seconds is not None:
            series.setdefault(timing.notebook_id, []).append(timing.seconds)
    return {n: series[n] for n in data.notebook_ids if n in series}


# --- the page ------------------------------------------------------------------------------


def relative_link(target: str, directory: Path) -> str:
    """A URL from the report folder to a local file, relative so the folders can move together."""
    relative = os.path.relpath(target, directory).replace(os.sep, "/")
    return urllib.parse.quote(relative)


def page_html(data: ReportData, figures: dict[str, Path], directory: Path) -> str:
    """The whole page."""
    sections = [
        summary_section(data),
        scores_section(data, figures.get("scores")),
        pass_rate_section(data, figures.get("pass_rates")),
        timing_section(data, figures.get("timings")),
        written_section(data.written, figures.get("written")),
        flags_section(data, directory),
        similarity_section(data),
    ]
    title = f"Grade report: {data.assignment_id}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
            f"<h1>{esc(title)}</h1>",
            *sections,
            "</body></html>",
        ]
    )


def summary_section(data: ReportData) -> str:
    """Counts at a glance and when the report was made."""
    students = {r.student_id for r in data.rows}
    graded = {r.student_id for r in data.rows if r.status in GRADED_STATUSES}
    flagged = {f.student_id for f in data.flags}
    made = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    items = [
        f"<li><b>{len(students)}</b> students handed in</li>",
        f"<li><b>{len(graded)}</b> graded</li>",
        f"<li><b>{len(flagged)}</b> flagged</li>",
        f"<li><b>{len(data.similar_pairs)}</b> pairs of alike answers</li>",
    ]
    return (
        f'<ul class="summary">{"".join(items)}</ul>'
        f'<p class="note">Made {made} from the gradebook, the autograded notebooks and the '
        "submissions.</p>"
    )


def scores_section(data: ReportData, figure: Path | None) -> str:
    """The score distribution per notebook: figure and table."""
    rows = []
    for notebook_id in data.notebook_ids:
        graded = [
            r
            for r in data.rows
            if r.notebook_id == notebook_id and r.status in GRADED_STATUSES and r.score is not None
        ]
        scores = [r.score for r in graded if r.score is not None]
        most = graded[0].max_score if graded else None
        rows.append(
            [
                f"<code>{esc(notebook_id)}</code>",
                str(len(graded)),
                number(most),
                number(statistics.mean(scores)) if scores else "-",
                number(statistics.median(scores)) if scores else "-",
                number(min(scores)) if scores else "-",
                number(max(scores)) if scores else "-",
            ]
        )
    return (
        "<h2>Scores per notebook</h2>"
        + embedded_image(figure, "score distribution per notebook")
        + table(
            ["notebook", "graded", "max", "mean", "median", "min", "max scored"],
            rows,
            {1, 2, 3, 4, 5, 6},
        )
        + '<p class="note">Scores include written answers graded so far; notebooks still '
        "waiting for a TA count with the points they have.</p>"
    )


def pass_rate_section(data: ReportData, figure: Path | None) -> str:
    """Each autograded test's pass rate."""
    rows = [
        [
            f"<code>{esc(r.notebook_id)}</code>",
            f"<code>{esc(r.grade_id)}</code>",
            number(r.points),
            f"{r.passed}/{r.graded}",
            (
                "-"
                if r.rate is None
                else f'<span class="low">{r.rate:.0%}</span>'
                if r.rate < LOW_PASS_RATE
                else f"{r.rate:.0%}"
            ),
        ]
        for r in data.pass_rates
    ]
    return (
        "<h2>Pass rate of each hidden test</h2>"
        + embedded_image(figure, "pass rate of each autograded test")
        + table(["notebook", "test", "points", "full points", "pass rate"], rows, {2, 3, 4})
        + f'<p class="note">Of the graded notebooks, the share that earned the test\'s full '
        f"points. Under {LOW_PASS_RATE:.0%} in red: a hard task, or a test to check.</p>"
    )


def timing_section(data: ReportData, figure: Path | None) -> str:
    """How long the autograded notebooks took, or that no timing was recorded."""
    series = timing_series(data)
    unrecorded = sum(1 for t in data.timings if t.seconds is None)
    if not series:
        return (
            "<h2>Time each notebook took</h2><p>No autograded notebook holds timing metadata "
            "(nbclient's <code>metadata.execution</code>), so no times are shown.</p>"
        )
    rows = [
        [
            f"<code>{esc(name)}</code>",
            str(len(values)),
            number(statistics.median(values)),
            number(max(values)),
        ]
        for name, values in series.items()
    ]
    missing = (
        f'<p class="note">{unrecorded} autograded notebooks hold no timing metadata and are '
        "left out.</p>"
        if unrecorded
        else ""
    )
    return (
        "<h2>Time each notebook took</h2>"
        + embedded_image(figure, "time each autograded notebook took")
        + table(["notebook", "notebooks", "median s", "max s"], rows, {1, 2, 3})
        + '<p class="note">The sum over code cells of execute_input to execute_reply, as '
        "nbclient records them in the autograded notebook; kernel start-up is not included.</p>"
        + missing
    )


def flags_section(data: ReportData, directory: Path) -> str:
    """Every flagged submission with a link to the student's feedback."""
    if not data.flags:
        return "<h2>Flagged submissions</h2><p>No submission is flagged.</p>"
    rows = []
    for flag in data.flags:
        link = (
            f'<a href="{relative_link(flag.feedback, directory)}">feedback</a>'
            if flag.feedback
            else '<span class="note">no feedback yet</span>'
        )
        notebook = "all" if flag.notebook_id == "*" else f"<code>{esc(flag.notebook_id)}</code>"
        rows.append(
            [
                esc(flag.student_id),
                notebook,
                f'<span class="kind">{esc(flag.kind.value)}</span>',
                esc(flag.detail),
                link,
            ]
        )
    return (
        "<h2>Flagged submissions</h2>"
        + table(["student", "notebook", "flag", "detail", "feedback"], rows, set())
        + '<p class="note">rejected: handed in but unfit to grade; failed: nbgrader failed on '
        "it; error: a cell raised something other than a failed assertion; timeout: a cell ran "
        "past the time limit; tampering: test or locked cells deleted or edited (nbgrader graded "
        "the instructor's version); late: handed in after the due date.</p>"
    )


def similarity_section(data: ReportData) -> str:
    """Pairs of alike answers, with what the number means and what it does not."""
    note = (
        "<p class=\"note\">Each student's own code in a notebook's answer cells (what the "
        "release gave is left out), with comments, layout, docstrings, strings and variable "
        f"names normalised away, compared as sets of {KGRAM}-token runs (Jaccard). Listed at "
        f"{data.similarity_threshold:.0%} and above; students with under {MIN_OWN_TOKENS} own "
        "tokens are not compared. <b>For a TA to look at, never an automatic penalty</b>: short "
        "tasks have few ways to be right.</p>"
    )
    if not data.similar_pairs:
        return f"<h2>Alike answers</h2><p>No pair of submissions is alike.</p>{note}"
    rows = [
        [
            f"<code>{esc(p.notebook_id)}</code>",
            esc(p.student_a),
            esc(p.student_b),
            f"{p.similarity:.0%}",
            f"{p.own_tokens_a} / {p.own_tokens_b}",
        ]
        for p in data.similar_pairs
    ]
    return (
        "<h2>Alike answers</h2>"
        + table(["notebook", "student", "student", "similarity", "own tokens"], rows, {3, 4})
        + note
    )
