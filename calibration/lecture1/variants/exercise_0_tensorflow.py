"""Answers to exercise 0 (TensorFlow) that graders meet: correct ones written another way, and
mistakes.

Each variant replaces named answer cells (by grade_id) of the instructor's solution. Correct
variants must keep every auto-graded point; each wrong one must lose the points of the tests
named in `loses`.
"""

from __future__ import annotations

from coursekit.calibration.variants import Variant

FALL = "simulate_fall_updates_variables_in_place"
CHANNELS = "channel_means_subtracted"
MSE_VALUE = "mean_squared_error_matches_numpy"
MSE_IN_TF = "mean_squared_error_runs_in_tensorflow"
ONE_TWELFTH = "loss_uniform_close_to_one_twelfth"

# The exploration only prints heights for the student's eyes; no test reads it.
UNSCORED_ANSWERS = ("explore_fall_step_size",)

PRINT_LOSS = 'print(f"loss_uniform = {float(loss_uniform):.5f}   1/12 = {1 / 12:.5f}")\n'


def fall_steps(body: str) -> dict[str, str]:
    return {
        "define_simulate_fall": "def simulate_fall(height, velocity, acceleration, dt, n_steps):\n"
        + body
    }


def channels_returning(expression: str) -> dict[str, str]:
    return {
        "define_subtract_channel_means": (
            f"def subtract_channel_means(readings):\n    return {expression}\n"
        )
    }


def mse_returning(expression: str, imports: str = "") -> dict[str, str]:
    return {
        "define_mean_squared_error": f"{imports}def mean_squared_error(x, y):\n    return {expression}\n"
    }


def uniform_sample(
    draw: str, loss: str = "mean_squared_error(x_uniform, y_half)"
) -> dict[str, str]:
    return {
        "compute_loss_uniform": (
            "tf.random.set_seed(SEED)\n"
            "n_points = 10_000\n"
            f"x_uniform = {draw}\n"
            "y_half = tf.fill([n_points], 0.5)\n"
            f"loss_uniform = {loss}\n" + PRINT_LOSS
        )
    }


LOOP_MSE = """
def mean_squared_error(x, y):
    differences = tf.reshape(x - y, [-1])
    total = tf.constant(0.0, dtype=x.dtype)
    for difference in differences:
        total += difference * difference
    return total / tf.cast(tf.size(differences), x.dtype)
"""

CLOSED_FORM_FALL = """
    duration = n_steps * dt
    # Sum over the steps of the velocity after each step: v0 n + a dt n (n + 1) / 2.
    height.assign_add(velocity * duration + acceleration * dt * dt * n_steps * (n_steps + 1) / 2)
    velocity.assign_add(acceleration * duration)
"""

NUMPY_SAMPLE = (
    "rng = np.random.default_rng(SEED)\n"
    "n_points = 50_000\n"
    "x_uniform = tf.constant(rng.random(n_points))\n"
    "y_half = 0.5 * tf.ones_like(x_uniform)\n"
    "loss_uniform = mean_squared_error(x_uniform, y_half)\n" + PRINT_LOSS
)

MATRIX_SAMPLE = (
    "tf.random.set_seed(SEED)\n"
    "x_uniform = tf.random.uniform((100, 100), minval=0.0, maxval=1.0, dtype=tf.float64)\n"
    "y_half = tf.constant(0.5, shape=(100, 100), dtype=tf.float64)\n"
    "loss_uniform = mean_squared_error(x_uniform, y_half)\n" + PRINT_LOSS
)

# Issue 15: correct answers that use more of the language and of TensorFlow.
RECURSIVE_FALL = fall_steps(
    "    if n_steps == 0:\n"
    "        return\n"
    "    velocity.assign_add(acceleration * dt)\n"
    "    height.assign_add(velocity * dt)\n"
    "    simulate_fall(height, velocity, acceleration, dt, n_steps - 1)\n"
)

PARTIAL_STEP_FALL = """
import functools


def euler_step(height, velocity, acceleration, dt):
    velocity.assign_add(acceleration * dt)
    height.assign_add(velocity * dt)


def simulate_fall(height, velocity, acceleration, dt, n_steps):
    step = functools.partial(euler_step, acceleration=acceleration, dt=dt)
    for _ in range(n_steps):
        step(height, velocity)
"""

TRACED_MSE = """
@tf.function
def mean_squared_error(x, y):
    return tf.reduce_mean(tf.square(x - y))
"""

# The centring matrix I - 1/n: one matrix product subtracts every column's mean.
CENTRING_MATRIX = channels_returning(
    "(tf.eye(tf.shape(readings)[0], dtype=readings.dtype)"
    " - 1 / tf.cast(tf.shape(readings)[0], readings.dtype)) @ readings"
)


