"""What calibration produces: tolerance rows, variant outcomes, the calibration report.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


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
class Mistake:
    """A typical wrong answer measured on the quantity of the tolerance meant to catch it.

    `values` are its checked quantity over the runs (inf: it fails a check outright);
    `caught` how many of them the test rejects, by the test's own rule.
    """

    name: str
    grade_id: str
    tolerance: str
    quantity: str
    values: tuple[float, ...]
    caught: int
    closest_case: str = ""  # what the closest run was (a chain's widths, a seed), if told

    @property
    def closest(self) -> float:
        """The smallest checked quantity over the runs: how near the mistake came to passing."""
        return min(self.values)


@dataclass(frozen=True)
class Measured:
    """What a notebook's calibration spec measured: its rows, its mistakes, notes for people."""

    rows: tuple[ToleranceCalibration, ...]
    mistakes: tuple[Mistake, ...] = ()
    notes: tuple[str, ...] = ()


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
