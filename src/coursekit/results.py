"""Plain results shared by every step: frozen dataclasses, no rendering, no I/O."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class CellScore:
    """One grade cell of one submitted notebook, as the gradebook holds it."""

    grade_id: str
    cell_type: str
    score: float
    max_score: float
    auto_score: float | None
    manual_score: float | None
    needs_manual_grade: bool
    failed_tests: bool


@dataclass(frozen=True)
class NotebookScore:
    """One submitted notebook's totals and its grade cells, as the gradebook holds them."""

    assignment_id: str
    student_id: str
    notebook_id: str
    score: float
    max_score: float
    auto_score: float
    manual_score: float
    needs_manual_grade: bool
    cells: tuple[CellScore, ...] = ()

    @property
    def max_auto_score(self) -> float:
        """The points of the autograder tests (code grade cells)."""
        return sum(cell.max_score for cell in self.cells if cell.cell_type == "code")

    @property
    def max_manual_score(self) -> float:
        """The points graded by hand (written answers)."""
        return self.max_score - self.max_auto_score


class Severity(StrEnum):
    """Whether a submission problem stops grading (fatal) or is only reported (warning)."""

    FATAL = "fatal"
    WARNING = "warning"


@dataclass(frozen=True)
class SubmissionProblem:
    """Something wrong with one notebook of a submission, with a reason a person can act on."""

    notebook_id: str
    severity: Severity
    reason: str


class Status(StrEnum):
    """What happened to one student's submission."""

    GRADED = "graded"
    REJECTED = "rejected"  # inspection found it unfit to grade; the gradebook is left untouched
    FAILED = "failed"  # nbgrader itself failed while grading it


class SuspicionKind(StrEnum):
    """What a suspicious piece of a submission does; a TA decides whether it is cheating."""

    LIBRARY_REBINDING = "rebinds a library"  # np.allclose = ..., setattr(keras.Model, ...)
    BUILTINS = "rebinds builtins"  # builtins.x = ..., __builtins__, isinstance = lambda ...
    IMPORT_MACHINERY = "edits the import machinery"  # sys.modules, sys.meta_path
    INTERPRETER_HOOK = "hooks the interpreter"  # sys.settrace, sys.displayhook, frames
    IPYTHON_HOOK = "hooks IPython's execution"  # set_custom_exc, transformers, events
    RIGGED_COMPARISON = "rigs comparisons"  # __eq__ that ignores what it is compared with
    GRADER_ACCESS = "reaches for the grader's files"  # gradebook, source/, '..', NBGRADER_*
    PROCESS_CONTROL = "controls processes"  # os._exit, os.kill, signal, threads
    SYSTEM_ACCESS = "uses processes, network or native code"  # subprocess, socket, ctypes
    DYNAMIC_CODE = "runs code from strings"  # exec, eval, compile, importlib
    UNTRUSTED_VERDICT = "verdict not trustworthy"  # the executed tests could not be confirmed


@dataclass(frozen=True)
class Suspicion:
    """One suspicious thing in one notebook, for a TA to look at: where it is and what it does.

    cell is 1-based in the submitted notebook (None: the notebook as a whole), line 1-based in
    that cell (None: the whole cell, as for verdict checks).
    """

    notebook_id: str
    cell: int | None
    grade_id: str | None
    line: int | None
    kind: SuspicionKind
    detail: str

    @property
    def where(self) -> str:
        """`notebook cell 3 (grade_id) line 2`, as far as known."""
        parts = [self.notebook_id]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.grade_id:
            parts.append(f"({self.grade_id})")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return " ".join(parts)


@dataclass(frozen=True)
class KernelCrash:
    """A cell in which the kernel died or a cell ran out of time: it scored 0.

    After a dead (or stopped) kernel the later grade cells were not run and scored 0 too.
    """

    notebook_id: str
    cell: int  # its position in the notebook, from 1
    grade_id: str  # "" for a cell without one
    reason: str  # "the kernel died while this cell ran: killed by signal 9 (SIGKILL)"

    @property
    def where(self) -> str:
        """`notebook cell 5 (grade_id)`, as Suspicion.where says it."""
        cell = f"{self.notebook_id} cell {self.cell}"
        return f"{cell} ({self.grade_id})" if self.grade_id else cell


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


