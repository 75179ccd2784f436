"""Calibrate the tolerances of exercise 1.2's hidden tests on the reference solution.

Runs the instructor's own solution cells over many random seeds and prints, for every
tolerance-based hidden test, the distribution of the checked quantity, the tolerance and the
margin between them; and, for typical wrong answers, how far outside the tolerance they land.

    .venv/bin/python benchmarks/calibrate_exercise_1_2.py --seeds 30

Slow by design (one Keras fit is about 1.5 s): 30 seeds take about 8 minutes on 2 cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # the reference cells plot; nothing needs to be shown here

import numpy as np  # noqa: E402

from coursekit.calibration.tolerances import (  # noqa: E402
    calibration_row,
    cell_sources,
    describe,
    read_notebook,
    run_quietly,
    script_arguments,
    tolerances,
    with_seed,
    without_asserts,
)
from coursekit.calibration.types import ToleranceCalibration  # noqa: E402

NOTEBOOK_ID = "exercise_1_2_linear_regression"
NOTEBOOK = Path(__file__).resolve().parent.parent / "source" / "lecture1" / f"{NOTEBOOK_ID}.ipynb"
DEFAULT_SEEDS = 30
WRONG_SEEDS = 5
FIGURES = ".4f"  # the number format of the committed report
DIMENSIONS = (1, 2, 10)
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


@dataclass(frozen=True)
class Measurements:
    """The checked quantities of the reference runs and of the wrong answers to Task 7."""

    tols: dict[str, float]
    main: dict[str, list[float]]
    per_dim: dict[int, list[float]]
    wrong: dict[str, dict[int, list[float]]]
    seconds: float


def measure_all(seeds: int, wrong_seeds: int = WRONG_SEEDS) -> Measurements:
    """The reference over `seeds` seeds (main model and fit_linear_model), the mistakes over
    `wrong_seeds`."""
    nb = read_notebook(NOTEBOOK)
    cells = cell_sources(nb)
    start = time.perf_counter()
    main: dict[str, list[float]] = {name: [] for name in MAIN_CHECKS}
    for seed in range(seeds):
        for name, value in main_model_quantities(cells, seed).items():
            main[name].append(value)
    per_dim: dict[int, list[float]] = {dim: [] for dim in DIMENSIONS}
    for seed in range(seeds):
        for dim, value in hidden_fit_deviations(cells, seed).items():
            per_dim[dim].append(value)
    keras = fresh_namespace(cells, 0)["keras"]
    wrong: dict[str, dict[int, list[float]]] = {}
    for name, fit in wrong_fits(keras).items():
        wrong[name] = {dim: [] for dim in DIMENSIONS}
        for seed in range(wrong_seeds):
            for dim, value in hidden_fit_deviations(cells, seed, fit).items():
                wrong[name][dim].append(value)
    return Measurements(tolerances(nb), main, per_dim, wrong, time.perf_counter() - start)


def calibration_rows(m: Measurements) -> list[ToleranceCalibration]:
    """One row per tolerance of the main model, one per dimension for fit_linear_model."""
    rows = [
        calibration_row(NOTEBOOK_ID, test, name, m.tols[name], quantity, m.main[name])
        for name, (test, quantity, _) in MAIN_CHECKS.items()
    ]
    rows += [
        calibration_row(
            NOTEBOOK_ID,
            "fit_linear_model_any_dimension",
            "FIT_PARAM_TOL",
            m.tols["FIT_PARAM_TOL"],
            f"fit_linear_model, n={dim}: max abs(theta - lstsq)",
            values,
            {name: per_dim[dim] for name, per_dim in m.wrong.items()},
        )
        for dim, values in m.per_dim.items()
    ]
    return rows


def calibrate(seeds: int = DEFAULT_SEEDS) -> list[ToleranceCalibration]:
    """The calibration rows of exercise 1.2 over `seeds` seeds."""
    return calibration_rows(measure_all(seeds, min(seeds, WRONG_SEEDS)))


def main() -> None:
    args = script_arguments(__doc__, DEFAULT_SEEDS, WRONG_SEEDS)
    m = measure_all(args.seeds, args.wrong_seeds)
    print(f"# Calibration of exercise 1.2 ({args.seeds} seeds, {m.seconds:.0f} s)")
    print()
    print("| test | quantity | reference runs | tolerance | margin (tol / worst) |")
    print("|---|---|---|---|---|")
    for row in calibration_rows(m):
        runs = f"median {row.median:.2e}  p95 {row.p95:.2e}  max {row.worst:.2e}"
        print(f"| {row.grade_id} | {row.quantity} | {runs} | {row.value:g} | {row.margin:.1f}x |")
    print()
    print(
        "| wrong answer to Task 7 | deviation over n=1,2,10 | caught (deviation > FIT_PARAM_TOL) |"
    )
    print("|---|---|---|")
    for name, per_dim in m.wrong.items():
        values = [value for dim_values in per_dim.values() for value in dim_values]
        caught = sum(value > m.tols["FIT_PARAM_TOL"] for value in values)
        print(f"| {name} | {describe(values, FIGURES)} | {caught}/{len(values)} |")


if __name__ == "__main__":
    main()
