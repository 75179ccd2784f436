"""The grading kernel forgets each test cell's source once it has run.

nbgrader runs the hidden tests in the student's kernel, and IPython keeps what it ran: the
input history (`In`, `_ih`, `_i`, `_ii`, `_iii`, `_iN`, `%history` and its database), the
source lines it caches for tracebacks (`linecache`), the last execution result
(`get_ipython().last_execution_result.info.raw_cell`), the last traceback as text and as
frames (`sys.last_traceback`, whose code objects hold the test's strings). Any student cell
that runs after a test can read them and print them, encoded so that no output line quotes a
hidden test as written, into the feedback the student reads before the deadline.

`hygiene_code` is kernel-side code that `ContainedExecute` runs silently before the notebook's
first cell (nothing in the history, no execution count). It registers two IPython callbacks
ahead of any the student's code can add:

- `pre_run_cell`: if the cell about to run is one of the notebook's tests (known by the SHA-256
  of its source, sent by the grader; the sources themselves are never sent), the cell's source
  in the execution info is replaced before any later callback sees it. Every cell also drops
  the text of the previous cell's traceback, which ipykernel has sent in its reply by then.
- `post_run_cell`: after a test cell, the history entries and traceback line-cache entries it
  added are replaced or removed, and its traceback's frames are let go.

This defeats code that reads what the kernel remembers, however it encodes what it prints.
It does not defeat code that hooks the interpreter before a test runs (an input transformer
sees the source it transforms; an audit hook sees code objects): those are flagged by the
code scan (coursekit.suspicion) and are listed as not protected in the README.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from nbformat import NotebookNode

from coursekit import cells

# What the history holds in place of a test cell's source.
PLACEHOLDER = "# (a graded test cell: the grading kernel does not keep its source)"

# Kernel-side: one function, called once, leaving nothing in the user's namespace but the
# two callbacks in IPython's event lists. {digests}: the tests' SHA-256 digests.
HYGIENE = """
def _coursekit_hygiene(test_digests):
    # The callbacks close over these, not the user's globals: `id = 5` or `from numpy
    # import *` in a student's cell must not change what they call.
    from builtins import Exception, frozenset, getattr, hasattr, id, len, range, set
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
        seen["count"] = shell.execution_count - 1  # IPython counted this cell already
        seen["parsed"] = len(history.input_hist_parsed)
        seen["raw"] = len(history.input_hist_raw)
        seen["lines"] = frozenset(linecache.cache)
        if seen["test"]:
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

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)


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
