"""What exercise 0 (Python) in particular promises; the conventions of every notebook are checked
in test_notebooks_static, its grading with right and wrong answers in test_grading_variants.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from helpers.lecture import autograded_tests, imported_modules, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_0_python"
CALIBRATION = Path(__file__).resolve().parents[1] / "docs" / "calibration_exercise_0_python.md"
# The names the tasks ask students to define, which the tests read.
TASK_NAMES = {
    "parity_labels",
    "labels",
    "factorial",
    "Person",
    "Student",
    "shifts",
    "samples",
    "select_in_range",
}


def test_every_task_is_tested_for_one_or_two_points() -> None:
    points = {
        cells.grade_id(c): cells.nbgrader_meta(c)["points"] for c in autograded_tests(NOTEBOOK_ID)
    }
    assert len(points) >= 8
    assert all(1 <= value <= 2 for value in points.values()), points


def test_written_answer_asks_about_the_shape_of_the_shifts() -> None:
    written = {cells.grade_id(c) for c in source(NOTEBOOK_ID).cells if cells.is_written_answer(c)}
    assert written == {"answer_shift_shape"}


def test_kernel_stays_cheap_without_deep_learning_frameworks() -> None:
    assert imported_modules(source(NOTEBOOK_ID)) <= {"math", "sys", "numpy", "matplotlib"}


def test_tour_cells_leave_the_task_names_undefined() -> None:
    """A tour example defining `factorial` or `samples` would make the blank notebook pass."""
    defined = set()
    for cell in source(NOTEBOOK_ID).cells:
        if cell.cell_type == "code" and not cells.grade_id(cell):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    defined.add(node.name)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    defined.add(node.id)
    assert defined & TASK_NAMES == set()


def test_tolerances_are_those_of_the_calibration_table() -> None:
    """docs/calibration_exercise_0_python.md reports the tolerances the hidden tests use."""
    in_notebook = {
        name: float(value)
        for cell in autograded_tests(NOTEBOOK_ID)
        for name, value in re.findall(r"^([A-Z_]+_TOL) = ([0-9.]+)$", cell.source, re.MULTILINE)
    }
    in_table = {
        name: float(value)
        for name, value in re.findall(
            r"^\| ([A-Z_]+_TOL) \|[^|]*\|[^|]*\| ([0-9.]+) \|",
            CALIBRATION.read_text(),
            re.MULTILINE,
        )
    }
    assert in_notebook and in_notebook == in_table
