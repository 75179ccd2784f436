"""What the builtins and NumPy's functions are in an untouched interpreter: the grader's own.

A student's code can put one built-in function in the place of another (`builtins.all =
bool`, `len = bool` in the notebook's globals): no function of the notebook's own is left
behind, so a check for notebook-defined replacements sees nothing, and `all(generator)` is
True whatever the generator yields. The verdict checks' provenance probe
(coursekit.integrity.in_kernel.provenance) therefore compares each name with what it is in
the grader's process, which ran no student code: the type, the module and the qualified name of
the object bound to it.

`fingerprint` (coursekit.integrity.in_kernel.provenance) is one piece of code, run in both
processes, so that both sides describe an object the same way.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from collections.abc import Iterable, Mapping

from coursekit.integrity.in_kernel.provenance import fingerprint  # the kernel's own code

# The modules whose functions the tests lean on and whose names the probe checks. NumPy's are
# checked only where the kernel imported them (the probe imports nothing).
MODULES = ("builtins", "numpy", "numpy.linalg", "numpy.testing")
# Builtins that IPython's kernel replaces by design (ipykernel's input reads from the
# frontend): measured in a grading kernel against a plain interpreter; display, get_ipython,
# execfile and runfile are added (absent here, not compared), exit and quit move to the
# user's namespace.
KERNEL_REPLACED = frozenset({"input"})
# A global name of the notebook that hides a builtin the tests call is a rigging when it is
# bound to another built-in thing: a C function or type, a descriptor, a partial or an
# operator function (`len = bool`, `abs = functools.partial(min, 0)`): its kind is one of
# BUILTIN_KINDS, or its own module or (but for plain values of builtin types such as a list)
# its type's module is one of BUILTIN_HOMES. A function or class the student wrote is left
# to the code scan, which flags it with its line; a library's function (`from numpy import *`
# hides sum, all, abs, ...) and a plain value (`all = [True]`) are honest Python.
BUILTIN_KINDS = frozenset(
    {
        "builtin_function_or_method",
        "wrapper_descriptor",
        "method-wrapper",
        "method_descriptor",
        "classmethod_descriptor",
    }
)
BUILTIN_HOMES = frozenset({"builtins", "operator", "_operator", "functools", "_functools"})


@functools.cache
def library_fingerprints() -> Mapping[str, tuple[str, str, str, str]]:
    """'module.name' -> fingerprint, for every callable of MODULES in this process."""
    import importlib

    table = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for key, value in vars(module).items():
            if callable(value) and not (name == "builtins" and key in KERNEL_REPLACED):
                table[f"{name}.{key}"] = fingerprint(value)
    return table


@functools.cache
def library_versions() -> Mapping[str, str]:
    """Module -> the version its fingerprints were taken with: a kernel running another
    Python or NumPy than the grader's (a kernelspec of another environment) compares nothing
    for that module, rather than find every function 'replaced'."""
    import sys

    import numpy

    return {name: sys.version if name == "builtins" else numpy.__version__ for name in MODULES}


def builtins_called(sources: Iterable[str]) -> list[str]:
    """The builtin names these test sources read (and never assign)."""
    read: set[str] = set()
    written: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython syntax: every identifier counts as read
            read.update(re.findall(r"[A-Za-z_]\w*", source))
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (read if isinstance(node.ctx, ast.Load) else written).add(node.id)
    names = vars(builtins)
    return sorted(n for n in read - written if callable(names.get(n)) and n not in KERNEL_REPLACED)
