"""Answers to exercise 0 (PyTorch) that graders meet: correct ones written another way, and mistakes.

Each variant replaces named answer cells (by grade_id) of the instructor's solution. Correct
variants must keep every auto-graded point; each wrong one must lose the points of the tests
named in `loses`.
"""

from __future__ import annotations

from coursekit.calibration.variants import Variant

MSE_VALUE = "mse_matches_numpy_reference"
MSE_GRAPH = "mse_keeps_autograd_graph"
BACKWARD = "grad_of_sum_of_squares_from_backward"
GRADIENT = "gradient_of_any_function_by_autograd"
COLUMNS = "column_means_along_dim_0"


def mse_returning(expression: str) -> dict[str, str]:
    return {"define_mse": f"def mse(x, y):\n    return {expression}\n"}


def gradient_of_body(body: str) -> dict[str, str]:
    return {"define_gradient_of": "def gradient_of(f, x):\n" + body}


def column_means_returning(expression: str) -> dict[str, str]:
    return {"define_column_means": f"def column_means(data):\n    return {expression}\n"}


LOOP_MSE = """
def mse(x, y):
    differences = (x - y).flatten()
    total = 0
    for difference in differences:
        total = total + difference * difference
    return total / len(differences)
"""

LOOP_COLUMN_MEANS = """
def column_means(data):
    n_rows, n_columns = data.shape
    return torch.stack([data[:, column].sum() / n_rows for column in range(n_columns)])
"""

# Issue 15: correct answers that use more of the language and of torch.
MSE_MODULE = """
class MeanSquaredError(torch.nn.Module):
    \"\"\"The loss as a module, like torch.nn.MSELoss.\"\"\"

    def forward(self, x, y):
        return (x - y).pow(2).mean()


mse = MeanSquaredError()
"""

NO_GRAD_GRADIENT_OF = gradient_of_body(
    "    with torch.no_grad():\n"
    "        point = x.clone()\n"
    "    point.requires_grad_(True)\n"
    "    with torch.enable_grad():\n"
    "        value = f(point)\n"
    "    value.backward()\n"
    "    return point.grad\n"
)

# A small value class around the gradient, with an ordinary repr and equality.
DATACLASS_GRADIENT_OF = """
from dataclasses import dataclass


@dataclass
class Gradient:
    point: torch.Tensor
    value: torch.Tensor

    def __repr__(self):
        return f"Gradient(at={self.point.tolist()}, value={self.value.tolist()})"


def gradient_with_point(f, x):
    leaf = x.detach().clone().requires_grad_(True)
    f(leaf).backward()
    return Gradient(x, leaf.grad)


def gradient_of(f, x):
    return gradient_with_point(f, x).value
"""

REDUCE_COLUMN_MEANS = """
import functools


def column_means(data):
    return functools.reduce(torch.add, data) / len(data)
"""


