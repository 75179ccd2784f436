"""What grading produces: each student's outcome, the run's report, a student's own check.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from coursekit.core.types import KernelCrash, NotebookScore
from coursekit.intake.types import SubmissionProblem
from coursekit.integrity.types import Suspicion


class Status(StrEnum):
    """What happened to one student's submission."""

    GRADED = "graded"
    REJECTED = "rejected"  # inspection found it unfit to grade; the gradebook is left untouched
    FAILED = "failed"  # nbgrader itself failed while grading it


@dataclass(frozen=True)
class StudentOutcome:
    """The result of autograding one student's submission of one assignment."""

    assignment_id: str
    student_id: str
    status: Status
    reason: str = ""
    problems: tuple[SubmissionProblem, ...] = ()
    scores: tuple[NotebookScore, ...] = ()
    log_tail: str = ""
    suspicions: tuple[Suspicion, ...] = ()  # flagged for a TA: code scan and verdict checks
    crashes: tuple[KernelCrash, ...] = ()  # graded, but the kernel died or timed out here
    seconds: float = 0.0  # the job's wall time on its worker (0: not run, or lost with it)

    @property
    def under_review(self) -> tuple[Suspicion, ...]:
        """The tests the verdict checks hold for a TA: they count 0 until a TA decides."""
        return tuple(s for s in self.suspicions if s.needs_review)

    @property
    def held_points(self) -> float:
        """The points those tests would have earned."""
        return sum(s.review_points or 0.0 for s in self.under_review)


@dataclass(frozen=True)
class AutogradeReport:
    """The outcomes of autograding one assignment, one per student, sorted by student_id."""

    assignment_id: str
    outcomes: tuple[StudentOutcome, ...] = field(default_factory=tuple)

    @property
    def all_graded(self) -> bool:
        """Whether every student's submission was graded."""
        return all(outcome.status is Status.GRADED for outcome in self.outcomes)


class CheckStatus(StrEnum):
    """What a student's check found for one visible test."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not checked"  # it never ran, or crashed after an earlier cell did


@dataclass(frozen=True)
class CellCheck:
    """One visible test of a student's notebook: the behaviour it checks and how it went."""

    grade_id: str
    points: float
    behaviour: str
    status: CheckStatus
    message: str = ""


@dataclass(frozen=True)
class NotebookCheck:
    """`course check` of one notebook: its visible tests, unanswered and edited cells."""

    path: str
    tests: tuple[CellCheck, ...]
    unanswered: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    edited_tests: tuple[str, ...] = ()
    stopped: str = ""  # why execution stopped before the end ('' if it ran to the end)

    @property
    def ok(self) -> bool:
        """Whether every visible test passed."""
        return all(test.status is CheckStatus.PASSED for test in self.tests)
