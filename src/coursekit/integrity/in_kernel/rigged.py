"""Kernel-side: the verdict checks' rigged-comparison probe, run after the notebook's last cell
in its kernel, and its watch, run at the end of each test cell (coursekit.integrity.verdict_arming
puts both there).

A class the notebook defined whose __eq__ says yes (or __ne__ says no) to a fresh object of a
class it cannot know is rigged, the way `__eq__ = lambda self, other: True` passes `assert answer
== expected`; so is one whose ordering or arithmetic gives any answer at all for that stranger, the
way `__sub__` that returns 0 passes `abs(answer - expected) < tol`. Called on an instance made
without __init__: an honest method uses fields it then lacks (an AttributeError), converts the
stranger (a TypeError), returns NotImplemented, as dataclasses do, or compares its state with
the stranger's, which holds a fresh object of its own. The classes: those its
globals name or hold instances of, and every live class the notebook made (object's subclasses,
walked), so that one built inside a function is found too.

The watch says which tests a rigged class concerns. At the end of each test it wraps each rigged
method it finds for the first time in a counter (the class behaves as before) and prints, after a
marker only the grader knows, the rigged methods the test called (their counters moved since the
last test's end) and those it found for the first time (they may have run unwatched): a test
that used none of them keeps its verdict when the probe later finds the class.
"""

# Builtins imported from `builtins` on purpose: the notebook's globals may rebind them
# (`from numpy import *` rebinds bool, all, ...).
# ruff: noqa: UP029

from __future__ import annotations


def rigged_methods(namespace: dict, stranger_name: str, known: dict) -> list:
    """(class, method name, the method) for each comparison or arithmetic method of a class of
    the notebook (its globals: namespace) that answers an object of a fresh class named
    stranger_name; methods whose id is in known are not called again."""
    from builtins import (
        Exception,
        NotImplemented,
        bool,
        getattr,
        id,
        isinstance,
        list,
        object,
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
            if id(function) in known:
                rigged.append((cls, method, function))
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
                rigged.append((cls, method, function))
    return rigged


def rigged_classes(namespace: dict, stranger_name: str) -> list[str]:
    """'Class.method' for each rigged method of a class of the notebook (rigged_methods), sorted."""
    from builtins import set, sorted

    found = rigged_methods(namespace, stranger_name, {})
    return sorted(set(cls.__qualname__ + "." + method for cls, method, _ in found))


def counted(function: object, key: str, counts: dict) -> object:
    """function, counting its calls in counts[key]."""

    def call(*args: object, **kwargs: object) -> object:
        counts[key] = counts.get(key, 0) + 1
        return function(*args, **kwargs)

    return call


def watch_rigged(namespace: dict, stranger_name: str, registry_name: str, marker: str) -> None:
    """Wrap each rigged method found for the first time in a counter; at a test's end (marker
    given), print marker and the rigged methods the test concerns: those called since the last
    watch, those found for the first time (they may have run unwatched), '?' if the watch
    failed. Run before a test too (marker ''), the watch prints nothing and the test's end
    then names only what the test itself called or made. The counters live in the notebook's
    namespace under registry_name."""
    from builtins import BaseException, callable, dict, isinstance, print, set, sorted, type
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO
    from types import FunctionType

    registry = namespace.get(registry_name)
    if not isinstance(registry, dict):
        registry = {"known": {}, "counts": {}, "seen": {}, "unwatched": set()}
        namespace[registry_name] = registry
    known, counts = registry["known"], registry["counts"]
    concerned = set(registry["unwatched"])
    try:
        # An honest class's method may print or warn when called on a bare instance: not here.
        with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
            found = rigged_methods(namespace, stranger_name, known)
        for key, calls in counts.items():
            if calls > registry["seen"].get(key, 0):
                concerned.add(key)
        registry["seen"] = dict(counts)
        for cls, method, function in found:
            if id(function) in known:
                continue
            key = cls.__qualname__ + "." + method
            concerned.add(key)
            if type(function) is not FunctionType or not callable(function):
                registry["unwatched"].add(key)  # a descriptor: every later test is concerned
                continue
            wrapper = counted(function, key, counts)
            try:
                type.__setattr__(cls, method, wrapper)
            except BaseException:
                registry["unwatched"].add(key)
                continue
            known[id(wrapper)] = key
    except BaseException:
        concerned.add("?")
    if concerned and marker:
        print(marker + " " + ",".join(sorted(concerned)) + "\n", end="")
