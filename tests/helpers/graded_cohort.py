"""One small cohort of the tiny course, released and autograded once per session.

The kernel layer's tests read its outcomes instead of each grading a cohort of their own; a
test that writes (feedback, a re-run) works in a private copy (`TinyCohort.copy`).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, StudentOutcome
from helpers.cohorts import write_cohort
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.notebooks import edit_cell, reference_notebook

# Passes the visible test add(1, 2) == 3 and fails the hidden one: its traceback would quote it.
HIDDEN_ONLY_WRONG_ADD = "def add(a, b):\n    return a + b if a < 10 else 0"


@dataclasses.dataclass(frozen=True)
class TinyCohort:
    """The graded course, autograde's report, and each progress call it made."""

    course: Course
    report: AutogradeReport
    progress: tuple[tuple[int, int, StudentOutcome], ...]

    def outcome(self, student_id: str) -> StudentOutcome:
        """The outcome of one student."""
        return next(o for o in self.report.outcomes if o.student_id == student_id)

    def copy(self, where: Path) -> Course:
        """A private copy of the graded course (its config finds its own root and gradebook)."""
        return locate_course(shutil.copytree(self.course.root, where))


@pytest.fixture(scope="session")
def tiny_cohort(
    kernels: None, released_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> TinyCohort:
    """write_cohort's students and one who fails only a hidden test, autograded once."""
    root = shutil.copytree(released_template, tmp_path_factory.mktemp("cohort") / "course")
    course = locate_course(root)
    write_cohort(course)
    hidden_fail = edit_cell(reference_notebook(course), "add_answer", HIDDEN_ONLY_WRONG_ADD)
    cohort.write_submission(course, TINY_ASSIGNMENT, "hidden_fail", {TINY_NOTEBOOK: hidden_fail})
    progress: list[tuple[int, int, StudentOutcome]] = []
    report = autograde_assignment(
        course, TINY_ASSIGNMENT, progress=lambda *call: progress.append(call)
    )
    return TinyCohort(course, report, tuple(progress))
