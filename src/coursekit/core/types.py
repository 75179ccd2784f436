"""The types that cross stages: scores as nbgrader stores them, a student, a kernel crash.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def test_under_review(self) -> bool:
        """An autograder test waiting for a TA (the verdict checks held it, or the answer a TA
        graded changed): it counts its auto_score, 0 when held, until a TA grades it."""
        return self.cell_type == "code" and self.needs_manual_grade


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
    def tests_under_review(self) -> tuple[CellScore, ...]:
        """Its autograder tests waiting for a TA."""
        return tuple(cell for cell in self.cells if cell.test_under_review)

    @property
    def max_auto_score(self) -> float:
        """The points of the autograder tests (code grade cells)."""
        return sum(cell.max_score for cell in self.cells if cell.cell_type == "code")

    @property
    def max_manual_score(self) -> float:
        """The points graded by hand (written answers)."""
        return self.max_score - self.max_auto_score


@dataclass(frozen=True)
class StudentInfo:
    """A student as the gradebook knows them (None where nbgrader holds nothing)."""

    student_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None


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
