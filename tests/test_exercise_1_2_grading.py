"""Exercise 1.2's tests judge behaviour: correct answers written differently keep every point,
typical mistakes lose the points of the test aimed at them.

Each variant is the instructor's notebook (solutions and hidden tests, as autograde runs it)
with some answer cells replaced, executed in a real kernel and scored with nbgrader's own rule.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nbformat
import pytest
from exercise_1_2_variants import CORRECT, WRONG, Variant
from nbclient import NotebookClient

from coursekit import cells, nbgrader_ops
from coursekit.cohort import fill_release

SOURCE = (
    Path(__file__).resolve().parents[1] / "source/lecture1/exercise_1_2_linear_regression.ipynb"
)
EXPLORATIONS = ("explore_uncertainty", "explore_dimensions")
CONCURRENT_KERNELS = 2  # the CI machine has two cores
CELL_TIMEOUT = 300

pytestmark = pytest.mark.slow


def variant_notebook(variant: Variant) -> nbformat.NotebookNode:
    answers = dict(variant.answers)
    if not variant.keep_explorations:
        answers.update({grade_id: "pass" for grade_id in EXPLORATIONS})
    return fill_release(nbformat.read(SOURCE, as_version=4), answers)


def auto_scores(nb: nbformat.NotebookNode) -> dict[str, tuple[float | None, float]]:
    """grade_id -> (score, max) of every auto-graded test cell, by nbgrader's rule."""
    tests = {cells.grade_id(cell) for cell in nb.cells if cells.is_autograded_test(cell)}
    return {gid: score for gid, score in nbgrader_ops.grade_cell_scores(nb).items() if gid in tests}


async def execute_all(variants: list[Variant], workdir: Path) -> dict[str, nbformat.NotebookNode]:
    gate = asyncio.Semaphore(CONCURRENT_KERNELS)

    async def run(variant: Variant) -> tuple[str, nbformat.NotebookNode]:
        nb = variant_notebook(variant)
        async with gate:
            client = NotebookClient(
                nb,
                timeout=CELL_TIMEOUT,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(workdir)}},
            )
            await client.async_execute()
        return variant.name, nb

    return dict(await asyncio.gather(*(run(variant) for variant in variants)))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, nbformat.NotebookNode]:
    # The grading environment nbgrader_config.py sets for every kernel.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    return asyncio.run(execute_all(CORRECT + WRONG, tmp_path_factory.mktemp("variants")))


def failures(nb: nbformat.NotebookNode) -> dict[str, str]:
    """What each test cell that lost points printed as its error: the reason, for messages."""
    lost = {gid for gid, (score, _) in auto_scores(nb).items() if score == 0}
    reasons = {}
    for cell in nb.cells:
        if cells.grade_id(cell) in lost:
            texts = [
                f"{out.get('ename')}: {out.get('evalue')}"
                if out.output_type == "error"
                else out.get("text", "")
                for out in cell.outputs
            ]
            reasons[cell.metadata.nbgrader.grade_id] = " | ".join(texts)[:500]
    return reasons


@pytest.mark.parametrize("variant", CORRECT, ids=lambda variant: variant.name)
def test_correct_answer_keeps_every_point(variant: Variant, executed: dict) -> None:
    nb = executed[variant.name]
    assert failures(nb) == {}
    scores = auto_scores(nb)
    assert sum(score for score, _ in scores.values()) == sum(most for _, most in scores.values())


@pytest.mark.parametrize("variant", WRONG, ids=lambda variant: variant.name)
def test_mistake_loses_the_targeted_points(variant: Variant, executed: dict) -> None:
    scores = auto_scores(executed[variant.name])
    assert variant.loses <= scores.keys()
    lost = {grade_id for grade_id, (score, _) in scores.items() if score == 0}
    assert variant.loses <= lost, failures(executed[variant.name])


def test_mistakes_print_what_was_expected(executed: dict) -> None:
    """A failing test explains itself: every lost point comes with an assertion message."""
    for variant in WRONG:
        for grade_id, reason in failures(executed[variant.name]).items():
            assert "AssertionError: " in reason and len(reason) > len("AssertionError: ") + 10, (
                variant.name,
                grade_id,
                reason,
            )
