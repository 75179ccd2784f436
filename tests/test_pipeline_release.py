"""Release proves itself: solutions pass, the blank release fails, no secret reaches students."""

from __future__ import annotations

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, nbgrader_cell, read_notebook

from coursekit.authoring.release import (
    BLANK_FAILS,
    NO_LEAK,
    SOURCE_PASSES,
    check_no_leak,
    release_assignment,
)
from coursekit.authoring.types import ReleaseReport
from coursekit.core.course import Course


def checks_of(report: ReleaseReport) -> dict[str, tuple[bool | None, tuple[str, ...]]]:
    """check name -> (passed, findings) of the tiny notebook's proof."""
    (proof,) = report.notebooks
    assert proof.notebook_id == TINY_NOTEBOOK
    return {check.name: (check.passed, check.findings) for check in proof.checks}


def test_good_source_is_released_and_proven(kernels: None, released_tiny_course: Course) -> None:
    report = release_assignment(released_tiny_course, TINY_ASSIGNMENT)

    assert report.ok
    assert checks_of(report) == {
        SOURCE_PASSES: (True, ()),
        BLANK_FAILS: (True, ()),
        NO_LEAK: (True, ()),
    }
    assert (released_tiny_course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb").is_file()


def test_no_execute_skips_the_executing_checks(released_tiny_course: Course) -> None:
    report = release_assignment(released_tiny_course, TINY_ASSIGNMENT, execute=False)

    assert report.ok
    assert checks_of(report) == {
        SOURCE_PASSES: (None, ()),
        BLANK_FAILS: (None, ()),
        NO_LEAK: (True, ()),
    }


def add_defects(course: Course) -> None:
    """A miscased hidden region (nbgrader keeps it), a vacuous test and a failing solution."""
    path = course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb"
    nb = read_notebook(path)
    nb.cells.append(
        nbgrader_cell(
            "code",
            "assert square(2) == 4\n### Begin Hidden Tests\nassert square(12) == 144\n"
            "### End Hidden Tests",
            "square_of_twelve",
            grade=True,
            points=1,
        )
    )
    nb.cells.append(
        nbgrader_cell("code", '"""Always passes."""\nassert True', "vacuous", grade=True, points=1)
    )
    nb.cells.append(
        nbgrader_cell(
            "code",
            "### BEGIN SOLUTION\nanswer = 41\n### END SOLUTION",
            "answer_answer",
            solution=True,
        )
    )
    nb.cells.append(
        nbgrader_cell(
            "code",
            "assert answer == 42, f'answer is {answer}'",
            "answer_is_42",
            grade=True,
            points=1,
        )
    )
    nbformat.write(nb, path)


@pytest.fixture
def defective_report(kernels: None, released_tiny_course: Course) -> ReleaseReport:
    add_defects(released_tiny_course)
    return release_assignment(released_tiny_course, TINY_ASSIGNMENT)


def test_defective_source_fails_each_proof_naming_the_cause(defective_report) -> None:
    checks = checks_of(defective_report)
    assert not defective_report.ok

    passed, findings = checks[SOURCE_PASSES]
    assert passed is False
    assert findings == ("answer_is_42 scores 0 of 1",)

    passed, findings = checks[BLANK_FAILS]
    assert passed is False
    assert findings == ("vacuous gives 1 points to an unanswered notebook",)

    passed, findings = checks[NO_LEAK]
    assert passed is False
    assert "leaked: 'assert square(12) == 144'" in findings
    assert "marker 'Begin Hidden Tests' in the release" in findings
    assert not any("answer = 41" in finding for finding in findings), "solution was cleared"


def test_a_model_answer_in_the_release_is_a_leak() -> None:
    """A written-answer cell is secret as a whole: nbgrader replaces it, markers or not."""
    model_answer = "The loss cannot reach zero: its floor is the noise variance."
    source = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("What does noise do?"),
            nbgrader_cell("markdown", model_answer, "answer_noise", grade=True, solution=True),
        ]
    )
    cleared = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("What does noise do?"),
            nbformat.v4.new_markdown_cell("YOUR ANSWER HERE"),
        ]
    )
    leaky = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("What does noise do?"),
            nbformat.v4.new_markdown_cell(model_answer),
        ]
    )
    assert check_no_leak(source, cleared).passed is True
    check = check_no_leak(source, leaky)
    assert check.passed is False and check.findings == (f"leaked: {model_answer!r}",)


def test_release_reports_each_proven_notebook(released_tiny_course: Course) -> None:
    told = []
    report = release_assignment(
        released_tiny_course, TINY_ASSIGNMENT, execute=False, progress=lambda *c: told.append(c)
    )
    assert told == [(1, 1, report.notebooks[0])]
