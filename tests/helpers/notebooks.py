"""Editing a student's notebook as students do: answers filled in, cells edited, deleted, pasted."""

from __future__ import annotations

import copy

from nbformat import NotebookNode

from coursekit.authoring import cohort
from coursekit.core.course import Course
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook


def reference_notebook(course: Course) -> NotebookNode:
    """The release notebook with every solution answer filled in."""
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    return cohort.fill_release(release, cohort.solution_answers(source))


def cell_by_id(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """The cell of a notebook with this grade_id."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def delete_cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """A copy of nb without the cell grade_id."""
    nb = copy.deepcopy(nb)
    nb.cells.remove(cell_by_id(nb, grade_id))
    return nb


def edit_cell(nb: NotebookNode, grade_id: str, source: str) -> NotebookNode:
    """A copy of nb whose cell grade_id has a new source."""
    nb = copy.deepcopy(nb)
    cell_by_id(nb, grade_id).source = source
    return nb


def duplicate_cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """A copy of nb with cell grade_id pasted again at the end (new cell id, as Jupyter does)."""
    nb = copy.deepcopy(nb)
    pasted = copy.deepcopy(cell_by_id(nb, grade_id))
    pasted.id = "pasted0copy"
    nb.cells.append(pasted)
    return nb
