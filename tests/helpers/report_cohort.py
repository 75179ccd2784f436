"""A pytest plugin: one really graded tiny cohort for the report and LMS export tests.

tests/conftest.py loads it with `pytest_plugins`, so the session-scoped fixtures below are
built once however many modules use them. Every student is designed for one
thing the report must show; what each should score is derived from the notebook's points.
The test modules import its names before pytest loads it as a plugin, so it opts out of assertion
rewriting (it asserts nothing): PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.report_html import write_report
from coursekit.reporting.types import FlagKind, ReportFiles
from helpers.course import (
    TINY_ASSIGNMENT,
    TINY_NOTEBOOK,
    autograded_test_points,
    read_notebook,
    write_tiny_course,
)
from helpers.notebooks import edit_cell, reference_notebook

# Per cell: ample for the tiny cells on a loaded machine; the sleeping answer would take 60 s.
TIMEOUT_S = 5
DUEDATE = datetime.datetime(2026, 3, 1, 12, 0)  # naive UTC, as nbgrader keeps it

ADD_LOOP = '''def add(a, b):
    """Return a + b."""
    # Count up (or down) from a, one step at a time.
    total = a
    for _ in range(abs(b)):
        total = total + (1 if b > 0 else -1)
    return total
'''
ADD_LOOP_RENAMED = """def add(a, b):
    acc = a  # running sum


    for step in range(abs(b)):
        acc = acc + (1 if b > 0 else -1)

    return acc
"""
SQUARE_LOOP = '''def square(x):
    """x times x, by repeated addition."""
    result = 0
    for _ in range(abs(int(x))):
        result += abs(x)
    return math.pow(x, 2) if result != x * x else result
'''
SQUARE_LOOP_RENAMED = """def square(value):
    out = 0
    for k in range(abs(int(value))):
        out += abs(value)
    return math.pow(value, 2) if out != value * value else out
"""
# Written apart from the loop answers, and long enough to be compared.
ADD_OWN = '''def add(a, b):
    """Return a + b."""
    parts = [a, b]
    if not all(isinstance(p, int) for p in parts):
        raise TypeError("add takes integers")
    return sum(parts)
'''
SQUARE_OWN = """def square(x):
    squares = {n: n * n for n in range(-100, 101)}
    return squares.get(x, x ** 2)
"""


@dataclass(frozen=True)
class GradedCohort:
    """The graded course, and what the design says each student should show."""

    course: Course
    test_points: dict[str, float]  # grade_id -> points of each autograded test
    lost: dict[str, frozenset[str]]  # graded student -> the tests they must lose
    flags: dict[str, set[FlagKind]]  # student -> the flags they must get (others: none)
    similar: frozenset[tuple[str, str]]  # the pairs that must be listed as alike
    never_graded: frozenset[str]  # handed in, no autograded notebook


def cohort_notebooks(course: Course) -> dict[str, object]:
    """student_id -> what that student hands in for the tiny notebook."""
    ref = reference_notebook(course)
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    fill = cohort.fill_release
    return {
        "ann": fill(release, {"add_answer": ADD_LOOP, "square_answer": SQUARE_LOOP}),
        "cat": fill(
            release, {"add_answer": ADD_LOOP_RENAMED, "square_answer": SQUARE_LOOP_RENAMED}
        ),
        "dee": fill(release, {"add_answer": ADD_OWN, "square_answer": SQUARE_OWN}),
        "blank": release,
        "wrong": edit_cell(ref, "square_answer", "def square(x):\n    return 3 * x"),
        "crash": edit_cell(ref, "square_answer", "raise ValueError('my square broke')"),
        "sleepy": edit_cell(
            ref, "square_answer", "import time\ntime.sleep(60)\ndef square(x):\n    return x * x"
        ),
        "late": ref,
        "tamper": edit_cell(ref, "add_is_sum", "assert True  # trust me"),
        "gone": edit_cell(ref, "square_answer", "import os\nos._exit(1)"),
        "broken": b'{"cells": [',
    }


def build_graded_cohort(root: Path) -> GradedCohort:
    """Release the tiny course, hand in the cohort, autograde it and write feedback."""
    write_tiny_course(root)
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Execute.timeout = {TIMEOUT_S}\n")
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        gradebook.update_or_create_assignment(TINY_ASSIGNMENT, duedate=DUEDATE)
    on_time = DUEDATE.replace(tzinfo=datetime.UTC) - datetime.timedelta(days=1)
    for student_id, nb in cohort_notebooks(course).items():
        when = on_time + datetime.timedelta(hours=26) if student_id == "late" else on_time
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb}, when)
    autograde_assignment(course, TINY_ASSIGNMENT)
    generate_feedback(course, TINY_ASSIGNMENT)
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    every_test = frozenset(autograded_test_points(source))
    square_only = frozenset({"square_is_power"})
    return GradedCohort(
        course=course,
        test_points=autograded_test_points(source),
        lost={
            "ann": frozenset(),
            "cat": frozenset(),
            "dee": frozenset(),
            "blank": every_test,
            "wrong": square_only,
            "crash": square_only,
            "sleepy": square_only,
            "late": frozenset(),
            "tamper": frozenset(),
            "gone": square_only,  # its kernel died in square_answer: the test after it not run
        },
        flags={
            "crash": {FlagKind.ERROR},
            "sleepy": {FlagKind.TIMEOUT},
            "late": {FlagKind.LATE},
            "tamper": {FlagKind.TAMPERING},
            "gone": {FlagKind.ERROR, FlagKind.SUSPICIOUS},  # os._exit: the code scan flags it
            "broken": {FlagKind.REJECTED},
        },
        similar=frozenset({("ann", "cat")}),
        never_graded=frozenset({"broken"}),
    )


@pytest.fixture(scope="session")
def graded_cohort(tmp_path_factory: pytest.TempPathFactory) -> GradedCohort:
    """The tiny course with the whole cohort autograded and its feedback written (once)."""
    return build_graded_cohort(tmp_path_factory.mktemp("report_cohort") / "course")


@pytest.fixture(scope="session")
def cohort_report(graded_cohort: GradedCohort) -> ReportFiles:
    """The report of the graded cohort, written once into the course's report/ folder."""
    return write_report(graded_cohort.course, TINY_ASSIGNMENT)


@pytest.fixture
def private_cohort(graded_cohort: GradedCohort, tmp_path: Path) -> GradedCohort:
    """A copy of the graded cohort that a test may change (its config finds its own root)."""
    root = shutil.copytree(graded_cohort.course.root, tmp_path / "course")
    return GradedCohort(**{**graded_cohort.__dict__, "course": locate_course(root)})
