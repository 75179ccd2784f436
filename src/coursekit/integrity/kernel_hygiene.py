"""The grading kernel forgets each test cell's source once it has run.

nbgrader runs the hidden tests in the student's kernel, and IPython keeps what it ran: the
input history (`In`, `_ih`, `_i`, `_ii`, `_iii`, `_iN`, `%history` and its database), the
source lines it caches for tracebacks (`linecache`), the last execution result
(`get_ipython().last_execution_result.info.raw_cell`), the last traceback as text and as
frames (`sys.last_traceback`, whose code objects hold the test's strings). Any student cell
that runs after a test can read them and print them, encoded so that no output line quotes a
hidden test as written, into the feedback the student reads before the deadline.

`hygiene_code` is kernel-side code that `ContainedExecute` runs silently before the notebook's
first cell (nothing in the history, no execution count). It registers IPython callbacks ahead
of any the student's code can add:

- `pre_run_cell`: if the cell about to run is one of the notebook's tests (known by the SHA-256
  of its source, sent by the grader; the sources themselves are never sent), the cell's source
  in the execution info is replaced before any later callback sees it. Every cell also drops
  the text of the previous cell's traceback, which ipykernel has sent in its reply by then.
- `post_run_cell`: after a test cell, the history entries and traceback line-cache entries it
  added are replaced or removed, and its traceback's frames are let go.

- after every cell: hooks that cell's code added to how the kernel runs cells are detached
  again, so that none of them sees, rewrites or judges a later cell: IPython event callbacks,
  input and AST transformers, `set_custom_exc` and shell methods replaced on the instance,
  `sys.settrace` and `sys.setprofile` (and threading's). Only the student's own: a callable
  from a library (matplotlib's inline backend, `%load_ext autoreload`) stays.

This defeats code that reads what the kernel remembers, however it encodes what it prints,
and the IPython-level hooks a student could use to rewrite, skip or read the tests. It does not
defeat code that patches IPython's or ipykernel's classes, a thread that re-installs a hook
between cells, or an audit hook (which cannot be removed): the code scan
(coursekit.integrity.suspicion)
flags those, the verdict checks (coursekit.integrity.verdicts) catch what they change, and the
README
lists them as not protected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from nbformat import NotebookNode

from coursekit.core import cells

# What the history holds in place of a test cell's source.
PLACEHOLDER = "# (a graded test cell: the grading kernel does not keep its source)"

# Kernel-side: one function, called once, leaving nothing in the user's namespace but its
# callbacks in IPython's event lists. {digests}: the tests' SHA-256 digests.
HYGIENE = """
def _coursekit_hygiene(test_digests):
    # The callbacks close over these, not the user's globals: `id = 5` or `from numpy
    # import *` in a student's cell must not change what they call.
    from builtins import (
        Exception, all, frozenset, getattr, hasattr, id, isinstance, len, list, range, set, str,
    )
    import hashlib, linecache, sys

    shell = get_ipython()
    history = shell.history_manager
    placeholder = {placeholder!r}
    seen = {{"test": False, "count": None, "parsed": 0, "raw": 0, "lines": ()}}

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
        for entries, start in ((history.input_hist_parsed, seen["parsed"]),
                               (history.input_hist_raw, seen["raw"])):
            for index in range(start, len(entries)):
                entries[index] = placeholder
        history._i00 = placeholder
        count = seen["count"]
        shell.user_ns[f"_i{{count}}"] = placeholder
        for kept in ("exceptions", "outputs"):  # IPython 9 keeps tracebacks and outputs too
            getattr(history, kept, {{}}).pop(count, None)
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
        manager.cleanup_transforms, manager.line_transforms, manager.token_transformers,
        shell.input_transformers_post, shell.ast_transformers,
    ]
    overridable = (
        "CustomTB", "showtraceback", "_showtraceback", "showsyntaxerror", "run_cell",
        "run_cell_async", "run_code", "run_ast_nodes", "transform_cell", "transform_ast",
        "should_run_async",
    )
    baseline_shell = {{name: shell.__dict__.get(name) for name in overridable}}
    baseline_exceptions = shell.custom_exceptions
    tracers = [(sys.gettrace, sys.settrace), (sys.getprofile, sys.setprofile)]
    import threading
    if hasattr(threading, "gettrace"):
        tracers += [(threading.gettrace, threading.settrace),
                    (threading.getprofile, threading.setprofile)]
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


_coursekit_hygiene(frozenset({digests!r}))
del _coursekit_hygiene
"""


def source_digest(source: str) -> str:
    """The SHA-256 of a cell's source as the kernel receives it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def digests_of_tests(nb: NotebookNode) -> list[str]:
    """The digests of the notebook's autograded test cells, as they are about to run."""
    return sorted(
        {source_digest(cells.cell_source(c)) for c in nb.cells if cells.is_autograded_test(c)}
    )


def hygiene_code(digests: Iterable[str]) -> str:
    """Kernel code registering the callbacks that forget the tests with these digests."""
    return HYGIENE.format(placeholder=PLACEHOLDER, digests=sorted(digests)).lstrip("\n")