CORRECT = [
    Variant("reference", {}, keep_unscored=True),
    Variant(
        "squared_difference_and_assign",
        {
            **fall_steps(
                "    for step in range(n_steps):\n"
                "        velocity.assign(velocity + acceleration * dt)\n"
                "        height.assign(height + velocity * dt)\n"
            ),
            **channels_returning(
                "readings - tf.reduce_sum(readings, axis=0)"
                " / tf.cast(tf.shape(readings)[0], readings.dtype)"
            ),
            **mse_returning("tf.reduce_mean(tf.math.squared_difference(x, y))"),
        },
    ),
    Variant(
        "closed_form_fall_and_sum_over_size",
        {
            **fall_steps(CLOSED_FORM_FALL),
            **channels_returning(
                "tf.transpose(tf.transpose(readings)"
                " - tf.reduce_mean(tf.transpose(readings), axis=1, keepdims=True))"
            ),
            **mse_returning(
                "tf.reduce_sum((x - y) ** 2) / tf.cast(tf.size(x), x.dtype)",
            ),
            "compute_loss_uniform": NUMPY_SAMPLE,
        },
    ),
    Variant(
        "tf_range_loop_and_tensordot",
        {
            **fall_steps(
                "    for _ in tf.range(n_steps):\n"
                "        velocity.assign_add(acceleration * dt)\n"
                "        height.assign_add(dt * velocity)\n"
            ),
            **channels_returning(
                "tf.stack([readings[:, j] - tf.reduce_mean(readings[:, j])"
                " for j in range(readings.shape[1])], axis=1)"
            ),
            **mse_returning(
                "tf.tensordot(tf.reshape(x - y, [-1]), tf.reshape(x - y, [-1]), axes=1)"
                " / tf.cast(tf.size(x), x.dtype)"
            ),
            "compute_loss_uniform": MATRIX_SAMPLE,
        },
    ),
    Variant(
        "keras_loss_function_per_row_then_mean",
        mse_returning(
            "tf.reduce_mean(keras.losses.mean_squared_error(y, x))", imports="import keras\n\n\n"
        ),
    ),
    Variant("python_loop_over_entries", {"define_mean_squared_error": LOOP_MSE}),
    Variant(
        "recursive_fall_broadcast_mean_and_einsum",
        {
            **RECURSIVE_FALL,
            **channels_returning("tf.subtract(readings, tf.reduce_mean(readings, 0))"),
            **mse_returning(
                'tf.einsum("i,i->", tf.reshape(x - y, [-1]), tf.reshape(x - y, [-1]))'
                " / tf.cast(tf.size(x), x.dtype)"
            ),
        },
    ),
    Variant("partial_euler_step", {"define_simulate_fall": PARTIAL_STEP_FALL}),
    # Exact but for float32 rounding: it leaves 2e-7 where 0 is expected, which failed the visible
    # check while that used np.allclose's default atol of 1e-8 (a false fail, issue 15).
    Variant("centring_matrix", CENTRING_MATRIX),
    Variant(
        "traced_loss_and_stateless_draw",
        {
            "define_mean_squared_error": TRACED_MSE,
            "compute_loss_uniform": (
                "n_points = 10_000\n"
                "x_uniform = tf.random.stateless_uniform([n_points], seed=(SEED, 0))\n"
                "y_half = tf.fill([n_points], 0.5)\n"
                "loss_uniform = mean_squared_error(x_uniform, y_half)\n" + PRINT_LOSS
            ),
        },
    ),
    Variant(
        "new_axis_mean_and_pow",
        {
            **channels_returning("readings - tf.reduce_mean(readings, axis=0)[tf.newaxis, :]"),
            **mse_returning("tf.math.reduce_mean(tf.math.pow(x - y, 2))"),
        },
    ),
]

