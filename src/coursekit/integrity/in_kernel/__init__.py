"""Code that runs inside the student's kernel, kept as real modules that ruff and the tests read.

The kernel may run another environment than the grader's, one without coursekit, so the
kernel never imports these modules: each is sent as text and run there. A module here therefore
imports nothing from coursekit, only the standard library, and defines nothing at its top level
but functions (and the imports their annotations need); its functions take the notebook's
namespace and plain values, and take the builtins they call from the `builtins` module, not from
the notebook's globals (`id = 5` or `from numpy import *` in a student's cell rebinds some).

This package's own `__init__` runs in the grader only: `call_code` writes the few lines a cell
runs to define one module's functions apart from the notebook's namespace (none of their names
reach it), call one of them with the notebook's globals and literal arguments, and forget them.
"""

from __future__ import annotations

import ast
import functools
import secrets
from collections.abc import Sequence
from importlib import resources

# Arguments travel as repr literals: values the kernel reads without looking up any name.
LITERAL_TYPES = (str, int, float, bool, type(None))


def module_source(module: str) -> str:
    """The text of in_kernel/<module>.py, as the kernel receives it."""
    return resources.files(__name__).joinpath(f"{module}.py").read_text(encoding="utf-8")


@functools.cache
def sent_source(module: str) -> str:
    """The module's code as the kernel receives it: without docstrings and comments.

    Kept small for the probe cell, whose code the kernel echoes on its iopub socket: pyzmq sends
    a frame over 64 KiB (zmq.COPY_THRESHOLD) without copying it, which starts its garbage
    collector thread, and a kernel at its process cap (a fork bomb) cannot start one: its
    messages break, and the probes with them.
    """
    tree = ast.parse(module_source(module))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef) and body and ast.get_docstring(node):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree) + "\n"


def private_name() -> str:
    """A name for the kernel's user namespace that no student's code can guess."""
    return f"_coursekit_{secrets.token_hex(4)}"


def is_literal(value: object) -> bool:
    """Whether repr(value) is a literal the kernel evaluates without any name (not a set, whose
    repr may be `set()`, nor a frozenset)."""
    if isinstance(value, LITERAL_TYPES):
        return True
    if isinstance(value, list | tuple):
        return all(is_literal(item) for item in value)
    if isinstance(value, dict):
        return all(is_literal(k) and is_literal(v) for k, v in value.items())
    return False


def call_code(module: str, function: str, args: Sequence[object], result: str | None = None) -> str:
    """Kernel code calling module.function(the notebook's globals, *args); result: the name of
    the notebook's namespace that keeps what it returns (None: nothing is kept)."""
    if not all(is_literal(arg) for arg in args):
        raise TypeError(f"{module}.{function}: arguments must be plain literals, got {args!r}")
    builtins, space = private_name(), private_name()
    source = sent_source(module)
    arguments = ", ".join([f"{builtins}.globals()", *(repr(arg) for arg in args)])
    code = f"{builtins}.compile({source!r}, {f'<coursekit {module}>'!r}, 'exec', dont_inherit=True)"
    return (
        # The import statement and `builtins.`: no name the notebook may have rebound.
        f"import builtins as {builtins}\n"
        f"{space} = {{'__name__': {f'coursekit_in_kernel.{module}'!r}}}\n"
        f"{builtins}.exec({code}, {space})\n"
        f"{f'{result} = ' if result else ''}{space}[{function!r}]({arguments})\n"
        f"del {builtins}, {space}\n"
    )
