"""Answers to exercise 1.1 (the Playground in NumPy) that graders meet: correct ones written
another way, and mistakes.

Each variant replaces named answer cells (by grade_id) of the instructor's solution. Correct
variants must keep every auto-graded point; each wrong one must lose the points of the tests
named in `loses`. The task fixes the conventions the variants rely on: the loss is half the mean
squared error (the Playground's), so its gradient has no factor 2; `train(x, y, w, b,
learning_rate, epochs, batch_size)` returns (w, b, losses); `diverging_learning_rates` is a set,
and a list or tuple of the same rates counts as well.
"""

from __future__ import annotations

from coursekit.calibration.variants import Variant

# The data plot is for the student's eyes; no test reads it.
UNSCORED_ANSWERS = ("plot_data",)


def train_function(body: str) -> str:
    return "def train(x, y, w, b, learning_rate, epochs, batch_size=BATCH_SIZE):\n" + body


LOOPED_PREDICT = """
def predict(w, b, x):
    return np.array([sum(weight * value for weight, value in zip(w, row)) + b for row in x])
"""

SUM_OVER_N_LOSS = """
def half_mse_loss(y_pred, y):
    difference = np.asarray(y_pred) - np.asarray(y)
    return float(np.sum(difference**2) / (2 * len(difference)))
"""

LOOPED_GRADIENT = """
def gradient(w, b, x, y):
    grad_w = np.zeros(len(w))
    grad_b = 0.0
    for row, label in zip(x, y):
        error = float(np.dot(w, row) + b - label)
        grad_w += error * row
        grad_b += error
    return grad_w / len(y), grad_b / len(y)
"""

DESIGN_MATRIX_GRADIENT = """
def gradient(w, b, x, y):
    design = np.hstack([x, np.ones((len(x), 1))])
    theta_gradient = design.T @ (design @ np.append(w, b) - y) / len(y)
    return theta_gradient[:-1], theta_gradient[-1]
"""

# A seeded generator of the student's own, a fresh order every epoch, in-place steps on a copy.
SHUFFLED_TRAIN = "order_rng = np.random.default_rng(0)\n\n\n" + train_function(
    "    w = np.array(w, dtype=float)\n"
    "    losses = []\n"
    "    for _ in range(epochs):\n"
    "        order = order_rng.permutation(len(x))\n"
    "        for batch in np.array_split(order, len(x) // batch_size):\n"
    "            grad_w, grad_b = gradient(w, b, x[batch], y[batch])\n"
    "            w -= learning_rate * grad_w\n"
    "            b -= learning_rate * grad_b\n"
    "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
    "    return w, b, losses\n"
)

# The Playground's own bookkeeping: one point at a time, the update after every batch_size points.
PLAYGROUND_STYLE_TRAIN = train_function(
    "    w = w.copy()\n"
    "    sum_w, sum_b, count = np.zeros_like(w), 0.0, 0\n"
    "    losses = []\n"
    "    for _ in range(epochs):\n"
    "        for i in range(len(x)):\n"
    "            point_w, point_b = gradient(w, b, x[i : i + 1], y[i : i + 1])\n"
    "            sum_w, sum_b, count = sum_w + point_w, sum_b + point_b, count + 1\n"
    "            if (i + 1) % batch_size == 0:\n"
    "                w = w - learning_rate * sum_w / count\n"
    "                b = b - learning_rate * sum_b / count\n"
    "                sum_w, sum_b, count = np.zeros_like(w), 0.0, 0\n"
    "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
    "    return w, b, np.array(losses)\n"
)

EXPLICIT_INPUT_RUNS = """
_, _, both = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)
_, _, first = train(x_train[:, :1], y_train, w_start[:1], b_start, 0.01, EPOCHS)
_, _, second = train(x_train[:, 1:], y_train, w_start[1:], b_start, 0.01, EPOCHS)
final_loss_by_inputs = {"X1 and X2": both[-1], "only X1": first[-1], "only X2": second[-1]}
"""

RATES_WITHOUT_PLOT = """
with np.errstate(over="ignore", invalid="ignore"):
    final_loss_by_learning_rate = {
        rate: train(x_train, y_train, w_start, b_start, rate, EPOCHS)[2][-1] for rate in LEARNING_RATES
    }
"""