CORRECT = [
    Variant("reference", {}),
    Variant(
        "library_loss_and_autograd_grad",
        {
            **mse_returning("torch.nn.functional.mse_loss(x, y)"),
            "backward_sum_of_squares": (
                "s = torch.sum(x * x)\ns.backward()\ngrad_of_sum_of_squares = x.grad\n"
                "print(grad_of_sum_of_squares, 2 * x)"
            ),
            **gradient_of_body(
                "    leaf = x.detach().requires_grad_()\n"
                "    (grad,) = torch.autograd.grad(f(leaf), leaf)\n"
                "    return grad\n"
            ),
            **column_means_returning("torch.mean(data, axis=0)"),
        },
    ),
    Variant(
        "sum_over_numel_and_func_grad",
        {
            **mse_returning("((x - y) ** 2).sum() / x.numel()"),
            "backward_sum_of_squares": (
                "x.grad = None\ns = torch.dot(x, x)\ns.backward()\n"
                "grad_of_sum_of_squares = x.grad.detach().clone()"
            ),
            **gradient_of_body("    return torch.func.grad(f)(x)\n"),
            **column_means_returning("data.sum(dim=0) / data.shape[0]"),
        },
    ),
    Variant(
        "loss_module_and_caller_tensor_reset",
        {
            **mse_returning("torch.nn.MSELoss()(x, y)"),
            "backward_sum_of_squares": (
                "if x.grad is not None:\n    x.grad.zero_()\n"
                "s = torch.linalg.vector_norm(x) ** 2\ns.backward()\n"
                "grad_of_sum_of_squares = x.grad.clone()"
            ),
            # Works on the caller's own tensor, but resets .grad first and restores the flag.
            **gradient_of_body(
                "    x.requires_grad_(True)\n"
                "    x.grad = None\n"
                "    f(x).backward()\n"
                "    grad = x.grad\n"
                "    x.grad = None\n"
                "    x.requires_grad_(False)\n"
                "    return grad\n"
            ),
            **column_means_returning("data.T.mean(dim=1)"),
        },
    ),
    Variant(
        "loops_and_jacobian",
        {
            "define_mse": LOOP_MSE,
            "backward_sum_of_squares": (
                "s = x.pow(2).sum()\ns.backward()\ngrad_of_sum_of_squares = x.grad * 1"
            ),
            **gradient_of_body("    return torch.autograd.functional.jacobian(f, x)\n"),
            "define_column_means": LOOP_COLUMN_MEANS,
        },
    ),
    Variant(
        "loss_module_no_grad_copy_and_einsum",
        {
            "define_mse": MSE_MODULE,
            "backward_sum_of_squares": (
                "x.grad = None\n"
                's = torch.einsum("i,i->", x, x)\n'
                "s.backward()\n"
                "with torch.no_grad():\n"
                "    grad_of_sum_of_squares = x.grad.clone()\n"
            ),
            **NO_GRAD_GRADIENT_OF,
            **column_means_returning('torch.einsum("ij->j", data) / data.shape[0]'),
        },
    ),
    Variant(
        "generator_sum_jacrev_and_unbind",
        {
            **mse_returning("(x - y).square().sum().div(x.numel())"),
            "backward_sum_of_squares": (
                "x.grad = None\n"
                "s = sum(value**2 for value in x)\n"
                "s.backward()\n"
                "grad_of_sum_of_squares = x.grad.detach().clone()\n"
            ),
            **gradient_of_body("    return torch.func.jacrev(f)(x)\n"),
            **column_means_returning(
                "torch.stack([column.mean() for column in data.unbind(dim=1)])"
            ),
        },
    ),
    Variant(
        "flattened_dot_and_dataclass_gradient",
        {
            "define_mse": (
                "def mse(x, y):\n"
                "    difference = (x - y).flatten()\n"
                "    return difference @ difference / difference.numel()\n"
            ),
            "define_gradient_of": DATACLASS_GRADIENT_OF,
            **column_means_returning(
                "torch.ones(data.shape[0], dtype=data.dtype) @ data / data.shape[0]"
            ),
        },
    ),
    Variant(
        "summed_library_loss_and_reduce_over_rows",
        {
            **mse_returning('torch.nn.functional.mse_loss(x, y, reduction="sum") / torch.numel(x)'),
            "define_column_means": REDUCE_COLUMN_MEANS,
        },
    ),
    Variant(
        "norm_squared_and_lambda_partial",
        {
            **mse_returning("torch.linalg.vector_norm(x - y) ** 2 / x.numel()"),
            "define_gradient_of": (
                "import functools\n\n"
                "grad_at = functools.partial(torch.autograd.grad, retain_graph=False)\n\n\n"
                "def gradient_of(f, x):\n"
                "    leaf = x.detach().requires_grad_(True)\n"
                "    return grad_at(f(leaf), leaf)[0]\n"
            ),
            **column_means_returning("torch.mean(data, 0, keepdim=True).squeeze(0)"),
        },
    ),
    Variant(
        "mean_of_squares_method_chain_and_var_mean",
        {
            **mse_returning("torch.mean(torch.square(torch.sub(x, y)))"),
            "backward_sum_of_squares": (
                "x.grad = None\n"
                "squares = [x[i] * x[i] for i in range(len(x))]\n"
                "torch.stack(squares).sum().backward()\n"
                "grad_of_sum_of_squares = torch.clone(x.grad)\n"
            ),
            **column_means_returning("torch.var_mean(data, dim=0)[1]"),
        },
    ),
    Variant(
        "recursive_column_sum",
        {
            "define_column_means": (
                "def column_sums(rows):\n"
                "    if len(rows) == 1:\n"
                "        return rows[0]\n"
                "    half = len(rows) // 2\n"
                "    return column_sums(rows[:half]) + column_sums(rows[half:])\n\n\n"
                "def column_means(data):\n"
                "    return column_sums(data) / data.shape[0]\n"
            )
        },
    ),
]

