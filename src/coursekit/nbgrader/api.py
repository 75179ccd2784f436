"""Thin typed wrappers around nbgrader's API, its gradebook and its grading utilities."""

from __future__ import annotations

import contextlib
import datetime
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nbformat import NotebookNode
from nbformat.warnings import MissingIDFieldWarning
from nbgrader import utils as nbgrader_utils
from nbgrader.api import Gradebook, MissingEntry, SubmittedNotebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearOutput
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from coursekit.core.errors import NbgraderError
from coursekit.core.types import CellScore, NotebookScore, StudentInfo

if TYPE_CHECKING:  # core.course imports nbgrader.layout, which this package holds
    from coursekit.core.course import Course

# How nbgrader writes a submission's timestamp.txt (and reads it back: parse_timestamp).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"

# How much of nbgrader's log an error message carries: enough for the traceback's end.
LOG_TAIL_LINES = 30

# The course id nbgrader's SaveAutoGrades opens the gradebook with (Gradebook's default).
DEFAULT_COURSE_ID = "default_course"
# How long a grading process waits for another's write to the SQLite gradebook before it fails
# with "database is locked". Python's sqlite3 waits 5 s by default. Each of nbgrader's writes
# is a short transaction (a student row, one submission with its grade rows, one commit per
# grade cell), so waits are milliseconds; 5 s is still too close when a cohort of tiny
# notebooks has every worker committing at once on a loaded or networked disk. 120 s covers
# any queue of writers and still ends a lock that is really stuck.
SQLITE_BUSY_TIMEOUT_S = 120


def make_api(course: Course) -> NbGraderAPI:
    """An NbGraderAPI on the course's config, rooted at the course root."""
    coursedir = CourseDirectory(config=course.config)
    coursedir.root = str(course.root)
    return NbGraderAPI(coursedir=coursedir, config=course.config)


def concurrent_db_url(db_url: str) -> str:
    """The gradebook URL for grading processes running at once: SQLite waits for locks longer."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return db_url
    # Workers may run in another folder (Dask workers do): a relative SQLite path means the
    # file relative to this process, as it would for a sequential run.
    database = url.database if url.query.get("uri") else str(Path(url.database).resolve())
    query = {"timeout": str(SQLITE_BUSY_TIMEOUT_S)} | dict(url.query)
    return url.set(database=database, query=query).render_as_string(hide_password=False)


def prepare_gradebook(course: Course) -> None:
    """Create the gradebook's tables and course rows once, before grading processes share it."""
    # Opening a Gradebook creates whatever tables, alembic version and course row it lacks; the
    # autograde of each student opens it with the course's id and (SaveAutoGrades) nbgrader's
    # default one. On a gradebook that lacks them, workers opening it at once would race to
    # create them (two INSERTs of one course row: IntegrityError); done here, workers only read.
    with quiet_nbgrader():
        for course_id in (course.layout.course_id, DEFAULT_COURSE_ID):
            Gradebook(concurrent_db_url(course.db_url), course_id).close()


