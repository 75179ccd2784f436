"""Flag suspicious code in the cells a student can edit, with cell and line, for a TA to look at.

A static scan (code_scan.py): it never changes a grade, it says where to look. What it flags
is listed in SuspicionKind (results.py); docs/verdicts.md says why each matters and what a
static scan cannot see (code built at run time from data, for one). Calibrated on this
course's reference solutions and correct answer variants (tests/test_suspicion.py): none of
them raises a flag.
"""

from __future__ import annotations

from collections.abc import Iterator

from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.integrity.code_scan import imported_modules, scan_code
from coursekit.integrity.types import Suspicion


def editable_cells(
    nb: NotebookNode, release_nb: NotebookNode | None = None
) -> Iterator[tuple[int, NotebookNode]]:
    """(1-based index, cell) of each code cell whose source runs as the student left it.

    nbgrader puts back the instructor's version of every locked cell (tests, setup) before it
    runs the notebook, so those are not the student's code; everything else is.
    """
    released = {}
    if release_nb is not None:
        released = {cells.grade_id(c): c for c in release_nb.cells if cells.grade_id(c)}
    for index, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in released and cells.is_locked(released[gid]):
            continue
        if gid not in released and cells.is_locked(cell) and release_nb is None:
            continue
        yield index, cell


def given_lines(release_nb: NotebookNode | None) -> set[str]:
    """Every stripped line of code the instructor handed out (not the student's doing)."""
    if release_nb is None:
        return set()
    return {
        line.strip()
        for cell in release_nb.cells
        if cell.get("cell_type") == "code"
        for line in cells.cell_source(cell).split("\n")
        if line.strip()
    }


def scan_notebook(
    notebook_id: str, nb: NotebookNode, release_nb: NotebookNode | None = None
) -> tuple[Suspicion, ...]:
    """Suspicions in the cells of a submitted notebook a student can edit.

    With the release notebook, lines the instructor handed out are not flagged and only cells
    nbgrader does not restore are scanned.
    """
    modules = imported_modules(
        cells.cell_source(c) for c in nb.cells if c.get("cell_type") == "code"
    )
    given = given_lines(release_nb)
    found = []
    for index, cell in editable_cells(nb, release_nb):
        source = cells.cell_source(cell).replace("\r\n", "\n").replace("\r", "\n")
        lines = source.split("\n")
        for finding in scan_code(source, modules):
            text = lines[finding.line - 1].strip() if finding.line <= len(lines) else ""
            if text and text in given:
                continue
            found.append(
                Suspicion(
                    notebook_id,
                    index,
                    cells.grade_id(cell),
                    finding.line,
                    finding.kind,
                    finding.detail,
                )
            )
    return tuple(found)


def describe(suspicion: Suspicion) -> str:
    """`cell 3 (grade_id) line 2: rebinds numpy.allclose: ...` without the notebook's name."""
    where = suspicion.where.removeprefix(suspicion.notebook_id).strip()
    return f"{where}: {suspicion.detail}" if where else suspicion.detail
