"""One job after another in this process: the library default and `--workers 1`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from coursekit.grading.workers import ExecutorLifecycle, ExecutorSpec

Job = TypeVar("Job")
Result = TypeVar("Result")


class InlineExecutor(ExecutorLifecycle):
    """Runs each job in this process, in the order given (no pool, nothing to pickle)."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec(name="inline", workers=1)

    def map_unordered(
        self, function: Callable[[Job], Result], jobs: Sequence[Job]
    ) -> Iterator[tuple[Job, Result | BaseException]]:
        """Each job with its result, or the exception it raised, in the order given."""
        for job in jobs:
            try:
                result: Result | BaseException = function(job)
            except Exception as error:  # one job's bug must not stop the others
                result = error
            yield job, result
