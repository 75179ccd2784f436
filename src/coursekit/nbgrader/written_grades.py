"""The manual grades and comments of written answers in nbgrader's gradebook, read and set.

What the formgrader writes when a TA grades a cell (Grade.manual_score, needs_manual_grade,
Comment.manual_comment), written here the same way, so the formgrader, feedback, export and the
report see one grade whichever page set it. The gradebook stays open for the life of a grading
page; each change is one transaction that the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from nbgrader.api import (
    Assignment,
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
)
from sqlalchemy.orm import Session

from coursekit.core.errors import CourseError
from coursekit.nbgrader.api import concurrent_db_url, quiet_nbgrader


@dataclass(frozen=True)
class WrittenGrade:
    """One student's grade of one written-answer cell, as the gradebook holds it."""

    student_id: str
    score: float | None  # the manual score, else the automatic one (0 for an untouched answer)
    max_score: float
    needs_manual_grade: bool
    comment: str | None  # the manual comment


class WrittenGradebook:
    """nbgrader's gradebook, opened once, for the written answers' grades and comments."""

    def __init__(self, db_url: str, course_id: str) -> None:
        with quiet_nbgrader():
            self._gradebook = Gradebook(concurrent_db_url(db_url), course_id)

    @property
    def session(self) -> Session:
        """The gradebook's session: coursekit's own tables are written in its transactions."""
        return self._gradebook.db

    @property
    def engine(self) -> sa.engine.Engine:
        """The gradebook's engine (to create coursekit's tables beside nbgrader's)."""
        return self._gradebook.engine

    def close(self) -> None:
        """Close the session and the engine."""
        self._gradebook.close()

    def commit(self) -> None:
        """Commit the transaction."""
        with quiet_nbgrader():
            self.session.commit()

    def rollback(self) -> None:
        """Roll the transaction back."""
        self.session.rollback()

    def _cell_rows(
        self, model: type, assignment_id: str, notebook_id: str, grade_id: str
    ) -> sa.Select:
        return (
            sa.select(model, SubmittedAssignment.student_id)
            .join(SubmittedNotebook, model.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .join(BaseCell, model.cell_id == BaseCell.id)
            .join(Notebook, BaseCell.notebook_id == Notebook.id)
            .where(
                Assignment.name == assignment_id,
                Notebook.name == notebook_id,
                BaseCell.name == grade_id,
            )
        )

    def read_grades(
        self, assignment_id: str, notebook_id: str, grade_id: str
    ) -> dict[str, WrittenGrade]:
        """student_id -> the grade of one written-answer cell, for every student graded on it."""
        where = (assignment_id, notebook_id, grade_id)
        comments = {
            student: comment.manual_comment
            for comment, student in self.session.execute(self._cell_rows(Comment, *where))
        }
        return {
            student: WrittenGrade(
                student_id=student,
                score=grade.manual_score if grade.manual_score is not None else grade.auto_score,
                max_score=float(grade.max_score),
                needs_manual_grade=bool(grade.needs_manual_grade),
                comment=comments.get(student),
            )
            for grade, student in self.session.execute(self._cell_rows(Grade, *where))
        }

    def set_grade(
        self,
        assignment_id: str,
        notebook_id: str,
        grade_id: str,
        student_id: str,
        score: float,
        comment: str,
    ) -> None:
        """Set a cell's manual score and comment as the formgrader does (not yet committed)."""
        where = (assignment_id, notebook_id, grade_id)
        grade = self._one(Grade, where, student_id)
        grade.manual_score = score
        grade.needs_manual_grade = False
        self._one(Comment, where, student_id).manual_comment = comment or None

    def _one(self, model: type, where: tuple[str, str, str], student_id: str) -> Grade | Comment:
        statement = self._cell_rows(model, *where).where(
            SubmittedAssignment.student_id == student_id
        )
        row = self.session.execute(statement).first()
        if row is None:
            raise CourseError(
                f"the gradebook has no {model.__name__.lower()} of {'/'.join(where)} for "
                f"{student_id!r}: autograde the student first"
            )
        return row[0]
