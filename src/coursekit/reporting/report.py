"""The grade report of one assignment, computed: scores, test pass rates, timings, flags, pairs."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.answers.summary import summarize_written
from coursekit.authoring.summary import summarize_assignment
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.intake.submissions import (
    compare_with_release,
    inspect_submission,
    load_notebook,
    read_release,
)
from coursekit.intake.types import Severity, SubmissionProblem
from coursekit.integrity import similarity
from coursekit.integrity.types import SimilarPair
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.export import (
    FAILED,
    GRADED_STATUSES,
    NOT_GRADED,
    UNFINISHED,
    collect_grade_rows,
)
from coursekit.reporting.flags import report_flags
from coursekit.reporting.types import (
    Flag,
    FlagKind,
    GradeRow,
    NotebookTiming,
    ReportData,
    TestPassRate,
)

# What a failing test raises, and what the release's stub raises in an unanswered cell: lost
# points, not a crash worth a TA's look.
# A test zeroed by the verdict checks is flagged as an untrusted verdict (reporting.flags).
EXPECTED_ERRORS = ("AssertionError", "NotImplementedError", "VerdictNotTrustworthy")
# The error nbclient records (nbgrader's Execute.error_on_timeout) when a cell outruns the timeout.
TIMEOUT_ERROR = "CellTimeoutError"
INTERRUPTED = (
    "KeyboardInterrupt"  # what the kernel raises when nbclient interrupts a timed-out cell
)
DETAIL_CHARS = 200  # one error message in a flag: its first line, cut here
TIMESTAMP_FILE = "timestamp.txt"  # written by nbgrader's collect (and cohort.write_submission)


def build_report(course: Course, assignment_id: str) -> ReportData:
    """Everything the report of one assignment shows, read from the course folders and gradebook."""
    notebook_ids = tuple(course.notebook_ids(assignment_id))
    release = read_release(course, assignment_id)
    rows = collect_grade_rows(course, [assignment_id])
    student_ids = course.submitted_student_ids(assignment_id)
    autograded = read_autograded(course, assignment_id, student_ids, notebook_ids)
    flags = [
        *submission_flags(course, assignment_id, rows, release),
        *tampering_flags(course, assignment_id, student_ids, release),
        *late_flags(course, assignment_id, student_ids),
        *output_flags(autograded),
        *report_flags(course, assignment_id, student_ids, release),
    ]
    return ReportData(
        assignment_id=assignment_id,
        notebook_ids=notebook_ids,
        rows=rows,
        pass_rates=test_pass_rates(course, assignment_id, rows),
        timings=tuple(
            NotebookTiming(sid, nid, notebook_seconds(nb))
            for (sid, nid), nb in sorted(autograded.items())
        ),
        flags=tuple(
            sorted(
                (with_feedback(course, assignment_id, flag) for flag in flags),
                key=lambda f: (f.student_id, f.notebook_id, f.kind.value),
            )
        ),
        similar_pairs=similar_answers(course, assignment_id, student_ids, release),
        similarity_threshold=similarity.THRESHOLD,
        written=summarize_written(course, assignment_id),
    )


def read_autograded(
    course: Course, assignment_id: str, student_ids: Iterable[str], notebook_ids: Iterable[str]
) -> dict[tuple[str, str], NotebookNode]:
    """(student_id, notebook_id) -> the autograded (executed) notebook, for those that exist."""
    found = {}
    for student_id in student_ids:
        folder = course.autograded_dir(assignment_id, student_id)
        for notebook_id in notebook_ids:
            path = folder / f"{notebook_id}.ipynb"
            if path.is_file():
                found[(student_id, notebook_id)] = read_quietly(path)
    return found


def read_quietly(path: Path) -> NotebookNode:
    """A notebook read as nbformat 4; nbformat's warnings about repairable ids are no news here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.read(path, as_version=4)


