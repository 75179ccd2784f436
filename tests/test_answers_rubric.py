"""The rubric of a written answer is data an instructor writes by hand, read strictly."""

from __future__ import annotations

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.lecture import SOURCE_DIR, source

from coursekit.answers.questions import notebook_questions
from coursekit.answers.rubric import RubricError, parse_rubric, score_of, split_cell
from coursekit.answers.store import comment_text
from coursekit.answers.types import StoredItem
from coursekit.cli.app import main
from coursekit.cli.verb import EXIT_USAGE
from coursekit.core import cells

WHERE = "source/ps1/nb.ipynb, cell 'answer_x'"
GOOD = """**Rubric (2 points, completion credit).**

- +1: the loss stays above zero,
  because the data are noisy.
- +1: numbers.
- -0.5: a wrong claim.
- 0: blank.

Do not deduct for style."""


def test_a_hand_written_rubric_parses_into_items_with_points() -> None:
    rubric = parse_rubric(GOOD, 2, WHERE)
    assert [item.points for item in rubric.items] == [1, 1, -0.5, 0]
    assert rubric.items[0].description == "the loss stays above zero, because the data are noisy."
    assert rubric.notes == "Do not deduct for style."
    assert rubric.points == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("**Rubric (2 points).** 1: prose.", "heading"),
        ("**Rubric (2 points).**\n\n- 1 the loss", "rubric line 3"),
        ("**Rubric (2 points).**\n\n* +1: star bullet\n- +1: ok", "rubric line 3"),
        ("**Rubric (2 points).**\n\nno items at all", "no items"),
        ("**Rubric (2 points).**\n\n- +1: only one", "add up to 1"),
        ("**Rubric (3 points).**\n\n- +1: a\n- +2: b", "metadata 2"),
        ("**Rubric (2 points).**\n\n- +1: a\n\nnote\n\n- +1: b", "after the rubric's notes"),
    ],
)
def test_a_malformed_rubric_is_an_error_naming_notebook_cell_and_line(text: str, says: str) -> None:
    with pytest.raises(RubricError) as error:
        parse_rubric(text, 2, WHERE)
    assert WHERE in str(error.value)
    assert says in str(error.value)


def test_a_cell_without_one_rubric_heading_is_an_error() -> None:
    with pytest.raises(RubricError, match="no '\\*\\*Rubric"):
        split_cell("**Model answer.** Just prose.", WHERE)
    model, rubric = split_cell(
        f"**Model answer (instructor version only).** Prose.\n\n{GOOD}", WHERE
    )
    assert model == "Prose."
    assert rubric.startswith("**Rubric (2 points")


@pytest.mark.parametrize("path", sorted(SOURCE_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_written_answer_of_lecture1_has_a_rubric_worth_its_points(path) -> None:
    written = [cell for cell in source(path.stem).cells if cells.is_written_answer(cell)]
    questions = notebook_questions(path)
    assert [q.grade_id for q in questions] == [cells.grade_id(cell) for cell in written]
    for question, cell in zip(questions, written, strict=True):
        points = float(cells.nbgrader_meta(cell)["points"])
        positive = sum(item.points for item in question.rubric.items if item.points > 0)
        assert question.rubric.points == positive == points
        assert question.model_answer and "Rubric" not in question.model_answer
        assert question.prompt  # the task a TA reads above the answers


def test_a_score_adds_the_items_applied_within_zero_and_the_points() -> None:
    assert score_of([1, 0.5], 2) == 1.5
    assert score_of([1, 1, 1], 2) == 2
    assert score_of([-0.5], 2) == 0
    assert score_of([], 2) == 0


def test_the_comment_lists_the_items_applied_then_the_tas_words() -> None:
    items = [StoredItem(1.0, "numbers", item_id=1), StoredItem(-0.5, "a wrong claim", item_id=2)]
    assert (
        comment_text(items, "Well argued.") == "[+1] numbers\n[-0.5] a wrong claim\n\nWell argued."
    )
    assert comment_text([], "Only words.") == "Only words."
    assert comment_text([], "") == ""


def test_course_answers_stops_on_a_cell_without_a_rubric_naming_it(
    tiny_course_dir, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tiny course's written answer has no rubric: the page does not start, and says where."""
    argv = ["--course-dir", str(tiny_course_dir), "answers", TINY_ASSIGNMENT, "--port", "0"]
    assert main(argv) == EXIT_USAGE
    error = capsys.readouterr().err
    assert f"{TINY_NOTEBOOK}.ipynb, cell 'why_commutative'" in error
    assert "**Rubric (N points).**" in error
