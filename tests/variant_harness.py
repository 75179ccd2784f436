"""Run answer variants of the course's notebooks in real kernels and score them as nbgrader does.

A variant is an instructor notebook (solutions and hidden tests, exactly as autograde runs it)
with some answer cells replaced. Each notebook's variants live as data in
`tests/variants/<notebook_id>.py`, which defines `CORRECT` and `WRONG` (lists of `Variant`) and
may define `UNSCORED_ANSWERS`: answer cells no test reads (explorations that only plot), replaced
by `pass` in every variant but those that set `keep_unscored`, to save kernel time.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat
from nbclient import NotebookClient

from coursekit import cells, nbgrader_ops
from coursekit.cohort import fill_release

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
SOURCE_DIR = REPO_ROOT / "source" / ASSIGNMENT
VARIANTS_DIR = Path(__file__).resolve().parent / "variants"
CONCURRENT_KERNELS = 2  # the CI machine has two cores
CELL_TIMEOUT = 300


@dataclass(frozen=True)
class Variant:
    """Answers that replace the reference's (grade_id -> code); `loses`: tests that must fail."""

    name: str
    answers: Mapping[str, str]
    loses: frozenset[str] = field(default_factory=frozenset)
    keep_unscored: bool = False


def variant_notebook_ids() -> list[str]:
    """The notebooks that have a variants module, sorted."""
    return sorted(p.stem for p in VARIANTS_DIR.glob("*.py") if not p.stem.startswith("_"))


def variants_module(notebook_id: str) -> ModuleType:
    """tests/variants/<notebook_id>.py, imported."""
    return importlib.import_module(f"variants.{notebook_id}")


def source_notebook(notebook_id: str) -> nbformat.NotebookNode:
    """The instructor notebook of lecture1 with this id."""
    return nbformat.read(SOURCE_DIR / f"{notebook_id}.ipynb", as_version=4)


def variant_notebook(notebook_id: str, variant: Variant) -> nbformat.NotebookNode:
    """The instructor notebook with the variant's answers in place."""
    answers = dict(variant.answers)
    if not variant.keep_unscored:
        unscored = getattr(variants_module(notebook_id), "UNSCORED_ANSWERS", ())
        answers.update({grade_id: "pass" for grade_id in unscored if grade_id not in answers})
    return fill_release(source_notebook(notebook_id), answers)


def auto_scores(nb: nbformat.NotebookNode) -> dict[str, tuple[float | None, float]]:
    """grade_id -> (score, max) of every auto-graded test cell, by nbgrader's rule."""
    tests = {cells.grade_id(cell) for cell in nb.cells if cells.is_autograded_test(cell)}
    return {gid: score for gid, score in nbgrader_ops.grade_cell_scores(nb).items() if gid in tests}


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
            reasons[cells.grade_id(cell)] = " | ".join(texts)[:500]
    return reasons


def grading_environment() -> None:
    """The environment nbgrader_config.py gives every grading kernel."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PYTHONHASHSEED", "0")


async def _execute_all(
    notebooks: Mapping[str, nbformat.NotebookNode], workdir: Path
) -> dict[str, nbformat.NotebookNode]:
    gate = asyncio.Semaphore(CONCURRENT_KERNELS)

    async def run(key: str, nb: nbformat.NotebookNode) -> tuple[str, nbformat.NotebookNode]:
        async with gate:
            client = NotebookClient(
                nb,
                timeout=CELL_TIMEOUT,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(workdir)}},
            )
            await client.async_execute()
        return key, nb

    return dict(await asyncio.gather(*(run(key, nb) for key, nb in notebooks.items())))


def execute_variants(
    notebook_id: str, variants: list[Variant], workdir: Path
) -> dict[str, nbformat.NotebookNode]:
    """variant name -> the executed notebook, CONCURRENT_KERNELS kernels at a time."""
    grading_environment()
    notebooks = {variant.name: variant_notebook(notebook_id, variant) for variant in variants}
    return asyncio.run(_execute_all(notebooks, workdir))
