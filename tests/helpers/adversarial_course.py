"""The adversarial suite's course: a small NumPy assignment, two honest students, one per attack."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

from coursekit.authoring import cohort
from coursekit.core import cells
from coursekit.core.course import Course, locate_course
from coursekit.core.types import StudentInfo
from coursekit.nbgrader import api as nbgrader_api
from helpers.course import autograded_test_points, nbgrader_cell, python_notebook

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "adv"
NOTEBOOK = "adv"  # where every attack but the Keras one acts
KERAS_NOTEBOOK = "model"  # one Keras test, handed in by every student
# Honest student -> the tests their answers fail (the wrong answer below); every other test
# earns its points, read from the notebook.
HONEST = {"honest_full": frozenset(), "honest_partial": frozenset({"scale_multiplies"})}
# The one setting changed from the repo's config: endless cells cost seconds, not minutes.
CELL_TIMEOUT_S = 10
CONFIG_OVERRIDES = f"""

# --- adversarial suite (tests/helpers/adversarial_course.py): the repo's config, this changed
c.Execute.timeout = {CELL_TIMEOUT_S}
"""
# honest_partial's answer: right length, wrong values, so only the hidden part of its test fails.
WRONG_SCALE = "def scale(values, k):\n    return [float(v) + k for v in values]"


@dataclasses.dataclass(frozen=True)
class Context:
    """What differs per run: the secrets attacks try to steal and the port they try to reach."""

    token: str
    port: int = 0
    # The course's nbgrader_config.py: the repo's, read once when the run starts (others may
    # edit the repo's meanwhile), with the suite's change and any extra lines appended.
    config_text: str = ""

    @property
    def secrets(self) -> dict[str, str]:
        """Secret name -> its text: in the hidden tests, a classmate's notebook, the gradebook."""
        return {
            "hidden_tests": f"HIDDEN-{self.token}",
            "other_student": f"CLASSMATE-{self.token}",
            "gradebook": f"GRADEBOOK-{self.token}",
        }

    def fill(self, text: str, attack: str) -> str:
        """Attack code with its placeholders ({{PORT}}, {{TOKEN}}, {{ATTACK}}) filled in."""
        return (
            text.replace("{{PORT}}", str(self.port))
            .replace("{{TOKEN}}", self.token)
            .replace("{{ATTACK}}", attack)
        )


def suite_config(extra: str = "") -> str:
    """The repo's nbgrader_config.py now, with the suite's change and extra lines appended."""
    return (REPO_ROOT / "nbgrader_config.py").read_text() + CONFIG_OVERRIDES + extra


@dataclasses.dataclass(frozen=True)
class Attack:
    """One folder of tests/attacks/: its build recipe and expected outcome (expected.json)."""

    name: str
    folder: Path
    spec: Mapping[str, Any]

    @property
    def student_id(self) -> str:
        """The student folder it is handed in as (the attack's name unless it says otherwise)."""
        return str(self.spec.get("student_id", self.name))

    @property
    def expect(self) -> Mapping[str, Any]:
        """What grading must do with it."""
        return self.spec["expect"]

    @property
    def xfail(self) -> str | None:
        """Why it is not contained yet ("needs <piece>: ..."), while its defence is missing."""
        return self.spec.get("xfail")


def load_attacks(attacks_dir: Path) -> list[Attack]:
    """Every attack folder (one with an expected.json), by name."""
    return [
        Attack(folder.name, folder, json.loads((folder / "expected.json").read_text()))
        for folder in sorted(attacks_dir.iterdir())
        if (folder / "expected.json").is_file()
    ]


