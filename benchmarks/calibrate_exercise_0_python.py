"""Calibrate the tolerances of exercise 0 (Python): the five shifted normal samples of Task 5.

Runs the instructor's answer cell over many seeds, then the two hidden tests' own code with
their asserts removed, and prints for every tolerance the distribution of the checked quantity,
the tolerance and the margin; then how far typical wrong answers land outside it.

    .venv/bin/python benchmarks/calibrate_exercise_0_python.py --seeds 2000

Fast: 2000 seeds take about half a minute on one core.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import math
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np

from coursekit import cells
from coursekit.cohort import solution_answers

NOTEBOOK = (
    Path(__file__).resolve().parent.parent / "source" / "lecture1" / "exercise_0_python.ipynb"
)
ANSWER = "build_shifted_samples"
TESTS = ("samples_rows_centred_on_shifts", "samples_rows_are_independent_standard_normals")
SHIFTS = np.arange(0, 50, 10).reshape(5, 1)


class DropAsserts(ast.NodeTransformer):
    """Turn every assert into `pass`, so a test computes all its quantities and never stops."""

    def visit_Assert(self, node: ast.Assert) -> ast.Pass:
        return ast.copy_location(ast.Pass(), node)


def measuring_code(test_source: str) -> object:
    """A test cell's code, hidden part included, compiled without its asserts."""
    tree = DropAsserts().visit(ast.parse(test_source))
    return compile(ast.fix_missing_locations(tree), "<test>", "exec")


def measure(samples: np.ndarray, shifts: np.ndarray, tests: list[object]) -> dict[str, float]:
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


def describe(values: list[float]) -> str:
    """min / median / 99th percentile / max of a sample."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"min {ordered[0]:.4f}  median {statistics.median(ordered):.4f}  "
        f"p99 {p99:.4f}  max {ordered[-1]:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2000, help="reference runs")
    parser.add_argument("--wrong-seeds", type=int, default=200, help="runs per wrong answer")
    args = parser.parse_args()

    nb = nbformat.read(NOTEBOOK, as_version=4)
    sources = {cells.grade_id(cell): cell.source for cell in nb.cells if cells.grade_id(cell)}
    tests = [measuring_code(sources[grade_id]) for grade_id in TESTS]
    tols = {
        name: float(value)
        for grade_id in TESTS
        for name, value in re.findall(r"^([A-Z_]+_TOL) = ([0-9.]+)$", sources[grade_id], re.M)
    }
    answer = solution_answers(nb)[ANSWER]
    start = time.perf_counter()

    reference: dict[str, list[float]] = {name: [] for name in tols}
    for seed in range(args.seeds):
        for name, value in measure(*reference_samples(answer, seed), tests).items():
            reference[name].append(value)
    wrong: dict[str, tuple[str, list[float]]] = {}
    for label, (name, draw) in wrong_answers().items():
        values = [
            measure(draw(np.random.default_rng(seed)), SHIFTS, tests)[name]
            for seed in range(args.wrong_seeds)
        ]
        wrong[label] = (name, values)

    print(
        f"# Calibration of exercise 0 (Python), Task 5 ({args.seeds} seeds, "
        f"{time.perf_counter() - start:.0f} s)"
    )
    print()
    print("| tolerance | checked quantity, per run | reference runs | tol | margin (tol / worst) |")
    print("|---|---|---|---|---|")
    what = {
        "MEAN_TOL": "largest abs(row mean - shift)",
        "STD_TOL": "largest abs(row standard deviation - 1)",
        "NORMAL_TOL": "KS distance of the 5000 standardised values to N(0, 1)",
        "CORR_TOL": "largest abs(correlation of two rows)",
    }
    for name, tol in tols.items():
        values = reference[name]
        print(f"| {name} | {what[name]} | {describe(values)} | {tol} | {tol / max(values):.1f}x |")
    print()
    print(f"| wrong answer ({args.wrong_seeds} seeds) | caught by | its value | caught |")
    print("|---|---|---|---|")
    for label, (name, values) in wrong.items():
        caught = sum(value > tols[name] for value in values)
        print(f"| {label} | {name} | {describe(values)} | {caught}/{len(values)} |")


if __name__ == "__main__":
    main()