@dataclass(frozen=True)
class AutogradeReport:
    """The outcomes of autograding one assignment, one per student, sorted by student_id."""

    assignment_id: str
    outcomes: tuple[StudentOutcome, ...] = field(default_factory=tuple)

    @property
    def all_graded(self) -> bool:
        """Whether every student's submission was graded."""
        return all(outcome.status is Status.GRADED for outcome in self.outcomes)


@dataclass(frozen=True)
class ProofCheck:
    """One check of a release proof: passed, failed (with findings) or skipped (passed=None)."""

    name: str
    passed: bool | None
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotebookProof:
    """The checks that prove one released notebook fit to hand out."""

    notebook_id: str
    checks: tuple[ProofCheck, ...]

    @property
    def ok(self) -> bool:
        """Whether no check failed (skipped checks do not fail)."""
        return all(check.passed is not False for check in self.checks)


@dataclass(frozen=True)
class ReleaseReport:
    """The generated release of one assignment and the proof of each of its notebooks."""

    assignment_id: str
    release_dir: str
    notebooks: tuple[NotebookProof, ...]

    @property
    def ok(self) -> bool:
        """Whether every notebook's proof holds."""
        return all(proof.ok for proof in self.notebooks)


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
class DemoResult:
    """Everything one demo run produced, and whether each student ended as designed."""

    course_root: str
    releases: tuple[ReleaseReport, ...]
    autogrades: tuple[AutogradeReport, ...]
    feedback: tuple[FeedbackReport, ...]
    grades_csv: str
    surprises: tuple[str, ...]

    @property
    def as_designed(self) -> bool:
        """Whether the pipeline treated every demo student as designed."""
        return not self.surprises


@dataclass(frozen=True)
class GradedItem:
    """One grade cell of an instructor notebook: an autograded test or a written answer."""

    grade_id: str
    points: float
    autograded: bool


@dataclass(frozen=True)
class NotebookSummary:
    """What one notebook of an assignment teaches and grades, read from its source."""

    notebook_id: str
    title: str
    items: tuple[GradedItem, ...]

    @property
    def auto_points(self) -> float:
        """The points of its autograded tests."""
        return sum(item.points for item in self.items if item.autograded)

    @property
    def manual_points(self) -> float:
        """The points of its written answers, graded by hand."""
        return sum(item.points for item in self.items if not item.autograded)


@dataclass(frozen=True)
class ToleranceCalibration:
    """One tolerance of a hidden test against what correct answers reach over many seeds.

    `worst` is the largest checked quantity of a correct answer (in the tolerance's units);
    `closest_wrong`, when measured, the smallest a typical wrong answer reaches.
    """

    notebook_id: str
    grade_id: str
    tolerance: str
    value: float
    quantity: str
    runs: int
    median: float
    p95: float
    worst: float
    closest_wrong: float | None = None
    closest_wrong_name: str = ""

    @property
    def margin(self) -> float:
        """tolerance / worst: how many times the worst correct run fits inside (inf if exact)."""
        return self.value / self.worst if self.worst > 0 else float("inf")

    @property
    def ok(self) -> bool:
        """No correct run reached the tolerance: zero false fails over the seeds."""
        return self.margin > 1


@dataclass(frozen=True)
class VariantOutcome:
    """One answer variant executed and scored: what it should do and what it did."""

    notebook_id: str
    name: str
    correct: bool
    expected_lost: frozenset[str]
    lost: frozenset[str]
    score: float
    max_score: float
    messages: Mapping[str, str] = field(default_factory=dict)

    @property
    def unexplained(self) -> tuple[str, ...]:
        """Lost tests whose output is not an AssertionError with a message a student can use."""
        return tuple(
            grade_id
            for grade_id in sorted(self.lost)
            if not re.search(r"AssertionError: .{10}", self.messages.get(grade_id, ""))
        )

    @property
    def as_expected(self) -> bool:
        """Correct: full marks. Wrong: loses at least its targeted tests, each with a message."""
        if self.correct:
            return not self.lost and self.score == self.max_score
        return bool(self.expected_lost) and self.expected_lost <= self.lost and not self.unexplained