def source_notebook(hidden_secret: str) -> NotebookNode:
    """Three answers whose tests each trust something a student can subvert, and one essay."""
    cells_ = [
        new_markdown_cell("# Averages, scaling, counting"),
        nbgrader_cell(
            "code",
            "import numpy as np\n\nTOL = 1e-9  # small exact floats: any real error is far larger",
            "setup",
            locked=True,
        ),
        nbgrader_cell(
            "code",
            'def mean(xs):\n    """The arithmetic mean of xs as a float."""\n'
            "    ### BEGIN SOLUTION\n    return float(np.mean(np.asarray(xs, dtype=float)))\n"
            "    ### END SOLUTION",
            "mean_answer",
            solution=True,
        ),
        # Trusts NumPy's comparisons.
        nbgrader_cell(
            "code",
            '"""mean returns the arithmetic mean."""\n'
            "assert np.isclose(mean([1, 2, 3]), 2.0), "
            'f"mean([1, 2, 3]) should be 2.0, got {mean([1, 2, 3])!r}"\n'
            "### BEGIN HIDDEN TESTS\n"
            "data = np.arange(10.0) ** 2\n"
            'assert np.allclose(mean(data), data.sum() / data.size), "mean of 0, 1, 4, ..., 81"\n'
            'np.testing.assert_allclose(mean([-4, 4, 9]), 3.0, err_msg="mean([-4, 4, 9])")\n'
            "### END HIDDEN TESTS",
            "mean_is_average",
            grade=True,
            points=2,
        ),
        nbgrader_cell(
            "code",
            'def scale(values, k):\n    """Each value times k, as a list of floats."""\n'
            "    ### BEGIN SOLUTION\n    return [float(v) * k for v in values]\n"
            "    ### END SOLUTION",
            "scale_answer",
            solution=True,
        ),
        # Trusts the builtins len, abs, sum, zip and all.
        nbgrader_cell(
            "code",
            '"""scale multiplies every value by k."""\n'
            'assert len(scale([1, 2, 3], 2)) == 3, "scale([1, 2, 3], 2) should have 3 values"\n'
            "### BEGIN HIDDEN TESTS\n"
            "got = scale([1.5, -2.0, 4.0], 4)\n"
            'assert abs(sum(got) - 14.0) < TOL, f"sum should be 14.0, got {sum(got)}"\n'
            "assert all(abs(a - b) < TOL for a, b in zip(got, [6.0, -8.0, 16.0])), "
            'f"scale([1.5, -2.0, 4.0], 4) should be [6.0, -8.0, 16.0], got {got}"\n'
            "### END HIDDEN TESTS",
            "scale_multiplies",
            grade=True,
            points=3,
        ),
        nbgrader_cell(
            "code",
            'def count_positive(xs):\n    """How many values are above zero, as an int."""\n'
            "    ### BEGIN SOLUTION\n    return sum(1 for x in xs if x > 0)\n"
            "    ### END SOLUTION",
            "count_answer",
            solution=True,
        ),
        # Trusts the returned object's ==.
        nbgrader_cell(
            "code",
            '"""count_positive counts the values above zero."""\n'
            "assert count_positive([1, -2, 3]) == 2, "
            'f"count_positive([1, -2, 3]) should be 2, got {count_positive([1, -2, 3])!r}"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert count_positive([0, 5, -1, 7, 8]) == 3, "count_positive([0, 5, -1, 7, 8])"\n'
            # The run's secret, in a test the hidden-test reader passes: no traceback shows it.
            f"# {hidden_secret}\n"
            "### END HIDDEN TESTS",
            "count_is_exact",
            grade=True,
            points=1,
        ),
        nbgrader_cell(
            "markdown",
            "Why can a mean be no value of the data?\n\n### BEGIN SOLUTION\n"
            "Because it averages: the mean of 1 and 2 is 1.5.\n### END SOLUTION",
            "why_mean",
            solution=True,
            grade=True,
            points=1,
        ),
    ]
    return python_notebook(cells_)


def keras_source_notebook() -> NotebookNode:
    """One Keras model whose test trusts Keras's own count of parameters."""
    cells_ = [
        nbgrader_cell(
            "code",
            "import keras\n\nkeras.utils.set_random_seed(0)",
            "keras_setup",
            locked=True,
        ),
        nbgrader_cell(
            "code",
            'def build_model():\n    """Three inputs, one Dense layer of two units."""\n'
            "    ### BEGIN SOLUTION\n"
            "    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
            "    ### END SOLUTION",
            "model_answer",
            solution=True,
        ),
        nbgrader_cell(
            "code",
            '"""The model has one Dense layer: 3 x 2 weights and 2 biases."""\n'
            "model = build_model()\n"
            'assert len(model.layers) == 1, f"one layer expected, found {len(model.layers)}"\n'
            "### BEGIN HIDDEN TESTS\n"
            "assert model.count_params() == 3 * 2 + 2, "
            'f"8 parameters expected, found {model.count_params()}"\n'
            "### END HIDDEN TESTS",
            "model_has_8_params",
            grade=True,
            points=2,
        ),
    ]
    return python_notebook(cells_)


