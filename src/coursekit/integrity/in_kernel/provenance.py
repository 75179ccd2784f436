"""Kernel-side: the verdict checks' provenance probe, run after the notebook's last cell in its
kernel (coursekit.integrity.verdict_arming puts it there, with the grader's data).

Every function found on a module the notebook imported (one level of its submodules, and the
classes of its own package), and on builtins, must come from that library, not from the notebook
(`__module__ == "__main__"`): this is what `np.allclose = lambda ...`, `keras.Model.count_params
= ...` or `builtins.abs = ...` leave behind, whatever the tests later call. Builtins and NumPy's
names are also compared with the grader's untouched interpreter (coursekit.integrity.fingerprints):
a built-in put in the place of another leaves no function of the notebook's behind.

`fingerprint` describes an object the same way in both processes: the grader imports this module
to take its own interpreter's fingerprints.
"""

# Builtins imported from `builtins` on purpose: the notebook's globals may rebind them
# (`from numpy import *` rebinds bool, all, ...).
# ruff: noqa: UP029

from __future__ import annotations


def fingerprint(value: object) -> tuple[str, str, str, str]:
    """(type's module, type's name, module, qualified name) of value."""
    from builtins import Exception, getattr, str, type

    try:
        return (
            type(value).__module__,
            type(value).__qualname__,
            str(getattr(value, "__module__", "")),
            str(getattr(value, "__qualname__", "")),
        )
    except Exception as error:  # an object whose attributes raise is not the original
        return ("unreadable", type(error).__name__, "", "")


def replaced_names(
    namespace: dict,
    expected: dict[str, tuple[str, str, str, str]],
    versions: dict[str, str],
    modules: list[str],
    called: list[str],
    kinds: list[str],
    homes: list[str],
    type_homes: list[str],
) -> list[str]:
    """What the notebook (its globals: namespace) replaced of its libraries and builtins, sorted.

    expected: 'module.name' -> the grader's fingerprint, taken with versions[module] of modules;
    called: the builtins the tests call, which a global of the notebook must not hide with
    another built-in thing (its fingerprint's kind in kinds, its type's module in type_homes or
    its module in homes)."""
    import builtins
    import sys
    import types
    import warnings
    from builtins import Exception, getattr, isinstance, list, set, sorted, str, type, vars

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading deprecated attributes warns
        roots = {id(builtins): ("builtins", builtins)}
        for name, value in list(namespace.items()):
            if isinstance(value, types.ModuleType) and value.__name__ != "__main__":
                roots.setdefault(id(value), (name, value))
        changed = set()
        for label, module in roots.values():
            try:
                package = module.__name__.split(".")[0]
                owners = [(label, module)] + [
                    (label + "." + k, v)
                    for k, v in list(vars(module).items())
                    if isinstance(v, types.ModuleType) and v.__name__.split(".")[0] == package
                ]
                for where, owner in owners:
                    for key, value in list(vars(owner).items()):
                        places = [(where + "." + key, value)]
                        home = value.__dict__.get("__module__") if isinstance(value, type) else None
                        if str(home).split(".")[0] == package:
                            places += [(f"{where}.{key}.{k}", v) for k, v in vars(value).items()]
                        for place, item in places:
                            if isinstance(item, (staticmethod, classmethod, types.MethodType)):
                                item = item.__func__
                            elif isinstance(item, property):
                                item = item.fget
                            if (
                                isinstance(item, types.FunctionType)
                                and item.__module__ == "__main__"
                            ):
                                changed.add(place)
            except Exception:
                continue  # an odd module is not evidence: the other probes still run
        for label in modules:
            module = builtins if label == "builtins" else sys.modules.get(label)
            version = (
                sys.version
                if label == "builtins"
                else getattr(sys.modules.get("numpy"), "__version__", None)
            )
            if version != versions[label]:
                continue  # another interpreter or NumPy than the grader's: nothing to compare
            for key, value in list(vars(module).items()) if module is not None else ():
                want = expected.get(label + "." + key)
                if want is not None and fingerprint(value) != want:
                    changed.add(
                        label + "." + key + " (now " + ".".join(fingerprint(value)[2:]) + ")"
                    )
        for name in called if sys.version == versions["builtins"] else ():
            if name not in namespace:
                continue
            now = fingerprint(namespace[name])
            if now != expected.get("builtins." + name) and (
                now[1] in kinds or now[0] in type_homes or now[2] in homes
            ):
                changed.add(
                    name
                    + ", which the tests call (the notebook bound it to "
                    + ".".join(now[2:])
                    + ")"
                )
        return sorted(changed)