@dataclass(frozen=True)
class NotebookCalibration:
    """A notebook's tolerance calibration, the tolerances left uncovered, and its variants."""

    notebook_id: str
    script: str | None
    seeds: int | None
    rows: tuple[ToleranceCalibration, ...]
    uncovered: tuple[str, ...]
    variants: tuple[VariantOutcome, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """Every tolerance covered with margin > 1 and every variant as expected."""
        return (
            not self.uncovered
            and all(row.ok for row in self.rows)
            and all(outcome.as_expected for outcome in self.variants)
        )


@dataclass(frozen=True)
class CalibrationReport:
    """`course calibrate` of one assignment."""

    assignment_id: str
    notebooks: tuple[NotebookCalibration, ...]

    @property
    def ok(self) -> bool:
        """Nothing uncovered, no false fail, no margin below 1, every variant as expected."""
        return all(notebook.ok for notebook in self.notebooks)


@dataclass(frozen=True)
class RosterImport:
    """`course roster import`: which students were added, updated or already as in the CSV."""

    source: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    ignored_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedEntry:
    """An archive entry that was not collected, and why (unsafe, unmapped, not a notebook)."""

    path: str
    reason: str


class CollectAction(StrEnum):
    """What collecting did to one student's submitted folder."""

    NEW = "new"  # there was no submission: written
    REPLACED = "replaced"  # the archive's is newer: the old one replaced
    UNCHANGED = "unchanged"  # the same notebooks are already there: nothing written
    KEPT = "kept"  # the folder holds a newer (or equally old) different one: left as it was


@dataclass(frozen=True)
class CollectedNotebook:
    """One notebook taken from the archive, and the other candidates it won against."""

    notebook_id: str
    source: str  # the entry's path in the archive
    filename: str  # the file's name as the student uploaded it
    modified: datetime.datetime | None
    passed_over: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectedStudent:
    """One student's submission as found in the archive and what became of it."""

    student_id: str
    lms_name: str
    action: CollectAction
    timestamp: datetime.datetime | None
    late: bool = False  # the LMS marked it late (Canvas's LATE); timestamps say the rest
    notebooks: tuple[CollectedNotebook, ...] = ()
    unmatched: tuple[str, ...] = ()  # .ipynb files that match no notebook of the assignment
    reason: str = ""


@dataclass(frozen=True)
class CollectReport:
    """`course collect`: each student's submission and every entry that was not collected."""

    assignment_id: str
    archive: str
    layout: str
    students: tuple[CollectedStudent, ...]
    refused: tuple[SkippedEntry, ...] = ()  # unsafe: never extracted
    unmapped: tuple[SkippedEntry, ...] = ()  # no roster student (or more than one) fits
    ignored: tuple[SkippedEntry, ...] = ()  # not a notebook (feedback HTML, data files)
    missing: tuple[str, ...] = ()  # roster students without anything in the archive

    @property
    def ok(self) -> bool:
        """Nothing refused, every submission mapped to a student, every notebook recognised."""
        return (
            not self.refused
            and not self.unmapped
            and not any(student.unmatched for student in self.students)
        )


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


@dataclass(frozen=True)
class SimilarPair:
    """Two students whose own answer code in one notebook is alike (for a TA to look at)."""

    notebook_id: str
    student_a: str
    student_b: str
    similarity: float
    own_tokens_a: int
    own_tokens_b: int


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


@dataclass(frozen=True)
class StudentInfo:
    """A student as the gradebook knows them (None where nbgrader holds nothing)."""

    student_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None


@dataclass(frozen=True)
class ReportFiles:
    """A written report: its HTML page, the PNG figures beside it, and what it shows."""

    page: str
    figures: tuple[str, ...]
    data: ReportData