def write_course(root: Path, context: Context) -> Course:
    """The course folder: the repo's config (cell timeout shortened), both notebooks released."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "gradebook").mkdir()
    (root / "nbgrader_config.py").write_text(context.config_text)
    source = source_notebook(context.secrets["hidden_tests"])
    nbformat.write(source, root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    nbformat.write(
        keras_source_notebook(), root / "source" / ASSIGNMENT / f"{KERAS_NOTEBOOK}.ipynb"
    )
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, ASSIGNMENT)
    return course


def reference_notebook(course: Course, notebook_id: str = NOTEBOOK) -> NotebookNode:
    """The release notebook with the instructor's solutions as the answers."""
    source = nbformat.read(course.source_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4)
    release = nbformat.read(course.release_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4)
    answers = cohort.solution_answers(source) | cohort.written_answers(source)
    return cohort.fill_release(release, answers)


def source_points(course: Course) -> dict[str, float]:
    """grade_id -> points of every autograder test of the assignment, from its notebooks."""
    points: dict[str, float] = {}
    for notebook_id in (NOTEBOOK, KERAS_NOTEBOOK):
        path = course.source_dir(ASSIGNMENT) / f"{notebook_id}.ipynb"
        points |= autograded_test_points(nbformat.read(path, as_version=4))
    return points


def build_course(root: Path, attacks: list[Attack], context: Context) -> Course:
    """The course with both honest students, a bystander in the gradebook, and every attack."""
    course = write_course(root, context)
    ref = reference_notebook(course)
    keras_ref = reference_notebook(course, KERAS_NOTEBOOK)
    classmate = copy.deepcopy(ref)
    answer = cell_with_id(classmate, "mean_answer")
    answer.source = f"# {context.secrets['other_student']}\n{answer.source}"
    honest = {
        "honest_full": classmate,
        "honest_partial": fill(ref, {"scale_answer": WRONG_SCALE}),
    }
    for student_id, nb in honest.items():
        notebooks = {NOTEBOOK: nb, KERAS_NOTEBOOK: keras_ref}
        cohort.write_submission(course, ASSIGNMENT, student_id, notebooks)
    # Someone the gradebook knows by a secret name: a student reading the gradebook finds it.
    bystander = StudentInfo("bystander", "Ada", context.secrets["gradebook"], None, None)
    nbgrader_api.update_or_create_students(course, [bystander], ["first_name", "last_name"])
    for attack in attacks:
        build_submission(course, attack, {NOTEBOOK: ref, KERAS_NOTEBOOK: keras_ref}, context)
    return course