def log_tail(result: dict[str, object], lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of what nbgrader logged and raised for one call."""
    text = "\n".join(str(result.get(key, "")) for key in ("log", "error") if result.get(key))
    return "\n".join(text.strip().splitlines()[-lines:])


@contextlib.contextmanager
def quiet_nbgrader() -> Iterator[None]:
    """Silence the harmless warnings nbgrader 0.9.6 triggers while it works."""
    # Gradebook.add_submission relies on autoflush cascades that SQLAlchemy 2 warns about
    # ("not in session, add operation ... will not proceed"); the rows are still written.
    # OverwriteCells.add_missing_cells re-adds a deleted test cell without a cell id, which
    # nbformat fills in with a MissingIDFieldWarning. Under warnings-as-errors (our pytest
    # config) either would abort the student's autograde.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        warnings.simplefilter("ignore", MissingIDFieldWarning)
        yield


def failure_cause(tail: str) -> str:
    """The most telling line of a failed call's log: the last exception raised."""
    # nbgrader ends every failure with the same "see the above traceback" line; skip it.
    for line in reversed(tail.splitlines()):
        text = line.strip()
        if re.match(r"^[\w.]*(Error|Exception|Timeout)\b", text) and "above traceback" not in text:
            return text
    return "see the log tail"


def check_result(result: dict[str, object], what: str) -> str:
    """nbgrader's log of a call; raise NbgraderError with its tail if the call failed."""
    if not result.get("success"):
        tail = log_tail(result)
        raise NbgraderError(f"nbgrader failed to {what}: {failure_cause(tail)}", tail)
    return str(result.get("log", ""))


def generate_assignment(course: Course, assignment_id: str) -> str:
    """Run nbgrader generate_assignment (forced, creating the assignment); return its log."""
    with quiet_nbgrader():
        result = make_api(course).generate_assignment(assignment_id, force=True, create=True)
    return check_result(result, f"generate the release of {assignment_id!r}")


def autograde_student(
    course: Course, assignment_id: str, student_id: str, force: bool = True
) -> str:
    """Run nbgrader autograde for one student (creating the student if new); return its log."""
    with quiet_nbgrader():
        result = make_api(course).autograde(assignment_id, student_id, force=force, create=True)
    return check_result(result, f"autograde {student_id!r} on {assignment_id!r}")


def generate_feedback(course: Course, assignment_id: str, student_id: str) -> str:
    """Run nbgrader generate_feedback for one autograded student; return its log."""
    with quiet_nbgrader():
        result = make_api(course).generate_feedback(assignment_id, student_id, force=True)
    return check_result(result, f"generate feedback for {student_id!r} on {assignment_id!r}")


def read_scores(course: Course, assignment_id: str, student_id: str) -> tuple[NotebookScore, ...]:
    """The gradebook's scores of one student's submission, by notebook; () if none is stored."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        try:
            submission = gradebook.find_submission(assignment_id, student_id)
        except MissingEntry:
            return ()
        return tuple(
            _notebook_score(assignment_id, student_id, notebook)
            for notebook in sorted(submission.notebooks, key=lambda nb: nb.name)
        )


def _notebook_score(
    assignment_id: str, student_id: str, notebook: SubmittedNotebook
) -> NotebookScore:
    cells = tuple(
        CellScore(
            grade_id=grade.name,
            cell_type=grade.cell_type,
            score=float(grade.score),
            max_score=float(grade.max_score),
            auto_score=grade.auto_score,
            manual_score=grade.manual_score,
            needs_manual_grade=bool(grade.needs_manual_grade),
            failed_tests=bool(grade.failed_tests),
        )
        for grade in sorted(notebook.grades, key=lambda g: g.name)
    )
    return NotebookScore(
        assignment_id=assignment_id,
        student_id=student_id,
        notebook_id=notebook.name,
        score=float(notebook.score),
        max_score=float(notebook.max_score),
        auto_score=sum(cell.auto_score or 0.0 for cell in cells),
        manual_score=sum(cell.manual_score or 0.0 for cell in cells),
        needs_manual_grade=bool(notebook.needs_manual_grade),
        cells=cells,
    )


def grade_cell_scores(nb: NotebookNode) -> dict[str, tuple[float | None, float]]:
    """grade_id -> (score, max_score) of each executed grade cell as nbgrader scores it."""
    # score None: a manually graded answer, which needs a human.
    scores: dict[str, tuple[float | None, float]] = {}
    for cell in nb.cells:
        if nbgrader_utils.is_grade(cell):
            score, max_score = cell_grade(cell)
            scores[cell.metadata.nbgrader.grade_id] = (
                None if score is None else float(score),
                float(max_score),
            )
    return scores


def read_students(course: Course) -> tuple[StudentInfo, ...]:
    """The gradebook's students (names, email, LMS user id), sorted by student_id."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        return tuple(
            sorted(
                (
                    StudentInfo(s.id, s.first_name, s.last_name, s.email, s.lms_user_id)
                    for s in gradebook.students
                ),
                key=lambda info: info.student_id,
            )
        )


def read_duedate(course: Course, assignment_id: str, student_id: str) -> datetime.datetime | None:
    """The student's due date (extension included) in naive UTC as nbgrader keeps it, or None."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        try:
            assignment = gradebook.find_assignment(assignment_id)
        except MissingEntry:
            return None
        if assignment.duedate is None:
            return None
        try:
            return gradebook.find_submission(assignment_id, student_id).duedate
        except MissingEntry:
            return assignment.duedate


def parse_timestamp(text: str) -> datetime.datetime:
    """A timestamp.txt's text in naive UTC, read as nbgrader reads it (ValueError if unreadable)."""
    try:
        return nbgrader_utils.parse_utc(text.strip())
    except (ValueError, OverflowError) as error:
        raise ValueError(f"unreadable timestamp {text.strip()!r}: {error}") from error


def update_or_create_students(
    course: Course, students: Sequence[StudentInfo], columns: Sequence[str]
) -> None:
    """Add or update students in the gradebook, setting only the given columns."""
    with quiet_nbgrader(), Gradebook(course.db_url, course.layout.course_id) as gradebook:
        for student in students:
            gradebook.update_or_create_student(
                student.student_id, **{name: getattr(student, name) for name in columns}
            )


@contextlib.contextmanager
def validating() -> Iterator[None]:
    """The environment `nbgrader validate` runs a notebook in (a notebook may test for it)."""
    with nbgrader_utils.setenv(NBGRADER_VALIDATING="1", NBGRADER_EXECUTION="validate"):
        yield


def clear_outputs(nb: NotebookNode, config: Config) -> NotebookNode:
    """nb without outputs and execution counts, as nbgrader's ClearOutput step leaves it."""
    cleared, _ = ClearOutput(config=config).preprocess(nb, {})
    return cleared


def cell_grade(cell: NotebookNode) -> tuple[float | None, float]:
    """(score, max_score) of an executed grade cell, as nbgrader scores it."""
    return nbgrader_utils.determine_grade(cell)


def cell_checksum(cell: NotebookNode) -> str:
    """nbgrader's checksum of a cell (what its metadata stores to detect edited tests)."""
    return nbgrader_utils.compute_checksum(cell)


def __getattr__(name: str) -> object:
    # Names coursekit 0.1's nbgrader_ops had and that moved (kept for one release, as
    # coursekit.compat keeps the old module paths).
    import importlib
    import warnings

    moved = {
        "CourseLayout": "coursekit.nbgrader.layout",
        "read_layout": "coursekit.nbgrader.layout",
        "execute_notebook": "coursekit.steps.execution",
    }
    if name not in moved:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    new_name = "execute_as_autograde" if name == "execute_notebook" else name
    warnings.warn(f"{name} moved to {moved[name]}.{new_name}", FutureWarning, stacklevel=2)
    return getattr(importlib.import_module(moved[name]), new_name)
