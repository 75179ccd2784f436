"""The tiny pure-Python course most tests build: its notebook, its folder, reading notebooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_ASSIGNMENT = "ps1"
TINY_NOTEBOOK = "arith"


def nbgrader_cell(
    cell_type: str, source: str, grade_id: str, **flags: object
) -> nbformat.NotebookNode:
    """A cell with nbgrader metadata (flags: solution, grade, locked, points)."""
    make = new_code_cell if cell_type == "code" else new_markdown_cell
    meta = {
        "grade_id": grade_id,
        "grade": False,
        "solution": False,
        "locked": False,
        "schema_version": 3,
    }
    meta.update(flags)
    return make(source, metadata={"nbgrader": meta})


def python_notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A notebook of these cells with the Python 3 kernelspec an instructor's notebook has."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def tiny_source_notebook() -> nbformat.NotebookNode:
    """Two autograded answers with visible and hidden tests, and one manually graded answer."""
    cells = [
        new_markdown_cell("# Arithmetic warm-up"),
        nbgrader_cell("code", "import math", "setup", locked=True),
        nbgrader_cell(
            "code",
            'def add(a, b):\n    """Return a + b."""\n'
            "    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
            "add_answer",
            solution=True,
        ),
        nbgrader_cell(
            "code",
            '"""add sums two integers."""\nassert add(1, 2) == 3, "add(1, 2)"\n'
            "### BEGIN HIDDEN TESTS\nassert add(40, 2) == 42, 'hidden add check'\n"
            "### END HIDDEN TESTS",
            "add_is_sum",
            grade=True,
            points=2,
        ),
        nbgrader_cell(
            "code",
            "### BEGIN SOLUTION\ndef square(x):\n    return math.pow(x, 2)\n### END SOLUTION",
            "square_answer",
            solution=True,
        ),
        nbgrader_cell(
            "code",
            '"""square squares."""\nassert square(3) == 9, "square(3)"\n'
            "### BEGIN HIDDEN TESTS\nassert square(-7) == 49, 'hidden square check'\n"
            "### END HIDDEN TESTS",
            "square_is_power",
            grade=True,
            points=3,
        ),
        nbgrader_cell(
            "markdown",
            "Why is addition commutative?\n\n### BEGIN SOLUTION\n"
            "Because counting does not depend on order.\n### END SOLUTION",
            "why_commutative",
            solution=True,
            grade=True,
            points=1,
        ),
    ]
    return python_notebook(cells)


def write_tiny_course(root: Path) -> Path:
    """A course dir with the repo's own nbgrader_config.py and one small source notebook."""
    (root / "source" / TINY_ASSIGNMENT).mkdir(parents=True)
    (root / "gradebook").mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    source = root / "source" / TINY_ASSIGNMENT / f"{TINY_NOTEBOOK}.ipynb"
    nbformat.write(tiny_source_notebook(), source)
    return root


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook read as nbformat 4."""
    return nbformat.read(path, as_version=4)


def autograded_test_points(nb: nbformat.NotebookNode) -> dict[str, float]:
    """grade_id -> points of each autograder test cell (code, grade, not solution)."""
    return {
        cell.metadata.nbgrader.grade_id: float(cell.metadata.nbgrader.points)
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.metadata.get("nbgrader", {}).get("grade")
        and not cell.metadata.nbgrader.get("solution")
    }


def copy_tiny_notebook(root: Path, notebook_id: str) -> None:
    """Another source notebook in the tiny course: the tiny one under notebook_id."""
    source = root / "source" / TINY_ASSIGNMENT
    shutil.copy(source / f"{TINY_NOTEBOOK}.ipynb", source / f"{notebook_id}.ipynb")