WRONG = [
    Variant(
        "fall_rebinds_names_instead_of_assign",
        fall_steps(
            "    for _ in range(n_steps):\n"
            "        velocity = velocity + acceleration * dt\n"
            "        height = height + velocity * dt\n"
        ),
        frozenset({FALL}),
    ),
    Variant(
        "fall_moves_with_old_velocity",
        fall_steps(
            "    for _ in range(n_steps):\n"
            "        height.assign_add(velocity * dt)\n"
            "        velocity.assign_add(acceleration * dt)\n"
        ),
        frozenset({FALL}),
    ),
    Variant(
        "fall_one_step_short",
        fall_steps(
            "    for _ in range(1, n_steps):\n"
            "        velocity.assign_add(acceleration * dt)\n"
            "        height.assign_add(velocity * dt)\n"
        ),
        frozenset({FALL}),
    ),
    Variant(
        "channels_mean_over_rows_axis",
        channels_returning("readings - tf.reduce_mean(readings, axis=1, keepdims=True)"),
        frozenset({CHANNELS}),
    ),
    Variant(
        "channels_global_mean",
        channels_returning("readings - tf.reduce_mean(readings)"),
        frozenset({CHANNELS}),
    ),
    Variant(
        "mse_sum_instead_of_mean",
        mse_returning("tf.reduce_sum(tf.square(x - y))"),
        frozenset({MSE_VALUE, ONE_TWELFTH}),
    ),
    Variant(
        "mse_abs_instead_of_square",
        mse_returning("tf.reduce_mean(tf.abs(x - y))"),
        frozenset({MSE_VALUE, ONE_TWELFTH}),
    ),
    Variant(
        "mse_divides_by_n_minus_1",
        mse_returning("tf.reduce_sum(tf.square(x - y)) / tf.cast(tf.size(x) - 1, x.dtype)"),
        frozenset({MSE_VALUE}),
    ),
    Variant(
        "mse_divides_by_number_of_rows",
        mse_returning("tf.reduce_sum(tf.square(x - y)) / len(x)"),
        frozenset({MSE_VALUE}),
    ),
    Variant(
        "mse_mean_over_axis_0",
        mse_returning("tf.reduce_mean(tf.square(x - y), axis=0)"),
        frozenset({MSE_VALUE}),
    ),
    Variant(
        "mse_divides_float_by_int_size",
        mse_returning("tf.reduce_sum(tf.square(x - y)) / tf.size(x)"),
        frozenset({MSE_VALUE, MSE_IN_TF, ONE_TWELFTH}),
    ),
    Variant(
        "mse_keras_loss_object_in_float32",
        mse_returning("keras.losses.MeanSquaredError()(y, x)", imports="import keras\n\n\n"),
        frozenset({MSE_VALUE}),
    ),
    Variant(
        "mse_in_numpy",
        mse_returning("np.mean((np.asarray(x) - np.asarray(y)) ** 2)"),
        frozenset({MSE_IN_TF}),
    ),
    Variant(
        "mse_in_numpy_wrapped_in_tensor",
        mse_returning("tf.constant(np.mean((x.numpy() - y.numpy()) ** 2))"),
        frozenset({MSE_IN_TF}),
    ),
    Variant(
        "loss_uniform_typed_in_as_one_twelfth",
        uniform_sample("tf.random.uniform([n_points])", loss="tf.constant(1 / 12)"),
        frozenset({ONE_TWELFTH}),
    ),
    Variant(
        "loss_uniform_of_normal_numbers",
        uniform_sample("tf.random.normal([n_points], mean=0.5, stddev=0.1)"),
        frozenset({ONE_TWELFTH}),
    ),
    Variant(
        "loss_uniform_of_numbers_in_minus_one_one",
        uniform_sample("tf.random.uniform([n_points], minval=-1.0, maxval=1.0)"),
        frozenset({ONE_TWELFTH}),
    ),
    Variant(
        "fall_with_the_exact_kinematics_formula",
        fall_steps(
            "    for _ in range(n_steps):\n"
            "        height.assign_add(velocity * dt + 0.5 * acceleration * dt**2)\n"
            "        velocity.assign_add(acceleration * dt)\n"
        ),
        frozenset({FALL}),
    ),
    Variant(
        "channels_standardised_not_centred",
        channels_returning(
            "(readings - tf.reduce_mean(readings, axis=0)) / tf.math.reduce_std(readings, axis=0)"
        ),
        frozenset({CHANNELS}),
    ),
    Variant(
        "channels_cast_to_float32",
        channels_returning(
            "tf.cast(readings, tf.float32)"
            " - tf.reduce_mean(tf.cast(readings, tf.float32), axis=0, keepdims=True)"
        ),
        frozenset({CHANNELS}),
    ),
    Variant(
        "mse_squares_the_mean_difference",
        mse_returning("tf.square(tf.reduce_mean(x - y))"),
        frozenset({MSE_VALUE, ONE_TWELFTH}),
    ),
    Variant(
        "loss_uniform_of_a_hundred_numbers",
        {
            "compute_loss_uniform": uniform_sample("tf.random.uniform([n_points])")[
                "compute_loss_uniform"
            ].replace("n_points = 10_000", "n_points = 100")
        },
        frozenset({ONE_TWELFTH}),
    ),
]
