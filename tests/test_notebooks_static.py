"""Static checks of every lecture 1 notebook: authoring conventions, the committed release,
Colab-safety. They need no kernel.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers.course import REPO_ROOT
from helpers.lecture import ASSIGNMENT, SOURCE_DIR, autograded_tests, imported_modules, read, source

from coursekit.core import cells

RELEASE_DIR = REPO_ROOT / "release" / ASSIGNMENT
NOTEBOOK_IDS = sorted(path.stem for path in SOURCE_DIR.glob("*.ipynb"))
# What a fresh Google Colab runtime has without any pip install (and the standard library).
COLAB_MODULES = {"keras", "matplotlib", "numpy", "tensorflow", "torch"}
GRADE_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def test_the_assignment_has_all_lecture_notebooks() -> None:
    assert NOTEBOOK_IDS, f"no notebooks in {SOURCE_DIR}"
    stray = sorted(p.name for p in SOURCE_DIR.iterdir() if p.suffix != ".ipynb")
    assert stray == [], "nbgrader copies every other file of source/ into the release"


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_source_is_normalized_without_outputs(notebook_id: str) -> None:
    """The committed source diff-reviews cleanly: nbformat's own layout, no outputs or counts."""
    path = SOURCE_DIR / f"{notebook_id}.ipynb"
    nb = read(path)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5
    assert path.read_text() == nbformat.writes(nb) + "\n"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_grade_ids_are_unique_snake_case(notebook_id: str) -> None:
    grade_ids = [cells.grade_id(cell) for cell in source(notebook_id).cells if cells.grade_id(cell)]
    assert len(grade_ids) == len(set(grade_ids))
    assert [gid for gid in grade_ids if not GRADE_ID.match(gid)] == []


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_every_test_cell_states_its_behaviour_and_has_hidden_tests(notebook_id: str) -> None:
    for cell in autograded_tests(notebook_id):
        meta = cells.nbgrader_meta(cell)
        first_line = cell.source.splitlines()[0]
        assert first_line.startswith('"""') and first_line.endswith('."""'), meta["grade_id"]
        assert meta["points"] > 0, meta["grade_id"]
        visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert "assert" in visible, f"{meta['grade_id']} has no visible check"
        assert "assert" in hidden and "### END HIDDEN TESTS" in hidden, meta["grade_id"]


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_tolerances_are_named_and_explained(notebook_id: str) -> None:
    """Every *_TOL constant is set once per cell and preceded by a comment giving its reason."""
    for cell in autograded_tests(notebook_id):
        lines = cell.source.splitlines()
        for index, line in enumerate(lines):
            if re.match(r"^\s*[A-Z_]+TOL\s*=", line):
                assert lines[index - 1].lstrip().startswith("#"), (
                    f"{cells.grade_id(cell)}: {line.strip()} needs a comment: why"
                )


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_written_answers_are_markdown_with_a_rubric(notebook_id: str) -> None:
    for cell in source(notebook_id).cells:
        if cells.is_written_answer(cell):
            assert cell.cell_type == "markdown", cells.grade_id(cell)
            assert "Rubric" in cell.source, f"{cells.grade_id(cell)} has no rubric for TAs"


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_students_see_every_written_question(notebook_id: str) -> None:
    """nbgrader blanks a whole written-answer cell, so its question must stand in the cell above."""
    release = read(RELEASE_DIR / f"{notebook_id}.ipynb").cells
    for index, cell in enumerate(release):
        if cells.is_written_answer(cell):
            above = release[index - 1]
            assert above.cell_type == "markdown" and "?" in above.source, cells.grade_id(cell)


@pytest.mark.parametrize("where", ["source", "release"])
@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_notebook_imports_only_what_colab_ships(notebook_id: str, where: str) -> None:
    nb = read(REPO_ROOT / where / ASSIGNMENT / f"{notebook_id}.ipynb")
    foreign = {
        name
        for name in imported_modules(nb)
        if name not in COLAB_MODULES and name not in sys.stdlib_module_names
    }
    assert foreign == set(), f"{notebook_id} imports {foreign}: Colab would need a pip install"


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
        timeout=300,
    )
    generated = tmp_path / "release" / ASSIGNMENT
    assert sorted(p.name for p in generated.iterdir()) == sorted(
        p.name for p in RELEASE_DIR.iterdir()
    )
    for path in generated.iterdir():
        assert path.read_bytes() == (RELEASE_DIR / path.name).read_bytes(), (
            f"release/{ASSIGNMENT}/{path.name} is stale: run `course release {ASSIGNMENT}`"
        )
