"""Submissions are inspected before grading: each kind of damage gets a specific reason."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.notebooks import cell_by_id, delete_cell, duplicate_cell, edit_cell, reference_notebook
from nbformat import NotebookNode

from coursekit.authoring import cohort
from coursekit.core.course import Course
from coursekit.intake.submissions import inspect_submission, read_release
from coursekit.intake.types import Severity, SubmissionProblem


def flip_grade_flag(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """A copy of nb whose grade cell grade_id no longer claims to be graded."""
    nb = copy.deepcopy(nb)
    cell_by_id(nb, grade_id).metadata.nbgrader["grade"] = False
    return nb


def strip_nbgrader_metadata(nb: NotebookNode) -> NotebookNode:
    """The cells pasted into a new notebook: the same sources, no nbgrader metadata."""
    stripped = copy.deepcopy(nb)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    return stripped


def as_json_bytes(data: object) -> bytes:
    """Any JSON value as file content."""
    return json.dumps(data).encode()


# name -> (what the student hands in, given the reference notebook; severity; words of the reason)
Breaker = Callable[[NotebookNode], dict[str, NotebookNode | bytes]]
FATAL_CASES: dict[str, tuple[Breaker, list[str]]] = {
    "missing": (
        lambda ref: {f"{TINY_NOTEBOOK} (copy).ipynb": ref},
        [f"{TINY_NOTEBOOK}.ipynb is missing", f"{TINY_NOTEBOOK} (copy).ipynb"],
    ),
    "empty": (lambda ref: {TINY_NOTEBOOK: b""}, ["is empty"]),
    "not_json": (
        lambda ref: {TINY_NOTEBOOK: b'{"cells": [\n  {"cell_type": \n'},
        ["is not JSON", "line 3 column 1"],
    ),
    "not_a_notebook": (
        lambda ref: {TINY_NOTEBOOK: as_json_bytes({"answer": 42})},
        ["JSON but not a notebook", "answer"],
    ),
    "nbformat_3": (
        lambda ref: {
            TINY_NOTEBOOK: as_json_bytes(
                {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": [], "worksheets": []}
            )
        },
        ["nbformat 3", "needs 4"],
    ),
    "invalid_nbformat": (
        lambda ref: {
            TINY_NOTEBOOK: as_json_bytes(
                {
                    "nbformat": 4,
                    "nbformat_minor": 5,
                    "metadata": {},
                    "cells": [{"cell_type": "code"}],
                }
            )
        },
        ["not a valid notebook", "cells/0"],
    ),
    "nbgrader_metadata_stripped": (
        lambda ref: {TINY_NOTEBOOK: strip_nbgrader_metadata(ref)},
        ["no cell carries nbgrader metadata", "fresh copy of the release"],
    ),
    "grade_flag_flipped": (
        lambda ref: {TINY_NOTEBOOK: flip_grade_flag(ref, "add_is_sum")},
        ["add_is_sum", "flags"],
    ),
}
WARNING_CASES: dict[str, tuple[Breaker, list[str]]] = {
    "test_deleted": (
        lambda ref: {TINY_NOTEBOOK: delete_cell(ref, "add_is_sum")},
        ["grade cells deleted", "add_is_sum", "puts the instructor's version back"],
    ),
    "test_edited": (
        lambda ref: {TINY_NOTEBOOK: edit_cell(ref, "square_is_power", "pass")},
        ["locked cells edited", "square_is_power", "restores"],
    ),
    # Graded as course autograde resolves the copy: tests/test_duplicated_cells.py.
    "duplicated_grade_id": (
        lambda ref: {TINY_NOTEBOOK: duplicate_cell(ref, "add_is_sum")},
        ["add_is_sum", "cells 4 and 8", "graded once"],
    ),
}


def inspect(
    course: Course, student_id: str, notebooks: dict[str, NotebookNode | bytes]
) -> tuple[SubmissionProblem, ...]:
    cohort.write_submission(course, TINY_ASSIGNMENT, student_id, notebooks)
    return inspect_submission(
        course, TINY_ASSIGNMENT, student_id, read_release(course, TINY_ASSIGNMENT)
    )


def test_reference_submission_has_no_problems(released_tiny_course: Course) -> None:
    course = released_tiny_course
    assert inspect(course, "alice", {TINY_NOTEBOOK: reference_notebook(course)}) == ()


@pytest.mark.parametrize("case", sorted(FATAL_CASES))
def test_unfit_submission_is_fatal_with_specific_reason(
    released_tiny_course: Course, case: str
) -> None:
    breaker, words = FATAL_CASES[case]
    problems = inspect(
        released_tiny_course, case, breaker(reference_notebook(released_tiny_course))
    )

    fatal = [p for p in problems if p.severity is Severity.FATAL]
    assert len(fatal) == 1, problems
    assert fatal[0].notebook_id == TINY_NOTEBOOK
    for word in words:
        assert word in fatal[0].reason


@pytest.mark.parametrize("case", sorted(WARNING_CASES))
def test_repairable_damage_is_a_warning_with_specific_reason(
    released_tiny_course: Course, case: str
) -> None:
    breaker, words = WARNING_CASES[case]
    problems = inspect(
        released_tiny_course, case, breaker(reference_notebook(released_tiny_course))
    )

    assert [p.severity for p in problems] == [Severity.WARNING]
    for word in words:
        assert word in problems[0].reason


def test_student_without_folder_is_fatal(released_tiny_course: Course) -> None:
    problems = inspect_submission(
        released_tiny_course,
        TINY_ASSIGNMENT,
        "ghost",
        read_release(released_tiny_course, TINY_ASSIGNMENT),
    )
    assert [p.severity for p in problems] == [Severity.FATAL]
    assert "ghost" in problems[0].reason


def test_unreleased_assignment_says_to_release_first(tiny_course: Course) -> None:
    with pytest.raises(Exception, match=f"course release {TINY_ASSIGNMENT}"):
        read_release(tiny_course, TINY_ASSIGNMENT)


def test_written_notebook_round_trips(released_tiny_course: Course) -> None:
    ref = reference_notebook(released_tiny_course)
    folder = cohort.write_submission(
        released_tiny_course, TINY_ASSIGNMENT, "bob", {TINY_NOTEBOOK: ref}
    )
    assert nbformat.read(folder / f"{TINY_NOTEBOOK}.ipynb", as_version=4) == ref


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("grades.db", "../../../gradebook/gradebook.db"),  # beside the notebook
        (f"{TINY_NOTEBOOK}.ipynb", f"../../../source/{TINY_ASSIGNMENT}/{TINY_NOTEBOOK}.ipynb"),
        ("data", "../../../source"),  # a folder
    ],
)
def test_a_symbolic_link_in_a_submission_is_fatal_naming_it(
    released_tiny_course: Course, name: str, target: str
) -> None:
    """nbgrader would copy what a link points to with the grader's rights, past the sandbox."""
    course = released_tiny_course
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "mallory", {TINY_NOTEBOOK: reference_notebook(course)}
    )
    folder = course.submitted_dir(TINY_ASSIGNMENT, "mallory")
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(target)
    assert (folder / name).exists()  # the link leads to a real instructor's file
    problems = inspect_submission(
        course, TINY_ASSIGNMENT, "mallory", read_release(course, TINY_ASSIGNMENT)
    )
    assert [p.severity for p in problems] == [Severity.FATAL]
    assert "symbolic links" in problems[0].reason and f"{name} -> {target}" in problems[0].reason
