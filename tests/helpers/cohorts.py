"""Cohorts of the tiny course: students whose expected scores the test points determine."""

from __future__ import annotations

from coursekit.authoring import cohort
from coursekit.core.course import Course
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, autograded_test_points, read_notebook
from helpers.notebooks import delete_cell, duplicate_cell, edit_cell, reference_notebook

WRONG_ADD = "def add(a, b):\n    return a - b"
WRONG_SQUARE = "def square(x):\n    return x + x"  # right for x=2 only: visible test fails too


def source_points(course: Course) -> dict[str, float]:
    """grade_id -> points of the tiny notebook's autograder tests, from its own metadata."""
    return autograded_test_points(
        read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    )


def write_cohort(course: Course) -> None:
    """Students whose expected scores the test points determine, plus unfit and crashing ones."""
    ref = reference_notebook(course)
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    cohort_nbs = {
        "reference": ref,
        "blank": release,
        "wrong_add": edit_cell(ref, "add_answer", WRONG_ADD),
        "test_deleted": delete_cell(ref, "add_is_sum"),
        # The edit would make the test pass; nbgrader restores it, so the wrong answer fails.
        "test_edited": edit_cell(
            edit_cell(ref, "square_is_power", "pass"), "square_answer", WRONG_SQUARE
        ),
        "duplicated": duplicate_cell(ref, "add_is_sum"),
        "kernel_killer": edit_cell(ref, "square_answer", "import os\nos._exit(1)"),
    }
    for student_id, nb in cohort_nbs.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    cohort.write_submission(course, TINY_ASSIGNMENT, "not_json", {TINY_NOTEBOOK: b"{oops"})


RAISES = "def square(x):\n    raise ValueError('not today')"


def write_many(course: Course, count: int) -> dict[str, set[str]]:
    """count students handing in right, wrong and blank answers; student -> tests it fails."""
    ref = reference_notebook(course)
    kinds = {
        "right": (ref, set()),
        "wrong": (edit_cell(ref, "add_answer", WRONG_ADD), {"add_is_sum"}),
        "raises": (edit_cell(ref, "square_answer", RAISES), {"square_is_power"}),
    }
    lost = {}
    for index in range(count):
        kind = list(kinds)[index % len(kinds)]
        student_id = f"s{index:03d}_{kind}"
        nb, lost[student_id] = kinds[kind]
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    return lost
