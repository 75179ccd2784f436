"""Exercise 0 (Python), Task 5: the five shifted normal samples its two hidden tests check.

The reference answer cell runs with a generator seeded by each seed, then the two hidden tests'
own code with their asserts removed: what they compare with each tolerance. Typical wrong
answers (WRONG_SEEDS runs each) show how far outside the tolerance they land.
2000 seeds take about half a minute on one core.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from types import CodeType

import numpy as np

from coursekit.calibration.specs import CalibrationRun
from coursekit.calibration.tolerances import without_asserts
from coursekit.calibration.types import Measured

DEFAULT_SEEDS = 2000
WRONG_SEEDS = 200
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


def quantities(samples: np.ndarray, shifts: np.ndarray, tests: list[CodeType]) -> dict[str, float]:
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


def measure(run: CalibrationRun) -> Measured:
    """The reference over `run.seeds` seeds, each mistake over `run.wrong_seeds`."""
    test_ids = sorted({grade_id for grade_id, _ in CHECKS.values()})
    tests = [without_asserts(run.sources[grade_id]) for grade_id in test_ids]
    names = [name for name in run.tolerances if name in CHECKS]
    reference: dict[str, list[float]] = {name: [] for name in names}
    for seed in range(run.seeds):
        samples = reference_samples(run.sources[ANSWER], seed)
        for name, value in quantities(*samples, tests).items():
            reference[name].append(value)
    mistakes = [
        run.mistake(
            label,
            CHECKS[name][0],
            name,
            CHECKS[name][1],
            [
                quantities(draw(np.random.default_rng(seed)), SHIFTS, tests)[name]
                for seed in range(run.wrong_seeds)
            ],
        )
        for label, (name, draw) in wrong_answers().items()
    ]
    rows = [
        run.row(
            CHECKS[name][0],
            name,
            CHECKS[name][1],
            reference[name],
            {m.name: m.values for m in mistakes if m.tolerance == name},
        )
        for name in names
    ]
    return Measured(tuple(rows), tuple(mistakes))
