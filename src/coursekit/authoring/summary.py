"""What an assignment grades: each notebook's title, tests and written answers with points."""

from __future__ import annotations

from pathlib import Path

import nbformat

from coursekit.authoring.types import GradedItem, NotebookSummary
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.core.errors import CourseError


def summarize_assignment(course: Course, assignment_id: str) -> tuple[NotebookSummary, ...]:
    """One summary per source notebook of the assignment, in notebook order."""
    return tuple(
        summarize_notebook(
            notebook_id, read_source(course.source_dir(assignment_id) / f"{notebook_id}.ipynb")
        )
        for notebook_id in course.notebook_ids(assignment_id)
    )


def read_source(path: Path) -> nbformat.NotebookNode:
    """An instructor notebook; a CourseError naming it if it cannot be read as one."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many kinds for a damaged file
        raise CourseError(
            f"{path} is not a readable notebook ({type(error).__name__}: {error}). "
            "Fix or restore it (git diff / git checkout), or move it out of the source folder."
        ) from error


def summarize_notebook(notebook_id: str, nb: nbformat.NotebookNode) -> NotebookSummary:
    """The title (first heading) and graded cells of one instructor notebook."""
    items = tuple(
        GradedItem(
            grade_id=cells.grade_id(cell),
            points=float(cells.nbgrader_meta(cell).get("points", 0)),
            autograded=cells.is_autograded_test(cell),
        )
        for cell in nb.cells
        if cells.is_grade(cell)
    )
    return NotebookSummary(notebook_id, notebook_title(nb) or notebook_id, items)


def notebook_title(nb: nbformat.NotebookNode) -> str:
    """The text of the notebook's first markdown heading, '' if it has none."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cells.cell_source(cell).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return ""
