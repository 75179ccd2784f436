"""Exercise 1.1: the reference predict, loss, gradient and train over many data seeds.

The instructor's solution cells run on each seed's data, in the Playground's stored batch order
and in SHUFFLES shuffled orders (a correct alternative); typical wrong answers (one step per
epoch, a wrong rate, the wrong inputs) on the same quantities. Pure NumPy: 40 seeds take about
50 s of CPU time.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")  # the setup cell imports pyplot; nothing is shown here

import numpy as np  # noqa: E402

from coursekit.calibration.specs import CalibrationRun  # noqa: E402
from coursekit.calibration.tolerances import describe, run_quietly, with_seed  # noqa: E402
from coursekit.calibration.types import Measured  # noqa: E402

DEFAULT_SEEDS = 40
FUNCTION_CELLS = ("define_predict", "define_half_mse_loss", "define_gradient", "define_train")
SHUFFLES = 2  # shuffled-order runs per seed and quantity
# (test, what it compares, key of the measured quantity, its tolerance)
ROWS = [
    ("predict_matches_linear_model", "abs. error vs loop", "predict", "PREDICT_TOL"),
    ("loss_is_half_mean_squared_error", "rel. error vs loop", "loss", "LOSS_RTOL"),
    ("gradient_matches_finite_differences", "error / (1 + |grad|)", "gradient", "GRAD_TOL"),
    ("train_takes_one_step_per_minibatch", "max abs(w, b - reference steps)", "steps", "STEP_TOL"),
    ("train_converges_to_least_squares", "max abs(theta - lstsq)", "fresh fit", "PARAM_TOL"),
    (
        "final_training_loss_matches_reference_training",
        "rel. diff. shuffled vs stored order",
        "final loss",
        "FINAL_LOSS_RTOL",
    ),
    ("losses_for_each_input_choice", "loss / lstsq loss - 1", "inputs", "INPUT_LOSS_RTOL"),
    (
        "losses_for_each_learning_rate",
        "rel. diff., rates with rate * curvature <= 1",
        "rates",
        "RATE_LOSS_RTOL",
    ),
]
# Wrong answers are named "<quantity key>: what they do"; these quantities are one-sided.
ONE_SIDED = ("fresh fit", "final loss", "rates")

Trainer = Callable[..., tuple]


def notebook_namespace(cells: dict[str, str], seed: int) -> dict:
    """The setup cells (data drawn from `seed`) and the reference functions, executed."""
    namespace: dict = {}
    setup = with_seed(cells["setup_data"], seed)
    for source in (cells["setup_imports"], setup, *(cells[gid] for gid in FUNCTION_CELLS)):
        run_quietly(source, namespace)
    return namespace


def shuffled_trainer(namespace: dict, seed: int) -> Trainer:
    """A correct alternative to the reference `train`: a fresh batch order every epoch."""
    gradient, predict, loss = (namespace[name] for name in ("gradient", "predict", "half_mse_loss"))
    order_rng = np.random.default_rng(seed)

    def train(x, y, w, b, learning_rate, epochs, batch_size=10):
        w = np.array(w, dtype=float)
        losses = []
        for _ in range(epochs):
            for batch in order_rng.permutation(len(x)).reshape(-1, batch_size):
                grad_w, grad_b = gradient(w, b, x[batch], y[batch])
                w, b = w - learning_rate * grad_w, b - learning_rate * grad_b
            losses.append(loss(predict(w, b, x), y))
        return w, b, losses

    return train


def full_batch_trainer(namespace: dict) -> Trainer:
    """A typical mistake: one gradient step per epoch on all points."""
    gradient, predict, loss = (namespace[name] for name in ("gradient", "predict", "half_mse_loss"))

    def train(x, y, w, b, learning_rate, epochs, batch_size=10):
        w = np.array(w, dtype=float)
        losses = []
        for _ in range(epochs):
            grad_w, grad_b = gradient(w, b, x, y)
            w, b = w - learning_rate * grad_w, b - learning_rate * grad_b
            losses.append(loss(predict(w, b, x), y))
        return w, b, losses

    return train


def trainers(namespace: dict, seed: int) -> dict[str, Trainer]:
    """The reference train (stored order) and SHUFFLES shuffled-order alternatives."""
    found = {"stored order": namespace["train"]}
    for k in range(SHUFFLES):
        found[f"shuffled {k}"] = shuffled_trainer(namespace, 1000 * seed + k)
    return found


def reference_final_loss(namespace: dict, x, y, w, b, rate: float) -> float:
    """The hidden tests' reference run: mini-batches in the stored order, written independently."""
    epochs, batch_size = namespace["EPOCHS"], namespace["BATCH_SIZE"]
    w = np.array(w, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            for start in range(0, len(x), batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                residual = xb @ w + b - yb
                w = w - rate * xb.T @ residual / len(residual)
                b = b - rate * residual.mean()
        return float(0.5 * np.mean((x @ w + b - y) ** 2))


def lowest_loss(x, y) -> float:
    """Half the mean squared error of the least-squares fit."""
    design = np.hstack([x, np.ones((len(x), 1))])
    theta = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(0.5 * np.mean((design @ theta - y) ** 2))


def gradient_error(namespace: dict, seed: int) -> float:
    """The gradient test's quantity on a fresh probe: |analytic - central difference| / scale."""
    rng = np.random.default_rng(seed)
    n_inputs, n_points = int(rng.integers(1, 5)), int(rng.integers(1, 31))
    x = rng.uniform(-6, 6, size=(n_points, n_inputs))
    y = rng.normal(0, 1, size=n_points)
    w, b = rng.normal(0, 1, size=n_inputs), float(rng.normal(0, 1))

    def loss(w_, b_):
        return 0.5 * np.mean((x @ w_ + b_ - y) ** 2)

    step = 1e-5
    numeric = [
        (loss(w + step * e, b) - loss(w - step * e, b)) / (2 * step) for e in np.eye(n_inputs)
    ]
    numeric.append((loss(w, b + step) - loss(w, b - step)) / (2 * step))
    grad_w, grad_b = namespace["gradient"](w, b, x, y)
    analytic = np.append(grad_w, grad_b)
    return float(np.max(np.abs(analytic - numeric)) / (1 + np.max(np.abs(numeric))))


def rounding_errors(namespace: dict, seed: int) -> tuple[float, float]:
    """predict and loss against loop-written equivalents: the float64 rounding the tests allow."""
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(0, 3, size=(40, 5)), rng.normal(0, 1, size=5), float(rng.normal())
    looped = np.array([sum(wj * xj for wj, xj in zip(w, row, strict=True)) + b for row in x])
    predict_error = float(np.max(np.abs(namespace["predict"](w, b, x) - looped)))
    a, c = rng.normal(0, 2, size=50), rng.normal(0, 2, size=50)
    summed = sum((ai - ci) ** 2 for ai, ci in zip(a, c, strict=True)) / (2 * len(a))
    loss_error = float(abs(namespace["half_mse_loss"](a, c) - summed) / summed)
    return predict_error, loss_error


def step_error(train: Trainer, seed: int) -> float:
    """train_takes_one_step_per_minibatch's quantity: |train - reference steps| on both probes."""
    rng = np.random.default_rng(seed)

    def reference_step(w, b, x, y, rate):
        residual = x @ w + b - y
        return w - rate * x.T @ residual / len(y), b - rate * residual.mean()

    x, y = rng.uniform(-2, 2, size=(16, 3)), rng.normal(0, 1, size=16)
    w0 = rng.normal(0, 1, size=3)
    expected = np.append(*reference_step(w0, 0.3, x, y, 0.05))
    w, b, _ = train(x, y, w0.copy(), 0.3, 0.05, 1, 16)
    errors = [np.max(np.abs(np.append(w, b) - expected))]
    x_copies, y_copies = np.tile(rng.uniform(-1, 1, size=(1, 3)), (40, 1)), np.full(40, 1.0)
    w_ref, b_ref = np.zeros(3), 0.0
    for _ in range(15):
        w_ref, b_ref = reference_step(w_ref, b_ref, x_copies, y_copies, 0.05)
    w, b, _ = train(x_copies, y_copies, np.zeros(3), 0.0, 0.05, 3, 8)
    errors.append(np.max(np.abs(np.append(w, b) - np.append(w_ref, b_ref))))
    return float(max(errors))


def fresh_fit_deviation(train: Trainer, epochs: int, seed: int) -> float:
    """train_converges_to_least_squares on the hidden test's kind of data, drawn from `seed`."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(500, 3))
    y = x @ np.array([0.4, -0.3, 0.2]) + 0.5 + rng.normal(0, 0.1, size=500)
    design = np.hstack([x, np.ones((500, 1))])
    expected = np.linalg.lstsq(design, y, rcond=None)[0]
    with np.errstate(over="ignore", invalid="ignore"):
        w, b, _ = train(x, y, np.zeros(3), 0.0, 0.01, epochs)
    return float(np.max(np.abs(np.append(w, b) - expected)))


def measure(run: CalibrationRun) -> Measured:
    """Run the reference (stored order) and the shuffled alternatives over `run.seeds` seeds."""
    cells = run.sources
    quantities: dict[str, list[float]] = {}
    wrong: dict[str, list[float]] = {}
    diverging_sets: dict[tuple[float, ...], int] = {}
    overshoot_ratio: list[float] = []

    def record(table: dict[str, list[float]], key: str, value: float) -> None:
        table.setdefault(key, []).append(value)

    for seed in range(run.seeds):
        ns = notebook_namespace(cells, seed)
        x, y, w0, b0 = ns["x_train"], ns["y_train"], ns["w_start"], ns["b_start"]
        epochs, choices, rates = ns["EPOCHS"], ns["INPUT_CHOICES"], ns["LEARNING_RATES"]
        record(quantities, "gradient", gradient_error(ns, seed))
        predict_error, loss_error = rounding_errors(ns, seed)
        record(quantities, "predict", predict_error)
        record(quantities, "loss", loss_error)

        runs = trainers(ns, seed)
        for train in runs.values():
            record(quantities, "steps", step_error(train, seed))
            record(quantities, "fresh fit", fresh_fit_deviation(train, epochs, seed))
        full_batch = full_batch_trainer(ns)
        record(
            wrong, "fresh fit: one step per epoch", fresh_fit_deviation(full_batch, epochs, seed)
        )

        # final_training_loss_matches_reference_training
        expected = reference_final_loss(ns, x, y, w0, b0, 0.01)
        for name, train in runs.items():
            if name != "stored order":
                found = train(x, y, w0, b0, 0.01, epochs)[2][-1]
                record(quantities, "final loss", abs(found - expected) / expected)
        found = full_batch(x, y, w0, b0, 0.01, epochs)[2][-1]
        record(wrong, "final loss: one step per epoch", abs(found - expected) / expected)
        found = ns["train"](x, y, w0, b0, 0.1, epochs)[2][-1]
        record(
            wrong, "final loss: learning rate 0.1 instead of 0.01", abs(found - expected) / expected
        )

        # losses_for_each_input_choice: excess over the least-squares loss of those inputs
        for choice, columns in choices.items():
            lowest = lowest_loss(x[:, columns], y)
            for train in runs.values():
                found = train(x[:, columns], y, w0[columns], b0, 0.01, epochs)[2][-1]
                record(quantities, "inputs", found / lowest - 1)
            if choice != "X1 and X2":
                found = ns["train"](x, y, w0, b0, 0.01, epochs)[2][-1]
                record(wrong, "inputs: both inputs used for a one-input choice", found / lowest - 1)

        # losses_for_each_learning_rate and diverging_learning_rates_identified
        design = np.hstack([x, np.ones((len(x), 1))])
        curvature = float(np.linalg.eigvalsh(design.T @ design / len(design)).max())
        loss_start = float(0.5 * np.mean((x @ w0 + b0 - y) ** 2))
        lowest = lowest_loss(x, y)
        diverged = []
        for rate in rates:
            expected = reference_final_loss(ns, x, y, w0, b0, rate)
            reference_diverges = not np.isfinite(expected) or expected > loss_start
            if reference_diverges:
                diverged.append(rate)
            for train in runs.values():
                with np.errstate(over="ignore", invalid="ignore"):
                    found = float(train(x, y, w0, b0, rate, epochs)[2][-1])
                if reference_diverges != (not np.isfinite(found) or found > loss_start):
                    record(quantities, "divergence disagreements", 1.0)
                if reference_diverges:
                    continue
                if rate * curvature <= 1:
                    record(quantities, "rates", abs(found - expected) / expected)
                else:
                    overshoot_ratio.append(found / lowest)
            if rate == min(rates):
                found = ns["train"](x, y, w0, b0, 0.01, epochs)[2][-1]
                record(
                    wrong, f"rates: 0.01 used instead of {rate:g}", abs(found - expected) / expected
                )
        diverging_sets[tuple(diverged)] = diverging_sets.get(tuple(diverged), 0) + 1

    rows = [
        run.row(
            test,
            tol_name,
            quantity,
            quantities[key],
            {
                name: values
                for name, values in wrong.items()
                if name.split(":")[0] == key and key in ONE_SIDED
            },
        )
        for test, quantity, key, tol_name in ROWS
    ]
    by_key = {key: (test, quantity, tol_name) for test, quantity, key, tol_name in ROWS}
    mistakes = []
    for name, values in wrong.items():
        test, quantity, tol_name = by_key[name.split(":")[0]]
        limit = run.tolerances[tol_name]
        if name.startswith("inputs"):  # below the lowest loss is as wrong as above it
            caught = sum(value < 0 or value > limit for value in values)
        else:
            caught = sum(abs(value) > limit for value in values)
        mistakes.append(run.mistake(name, test, tol_name, quantity, values, caught))
    disagreements = len(quantities.get("divergence disagreements", []))
    overshoot = describe(overshoot_ratio, ".3g") if overshoot_ratio else "(no such run)"
    notes = (
        f"Each data seed: the stored order and {SHUFFLES} shuffled orders.",
        "Learning rate 0.1 (rate * curvature ≈ 1.2, steps overshoot): final loss / lowest loss "
        f"{overshoot}; checked to lie between lowest and start loss.",
        "Diverging rates per data seed (reference run): "
        + ", ".join(f"{set(k)}: {n} seeds" for k, n in diverging_sets.items())
        + f"; runs in another order that disagree with the reference: {disagreements}.",
    )
    return Measured(tuple(rows), tuple(mistakes), notes)
