"""Kernel-side code (coursekit.integrity.in_kernel) is real Python that runs without coursekit.

Each module compiles, imports only the standard library and defines only functions; loaded from
its source text with coursekit unimportable, as the kernel gets it, its functions behave on
plain inputs. No kernel: the probes run on dicts standing for a notebook's globals, the hygiene
in IPython's in-process shell.
"""

from __future__ import annotations

import ast
import builtins
import gc
import json
import sys
import types
from importlib import resources

import pytest

from coursekit.integrity import fingerprints, in_kernel
from coursekit.integrity.kernel_hygiene import PLACEHOLDER, hygiene_code, source_digest
from coursekit.integrity.verdict_arming import (
    probe_cell_source,
    probe_sources,
    provenance_arguments,
)

MODULES = sorted(
    entry.name.removesuffix(".py")
    for entry in resources.files(in_kernel).iterdir()
    if entry.name.endswith(".py") and entry.name != "__init__.py"
)


def without_coursekit(name: str, *args: object, **kwargs: object) -> types.ModuleType:
    """__import__ of a kernel whose environment has no coursekit."""
    if name.split(".")[0] == "coursekit":
        raise ImportError(f"the kernel has no coursekit ({name})")
    return builtins.__import__(name, *args, **kwargs)  # type: ignore[arg-type]


def load(module: str) -> dict:
    """module's functions as the kernel gets them: its source run in a namespace of its own."""
    namespace = {
        "__builtins__": {**vars(builtins), "__import__": without_coursekit},
        "__name__": f"coursekit_in_kernel.{module}",
    }
    source = in_kernel.module_source(module)
    exec(compile(source, f"<coursekit {module}>", "exec", dont_inherit=True), namespace)
    return namespace


def as_notebook(code: str, **names: object) -> dict:
    """A notebook's globals after code ran in them (its functions and classes are __main__'s)."""
    namespace = {"__name__": "__main__", **names}
    exec(code, namespace)
    return namespace


def test_the_kernel_modules_are_found() -> None:
    assert MODULES == ["hygiene", "provenance", "rigged"]


def test_a_kernel_without_coursekit_cannot_import_it() -> None:
    with pytest.raises(ImportError, match="no coursekit"):
        exec("import coursekit.integrity", {"__builtins__": load("hygiene")["__builtins__"]})


@pytest.mark.parametrize("module", MODULES)
def test_a_kernel_module_imports_only_the_standard_library(module: str) -> None:
    tree = ast.parse(in_kernel.module_source(module))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None, "a relative import"
            imported.add(node.module.split(".")[0])
    assert "builtins" in imported  # the builtins it calls, from their module
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


@pytest.mark.parametrize("module", MODULES)
def test_a_kernel_module_defines_only_functions_at_its_top_level(module: str) -> None:
    # Anything else would run in the kernel when the module is sent, before any call.
    tree = ast.parse(in_kernel.module_source(module))
    docstring, future, *rest = tree.body
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    assert isinstance(future, ast.ImportFrom) and future.module == "__future__"
    assert rest and all(isinstance(node, ast.FunctionDef) for node in rest)
    assert {node.name for node in rest} <= set(load(module))


def test_fingerprint_describes_an_object_as_the_graders_table_does() -> None:
    fingerprint = load("provenance")["fingerprint"]
    assert fingerprint(len) == ("builtins", "builtin_function_or_method", "builtins", "len")
    assert fingerprint(len) == fingerprints.library_fingerprints()["builtins.len"]

    class Unreadable:
        def __getattribute__(self, name: str) -> object:
            raise RuntimeError(name)

    assert fingerprint(Unreadable()) == ("unreadable", "RuntimeError", "", "")


def fake_library() -> types.ModuleType:
    library = types.ModuleType("fakelib")
    exec("def scale(x):\n    return 2 * x", vars(library))
    return library


def test_replaced_names_finds_nothing_in_an_honest_notebook() -> None:
    replaced_names = load("provenance")["replaced_names"]
    notebook = as_notebook(
        "import math\nall = [True]\ndef mine(x):\n    return x", fakelib=fake_library()
    )
    assert replaced_names(notebook, *provenance_arguments(["all", "len"])) == []


