"""nbgrader's cell metadata, read the way nbgrader reads it (without importing nbgrader)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# nbgrader's default region delimiters (ClearSolutions / ClearHiddenTests); matched by substring.
BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
BEGIN_HIDDEN_TESTS = "BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "END HIDDEN TESTS"


def nbgrader_meta(cell: Mapping[str, Any]) -> Mapping[str, Any]:
    """The nbgrader metadata of a cell ({} for a plain cell)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, Mapping) else {}


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The grade_id of an nbgrader cell, None for a plain cell."""
    return nbgrader_meta(cell).get("grade_id")


def is_grade(cell: Mapping[str, Any]) -> bool:
    """Whether nbgrader scores this cell (tests, manually graded answers)."""
    return bool(nbgrader_meta(cell).get("grade", False))


def is_solution(cell: Mapping[str, Any]) -> bool:
    """Whether students write in this cell."""
    return bool(nbgrader_meta(cell).get("solution", False))


def is_locked(cell: Mapping[str, Any]) -> bool:
    """Whether nbgrader restores this cell's source at autograde (nbgrader.utils.is_locked)."""
    if is_solution(cell):
        return False
    return is_grade(cell) or bool(nbgrader_meta(cell).get("locked", False))


def is_autograded_answer(cell: Mapping[str, Any]) -> bool:
    """Whether a cell is an autograded answer: a code cell with solution=true, grade=false."""
    return cell.get("cell_type") == "code" and is_solution(cell) and not is_grade(cell)


def is_written_answer(cell: Mapping[str, Any]) -> bool:
    """Whether a cell is a manually graded answer: grade=true and solution=true."""
    return is_grade(cell) and is_solution(cell)


def is_autograded_test(cell: Mapping[str, Any]) -> bool:
    """Whether a cell is an autograder test: a code grade cell that is not a solution."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (notebook JSON may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def label_lines(source: str, begin: str, end: str, where: str = "cell") -> list[tuple[str, str]]:
    """Each line of source labelled "marker", "inside" or "outside" a begin/end region."""
    labelled: list[tuple[str, str]] = []
    in_region = False
    for line in source.split("\n"):
        if begin in line:
            if in_region:
                raise ValueError(f"{where}: nested {begin!r} markers")
            in_region = True
            labelled.append(("marker", line))
        elif end in line:
            if not in_region:
                raise ValueError(f"{where}: {end!r} without a {begin!r} marker")
            in_region = False
            labelled.append(("marker", line))
        else:
            labelled.append(("inside" if in_region else "outside", line))
    if in_region:
        raise ValueError(f"{where}: {begin!r} without an {end!r} marker")
    return labelled
