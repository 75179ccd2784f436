"""Answers to exercise 1.3 that graders meet: correct ones written another way, and mistakes.

Each variant replaces named answer cells (by grade_id) of the instructor's solution. Correct
variants must keep every auto-graded point; each wrong one must lose the points of the tests
named in `loses`.
"""

from __future__ import annotations

from coursekit.calibration.variants import Variant

RETURNS_NUMPY = "collapse_returns_numpy_kernel_and_bias"
KERNEL = "collapsed_kernel_is_product_of_kernels"
OUTPUTS = "collapsed_layer_reproduces_chain"
MAX_DIFFERENCE = "max_difference_is_largest_absolute_deviation"


def collapse_cell(body: str) -> str:
    """The Task 1 cell with `body` as the student's code and the template's lines after it."""
    return (
        body.strip("\n")
        + '\n\n\nW_demo, b_demo = collapse_linear_layers(chain)\nprint("W:", W_demo.shape, " b:", b_demo.shape)'
    )


def difference_cell(body: str) -> str:
    """The Task 2 cell with `body` as the student's code and the template's print after it."""
    return (
        body.strip("\n")
        + '\n\n\nprint(f"Largest difference between chain and the collapsed layer on x_demo: "\n'
        + '      f"{max_difference(chain, W_demo, b_demo, x_demo):.2e}")'
    )


REDUCE_OVER_VARIABLES = collapse_cell("""
import functools


def collapse_linear_layers(model):
    def merge(collapsed, layer):
        W, b = collapsed
        kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
        return W @ kernel, b @ kernel + bias

    first = model.layers[0]
    return functools.reduce(merge, model.layers[1:], (first.kernel.numpy(), first.bias.numpy()))
""")

PROBE_THROUGH_MODEL = collapse_cell("""
def collapse_linear_layers(model):
    n_in = model.input_shape[-1]
    # A linear layer's output for 0 is its bias; for a unit vector e_i it is row i of W plus b.
    probes = np.vstack([np.zeros((1, n_in)), np.identity(n_in)])
    responses = model.predict(probes, verbose=0)
    b = responses[0]
    W = responses[1:] - b
    return W, b
""")

MATH_CONVENTION_WITH_TRANSPOSES = collapse_cell("""
def collapse_linear_layers(model):
    weights = model.get_weights()
    kernels, biases = weights[0::2], weights[1::2]
    # Pen and paper: h_i = W_i h_{i-1} + b_i with W_i = kernel_i transposed.
    W_total = kernels[0].T
    b_total = biases[0]
    for kernel, bias in zip(kernels[1:], biases[1:]):
        W_total = kernel.T @ W_total
        b_total = kernel.T @ b_total + bias
    return W_total.T, b_total
""")

TWO_LINE_LOOP_FLOAT32 = collapse_cell("""
def collapse_linear_layers(model):
    layers = [layer.get_weights() for layer in model.layers]
    W, b = layers[0]
    for kernel, bias in layers[1:]:
        W = np.matmul(W, kernel)
        b = np.matmul(b, kernel) + bias
    return np.array(W), np.array(b)
""")


def collapse_variant(name: str, body: str, loses: set[str]) -> Variant:
    return Variant(name, {"define_collapse_linear_layers": collapse_cell(body)}, frozenset(loses))


# Issue 15: correct answers that use more of NumPy and of the language.
MULTI_DOT_AND_RECURSION = collapse_cell("""
def collapse_linear_layers(model):
    kernels = [layer.kernel.numpy() for layer in model.layers]
    biases = [layer.bias.numpy() for layer in model.layers]
    W = np.linalg.multi_dot(kernels) if len(kernels) > 1 else kernels[0]

    def bias_after(i):
        \"\"\"The bias of the first i + 1 layers collapsed into one.\"\"\"
        if i == 0:
            return biases[0]
        return bias_after(i - 1) @ kernels[i] + biases[i]

    return W, bias_after(len(biases) - 1)
""")

# Homogeneous coordinates: a layer is the matrix [[kernel, 0], [bias, 1]] acting on (x, 1).
AUGMENTED_MATRICES = collapse_cell("""
import functools


def augmented(layer):
    kernel, bias = layer.get_weights()
    n_in, n_out = kernel.shape
    return np.block([[kernel, np.zeros((n_in, 1))], [bias[np.newaxis, :], np.ones((1, 1))]])


def collapse_linear_layers(model):
    total = functools.reduce(np.matmul, (augmented(layer) for layer in model.layers))
    return total[:-1, :-1], total[-1, :-1]
""")

