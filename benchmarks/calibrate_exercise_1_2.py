"""Calibrate the tolerances of exercise 1.2's hidden tests on the reference solution.

Runs the instructor's own solution cells over many random seeds and prints, for every
tolerance-based hidden test, the distribution of the checked quantity, the tolerance and the
margin between them; and, for typical wrong answers, how far outside the tolerance they land.

    .venv/bin/python benchmarks/calibrate_exercise_1_2.py --seeds 40

Slow by design (one Keras fit is about 1.5 s): 40 seeds take about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # the reference cells plot; nothing needs to be shown here

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

from coursekit.cohort import solution_answers  # noqa: E402

NOTEBOOK = (
    Path(__file__).resolve().parent.parent
    / "source"
    / "lecture1"
    / "exercise_1_2_linear_regression.ipynb"
)
TOLERANCE_LINE = re.compile(r"^\s*([A-Z_]*TOL) = ([0-9.eE+-]+)", re.MULTILINE)


def cells_by_grade_id(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> source of every nbgrader cell (solution cells without their markers)."""
    cells = {
        cell.metadata.nbgrader.grade_id: cell.source
        for cell in nb.cells
        if "nbgrader" in cell.metadata
    }
    cells.update(solution_answers(nb))
    return cells


def tolerances(nb: nbformat.NotebookNode) -> dict[str, float]:
    """The named tolerance constants of the notebook's test cells."""
    found: dict[str, float] = {}
    for cell in nb.cells:
        for name, value in TOLERANCE_LINE.findall(cell.source):
            found[name] = float(value)
    return found


def run_cell(source: str, namespace: dict) -> None:
    """Execute one cell's code in `namespace`, keeping what it prints out of the report."""
    with contextlib.redirect_stdout(io.StringIO()):
        exec(source, namespace)


def fresh_namespace(cells: dict[str, str], seed: int) -> dict:
    """A namespace after the given cells of the notebook, with the data drawn from `seed`."""
    namespace: dict = {}
    run_cell(cells["setup_imports"], namespace)
    setup = re.sub(r"^SEED = \d+", f"SEED = {seed}", cells["setup_data"], flags=re.MULTILINE)
    run_cell(setup, namespace)
    return namespace


def least_squares_deviation(model, x: np.ndarray, y: np.ndarray) -> float:
    """Largest |parameter - least-squares parameter|, as the hidden tests compute it."""
    design = np.hstack([x, np.ones((len(x), 1))])
    reference = np.linalg.lstsq(design, y, rcond=None)[0].ravel()
    fitted = np.linalg.lstsq(design, model.predict(x, verbose=0), rcond=None)[0].ravel()
    return float(np.max(np.abs(fitted - reference)))


def main_model_deviation(cells: dict[str, str], seed: int) -> float:
    """Run the reference Tasks 2-5 and the fit test's own code; return its `deviation`."""
    namespace = fresh_namespace(cells, seed)
    for grade_id in ("build_model", "plot_untrained", "compile_model", "train_model"):
        run_cell(cells[grade_id], namespace)
    # A failing seed is exactly what calibration is here to show: keep going.
    with contextlib.suppress(AssertionError):
        run_cell(cells["fit_close_to_least_squares"], namespace)
    namespace["plt"].close("all")  # 11 figures a run; 40 runs would hold hundreds open
    return namespace["deviation"]


def hidden_fit_deviations(
    cells: dict[str, str], seed: int, fit: Callable | None = None
) -> dict[int, float]:
    """Deviation of fit_linear_model (or `fit`) on the hidden test's data, per dimension."""
    namespace = fresh_namespace(cells, seed)
    run_cell(cells["define_fit_linear_model"], namespace)
    fit = fit or namespace["fit_linear_model"]
    keras, make_data = namespace["keras"], namespace["make_data"]
    deviations = {}
    for dim in (1, 2, 10):
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


def describe(values: list[float]) -> str:
    """min / median / 95th percentile / max of a sample."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"min {ordered[0]:.4f}  median {statistics.median(ordered):.4f}  "
        f"p95 {p95:.4f}  max {ordered[-1]:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40, help="reference runs per quantity")
    parser.add_argument("--wrong-seeds", type=int, default=5, help="runs per wrong answer")
    args = parser.parse_args()

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = cells_by_grade_id(nb)
    tols = tolerances(nb)
    start = time.perf_counter()

    main_dev = [main_model_deviation(cells, seed) for seed in range(args.seeds)]
    per_dim: dict[int, list[float]] = {1: [], 2: [], 10: []}
    for seed in range(args.seeds):
        for dim, value in hidden_fit_deviations(cells, seed).items():
            per_dim[dim].append(value)

    keras = fresh_namespace(cells, 0)["keras"]
    wrong: dict[str, list[float]] = {}
    for name, fit in wrong_fits(keras).items():
        for seed in range(args.wrong_seeds):
            wrong.setdefault(name, []).extend(hidden_fit_deviations(cells, seed, fit).values())

    print(
        f"# Calibration of exercise 1.2 ({args.seeds} seeds, {time.perf_counter() - start:.0f} s)"
    )
    print()
    print("| test | quantity | reference runs | tolerance | margin (tol / worst) |")
    print("|---|---|---|---|---|")
    rows = [("fit_close_to_least_squares", "main model, n=1", main_dev, tols["PARAM_TOL"])]
    rows += [
        (
            "fit_linear_model_any_dimension",
            f"fit_linear_model, n={dim}",
            values,
            tols["FIT_PARAM_TOL"],
        )
        for dim, values in per_dim.items()
    ]
    for test, quantity, values, tol in rows:
        print(f"| {test} | {quantity} | {describe(values)} | {tol} | {tol / max(values):.1f}x |")
    print()
    print(
        "| wrong answer to Task 7 | deviation over n=1,2,10 | caught (deviation > FIT_PARAM_TOL) |"
    )
    print("|---|---|---|")
    for name, values in wrong.items():
        caught = sum(value > tols["FIT_PARAM_TOL"] for value in values)
        print(f"| {name} | {describe(values)} | {caught}/{len(values)} |")


if __name__ == "__main__":
    main()
