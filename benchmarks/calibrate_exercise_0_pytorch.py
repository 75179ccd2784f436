"""Calibrate the tolerances of exercise 0 (PyTorch)'s hidden tests on correct and wrong answers.

Runs the instructor's solution and every correct alternative of tests/variants/exercise_0_pytorch.py
on the hidden tests' shapes and dtypes with fresh random inputs for many seeds, and prints, per
tolerance, the worst checked quantity of the correct answers, the tolerance and the margin; then
how close the typical wrong answers (the same module's WRONG list) come to passing.

    .venv/bin/python benchmarks/calibrate_exercise_0_pytorch.py --seeds 40

Fast: 10-30 s for 40 seeds on 2 shared cores. Each checked quantity is the one the test
compares with its tolerance, computed the same way (see `QUANTITIES`).
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from coursekit.authoring.cohort import solution_answers
from coursekit.calibration.tolerances import (
    calibration_row,
    read_notebook,
    script_arguments,
    tolerances,
)
from coursekit.calibration.types import ToleranceCalibration
from coursekit.calibration.variants import load_variant_set

NOTEBOOK_ID = "exercise_0_pytorch"
REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO_ROOT / "source" / "lecture1" / f"{NOTEBOOK_ID}.ipynb"
VARIANTS = REPO_ROOT / "tests" / "variants"  # the test suite's data: correct answers, mistakes
DEFAULT_SEEDS = 40
DTYPES = (torch.float32, torch.float64)
# The hidden tests' shapes (copied from the notebook's test cells).
MSE_SHAPES = [(1,), (7,), (40, 3), (2, 3, 5), (250,)]
MSE_GRAD_SHAPES = [(5,), (8, 3), (2, 2, 4)]
TABLE_SHAPES = [(5, 3), (3, 5), (1, 4), (200, 2)]
FUNCTIONS: list[tuple[str, Callable, Callable, tuple[int, ...]]] = [
    ("sum(t**2)", lambda t: (t**2).sum(), lambda a: 2 * a, (6,)),
    ("sum(sin(t))", lambda t: torch.sin(t).sum(), np.cos, (4, 3)),
    ("mean(t**3)", lambda t: (t**3).mean(), lambda a: 3 * a**2 / a.size, (2, 5)),
    ("t[0] * t[1]", lambda t: t[0] * t[1], lambda a: np.array([a[1], a[0], 0.0, 0.0]), (4,)),
]
# An exception, a wrong type or a wrong shape: caught before any tolerance is looked at.
FAILED = None


def answer_namespace(code: str, **given: object) -> dict:
    """The namespace after running one answer cell's code (its prints swallowed)."""
    namespace: dict = {"torch": torch, "np": np, **given}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, namespace)
    return namespace


