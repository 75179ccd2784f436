"""Calibrate the tolerances of exercise 1.3's tests on correct and wrong ways to collapse a chain.

Builds random chains of Dense layers with the notebook's own `random_linear_chain` (1 to 7
layers, widths 1 to 10), collapses each with the reference solution and two other correct
methods, and prints the worst value of every quantity a test compares with a tolerance, the
tolerance and the margin; then how far typical wrong answers land from it.

    .venv/bin/python benchmarks/calibrate_exercise_1_3_many_linear_layers.py --chains 40

About a minute on 2 shared cores (no training: two predicts per chain).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from coursekit.calibration.tolerances import (  # noqa: E402
    calibration_row,
    cell_sources,
    read_notebook,
    run_quietly,
    script_arguments,
    tolerances,
)
from coursekit.calibration.types import ToleranceCalibration  # noqa: E402

NOTEBOOK_ID = "exercise_1_3_many_linear_layers"
NOTEBOOK = Path(__file__).resolve().parent.parent / "source" / "lecture1" / f"{NOTEBOOK_ID}.ipynb"
DEFAULT_SEEDS = 40  # random chains
SETUP_CELLS = ("setup_imports", "setup_chain", "define_collapse_linear_layers")
# The test each quantity's tolerance belongs to.
TESTS = {
    "KERNEL_TOL": "collapsed_kernel_is_product_of_kernels",
    "OUTPUT_TOL": "collapsed_layer_reproduces_chain",
    "MAXDIFF_TOL": "max_difference_is_largest_absolute_deviation",
}


def notebook_namespace(sources: dict[str, str]) -> dict:
    """The namespace after the setup cells and the reference answer of Task 1."""
    namespace: dict = {}
    for grade_id in SETUP_CELLS:
        run_quietly(sources[grade_id], namespace)
    return namespace


def pairs(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (kernel, bias) of every layer, float32 as Keras stores them."""
    return [tuple(layer.get_weights()) for layer in model.layers]


def float32_reduce(model):
    """Correct, all in float32: fold the layers into one with functools.reduce."""

    def append(collapsed, layer):
        (W, b), (kernel, bias) = collapsed, layer
        return W @ kernel, b @ kernel + bias

    return functools.reduce(append, pairs(model))


def probe_predict(model):
    """Correct, through the model: b = f(0), W = f(I) - f(0), everything float32."""
    n_in = pairs(model)[0][0].shape[0]
    responses = model.predict(np.vstack([np.zeros((1, n_in)), np.eye(n_in)]), verbose=0)
    return responses[1:] - responses[0], responses[0]


def biases_ignored(model):
    W = functools.reduce(np.matmul, [kernel for kernel, _ in pairs(model)])
    return W, np.zeros(W.shape[1])


def last_bias_only(model):
    W = functools.reduce(np.matmul, [kernel for kernel, _ in pairs(model)])
    return W, pairs(model)[-1][1]


def first_layer_only(model):
    return pairs(model)[0]


def kernel_transposed(model):
    """The math convention's W (n_out, n_in) handed back as the kernel: wrong unless symmetric."""
    W = functools.reduce(np.matmul, [kernel for kernel, _ in pairs(model)])
    b = np.zeros(W.shape[1])
    for kernel, bias in pairs(model):
        b = b @ kernel + bias
    return W.T, b


def kernels_reversed(model):
    """Only defined for square chains: other shapes do not even multiply."""
    kernels = [kernel for kernel, _ in pairs(model)]
    W = functools.reduce(np.matmul, kernels[::-1])
    b = np.zeros(W.shape[1])
    for kernel, bias in pairs(model):
        b = b @ kernel + bias
    return W, b


def relative(found: np.ndarray, reference: np.ndarray) -> float:
    """Largest absolute difference over the reference's scale (at least 1), as the tests do."""
    return float(np.max(np.abs(found - reference))) / max(1.0, float(np.max(np.abs(reference))))