def test_replaced_names_finds_a_replaced_function_and_a_hidden_builtin() -> None:
    replaced_names = load("provenance")["replaced_names"]
    notebook = as_notebook(
        "def scale(x):\n    return 0\n\nfakelib.scale = scale\nlen = bool", fakelib=fake_library()
    )
    assert replaced_names(notebook, *provenance_arguments(["len"])) == [
        "fakelib.scale",
        "len, which the tests call (the notebook bound it to builtins.bool)",
    ]
    # a builtin the tests do not call is the code scan's to flag
    assert replaced_names(notebook, *provenance_arguments(["all"])) == ["fakelib.scale"]


RIGGED = """
class AlwaysEqualK(float):
    def __eq__(self, other):
        return True

class HonestK:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return self.x == other.x

    def __sub__(self, other):
        return NotImplemented if not isinstance(other, HonestK) else self.x - other.x

answer, expected = AlwaysEqualK(1.0), HonestK(2)
"""


def test_rigged_classes_finds_a_class_that_equals_anything_and_spares_an_honest_one() -> None:
    gc.collect()
    rigged_classes = load("rigged")["rigged_classes"]
    notebook = as_notebook(RIGGED)
    assert names_in(rigged_classes(notebook, "Cstranger"), RIGGED) == ["AlwaysEqualK.__eq__"]


# Ordinary Python a correct answer may hold (issue 15): none of it is a rigged comparison.
HONEST_IDIOMS = {
    "state_dict": """
class PersonK:
    def __init__(self, name, age):
        self.name, self.age = name, age
    def __eq__(self, other):
        return self.__dict__ == other.__dict__
    def __ne__(self, other):
        return not self == other
answer = PersonK("Ada", 36)
""",
    "empty_state_dict": """
class EmptyK:
    def __eq__(self, other):
        return vars(self) == vars(other)
answer = EmptyK()
""",
    "attribute_wise": """
class PointK:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)
    def __hash__(self):
        return hash((self.x, self.y))
answer = PointK(1, 2)
""",
    "type_checked": """
class MoneyK:
    def __init__(self, cents):
        self.cents = cents
    def __eq__(self, other):
        return isinstance(other, MoneyK) and self.cents == other.cents
    def __add__(self, other):
        if not isinstance(other, MoneyK):
            return NotImplemented
        return MoneyK(self.cents + other.cents)
answer = MoneyK(5)
""",
    "dataclass_ordered": """
import dataclasses
@dataclasses.dataclass(order=True)
class VersionK:
    major: int
    minor: int
answer = VersionK(1, 2)
""",
    "total_ordering": """
import functools
@functools.total_ordering
class GradeK:
    def __init__(self, points):
        self.points = points
    def __eq__(self, other):
        return self.points == other.points
    def __lt__(self, other):
        return self.points < other.points
answer = GradeK(3)
""",
    "array_and_float": """
class SeriesK:
    def __init__(self, values):
        self.values = list(values)
    def __array__(self, dtype=None, copy=None):
        import numpy
        return numpy.asarray(self.values, dtype=dtype)
    def __float__(self):
        return float(sum(self.values))
    def __mul__(self, other):
        return SeriesK(v * float(other) for v in self.values)
answer = SeriesK([1.0, 2.0])
""",
    "numpy_subclass": """
import numpy as np
class MetresK(np.ndarray):
    def __new__(cls, values):
        return np.asarray(values, dtype=float).view(cls)
    def __array_finalize__(self, obj):
        self.unit = getattr(obj, "unit", "m")
    def __eq__(self, other):
        return np.ndarray.__eq__(self, other)
    def __add__(self, other):
        return np.add(self, other)
answer = MetresK([1.0, 2.0]) + 1
""",
    "torch_module": """
import torch
class LineK(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(2))
    def forward(self, x):
        return x @ self.weight
    def __eq__(self, other):
        return isinstance(other, LineK) and torch.equal(self.weight, other.weight)
    __hash__ = torch.nn.Module.__hash__
with torch.no_grad():
    answer = LineK()(torch.ones(3, 2))
""",
}

