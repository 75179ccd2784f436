"""How far an autograde run is: counts, rate and time left, computed from its outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from coursekit.grading.types import Status, StudentOutcome


@dataclass(frozen=True)
class AutogradeProgress:
    """A snapshot of an autograde run after one more student finished."""

    done: int
    total: int
    rejected: int
    failed: int
    elapsed_s: float
    last: StudentOutcome

    @property
    def rate_per_minute(self) -> float | None:
        """Students finished per minute so far; None before any time has passed."""
        return 60 * self.done / self.elapsed_s if self.elapsed_s > 0 else None

    @property
    def remaining_s(self) -> float | None:
        """Estimated seconds until the last student is done, at the rate so far."""
        rate = self.rate_per_minute
        return (self.total - self.done) * 60 / rate if rate else None


class ProgressMeter:
    """Turns the (done, total, outcome) calls of autograde_assignment into snapshots."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.rejected = 0
        self.failed = 0

    def update(self, done: int, total: int, outcome: StudentOutcome) -> AutogradeProgress:
        """Count one more finished student; the run's progress so far."""
        self.rejected += outcome.status is Status.REJECTED
        self.failed += outcome.status is Status.FAILED
        return AutogradeProgress(
            done=done,
            total=total,
            rejected=self.rejected,
            failed=self.failed,
            elapsed_s=self.clock() - self.started,
            last=outcome,
        )
