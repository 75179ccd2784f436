"""Autograde's Execute step: a crash costs only the cell that crashed, stderr noise costs nothing.

Stock nbgrader (0.9.6) raises out of the whole notebook when the kernel dies (os._exit, a
signal, the out-of-memory killer) or when a timed-out cell ignores the interrupt: nbgrader
then writes no graded notebook and the student keeps no point, not even for the tests that
passed before. `ContainedExecute` records such a cell as an error with its reason (so it
scores 0), records every later grade cell as not run (0 for a test; a written answer still
needs a TA), and lets the rest of the autograde steps save what was earned.

It does not start a new kernel to go on after a crash. A fresh kernel lacks everything the
earlier cells defined, so later tests would fail with NameErrors that blame the student for
the crash twice over; going on faithfully would mean running every earlier cell again, which
doubles the grading time of the notebook for each crash, repeats side effects (files written,
time read) and can crash again. Stopping makes the result depend only on which cell crashed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float

from coursekit.core.types import KernelCrash
from coursekit.integrity import kernel_hygiene
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.verdicts import RESOURCES_KEY as VERDICTS_RESOURCES_KEY

if TYPE_CHECKING:
    from coursekit.core.course import Course

# The ename of the error output in the cell during which the kernel died.
KERNEL_DIED = "KernelDiedError"
# The ename of a timed-out cell: nbgrader's own (Execute.error_on_timeout), which
# `course report` already counts as a timeout.
TIMED_OUT = "CellTimeoutError"
# The ename of a grade cell never run because the kernel had died or was stopped before it.
NOT_RUN = "CellNotRunError"
# The enames that flag a notebook for a TA: its kernel died, or a cell outran the timeout.
CRASHES = (KERNEL_DIED, TIMED_OUT)
# How long a dead kernel's provisioner may take to reap it (it has exited: milliseconds).
REAP_SECONDS = 10
# How long a whole notebook may run (wall time, from its first cell): c.Execute.timeout bounds
# one cell, but fifty cells of a minute each would hold a worker for most of an hour. The
# slowest lecture 1 notebook takes about a minute on a loaded 2-core machine; 30 minutes is
# far beyond any honest one.
DEFAULT_NOTEBOOK_TIMEOUT_S = 1800.0
# Put before each line of stderr moved to stdout in a grade cell that raised no error.
STDERR_MARK = "[stderr] "


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output as a kernel sends it; any one of them makes nbgrader score its cell 0."""
    return NotebookNode(
        output_type="error",
        ename=ename,
        evalue=evalue,
        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


def describe_cell(cell: NotebookNode, index: int) -> str:
    """A cell as a person finds it: its position (from 1) and its grade_id if it has one."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1} ({grade_id})" if grade_id else f"cell {index + 1}"


def describe_exit(code: int | None, reason: str | None = None) -> str:
    """How a dead kernel ended: its exit code (negative: the signal that killed it), and why.

    reason is what the kernel's provisioner knows beyond the code ("out of memory" when the
    warm server saw its memory cgroup kill the kernel), or None.
    """
    if code is not None and code < 0:
        try:
            how = f"killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:  # a real-time signal has no name
            how = f"killed by signal {-code}"
    else:
        how = "it died" if code is None else f"it exited with code {code}"
    return f"{reason} ({how})" if reason else how


def keep_harmless_stderr(cell: NotebookNode) -> None:
    """Move a grade cell's stderr to marked stdout if the cell raised no error."""
    # nbgrader scores a grade cell 0 for any stderr output (utils.determine_grade), and
    # TensorFlow, absl and Python's warnings write there from correct solutions. What decides
    # a test is whether it raised, which is an error output: a cell with one is left alone,
    # so stderr can never turn a failed test into a pass, nor an error be hidden there (a
    # raised exception becomes an error output from the kernel's reply whatever was printed).
    # The text stays in the notebook and the feedback, marked, so nothing is hidden from the
    # student or a TA.
    if cell.cell_type != "code" or not nbgrader_utils.is_grade(cell):
        return
    if any(output.output_type == "error" for output in cell.outputs):
        return
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stderr":
            output.name = "stdout"
            output.text = "".join(STDERR_MARK + line for line in output.text.splitlines(True))


