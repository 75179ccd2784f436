"""A student's submission as the gradebook holds it: saved before grading, put back if grading
must be undone (a disk that filled up, a grader killed halfway).

What is saved and put back: the submission row (timestamp, extension), each submitted
notebook's flag and late penalty, each grade (auto, manual and extra credit scores,
needs_manual_grade), each comment, and the fingerprints of gradebook_writes. A student row that
grading created stays (it holds no grade); a submission that did not exist is removed again."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from nbgrader.api import Gradebook, MissingEntry

from coursekit.nbgrader.answer_fingerprints import FINGERPRINTS, create_fingerprint_table
from coursekit.nbgrader.api import quiet_nbgrader


@dataclass(frozen=True)
class GradeState:
    """One grade row's own values (score and flags), by notebook and grade_id."""

    notebook: str
    grade_id: str
    auto_score: float | None
    manual_score: float | None
    extra_credit: float | None
    needs_manual_grade: bool


@dataclass(frozen=True)
class CommentState:
    """One comment row's own values, by notebook and grade_id."""

    notebook: str
    grade_id: str
    auto_comment: str | None
    manual_comment: str | None


@dataclass(frozen=True)
class NotebookState:
    """One submitted notebook row's own values."""

    notebook: str
    flagged: bool | None
    late_submission_penalty: float | None


@dataclass(frozen=True)
class SubmissionState:
    """What the gradebook holds of one student's submission of one assignment (exists=False:
    nothing), with the fingerprints of its graded answers."""

    assignment_id: str
    student_id: str
    exists: bool
    timestamp: str | None = None  # naive UTC, ISO 8601, as nbgrader keeps it
    extension_s: float | None = None
    notebooks: tuple[NotebookState, ...] = ()
    grades: tuple[GradeState, ...] = ()
    comments: tuple[CommentState, ...] = ()
    fingerprints: tuple[tuple[str, str, str], ...] = ()  # notebook, grade_id, fp

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SubmissionState:
        """The state to_json wrote."""
        return cls(
            assignment_id=data["assignment_id"],
            student_id=data["student_id"],
            exists=data["exists"],
            timestamp=data["timestamp"],
            extension_s=data["extension_s"],
            notebooks=tuple(NotebookState(**row) for row in data["notebooks"]),
            grades=tuple(GradeState(**row) for row in data["grades"]),
            comments=tuple(CommentState(**row) for row in data["comments"]),
            fingerprints=tuple(tuple(row) for row in data["fingerprints"]),  # type: ignore[misc]
        )


def save_submission(
    db_url: str, course_id: str, assignment_id: str, student_id: str
) -> SubmissionState:
    """The gradebook's state of one submission, to put back later with restore_submission."""
    with Gradebook(db_url, course_id) as gradebook:
        create_fingerprint_table(gradebook.engine)
        try:
            submission = gradebook.find_submission(assignment_id, student_id)
        except MissingEntry:
            return SubmissionState(assignment_id, student_id, exists=False)
        notebooks = sorted(submission.notebooks, key=lambda nb: nb.name)
        rows = gradebook.db.execute(
            sa.select(
                FINGERPRINTS.c.notebook, FINGERPRINTS.c.grade_id, FINGERPRINTS.c.fingerprint
            ).where(
                FINGERPRINTS.c.assignment == assignment_id, FINGERPRINTS.c.student == student_id
            )
        )
        return SubmissionState(
            assignment_id,
            student_id,
            exists=True,
            timestamp=None if submission.timestamp is None else submission.timestamp.isoformat(),
            extension_s=(
                None if submission.extension is None else submission.extension.total_seconds()
            ),
            notebooks=tuple(
                NotebookState(nb.name, nb.flagged, nb.late_submission_penalty) for nb in notebooks
            ),
            grades=tuple(
                GradeState(
                    nb.name,
                    grade.name,
                    grade.auto_score,
                    grade.manual_score,
                    grade.extra_credit,
                    bool(grade.needs_manual_grade),
                )
                for nb in notebooks
                for grade in sorted(nb.grades, key=lambda g: g.name)
            ),
            comments=tuple(
                CommentState(nb.name, comment.name, comment.auto_comment, comment.manual_comment)
                for nb in notebooks
                for comment in sorted(nb.comments, key=lambda c: c.name)
            ),
            fingerprints=tuple(sorted((str(a), str(b), str(c)) for a, b, c in rows)),
        )


def restore_submission(db_url: str, course_id: str, state: SubmissionState) -> None:
    """Put one submission back as save_submission found it, in one transaction."""
    with Gradebook(db_url, course_id) as gradebook:
        create_fingerprint_table(gradebook.engine)
        try:
            _restore(gradebook, state)
            gradebook.db.commit()
        except BaseException:
            gradebook.db.rollback()
            raise


def _restore(gradebook: Gradebook, state: SubmissionState) -> None:
    db = gradebook.db
    db.execute(
        sa.delete(FINGERPRINTS).where(
            FINGERPRINTS.c.assignment == state.assignment_id,
            FINGERPRINTS.c.student == state.student_id,
        )
    )
    try:
        submission = gradebook.find_submission(state.assignment_id, state.student_id)
    except MissingEntry:
        if not state.exists:
            return
        # Removed by someone else since it was saved: rebuild its rows (add_submission commits).
        with quiet_nbgrader():
            submission = gradebook.add_submission(state.assignment_id, state.student_id)
    if not state.exists:  # graded for the first time: no submission before
        for notebook in submission.notebooks:
            for row in (*notebook.grades, *notebook.comments):
                db.delete(row)
            db.delete(notebook)
        db.delete(submission)
        return
    submission.timestamp = (
        None if state.timestamp is None else datetime.datetime.fromisoformat(state.timestamp)
    )
    submission.extension = (
        None if state.extension_s is None else datetime.timedelta(seconds=state.extension_s)
    )
    notebooks = {nb.name: nb for nb in submission.notebooks}
    for saved in state.notebooks:
        set_fields(notebooks.get(saved.notebook), saved, ("notebook",))
    grades = {(nb.name, g.name): g for nb in submission.notebooks for g in nb.grades}
    for grade in state.grades:
        set_fields(grades.get((grade.notebook, grade.grade_id)), grade, ("notebook", "grade_id"))
    comments = {(nb.name, c.name): c for nb in submission.notebooks for c in nb.comments}
    for comment in state.comments:
        set_fields(
            comments.get((comment.notebook, comment.grade_id)), comment, ("notebook", "grade_id")
        )
    if state.fingerprints:
        db.execute(
            sa.insert(FINGERPRINTS),
            [
                {
                    "assignment": state.assignment_id,
                    "student": state.student_id,
                    "notebook": notebook,
                    "grade_id": grade_id,
                    "fingerprint": fingerprint,
                }
                for notebook, grade_id, fingerprint in state.fingerprints
            ],
        )


def set_fields(row: object | None, saved: object, keys: tuple[str, ...]) -> None:
    """Copy a saved dataclass's values (all but its key fields) onto its gradebook row, if any."""
    if row is None:
        return
    for name, value in asdict(saved).items():  # type: ignore[call-overload]
        if name not in keys:
            setattr(row, name, value)
