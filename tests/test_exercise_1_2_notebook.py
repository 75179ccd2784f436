"""Static checks of exercise 1.2: authoring conventions, the committed release, Colab-safety."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.cells import nbgrader_meta

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
NOTEBOOK = "exercise_1_2_linear_regression.ipynb"
SOURCE = REPO_ROOT / "source" / ASSIGNMENT / NOTEBOOK
RELEASE = REPO_ROOT / "release" / ASSIGNMENT / NOTEBOOK
# What a fresh Google Colab runtime has without any pip install (and the standard library).
COLAB_MODULES = {"keras", "matplotlib", "numpy", "tensorflow"}
GRADE_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def graded_test_cells() -> list[nbformat.NotebookNode]:
    return [
        cell
        for cell in read(SOURCE).cells
        if nbgrader_meta(cell).get("grade") and cell.cell_type == "code"
    ]


def test_source_is_normalized_without_outputs() -> None:
    """The committed source diff-reviews cleanly: nbformat's own layout, no outputs or counts."""
    nb = read(SOURCE)
    nbformat.validate(nb)
    assert SOURCE.read_text() == nbformat.writes(nb) + "\n"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id


def test_grade_ids_are_unique_snake_case() -> None:
    grade_ids = [
        nbgrader_meta(cell)["grade_id"] for cell in read(SOURCE).cells if nbgrader_meta(cell)
    ]
    assert len(grade_ids) == len(set(grade_ids))
    assert [gid for gid in grade_ids if not GRADE_ID.match(gid)] == []


def test_every_test_cell_states_its_behaviour_and_has_hidden_tests() -> None:
    cells = graded_test_cells()
    assert len(cells) >= 5
    for cell in cells:
        meta = nbgrader_meta(cell)
        first_line = cell.source.splitlines()[0]
        assert first_line.startswith('"""') and first_line.endswith('."""'), meta["grade_id"]
        assert meta["points"] > 0, meta["grade_id"]
        visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert "assert" in visible, f"{meta['grade_id']} has no visible check"
        assert "assert" in hidden and "### END HIDDEN TESTS" in hidden, meta["grade_id"]


def test_tolerances_are_named_and_explained() -> None:
    """Every *_TOL constant is set once per cell and preceded by a comment giving its reason."""
    for cell in graded_test_cells():
        lines = cell.source.splitlines()
        for index, line in enumerate(lines):
            if re.match(r"^\s*[A-Z_]+TOL\s*=", line):
                assert lines[index - 1].lstrip().startswith("#"), (
                    f"{nbgrader_meta(cell)['grade_id']}: {line.strip()} needs a comment: why"
                )


def test_written_answers_are_manually_graded_markdown() -> None:
    manual = [
        cell
        for cell in read(SOURCE).cells
        if nbgrader_meta(cell).get("grade") and nbgrader_meta(cell).get("solution")
    ]
    assert {cell.cell_type for cell in manual} == {"markdown"}
    assert {nbgrader_meta(cell)["grade_id"] for cell in manual} >= {
        "answer_uncertainty",
        "answer_input_dimension",
    }
    for cell in manual:
        assert "Rubric" in cell.source, f"{nbgrader_meta(cell)['grade_id']} has no rubric for TAs"


def test_students_see_every_written_question() -> None:
    """nbgrader blanks a whole written-answer cell, so its question must stand in the cell above."""
    cells = read(RELEASE).cells
    for index, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if meta.get("grade") and meta.get("solution"):
            above = cells[index - 1]
            assert above.cell_type == "markdown" and "?" in above.source, meta["grade_id"]


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


@pytest.mark.parametrize("path", [SOURCE, RELEASE], ids=["source", "release"])
def test_notebook_imports_only_what_colab_ships(path: Path) -> None:
    foreign = {
        name
        for name in imported_modules(read(path))
        if name not in COLAB_MODULES and name not in sys.stdlib_module_names
    }
    assert foreign == set(), f"{path.name} imports {foreign}: Colab would need a pip install"


def test_committed_release_is_what_generate_assignment_gives(tmp_path: Path) -> None:
    """release/ is generated, never hand-edited: regenerate it from source/ and compare."""
    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(REPO_ROOT / "source", tmp_path / "source")
    subprocess.run(
        [Path(sys.executable).parent / "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    generated = tmp_path / "release" / ASSIGNMENT
    committed = REPO_ROOT / "release" / ASSIGNMENT
    assert sorted(p.name for p in generated.iterdir()) == sorted(
        p.name for p in committed.iterdir()
    )
    for path in generated.iterdir():
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"release/{ASSIGNMENT}/{path.name} is stale: run `course release {ASSIGNMENT}`"
        )
