"""Reading the lecture 1 notebooks of source/ as committed."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from coursekit.core import cells
from helpers.course import REPO_ROOT

ASSIGNMENT = "lecture1"
SOURCE_DIR = REPO_ROOT / "source" / ASSIGNMENT


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def source(notebook_id: str) -> nbformat.NotebookNode:
    return read(SOURCE_DIR / f"{notebook_id}.ipynb")


def autograded_tests(notebook_id: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in source(notebook_id).cells if cells.is_autograded_test(cell)]


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    modules = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                modules.add((node.module or "").split(".")[0])
    return modules
