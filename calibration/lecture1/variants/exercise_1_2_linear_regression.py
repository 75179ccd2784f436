"""Answers to exercise 1.2 that graders meet: correct ones written another way, and mistakes.

Each variant replaces named answer cells (by grade_id) of the instructor's solution. Correct
variants must keep every auto-graded point; each wrong one must lose the points of the tests
named in `loses`.
"""

from __future__ import annotations

from coursekit.calibration.variants import Variant

# The exploration cells only fit extra models for the student's eyes; no test reads them.
UNSCORED_ANSWERS = ("explore_uncertainty", "explore_dimensions")


FUNCTIONAL_MODEL = """
inputs = keras.Input(shape=(n_dim,))
outputs = keras.layers.Dense(1)(inputs)
model = keras.Model(inputs=inputs, outputs=outputs)
"""

SLIDES_STYLE_MODEL = """
import tensorflow as tf

model = tf.keras.models.Sequential([tf.keras.layers.Dense(1, input_shape=(n_dim,))])
"""

CALLBACK_TRAINING = """
fig, axes = plt.subplots(2, 5, figsize=(17, 6))
panels = iter(axes.flat)


def plot_every_second_epoch(epoch, logs):
    if epoch % 2 == 1:
        plot_predictions(next(panels), model, x, y, f"epoch {epoch + 1}")


model.fit(x, y, epochs=20, verbose=0,
          callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=plot_every_second_epoch)])
plt.show()
"""

SINGLE_EPOCH_LOOP = """
for epoch in range(1, 21):
    history = model.fit(x, y, verbose=0)
    if epoch % 2 == 0:
        fig, ax = plt.subplots()
        plot_predictions(ax, model, x, y, f"epoch {epoch}")
        plt.show()
"""


def fit_function(body: str) -> str:
    return "def fit_linear_model(x, y, epochs=20):\n" + body


# Issue 15: a subclassed keras.Model, as the Keras guides write one.
LINEAR_NODE_CLASS = """
class LinearNode(keras.Model):
    \"\"\"One node without activation: x . w + b.\"\"\"

    def __init__(self, n_inputs, **kwargs):
        super().__init__(**kwargs)
        self.node = keras.layers.Dense(1)
        self(np.zeros((1, n_inputs)))  # creates the weights

    def call(self, inputs):
        return self.node(inputs)
"""

SUBCLASSED_MODEL = LINEAR_NODE_CLASS + "\n\nmodel = LinearNode(n_dim)\n"

SUBCLASSED_FIT = fit_function(
    "    node = LinearNode(x.shape[1])\n"
    "    node.compile(loss=keras.losses.MeanSquaredError(),"
    " optimizer=keras.optimizers.SGD(learning_rate=0.01))\n"
    "    node.fit(x, y, epochs=epochs, verbose=0)\n"
    "    return node\n"
)

LSTSQ_READBACK = """
design = np.c_[x, np.ones(len(x))]
coefficients = np.linalg.lstsq(design, model.predict(x, verbose=0), rcond=None)[0][:, 0]
fitted_slopes, fitted_offset = coefficients[:-1], coefficients[-1]
"""


CORRECT = [
    Variant("reference", {}, keep_unscored=True),
    Variant(
        "functional_api_and_get_weights",
        {
            "build_model": FUNCTIONAL_MODEL,
            "inspect_weights": (
                "weights, bias = model.get_weights()\n"
                "fitted_slopes = weights.ravel()\n"
                "fitted_offset = bias.item()"
            ),
            "define_fit_linear_model": fit_function(
                "    inputs = keras.Input(shape=x.shape[1:])\n"
                "    node = keras.Model(inputs, keras.layers.Dense(units=1)(inputs))\n"
                "    node.compile(optimizer=keras.optimizers.SGD(), loss='mean_squared_error')\n"
                "    for _ in range(epochs):\n"
                "        node.fit(x, y, epochs=1, verbose=0)\n"
                "    return node\n"
            ),
        },
    ),
    Variant(
        "optimizer_object_and_callback",
        {
            "compile_model": (
                "model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),\n"
                "              loss=keras.losses.MeanSquaredError(), metrics=['mae'])"
            ),
            "train_model": CALLBACK_TRAINING,
        },
    ),
    Variant(
        "slides_style_tf_keras_and_epoch_loop",
        {
            "build_model": SLIDES_STYLE_MODEL,
            "compile_model": 'model.compile(loss="mean_squared_error", optimizer=tf.keras.optimizers.SGD())',
            "train_model": SINGLE_EPOCH_LOOP,
            "inspect_weights": (
                "fitted_slopes = model.layers[0].kernel.numpy()[:, 0]\n"
                "fitted_offset = float(model.layers[0].bias.numpy()[0])"
            ),
        },
    ),
    Variant(
        "subclassed_model_and_lstsq_readback",
        {
            "build_model": SUBCLASSED_MODEL,
            "inspect_weights": LSTSQ_READBACK,
            "define_fit_linear_model": LINEAR_NODE_CLASS + "\n\n" + SUBCLASSED_FIT,
        },
    ),
    Variant(
        "added_layers_zero_start_and_resumed_fit",
        {
            "build_model": (
                "model = keras.Sequential()\n"
                "model.add(keras.Input(shape=(n_dim,)))\n"
                'model.add(keras.layers.Dense(1, kernel_initializer="zeros", use_bias=True))'
            ),
            "compile_model": (
                "model.compile(loss=keras.losses.mean_squared_error,"
                " optimizer=keras.optimizers.SGD(momentum=0.0))"
            ),
            "train_model": (
                "model.fit(x, y, epochs=10, verbose=0)\n"
                "model.fit(x, y, initial_epoch=10, epochs=20, verbose=0)\n"
                "fig, ax = plt.subplots()\n"
                'plot_predictions(ax, model, x, y, "after 20 epochs")\n'
                "plt.show()"
            ),
        },
    ),
    Variant(
        "trainable_weights_and_partial_layer",
        {
            "build_model": (
                "import functools\n\n"
                "LinearUnit = functools.partial(keras.layers.Dense, units=1, activation=None)\n"
                "inputs = keras.Input(shape=(n_dim,))\n"
                "model = keras.Model(inputs, LinearUnit()(inputs))"
            ),
            "inspect_weights": (
                "kernel, bias = (variable.numpy() for variable in model.trainable_weights)\n"
                "fitted_slopes = kernel.ravel()\n"
                "fitted_offset = bias.item()"
            ),
        },
    ),
]

