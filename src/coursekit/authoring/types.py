"""What authoring produces: the release proof, the assignment summary, the demo's result.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


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
