"""A JupyterHub course through nbgrader's exchange: release, fetch, submit, collect, autograde.

Real nbgrader commands in subprocesses: the instructor's in the course root (the course's own
nbgrader_config.py, the exchange root given on the command line as a hub's global config would
give it), each student's in their own HOME with a ~/.jupyter/nbgrader_config.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, autograded_test_points, read_notebook

from coursekit.authoring import cohort
from coursekit.core.course import Course
from coursekit.nbgrader import api as nbgrader_api

BIN = Path(sys.executable).parent
# Which answer each autograded test of the tiny notebook checks.
TESTED_ANSWER = {"add_is_sum": "add_answer", "square_is_power": "square_answer"}
# What each student fills in before submitting: alice everything, bob only `add`.
ANSWERED = {"alice": ("add_answer", "square_answer"), "bob": ("add_answer",)}


def run(args: list[str], cwd: Path, home: Path | None = None) -> str:
    """Run a command with the venv first on PATH (and a student's HOME); its output."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "XDG_")) and key != "JUPYTERHUB_USER"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if home is not None:
        env["HOME"] = str(home)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{output}"
    return output


def student_home(tmp_path: Path, student_id: str, exchange: Path, course_id: str) -> Path:
    """A student's HOME whose nbgrader config names the exchange, the course and the student."""
    home = tmp_path / "home" / student_id
    (home / ".jupyter").mkdir(parents=True)
    # On JupyterHub the student id is the hub user: nbgrader reads JUPYTERHUB_USER when the
    # OS user is the images' shared `jovyan`, else the OS login. Every student here shares
    # one OS user, so each one's config says who they are, as --student would.
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.CourseDirectory.student_id = {student_id!r}\n"
    )
    return home


def fill_answers(course: Course, notebook: Path, answered: tuple[str, ...]) -> None:
    """Write the instructor's solutions into the chosen answer cells of a fetched notebook."""
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    solutions = cohort.solution_answers(source)
    filled = cohort.fill_release(read_notebook(notebook), {g: solutions[g] for g in answered})
    nbformat.write(filled, notebook)


@pytest.mark.slow
def test_two_students_fetch_submit_and_are_collected_and_graded(
    released_tiny_course: Course, tmp_path: Path
) -> None:
    course = released_tiny_course
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    instructor_exchange = f"--Exchange.root={exchange}"
    course_id = course.layout.course_id

    run(
        [str(BIN / "nbgrader"), "release_assignment", TINY_ASSIGNMENT, instructor_exchange],
        course.root,
    )
    assert (
        exchange / course_id / "outbound" / TINY_ASSIGNMENT / f"{TINY_NOTEBOOK}.ipynb"
    ).is_file()

    for student_id, answered in ANSWERED.items():
        home = student_home(tmp_path, student_id, exchange, course_id)
        run([str(BIN / "nbgrader"), "fetch_assignment", TINY_ASSIGNMENT], home, home)
        fetched = home / TINY_ASSIGNMENT / f"{TINY_NOTEBOOK}.ipynb"
        fill_answers(course, fetched, answered)
        run([str(BIN / "nbgrader"), "submit", TINY_ASSIGNMENT], home, home)
    inbound = sorted(p.name.split("+")[0] for p in (exchange / course_id / "inbound").iterdir())
    assert inbound == ["alice", "bob"]

    run([str(BIN / "nbgrader"), "collect", TINY_ASSIGNMENT, instructor_exchange], course.root)
    for student_id in ANSWERED:
        folder = course.submitted_dir(TINY_ASSIGNMENT, student_id)
        assert (folder / f"{TINY_NOTEBOOK}.ipynb").is_file()
        assert (folder / "timestamp.txt").read_text().strip()

    run(
        [str(BIN / "course"), "--course-dir", str(course.root), "autograde", TINY_ASSIGNMENT],
        course.root,
    )

    points = autograded_test_points(
        read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    )
    for student_id, answered in ANSWERED.items():
        (score,) = nbgrader_api.read_scores(course, TINY_ASSIGNMENT, student_id)
        expected = sum(p for grade_id, p in points.items() if TESTED_ANSWER[grade_id] in answered)
        assert score.auto_score == expected, student_id
    assert set(TESTED_ANSWER) == set(points)  # the mapping above covers every test
