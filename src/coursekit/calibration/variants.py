"""Answer variants: the instructor notebook with named answer cells replaced, run and scored.

A variant keeps the instructor notebook (solutions and hidden tests, exactly as autograde runs
it) and replaces some answer cells by grade_id. A course keeps each notebook's variants as data
in `calibration/<assignment_id>/variants/<notebook_id>.py`, which defines `CORRECT` and `WRONG`
(lists of `Variant`; the first correct one is the reference itself) and may define
`UNSCORED_ANSWERS`: answer cells no test reads (explorations that only plot), replaced by `pass`
in every variant but those that set `keep_unscored`, to save kernel time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat
from nbclient import NotebookClient

from coursekit.authoring.cohort import fill_release
from coursekit.calibration.types import VariantOutcome
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.core.kernel_start import start_kernel
from coursekit.nbgrader import api as nbgrader_api

# Course content the calibration reads as data (specs, variants), relative to the course root;
# out of source/, which nbgrader copies into the release.
CONTENT_FOLDER = Path("calibration")
VARIANTS_FOLDER = "variants"  # in an assignment's content folder
CONCURRENT_KERNELS = 2  # the CI machine has two cores
MESSAGE_CHARS = 500


@dataclass(frozen=True)
class Variant:
    """Answers that replace the reference's (grade_id -> code); `loses`: tests that must fail."""

    name: str
    answers: Mapping[str, str]
    loses: frozenset[str] = field(default_factory=frozenset)
    keep_unscored: bool = False


@dataclass(frozen=True)
class VariantSet:
    """One notebook's variants module, read as data."""

    notebook_id: str
    correct: tuple[Variant, ...]
    wrong: tuple[Variant, ...]
    unscored: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[Variant, ...]:
        """The correct variants, then the wrong ones."""
        return (*self.correct, *self.wrong)


def content_dir(root: Path, assignment_id: str) -> Path:
    """Where the course keeps an assignment's calibration specs and variants."""
    return root / CONTENT_FOLDER / assignment_id


def variants_dir(root: Path, assignment_id: str) -> Path:
    """Where the course keeps an assignment's variants modules."""
    return content_dir(root, assignment_id) / VARIANTS_FOLDER


def variant_notebook_ids(folder: Path) -> list[str]:
    """The notebooks that have a variants module in `folder`, sorted."""
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def import_file(path: Path, module_name: str) -> ModuleType:
    """A Python file imported as `module_name` (registered in sys.modules, as imports are)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_variant_set(folder: Path, notebook_id: str) -> VariantSet:
    """`folder/<notebook_id>.py` as a VariantSet (imported once per process)."""
    name = f"variants.{notebook_id}"
    module = sys.modules.get(name) or import_file(folder / f"{notebook_id}.py", name)
    return VariantSet(
        notebook_id,
        tuple(module.CORRECT),
        tuple(module.WRONG),
        tuple(getattr(module, "UNSCORED_ANSWERS", ())),
    )


def variant_notebook(
    source_nb: nbformat.NotebookNode, variant: Variant, unscored: Sequence[str] = ()
) -> nbformat.NotebookNode:
    """A copy of the instructor notebook with the variant's answers in place."""
    answers = dict(variant.answers)
    if not variant.keep_unscored:
        answers.update({grade_id: "pass" for grade_id in unscored if grade_id not in answers})
    return fill_release(source_nb, answers)


def auto_scores(nb: nbformat.NotebookNode) -> dict[str, tuple[float | None, float]]:
    """grade_id -> (score, max) of every auto-graded test cell, by nbgrader's rule."""
    tests = {cells.grade_id(cell) for cell in nb.cells if cells.is_autograded_test(cell)}
    return {gid: score for gid, score in nbgrader_api.grade_cell_scores(nb).items() if gid in tests}


def cell_message(cell: nbformat.NotebookNode) -> str:
    """What an executed cell printed, its error as `ename: evalue`."""
    texts = [
        f"{out.get('ename')}: {out.get('evalue')}"
        if out.output_type == "error"
        else out.get("text", "")
        for out in cell.get("outputs", [])
    ]
    return " | ".join(texts)[:MESSAGE_CHARS]


def failures(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> what each auto-graded test that lost its points printed: the reason."""
    lost = {gid for gid, (score, _) in auto_scores(nb).items() if score == 0}
    return {
        cells.grade_id(cell): cell_message(cell)
        for cell in nb.cells
        if cells.grade_id(cell) in lost
    }


def score_variant(
    notebook_id: str, variant: Variant, correct: bool, executed: nbformat.NotebookNode
) -> VariantOutcome:
    """The outcome of one executed variant, scored by nbgrader's rule."""
    scores = auto_scores(executed)
    messages = failures(executed)
    return VariantOutcome(
        notebook_id=notebook_id,
        name=variant.name,
        correct=correct,
        expected_lost=frozenset(variant.loses),
        lost=frozenset(messages),
        score=sum(score or 0.0 for score, _ in scores.values()),
        max_score=sum(most for _, most in scores.values()),
        messages=messages,
    )


async def _execute_all(
    notebooks: Mapping[str, nbformat.NotebookNode], workdir: Path, course: Course
) -> dict[str, nbformat.NotebookNode]:
    gate = asyncio.Semaphore(CONCURRENT_KERNELS)
    execute = course.config.Execute  # the timeout and kernel arguments autograde uses

    async def run(key: str, nb: nbformat.NotebookNode) -> tuple[str, nbformat.NotebookNode]:
        async with gate:
            client = NotebookClient(
                nb,
                timeout=execute.get("timeout", 300),
                extra_arguments=list(execute.get("extra_arguments", [])),
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(workdir)}},
            )
            await start_kernel(client)
            await client.async_execute()
        return key, nb

    return dict(await asyncio.gather(*(run(key, nb) for key, nb in notebooks.items())))


def execute_variants(
    course: Course,
    source_nb: nbformat.NotebookNode,
    variant_set: VariantSet,
    workdir: Path,
) -> dict[str, nbformat.NotebookNode]:
    """variant name -> the executed notebook, CONCURRENT_KERNELS real kernels at a time.

    Loading the course config set the grading environment (nbgrader_config.py sets os.environ),
    which the kernels inherit as autograde's do.
    """
    notebooks = {
        variant.name: variant_notebook(source_nb, variant, variant_set.unscored)
        for variant in variant_set.all
    }
    return asyncio.run(_execute_all(notebooks, workdir, course))


def run_variants(
    course: Course, assignment_id: str, variant_set: VariantSet, workdir: Path
) -> tuple[VariantOutcome, ...]:
    """Execute and score every variant of one notebook of the assignment."""
    source_nb = nbformat.read(
        course.source_dir(assignment_id) / f"{variant_set.notebook_id}.ipynb", as_version=4
    )
    executed = execute_variants(course, source_nb, variant_set, workdir)
    correct = {variant.name for variant in variant_set.correct}
    return tuple(
        score_variant(
            variant_set.notebook_id, variant, variant.name in correct, executed[variant.name]
        )
        for variant in variant_set.all
    )