# Issue 15: correct answers that use more of the language: generators, classes, recursion.
# The task's loop, for mistakes made in one of its lines.
EPOCH_LOSS = "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
MINIBATCH_TRAIN = train_function(
    "    w = np.array(w, dtype=float)\n"
    "    losses = []\n"
    "    for _ in range(epochs):\n"
    "        for start in range(0, len(x), batch_size):\n"
    "            batch = slice(start, start + batch_size)\n"
    "            grad_w, grad_b = gradient(w, b, x[batch], y[batch])\n"
    "            w = w - learning_rate * grad_w\n"
    "            b = b - learning_rate * grad_b\n" + EPOCH_LOSS + "    return w, b, losses\n"
)

GENERATOR_TRAIN = """
def minibatches(n_points, batch_size):
    \"\"\"The slices of consecutive batches, the last one possibly shorter.\"\"\"
    start = 0
    while start < n_points:
        yield slice(start, start + batch_size)
        start += batch_size


""" + train_function(
    "    w = np.copy(w).astype(float)\n"
    "    losses = []\n"
    "    for _ in range(epochs):\n"
    "        for batch in minibatches(len(x), batch_size):\n"
    "            grad_w, grad_b = gradient(w, b, x[batch], y[batch])\n"
    "            w, b = w - learning_rate * grad_w, b - learning_rate * grad_b\n"
    "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
    "    return w, b, losses\n"
)

DATACLASS_TRAIN = """
from dataclasses import dataclass


@dataclass
class Perceptron:
    w: np.ndarray
    b: float

    def step(self, x, y, learning_rate):
        grad_w, grad_b = gradient(self.w, self.b, x, y)
        self.w = self.w - learning_rate * grad_w
        self.b = self.b - learning_rate * grad_b

    def loss(self, x, y):
        return half_mse_loss(predict(self.w, self.b, x), y)


""" + train_function(
    "    model = Perceptron(np.array(w, dtype=float), float(b))\n"
    "    losses = []\n"
    "    for _ in range(epochs):\n"
    "        for start in range(0, len(x), batch_size):\n"
    "            model.step(x[start : start + batch_size], y[start : start + batch_size], learning_rate)\n"
    "        losses.append(model.loss(x, y))\n"
    "    return model.w, model.b, losses\n"
)

RECURSIVE_TRAIN = train_function(
    "    if epochs == 0:\n"
    "        return np.array(w, dtype=float), b, []\n"
    "    for start in range(0, len(x), batch_size):\n"
    "        grad_w, grad_b = gradient(w, b, x[start : start + batch_size], y[start : start + batch_size])\n"
    "        w = w - learning_rate * grad_w\n"
    "        b = b - learning_rate * grad_b\n"
    "    loss = half_mse_loss(predict(w, b, x), y)\n"
    "    w, b, later = train(x, y, w, b, learning_rate, epochs - 1, batch_size)\n"
    "    return w, b, [loss] + later\n"
)

PARTIAL_RATES = """
import functools

run_at = functools.partial(train, x_train, y_train, w_start, b_start, epochs=EPOCHS)
with np.errstate(over="ignore", invalid="ignore"):
    final_loss_by_learning_rate = {rate: run_at(rate)[2][-1] for rate in LEARNING_RATES}
"""