def quiet(call: Callable, *args: object) -> object:
    """call(*args) with warnings silenced and any exception turned into None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(*args)
        except Exception:
            return None


def run_backward(mse: Callable, x: torch.Tensor, y: torch.Tensor) -> bool:
    """mse(x, y).backward(), True when it ran."""
    mse(x, y).backward()
    return True


def mse_value_error(code: str, rng: np.random.Generator) -> float | None:
    """mse_matches_numpy_reference: worst |mse - NumPy| / NumPy over the hidden shapes."""
    mse = answer_namespace(code)["mse"]
    worst = 0.0
    for shape in MSE_SHAPES:
        for dtype in DTYPES:
            x = torch.tensor(rng.normal(0, 2, size=shape), dtype=dtype)
            y = torch.tensor(rng.normal(0, 2, size=shape), dtype=dtype)
            reference = float(np.mean((x.numpy().astype(float) - y.numpy().astype(float)) ** 2))
            value = quiet(mse, x, y)
            if not isinstance(value, torch.Tensor) or value.shape != ():
                return FAILED
            worst = max(worst, abs(float(value) - reference) / reference)
    return worst


def mse_gradient_error(code: str, rng: np.random.Generator) -> float | None:
    """mse_keeps_autograd_graph: worst |x.grad - 2 (x - y) / N| / max |2 (x - y) / N|."""
    mse = answer_namespace(code)["mse"]
    worst = 0.0
    for shape in MSE_GRAD_SHAPES:
        for dtype in DTYPES:
            x = torch.tensor(rng.normal(size=shape), dtype=dtype, requires_grad=True)
            y = torch.tensor(rng.normal(size=shape), dtype=dtype)
            expected = 2 * (x.detach().numpy().astype(float) - y.numpy().astype(float)) / x.numel()
            if quiet(run_backward, mse, x, y) is None or x.grad is None:
                return FAILED
            found = x.grad.numpy().astype(float)
            worst = max(worst, float(np.max(np.abs(found - expected)) / np.max(np.abs(expected))))
    return worst


def backward_error(code: str, rng: np.random.Generator) -> float | None:
    """grad_of_sum_of_squares_from_backward: max |g - 2x| / (1 + |2x|), for g and for x.grad."""
    x = torch.tensor(rng.normal(0, 2, size=5), dtype=torch.float32, requires_grad=True)
    namespace = answer_namespace(code, x=x)
    grad = namespace.get("grad_of_sum_of_squares")
    if not isinstance(grad, torch.Tensor) or grad.shape != x.shape or x.grad is None:
        return FAILED
    twice_x = 2 * x.detach().numpy().astype(float)
    return max(
        float(np.max(np.abs(t.detach().numpy().astype(float) - twice_x) / (1 + np.abs(twice_x))))
        for t in (grad, x.grad)
    )


def gradient_of_error(code: str, rng: np.random.Generator) -> float | None:
    """gradient_of_any_function_by_autograd: worst error / max(1, max |gradient|), two calls."""
    gradient_of = answer_namespace(code)["gradient_of"]
    worst = 0.0
    for _, f, exact, shape in FUNCTIONS:
        for dtype in DTYPES:
            point = torch.tensor(rng.uniform(-2, 2, size=shape), dtype=dtype)
            expected = exact(point.numpy().astype(float))
            for _call in range(2):
                found = quiet(gradient_of, f, point)
                if not isinstance(found, torch.Tensor) or found.shape != shape:
                    return FAILED
                error = np.max(np.abs(found.detach().numpy().astype(float) - expected))
                worst = max(worst, float(error) / max(1.0, float(np.max(np.abs(expected)))))
    return worst


def column_means_error(code: str, rng: np.random.Generator) -> float | None:
    """column_means_along_dim_0: worst relative difference to np.mean(axis=0)."""
    column_means = answer_namespace(code)["column_means"]
    worst = 0.0
    for shape in TABLE_SHAPES:
        for dtype in DTYPES:
            table = torch.tensor(rng.normal(10, 3, size=shape), dtype=dtype)
            expected = np.mean(table.numpy().astype(float), axis=0)
            found = quiet(column_means, table)
            if not isinstance(found, torch.Tensor) or found.shape != (shape[1],):
                return FAILED
            relative = np.abs(found.numpy().astype(float) - expected) / np.abs(expected)
            worst = max(worst, float(np.max(relative)))
    return worst


# tolerance name -> (test grade_id, answer cell, the test's checked quantity)
QUANTITIES: dict[str, tuple[str, str, Callable[[str, np.random.Generator], float | None]]] = {
    "MSE_RTOL": ("mse_matches_numpy_reference", "define_mse", mse_value_error),
    "MSE_GRAD_RTOL": ("mse_keeps_autograd_graph", "define_mse", mse_gradient_error),
    "SUM_SQUARES_GRAD_RTOL": (
        "grad_of_sum_of_squares_from_backward",
        "backward_sum_of_squares",
        backward_error,
    ),
    "GRADIENT_TOL": (
        "gradient_of_any_function_by_autograd",
        "define_gradient_of",
        gradient_of_error,
    ),
    "COLUMN_MEAN_TOL": ("column_means_along_dim_0", "define_column_means", column_means_error),
}


@dataclass(frozen=True)
class Measured:
    """One test's checked quantity over the runs of correct answers, or of one mistake."""

    test: str
    tolerance: str
    value: float
    runs: list[float | None]
    variant: str = ""


