"""Exercise 0 (PyTorch): every correct answer of the variants on the hidden tests' shapes.

The reference and each correct variant run on the hidden tests' shapes and dtypes with fresh
random inputs per seed; each quantity is the one the test compares with its tolerance, computed
the same way (see `QUANTITIES`). The variants' mistakes run on the test they target.
Fast: 10-30 s for 40 seeds on 2 shared cores.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable

import numpy as np
import torch

from coursekit.calibration.specs import CalibrationRun
from coursekit.calibration.types import Measured

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
QUANTITY = "relative error, all correct answers and seeds"


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


def measure(run: CalibrationRun) -> Measured:
    """Each tolerance over every correct answer and seed; each mistake on the test it targets."""
    correct = [{**run.answers, **variant.answers} for variant in run.variants.correct]
    values_of: dict[str, list[float | None]] = {}
    for name, (test, cell, quantity) in QUANTITIES.items():
        values_of[name] = [
            quantity(answers[cell], np.random.default_rng(seed))
            for answers in correct
            for seed in range(run.seeds)
        ]
        if FAILED in values_of[name]:
            raise SystemExit(f"a correct answer fails {test} outright: fix the test or the variant")
    mistakes = [
        run.mistake(  # a mistake that fails a type, shape or autograd check never gets near
            variant.name,
            test,
            name,
            "relative error (inf: fails a type, shape or autograd check)",
            [
                float("inf") if value is FAILED else value
                for value in (
                    quantity(variant.answers[cell], np.random.default_rng(seed))
                    for seed in range(run.seeds)
                )
            ],
        )
        for variant in run.variants.wrong
        for name, (test, cell, quantity) in QUANTITIES.items()
        if test in variant.loses and cell in variant.answers
    ]
    rows = [
        run.row(
            test,
            name,
            QUANTITY,
            values_of[name],
            {m.name: m.values for m in mistakes if m.tolerance == name},
        )
        for name, (test, _, _) in QUANTITIES.items()
    ]
    note = f"{len(correct)} correct answers (the reference and the correct variants), each seed."
    return Measured(tuple(rows), tuple(mistakes), (note,))
