"""Calibration specs: per notebook, what its tests compare with their tolerances, read as data.

A course keeps one spec per notebook with named tolerances in
`calibration/<assignment_id>/<notebook_id>.py`, beside the answer variants in
`calibration/<assignment_id>/variants/` (out of `source/`: nbgrader copies everything there into
the release). A spec knows only what differs per notebook, how correct answers (and typical
mistakes) reach the quantity each test compares with its tolerance:

    DEFAULT_SEEDS = 40   # at least 30
    WRONG_SEEDS = 5      # optional: runs per mistake, at most the seeds
    def measure(run: CalibrationRun) -> Measured: ...

Everything else is here, shared by `course calibrate` and `benchmarks/calibrate.py`: finding the
spec, reading the notebook (cells, tolerances, variants), the seeds, the timing, the rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

import nbformat

from coursekit.authoring.cohort import solution_answers
from coursekit.calibration.tolerances import (
    calibration_row,
    cell_sources,
    read_notebook,
    tolerance_sources,
    tolerances,
)
from coursekit.calibration.types import Measured, Mistake, ToleranceCalibration
from coursekit.calibration.variants import (
    VariantSet,
    content_dir,
    import_file,
    load_variant_set,
    variants_dir,
)
from coursekit.core.errors import CourseError

SOURCE_FOLDER = Path("source")  # relative to the course root, as nbgrader_config.py sets it


def spec_path(root: Path, assignment_id: str, notebook_id: str) -> Path | None:
    """The notebook's calibration spec, None if the course has none."""
    path = content_dir(root, assignment_id) / f"{notebook_id}.py"
    return path if path.is_file() else None


def spec_notebook_ids(root: Path, assignment_id: str) -> list[str]:
    """The notebooks of an assignment that have a calibration spec, sorted."""
    folder = content_dir(root, assignment_id)
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def load_spec(path: Path) -> ModuleType:
    """A spec module, checked for `measure(run)` and `DEFAULT_SEEDS`."""
    module = import_file(path, f"coursekit_calibration_spec_{path.parent.name}_{path.stem}")
    if not callable(getattr(module, "measure", None)) or not hasattr(module, "DEFAULT_SEEDS"):
        raise CourseError(
            f"{path} defines no measure(run) returning Measured, or no DEFAULT_SEEDS: "
            "see coursekit.calibration.specs."
        )
    return module


@dataclass(frozen=True)
class CalibrationRun:
    """What a spec's measure() is given: the notebook, read once, and how many runs to make."""

    notebook_id: str
    notebook_path: Path
    variants_folder: Path
    seeds: int
    wrong_seeds: int

    @cached_property
    def nb(self) -> nbformat.NotebookNode:
        """The instructor notebook: solutions and hidden tests."""
        return read_notebook(self.notebook_path)

    @cached_property
    def sources(self) -> dict[str, str]:
        """grade_id -> source of every nbgrader cell, solution cells without their markers."""
        return cell_sources(self.nb)

    @cached_property
    def answers(self) -> dict[str, str]:
        """grade_id -> the reference answer of every solution cell."""
        return solution_answers(self.nb)

    @cached_property
    def tolerances(self) -> dict[str, float]:
        """The autograded tests' tolerances whose value is a plain number."""
        return tolerances(self.nb)

    @cached_property
    def tolerance_sources(self) -> dict[str, str]:
        """tolerance name -> the expression that defines it (for tolerances in other units)."""
        return tolerance_sources(self.nb)

    @cached_property
    def variants(self) -> VariantSet:
        """The notebook's answer variants: correct answers written otherwise, typical mistakes."""
        return load_variant_set(self.variants_folder, self.notebook_id)

    def row(
        self,
        grade_id: str,
        tolerance: str,
        quantity: str,
        values: Sequence[float],
        wrong: dict[str, Sequence[float]] | None = None,
        value: float | None = None,
    ) -> ToleranceCalibration:
        """A calibration row of this notebook; `value`: the tolerance, if not a plain number."""
        limit = self.tolerances[tolerance] if value is None else value
        return calibration_row(
            self.notebook_id, grade_id, tolerance, limit, quantity, values, wrong
        )

    def mistake(
        self,
        name: str,
        grade_id: str,
        tolerance: str,
        quantity: str,
        values: Sequence[float],
        caught: int | None = None,
        closest_case: str = "",
    ) -> Mistake:
        """A mistake's runs; `caught` counts the values above the tolerance unless told."""
        if caught is None:
            caught = sum(v > self.tolerances[tolerance] for v in values)
        return Mistake(
            name, grade_id, tolerance, quantity, tuple(map(float, values)), caught, closest_case
        )


@dataclass(frozen=True)
class SpecResult:
    """One spec run: where it is, the seeds it used, what it measured, how long it took."""

    path: Path
    seeds: int
    wrong_seeds: int
    measured: Measured
    seconds: float


def run_spec(
    root: Path,
    assignment_id: str,
    notebook_id: str,
    seeds: int | None = None,
    wrong_seeds: int | None = None,
    source_dir: Path | None = None,
) -> SpecResult | None:
    """Measure one notebook with its spec (seeds None: the spec's default); None without one.

    `source_dir`: the assignment's instructor notebooks, `source/<assignment_id>` unless told.
    """
    path = spec_path(root, assignment_id, notebook_id)
    if path is None:
        return None
    module = load_spec(path)
    used = module.DEFAULT_SEEDS if seeds is None else seeds
    if wrong_seeds is None:
        wrong_seeds = min(used, getattr(module, "WRONG_SEEDS", used))
    run = CalibrationRun(
        notebook_id=notebook_id,
        notebook_path=(source_dir or root / SOURCE_FOLDER / assignment_id) / f"{notebook_id}.ipynb",
        variants_folder=variants_dir(root, assignment_id),
        seeds=used,
        wrong_seeds=wrong_seeds,
    )
    start = time.perf_counter()
    measured = module.measure(run)
    if not isinstance(measured, Measured):
        raise CourseError(f"{path}: measure(run) returned {type(measured).__name__}, not Measured.")
    return SpecResult(path, used, wrong_seeds, measured, time.perf_counter() - start)
