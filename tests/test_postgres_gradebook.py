"""The gradebook on a real PostgreSQL server (nbgrader's db_url): release, parallel autograde,
scores and export give what the SQLite default gives.

The test starts a throwaway server on a free loopback port from Debian's binaries (`bash .ci/run`
installs them); as root it runs them as the `postgres` user, as PostgreSQL requires.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from helpers.cohorts import WRONG_ADD, source_points
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, write_tiny_course
from helpers.notebooks import duplicate_cell, edit_cell, reference_notebook

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import Status
from coursekit.grading.workers import ExecutorSpec
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.export import export_grades

pytestmark = pytest.mark.slow  # starts a database server, then grades a cohort


def course_on(root: Path, db_url: str | None) -> Course:
    """The tiny course, released, on the gradebook db_url (None: its SQLite default)."""
    write_tiny_course(root)
    if db_url is not None:
        with (root / "nbgrader_config.py").open("a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    ref = reference_notebook(course)
    submissions = {
        "reference": ref,
        "wrong_add": edit_cell(ref, "add_answer", WRONG_ADD),
        "duplicated": duplicate_cell(ref, "add_is_sum"),
    }
    for student_id, nb in submissions.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
    return course


def test_postgres_gradebook_grades_in_parallel_like_sqlite(
    postgres_url: str, tmp_path: Path
) -> None:
    on_postgres = course_on(tmp_path / "postgres", postgres_url)
    on_sqlite = course_on(tmp_path / "sqlite", None)
    assert on_postgres.db_url == postgres_url and on_sqlite.db_url.startswith("sqlite")

    report = autograde_assignment(
        on_postgres, TINY_ASSIGNMENT, executor=ExecutorSpec(name="local", workers=2)
    )
    expected = autograde_assignment(on_sqlite, TINY_ASSIGNMENT)

    statuses = {o.student_id: o.status for o in report.outcomes}
    assert statuses == {
        "duplicated": Status.GRADED,
        "reference": Status.GRADED,
        "wrong_add": Status.GRADED,
    }
    points = source_points(on_postgres)
    full = sum(points.values())
    auto = {o.student_id: sum(s.auto_score for s in o.scores) for o in report.outcomes}
    assert auto == {"duplicated": full, "reference": full, "wrong_add": full - points["add_is_sum"]}
    for outcome in report.outcomes:
        assert nbgrader_api.read_scores(
            on_postgres, TINY_ASSIGNMENT, outcome.student_id
        ) == nbgrader_api.read_scores(on_sqlite, TINY_ASSIGNMENT, outcome.student_id)
    assert [o.scores for o in report.outcomes] == [o.scores for o in expected.outcomes]

    with psycopg.connect(postgres_url) as db:
        (submissions,) = db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()
    assert submissions == 3  # the copied test cell is graded too

    rows = export_grades(on_postgres, TINY_ASSIGNMENT, tmp_path / "grades.csv")
    assert rows == export_grades(on_sqlite, TINY_ASSIGNMENT, tmp_path / "sqlite.csv")
    assert (tmp_path / "grades.csv").read_text().count("\n") == 1 + len(rows)
