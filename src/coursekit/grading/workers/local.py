"""A pool of worker processes on this machine: `course autograde --workers N`.

Each worker grades one job at a time, sent to it over a pipe of its own, so this process
always knows which job each worker holds. A worker that dies (the OOM killer, `kill -9`)
costs only that job, which runs again once on a fresh worker; a job that outruns
spec.job_timeout (worker start included) has its worker killed and is likewise tried once
more. Twice lost, the job comes back as a WorkerLost error that says what happened.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from coursekit.grading import runlock
from coursekit.grading.workers import (
    ExecutorLifecycle,
    ExecutorSpec,
    WorkerLost,
    available_cores,
    describe_worker_exit,
)
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
# How long a stopped worker may take to exit before it is killed (it is idle: milliseconds).
STOP_SECONDS = 5.0
ATTEMPTS = 2  # a job whose worker dies or outruns its bound runs once more, on a fresh worker


def start_method() -> str:
    """'fork' when this process runs a single thread, else 'forkserver'."""
    return "fork" if threading.active_count() == 1 else "forkserver"


def serve_jobs(connection: Connection, run_pid: int) -> None:
    """A worker's life: die with the run, then run each (function, job) sent until told to stop."""
    die_with_parent(run_pid)
    while True:
        try:
            sent = connection.recv()
        except EOFError:  # the run closed its end
            return
        if sent is None:
            return
        function, job = sent
        try:
            result = function(job)
        except Exception as error:  # one job's bug is that job's result, not the worker's end
            result = error
        try:
            connection.send(result)
        except Exception as error:  # an unpicklable result or exception
            connection.send(RuntimeError(f"{type(result).__name__} could not be sent: {error}"))


@dataclass
class Worker(Generic[Job]):
    """One worker process, its end of the pipe, and the job it grades (with its deadline)."""

    process: multiprocessing.process.BaseProcess
    connection: Connection
    job: Job | None = None
    attempt: int = 0
    deadline: float = 0.0

    def kill(self) -> None:
        """SIGKILL the worker and reap it."""
        if self.process.is_alive() and self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(STOP_SECONDS)
        self.connection.close()


class LocalExecutor(ExecutorLifecycle):
    """Runs jobs in `spec.workers` processes of this machine (default: the available cores)."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec(name="local")
        self.workers = self.spec.workers or available_cores()
        self._idle: list[Worker[Any]] = []
        self._started = False

    def start(self) -> None:
        """Ready the pool (its processes start as jobs arrive)."""
        self._started = True

    def stop(self, interrupted: bool) -> None:
        """Stop the idle workers (a busy one is only left when interrupted: it is killed)."""
        for worker in self._idle:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
            worker.process.join(STOP_SECONDS)
            worker.kill()
        self._idle = []
        self._started = False

    def _take_idle(self) -> Worker[Any] | None:
        """An idle worker still alive, if there is one (the dead are reaped)."""
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            worker.kill()
        return None

    def _new_worker(self) -> Worker[Job]:
        context = multiprocessing.get_context(start_method())
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(PRELOAD)
        ours, theirs = context.Pipe()
        # Each worker dies with this process (lifeline.py): a killed run leaves no worker
        # behind holding the course's lock.
        process = context.Process(target=serve_jobs, args=(theirs, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        runlock.record_processes(child.pid for child in multiprocessing.active_children())
        return Worker(process, ours)

    def map_unordered(
        self, function: Callable[[Job], Result], jobs: Sequence[Job]
    ) -> Iterator[tuple[Job, Result | BaseException]]:
        """Each job with its result, or the exception it raised, in the order they finish."""
        if not self._started:
            raise RuntimeError("LocalExecutor used outside its `with` block")
        pending: deque[tuple[Job, int]] = deque((job, 1) for job in jobs)
        busy: list[Worker[Job]] = []
        bound = self.spec.job_timeout
        try:
            while pending or busy:
                while pending and len(busy) < self.workers:
                    job, attempt = pending.popleft()
                    worker = self._take_idle() or self._new_worker()
                    worker.job, worker.attempt = job, attempt
                    worker.deadline = time.monotonic() + bound if bound else float("inf")
                    worker.connection.send((function, job))
                    busy.append(worker)
                nearest = min(worker.deadline for worker in busy)
                timeout = None if nearest == float("inf") else max(0.0, nearest - time.monotonic())
                ready = set(
                    wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout)
                )
                for worker in list(busy):
                    lost = self._settle(worker, ready)
                    if lost is None:
                        continue
                    busy.remove(worker)
                    job, attempt = worker.job, worker.attempt
                    if isinstance(lost, WorkerLost):
                        if attempt < ATTEMPTS:
                            pending.appendleft((job, attempt + 1))  # type: ignore[arg-type]
                            continue
                        yield job, lost  # type: ignore[misc]
                    else:
                        self._idle.append(worker)
                        yield job, lost[0]  # type: ignore[misc]
        finally:
            for worker in busy:  # interrupted (or the caller stopped iterating): no job waits
                worker.kill()

    def _settle(self, worker: Worker[Job], ready: set[Any]) -> WorkerLost | tuple[Any] | None:
        """The worker's result as (result,), WorkerLost if it died or overran, None if busy."""
        if worker.connection in ready:
            try:
                return (worker.connection.recv(),)
            except (EOFError, OSError):
                pass  # it died: its sentinel says how
        elif worker.process.sentinel not in ready:
            if time.monotonic() < worker.deadline:
                return None
            worker.kill()
            return WorkerLost(
                f"grading this student took longer than {self.spec.job_timeout:g} s "
                f"(c.CourseKit.grading_job_timeout), {_times(worker.attempt)}, so its worker "
                "was stopped"
            )
        worker.process.join(STOP_SECONDS)
        how = describe_worker_exit(worker.process.exitcode)
        worker.kill()
        return WorkerLost(
            f"the grading worker died {_times(worker.attempt)} ({how}) while grading this student"
        )


def _times(attempt: int) -> str:
    return "once" if attempt == 1 else "twice" if attempt == 2 else f"{attempt} times"
