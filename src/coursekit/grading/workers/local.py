"""A pool of worker processes on this machine: `course autograde --workers N`."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from coursekit.grading import runlock
from coursekit.grading.workers import ExecutorLifecycle, ExecutorSpec, available_cores
from coursekit.grading.workers.lifeline import die_with_parent

Job = TypeVar("Job")
Result = TypeVar("Result")

# Processes, not threads: nbgrader's apps keep global state (traitlets singletons, the log
# handlers that NbGraderAPI swaps in to capture each call's log), so two autogrades in one
# process would mix their logs.
# Started by 'fork' while this process runs no other thread: workers inherit everything it has
# imported and start at once (`course autograde` has imported the grading stage by then).
# Measured from `course` when it imported every stage up front: the first results of a
# 2-worker pool after 6-7 s with 'forkserver', whatever it preloads, as
# each worker or the server imports nbgrader and the `course` script again. With other threads
# running (a Dask client's event loop, a test runner's), a child forked while one of them held
# a lock could hang forever: then 'forkserver', which preloads the main module and nbgrader
# once and forks each worker from that clean process.
PRELOAD = ["__main__", "coursekit.grading.autograde"]


def start_method() -> str:
    """'fork' when this process runs a single thread, else 'forkserver'."""
    return "fork" if threading.active_count() == 1 else "forkserver"


class LocalExecutor(ExecutorLifecycle):
    """Runs jobs in `spec.workers` processes of this machine (default: the available cores)."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec(name="local")
        self.workers = self.spec.workers or available_cores()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the pool (its processes start as jobs arrive)."""
        self._pool = self._new_pool(self.workers)

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context(start_method())
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(PRELOAD)
        # Each worker dies with this process (lifeline.py): a killed run leaves no worker
        # behind holding the course's lock.
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )

    @staticmethod
    def _record_workers() -> None:
        """Name the pool's processes (started by the submits) in the run's lock file."""
        runlock.record_processes(process.pid for process in multiprocessing.active_children())

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
        self._record_workers()
        orphans: list[Job] = []
        for future in as_completed(futures):
            error = future.exception()
            if isinstance(error, BrokenProcessPool):
                orphans.append(futures[future])
            else:
                yield futures[future], (future.result() if error is None else error)
        if orphans:
            # A worker that died (killed for memory, say) breaks the whole pool: every job not
            # finished by then comes back as BrokenProcessPool, not only the one that killed it.
            # Each gets a second chance alone, in a pool of its own, so only the job that
            # kills its worker again is reported as failed.
            self._pool.shutdown(wait=True)
            self._pool = self._new_pool(self.workers)
            yield from self._one_by_one(function, orphans)

    def _one_by_one(
        self, function: Callable[[Job], Result], jobs: Sequence[Job]
    ) -> Iterator[tuple[Job, Result | BaseException]]:
        """Each job in a single-process pool of its own: a worker's death is that job's alone."""
        for job in jobs:
            with self._new_pool(1) as pool:
                future = pool.submit(function, job)
                self._record_workers()
                error = future.exception()
                yield job, (future.result() if error is None else error)
