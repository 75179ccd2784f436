"""What exercise 1.4 in particular promises: the lecture's four try-out links and one reflection
for completion credit, graded by a TA; nothing autograded, so no grading variants.
"""

from __future__ import annotations

from helpers.lecture import autograded_tests, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_1_4_try_out"
LINKS = (
    "https://teachablemachine.withgoogle.com/",
    "https://quickdraw.withgoogle.com/",
    "https://www.whichfaceisreal.com/",
    "http://snarxiv.org/vs-arxiv/",
)


def test_every_try_out_tool_is_linked() -> None:
    text = "\n".join(cell.source for cell in source(NOTEBOOK_ID).cells)
    assert [link for link in LINKS if f"<{link}>" not in text] == []


def test_only_a_reflection_is_graded_for_one_point_by_a_ta() -> None:
    nb = source(NOTEBOOK_ID)
    assert autograded_tests(NOTEBOOK_ID) == []
    assert [cell for cell in nb.cells if cell.cell_type == "code"] == []
    graded = [cell for cell in nb.cells if cells.is_grade(cell)]
    assert [cells.grade_id(cell) for cell in graded] == ["answer_try_out_reflection"]
    assert cells.is_written_answer(graded[0]) and cells.nbgrader_meta(graded[0])["points"] == 1
    assert "**Rubric (1 point, completion credit).**" in graded[0].source


def test_the_intro_says_how_the_reflection_is_graded() -> None:
    intro = source(NOTEBOOK_ID).cells[0].source
    assert "**How this notebook is graded.**" in intro
    assert "1 point, completion credit, graded by a teaching assistant" in intro
