"""Longest jobs first: the order a pool takes its students in (coursekit.grading.job_order)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from helpers.course import python_notebook, write_tiny_course

from coursekit.core.course import Course, locate_course
from coursekit.grading import job_order

ASSIGNMENT = "lecture1"


def course_with_submissions(root: Path, notebooks: dict[str, int]) -> Course:
    """A course where each student handed in that many (empty) notebooks."""
    write_tiny_course(root)
    course = locate_course(root)
    for student_id, count in notebooks.items():
        folder = course.submitted_dir(ASSIGNMENT, student_id)
        folder.mkdir(parents=True)
        for number in range(count):
            nbformat.write(python_notebook([]), folder / f"exercise_{number}.ipynb")
    return course


def test_without_a_record_students_with_more_notebooks_go_first(tmp_path: Path) -> None:
    course = course_with_submissions(tmp_path, {"ann": 1, "bob": 7, "cem": 3, "dan": 7})
    order = job_order.grading_order(course, ASSIGNMENT, ["ann", "bob", "cem", "dan"])
    assert order == ["bob", "dan", "cem", "ann"]  # ties by name: the order repeats


def test_the_last_runs_seconds_order_the_next_run(tmp_path: Path) -> None:
    course = course_with_submissions(tmp_path, {"ann": 2, "bob": 2, "cem": 2})
    job_order.record_seconds(course, ASSIGNMENT, {"ann": 40.0, "bob": 5.0, "cem": 12.5})
    assert job_order.read_seconds(course, ASSIGNMENT) == {"ann": 40.0, "bob": 5.0, "cem": 12.5}
    assert job_order.grading_order(course, ASSIGNMENT, ["bob", "cem", "ann"]) == [
        "ann",
        "cem",
        "bob",
    ]


def test_a_student_without_a_record_is_estimated_from_the_others_per_notebook(
    tmp_path: Path,
) -> None:
    # ann: 30 s for 3 notebooks, 10 s each; new: 4 notebooks, so about 40 s; bob: 35 s.
    course = course_with_submissions(tmp_path, {"ann": 3, "bob": 1, "new": 4})
    job_order.record_seconds(course, ASSIGNMENT, {"ann": 30.0, "bob": 35.0})
    estimates = job_order.estimated_seconds(
        ["ann", "bob", "new"], {"ann": 3, "bob": 1, "new": 4}, {"ann": 30.0, "bob": 35.0}
    )
    # The median of 10 and 35 s per notebook is 22.5 s.
    assert estimates == {"ann": 30.0, "bob": 35.0, "new": 4 * 22.5}
    assert job_order.grading_order(course, ASSIGNMENT, ["ann", "bob", "new"]) == [
        "new",
        "bob",
        "ann",
    ]


def test_a_new_record_keeps_the_other_students_and_assignments(tmp_path: Path) -> None:
    course = course_with_submissions(tmp_path, {})
    job_order.record_seconds(course, ASSIGNMENT, {"ann": 4.0, "bob": 6.0})
    job_order.record_seconds(course, "lecture2", {"ann": 9.0})
    job_order.record_seconds(course, ASSIGNMENT, {"bob": 8.0, "lost": 0.0})  # 0: not run
    assert job_order.read_seconds(course, ASSIGNMENT) == {"ann": 4.0, "bob": 8.0}
    assert job_order.read_seconds(course, "lecture2") == {"ann": 9.0}


def test_an_unreadable_record_costs_only_the_order(tmp_path: Path) -> None:
    course = course_with_submissions(tmp_path, {"ann": 1, "bob": 2})
    for broken in ("{not json", json.dumps([1, 2]), json.dumps({ASSIGNMENT: {"ann": "x"}})):
        job_order.record_path(course).write_text(broken, encoding="utf-8")
        assert job_order.read_seconds(course, ASSIGNMENT) == {}
        assert job_order.grading_order(course, ASSIGNMENT, ["ann", "bob"]) == ["bob", "ann"]
    job_order.record_seconds(course, ASSIGNMENT, {"ann": 3.0})  # and is replaced by a good one
    assert job_order.read_seconds(course, ASSIGNMENT) == {"ann": 3.0}
