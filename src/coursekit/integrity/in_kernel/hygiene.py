"""Kernel-side: the grading kernel forgets each test cell's source once it has run, and
detaches the hooks a student's cell added after that cell.

Run once, silently, before the notebook's first cell (coursekit.integrity.kernel_hygiene says
what and why). It leaves nothing in the notebook's namespace: only its callbacks in IPython's
event lists, registered ahead of any the student's code can add.
"""

# Builtins imported from `builtins` on purpose (the notebook's globals may rebind them), and
# try/except rather than contextlib.suppress (a student's cell can patch a module, not a statement).
# ruff: noqa: SIM105, UP029

from __future__ import annotations


def install_hygiene(namespace: dict, test_digests: list[str], placeholder: str) -> None:
    """Register the callbacks that forget the tests with these SHA-256 digests and detach the
    hooks each later cell adds (namespace: the notebook's globals, where IPython put
    get_ipython)."""
    # The callbacks close over these, not the user's globals: `id = 5` or `from numpy
    # import *` in a student's cell must not change what they call.
    import hashlib
    import linecache
    import sys
    from builtins import (
        Exception,
        all,
        frozenset,
        getattr,
        hasattr,
        id,
        isinstance,
        len,
        list,
        range,
        set,
        str,
    )

    test_digests = frozenset(test_digests)
    shell = namespace["get_ipython"]()
    history = shell.history_manager
    seen = {"test": False, "count": None, "parsed": 0, "raw": 0, "lines": ()}

    def is_test(source):
        return hashlib.sha256(source.encode("utf-8")).hexdigest() in test_digests

    def before(info):
        try:
            forget_before(info)
        except Exception:
            pass  # never a traceback in the student's cell or a test: the cell runs as ever

    def after(result):
        try:
            forget_after(result)
        except Exception:
            pass

    def forget_before(info):
        shell._last_traceback = None  # the previous cell's, sent with its reply already
        seen["test"] = is_test(info.raw_cell or "")
        if seen["test"]:  # where its traces will begin, to forget them after it
            seen["count"] = shell.execution_count - 1  # IPython counted this cell already
            seen["parsed"] = len(history.input_hist_parsed)
            seen["raw"] = len(history.input_hist_raw)
            seen["lines"] = frozenset(linecache.cache)
            info.raw_cell = placeholder
            if getattr(info, "transformed_cell", None) is not None:
                info.transformed_cell = placeholder

    def forget_after(result):
        if not seen["test"]:
            return
        seen["test"] = False
        info = getattr(result, "info", None)
        if info is not None:
            info.raw_cell = placeholder
            if getattr(info, "transformed_cell", None) is not None:
                info.transformed_cell = placeholder
        for entries, start in (
            (history.input_hist_parsed, seen["parsed"]),
            (history.input_hist_raw, seen["raw"]),
        ):
            for index in range(start, len(entries)):
                entries[index] = placeholder
        history._i00 = placeholder
        count = seen["count"]
        shell.user_ns[f"_i{count}"] = placeholder
        for kept in ("exceptions", "outputs"):  # IPython 9 keeps tracebacks and outputs too
            getattr(history, kept, {}).pop(count, None)
        with history.db_input_cache_lock:
            history.db_input_cache[:] = [
                (line, placeholder, placeholder) if line == count else (line, source, raw)
                for line, source, raw in history.db_input_cache
            ]
        try:  # rows the saving thread wrote already (no database: nothing to do)
            with history.db:
                history.db.execute(
                    "UPDATE history SET source=?, source_raw=? WHERE session=? AND line=?",
                    (placeholder, placeholder, history.session_number, count),
                )
        except Exception:
            pass
        for name in set(linecache.cache) - seen["lines"]:
            linecache.cache.pop(name, None)
        error, released = getattr(result, "error_in_exec", None), set()
        while error is not None and id(error) not in released:
            released.add(id(error))
            error.__traceback__ = None  # its frames' code holds the test's strings
            error = error.__context__
        sys.last_traceback = None
        tracebacks = getattr(shell, "InteractiveTB", None)
        if tracebacks is not None and hasattr(tracebacks, "tb"):
            tracebacks.tb = None

    # What the kernel runs each cell with, as it is before any student code: hooks the
    # student's code adds afterwards are detached after the cell that added them.
    manager = shell.input_transformer_manager
    hook_lists = [
        *shell.events.callbacks.values(),
        manager.cleanup_transforms,
        manager.line_transforms,
        manager.token_transformers,
        shell.input_transformers_post,
        shell.ast_transformers,
    ]
    overridable = (
        "CustomTB",
        "showtraceback",
        "_showtraceback",
        "showsyntaxerror",
        "run_cell",
        "run_cell_async",
        "run_code",
        "run_ast_nodes",
        "transform_cell",
        "transform_ast",
        "should_run_async",
    )
    baseline_shell = {name: shell.__dict__.get(name) for name in overridable}
    baseline_exceptions = shell.custom_exceptions
    tracers = [(sys.gettrace, sys.settrace), (sys.getprofile, sys.setprofile)]
    import threading

    if hasattr(threading, "gettrace"):
        tracers += [
            (threading.gettrace, threading.settrace),
            (threading.getprofile, threading.setprofile),
        ]
    baseline_tracers = [(get, put, get()) for get, put in tracers]

    def students(hook):
        try:
            home = getattr(hook, "__module__", None)
        except Exception:  # an attribute that raises: nobody's library
            return True
        return not isinstance(home, str) or home == "__main__"

    def detach():
        for hooks, before_any in baseline_hooks:
            # By identity: list.remove compares with ==, which a student's object can rig.
            added = [h for h in hooks if all(h is not kept for kept in before_any)]
            if added:
                hooks[:] = [h for h in hooks if all(h is not a for a in added) or not students(h)]
        for name, kept in baseline_shell.items():
            if shell.__dict__.get(name) is not kept:
                if kept is None:
                    shell.__dict__.pop(name, None)
                else:
                    shell.__dict__[name] = kept
        shell.custom_exceptions = baseline_exceptions
        for get, put, kept in baseline_tracers:
            if get() is not kept:
                put(kept)

    def after_every_cell(result):
        try:
            detach()
        except Exception:
            pass

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    shell.events.register("post_run_cell", after_every_cell)
    baseline_hooks = [(hooks, list(hooks)) for hooks in hook_lists]  # ours among them
