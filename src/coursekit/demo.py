"""A self-contained demo: copy the course, release, grade a synthetic cohort, give feedback.

The one module that drives every stage (authoring, grading, reporting) in a row, so it sits
above them all rather than in one of them."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.authoring import cohort
from coursekit.authoring.release import release_assignment
from coursekit.authoring.types import ReleaseReport
from coursekit.core import cells
from coursekit.core.course import CONFIG_FILENAME, Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.grading.autograde import Progress, autograde_assignment
from coursekit.grading.types import AutogradeReport, Status
from coursekit.reporting.export import export_grades
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.types import FeedbackReport

DEMO_MARKER = ".coursekit-demo"  # only a folder holding it is wiped on a rerun
BROKEN_NOTEBOOK = b'{"cells": [{"cell_type": "code", "source": "x = '  # a save cut short
RAISING_LINE = "raise RuntimeError('demo_raises: this answer cell crashes on purpose')"


@dataclass(frozen=True)
class DemoResult:
    """Everything one demo run produced, and whether each student ended as designed."""

    course_root: str
    releases: tuple[ReleaseReport, ...]
    autogrades: tuple[AutogradeReport, ...]
    feedback: tuple[FeedbackReport, ...]
    grades_csv: str
    surprises: tuple[str, ...]
    autograde_seconds: tuple[float, ...] = ()  # how long each autograde took

    @property
    def as_designed(self) -> bool:
        """Whether the pipeline treated every demo student as designed."""
        return not self.surprises


def run_demo(
    course: Course, target: Path | None = None, progress: Progress | None = None
) -> DemoResult:
    """Copy the course to target (default <root>/demo), then run the whole pipeline there."""
    demo_root = prepare_demo_dir(course, target or course.root / "demo")
    demo = locate_course(demo_root)
    releases, autogrades, feedback, surprises, seconds = [], [], [], [], []
    for assignment_id in demo.assignment_ids():
        release = release_assignment(demo, assignment_id)
        releases.append(release)
        if not release.ok:
            surprises.append(f"{assignment_id}: the release is not proven")
        write_demo_cohort(demo, assignment_id)
        started = time.monotonic()
        report = autograde_assignment(demo, assignment_id, progress=progress)
        seconds.append(time.monotonic() - started)
        autogrades.append(report)
        surprises.extend(check_demo_outcomes(demo, report))
        feedback.append(generate_feedback(demo, assignment_id))
    csv_path = demo_root / "grades.csv"
    export_grades(demo, None, csv_path)
    return DemoResult(
        str(demo_root),
        tuple(releases),
        tuple(autogrades),
        tuple(feedback),
        str(csv_path),
        tuple(surprises),
        tuple(seconds),
    )


def prepare_demo_dir(course: Course, target: Path) -> Path:
    """A fresh target holding the course's config and source/ (a previous demo is wiped)."""
    target = target.resolve()
    if target.exists():
        if not (target / DEMO_MARKER).exists():
            raise CourseError(
                f"{target} exists and is not a coursekit demo; choose another --dir or remove it"
            )
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / DEMO_MARKER).write_text("Made by `course demo`; rerunning it deletes this folder.\n")
    shutil.copy2(course.config_file, target / CONFIG_FILENAME)
    source_rel = course.layout.source_directory
    shutil.copytree(course.root / source_rel, target / source_rel)
    (target / "gradebook").mkdir()  # the SQLite file's folder must exist
    return target


def demo_notebooks(source: NotebookNode, release: NotebookNode) -> dict[str, NotebookNode | bytes]:
    """student_id -> what that demo student hands in for one notebook."""
    answers = cohort.solution_answers(source)
    order = cohort.answer_grade_ids(source)
    half = {gid: answers[gid] for gid in order[: len(order) // 2]}
    raising = dict(answers)
    tested = last_tested_answer(source)
    if tested is not None:
        raising[tested] = f"{RAISING_LINE}\n{answers[tested]}"
    # The reference student also writes the model answers, so TAs find work to grade by hand.
    written = cohort.written_answers(source)
    return {
        "demo_reference": cohort.fill_release(release, answers | written),
        "demo_blank": release,
        "demo_partial": cohort.fill_release(release, half),
        "demo_raises": cohort.fill_release(release, raising),
        "demo_broken": BROKEN_NOTEBOOK,
    }


def last_tested_answer(source: NotebookNode) -> str | None:
    """The grade_id of the last answer cell that an autograder test follows (so it costs points)."""
    last_answer, tested = None, None
    for cell in source.cells:
        if cells.is_autograded_answer(cell):
            last_answer = cells.grade_id(cell)
        elif cells.is_autograded_test(cell) and last_answer is not None:
            tested = last_answer
    return tested


def write_demo_cohort(course: Course, assignment_id: str) -> None:
    """Write the five demo students' submissions of every notebook of an assignment."""
    per_student: dict[str, dict[str, NotebookNode | bytes]] = {}
    for notebook_id in course.notebook_ids(assignment_id):
        source = nbformat.read(
            course.source_dir(assignment_id) / f"{notebook_id}.ipynb", as_version=4
        )
        release = nbformat.read(
            course.release_dir(assignment_id) / f"{notebook_id}.ipynb", as_version=4
        )
        for student_id, nb in demo_notebooks(source, release).items():
            per_student.setdefault(student_id, {})[notebook_id] = nb
    for student_id, notebooks in per_student.items():
        cohort.write_submission(course, assignment_id, student_id, notebooks)


def check_demo_outcomes(course: Course, report: AutogradeReport) -> list[str]:
    """What differs from the design: broken rejected, the others graded, reference full, blank 0."""
    surprises = []
    full = sum(
        float(cells.nbgrader_meta(cell).get("points", 0))
        for notebook_id in course.notebook_ids(report.assignment_id)
        for cell in nbformat.read(
            course.source_dir(report.assignment_id) / f"{notebook_id}.ipynb", as_version=4
        ).cells
        if cells.is_autograded_test(cell)
    )
    for outcome in report.outcomes:
        expected = Status.REJECTED if outcome.student_id == "demo_broken" else Status.GRADED
        if outcome.status is not expected:
            surprises.append(
                f"{outcome.student_id}: {outcome.status.value}, expected {expected.value}"
                f" ({outcome.reason})"
            )
        auto = sum(score.auto_score for score in outcome.scores)
        if outcome.student_id == "demo_reference" and auto != full:
            surprises.append(f"demo_reference: {auto:g} of {full:g} autograded points")
        if outcome.student_id == "demo_blank" and auto != 0:
            surprises.append(f"demo_blank: {auto:g} autograded points for an unanswered release")
    return surprises
