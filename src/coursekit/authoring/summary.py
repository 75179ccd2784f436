"""What an assignment grades: each notebook's title, tests and written answers with points."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def read_source(path: Path) -> Mapping[str, Any]:
    """An instructor notebook as its JSON; a CourseError naming it if it cannot be read as one.

    Plain JSON, not nbformat: importing nbformat takes over a second, and `course summary`
    reads only the cells' metadata. A notebook of another format version goes through nbformat.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
        if nb.get("nbformat") != 4:
            import nbformat

            nb = nbformat.read(path, as_version=4)
        return nb
    except Exception as error:  # JSON, nbformat and the file system raise many kinds
        raise CourseError(
            f"{path} is not a readable notebook ({type(error).__name__}: {error}). "
            "Fix or restore it (git diff / git checkout), or move it out of the source folder."
        ) from error


def summarize_notebook(notebook_id: str, nb: Mapping[str, Any]) -> NotebookSummary:
    """The title (first heading) and graded cells of one instructor notebook."""
    items = tuple(
        GradedItem(
            grade_id=cells.grade_id(cell),
            points=float(cells.nbgrader_meta(cell).get("points", 0)),
            autograded=cells.is_autograded_test(cell),
        )
        for cell in nb["cells"]
        if cells.is_grade(cell)
    )
    return NotebookSummary(notebook_id, notebook_title(nb) or notebook_id, items)


def notebook_title(nb: Mapping[str, Any]) -> str:
    """The text of the notebook's first markdown heading, '' if it has none."""
    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        for line in cells.cell_source(cell).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return ""
