"""The grading kernel forgets each test cell's source once it has run.

nbgrader runs the hidden tests in the student's kernel, and IPython keeps what it ran: the
input history (`In`, `_ih`, `_i`, `_ii`, `_iii`, `_iN`, `%history` and its database), the
source lines it caches for tracebacks (`linecache`), the last execution result
(`get_ipython().last_execution_result.info.raw_cell`), the last traceback as text and as
frames (`sys.last_traceback`, whose code objects hold the test's strings). Any student cell
that runs after a test can read them and print them, encoded so that no output line quotes a
hidden test as written, into the feedback the student reads before the deadline.

`hygiene_code` is the kernel-side code (coursekit.integrity.in_kernel.hygiene) that
`ContainedExecute` runs silently before the notebook's first cell (nothing in the history, no
execution count, no name left in the notebook's namespace). It registers IPython callbacks ahead
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
(coursekit.integrity.suspicion) flags those, the verdict checks (coursekit.integrity.verdict_arming
and verdict_judging) catch what they change, and docs/security.md lists them as not protected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.integrity import in_kernel

# What the history holds in place of a test cell's source.
PLACEHOLDER = "# (a graded test cell: the grading kernel does not keep its source)"


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
    return in_kernel.call_code("hygiene", "install_hygiene", [sorted(digests), PLACEHOLDER])
