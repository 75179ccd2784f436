"""Cells copied with their grade_id are graded once, with the instructor's tests; the student is
graded (never dropped), the status and the feedback name the copies, submitted/ is untouched."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path

import pytest
from helpers.cohorts import WRONG_ADD
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.feedback import visible_text
from helpers.notebooks import cell_by_id, edit_cell, reference_notebook
from nbformat import NotebookNode

from coursekit.authoring import cohort
from coursekit.cli.render import render_autograde
from coursekit.core.course import Course, locate_course
from coursekit.core.types import NotebookScore
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.reporting.feedback import generate_feedback
from coursekit.steps.duplicated_cells import find_duplicated_cells, resolve_duplicated_cells

# The tiny notebook's cells: 1 title, 2 setup, 3 add_answer, 4 add_is_sum, 5 square_answer,
# 6 square_is_power, 7 why_commutative.
WRITTEN = "Counting the same things in another order gives the same count."
HELPER_THEN_WRONG = "def _times(x, y):\n    return x * y\n\ndef square(x):\n    return x + x"
USES_HELPER = "def square(x):\n    return _times(x, x)"


def paste(nb: NotebookNode, grade_id: str, at: int, source: str | None = None) -> NotebookNode:
    """nb with a copy of cell grade_id inserted at index `at` (its metadata kept, as Jupyter
    pastes), with a new source if given."""
    nb = copy.deepcopy(nb)
    pasted = copy.deepcopy(cell_by_id(nb, grade_id))
    pasted.id = f"pasted-{at}"
    if source is not None:
        pasted.source = source
    nb.cells.insert(at, pasted)
    return nb


def partial(course: Course) -> NotebookNode:
    """A student who gets add wrong and square right, with a written answer."""
    ref = edit_cell(reference_notebook(course), "add_answer", WRONG_ADD)
    return edit_cell(ref, "why_commutative", f"Why is addition commutative?\n\n{WRITTEN}")


@dataclasses.dataclass(frozen=True)
class Case:
    """A submission with copied cells, the same submission without them, what the status says."""

    copied: NotebookNode
    alone: NotebookNode
    words: tuple[str, ...]  # in the status line
    note: str  # in the feedback, at the copy


def cases(course: Course) -> dict[str, Case]:
    base = partial(course)
    release = read_release(course)
    answered_once = edit_cell(base, "square_answer", f"{HELPER_THEN_WRONG}\n\n{USES_HELPER}")
    return {
        # Pasted right below the original (Jupyter's C, V).
        "test_copied": Case(
            paste(base, "add_is_sum", 4),
            base,
            ("add_is_sum (test) at cells 4 and 5", "graded once", "not run"),
            "a copy of the test add_is_sum",
        ),
        # Edited, at the end of the notebook.
        "test_copy_edited": Case(
            paste(base, "square_is_power", 7, 'print("mine")\nassert square(3) == 9'),
            base,
            ("square_is_power (test) at cells 6 and 8", "cell 8 (edited) not run"),
            "a copy of the test square_is_power",
        ),
        # The copy edited to always pass, below the failing original: it earns nothing.
        "test_copy_always_passes": Case(
            paste(base, "add_is_sum", 4, "pass"),
            base,
            ("add_is_sum (test) at cells 4 and 5", "instructor's version graded once"),
            "a copy of the test add_is_sum",
        ),
        # Pasted above the answer it tests: the test runs at its place in the release order.
        "test_copied_above_its_answer": Case(
            paste(base, "square_is_power", 4),
            base,
            ("square_is_power (test) at cells 5 and 7", "at cell 7", "copy at cell 5 not run"),
            "a copy of the test square_is_power",
        ),
        # The first copy defines a helper the second (graded) copy uses: the copy still runs.
        "answer_copied": Case(
            paste(
                edit_cell(base, "square_answer", USES_HELPER), "square_answer", 4, HELPER_THEN_WRONG
            ),
            answered_once,
            ("square_answer (answer) at cells 5 and 6", "cell 6 graded as the answer"),
            "a copy of the answer cell square_answer",
        ),
        # The written answer, then an unanswered copy pasted below: the answer is graded.
        "written_copied": Case(
            paste(base, "why_commutative", 7, cell_by_id(release, "why_commutative").source),
            base,
            ("why_commutative (written answer) at cells 7 and 8", "cell 7 graded"),
            "a copy of the written answer why_commutative",
        ),
    }


def read_release(course: Course) -> NotebookNode:
    return read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")


@dataclasses.dataclass(frozen=True)
class Graded:
    course: Course
    cases: dict[str, Case]
    handed_in: dict[str, bytes]  # student -> the submitted file's bytes before grading
    report: AutogradeReport

    def outcome(self, student_id: str) -> StudentOutcome:
        return next(o for o in self.report.outcomes if o.student_id == student_id)

    def feedback_text(self, student_id: str) -> str:
        folder = self.course.feedback_dir(TINY_ASSIGNMENT, student_id)
        return visible_text(folder / f"{TINY_NOTEBOOK}.html")


@pytest.fixture(scope="module")
def graded(
    kernels: None, released_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Graded:
    """Each case with copies and its twin without them, autograded in one run, with feedback."""
    root = shutil.copytree(released_template, tmp_path_factory.mktemp("copies") / "course")
    course = locate_course(root)
    made = cases(course)
    handed_in = {}
    for name, case in made.items():
        for student_id, nb in [(name, case.copied), (f"{name}__alone", case.alone)]:
            folder = cohort.write_submission(
                course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb}
            )
            handed_in[student_id] = (folder / f"{TINY_NOTEBOOK}.ipynb").read_bytes()
    report = autograde_assignment(course, TINY_ASSIGNMENT)
    assert generate_feedback(course, TINY_ASSIGNMENT).ok
    return Graded(course, made, handed_in, report)


def scores_of(outcome: StudentOutcome) -> tuple[NotebookScore, ...]:
    """The outcome's scores without whose they are."""
    return tuple(dataclasses.replace(score, student_id="") for score in outcome.scores)


