"""The written answers of an assignment summed up for the report, from the gradebook alone.

Needs no rubric in the cells (a course may grade in the formgrader only): points come from
nbgrader's grades, the items used from the table the grading page keeps, when it was used.
"""

from __future__ import annotations

from collections import Counter

import nbformat
import sqlalchemy as sa

from coursekit.answers.tables import APPLIED, ITEMS, create_tables
from coursekit.answers.types import QuestionSummary, RubricItem
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.nbgrader.written_grades import WrittenGradebook

MOST_USED = 3  # rubric items listed per question


def written_cells(course: Course, assignment_id: str) -> list[tuple[str, str]]:
    """(notebook_id, grade_id) of every written-answer cell of the instructor's notebooks."""
    found = []
    for notebook_id in course.notebook_ids(assignment_id):
        nb = nbformat.read(course.source_dir(assignment_id) / f"{notebook_id}.ipynb", as_version=4)
        found += [
            (notebook_id, str(cells.grade_id(c))) for c in nb.cells if cells.is_written_answer(c)
        ]
    return found


def summarize_written(course: Course, assignment_id: str) -> tuple[QuestionSummary, ...]:
    """Each written question: the points given so far, how many are left, the items used most."""
    gradebook = WrittenGradebook(course.db_url, course.layout.course_id)
    try:
        create_tables(gradebook.engine)
        return tuple(
            summarize_question(gradebook, assignment_id, notebook_id, grade_id)
            for notebook_id, grade_id in written_cells(course, assignment_id)
        )
    finally:
        gradebook.close()


def summarize_question(
    gradebook: WrittenGradebook, assignment_id: str, notebook_id: str, grade_id: str
) -> QuestionSummary:
    """One question's summary (its grades, and its applied items joined to their labels)."""
    grades = gradebook.read_grades(assignment_id, notebook_id, grade_id).values()
    key = sa.and_(
        APPLIED.c.assignment == assignment_id,
        APPLIED.c.notebook == notebook_id,
        APPLIED.c.grade_id == grade_id,
    )
    rows = gradebook.session.execute(
        sa.select(ITEMS.c.points, ITEMS.c.description).join(APPLIED).where(key)
    )
    used = Counter(RubricItem(row.points, row.description).label for row in rows)
    gradebook.rollback()
    max_score = max((grade.max_score for grade in grades), default=0.0)
    return QuestionSummary(
        notebook_id=notebook_id,
        grade_id=grade_id,
        max_score=max_score,
        scores=tuple(g.score or 0.0 for g in grades if not g.needs_manual_grade),
        to_grade=sum(g.needs_manual_grade for g in grades),
        items_used=tuple(used.most_common(MOST_USED)),
    )
