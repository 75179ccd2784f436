"""An executor that plugs in by its import path and notes the order it was given its jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from coursekit.grading.workers import ExecutorSpec
from coursekit.grading.workers.inline import InlineExecutor

# The student ids of the jobs each run was given, in the order given (one list per run).
RUNS: list[list[str]] = []


class RecordingExecutor(InlineExecutor):
    """InlineExecutor that keeps the order of its jobs in RUNS."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        super().__init__(spec)

    def map_unordered(
        self, function: Callable[[Any], Any], jobs: Sequence[Any]
    ) -> Iterator[tuple[Any, Any]]:
        RUNS.append([job.student_id for job in jobs])
        return super().map_unordered(function, jobs)