CASES = [
    "test_copied",
    "test_copy_edited",
    "test_copy_always_passes",
    "test_copied_above_its_answer",
    "answer_copied",
    "written_copied",
]


@pytest.mark.slow  # grades a cohort of its own (the `graded` fixture)
@pytest.mark.parametrize("name", CASES)
def test_copied_cells_score_as_the_submission_without_them(graded: Graded, name: str) -> None:
    copied, alone = graded.outcome(name), graded.outcome(f"{name}__alone")
    assert copied.status is Status.GRADED, copied.reason
    assert alone.status is Status.GRADED, alone.reason
    assert scores_of(copied) == scores_of(alone)
    # Not a trivially full or empty score: add is wrong, so add_is_sum scores 0.
    (score,) = copied.scores
    assert 0 < score.auto_score < score.max_auto_score


@pytest.mark.slow  # grades a cohort of its own (the `graded` fixture)
@pytest.mark.parametrize("name", CASES)
def test_status_line_names_the_copies_and_how_they_were_graded(graded: Graded, name: str) -> None:
    rows = [
        line for line in render_autograde(graded.report).splitlines() if line.startswith(f"{name} ")
    ]
    assert len(rows) == 1, rows
    assert " graded " in rows[0] and "cells copied with their grade_id" in rows[0]
    for words in graded.cases[name].words:
        assert words in rows[0]


@pytest.mark.slow  # grades a cohort of its own (the `graded` fixture)
@pytest.mark.parametrize("name", CASES)
def test_feedback_says_at_the_copy_that_it_was_not_graded(graded: Graded, name: str) -> None:
    text = " ".join(graded.feedback_text(name).split())
    assert f"Not graded: {graded.cases[name].note}" in text
    assert "Not graded" not in graded.feedback_text(f"{name}__alone")


@pytest.mark.slow  # grades a cohort of its own (the `graded` fixture)
@pytest.mark.parametrize("name", CASES)
def test_the_submitted_file_is_left_as_handed_in(graded: Graded, name: str) -> None:
    path = graded.course.submitted_dir(TINY_ASSIGNMENT, name) / f"{TINY_NOTEBOOK}.ipynb"
    assert path.read_bytes() == graded.handed_in[name]
    assert read_notebook(path) == graded.cases[name].copied


@pytest.mark.slow  # grades a cohort of its own (the `graded` fixture)
def test_a_copy_made_to_pass_is_not_run_and_earns_nothing(graded: Graded) -> None:
    (score,) = graded.outcome("test_copy_always_passes").scores
    cells = {cell.grade_id: cell for cell in score.cells}
    assert cells["add_is_sum"].score == 0 < cells["add_is_sum"].max_score
    autograded = read_notebook(
        graded.course.autograded_dir(TINY_ASSIGNMENT, "test_copy_always_passes")
        / f"{TINY_NOTEBOOK}.ipynb"
    )
    tests = [
        c
        for c in autograded.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "add_is_sum"
    ]
    assert len(tests) == 1 and "assert add(1, 2) == 3" in tests[0].source
    assert "pass" not in {line.strip() for line in tests[0].source.splitlines()}