RIGGED_IDIOMS = {
    "always_equal": (
        "class YesK:\n    def __eq__(self, other):\n        return True",
        "YesK.__eq__",
    ),
    "never_unequal": (
        "class NoK:\n    def __ne__(self, other):\n        return False",
        "NoK.__ne__",
    ),
    "zero_difference": (
        "class ZeroK(float):\n    def __sub__(self, other):\n        return 0.0",
        "ZeroK.__sub__",
    ),
    "state_or_yes": (
        "class SlyK:\n    def __eq__(self, other):\n"
        "        return self.__dict__ == other.__dict__ or True",
        "SlyK.__eq__",
    ),
}


def names_in(found: list[str], source: str) -> list[str]:
    """The findings about the classes source defines (other tests' classes may still be alive)."""
    defined = {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)}
    return [name for name in found if name.split(".")[0] in defined]


@pytest.mark.parametrize("idiom", sorted(HONEST_IDIOMS))
def test_an_honest_idiom_is_not_a_rigged_comparison(idiom: str) -> None:
    gc.collect()
    source = HONEST_IDIOMS[idiom]
    assert (
        names_in(load("rigged")["rigged_classes"](as_notebook(source), "Cstranger"), source) == []
    )


@pytest.mark.parametrize("idiom", sorted(RIGGED_IDIOMS))
def test_a_rigged_idiom_is_found(idiom: str) -> None:
    gc.collect()
    source, expected = RIGGED_IDIOMS[idiom]
    found = load("rigged")["rigged_classes"](as_notebook(source), "Cstranger")
    assert names_in(found, source) == [expected]


def test_call_code_runs_a_probe_whatever_the_notebook_rebound() -> None:
    # `from numpy import *` rebinds bool, all, ...; a student may rebind anything else.
    gc.collect()
    notebook = as_notebook(
        RIGGED + "bool = id = type = sorted = globals = exec = compile = lambda *a, **k: None"
    )
    before = set(notebook)
    exec(in_kernel.call_code("rigged", "rigged_classes", ["Cstranger"], "found"), notebook)
    assert set(notebook) - before == {"found"}  # the module's names never reach the notebook
    assert names_in(notebook["found"], RIGGED) == ["AlwaysEqualK.__eq__"]


def test_call_code_takes_only_plain_literals() -> None:
    with pytest.raises(TypeError, match="plain literals"):
        in_kernel.call_code("hygiene", "install_hygiene", [frozenset({"a"}), PLACEHOLDER])


def test_the_hygiene_forgets_a_test_cell_and_keeps_the_others() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    test = "assert 1 + 1 == 2  # SECRET of the test"
    callbacks = {event: list(hooks) for event, hooks in shell.events.callbacks.items()}
    names = set(shell.user_ns)
    try:
        installed = shell.run_cell(hygiene_code([source_digest(test)]), silent=True)
        assert installed.success, installed.error_in_exec
        assert set(shell.user_ns) == names  # silent, and nothing left in the namespace
        shell.run_cell("student = 1", store_history=True)
        shell.run_cell(test, store_history=True)
        assert "SECRET" not in str(shell.user_ns["In"])
        assert PLACEHOLDER in shell.user_ns["In"] and "student = 1" in shell.user_ns["In"]
        assert shell.last_execution_result.info.raw_cell == PLACEHOLDER
    finally:  # the shell is this process's: take the callbacks out again
        for event, hooks in shell.events.callbacks.items():
            hooks[:] = callbacks[event]


def without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef) and ast.get_docstring(node):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


@pytest.mark.parametrize("module", MODULES)
def test_the_kernel_receives_the_modules_code_without_its_docstrings(module: str) -> None:
    sent = in_kernel.sent_source(module)
    assert len(sent) < len(in_kernel.module_source(module))
    assert ast.dump(ast.parse(sent)) == without_docstrings(in_kernel.module_source(module))


def test_the_probe_cell_fits_in_one_copied_zmq_frame() -> None:
    # The kernel echoes the cell's code on iopub; pyzmq sends a larger frame without copying,
    # which starts a thread: a kernel at its process cap (a fork bomb) cannot, and its messages
    # break with the probes' verdict (tests/attacks/fork_bomb).
    import zmq

    found = probe_sources(uses_numpy=True, called=["abs", "all", "len", "max", "sum", "zip"])
    source = probe_cell_source([(token, body) for _, token, body, _ in found], "marker")
    assert len(json.dumps({"code": source})) < zmq.COPY_THRESHOLD