def measure_all(seeds: int) -> tuple[list[Measured], list[Measured], float]:
    """Each tolerance over every correct answer and seed; each mistake on the test it targets."""
    nb = read_notebook(NOTEBOOK)
    reference = solution_answers(nb)
    tols = tolerances(nb)
    variants = load_variant_set(VARIANTS, NOTEBOOK_ID)
    correct = [(variant.name, {**reference, **variant.answers}) for variant in variants.correct]
    start = time.perf_counter()
    rows = []
    for name, (test, cell, quantity) in QUANTITIES.items():
        values = [
            quantity(answers[cell], np.random.default_rng(seed))
            for _, answers in correct
            for seed in range(seeds)
        ]
        if FAILED in values:
            raise SystemExit(f"a correct answer fails {test} outright: fix the test or the variant")
        rows.append(Measured(test, name, tols[name], values))
    wrong_rows = []
    for variant in variants.wrong:
        for name, (test, cell, quantity) in QUANTITIES.items():
            if test in variant.loses and cell in variant.answers:
                values = [
                    quantity(variant.answers[cell], np.random.default_rng(seed))
                    for seed in range(seeds)
                ]
                wrong_rows.append(Measured(test, name, tols[name], values, variant.name))
    return rows, wrong_rows, time.perf_counter() - start


def calibrate(seeds: int = DEFAULT_SEEDS) -> list[ToleranceCalibration]:
    """The calibration rows of exercise 0 (PyTorch) over `seeds` seeds per correct answer."""
    rows, wrong_rows, _ = measure_all(seeds)
    return [
        calibration_row(
            NOTEBOOK_ID,
            row.test,
            row.tolerance,
            row.value,
            "relative error, all correct answers and seeds",
            row.runs,
            {  # a mistake that fails a type, shape or autograd check never gets near
                wrong.variant: [float("inf") if v is FAILED else v for v in wrong.runs]
                for wrong in wrong_rows
                if wrong.tolerance == row.tolerance
            },
        )
        for row in rows
    ]


def describe(values: list[float]) -> str:
    """min / median / max of a sample, in scientific notation."""
    ordered = sorted(values)
    return f"min {ordered[0]:.1e}  median {ordered[len(ordered) // 2]:.1e}  max {ordered[-1]:.1e}"


def main() -> None:
    args = script_arguments(__doc__, DEFAULT_SEEDS)
    rows, wrong_rows, seconds = measure_all(args.seeds)
    n_correct = len(rows[0].runs) // args.seeds
    print(
        f"# Calibration of exercise 0 (PyTorch) ({args.seeds} seeds, "
        f"{n_correct} correct answers, {seconds:.0f} s)"
    )
    print()
    print("| test | tolerance | runs of correct answers | worst correct | tolerance / worst |")
    print("|---|---|---|---|---|")
    for row in rows:
        worst, tol = max(row.runs), row.value
        print(
            f"| {row.test} | {row.tolerance} = {tol:g} | {len(row.runs)}: {describe(row.runs)} "
            f"| {worst:.1e} | {f'{tol / worst:.0f}x' if worst else 'exact'} |"
        )
    print()
    print("| wrong answer | test | closest it comes (min over seeds) | caught |")
    print("|---|---|---|---|")
    for wrong in wrong_rows:
        numbers = [value for value in wrong.runs if value is not FAILED]
        how = f"{min(numbers):.1e}" if numbers else "fails a type, shape or autograd check"
        caught = sum(value is FAILED or value > wrong.value for value in wrong.runs)
        print(f"| {wrong.variant} | {wrong.test} | {how} | {caught}/{len(wrong.runs)} |")


if __name__ == "__main__":
    main()
