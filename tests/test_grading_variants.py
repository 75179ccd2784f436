"""Hidden tests judge behaviour: for every notebook with autograded tests, correct answers
written differently keep every point, and typical mistakes lose the points of the test aimed at
them. The variants are course content, data in calibration/lecture1/variants/<notebook_id>.py; see
coursekit.calibration.variants.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from coursekit.calibration.types import VariantOutcome
from coursekit.calibration.variants import (
    Variant,
    VariantSet,
    load_variant_set,
    run_variants,
    variant_notebook_ids,
    variants_dir,
)
from coursekit.core import cells
from coursekit.core.course import Course, locate_course

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
VARIANTS_DIR = variants_dir(REPO_ROOT, ASSIGNMENT)
NOTEBOOK_IDS = variant_notebook_ids(VARIANTS_DIR)


def variant_set(notebook_id: str) -> VariantSet:
    return load_variant_set(VARIANTS_DIR, notebook_id)


def source_notebook(notebook_id: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / "source" / ASSIGNMENT / f"{notebook_id}.ipynb", as_version=4)


def cases(kind: str) -> list[tuple[str, Variant]]:
    return [
        (notebook_id, variant)
        for notebook_id in NOTEBOOK_IDS
        for variant in getattr(variant_set(notebook_id), kind)
    ]


def case_id(case: tuple[str, Variant] | str | Variant) -> str:
    return case.name if isinstance(case, Variant) else str(case)


class ExecutedVariants:
    """Runs each notebook's variants once, on first use (so `-k notebook` runs only it)."""

    def __init__(self, course: Course, workdir: Path) -> None:
        self.course = course
        self.workdir = workdir
        self.done: dict[str, dict[str, VariantOutcome]] = {}
        self.failed: dict[str, Exception] = {}

    def get(self, notebook_id: str, variant: Variant) -> VariantOutcome:
        if notebook_id in self.failed:  # said once, in the first test; not run again per variant
            pytest.fail(f"the variants of {notebook_id} did not run: {self.failed[notebook_id]}")
        if notebook_id not in self.done:
            folder = self.workdir / notebook_id
            folder.mkdir()
            try:
                outcomes = run_variants(self.course, ASSIGNMENT, variant_set(notebook_id), folder)
            except Exception as error:
                self.failed[notebook_id] = error
                raise
            self.done[notebook_id] = {outcome.name: outcome for outcome in outcomes}
        return self.done[notebook_id][variant.name]


@pytest.fixture(scope="session")
def executed(tmp_path_factory: pytest.TempPathFactory) -> ExecutedVariants:
    # Loading the course sets the grading environment its kernels inherit.
    return ExecutedVariants(locate_course(REPO_ROOT), tmp_path_factory.mktemp("variants"))


def answers_of_each_test(nb: nbformat.NotebookNode) -> dict[str, set[str]]:
    """grade_id of each autograded test -> the answer cells of its task (those just above it).

    Two tests in a row check the same task: the second shares the first one's answer cells.
    """
    tasks: dict[str, set[str]] = {}
    pending: set[str] = set()
    previous: set[str] = set()
    for cell in nb.cells:
        if cells.is_autograded_answer(cell):
            pending.add(cells.grade_id(cell))
        elif cells.is_autograded_test(cell):
            previous = pending or previous
            tasks[cells.grade_id(cell)] = previous
            pending = set()
    return tasks


@pytest.mark.parametrize("notebook_id", NOTEBOOK_IDS)
def test_every_task_has_a_mistake_and_an_alternative(notebook_id: str) -> None:
    """Each autograded test has a mistake aimed at it and its task a correct alternative."""
    variants = variant_set(notebook_id)
    tasks = answers_of_each_test(source_notebook(notebook_id))
    targeted = set().union(*(variant.loses for variant in variants.wrong))
    assert tasks.keys() - targeted == set(), "no wrong answer targets these tests"
    assert targeted - tasks.keys() == set(), "wrong answers name tests the notebook lacks"
    assert variants.correct[0].answers == {}, "the first correct variant is the reference itself"
    rewritten = set().union(*(variant.answers for variant in variants.correct[1:]))
    untried = sorted(gid for gid, answers in tasks.items() if not answers & rewritten)
    assert untried == [], "no correct alternative answers the task of these tests"


@pytest.mark.slow
@pytest.mark.parametrize("case", cases("correct"), ids=case_id)
def test_correct_answer_keeps_every_point(case: tuple[str, Variant], executed) -> None:
    outcome = executed.get(*case)
    assert outcome.messages == {}
    assert outcome.max_score > 0, "the notebook has no autograded test"
    assert outcome.score == outcome.max_score
    assert outcome.as_expected


@pytest.mark.slow
@pytest.mark.parametrize("case", cases("wrong"), ids=case_id)
def test_mistake_loses_the_targeted_points(case: tuple[str, Variant], executed) -> None:
    outcome = executed.get(*case)
    assert outcome.expected_lost, "a mistake names the tests it must fail"
    assert outcome.expected_lost <= outcome.lost, outcome.messages
    # A failing test explains itself: every lost point comes with an assertion message.
    assert outcome.unexplained == (), outcome.messages
    assert outcome.as_expected
