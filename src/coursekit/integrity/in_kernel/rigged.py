"""Kernel-side: the verdict checks' rigged-comparison probe, run after the notebook's last cell
in its kernel (coursekit.integrity.verdict_arming puts it there).

A class the notebook defined whose __eq__ says yes (or __ne__ says no) to a fresh object of a
class it cannot know is rigged, the way `__eq__ = lambda self, other: True` passes `assert answer
== expected`; so is one whose ordering or arithmetic gives any answer at all for that stranger, the
way `__sub__` that returns 0 passes `abs(answer - expected) < tol`. Called on an instance made
without __init__: an honest method uses fields it then lacks (an AttributeError), converts the
stranger (a TypeError), returns NotImplemented, as dataclasses do, or compares its state with
the stranger's, which holds a fresh object of its own. The classes: those its
globals name or hold instances of, and every live class the notebook made (object's subclasses,
walked), so that one built inside a function is found too.
"""

# Builtins imported from `builtins` on purpose: the notebook's globals may rebind them
# (`from numpy import *` rebinds bool, all, ...).
# ruff: noqa: UP029

from __future__ import annotations


def rigged_classes(namespace: dict, stranger_name: str) -> list[str]:
    """'Class.method' for each comparison or arithmetic method of a class of the notebook (its
    globals: namespace) that answers an object of a fresh class, named stranger_name, sorted."""
    from builtins import (
        Exception,
        NotImplemented,
        bool,
        getattr,
        id,
        isinstance,
        list,
        object,
        set,
        sorted,
        type,
    )

    stranger = type(stranger_name, (), {})()
    # State no instance of the notebook's can share: an __eq__ that compares its own state with
    # the other's (`self.__dict__ == other.__dict__`) is honest, also on an instance made
    # without __init__, whose state is as empty as a bare stranger's would be.
    stranger.__dict__[stranger_name] = object()
    says = {"__eq__": True, "__ne__": False}
    operators = (
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__add__",
        "__radd__",
        "__sub__",
        "__rsub__",
        "__mul__",
        "__rmul__",
        "__truediv__",
        "__rtruediv__",
        "__floordiv__",
        "__rfloordiv__",
        "__mod__",
        "__rmod__",
        "__pow__",
        "__rpow__",
        "__matmul__",
        "__rmatmul__",
    )
    classes, stack = {}, [object]
    while stack:
        for sub in type.__subclasses__(stack.pop()):
            if id(sub) not in classes:
                classes[id(sub)] = sub
                stack.append(sub)
    for value in list(namespace.values()):
        for cls in [value] if isinstance(value, type) else [type(value)]:
            classes.setdefault(id(cls), cls)
    rigged = []
    for cls in classes.values():
        if getattr(cls, "__module__", None) != "__main__" or cls is type(None):
            continue
        for method in (*says, *operators):
            function = cls.__dict__.get(method)
            if function is None:
                continue
            me = None
            for make in (lambda: cls.__new__(cls), lambda: object.__new__(cls)):  # noqa: B023
                try:
                    me = make()  # an int subclass needs int.__new__, a plain class object's
                    break
                except Exception:
                    continue
            try:
                answer = function(me, stranger)
            except Exception:
                continue
            if answer is NotImplemented:
                continue
            if method not in says or bool(answer) is says[method]:
                rigged.append(cls.__qualname__ + "." + method)
    return sorted(set(rigged))