EINSUM_REDUCE = collapse_cell("""
from functools import reduce


def collapse_linear_layers(model):
    weights = [layer.get_weights() for layer in model.layers]
    W = reduce(lambda A, K: np.einsum("ij,jk->ik", A, K), (kernel for kernel, _ in weights))
    b = reduce(lambda c, layer: np.einsum("j,jk->k", c, layer[0]) + layer[1], weights[1:], weights[0][1])
    return W, b
""")

AFFINE_DATACLASS = collapse_cell("""
from dataclasses import dataclass


@dataclass(frozen=True)
class Affine:
    \"\"\"The map x -> x @ W + b.\"\"\"

    W: np.ndarray
    b: np.ndarray

    def __rshift__(self, other):
        \"\"\"self >> other: apply self, then other.\"\"\"
        if not isinstance(other, Affine):
            return NotImplemented
        return Affine(self.W @ other.W, self.b @ other.W + other.b)

    def __call__(self, x):
        return x @ self.W + self.b


def collapse_linear_layers(model):
    maps = [Affine(*layer.get_weights()) for layer in model.layers]
    total = maps[0]
    for following in maps[1:]:
        total = total >> following
    return total.W, total.b
""")


CORRECT = [
    Variant("reference", {}),
    Variant(
        "reduce_over_layer_variables_and_model_call",
        {
            "define_collapse_linear_layers": REDUCE_OVER_VARIABLES,
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    predictions = np.asarray(model(x))
    return np.abs(predictions - (x @ W + b)).max()
"""),
        },
    ),
    Variant(
        "probe_identity_through_model",
        {
            "define_collapse_linear_layers": PROBE_THROUGH_MODEL,
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    difference = model.predict(x, verbose=0) - x @ W - b
    return np.max(np.abs(difference)).item()
"""),
        },
    ),
    Variant(
        "math_convention_with_transposes_and_python_max",
        {
            "define_collapse_linear_layers": MATH_CONVENTION_WITH_TRANSPOSES,
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    collapsed = np.dot(x, W) + b
    predicted = model.predict(x, verbose=0)
    return max(abs(p - c) for p, c in zip(predicted.ravel(), collapsed.ravel()))
"""),
        },
    ),
    Variant(
        "float32_loop_from_first_layer",
        {"define_collapse_linear_layers": TWO_LINE_LOOP_FLOAT32},
    ),
    Variant(
        "multi_dot_recursive_bias_and_inf_norm",
        {
            "define_collapse_linear_layers": MULTI_DOT_AND_RECURSION,
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    difference = model.predict(x, verbose=0) - (x @ W + b)
    return float(np.linalg.norm(difference.ravel(), ord=np.inf))
"""),
        },
    ),
    Variant(
        "augmented_matrices_and_generator_max",
        {
            "define_collapse_linear_layers": AUGMENTED_MATRICES,
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    difference = model.predict(x, verbose=0) - (x @ W + b)
    return max(map(abs, difference.flat))
"""),
        },
    ),
    Variant(
        "einsum_reduce_and_model_call",
        {
            "define_collapse_linear_layers": EINSUM_REDUCE,
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    return float(np.abs(np.einsum("ij,jk->ik", x, W) + b - np.asarray(model(x))).max())
"""),
        },
    ),
    Variant("affine_dataclass_composition", {"define_collapse_linear_layers": AFFINE_DATACLASS}),
]

ALL_OF_TASK_1 = {RETURNS_NUMPY, KERNEL, OUTPUTS}