def test_pass_rates(
    course: Course, assignment_id: str, rows: Iterable[GradeRow]
) -> tuple[TestPassRate, ...]:
    """Each autograded test: how many graded notebooks earned its full points."""
    graded: dict[str, list[str]] = {}
    for row in rows:
        if row.status in GRADED_STATUSES:
            graded.setdefault(row.notebook_id, []).append(row.student_id)
    full: dict[tuple[str, str], int] = {}
    for student_id in sorted({sid for sids in graded.values() for sid in sids}):
        for score in nbgrader_api.read_scores(course, assignment_id, student_id):
            if student_id not in graded.get(score.notebook_id, []):
                continue
            for cell in score.cells:
                if cell.cell_type == "code" and cell.score >= cell.max_score:
                    key = (score.notebook_id, cell.grade_id)
                    full[key] = full.get(key, 0) + 1
    return tuple(
        TestPassRate(
            summary.notebook_id,
            item.grade_id,
            item.points,
            full.get((summary.notebook_id, item.grade_id), 0),
            len(graded.get(summary.notebook_id, [])),
        )
        for summary in summarize_assignment(course, assignment_id)
        for item in summary.items
        if item.autograded
    )


def notebook_seconds(nb: NotebookNode) -> float | None:
    """Seconds between each code cell's execute_input and execute_reply, summed; None if unrecorded.

    nbclient (record_timing, on by default) keeps these in each executed cell's metadata.
    """
    spans = []
    for cell in nb.cells:
        execution = cell.get("metadata", {}).get("execution", {})
        start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
        if start and end:
            spans.append((parse_iso(end) - parse_iso(start)).total_seconds())
    return round(sum(spans), 3) if spans else None


def parse_iso(text: str) -> datetime.datetime:
    """An ISO 8601 timestamp as Jupyter writes it (a trailing Z means UTC)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def submission_flags(
    course: Course,
    assignment_id: str,
    rows: Iterable[GradeRow],
    release: Mapping[str, NotebookNode],
) -> list[Flag]:
    """Notebooks handed in but never autograded (rejected), or whose autograde failed."""
    flags = []
    reasons: dict[str, list[SubmissionProblem]] = {}
    for row in rows:
        if row.status == FAILED:
            flags.append(
                Flag(
                    row.student_id,
                    row.notebook_id,
                    FlagKind.FAILED,
                    "in the gradebook, but autograde wrote no notebook: nbgrader failed on it "
                    f"(see `course autograde {assignment_id} --student {row.student_id}`)",
                )
            )
        elif row.status == UNFINISHED:
            flags.append(
                Flag(
                    row.student_id,
                    row.notebook_id,
                    FlagKind.FAILED,
                    "grading unfinished: a run was stopped while grading it (or is grading it "
                    "now), so its grades are not final; the next `course autograde "
                    f"{assignment_id}` undoes what it wrote and grades it again first",
                )
            )
        elif row.status == NOT_GRADED:
            if row.student_id not in reasons:
                problems = inspect_submission(course, assignment_id, row.student_id, release)
                reasons[row.student_id] = [p for p in problems if p.severity is Severity.FATAL]
            fatal = reasons[row.student_id]
            detail = "; ".join(
                p.reason for p in fatal if p.notebook_id in (row.notebook_id, "*")
            ) or ("; ".join(p.reason for p in fatal) or "handed in, not autograded yet")
            flags.append(Flag(row.student_id, row.notebook_id, FlagKind.REJECTED, detail))
    return flags


def tampering_flags(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str],
    release: Mapping[str, NotebookNode],
) -> list[Flag]:
    """Test or locked cells deleted or edited in a readable submitted notebook."""
    flags = []
    for student_id in student_ids:
        folder = course.submitted_dir(assignment_id, student_id)
        for notebook_id, release_nb in release.items():
            loaded = load_notebook(folder, notebook_id, set(release))
            if isinstance(loaded, SubmissionProblem):
                continue  # unreadable or missing: a rejection or a zero, not tampering
            warned = [
                p.reason
                for p in compare_with_release(notebook_id, loaded, release_nb)
                if p.severity is Severity.WARNING
            ]
            if warned:
                flags.append(Flag(student_id, notebook_id, FlagKind.TAMPERING, "; ".join(warned)))
    return flags


def late_flags(course: Course, assignment_id: str, student_ids: Iterable[str]) -> list[Flag]:
    """Submissions whose timestamp.txt is after the student's due date in the gradebook."""
    flags = []
    for student_id in student_ids:
        stamp_file = course.submitted_dir(assignment_id, student_id) / TIMESTAMP_FILE
        duedate = nbgrader_api.read_duedate(course, assignment_id, student_id)
        if duedate is None or not stamp_file.is_file():
            continue
        try:
            handed_in = nbgrader_api.parse_timestamp(stamp_file.read_text())
        except ValueError as error:
            flags.append(Flag(student_id, "*", FlagKind.LATE, f"{stamp_file}: {error}"))
            continue
        if handed_in > duedate:
            flags.append(
                Flag(
                    student_id,
                    "*",
                    FlagKind.LATE,
                    f"handed in {handed_in:%Y-%m-%d %H:%M} UTC, "
                    f"{describe_delay(handed_in - duedate)} after the due date "
                    f"{duedate:%Y-%m-%d %H:%M} UTC",
                )
            )
    return flags


