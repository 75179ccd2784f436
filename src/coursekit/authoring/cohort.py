"""Synthetic submissions built from the instructor notebooks: for demos and tests."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.nbgrader.api import TIMESTAMP_FORMAT

# The format nbgrader's exchange writes into timestamp.txt (Exchange.timestamp_format).


def answer_grade_ids(nb: NotebookNode) -> list[str]:
    """The grade_ids of a notebook's autograded answer cells, in notebook order."""
    return [cells.grade_id(cell) for cell in nb.cells if cells.is_autograded_answer(cell)]


def strip_solution_markers(source: str, grade_id: str = "?") -> str:
    """The code of a solution cell without its BEGIN/END SOLUTION marker lines."""
    # ClearSolutions puts the stub at the marker's indentation, so the lines between the
    # markers already carry the indentation the surrounding code needs: drop only the markers.
    labelled = cells.label_lines(
        source, cells.BEGIN_SOLUTION, cells.END_SOLUTION, f"cell {grade_id!r}"
    )
    return "\n".join(line for label, line in labelled if label != "marker")


def solution_answers(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the solution code of each autograded answer cell of a source notebook."""
    return {
        cells.grade_id(cell): strip_solution_markers(cell.source, cells.grade_id(cell))
        for cell in source_nb.cells
        if cells.is_autograded_answer(cell)
    }


def written_answers(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the instructor's text of each manually graded answer cell (model answer)."""
    return {
        cells.grade_id(cell): cells.cell_source(cell)
        for cell in source_nb.cells
        if cells.is_written_answer(cell)
    }


def is_answer(cell: NotebookNode) -> bool:
    """Whether a student writes into this cell: an autograded or a manually graded answer."""
    return cells.is_autograded_answer(cell) or cells.is_written_answer(cell)


def fill_release(release_nb: NotebookNode, answers: Mapping[str, str]) -> NotebookNode:
    """A copy of a release notebook whose answer cells (code or written) hold the given text."""
    known = {cells.grade_id(cell) for cell in release_nb.cells if is_answer(cell)}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(
            f"no answer cell with grade_id {', '.join(map(repr, unknown))} "
            f"in the release notebook (it has: {', '.join(sorted(known)) or 'none'})"
        )
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        if is_answer(cell) and cells.grade_id(cell) in answers:
            cell.source = answers[cells.grade_id(cell)]
    return filled


def write_submission(
    course: Course,
    assignment_id: str,
    student_id: str,
    notebooks: Mapping[str, NotebookNode | bytes],
    timestamp: datetime.datetime | None = None,
) -> Path:
    """Write notebooks (name -> notebook or raw bytes) as a collected submission; return its dir."""
    folder = course.submitted_dir(assignment_id, student_id)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in notebooks.items():
        # A bare notebook id gets the .ipynb suffix; a file name is kept as given.
        filename = name if Path(name).suffix else f"{name}.ipynb"
        path = folder / filename
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, path)
    when = timestamp or datetime.datetime.now(datetime.UTC)
    (folder / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT))
    return folder