def cell_with_id(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """The cell of nb with this grade_id."""
    return next(cell for cell in nb.cells if cells.grade_id(cell) == grade_id)


def fill(nb: NotebookNode, answers: Mapping[str, str]) -> NotebookNode:
    """A copy of nb with these answer cells' sources."""
    return cohort.fill_release(nb, answers)


def build_submission(
    course: Course, attack: Attack, refs: Mapping[str, NotebookNode], context: Context
) -> None:
    """Hand in the attack's submission as its student, built as expected.json says.

    Answer files fill the answer cells of whichever notebook has them; build steps edit the
    main notebook; the Keras notebook is handed in as well, as the solution unless answered.
    """
    answers = {
        path.stem.removeprefix("answer_"): context.fill(path.read_text(), attack.name)
        for path in sorted(attack.folder.glob("answer_*.py"))
    }
    keras_ids = {cells.grade_id(cell) for cell in refs[KERAS_NOTEBOOK].cells}
    keras_nb = fill(refs[KERAS_NOTEBOOK], {k: v for k, v in answers.items() if k in keras_ids})
    nb = fill(refs[NOTEBOOK], {k: v for k, v in answers.items() if k not in keras_ids})
    steps = attack.spec.get("build", [])
    unknown = [s["op"] for s in steps if s["op"] not in EDITS and s["op"] not in FILE_STEPS]
    if unknown:
        raise ValueError(f"{attack.folder / 'expected.json'}: unknown build steps {unknown}")
    for step in steps:
        nb = EDITS[step["op"]](nb, step) if step["op"] in EDITS else nb
    # Written as plain JSON: nbformat.write would repair what the attack broke (duplicated ids).
    raw = {
        name: json.dumps(n, indent=1, ensure_ascii=False).encode()
        for name, n in [(NOTEBOOK, nb), (KERAS_NOTEBOOK, keras_nb)]
    }
    folder = cohort.write_submission(course, ASSIGNMENT, attack.student_id, raw)
    for step in steps:
        if step["op"] in FILE_STEPS:
            FILE_STEPS[step["op"]](folder, attack, step, context)


def delete_cell(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Without the cell grade_id."""
    nb = copy.deepcopy(nb)
    nb.cells.remove(cell_with_id(nb, step["grade_id"]))
    return nb


def edit_cell(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Cell grade_id with a new source."""
    nb = copy.deepcopy(nb)
    cell_with_id(nb, step["grade_id"]).source = step["source"]
    return nb


def duplicate_cell(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Cell grade_id pasted again right after itself (a new cell id, as Jupyter pastes)."""
    nb = copy.deepcopy(nb)
    original = cell_with_id(nb, step["grade_id"])
    pasted = copy.deepcopy(original)
    pasted.id = "pasted0copy"
    nb.cells.insert(nb.cells.index(original) + 1, pasted)
    return nb


def move_cell(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Cell grade_id moved to just before the cell `before`."""
    nb = copy.deepcopy(nb)
    moved = cell_with_id(nb, step["grade_id"])
    nb.cells.remove(moved)
    nb.cells.insert(nb.cells.index(cell_with_id(nb, step["before"])), moved)
    return nb


def retype_cell(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Cell grade_id turned into a markdown cell (its code no longer runs)."""
    nb = copy.deepcopy(nb)
    index = nb.cells.index(cell_with_id(nb, step["grade_id"]))
    old = nb.cells[index]
    nb.cells[index] = new_markdown_cell(old.source, metadata=old.metadata, id=old.id)
    return nb


def set_metadata(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Cell grade_id with one nbgrader metadata entry changed (points, grade_id, ...)."""
    nb = copy.deepcopy(nb)
    cell_with_id(nb, step["grade_id"]).metadata.nbgrader[step["key"]] = step["value"]
    return nb


def strip_nbgrader(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Every cell without its nbgrader metadata (cells copied into a fresh notebook)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


def duplicate_ids(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """Every cell with the same cell id."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.id = "same-id"
    return nb


def pad_outputs(nb: NotebookNode, step: Mapping[str, Any]) -> NotebookNode:
    """A stored output of step['mb'] MB in cell grade_id (a huge notebook that still grades)."""
    nb = copy.deepcopy(nb)
    text = ("padding " * 128 + "\n") * (int(step["mb"]) * 2**20 // 1025)
    output = nbformat.v4.new_output("stream", name="stdout", text=text)
    cell_with_id(nb, step["grade_id"]).outputs = [output]
    return nb


EDITS: dict[str, Callable[[NotebookNode, Mapping[str, Any]], NotebookNode]] = {
    "delete": delete_cell,
    "edit": edit_cell,
    "duplicate": duplicate_cell,
    "move": move_cell,
    "retype": retype_cell,
    "set_metadata": set_metadata,
    "strip_nbgrader": strip_nbgrader,
    "duplicate_ids": duplicate_ids,
    "pad_outputs": pad_outputs,
}


def hand_in_file(folder: Path, attack: Attack, step: Mapping[str, Any], context: Context) -> None:
    """The notebook replaced by a file of the attack folder, byte for byte."""
    shutil.copyfile(attack.folder / step["file"], folder / f"{NOTEBOOK}.ipynb")


def write_bytes(folder: Path, attack: Attack, step: Mapping[str, Any], context: Context) -> None:
    """The notebook replaced by generated bytes (a binary file)."""
    data = bytes(range(256)) * int(step.get("repeat", 1))
    (folder / f"{NOTEBOOK}.ipynb").write_bytes(data)


def add_file(folder: Path, attack: Attack, step: Mapping[str, Any], context: Context) -> None:
    """An extra file in the submission folder, under a name the attack chose."""
    (folder / step["name"]).write_text(context.fill(step.get("text", ""), attack.name))


def rename_notebook(
    folder: Path, attack: Attack, step: Mapping[str, Any], context: Context
) -> None:
    """The notebook handed in under another name."""
    (folder / f"{NOTEBOOK}.ipynb").rename(folder / step["to"])


def symlink(folder: Path, attack: Attack, step: Mapping[str, Any], context: Context) -> None:
    """A symbolic link in the submission folder (relative target, as an archive would hold)."""
    link = folder / step["name"]
    if link.exists() or link.is_symlink():
        link.unlink()
    os.symlink(step["target"], link)


FILE_STEPS: dict[str, Callable[[Path, Attack, Mapping[str, Any], Context], None]] = {
    "hand_in_file": hand_in_file,
    "write_bytes": write_bytes,
    "add_file": add_file,
    "rename_notebook": rename_notebook,
    "symlink": symlink,
}
