"""Calibrate the tolerances of exercise 0 (Python): the five shifted normal samples of Task 5.

Runs the instructor's answer cell over many seeds, then the two hidden tests' own code with
their asserts removed, and prints for every tolerance the distribution of the checked quantity,
the tolerance and the margin; then how far typical wrong answers land outside it.

    .venv/bin/python benchmarks/calibrate_exercise_0_python.py --seeds 2000

Fast: 2000 seeds take about half a minute on one core.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import numpy as np

from coursekit.calibration.tolerances import (
    calibration_row,
    cell_sources,
    describe,
    read_notebook,
    script_arguments,
    tolerances,
    without_asserts,
)
from coursekit.calibration.types import ToleranceCalibration

NOTEBOOK_ID = "exercise_0_python"
NOTEBOOK = Path(__file__).resolve().parent.parent / "source" / "lecture1" / f"{NOTEBOOK_ID}.ipynb"
DEFAULT_SEEDS = 2000
WRONG_SEEDS = 200
FIGURES = ".4f"  # the number format of the committed report
ANSWER = "build_shifted_samples"
SHIFTS = np.arange(0, 50, 10).reshape(5, 1)
# tolerance -> (the hidden test that uses it, what it compares)
CHECKS = {
    "MEAN_TOL": ("samples_rows_centred_on_shifts", "largest abs(row mean - shift)"),
    "STD_TOL": (
        "samples_rows_are_independent_standard_normals",
        "largest abs(row standard deviation - 1)",
    ),
    "NORMAL_TOL": (
        "samples_rows_are_independent_standard_normals",
        "KS distance of the 5000 standardised values to N(0, 1)",
    ),
    "CORR_TOL": (
        "samples_rows_are_independent_standard_normals",
        "largest abs(correlation of two rows)",
    ),
}


def measure(samples: np.ndarray, shifts: np.ndarray, tests: list[CodeType]) -> dict[str, float]:
    """What the hidden tests compare with MEAN_TOL, STD_TOL, NORMAL_TOL and CORR_TOL."""
    namespace = {"np": np, "math": math, "samples": samples, "shifts": shifts}
    for code in tests:
        exec(code, namespace)
    return {
        "MEAN_TOL": float(np.max(namespace["offsets"])),
        "STD_TOL": float(np.max(np.abs(namespace["row_stds"] - 1))),
        "NORMAL_TOL": float(namespace["ks_distance"]),
        "CORR_TOL": float(np.max(np.abs(namespace["correlations"]))),
    }


def reference_samples(answer: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The instructor's answer cell run with a generator seeded by `seed`."""
    namespace = {"np": np, "rng": np.random.default_rng(seed)}
    with contextlib.redirect_stdout(io.StringIO()):  # the cell prints the row means
        exec(answer, namespace)
    return namespace["samples"], namespace["shifts"]


def wrong_answers() -> dict[str, tuple[str, Callable[[np.random.Generator], np.ndarray]]]:
    """Mistakes that only a tolerance can catch: (the quantity that catches it, the answer)."""
    root3 = np.sqrt(3)
    return {
        "uniform numbers scaled to standard deviation 1": (
            "NORMAL_TOL",
            lambda rng: rng.uniform(-root3, root3, 5000).reshape(5, 1000) + SHIFTS,
        ),
        "Laplace numbers scaled to standard deviation 1": (
            "NORMAL_TOL",
            lambda rng: rng.laplace(0, 1 / np.sqrt(2), 5000).reshape(5, 1000) + SHIFTS,
        ),
        "one draw of 1000 copied into every row": (
            "CORR_TOL",
            lambda rng: np.tile(rng.standard_normal(1000), (5, 1)) + SHIFTS,
        ),
        "standard deviation 1.2 instead of 1": (
            "STD_TOL",
            lambda rng: rng.normal(0, 1.2, (5, 1000)) + SHIFTS,
        ),
        "shift (5,) added to a (1000, 5) draw, then reshaped": (
            "MEAN_TOL",
            lambda rng: (rng.standard_normal((1000, 5)) + SHIFTS.ravel()).reshape(5, 1000),
        ),
    }


@dataclass(frozen=True)
class Measurements:
    """The checked quantities of the reference runs and of each wrong answer's runs."""

    tols: dict[str, float]
    reference: dict[str, list[float]]
    wrong: dict[str, tuple[str, list[float]]]
    seconds: float


def measure_all(seeds: int, wrong_seeds: int = WRONG_SEEDS) -> Measurements:
    """Run the reference answer over `seeds` seeds and each wrong answer over `wrong_seeds`."""
    nb = read_notebook(NOTEBOOK)
    sources = cell_sources(nb)
    test_ids = sorted({grade_id for grade_id, _ in CHECKS.values()})
    tests = [without_asserts(sources[grade_id]) for grade_id in test_ids]
    tols = {name: value for name, value in tolerances(nb).items() if name in CHECKS}
    start = time.perf_counter()
    reference: dict[str, list[float]] = {name: [] for name in tols}
    for seed in range(seeds):
        for name, value in measure(*reference_samples(sources[ANSWER], seed), tests).items():
            reference[name].append(value)
    wrong: dict[str, tuple[str, list[float]]] = {}
    for label, (name, draw) in wrong_answers().items():
        values = [
            measure(draw(np.random.default_rng(seed)), SHIFTS, tests)[name]
            for seed in range(wrong_seeds)
        ]
        wrong[label] = (name, values)
    return Measurements(tols, reference, wrong, time.perf_counter() - start)


def calibration_rows(m: Measurements) -> list[ToleranceCalibration]:
    """One row per tolerance, with the wrong answers aimed at it."""
    return [
        calibration_row(
            NOTEBOOK_ID,
            CHECKS[name][0],
            name,
            tol,
            CHECKS[name][1],
            m.reference[name],
            {label: values for label, (caught_by, values) in m.wrong.items() if caught_by == name},
        )
        for name, tol in m.tols.items()
    ]


def calibrate(seeds: int = DEFAULT_SEEDS) -> list[ToleranceCalibration]:
    """The calibration rows of exercise 0 (Python) over `seeds` seeds."""
    return calibration_rows(measure_all(seeds, min(seeds, WRONG_SEEDS)))


def main() -> None:
    args = script_arguments(__doc__, DEFAULT_SEEDS, WRONG_SEEDS)
    m = measure_all(args.seeds, args.wrong_seeds)
    print(f"# Calibration of exercise 0 (Python), Task 5 ({args.seeds} seeds, {m.seconds:.0f} s)")
    print()
    print("| tolerance | checked quantity, per run | reference runs | tol | margin (tol / worst) |")
    print("|---|---|---|---|---|")
    for name, tol in m.tols.items():
        values = m.reference[name]
        print(
            f"| {name} | {CHECKS[name][1]} | {describe(values, FIGURES, 99)} | {tol} "
            f"| {tol / max(values):.1f}x |"
        )
    print()
    print(f"| wrong answer ({args.wrong_seeds} seeds) | caught by | its value | caught |")
    print("|---|---|---|---|")
    for label, (name, values) in m.wrong.items():
        caught = sum(value > m.tols[name] for value in values)
        print(f"| {label} | {name} | {describe(values, FIGURES, 99)} | {caught}/{len(values)} |")


if __name__ == "__main__":
    main()