CORRECT = [
    Variant("reference", {}, keep_unscored=True),
    Variant(
        "loops_and_sum_over_n",
        {
            "define_predict": LOOPED_PREDICT,
            "define_half_mse_loss": SUM_OVER_N_LOSS,
            "define_gradient": LOOPED_GRADIENT,
            "count_parameters": "n_parameters = len(w_start) + 1",
            "compare_inputs": EXPLICIT_INPUT_RUNS,
        },
    ),
    Variant(
        "shuffled_epochs_and_a_list_of_rates",
        {
            "define_predict": "def predict(w, b, x):\n    return np.dot(x, w) + b",
            "define_train": SHUFFLED_TRAIN,
            "train_playground_model": (
                "w_trained, b_trained, loss_history = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "final_training_loss = float(loss_history[-1])"
            ),
            "choose_best_inputs": "best_inputs = min(final_loss_by_inputs, key=final_loss_by_inputs.get)",
            "compare_learning_rates": RATES_WITHOUT_PLOT,
            "find_diverging_rates": (
                "diverging_learning_rates = sorted(\n"
                "    rate for rate, loss in final_loss_by_learning_rate.items() if not loss < 1e3\n"
                ")"
            ),
        },
    ),
    Variant(
        "playground_bookkeeping_and_design_matrix",
        {
            "define_half_mse_loss": (
                "def half_mse_loss(y_pred, y):\n"
                "    residual = y_pred - y\n"
                "    return residual @ residual / len(residual) / 2"
            ),
            "define_gradient": DESIGN_MATRIX_GRADIENT,
            "define_train": PLAYGROUND_STYLE_TRAIN,
            "count_parameters": "n_parameters = x_train.shape[1] + 1",
            "train_playground_model": (
                "w_trained, b_trained, loss_history = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "final_training_loss = half_mse_loss(predict(w_trained, b_trained, x_train), y_train)"
            ),
            "find_diverging_rates": "diverging_learning_rates = {1, 10}  # read off the Playground",
        },
    ),
    Variant(
        "einsum_norm_and_generator_batches",
        {
            "define_predict": 'def predict(w, b, x):\n    return np.einsum("ij,j->i", x, w) + b',
            "define_half_mse_loss": (
                "def half_mse_loss(y_pred, y):\n"
                "    return np.linalg.norm(y_pred - y) ** 2 / (2 * len(y))"
            ),
            "define_train": GENERATOR_TRAIN,
        },
    ),
    Variant(
        "broadcast_gradient_and_dataclass_model",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = predict(w, b, x) - y\n"
                "    return (residual[:, np.newaxis] * x).mean(axis=0), residual.mean()"
            ),
            "define_train": DATACLASS_TRAIN,
            "count_parameters": "n_parameters = w_start.size + np.size(b_start)",
        },
    ),
    Variant(
        "recursion_over_epochs_and_comprehensions",
        {
            "define_train": RECURSIVE_TRAIN,
            "compare_inputs": (
                "final_loss_by_inputs = {\n"
                "    choice: train(x_train[:, cols], y_train, w_start[cols], b_start, 0.01, EPOCHS)[2][-1]\n"
                "    for choice, cols in INPUT_CHOICES.items()\n"
                "}"
            ),
            "choose_best_inputs": (
                "best_inputs = sorted(final_loss_by_inputs.items(), key=lambda item: item[1])[0][0]"
            ),
        },
    ),
    Variant(
        "partial_training_run_and_filtered_rates",
        {
            "compare_learning_rates": PARTIAL_RATES,
            "find_diverging_rates": (
                "diverging_learning_rates = frozenset(\n"
                "    filter(lambda rate: not np.isfinite(final_loss_by_learning_rate[rate]),"
                " final_loss_by_learning_rate)\n"
                ")"
            ),
        },
    ),
    Variant(
        "einsum_gradient_and_unpacked_last_loss",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = predict(w, b, x) - y\n"
                "    grad_w = np.einsum('ij,i->j', x, residual) / len(y)\n"
                "    return grad_w, float(residual.sum() / len(y))"
            ),
            "count_parameters": "n_parameters = len([*w_start, b_start])",
            "train_playground_model": (
                "w_trained, b_trained, loss_history = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "final_training_loss, *_ = loss_history[::-1]"
            ),
        },
    ),
]

