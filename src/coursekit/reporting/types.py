"""What reporting produces: feedback outcomes, grade rows, LMS exports, the report's data.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from coursekit.answers.types import QuestionSummary
from coursekit.integrity.types import SimilarPair


@dataclass(frozen=True)
class FeedbackOutcome:
    """The feedback files written for one student, or why none could be."""

    student_id: str
    files: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class FeedbackReport:
    """Feedback of one assignment, one outcome per autograded student."""

    assignment_id: str
    outcomes: tuple[FeedbackOutcome, ...]

    @property
    def ok(self) -> bool:
        """Whether every autograded student got feedback."""
        return all(not outcome.error for outcome in self.outcomes)


@dataclass(frozen=True)
class GradeRow:
    """One student's grade on one notebook, as exported (scores None when not graded)."""

    assignment_id: str
    student_id: str
    notebook_id: str
    score: float | None
    max_score: float | None
    auto_score: float | None
    manual_score: float | None
    needs_manual_grade: bool | None
    status: str


@dataclass(frozen=True)
class CellGradeRow:
    """One grade cell of one student's notebook, as exported (auto: a test; manual: written)."""

    assignment_id: str
    student_id: str
    notebook_id: str
    grade_id: str
    score: float
    max_score: float
    kind: str  # "auto" or "manual"
    needs_manual_grade: bool
    failed: bool


@dataclass(frozen=True)
class LmsExport:
    """A gradebook import file written for an LMS, and what a person should check before upload."""

    lms: str
    path: str
    students: int
    warnings: tuple[str, ...] = ()


class FlagKind(StrEnum):
    """Why a submission is listed for a person to look at."""

    REJECTED = "rejected"  # handed in, never autograded: inspection found it unfit
    FAILED = "failed"  # nbgrader failed on it: in the gradebook without an autograded notebook
    ERROR = "error"  # a cell raised something other than a failed assertion
    TIMEOUT = "timeout"  # a cell ran past the course's Execute.timeout
    TAMPERING = "tampering"  # test or locked cells deleted or edited (nbgrader restored them)
    LATE = "late"  # timestamp.txt after the due date (with any extension)
    SUSPICIOUS = "suspicious"  # code that rebinds libraries, hooks the kernel, reads grader files
    UNTRUSTED = "untrusted verdict"  # a test's verdict could not be confirmed: scored 0
    REVIEW = "needs review"  # ...and the test would have earned points: a TA decides on them


@dataclass(frozen=True)
class Flag:
    """One reason to look at one student's notebook; feedback: its feedback HTML, if written."""

    student_id: str
    notebook_id: str
    kind: FlagKind
    detail: str
    feedback: str | None = None


@dataclass(frozen=True)
class TestPassRate:
    """One autograded test cell: of the graded notebooks, how many earned its full points."""

    notebook_id: str
    grade_id: str
    points: float
    passed: int
    graded: int

    @property
    def rate(self) -> float | None:
        """passed / graded; None when no notebook was graded."""
        return self.passed / self.graded if self.graded else None


@dataclass(frozen=True)
class NotebookTiming:
    """Seconds the kernel spent executing one autograded notebook's cells; None: not recorded."""

    student_id: str
    notebook_id: str
    seconds: float | None


@dataclass(frozen=True)
class ReportData:
    """Everything the grade report of one assignment shows, computed, not yet rendered."""

    assignment_id: str
    notebook_ids: tuple[str, ...]
    rows: tuple[GradeRow, ...]
    pass_rates: tuple[TestPassRate, ...]
    timings: tuple[NotebookTiming, ...]
    flags: tuple[Flag, ...]
    similar_pairs: tuple[SimilarPair, ...]
    similarity_threshold: float
    written: tuple[QuestionSummary, ...] = ()  # the written answers, question by question


@dataclass(frozen=True)
class ReportFiles:
    """A written report: its HTML page, the PNG figures beside it, and what it shows."""

    page: str
    figures: tuple[str, ...]
    data: ReportData
