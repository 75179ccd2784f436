"""Stock nbgrader commands and `course` agree on the tiny course, run as real subprocesses."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, autograded_test_points, read_notebook
from helpers.feedback import hidden_test_lines, visible_text
from helpers.notebooks import delete_cell, duplicate_cell, edit_cell, reference_notebook

from coursekit.authoring import cohort
from coursekit.core.course import locate_course

BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow  # each test grades the tiny cohort twice, in subprocesses: ~50 s


def run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run a venv command in the course dir with a PATH that does not lead to the venv."""
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # `course` must fix PATH itself
    cmd = [str(BIN / argv[0]), *argv[1:]]
    if argv[0] == "nbgrader":  # stock nbgrader relies on an activated venv (alembic on PATH)
        env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_stock_nbgrader_and_course_give_the_same_scores(tiny_course_dir: Path) -> None:
    root = tiny_course_dir
    generated = run(root, "nbgrader", "generate_assignment", TINY_ASSIGNMENT)
    assert generated.returncode == 0, generated.stderr

    course = locate_course(root)
    ref = reference_notebook(course)
    submissions = {
        "ref": ref,
        "wrong": edit_cell(ref, "add_answer", "def add(a, b):\n    return 0"),
        "deleted": delete_cell(ref, "square_is_power"),
        # A test pasted again, as Jupyter users do: nbgrader alone fails the notebook.
        "copied": duplicate_cell(ref, "add_is_sum"),
    }
    for student_id, nb in submissions.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    points = autograded_test_points(
        read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    )
    expected = {
        "ref": sum(points.values()),
        "wrong": sum(points.values()) - points["add_is_sum"],
        # The deleted test is put back (OverwriteCells.add_missing_cells) and passes.
        "deleted": sum(points.values()),
        "copied": sum(points.values()),
    }

    for argv in (["autograde"], ["generate_feedback"]):
        done = run(root, "nbgrader", *argv, TINY_ASSIGNMENT)
        assert done.returncode == 0, done.stderr
    assert run(root, "nbgrader", "export").returncode == 0
    stock = {r["student_id"]: float(r["score"]) for r in csv_rows(root / "grades.csv")}
    assert stock == expected

    secrets = hidden_test_lines(course)
    for student_id in submissions:
        text = visible_text(
            course.feedback_dir(TINY_ASSIGNMENT, student_id) / f"{TINY_NOTEBOOK}.html"
        )
        assert not [line for line in secrets if line in text], student_id

    graded = run(root, "course", "autograde", TINY_ASSIGNMENT)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    exported = run(root, "course", "export", TINY_ASSIGNMENT, "--to", "coursekit.csv")
    assert exported.returncode == 0, exported.stderr
    ours = {r["student_id"]: float(r["score"]) for r in csv_rows(root / "coursekit.csv")}
    assert ours == stock


def test_course_commands_run_end_to_end_and_exit_2_on_a_broken_student(
    tiny_course_dir: Path,
) -> None:
    root = tiny_course_dir
    released = run(root, "course", "release", TINY_ASSIGNMENT)
    assert released.returncode == 0, released.stdout + released.stderr
    assert "Release proven." in released.stdout

    course = locate_course(root)
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "good", {TINY_NOTEBOOK: reference_notebook(course)}
    )
    cohort.write_submission(course, TINY_ASSIGNMENT, "broken", {TINY_NOTEBOOK: b""})
    graded = run(root, "course", "autograde", TINY_ASSIGNMENT)
    assert graded.returncode == 2, graded.stdout + graded.stderr
    assert "rejected" in graded.stdout and "is empty" in graded.stdout

    feedback = run(root, "course", "feedback", TINY_ASSIGNMENT)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    assert (course.feedback_dir(TINY_ASSIGNMENT, "good") / f"{TINY_NOTEBOOK}.html").is_file()
