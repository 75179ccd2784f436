"""Rubric items applied to answers, kept beside nbgrader's gradebook and scored into it.

Every change is one transaction that first bumps its question's version row: that write takes
the database's write lock (SQLite) or the row's lock (PostgreSQL) before anything is read, so
two TAs' changes to one question run one after the other, each on the other's result, and
neither is lost. Applying an item adds or removes only that item of those answers; each answer
touched is then scored from all its items, and its score and comment written to nbgrader's
tables in the same transaction, so the gradebook never shows a score its items do not give.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from coursekit.answers.rubric import score_of
from coursekit.answers.tables import APPLIED, COMMENTS, ITEMS, QUESTIONS, create_tables
from coursekit.answers.types import Marks, Question, QuestionMarks, StoredItem
from coursekit.core.errors import CourseError
from coursekit.nbgrader.written_grades import WrittenGradebook


class StaleComment(CourseError):
    """A comment saved over one another TA saved since it was loaded."""

    def __init__(self, current: Marks) -> None:
        super().__init__("another grader changed this comment since you loaded it")
        self.current = current


def comment_text(items: Iterable[StoredItem], comment: str) -> str:
    """The comment nbgrader keeps (and feedback shows): the items applied, then the TA's words."""
    lines = [item.label for item in items]
    return "\n".join(
        [*lines, *([""] if lines and comment else []), *([comment] if comment else [])]
    )


