"""The tables coursekit keeps beside nbgrader's gradebook for grading by question.

nbgrader keeps one manual score and one comment per answer; these keep how they came about: the
rubric items of each question (editable while grading), which items each answer got, the TA's
own comment, and a version per question that every change bumps (pages poll it to keep up).
The formgrader never reads them; the score and comment they produce go to nbgrader's tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

METADATA = sa.MetaData()
KEY = ("assignment", "notebook", "grade_id")


def key_columns(primary: bool = True) -> list[sa.Column]:
    """The columns naming one question: assignment, notebook and grade_id."""
    return [sa.Column(name, sa.String(128), primary_key=primary, nullable=False) for name in KEY]


QUESTIONS = sa.Table(
    "coursekit_rubric_question",
    METADATA,
    *key_columns(),
    sa.Column("version", sa.Integer, nullable=False, default=0),
)
ITEMS = sa.Table(
    "coursekit_rubric_item",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *key_columns(primary=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
)
APPLIED = sa.Table(
    "coursekit_applied_item",
    METADATA,
    *key_columns(),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey(ITEMS.c.id), primary_key=True),
    sa.Column("grader", sa.String(128), nullable=True),
)
COMMENTS = sa.Table(
    "coursekit_answer_comment",
    METADATA,
    *key_columns(),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("version", sa.Integer, nullable=False, default=0),
    sa.Column("grader", sa.String(128), nullable=True),
)


def create_tables(engine: sa.engine.Engine) -> None:
    """Create the tables the gradebook lacks (tolerating another process creating them too)."""
    try:
        METADATA.create_all(engine, checkfirst=True)
    except SQLAlchemyError:
        if not all(sa.inspect(engine).has_table(table) for table in METADATA.tables):
            raise