def references(model, weights, x: np.ndarray) -> dict[str, np.ndarray]:
    """What the tests compare with: the float64 product of kernels, the layers applied one by
    one in float64, and Keras's own predictions."""
    kernel = np.eye(x.shape[1])
    layered = x
    for k, c in weights:
        kernel = kernel @ k.astype(float)
        layered = layered @ k.astype(float) + c.astype(float)
    predicted = model.predict(x, verbose=0).astype(float)
    return {"kernel": kernel, "layered": layered, "predicted": predicted}


def measure(model, x: np.ndarray, refs: dict, collapse: Callable) -> dict[str, float] | None:
    """The quantities the tests compare with tolerances, for one chain and one method."""
    try:
        W, b = (np.asarray(part, dtype=float) for part in collapse(model))
    except ValueError:  # a wrong answer that does not even run on this chain's shapes
        return None
    kernel, layered, predicted = refs["kernel"], refs["layered"], refs["predicted"]
    if W.shape != kernel.shape:
        return None
    gap = float(np.max(np.abs(np.diff(predicted, axis=0) - np.diff(x, axis=0) @ W)))
    return {
        "KERNEL_TOL: W vs product of kernels": relative(W, kernel),
        "KERNEL_TOL: output differences vs x @ W": gap / max(1.0, float(np.max(np.abs(predicted)))),
        "OUTPUT_TOL: x @ W + b vs model.predict": relative(x @ W + b, predicted),
        "OUTPUT_TOL: x @ W + b vs layers one by one": relative(x @ W + b, layered),
    }


def max_difference_error(model, x: np.ndarray, predicted: np.ndarray) -> float:
    """max_difference computed in float32 against float64, relative, for a layer with b off by 4."""
    W, b = (np.asarray(part, dtype=float) for part in float32_reduce(model))
    expected = float(np.max(np.abs(predicted - (x @ W + b + 4.0))))
    x32, W32, b32, p32 = (a.astype(np.float32) for a in (x, W, b + 4.0, predicted))
    found = float(np.max(np.abs(p32 - (x32 @ W32 + b32))))
    return abs(found - expected) / max(1.0, expected)


def margin(tol: float, worst: float) -> str:
    """tol / worst, or 'exact' when the method matched the reference bit for bit."""
    return f"{tol / worst:.0f}x" if worst > 0 else "exact"


@dataclass(frozen=True)
class Measurements:
    """Each quantity per correct method, each mistake's values with the chain's widths."""

    tols: dict[str, float]
    good: dict[tuple[str, str], list[float]]
    bad: dict[str, list[tuple[float, tuple[int, ...]]]]
    wrong_quantity: dict[str, str]
    maxdiff_errors: list[float]
    depths: list[int]
    seconds: float


def measure_all(chains: int) -> Measurements:
    """Collapse `chains` random chains with the correct methods and the typical mistakes."""
    nb = read_notebook(NOTEBOOK)
    namespace = notebook_namespace(cell_sources(nb))
    tols = tolerances(nb)
    correct = {
        "reference (float64 loop)": namespace["collapse_linear_layers"],
        "functools.reduce in float32": float32_reduce,
        "probe: f(I) - f(0) via predict": probe_predict,
    }
    # Each mistake with the quantity that catches it: bias mistakes keep the right W.
    outputs, kernel = (
        "OUTPUT_TOL: x @ W + b vs layers one by one",
        "KERNEL_TOL: W vs product of kernels",
    )
    wrong = {
        "biases ignored": (biases_ignored, outputs),
        "last bias only": (last_bias_only, outputs),
        "first layer only": (first_layer_only, kernel),
        "kernels in reversed order": (kernels_reversed, kernel),
        "kernel transposed": (kernel_transposed, kernel),
    }
    # With one layer, these mistakes happen to be the right answer.
    right_for_one_layer = {last_bias_only, first_layer_only, kernels_reversed}
    start = time.perf_counter()
    good: dict[tuple[str, str], list[float]] = {}
    bad: dict[str, list[tuple[float, tuple[int, ...]]]] = {}
    maxdiff_errors = []
    depths = []
    for seed in range(chains):
        rng = np.random.default_rng(1000 + seed)
        depth = int(rng.integers(1, 8))
        widths = tuple(int(w) for w in rng.integers(1, 11, size=depth + 1))
        if seed % 4 == 0:  # square chains, where a reversed or transposed W keeps its shape
            widths = (int(rng.integers(2, 11)),) * (depth + 1)
        depths.append(depth)
        model, weights = namespace["random_linear_chain"](widths, rng)
        x = rng.normal(0, 2, size=(32, widths[0]))
        refs = references(model, weights, x)
        for method, collapse in correct.items():
            for quantity, value in measure(model, x, refs, collapse).items():
                good.setdefault((quantity, method), []).append(value)
        for method, (collapse, quantity) in wrong.items():
            if depth == 1 and collapse in right_for_one_layer:
                continue
            measured = measure(model, x, refs, collapse)
            if measured is not None:  # None: the mistake's shapes do not even fit this chain
                bad.setdefault(method, []).append((measured[quantity], widths))
        maxdiff_errors.append(max_difference_error(model, x, refs["predicted"]))
    wrong_quantity = {method: quantity for method, (_, quantity) in wrong.items()}
    seconds = time.perf_counter() - start
    return Measurements(tols, good, bad, wrong_quantity, maxdiff_errors, depths, seconds)


