"""A pool of worker processes on this machine: `course autograde --workers N`."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TypeVar

from coursekit.workers import ExecutorLifecycle, ExecutorSpec, available_cores

Job = TypeVar("Job")
Result = TypeVar("Result")

# Processes, not threads: nbgrader's apps keep global state (traitlets singletons, the log
# handlers that NbGraderAPI swaps in to capture each call's log), so two autogrades in one
# process would mix their logs. 'forkserver', not 'fork': the parent may run threads (a Dask
# client's event loop, pytest's), and a child forked while another thread held a lock (the
# logging module's, say) can hang forever. The fork server imports nbgrader once (preload), so
# each worker starts in milliseconds rather than the ~1.5 s an import from scratch takes.
START_METHOD = "forkserver"
PRELOAD = ["coursekit.autograde"]


class LocalExecutor(ExecutorLifecycle):
    """Runs jobs in `spec.workers` processes of this machine (default: the available cores)."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec(name="local")
        self.workers = self.spec.workers or available_cores()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the pool (its processes start as jobs arrive)."""
        context = multiprocessing.get_context(START_METHOD)
        context.set_forkserver_preload(PRELOAD)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

    def stop(self, interrupted: bool) -> None:
        """Wait for the pool's jobs; interrupted, drop those not started (running ones end)."""
        if self._pool is not None:
            self._pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
            self._pool = None

    def map_unordered(
        self, function: Callable[[Job], Result], jobs: Sequence[Job]
    ) -> Iterator[tuple[Job, Result | BaseException]]:
        """Each job with its result, or the exception it raised, in the order they finish."""
        if self._pool is None:
            raise RuntimeError("LocalExecutor used outside its `with` block")
        futures: dict[Future[Result], Job] = {self._pool.submit(function, job): job for job in jobs}
        for future in as_completed(futures):
            # A worker that died (killed for memory, say) breaks the pool: each job it had not
            # finished comes back as BrokenProcessPool, which the caller reports per student.
            error = future.exception()
            yield futures[future], (future.result() if error is None else error)
