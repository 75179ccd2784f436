"""Grading jobs on a Dask distributed cluster: `course autograde --scheduler tcp://HOST:PORT`.

The workers load the course from its nbgrader_config.py path and write the gradebook named by
db_url, so they must see the course folder at the same path (a shared filesystem, as on
HTCondor and SLURM clusters) and reach the gradebook (PostgreSQL across machines: SQLite's
locks are unreliable on network filesystems). docs/scale_out.md shows how to start them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from coursekit.core.errors import CourseError
from coursekit.grading import runlock
from coursekit.grading.workers import (
    ExecutorLifecycle,
    ExecutorSpec,
    WorkerLost,
    available_cores,
)

if TYPE_CHECKING:  # distributed takes seconds to import: only when a cluster is used
    import distributed

Job = TypeVar("Job")
Result = TypeVar("Result")

# How long to wait for the scheduler to answer before telling the user it is not there.
CONNECT_TIMEOUT_S = 10
# A job whose worker dies runs once more on another worker, then is reported lost (Dask's
# default is 3 more). An external scheduler keeps its own distributed.scheduler.allowed-failures.
ALLOWED_FAILURES = 1
# An idle LocalCluster of 2 workers used 0.10 CPU s per second (scheduler, nannies, workers),
# taken from the kernels it serves; with these, 0.06 (benchmarks/dask_idle.py). The workers'
# statistical profiler samples every thread every 10 ms for a dashboard nobody opens; work
# stealing cannot help (worker-saturation 1.0 keeps each queued job at the scheduler until a
# worker is free, so no worker holds one another could take); the monitors feed the same
# dashboard and the memory limit, which a second's delay does not weaken.
QUIET_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


class DaskExecutor(ExecutorLifecycle):
    """Runs jobs on the cluster of spec.scheduler, or on a LocalCluster of spec.workers."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec(name="dask")
        self._client = None
        self._cluster = None

    def start(self) -> None:
        """Connect to the scheduler, or start an embedded LocalCluster without a dashboard."""
        import dask  # imported here: seconds, only when used
        from distributed import Client, LocalCluster

        if self.spec.scheduler:
            try:
                self._client = Client(self.spec.scheduler, timeout=CONNECT_TIMEOUT_S)
            except OSError as error:
                raise CourseError(
                    f"No Dask scheduler answers at {self.spec.scheduler} ({error}). Start one "
                    "(`dask scheduler`) or check --scheduler / c.CourseKit.dask_scheduler."
                ) from error
            return
        # One thread per worker process: nbgrader is not thread-safe (autograde.GRADING_LOCK
        # would serialise a worker's threads anyway).
        # A worker holds only the job it runs (worker-saturation 1.0 with one thread): when it
        # dies, Dask counts a death against every job assigned to it, so a job merely queued
        # there would be lost for another's crash.
        settings = {
            "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
            "distributed.scheduler.worker-saturation": 1.0,
            **QUIET_CLUSTER,
        }
        with dask.config.set(settings):
            self._cluster = LocalCluster(
                n_workers=self.spec.workers or available_cores(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        self._client = Client(self._cluster)
        # Its nanny processes (each starts one worker process) watch this process and end
        # with it (distributed's AsyncProcess keeps a pipe to its parent open); named in
        # the lock file, a refused run can tell which to stop.
        runlock.record_processes(process.pid for process in multiprocessing.active_children())

    def stop(self, interrupted: bool) -> None:
        """Disconnect; an embedded cluster is shut down, an external one keeps running."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map_unordered(
        self, function: Callable[[Job], Result], jobs: Sequence[Job]
    ) -> Iterator[tuple[Job, Result | BaseException]]:
        """Each job with its result, or the exception it raised, in the order they finish."""
        from distributed import as_completed

        if self._client is None:
            raise RuntimeError("DaskExecutor used outside its `with` block")
        # pure=False: grading the same student twice is two jobs (the submission may differ).
        futures = self._client.map(function, jobs, pure=False)
        by_key = {future.key: job for future, job in zip(futures, jobs, strict=True)}
        for future in as_completed(futures):
            yield by_key[future.key], outcome_of(future)


def outcome_of(future: distributed.Future) -> object:
    """The result of a future as_completed gave, or the exception it raised.

    Its status can be "pending" again by now: a worker that died after finishing it took the
    result along, and Dask computes it once more; result() waits for that."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as error:
        # A worker lost mid-job is retried by Dask on another worker; after
        # distributed.scheduler.allowed-failures it comes back as KilledWorker.
        return WorkerLost(
            f"the Dask workers grading this student died each time it was tried ({error})"
        )
    except Exception as error:
        return error