class RubricStore:
    """The rubric items, applied items and comments of one assignment's written answers."""

    def __init__(self, gradebook: WrittenGradebook, assignment_id: str) -> None:
        self.gradebook = gradebook
        self.assignment_id = assignment_id
        create_tables(gradebook.engine)

    def _key(self, question: Question, table: sa.Table) -> sa.ColumnElement[bool]:
        return sa.and_(
            table.c.assignment == self.assignment_id,
            table.c.notebook == question.notebook_id,
            table.c.grade_id == question.grade_id,
        )

    def _values(self, question: Question) -> dict[str, str]:
        return {
            "assignment": self.assignment_id,
            "notebook": question.notebook_id,
            "grade_id": question.grade_id,
        }

    def seed(self, questions: Iterable[Question]) -> None:
        """Give each question its instructor's rubric items, unless it has items already."""
        session = self.gradebook.session
        for question in questions:
            if session.execute(sa.select(QUESTIONS).where(self._key(question, QUESTIONS))).first():
                continue
            session.execute(QUESTIONS.insert().values(**self._values(question), version=0))
            session.execute(
                ITEMS.insert(),
                [
                    {**self._values(question), "position": position, **vars(item)}
                    for position, item in enumerate(question.rubric.items)
                ],
            )
            self.gradebook.commit()

    @contextlib.contextmanager
    def _change(self, question: Question) -> Iterator[None]:
        """One transaction on a question, serialised with every other one on it."""
        session = self.gradebook.session
        session.rollback()  # start fresh: the version bump must be the transaction's first write
        session.execute(
            QUESTIONS.update()
            .where(self._key(question, QUESTIONS))
            .values(version=QUESTIONS.c.version + 1)
        )
        try:
            yield
            self.gradebook.commit()
        except BaseException:
            self.gradebook.rollback()
            raise

    def read(self, question: Question) -> QuestionMarks:
        """The question's items and marks as committed now."""
        session = self.gradebook.session
        try:
            version = session.execute(
                sa.select(QUESTIONS.c.version).where(self._key(question, QUESTIONS))
            ).scalar_one()
            items = tuple(self._items(question).values())
            marks = self._marks(question, None)
        finally:
            session.rollback()  # no read transaction left open between requests
        return QuestionMarks(version, items, marks)

    def apply(
        self, question: Question, students: Iterable[str], item_id: int, applied: bool, grader: str
    ) -> None:
        """Apply (or remove) one item to answers and score them; other items stay as they are."""
        students = list(students)
        with self._change(question):
            self._item(question, item_id)
            session = self.gradebook.session
            session.execute(
                APPLIED.delete().where(
                    self._key(question, APPLIED),
                    APPLIED.c.student.in_(students),
                    APPLIED.c.item_id == item_id,
                )
            )
            if applied:
                session.execute(
                    APPLIED.insert(),
                    [
                        {
                            **self._values(question),
                            "student": s,
                            "item_id": item_id,
                            "grader": grader,
                        }
                        for s in students
                    ],
                )
            self._score(question, students)

    def grade(self, question: Question, students: Iterable[str]) -> None:
        """Score answers from the items they have (none: 0), marking them graded."""
        with self._change(question):
            self._score(question, list(students))

    def set_comment(
        self, question: Question, versions: dict[str, int], comment: str, grader: str
    ) -> None:
        """Save a TA's comment on answers (student -> the comment version the TA saw), unless
        another TA saved one on any of them since: then nothing is saved (StaleComment)."""
        students = list(versions)
        with self._change(question):
            for student, current in self._marks(question, students).items():
                if current.comment_version != versions[student]:
                    raise StaleComment(current)
            session = self.gradebook.session
            session.execute(
                COMMENTS.delete().where(
                    self._key(question, COMMENTS), COMMENTS.c.student.in_(students)
                )
            )
            session.execute(
                COMMENTS.insert(),
                [
                    {
                        **self._values(question),
                        "student": student,
                        "comment": comment,
                        "version": version + 1,
                        "grader": grader,
                    }
                    for student, version in versions.items()
                ],
            )
            self._score(question, students)

    def edit_item(
        self, question: Question, item_id: int | None, points: float, description: str
    ) -> int:
        """Change an item (or add one: item_id None) and re-score every answer it is applied to."""
        session = self.gradebook.session
        with self._change(question):
            if item_id is None:
                position = len(self._items(question))
                inserted = session.execute(
                    ITEMS.insert().values(
                        **self._values(question),
                        position=position,
                        points=points,
                        description=description,
                    )
                )
                return int(inserted.inserted_primary_key[0])
            self._item(question, item_id)
            session.execute(
                ITEMS.update()
                .where(ITEMS.c.id == item_id)
                .values(points=points, description=description)
            )
            self._score(question, self._students_with(question, item_id))
            return item_id

    def delete_item(self, question: Question, item_id: int) -> None:
        """Remove an item from the rubric and from every answer, and re-score those answers."""
        session = self.gradebook.session
        with self._change(question):
            self._item(question, item_id)
            students = self._students_with(question, item_id)
            session.execute(APPLIED.delete().where(APPLIED.c.item_id == item_id))
            session.execute(ITEMS.delete().where(ITEMS.c.id == item_id))
            self._score(question, students)

    def _items(self, question: Question) -> dict[int, StoredItem]:
        rows = self.gradebook.session.execute(
            sa.select(ITEMS).where(self._key(question, ITEMS)).order_by(ITEMS.c.position)
        )
        return {
            row.id: StoredItem(points=row.points, description=row.description, item_id=row.id)
            for row in rows
        }

    def _item(self, question: Question, item_id: int) -> StoredItem:
        item = self._items(question).get(item_id)
        if item is None:
            raise CourseError(f"{question.key} has no rubric item {item_id} (deleted meanwhile?)")
        return item

    def _students_with(self, question: Question, item_id: int) -> list[str]:
        statement = sa.select(APPLIED.c.student).where(
            self._key(question, APPLIED), APPLIED.c.item_id == item_id
        )
        return list(self.gradebook.session.execute(statement).scalars())

    def _marks(self, question: Question, students: list[str] | None) -> dict[str, Marks]:
        """Each student's marks (None: every student with any), as the transaction sees them."""
        session = self.gradebook.session
        applied_rows = sa.select(APPLIED).where(self._key(question, APPLIED))
        comment_rows = sa.select(COMMENTS).where(self._key(question, COMMENTS))
        if students is not None:
            applied_rows = applied_rows.where(APPLIED.c.student.in_(students))
            comment_rows = comment_rows.where(COMMENTS.c.student.in_(students))
        applied: dict[str, set[int]] = {student: set() for student in students or ()}
        for row in session.execute(applied_rows):
            applied.setdefault(row.student, set()).add(row.item_id)
        comments = {
            row.student: (row.comment, row.version) for row in session.execute(comment_rows)
        }
        return {
            student: Marks(frozenset(applied.get(student, ())), *comments.get(student, ("", 0)))
            for student in applied.keys() | comments.keys()
        }

    def _score(self, question: Question, students: list[str]) -> None:
        """Write each student's score and comment, from their items, into nbgrader's tables."""
        items = self._items(question)
        for student, marks in self._marks(question, students).items():
            given = [items[item_id] for item_id in items if item_id in marks.item_ids]
            self.gradebook.set_grade(
                self.assignment_id,
                question.notebook_id,
                question.grade_id,
                student,
                score_of([item.points for item in given], question.rubric.points),
                comment_text(given, marks.comment),
            )