@pytest.mark.slow  # grades a cohort of its own (the `graded` fixture)
def test_the_written_answer_graded_is_the_answered_copy(graded: Graded) -> None:
    autograded = read_notebook(
        graded.course.autograded_dir(TINY_ASSIGNMENT, "written_copied") / f"{TINY_NOTEBOOK}.ipynb"
    )
    assert WRITTEN in cell_by_id(autograded, "why_commutative").source
    (score,) = graded.outcome("written_copied").scores
    assert score.needs_manual_grade


# Which copy is graded, without a kernel.


def test_no_copies_no_plan(released_tiny_course: Course) -> None:
    course = released_tiny_course
    assert find_duplicated_cells(partial(course), read_release(course)) == ()


def test_a_test_pasted_above_its_answer_is_graded_at_its_place(
    released_tiny_course: Course,
) -> None:
    course = released_tiny_course
    nb = paste(partial(course), "add_is_sum", 2)  # cell 3, above add_answer (now cell 4)
    (found,) = find_duplicated_cells(nb, read_release(course))
    assert (found.grade_id, found.positions, found.graded) == ("add_is_sum", (3, 5), 5)


def test_an_unanswered_copy_is_not_the_answer(released_tiny_course: Course) -> None:
    course = released_tiny_course
    stub = cell_by_id(read_release(course), "square_answer").source
    for at, expected in [(4, 6), (5, 5)]:  # the stub pasted above, then below, the answer
        nb = paste(partial(course), "square_answer", at, stub)
        (found,) = find_duplicated_cells(nb, read_release(course))
        assert found.graded == expected, (at, found)


def test_copies_lose_their_grade_id_and_instructor_copies_their_code(
    released_tiny_course: Course,
) -> None:
    course = released_tiny_course
    # setup pasted below itself (cells 2, 3); square_answer pasted below itself (cells 6, 7).
    nb = paste(paste(partial(course), "setup", 2), "square_answer", 6)
    before = copy.deepcopy(nb)
    found = find_duplicated_cells(nb, read_release(course))
    assert [(d.grade_id, d.kind, d.positions, d.graded) for d in found] == [
        ("setup", "read-only cell", (2, 3), 3),
        ("square_answer", "answer", (6, 7), 7),
    ]

    resolved = resolve_duplicated_cells(nb, found)

    assert nb == before, "the notebook handed in is not changed in place"
    ids = [c.metadata["nbgrader"]["grade_id"] for c in resolved.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) == 6  # setup, two answers, two tests, the written answer
    setup_copy, answer_copy = resolved.cells[1], resolved.cells[5]
    assert "nbgrader" not in setup_copy.metadata and "nbgrader" not in answer_copy.metadata
    assert setup_copy.source == (
        "# Not graded: a copy of the read-only cell setup, which was used once, with the "
        "instructor's version, at cell 3. This copy was not run.\n# import math"
    )
    answer = cell_by_id(nb, "square_answer").source
    assert answer_copy.source == (
        f"{answer}\n# Not graded: a copy of the answer cell square_answer; cell 7 is graded "
        "as the answer. This copy ran as plain code."
    )


def test_the_course_config_resolves_copies_before_nbgrader_sanitizes() -> None:
    # Stock `nbgrader autograde` reads the same file: the step leads nbgrader's own sanitize
    # steps, which stay as nbgrader 0.9.6 has them, and finds every assignment's release.
    from nbgrader.converters import Autograde

    from coursekit.core.course import load_config
    from coursekit.steps.duplicated_cells import STEP

    repo = Path(__file__).resolve().parents[1]
    config = load_config(repo / "nbgrader_config.py")
    steps = list(config.Autograde.sanitize_preprocessors)
    defaults = Autograde.class_traits()["sanitize_preprocessors"].default()
    assert steps[0] == STEP
    assert steps[1:] == [f"{s.__module__.rsplit('.', 1)[0]}.{s.__name__}" for s in defaults]
    folder = config.ResolveDuplicatedCells.release_folder.replace("{assignment_id}", "lecture1")
    assert (Path(folder) / "exercise_1_2_linear_regression.ipynb").is_file()
