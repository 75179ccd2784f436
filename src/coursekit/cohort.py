"""Synthetic submissions built from the instructor notebooks: for demos and tests."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.course import Course

# nbgrader's defaults (ClearSolutions.begin/end_solution_delimeter); it matches by substring.
BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
# The format nbgrader's exchange writes into timestamp.txt (Exchange.timestamp_format).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


def is_autograded_answer(cell: NotebookNode) -> bool:
    """Whether a cell is an autograded answer: a code cell with solution=true, grade=false."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (
        cell.get("cell_type") == "code"
        and bool(meta.get("solution", False))
        and not meta.get("grade", False)
    )


def answer_grade_ids(nb: NotebookNode) -> list[str]:
    """The grade_ids of a notebook's autograded answer cells, in notebook order."""
    return [cell.metadata.nbgrader.grade_id for cell in nb.cells if is_autograded_answer(cell)]


def strip_solution_markers(source: str, grade_id: str = "?") -> str:
    """The code of a solution cell without its BEGIN/END SOLUTION marker lines."""
    # ClearSolutions puts the stub at the marker's indentation, so the lines between the
    # markers already carry the indentation the surrounding code needs: drop only the markers.
    kept: list[str] = []
    inside = False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line:
            if inside:
                raise ValueError(f"cell {grade_id!r}: nested {BEGIN_SOLUTION!r} markers")
            inside = True
        elif END_SOLUTION in line:
            if not inside:
                raise ValueError(f"cell {grade_id!r}: {END_SOLUTION!r} without a begin marker")
            inside = False
        else:
            kept.append(line)
    if inside:
        raise ValueError(f"cell {grade_id!r}: {BEGIN_SOLUTION!r} without an end marker")
    return "\n".join(kept)


def solution_answers(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the solution code of each autograded answer cell of a source notebook."""
    return {
        cell.metadata.nbgrader.grade_id: strip_solution_markers(
            cell.source, cell.metadata.nbgrader.grade_id
        )
        for cell in source_nb.cells
        if is_autograded_answer(cell)
    }


def fill_release(release_nb: NotebookNode, answers: Mapping[str, str]) -> NotebookNode:
    """A copy of a release notebook whose answer cells hold the given code (by grade_id)."""
    known = set(answer_grade_ids(release_nb))
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(
            f"no autograded answer cell with grade_id {', '.join(map(repr, unknown))} "
            f"in the release notebook (it has: {', '.join(sorted(known)) or 'none'})"
        )
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        if is_autograded_answer(cell) and cell.metadata.nbgrader.grade_id in answers:
            cell.source = answers[cell.metadata.nbgrader.grade_id]
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