WRONG = [
    Variant(
        "mse_sum_not_mean", mse_returning("((x - y) ** 2).sum()"), frozenset({MSE_VALUE, MSE_GRAPH})
    ),
    Variant(
        "mse_abs_not_square",
        mse_returning("torch.abs(x - y).mean()"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_divides_by_n_minus_1",
        mse_returning("((x - y) ** 2).sum() / (x.numel() - 1)"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_divides_by_first_dimension",
        mse_returning("((x - y) ** 2).sum() / len(x)"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_mean_along_dim_0",
        mse_returning("torch.mean((x - y) ** 2, dim=0)"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_returns_python_float",
        mse_returning("((x - y) ** 2).mean().item()"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_computed_in_numpy",
        mse_returning("np.mean((x.numpy() - y.numpy()) ** 2)"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_detached",
        mse_returning("((x.detach() - y.detach()) ** 2).mean()"),
        frozenset({MSE_GRAPH}),
    ),
    Variant(
        "mse_rewrapped_from_numpy",
        mse_returning("torch.tensor(np.mean((x.detach().numpy() - y.detach().numpy()) ** 2))"),
        frozenset({MSE_GRAPH}),
    ),
    Variant(
        "gradient_typed_in_by_hand",
        {"backward_sum_of_squares": "grad_of_sum_of_squares = 2 * x.detach()"},
        frozenset({BACKWARD}),
    ),
    Variant(
        "backward_called_twice",
        {
            "backward_sum_of_squares": (
                "s = (x ** 2).sum()\ns.backward(retain_graph=True)\ns.backward()\n"
                "grad_of_sum_of_squares = x.grad.clone()"
            )
        },
        frozenset({BACKWARD}),
    ),
    Variant(
        "backward_of_mean_not_sum",
        {
            "backward_sum_of_squares": (
                "s = (x ** 2).mean()\ns.backward()\ngrad_of_sum_of_squares = x.grad.clone()"
            )
        },
        frozenset({BACKWARD}),
    ),
    Variant(
        "grad_read_from_intermediate_tensor",
        {
            "backward_sum_of_squares": (
                "squares = x ** 2\nsquares.sum().backward()\ngrad_of_sum_of_squares = squares.grad"
            )
        },
        frozenset({BACKWARD}),
    ),
    Variant(
        "gradient_of_hard_coded_two_x",
        gradient_of_body("    return 2 * x\n"),
        frozenset({GRADIENT}),
    ),
    Variant(
        "gradient_of_accumulates_in_caller_tensor",
        gradient_of_body("    x.requires_grad_(True)\n    f(x).backward()\n    return x.grad\n"),
        frozenset({GRADIENT}),
    ),
    Variant(
        "gradient_of_reads_the_wrong_tensor",
        gradient_of_body(
            "    point = x.clone().requires_grad_(True)\n    f(point).backward()\n    return x.grad\n"
        ),
        frozenset({GRADIENT}),
    ),
    Variant(
        "column_means_along_dim_1", column_means_returning("data.mean(dim=1)"), frozenset({COLUMNS})
    ),
    Variant(
        "column_means_of_everything", column_means_returning("data.mean()"), frozenset({COLUMNS})
    ),
    Variant(
        "column_means_divides_by_column_count",
        column_means_returning("data.sum(dim=0) / data.shape[1]"),
        frozenset({COLUMNS}),
    ),
    Variant(
        "column_means_in_numpy",
        column_means_returning("np.mean(data.numpy(), axis=0)"),
        frozenset({COLUMNS}),
    ),
    Variant(
        "mse_floor_division_by_numel",
        mse_returning("((x - y) ** 2).sum() // x.numel()"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_squares_the_mean_difference",
        mse_returning("(x - y).mean() ** 2"),
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "mse_module_returning_python_float",
        {"define_mse": MSE_MODULE.replace("(x - y).pow(2).mean()", "float((x - y).pow(2).mean())")},
        frozenset({MSE_VALUE, MSE_GRAPH}),
    ),
    Variant(
        "grad_from_autograd_grad_leaves_x_grad_empty",
        {
            "backward_sum_of_squares": (
                "s = (x * x).sum()\n(grad_of_sum_of_squares,) = torch.autograd.grad(s, x)\n"
            )
        },
        frozenset({BACKWARD}),
    ),
    Variant(
        "backward_of_sum_not_of_squares",
        {
            "backward_sum_of_squares": (
                "x.grad = None\ns = x.sum() ** 2\ns.backward()\ngrad_of_sum_of_squares = x.grad.clone()"
            )
        },
        frozenset({BACKWARD}),
    ),
    Variant(
        "gradient_of_returns_the_descent_direction",
        gradient_of_body(
            "    point = x.detach().clone().requires_grad_(True)\n"
            "    f(point).backward()\n"
            "    return -point.grad\n"
        ),
        frozenset({GRADIENT}),
    ),
    Variant(
        "gradient_by_one_sided_difference",
        gradient_of_body(
            "    step = 1e-3\n"
            "    flat = x.detach().flatten().double()\n"
            "    base = f(flat.reshape(x.shape))\n"
            "    grad = torch.zeros_like(flat)\n"
            "    for i in range(flat.numel()):\n"
            "        moved = flat.clone()\n"
            "        moved[i] += step\n"
            "        grad[i] = (f(moved.reshape(x.shape)) - base) / step\n"
            "    return grad.reshape(x.shape).to(x.dtype)\n"
        ),
        frozenset({GRADIENT}),
    ),
    Variant(
        "column_means_with_keepdim",
        column_means_returning("data.mean(dim=0, keepdim=True)"),
        frozenset({COLUMNS}),
    ),
    Variant(
        "column_means_of_integer_division",
        column_means_returning("data.sum(dim=0) // data.shape[0]"),
        frozenset({COLUMNS}),
    ),
    Variant(
        "column_means_median_not_mean",
        column_means_returning("data.median(dim=0).values"),
        frozenset({COLUMNS}),
    ),
]