WRONG = [
    Variant(
        "two_units",
        {
            "build_model": "model = keras.Sequential([keras.Input(shape=(n_dim,)), keras.layers.Dense(2)])"
        },
        frozenset({"model_has_one_node"}),
    ),
    Variant(
        "relu_activation",
        {
            "build_model": (
                "model = keras.Sequential([keras.Input(shape=(n_dim,)),\n"
                "                          keras.layers.Dense(1, activation='relu')])"
            )
        },
        frozenset({"model_has_one_node"}),
    ),
    Variant(
        "mae_loss",
        {"compile_model": 'model.compile(loss="mae", optimizer="sgd")'},
        frozenset({"model_compiled_with_mse_and_sgd"}),
    ),
    Variant(
        "adam_optimizer",
        {"compile_model": 'model.compile(loss="mse", optimizer="adam")'},
        frozenset({"model_compiled_with_mse_and_sgd"}),
    ),
    Variant(
        "ten_epochs",
        {"train_model": "for _ in range(5):\n    model.fit(x, y, epochs=2, verbose=0)"},
        frozenset({"trained_for_20_epochs"}),
    ),
    Variant(
        "untrained",
        {
            "train_model": "fig, ax = plt.subplots()\nplot_predictions(ax, model, x, y, 'not trained')"
        },
        frozenset({"trained_for_20_epochs", "fit_close_to_least_squares"}),
    ),
    Variant(
        "weights_typed_in_by_hand",
        {"train_model": "model.set_weights([np.array([[1.1]]), np.array([-0.12])])"},
        frozenset({"trained_for_20_epochs"}),
    ),
    Variant(
        "trained_on_shifted_targets",
        {"train_model": "model.fit(x, y + 1.0, epochs=20, verbose=0)"},
        frozenset({"fit_close_to_least_squares"}),
    ),
    Variant(
        "fitted_values_copied_from_truth",
        {"inspect_weights": "fitted_slopes = true_slopes.copy()\nfitted_offset = true_offset"},
        frozenset({"fitted_weights_read_from_model"}),
    ),
    Variant(
        "fit_function_ignores_input_dimension",
        {
            "define_fit_linear_model": fit_function(
                "    fresh = keras.Sequential([keras.Input(shape=(n_dim,)), keras.layers.Dense(1)])\n"
                "    fresh.compile(loss='mse', optimizer='sgd')\n"
                "    fresh.fit(x, y, epochs=epochs, verbose=0)\n"
                "    return fresh\n"
            )
        },
        frozenset({"fit_linear_model_any_dimension"}),
    ),
    Variant(
        "fit_function_trains_two_epochs",
        {
            "define_fit_linear_model": fit_function(
                "    fresh = keras.Sequential([keras.Input(shape=x.shape[1:]), keras.layers.Dense(1)])\n"
                "    fresh.compile(loss='mse', optimizer='sgd')\n"
                "    fresh.fit(x, y, epochs=2, verbose=0)\n"
                "    return fresh\n"
            )
        },
        frozenset({"fit_linear_model_any_dimension"}),
    ),
    Variant(
        "fit_function_with_mae_loss",
        {
            "define_fit_linear_model": fit_function(
                "    fresh = keras.Sequential([keras.Input(shape=x.shape[1:]), keras.layers.Dense(1)])\n"
                "    fresh.compile(loss='mae', optimizer='sgd')\n"
                "    fresh.fit(x, y, epochs=epochs, verbose=0)\n"
                "    return fresh\n"
            )
        },
        frozenset({"fit_linear_model_any_dimension"}),
    ),
    Variant(
        "node_without_bias",
        {
            "build_model": (
                "model = keras.Sequential([keras.Input(shape=(n_dim,)),"
                " keras.layers.Dense(1, use_bias=False)])"
            ),
            "inspect_weights": "fitted_slopes = model.get_weights()[0][:, 0]\nfitted_offset = 0.0",
        },
        frozenset({"model_has_one_node", "fit_close_to_least_squares"}),
    ),
    # Ascends until the bias is about 4e4: read back through float32 predictions, the weights
    # are then off by 1e-3, beyond the read-back test's 1e-4, which fails too.
    Variant(
        "learning_rate_with_the_wrong_sign",
        {
            "compile_model": (
                'model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=-0.01))'
            )
        },
        frozenset({"fit_close_to_least_squares", "fitted_weights_read_from_model"}),
    ),
    Variant(
        "fit_function_returns_the_history",
        {
            "define_fit_linear_model": fit_function(
                "    fresh = keras.Sequential([keras.Input(shape=x.shape[1:]), keras.layers.Dense(1)])\n"
                "    fresh.compile(loss='mse', optimizer='sgd')\n"
                "    return fresh.fit(x, y, epochs=epochs, verbose=0)\n"
            )
        },
        frozenset({"fit_linear_model_any_dimension"}),
    ),
]
