"""How grading jobs run: one seam (GradingExecutor) and a registry of executors behind it.

An executor runs a module-level job function on many picklable jobs and yields each job's
result (or the exception it raised) as soon as it is done, in any order. It knows nothing
about grading. Built in:

    inline   one job after another in this process (the library default)
    local    a pool of worker processes on this machine (`course autograde --workers N`)
    dask     a Dask distributed cluster (`--scheduler tcp://HOST:PORT`; a LocalCluster if none)

Another strategy (say, workers that keep warm kernels) plugs in without changing this code:
name its factory as "package.module:callable" in `--executor` or `c.CourseKit.executor`; it is
called with an ExecutorSpec and returns a GradingExecutor. How a worker starts its kernels is
nbclient's own seam, `c.Execute.kernel_manager_class` in nbgrader_config.py, which every
executor's workers read.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Protocol, Self, TypeVar

from traitlets.config import Config

from coursekit.core.errors import CourseError

Job = TypeVar("Job")
Result = TypeVar("Result")

# The section of nbgrader_config.py coursekit reads (nbgrader ignores sections it lacks a class
# for): c.CourseKit.autograde_workers, c.CourseKit.dask_scheduler, c.CourseKit.executor,
# c.CourseKit.grading_job_timeout.
CONFIG_SECTION = "CourseKit"
# How long one student's job may hold a worker (its start, every notebook, the gradebook
# writes) before the worker is stopped and the job tried once more: each notebook is bounded
# by c.ContainedExecute.notebook_timeout (30 min), so this only catches a worker stuck outside
# any notebook; a student hands in a few notebooks at most.
DEFAULT_JOB_TIMEOUT_S = 7200.0


class WorkerLost(BrokenProcessPool):
    """A job's worker died or overran the job's bound, on each of its attempts."""


def describe_worker_exit(code: int | None) -> str:
    """How a worker process ended: 'killed by signal 9', 'exit code 3'."""
    if code is None:
        return "it stopped answering"
    if code < 0:
        return f"killed by signal {-code}" + (" (SIGKILL)" if -code == signal.SIGKILL else "")
    return f"exit code {code}"


EXECUTORS: dict[str, str] = {
    "inline": "coursekit.grading.workers.inline:InlineExecutor",
    "local": "coursekit.grading.workers.local:LocalExecutor",
    "dask": "coursekit.grading.workers.dask_cluster:DaskExecutor",
}


class GradingExecutor(Protocol):
    """Runs jobs concurrently; used as a context manager that owns its workers."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def map_unordered(
        self, function: Callable[[Job], Result], jobs: Sequence[Job]
    ) -> Iterator[tuple[Job, Result | BaseException]]:
        """Each job with its result, or the exception it raised, as soon as it is done."""
        ...


class ExecutorLifecycle:
    """The context-manager half of a GradingExecutor: start workers on entry, stop them on exit."""

    def start(self) -> None:
        """Start the workers (nothing to start by default)."""

    def stop(self, interrupted: bool) -> None:
        """Stop the workers; interrupted: drop the jobs not started yet."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop(interrupted=exc_type is not None)


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor to use; None fields are decided from the course config and the machine."""

    name: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    job_timeout: float | None = None  # seconds; None: no bound (a test's executor)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and SLURM set)."""
    return len(os.sched_getaffinity(0))


def resolve_spec(spec: ExecutorSpec, config: Config) -> ExecutorSpec:
    """Fill a spec's gaps: the command line wins, then nbgrader_config.py, then the machine."""
    section = config[CONFIG_SECTION] if CONFIG_SECTION in config else Config()
    scheduler = spec.scheduler or section.get("dask_scheduler") or None
    workers = spec.workers if spec.workers is not None else section.get("autograde_workers")
    workers = available_cores() if workers is None else workers
    if not isinstance(workers, int) or workers < 1:
        raise CourseError(
            f"The number of grading workers must be a whole number >= 1, not {workers!r} "
            f"(--workers, or c.{CONFIG_SECTION}.autograde_workers in nbgrader_config.py)."
        )
    name = spec.name or section.get("executor") or None
    if name is None:
        name = "dask" if scheduler else ("inline" if workers == 1 else "local")
    return replace(spec, name=name, workers=workers, scheduler=scheduler)


def job_timeout_of(config: Config) -> float:
    """c.CourseKit.grading_job_timeout, or its default: how long one job may hold a worker."""
    section = config[CONFIG_SECTION] if CONFIG_SECTION in config else Config()
    job_timeout = section.get("grading_job_timeout", DEFAULT_JOB_TIMEOUT_S)
    if (
        isinstance(job_timeout, bool)
        or not isinstance(job_timeout, (int, float))
        or job_timeout <= 0
    ):
        raise CourseError(
            f"c.{CONFIG_SECTION}.grading_job_timeout must be a number of seconds > 0, "
            f"not {job_timeout!r} (nbgrader_config.py)."
        )
    return float(job_timeout)


def make_executor(spec: ExecutorSpec) -> GradingExecutor:
    """The executor a resolved spec names: a registered name or a "module:callable" factory."""
    name = spec.name or "inline"
    target = EXECUTORS.get(name, name)
    module_name, _, attribute = target.partition(":")
    if not attribute:
        raise CourseError(
            f"Unknown executor {name!r}: use one of {', '.join(sorted(EXECUTORS))} "
            "or a factory as 'package.module:callable'."
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise CourseError(f"Cannot load the executor {name!r} ({target}): {error}") from error
    return factory(spec)
