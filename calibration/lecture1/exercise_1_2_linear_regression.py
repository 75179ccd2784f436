"""Exercise 1.2: the reference Keras model and fit_linear_model over many data seeds.

The instructor's solution cells run on each seed's data with the tests in between (asserts
dropped): each test leaves the quantity it compares with its tolerance in the namespace. Then
fit_linear_model on the hidden test's data in 1, 2 and 10 dimensions, and typical wrong answers
to Task 7 (WRONG_SEEDS runs each). Slow by design (one Keras fit is about 1.5 s): 30 seeds take
about 8 minutes on 2 cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # the reference cells plot; nothing needs to be shown here

import numpy as np  # noqa: E402

from coursekit.calibration.specs import CalibrationRun  # noqa: E402
from coursekit.calibration.tolerances import run_quietly, with_seed, without_asserts  # noqa: E402
from coursekit.calibration.types import Measured  # noqa: E402

DEFAULT_SEEDS = 30
WRONG_SEEDS = 5
DIMENSIONS = (1, 2, 10)
FIT_TEST = "fit_linear_model_any_dimension"
# The main model's path through the notebook: each test cell (run without its asserts) leaves
# the quantity it compares with its tolerance in the namespace.
MAIN_PATH = (
    "build_model",
    "model_has_one_node",
    "plot_untrained",
    "compile_model",
    "model_compiled_with_mse_and_sgd",
    "train_model",
    "fit_close_to_least_squares",
    "inspect_weights",
    "fitted_weights_read_from_model",
)
# tolerance -> (its test, what it compares, the quantity read from the test's namespace)
MAIN_CHECKS: dict[str, tuple[str, str, Callable[[dict], float]]] = {
    "LINEARITY_TOL": (
        "model_has_one_node",
        "main model: max abs(output - affine fit) on 256 probes",
        lambda ns: ns["worst"],
    ),
    "LOSS_RTOL": (
        "model_compiled_with_mse_and_sgd",
        "main model: abs(evaluate - NumPy MSE) / MSE",
        lambda ns: abs(ns["evaluated"] - ns["mse"]) / ns["mse"],
    ),
    "PARAM_TOL": (
        "fit_close_to_least_squares",
        "main model, n=1: max abs(theta - lstsq)",
        lambda ns: ns["deviation"],
    ),
    "READBACK_TOL": (
        "fitted_weights_read_from_model",
        "fitted_slopes/offset vs the model's f(e_i) - f(0), f(0)",
        lambda ns: max(
            float(np.max(np.abs(np.ravel(ns["fitted_slopes"]) - ns["model_slopes"]))),
            abs(float(np.ravel(ns["fitted_offset"])[0]) - ns["model_offset"]),
        ),
    ),
}


def fresh_namespace(cells: dict[str, str], seed: int) -> dict:
    """A namespace after the setup cells of the notebook, with the data drawn from `seed`."""
    namespace: dict = {}
    run_quietly(cells["setup_imports"], namespace)
    run_quietly(with_seed(cells["setup_data"], seed), namespace)
    return namespace


def least_squares_deviation(model, x: np.ndarray, y: np.ndarray) -> float:
    """Largest |parameter - least-squares parameter|, as the hidden tests compute it."""
    design = np.hstack([x, np.ones((len(x), 1))])
    reference = np.linalg.lstsq(design, y, rcond=None)[0].ravel()
    fitted = np.linalg.lstsq(design, model.predict(x, verbose=0), rcond=None)[0].ravel()
    return float(np.max(np.abs(fitted - reference)))


def main_model_quantities(cells: dict[str, str], seed: int) -> dict[str, float]:
    """Run the reference Tasks 2-6 with the tests in between (asserts dropped): their quantities."""
    namespace = fresh_namespace(cells, seed)
    found = {}
    for grade_id in MAIN_PATH:
        is_test = any(test == grade_id for test, _, _ in MAIN_CHECKS.values())
        run_quietly(without_asserts(cells[grade_id]) if is_test else cells[grade_id], namespace)
        for name, (test, _, read) in MAIN_CHECKS.items():
            if test == grade_id:
                found[name] = float(read(namespace))
    namespace["plt"].close("all")  # 11 figures a run; 40 runs would hold hundreds open
    return found


def hidden_fit_deviations(
    cells: dict[str, str], seed: int, fit: Callable | None = None
) -> dict[int, float]:
    """Deviation of fit_linear_model (or `fit`) on the hidden test's data, per dimension."""
    namespace = fresh_namespace(cells, seed)
    run_quietly(cells["define_fit_linear_model"], namespace)
    fit = fit or namespace["fit_linear_model"]
    keras, make_data = namespace["keras"], namespace["make_data"]
    deviations = {}
    for dim in DIMENSIONS:
        x, y, _, _ = make_data(1000, dim, 0.1, np.random.default_rng(seed * 100 + dim))
        keras.utils.set_random_seed(seed)
        deviations[dim] = least_squares_deviation(fit(x, y), x, y)
    return deviations


def wrong_fits(keras) -> dict[str, Callable]:
    """Typical wrong answers to Task 7 that only the closeness test can catch."""

    def build(x, units=1):
        model = keras.Sequential([keras.Input(shape=(x.shape[1],)), keras.layers.Dense(units)])
        return model

    def untrained(x, y):
        model = build(x)
        model.compile(loss="mse", optimizer="sgd")
        return model

    def two_epochs(x, y):
        model = untrained(x, y)
        model.fit(x, y, epochs=2, verbose=0)
        return model

    def shuffled_targets(x, y):
        model = untrained(x, y)
        model.fit(x, np.random.default_rng(0).permutation(y), epochs=20, verbose=0)
        return model

    return {
        "untrained": untrained,
        "2 epochs": two_epochs,
        "trained on shuffled y": shuffled_targets,
    }


def measure(run: CalibrationRun) -> Measured:
    """The reference over `run.seeds` seeds (main model and fit_linear_model), the mistakes
    over `run.wrong_seeds`."""
    cells = run.sources
    main: dict[str, list[float]] = {name: [] for name in MAIN_CHECKS}
    for seed in range(run.seeds):
        for name, value in main_model_quantities(cells, seed).items():
            main[name].append(value)
    per_dim: dict[int, list[float]] = {dim: [] for dim in DIMENSIONS}
    for seed in range(run.seeds):
        for dim, value in hidden_fit_deviations(cells, seed).items():
            per_dim[dim].append(value)
    keras = fresh_namespace(cells, 0)["keras"]
    wrong: dict[str, dict[int, list[float]]] = {}
    for name, fit in wrong_fits(keras).items():
        wrong[name] = {dim: [] for dim in DIMENSIONS}
        for seed in range(run.wrong_seeds):
            for dim, value in hidden_fit_deviations(cells, seed, fit).items():
                wrong[name][dim].append(value)
    rows = [
        run.row(test, name, quantity, main[name])
        for name, (test, quantity, _) in MAIN_CHECKS.items()
    ]
    rows += [
        run.row(
            FIT_TEST,
            "FIT_PARAM_TOL",
            f"fit_linear_model, n={dim}: max abs(theta - lstsq)",
            values,
            {name: per_dim[dim] for name, per_dim in wrong.items()},
        )
        for dim, values in per_dim.items()
    ]
    mistakes = [
        run.mistake(
            name,
            FIT_TEST,
            "FIT_PARAM_TOL",
            "fit_linear_model, n=1, 2, 10: max abs(theta - lstsq)",
            [value for dim_values in per_dim.values() for value in dim_values],
        )
        for name, per_dim in wrong.items()
    ]
    return Measured(tuple(rows), tuple(mistakes))