class ContainedExecute(Execute):
    """nbgrader's Execute, except that a dead or stuck kernel costs only the cell it happened in.

    Configured like Execute (c.Execute.timeout and the rest apply to it). Used by autograde
    (c.Autograde.autograde_preprocessors in nbgrader_config.py).
    """

    notebook_timeout = Float(
        DEFAULT_NOTEBOOK_TIMEOUT_S,
        allow_none=True,
        help="Seconds the whole notebook may run (checked before each cell; None: no limit).",
    ).tag(config=True)

    forget_test_sources = Bool(
        True,
        help="Whether the kernel forgets each test cell's source once it has run and detaches "
        "the hooks each student cell added (src/coursekit/integrity/kernel_hygiene.py): "
        "later student "
        "cells cannot read the hidden tests from IPython's history, line cache or last "
        "traceback, and no student hook sees, rewrites or judges a later cell.",
    ).tag(config=True)

    stopped: str | None = None  # why the kernel is gone: later grade cells are not run
    first_cell_started: float | None = None  # time.monotonic() of the first cell
    test_digests: tuple[str, ...] = ()  # the notebook's tests, for the kernel's hygiene

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, Any]:
        """Execute the notebook; after a crash, record the remaining grade cells as not run."""
        self.stopped = None
        self.first_cell_started = None
        self.test_digests = tuple(kernel_hygiene.digests_of_tests(nb))
        return super().preprocess(nb, resources, km)

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, index: int
    ) -> tuple[NotebookNode, Any]:
        """Execute one cell; a crash in it gives it an error and stops the cells after it."""
        if self.stopped is not None:
            if cell.cell_type == "code" and nbgrader_utils.is_grade(cell):
                cell.outputs = [error_output(NOT_RUN, f"not run: {self.stopped}")]
                cell.execution_count = None
            return cell, self.resources
        started = time.monotonic()
        if self.first_cell_started is None:
            self.first_cell_started = started
            if self.forget_test_sources and self.test_digests:
                run_sync(self._install_hygiene)()
        elif self._past_notebook_timeout(started) and cell.cell_type == "code":
            where = describe_cell(cell, index)
            self.stopped = (
                f"the notebook ran longer than its limit of {self.notebook_timeout:g} s "
                f"before {where}"
            )
            self.log.error("Execution stops: %s", self.stopped)
            if nbgrader_utils.is_grade(cell):
                cell.outputs = [error_output(TIMED_OUT, f"not run: {self.stopped}")]
                cell.execution_count = None
            return cell, self.resources
        try:
            self._before_test(index, resources)
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            how = run_sync(self._ended_kernel)()
            where = describe_cell(cell, index)
            what = f"the kernel died while this cell ran: {how}"
            self._give_up(cell, KERNEL_DIED, what, f"the kernel died in {where} ({how})")
        except CellTimeoutError:
            # nbclient interrupted the cell at the timeout and it did not stop (a loop that
            # ignores or catches KeyboardInterrupt, a blocked C call), or the cell ended but
            # its output did not (a flood still queued, a thread still printing): either way
            # the kernel is busy with no end in sight and cannot run the next cell.
            run_sync(self._stop_kernel)()
            timeout = self._get_timeout(cell)
            if timeout is not None and time.monotonic() - started >= timeout:
                what = f"the cell ran longer than {timeout} s and did not stop when interrupted"
            else:
                what = f"the cell's output did not end within {self.iopub_timeout} s of the cell"
            where = describe_cell(cell, index)
            stopped = f"the kernel was stopped in {where}, which did not end"
            self._give_up(cell, TIMED_OUT, f"{what}, so its kernel was stopped", stopped)
        else:
            keep_harmless_stderr(cell)
        return cell, self.resources

    def _before_test(self, index: int, resources: Any) -> None:
        """Before an armed test cell, run the verdict checks' watch silently (the rigged classes
        present when the test starts are watched, so that its end names only what it used)."""
        armed = (resources or {}).get(VERDICTS_RESOURCES_KEY)
        if armed is None or not armed.before_test:
            return
        if any(test.index == index for test in armed.cells):
            content = run_sync(self._run_silently)(armed.before_test)
            if content.get("status") != "ok":  # the test's end then names what it finds new
                self.log.info("The verdict watch before cell %d did not run: %s", index, content)

    async def _run_silently(self, code: str) -> dict:
        """Run code in the kernel with no history, no execution count, no output kept; its
        reply's content (bounded by c.Execute.timeout, as a cell)."""
        assert self.kc is not None
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = await self.async_wait_for_reply(msg_id)
        return (reply or {}).get("content", {})

    async def _install_hygiene(self) -> None:
        """Run the kernel-side hygiene silently (no history, no execution count), once."""
        content = await self._run_silently(kernel_hygiene.hygiene_code(self.test_digests))
        if content.get("status") != "ok":
            # Said loudly, not silently skipped: the hidden tests stay readable in the kernel.
            self.log.error(
                "The kernel did not take coursekit's hygiene (%s: %s): later cells can read "
                "the tests' source from its history",
                content.get("ename", "no reply"),
                content.get("evalue", ""),
            )

    def _past_notebook_timeout(self, now: float) -> bool:
        """Whether the notebook has run past notebook_timeout since its first cell."""
        if self.notebook_timeout is None or self.first_cell_started is None:
            return False
        return now - self.first_cell_started > self.notebook_timeout

    def _give_up(self, cell: NotebookNode, ename: str, what: str, stopped: str) -> None:
        """Score this cell 0 saying what happened; the grade cells after it: not run (stopped)."""
        self.log.error("Execution stops: %s", stopped)
        # First: nbgrader's determine_grade decides on the first output that is an error,
        # stderr or an execute_result; nothing that reached the cell before the crash may
        # decide its score.
        cell.outputs.insert(
            0,
            error_output(
                ename, f"{what}. The cell scores 0; the grade cells after it were not run."
            ),
        )
        self.stopped = stopped

    def on_cell_executed(self, **kwargs: Any) -> None:
        """nbgrader's hook (records an error the kernel did not send), with clearer timeouts."""
        reply = kwargs["execute_reply"]
        content = reply["content"]
        if content.get("status") == "error" and content.get("ename") == self.error_on_timeout.get(
            "ename"
        ):
            # nbclient answers for a timed-out cell it interrupted with this stock reply
            # ("No reply from kernel before timeout"): say what happened, and after how long.
            evalue = (
                f"the cell ran longer than {self._get_timeout(kwargs['cell'])} s "
                "and was interrupted"
            )
            timeout = error_output(content["ename"], evalue)
            content = {**content, "evalue": evalue, "traceback": timeout.traceback}
            kwargs["execute_reply"] = {**reply, "content": content}
        super().on_cell_executed(**kwargs)

    async def _ended_kernel(self) -> str:
        """How the dead kernel ended: its exit code or signal, and why if the provisioner knows."""
        provisioner = getattr(self.km, "provisioner", None)
        if provisioner is None:
            return describe_exit(None)
        code = await ensure_async(provisioner.poll())
        # Reaped, a provisioner may know more: coursekit's reads a cold kernel's memory cgroup
        # then (a warm one's server has told it already). A dead kernel's wait returns at once.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(ensure_async(provisioner.wait()), REAP_SECONDS)
        # exit_reason: coursekit's warm provisioner tells an out-of-memory kill in the kernel's
        # memory cgroup apart from any other SIGKILL; with others the signal is all there is.
        return describe_exit(code, getattr(provisioner, "exit_reason", None))

    async def _stop_kernel(self) -> None:
        """Kill a kernel that no longer answers (nbclient's cleanup copes with a dead one)."""
        assert self.km is not None
        await ensure_async(self.km.shutdown_kernel(now=True))