WRONG = [
    collapse_variant(
        "kernels_multiplied_in_pen_and_paper_order",
        """
def collapse_linear_layers(model):
    W, b = model.layers[-1].get_weights()
    for layer in model.layers[-2::-1]:
        kernel, bias = layer.get_weights()
        W = W @ kernel
        b = b + bias
    return W, b
""",
        ALL_OF_TASK_1,
    ),
    collapse_variant(
        "transposed_kernel",
        """
def collapse_linear_layers(model):
    W, b = None, None
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        if W is None:
            W, b = kernel.T, bias
        else:
            W, b = kernel.T @ W, kernel.T @ b + bias
    return W, b
""",
        ALL_OF_TASK_1,
    ),
    collapse_variant(
        "biases_ignored",
        """
def collapse_linear_layers(model):
    kernels = [layer.get_weights()[0] for layer in model.layers]
    W = kernels[0]
    for kernel in kernels[1:]:
        W = W @ kernel
    return W, np.zeros(W.shape[1])
""",
        {OUTPUTS},
    ),
    collapse_variant(
        "only_last_bias",
        """
def collapse_linear_layers(model):
    W = np.eye(model.layers[0].get_weights()[0].shape[0])
    for layer in model.layers:
        W = W @ layer.get_weights()[0]
    return W, model.layers[-1].get_weights()[1]
""",
        {OUTPUTS},
    ),
    collapse_variant(
        "only_first_bias_carried_through",
        """
def collapse_linear_layers(model):
    W, b = model.layers[0].get_weights()
    for layer in model.layers[1:]:
        kernel, bias = layer.get_weights()
        W = W @ kernel
        b = b @ kernel
    return W, b
""",
        {OUTPUTS},
    ),
    collapse_variant(
        "first_layer_only",
        """
def collapse_linear_layers(model):
    kernel, bias = model.layers[0].get_weights()
    return kernel, bias
""",
        ALL_OF_TASK_1,
    ),
    collapse_variant(
        "hard_coded_for_four_layers",
        """
def collapse_linear_layers(model):
    (k1, b1), (k2, b2), (k3, b3), (k4, b4) = [layer.get_weights() for layer in model.layers[:4]]
    W = k1 @ k2 @ k3 @ k4
    b = ((b1 @ k2 + b2) @ k3 + b3) @ k4 + b4
    return W, b
""",
        ALL_OF_TASK_1,
    ),
    collapse_variant(
        "probe_returns_tensors",
        """
def collapse_linear_layers(model):
    n_in = model.input_shape[-1]
    b = model(np.zeros((1, n_in)))[0]
    W = model(np.eye(n_in)) - b
    return W, b
""",
        {RETURNS_NUMPY},
    ),
    Variant(
        "signed_difference",
        {
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    return float(np.max(model.predict(x, verbose=0) - (x @ W + b)))
""")
        },
        frozenset({MAX_DIFFERENCE}),
    ),
    Variant(
        "mean_absolute_difference",
        {
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    return float(np.mean(np.abs(model.predict(x, verbose=0) - (x @ W + b))))
""")
        },
        frozenset({MAX_DIFFERENCE}),
    ),
    Variant(
        "kernel_times_bias_in_math_convention",
        {
            "define_collapse_linear_layers": TWO_LINE_LOOP_FLOAT32.replace(
                "np.matmul(b, kernel)", "np.matmul(kernel, b)"
            )
        },
        frozenset(ALL_OF_TASK_1),
    ),
    collapse_variant(
        "start_from_ones_not_identity",
        """
def collapse_linear_layers(model):
    n_in = model.layers[0].get_weights()[0].shape[0]
    W, b = np.ones((n_in, n_in)), np.zeros(n_in)
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        W, b = W @ kernel, b @ kernel + bias
    return W, b
""",
        {KERNEL, OUTPUTS},
    ),
    Variant(
        "returns_lists",
        {
            "define_collapse_linear_layers": TWO_LINE_LOOP_FLOAT32.replace(
                "return np.array(W), np.array(b)", "return W.tolist(), b.tolist()"
            )
        },
        frozenset({RETURNS_NUMPY}),
    ),
    Variant(
        "max_difference_of_the_first_output_only",
        {
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    predicted = model.predict(x, verbose=0)[:, 0]
    return float(np.max(np.abs(predicted - (x @ W + b)[:, 0])))
""")
        },
        frozenset({MAX_DIFFERENCE}),
    ),
    Variant(
        "max_difference_per_output",
        {
            "define_max_difference": difference_cell("""
def max_difference(model, W, b, x):
    return np.max(np.abs(model.predict(x, verbose=0) - (x @ W + b)), axis=0)
""")
        },
        frozenset({MAX_DIFFERENCE}),
    ),
]
