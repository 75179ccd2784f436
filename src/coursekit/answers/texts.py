"""The students' written answers, read from their autograded notebooks (as the formgrader does)."""

from __future__ import annotations

from collections.abc import Iterable

import nbformat

from coursekit.core import cells
from coursekit.core.course import Course


def notebook_answers(
    course: Course, assignment_id: str, notebook_id: str, student_ids: Iterable[str]
) -> dict[str, dict[str, str]]:
    """student_id -> grade_id -> text of each written answer in their autograded notebook."""
    texts: dict[str, dict[str, str]] = {}
    for student_id in student_ids:
        path = course.autograded_dir(assignment_id, student_id) / f"{notebook_id}.ipynb"
        if not path.is_file():
            continue  # graded once, since removed: the gradebook keeps the grade, nothing to read
        nb = nbformat.read(path, as_version=4)
        texts[student_id] = {
            str(cells.grade_id(cell)): cells.cell_source(cell)
            for cell in nb.cells
            if cells.is_written_answer(cell)
        }
    return texts
