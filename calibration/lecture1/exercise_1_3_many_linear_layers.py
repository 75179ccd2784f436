"""Exercise 1.3: correct and wrong ways to collapse a chain of Dense layers into one.

Each seed is a random chain built with the notebook's own `random_linear_chain` (1 to 7 layers,
widths 1 to 10; every fourth one square), collapsed by the reference and two other correct
methods; each quantity a test compares with a tolerance is measured per method, and the typical
mistakes on the quantity that catches them. About a minute on 2 shared cores (no training).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from coursekit.calibration.specs import CalibrationRun  # noqa: E402
from coursekit.calibration.tolerances import run_quietly  # noqa: E402
from coursekit.calibration.types import Measured  # noqa: E402

DEFAULT_SEEDS = 40  # random chains
SETUP_CELLS = ("setup_imports", "setup_chain", "define_collapse_linear_layers")
# The test each quantity's tolerance belongs to.
TESTS = {
    "KERNEL_TOL": "collapsed_kernel_is_product_of_kernels",
    "OUTPUT_TOL": "collapsed_layer_reproduces_chain",
    "MAXDIFF_TOL": "max_difference_is_largest_absolute_deviation",
}
OUTPUTS = "OUTPUT_TOL: x @ W + b vs layers one by one"
KERNEL = "KERNEL_TOL: W vs product of kernels"


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


# Each mistake with the quantity that catches it: bias mistakes keep the right W.
WRONG = {
    "biases ignored": (biases_ignored, OUTPUTS),
    "last bias only": (last_bias_only, OUTPUTS),
    "first layer only": (first_layer_only, KERNEL),
    "kernels in reversed order": (kernels_reversed, KERNEL),
    "kernel transposed": (kernel_transposed, KERNEL),
}
# With one layer, these mistakes happen to be the right answer.
RIGHT_FOR_ONE_LAYER = {last_bias_only, first_layer_only, kernels_reversed}


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


def quantities(model, x: np.ndarray, refs: dict, collapse: Callable) -> dict[str, float] | None:
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
        KERNEL: relative(W, kernel),
        "KERNEL_TOL: output differences vs x @ W": gap / max(1.0, float(np.max(np.abs(predicted)))),
        "OUTPUT_TOL: x @ W + b vs model.predict": relative(x @ W + b, predicted),
        OUTPUTS: relative(x @ W + b, layered),
    }


def max_difference_error(model, x: np.ndarray, predicted: np.ndarray) -> float:
    """max_difference computed in float32 against float64, relative, for a layer with b off by 4."""
    W, b = (np.asarray(part, dtype=float) for part in float32_reduce(model))
    expected = float(np.max(np.abs(predicted - (x @ W + b + 4.0))))
    x32, W32, b32, p32 = (a.astype(np.float32) for a in (x, W, b + 4.0, predicted))
    found = float(np.max(np.abs(p32 - (x32 @ W32 + b32))))
    return abs(found - expected) / max(1.0, expected)


def measure(run: CalibrationRun) -> Measured:
    """Collapse `run.seeds` random chains with the correct methods and the typical mistakes."""
    namespace = notebook_namespace(run.sources)
    correct = {
        "reference (float64 loop)": namespace["collapse_linear_layers"],
        "functools.reduce in float32": float32_reduce,
        "probe: f(I) - f(0) via predict": probe_predict,
    }
    good: dict[tuple[str, str], list[float]] = {}
    bad: dict[str, list[tuple[float, tuple[int, ...]]]] = {}
    maxdiff_errors = []
    depths = []
    for seed in range(run.seeds):
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
            for quantity, value in quantities(model, x, refs, collapse).items():
                good.setdefault((quantity, method), []).append(value)
        for method, (collapse, quantity) in WRONG.items():
            if depth == 1 and collapse in RIGHT_FOR_ONE_LAYER:
                continue
            measured = quantities(model, x, refs, collapse)
            if measured is not None:  # None: the mistake's shapes do not even fit this chain
                bad.setdefault(method, []).append((measured[quantity], widths))
        maxdiff_errors.append(max_difference_error(model, x, refs["predicted"]))
    mistakes = [
        run.mistake(
            method,
            TESTS[WRONG[method][1].split(":")[0]],
            WRONG[method][1].split(":")[0],
            WRONG[method][1].split(": ")[1],
            [value for value, _ in found],
            closest_case=f"widths {min(found)[1]}",
        )
        for method, found in bad.items()
    ]
    rows = []
    for (quantity, method), values in good.items():
        name = quantity.split(":")[0]
        wrong = {m: [value for value, _ in bad[m]] for m in bad if WRONG[m][1] == quantity}
        label = f"{quantity.split(': ')[1]} ({method})"
        rows.append(run.row(TESTS[name], name, label, values, wrong))
    rows.append(
        run.row(
            TESTS["MAXDIFF_TOL"],
            "MAXDIFF_TOL",
            "max_difference in float32 vs float64, relative",
            maxdiff_errors,
        )
    )
    note = f"{run.seeds} random chains, {min(depths)} to {max(depths)} layers, widths 1 to 10."
    return Measured(tuple(rows), tuple(mistakes), (note,))
