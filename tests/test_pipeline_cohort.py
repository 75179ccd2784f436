"""Synthetic submissions: solution answers, filled releases, written submission folders."""

from __future__ import annotations

import datetime

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, nbgrader_cell, read_notebook
from nbformat.v4 import new_notebook

from coursekit.authoring import cohort
from coursekit.core.course import Course


def test_solution_answers_drop_markers_and_keep_indentation() -> None:
    source = new_notebook(
        cells=[
            nbgrader_cell(
                "code",
                "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n"
                "    ### END SOLUTION\nprint(f(1))",
                "f_answer",
                solution=True,
            ),
            nbgrader_cell("code", "assert f(1) == 2", "f_works", grade=True, points=1),
            nbgrader_cell(
                "markdown",
                "### BEGIN SOLUTION\ntext\n### END SOLUTION",
                "essay",
                solution=True,
                grade=True,
                points=1,
            ),
        ]
    )
    answers = cohort.solution_answers(source)
    assert answers == {"f_answer": "def f(x):\n    y = x + 1\n    return y\nprint(f(1))"}
    assert compile(answers["f_answer"], "f_answer", "exec")


def test_solution_answers_keep_a_cell_without_markers_whole() -> None:
    source = new_notebook(cells=[nbgrader_cell("code", "x = 1", "x_answer", solution=True)])
    assert cohort.solution_answers(source) == {"x_answer": "x = 1"}


def test_solution_answers_reject_an_unterminated_region() -> None:
    source = new_notebook(
        cells=[nbgrader_cell("code", "### BEGIN SOLUTION\nx = 1", "x_answer", solution=True)]
    )
    with pytest.raises(ValueError, match="x_answer"):
        cohort.solution_answers(source)


def test_fill_release_puts_answers_in_matching_cells_only(released_tiny_course: Course) -> None:
    course = released_tiny_course
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    answers = cohort.solution_answers(source)
    first = cohort.answer_grade_ids(source)[0]

    filled = cohort.fill_release(release, {first: answers[first]})

    by_id = {
        c.metadata.nbgrader.grade_id: c.source for c in filled.cells if "nbgrader" in c.metadata
    }
    stubs = {
        c.metadata.nbgrader.grade_id: c.source for c in release.cells if "nbgrader" in c.metadata
    }
    assert by_id[first] == answers[first]
    assert {k: v for k, v in by_id.items() if k != first} == {
        k: v for k, v in stubs.items() if k != first
    }
    assert stubs[first] != answers[first], "fill_release must not modify its input"


def test_fill_release_names_unknown_grade_ids(released_tiny_course: Course) -> None:
    release = read_notebook(
        released_tiny_course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb"
    )
    with pytest.raises(ValueError, match="'no_such_cell'"):
        cohort.fill_release(release, {"no_such_cell": "pass"})


def test_write_submission_writes_notebooks_bytes_and_a_parsable_timestamp(
    tiny_course: Course,
) -> None:
    from nbgrader.utils import parse_utc  # the parser nbgrader applies to timestamp.txt

    nb = new_notebook()
    folder = cohort.write_submission(
        tiny_course, TINY_ASSIGNMENT, "alice", {TINY_NOTEBOOK: nb, "broken.ipynb": b"{not json"}
    )

    assert folder == tiny_course.root / "submitted" / "alice" / TINY_ASSIGNMENT
    assert nbformat.read(folder / f"{TINY_NOTEBOOK}.ipynb", as_version=4) == nb
    assert (folder / "broken.ipynb").read_bytes() == b"{not json"
    stamp = parse_utc((folder / "timestamp.txt").read_text())  # naive, in UTC
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs(stamp - now) < datetime.timedelta(minutes=5)


def test_fill_release_also_fills_written_answers(released_tiny_course: Course) -> None:
    course = released_tiny_course
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    written = cohort.written_answers(source)
    assert written, "the tiny notebook has a manually graded answer"
    filled = cohort.fill_release(release, written)
    by_id = {
        c.metadata.nbgrader.grade_id: c
        for c in filled.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for grade_id, text in written.items():
        assert by_id[grade_id].cell_type == "markdown" and by_id[grade_id].source == text