def describe_delay(delay: datetime.timedelta) -> str:
    """A delay in days, hours and minutes ("1 d 2 h 5 min"; under a minute: "<1 min")."""
    minutes = int(delay.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts) or "<1 min"


def output_flags(autograded: Mapping[tuple[str, str], NotebookNode]) -> list[Flag]:
    """Cells of autograded notebooks that crashed (not a failed assertion) or timed out."""
    flags = []
    for (student_id, notebook_id), nb in sorted(autograded.items()):
        crashes, timeouts = [], []
        answer_failed = False
        for index, cell in enumerate(nb.cells, start=1):
            where = cells.grade_id(cell) or f"cell {index}"
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            for output in errors:
                ename = output.get("ename", "")
                if ename == TIMEOUT_ERROR:
                    timeouts.append(where)
                elif ename in EXPECTED_ERRORS or ename == INTERRUPTED:
                    continue
                elif (
                    ename == "NameError" and answer_failed and not cells.is_autograded_answer(cell)
                ):
                    continue  # a test or given cell misses what a failed answer never defined
                else:
                    crashes.append(f"{where}: {error_line(ename, output.get('evalue', ''))}")
            answer_failed = answer_failed or (bool(errors) and cells.is_autograded_answer(cell))
        if timeouts:
            flags.append(
                Flag(
                    student_id,
                    notebook_id,
                    FlagKind.TIMEOUT,
                    f"ran past the timeout in {', '.join(dict.fromkeys(timeouts))}",
                )
            )
        if crashes:
            flags.append(Flag(student_id, notebook_id, FlagKind.ERROR, "; ".join(crashes)))
    return flags


def error_line(ename: str, evalue: str) -> str:
    """`Name: first line of the message`, cut to DETAIL_CHARS."""
    first = evalue.strip().splitlines()[0] if evalue.strip() else ""
    text = f"{ename}: {first}" if first else ename
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def with_feedback(course: Course, assignment_id: str, flag: Flag) -> Flag:
    """The flag with the path of the student's feedback HTML for its notebook, if written."""
    folder = course.feedback_dir(assignment_id, flag.student_id)
    if flag.notebook_id == "*":
        pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
        page = pages[0] if pages else None
    else:
        page = folder / f"{flag.notebook_id}.html"
    if page is None or not page.is_file():
        return flag
    return Flag(flag.student_id, flag.notebook_id, flag.kind, flag.detail, str(page))


def answer_code(nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the code of each autograded answer cell."""
    return {
        cells.grade_id(cell): cells.cell_source(cell)
        for cell in nb.cells
        if cells.is_autograded_answer(cell)
    }


def similar_answers(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str],
    release: Mapping[str, NotebookNode],
) -> tuple[SimilarPair, ...]:
    """Pairs of students whose own code in a notebook is alike, from the submitted notebooks."""
    pairs: list[SimilarPair] = []
    for notebook_id, release_nb in release.items():
        answers = {}
        for student_id in student_ids:
            path = course.submitted_dir(assignment_id, student_id) / f"{notebook_id}.ipynb"
            try:
                answers[student_id] = answer_code(read_quietly(path))
            except (OSError, ValueError, KeyError, AttributeError):
                continue  # missing or unreadable: nothing to compare (the flags say why)
        pairs.extend(similarity.similar_pairs(notebook_id, answers, answer_code(release_nb)))
    return tuple(pairs)