def calibration_rows(m: Measurements) -> list[ToleranceCalibration]:
    """One row per quantity and correct method; the mistakes with the quantity that catches them."""
    rows = []
    for (quantity, method), values in m.good.items():
        name = quantity.split(":")[0]
        wrong = {
            mistake: [value for value, _ in found]
            for mistake, found in m.bad.items()
            if m.wrong_quantity[mistake] == quantity
        }
        label = f"{quantity.split(': ')[1]} ({method})"
        rows.append(
            calibration_row(NOTEBOOK_ID, TESTS[name], name, m.tols[name], label, values, wrong)
        )
    rows.append(
        calibration_row(
            NOTEBOOK_ID,
            TESTS["MAXDIFF_TOL"],
            "MAXDIFF_TOL",
            m.tols["MAXDIFF_TOL"],
            "max_difference in float32 vs float64, relative",
            m.maxdiff_errors,
        )
    )
    return rows


def calibrate(seeds: int = DEFAULT_SEEDS) -> list[ToleranceCalibration]:
    """The calibration rows of exercise 1.3 over `seeds` random chains."""
    return calibration_rows(measure_all(seeds))


def main() -> None:
    args = script_arguments(__doc__, DEFAULT_SEEDS, seeds_alias="--chains")
    m = measure_all(args.seeds)
    tols, good, bad, depths = m.tols, m.good, m.bad, m.depths

    print(
        f"# Calibration of exercise 1.3 ({args.seeds} random chains, {min(depths)} to "
        f"{max(depths)} layers, widths 1 to 10; {m.seconds:.0f} s)"
    )
    print()
    print("| quantity | correct method | worst of the chains | tolerance | margin (tol / worst) |")
    print("|---|---|---|---|---|")
    for (quantity, method), values in good.items():
        tol = tols[quantity.split(":")[0]]
        worst = max(values)
        print(f"| {quantity} | {method} | {worst:.2e} | {tol:g} | {margin(tol, worst)} |")
    worst = max(m.maxdiff_errors)
    tol = tols["MAXDIFF_TOL"]
    print(
        f"| MAXDIFF_TOL: max_difference, float32 vs float64 | x @ W + b in float32 | {worst:.2e} "
        f"| {tol:g} | {margin(tol, worst)} |"
    )
    print()
    print(
        "| wrong answer | quantity | smallest over the chains (its widths) | caught (> tolerance) |"
    )
    print("|---|---|---|---|")
    for method, found in bad.items():
        quantity = m.wrong_quantity[method]
        tol = tols[quantity.split(":")[0]]
        smallest, widths = min(found)
        caught = sum(value > tol for value, _ in found)
        print(f"| {method} | {quantity} | {smallest:.3g} {widths} | {caught}/{len(found)} |")


if __name__ == "__main__":
    main()