WRONG = [
    Variant(
        "predict_forgets_bias",
        {"define_predict": "def predict(w, b, x):\n    return x @ w"},
        frozenset({"predict_matches_linear_model"}),
    ),
    Variant(
        "predict_sums_over_all_points",
        {"define_predict": "def predict(w, b, x):\n    return np.sum(x * w) + b"},
        frozenset({"predict_matches_linear_model"}),
    ),
    Variant(
        "loss_without_the_half",
        {
            "define_half_mse_loss": "def half_mse_loss(y_pred, y):\n    return np.mean((y_pred - y) ** 2)"
        },
        frozenset({"loss_is_half_mean_squared_error"}),
    ),
    Variant(
        "loss_sums_instead_of_mean",
        {
            "define_half_mse_loss": (
                "def half_mse_loss(y_pred, y):\n    return 0.5 * np.sum((y_pred - y) ** 2)"
            )
        },
        frozenset({"loss_is_half_mean_squared_error"}),
    ),
    Variant(
        "gradient_of_mse_without_the_half",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = predict(w, b, x) - y\n"
                "    return 2 * x.T @ residual / len(y), 2 * np.mean(residual)"
            )
        },
        frozenset({"gradient_matches_finite_differences"}),
    ),
    Variant(
        "gradient_with_flipped_sign",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = y - predict(w, b, x)\n"
                "    return x.T @ residual / len(y), np.mean(residual)"
            )
        },
        frozenset({"gradient_matches_finite_differences", "train_converges_to_least_squares"}),
    ),
    Variant(
        "gradient_forgets_bias",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = predict(w, b, x) - y\n"
                "    return x.T @ residual / len(y), 0.0"
            )
        },
        frozenset({"gradient_matches_finite_differences", "train_converges_to_least_squares"}),
    ),
    Variant(
        "gradient_sums_without_dividing",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = predict(w, b, x) - y\n"
                "    return x.T @ residual, residual.sum()"
            )
        },
        frozenset({"gradient_matches_finite_differences"}),
    ),
    Variant(
        "full_batch_descent",
        {
            "define_train": train_function(
                "    w = np.array(w, dtype=float)\n"
                "    losses = []\n"
                "    for _ in range(epochs):\n"
                "        grad_w, grad_b = gradient(w, b, x, y)\n"
                "        w = w - learning_rate * grad_w\n"
                "        b = b - learning_rate * grad_b\n"
                "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
                "    return w, b, losses\n"
            )
        },
        frozenset(
            {
                "train_takes_one_step_per_minibatch",
                "train_converges_to_least_squares",
                "losses_for_each_learning_rate",
            }
        ),
    ),
    Variant(
        "update_with_plus_sign",
        {
            "define_train": train_function(
                "    w = np.array(w, dtype=float)\n"
                "    losses = []\n"
                "    for _ in range(epochs):\n"
                "        for start in range(0, len(x), batch_size):\n"
                "            grad_w, grad_b = gradient(w, b, x[start : start + batch_size], y[start : start + batch_size])\n"
                "            w = w + learning_rate * grad_w\n"
                "            b = b + learning_rate * grad_b\n"
                "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
                "    return w, b, losses\n"
            )
        },
        frozenset({"train_takes_one_step_per_minibatch", "train_converges_to_least_squares"}),
    ),
    Variant(
        "update_in_place_changes_the_start",
        {
            "define_train": train_function(
                "    losses = []\n"
                "    for _ in range(epochs):\n"
                "        for start in range(0, len(x), batch_size):\n"
                "            grad_w, grad_b = gradient(w, b, x[start : start + batch_size], y[start : start + batch_size])\n"
                "            w -= learning_rate * grad_w\n"
                "            b -= learning_rate * grad_b\n"
                "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
                "    return w, b, losses\n"
            )
        },
        frozenset({"train_takes_one_step_per_minibatch"}),
    ),
    Variant(
        "batches_of_ten_whatever_batch_size",
        {
            "define_train": train_function(
                "    w = np.array(w, dtype=float)\n"
                "    losses = []\n"
                "    for _ in range(epochs):\n"
                "        for start in range(0, len(x), 10):\n"
                "            grad_w, grad_b = gradient(w, b, x[start : start + 10], y[start : start + 10])\n"
                "            w = w - learning_rate * grad_w\n"
                "            b = b - learning_rate * grad_b\n"
                "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
                "    return w, b, losses\n"
            )
        },
        frozenset({"train_takes_one_step_per_minibatch"}),
    ),
    Variant(
        "bias_never_updated",
        {
            "define_train": train_function(
                "    w = np.array(w, dtype=float)\n"
                "    losses = []\n"
                "    for _ in range(epochs):\n"
                "        for start in range(0, len(x), batch_size):\n"
                "            grad_w, _ = gradient(w, b, x[start : start + batch_size], y[start : start + batch_size])\n"
                "            w = w - learning_rate * grad_w\n"
                "        losses.append(half_mse_loss(predict(w, b, x), y))\n"
                "    return w, b, losses\n"
            )
        },
        frozenset({"train_takes_one_step_per_minibatch", "train_converges_to_least_squares"}),
    ),
    Variant(
        "two_parameters",
        {"count_parameters": "n_parameters = 2"},
        frozenset({"n_parameters_counts_weights_and_bias"}),
    ),
    Variant(
        "parameters_of_the_lectures_hidden_neuron",
        {"count_parameters": "n_parameters = 5"},
        frozenset({"n_parameters_counts_weights_and_bias"}),
    ),
    Variant(
        "final_loss_typed_in_from_the_slides",
        {
            "train_playground_model": (
                "w_trained, b_trained, loss_history = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "final_training_loss = 0.008"
            )
        },
        frozenset({"final_training_loss_matches_reference_training"}),
    ),
    Variant(
        "final_loss_measured_on_test_data",
        {
            "train_playground_model": (
                "w_trained, b_trained, loss_history = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "final_training_loss = half_mse_loss(predict(w_trained, b_trained, x_test), y_test)"
            )
        },
        frozenset({"final_training_loss_matches_reference_training"}),
    ),
    Variant(
        "main_run_with_only_x1",
        {
            "train_playground_model": (
                "w_trained, b_trained, loss_history = train(x_train[:, [0]], y_train, w_start[[0]], b_start, 0.01, EPOCHS)\n"
                "final_training_loss = loss_history[-1]"
            )
        },
        frozenset({"final_training_loss_matches_reference_training"}),
    ),
    Variant(
        "inputs_never_switched_off",
        {
            "compare_inputs": (
                "final_loss_by_inputs = {}\n"
                "for choice in INPUT_CHOICES:\n"
                "    _, _, losses = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "    final_loss_by_inputs[choice] = losses[-1]"
            )
        },
        frozenset({"losses_for_each_input_choice"}),
    ),
    Variant(
        "best_inputs_only_x1",
        {"choose_best_inputs": 'best_inputs = "only X1"'},
        frozenset({"best_inputs_gives_lowest_loss"}),
    ),
    Variant(
        "every_run_at_learning_rate_0_01",
        {
            "compare_learning_rates": (
                "final_loss_by_learning_rate = {}\n"
                "for rate in LEARNING_RATES:\n"
                "    _, _, losses = train(x_train, y_train, w_start, b_start, 0.01, EPOCHS)\n"
                "    final_loss_by_learning_rate[rate] = losses[-1]"
            ),
            "find_diverging_rates": "diverging_learning_rates = {1, 10}",
        },
        frozenset({"losses_for_each_learning_rate"}),
    ),
    Variant(
        "diverging_only_10",
        {"find_diverging_rates": "diverging_learning_rates = {10}"},
        frozenset({"diverging_learning_rates_identified"}),
    ),
    Variant(
        "diverging_includes_0_1",
        {"find_diverging_rates": "diverging_learning_rates = {0.1, 1, 10}"},
        frozenset({"diverging_learning_rates_identified"}),
    ),
    Variant(
        "predict_adds_bias_to_the_inputs",
        {"define_predict": "def predict(w, b, x):\n    return (x + b) @ w"},
        frozenset(
            {
                "final_training_loss_matches_reference_training",
                "gradient_matches_finite_differences",
                "losses_for_each_learning_rate",
                "predict_matches_linear_model",
                "train_converges_to_least_squares",
                "train_takes_one_step_per_minibatch",
            }
        ),
    ),
    Variant(
        "loss_squares_the_mean_difference",
        {
            "define_half_mse_loss": (
                "def half_mse_loss(y_pred, y):\n    return 0.5 * np.mean(y_pred - y) ** 2"
            )
        },
        frozenset(
            {
                "final_training_loss_matches_reference_training",
                "loss_is_half_mean_squared_error",
                "losses_for_each_input_choice",
                "losses_for_each_learning_rate",
                "train_converges_to_least_squares",
                "train_takes_one_step_per_minibatch",
            }
        ),
    ),
    Variant(
        "gradient_divided_by_the_number_of_inputs",
        {
            "define_gradient": (
                "def gradient(w, b, x, y):\n"
                "    residual = predict(w, b, x) - y\n"
                "    return (residual[:, np.newaxis] * x).sum(axis=0) / x.shape[1], residual.mean()"
            )
        },
        frozenset(
            {
                "diverging_learning_rates_identified",
                "gradient_matches_finite_differences",
                "losses_for_each_learning_rate",
                "train_takes_one_step_per_minibatch",
            }
        ),
    ),
    Variant(
        "last_batch_left_out",
        {
            "define_train": MINIBATCH_TRAIN.replace(
                "range(0, len(x), batch_size)", "range(0, len(x) - batch_size, batch_size)"
            )
        },
        frozenset({"train_takes_one_step_per_minibatch"}),
    ),
    Variant(
        "loss_recorded_before_each_epoch",
        {
            "define_train": MINIBATCH_TRAIN.replace(EPOCH_LOSS, "").replace(
                "    for _ in range(epochs):\n", "    for _ in range(epochs):\n" + EPOCH_LOSS
            )
        },
        frozenset({"train_takes_one_step_per_minibatch"}),
    ),
    Variant(
        "parameters_counted_along_the_wrong_axis",
        {"count_parameters": "n_parameters = x_train.shape[0] + 1"},
        frozenset({"n_parameters_counts_weights_and_bias"}),
    ),
    Variant(
        "best_inputs_by_max",
        {
            "choose_best_inputs": (
                "best_inputs = max(final_loss_by_inputs, key=final_loss_by_inputs.get)"
            )
        },
        frozenset({"best_inputs_gives_lowest_loss"}),
    ),
    Variant(
        "diverging_by_a_threshold_nan_fails",
        {
            "find_diverging_rates": (
                "diverging_learning_rates = {\n"
                "    rate for rate, loss in final_loss_by_learning_rate.items() if loss > 1e3\n"
                "}"
            )
        },
        frozenset({"diverging_learning_rates_identified"}),
    ),
]