def read_crashes(notebook_id: str, nb: NotebookNode) -> tuple[KernelCrash, ...]:
    """The cells of an autograded notebook where the kernel died or a cell timed out."""
    crashes = []
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        found = next((o for o in errors if o.get("ename") in CRASHES), None)
        if found is not None:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            # The first sentence: what happened (the rest says what it cost, in the notebook).
            reason = str(found.get("evalue", "")).split(". ")[0] or str(found.get("ename"))
            crashes.append(KernelCrash(notebook_id, index + 1, grade_id, reason))
    return tuple(crashes)


def read_student_crashes(
    course: Course, assignment_id: str, student_id: str
) -> tuple[KernelCrash, ...]:
    """Where the kernel died or timed out in a student's autograded notebooks, in name order."""
    crashes: list[KernelCrash] = []
    for path in sorted(course.autograded_dir(assignment_id, student_id).glob("*.ipynb")):
        crashes.extend(read_crashes(path.stem, nbformat.read(path, as_version=4)))
    return tuple(crashes)


def execute_as_autograde(course: Course, nb: NotebookNode, cwd: Path) -> NotebookNode:
    """A copy of nb executed as autograde executes it (its Execute step, the course config), in
    `nbgrader validate`'s environment: the release proof and the canary score like grading."""
    executed = copy.deepcopy(nb)
    with nbgrader_api.validating():
        executor = ContainedExecute(config=course.config)
        executed, _ = executor.preprocess(executed, {"metadata": {"path": str(cwd)}})
    return executed
