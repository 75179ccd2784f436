"""Hidden tests judge behaviour: for every notebook with autograded tests, correct answers
written differently keep every point, and typical mistakes lose the points of the test aimed at
them. The variants are data in tests/variants/<notebook_id>.py; see variant_harness.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from variant_harness import (
    Variant,
    auto_scores,
    execute_variants,
    failures,
    source_notebook,
    variant_notebook_ids,
    variants_module,
)

from coursekit import cells

NOTEBOOK_IDS = variant_notebook_ids()


def cases(kind: str) -> list[tuple[str, Variant]]:
    return [
        (notebook_id, variant)
        for notebook_id in NOTEBOOK_IDS
        for variant in getattr(variants_module(notebook_id), kind)
    ]


def case_id(case: tuple[str, Variant] | str | Variant) -> str:
    return case.name if isinstance(case, Variant) else str(case)


class ExecutedVariants:
    """Executes each notebook's variants once, on first use (so `-k notebook` runs only it)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.done: dict[str, dict[str, nbformat.NotebookNode]] = {}

    def get(self, notebook_id: str, variant: Variant) -> nbformat.NotebookNode:
        if notebook_id not in self.done:
            module = variants_module(notebook_id)
            folder = self.workdir / notebook_id
            folder.mkdir()
            self.done[notebook_id] = execute_variants(
                notebook_id, [*module.CORRECT, *module.WRONG], folder
            )
        return self.done[notebook_id][variant.name]


@pytest.fixture(scope="session")
def executed(tmp_path_factory: pytest.TempPathFactory) -> ExecutedVariants:
    return ExecutedVariants(tmp_path_factory.mktemp("variants"))


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
    module = variants_module(notebook_id)
    tasks = answers_of_each_test(source_notebook(notebook_id))
    targeted = set().union(*(variant.loses for variant in module.WRONG))
    assert tasks.keys() - targeted == set(), "no wrong answer targets these tests"
    assert targeted - tasks.keys() == set(), "wrong answers name tests the notebook lacks"
    assert module.CORRECT[0].answers == {}, "the first correct variant is the reference itself"
    rewritten = set().union(*(variant.answers for variant in module.CORRECT[1:]))
    untried = sorted(gid for gid, answers in tasks.items() if not answers & rewritten)
    assert untried == [], "no correct alternative answers the task of these tests"


@pytest.mark.slow
@pytest.mark.parametrize("case", cases("CORRECT"), ids=case_id)
def test_correct_answer_keeps_every_point(case: tuple[str, Variant], executed) -> None:
    nb = executed.get(*case)
    assert failures(nb) == {}
    scores = auto_scores(nb)
    assert scores, "the notebook has no autograded test"
    assert sum(score for score, _ in scores.values()) == sum(most for _, most in scores.values())


@pytest.mark.slow
@pytest.mark.parametrize("case", cases("WRONG"), ids=case_id)
def test_mistake_loses_the_targeted_points(case: tuple[str, Variant], executed) -> None:
    notebook_id, variant = case
    nb = executed.get(notebook_id, variant)
    scores = auto_scores(nb)
    assert variant.loses and variant.loses <= scores.keys()
    lost = {grade_id for grade_id, (score, _) in scores.items() if score == 0}
    assert variant.loses <= lost, failures(nb)
    # A failing test explains itself: every lost point comes with an assertion message.
    for grade_id, reason in failures(nb).items():
        assert "AssertionError: " in reason and len(reason) > len("AssertionError: ") + 10, (
            grade_id,
            reason,
        )
