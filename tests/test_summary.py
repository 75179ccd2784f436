"""`course summary` lists each notebook's graded cells and points; docs/notebooks.md shows them."""

from __future__ import annotations

from pathlib import Path

from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK

from coursekit.authoring.summary import summarize_assignment
from coursekit.authoring.types import GradedItem
from coursekit.cli.render import render_summary
from coursekit.core.course import Course, locate_course

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_summary_lists_tests_and_written_answers_with_points(tiny_course: Course) -> None:
    (summary,) = summarize_assignment(tiny_course, TINY_ASSIGNMENT)

    assert summary.notebook_id == TINY_NOTEBOOK
    assert summary.title == "Arithmetic warm-up"
    assert summary.items == (
        GradedItem("add_is_sum", 2.0, autograded=True),
        GradedItem("square_is_power", 3.0, autograded=True),
        GradedItem("why_commutative", 1.0, autograded=False),
    )
    assert (summary.auto_points, summary.manual_points) == (5.0, 1.0)


def test_summary_table_totals_the_assignment(tiny_course: Course) -> None:
    table = render_summary(TINY_ASSIGNMENT, summarize_assignment(tiny_course, TINY_ASSIGNMENT))

    lines = table.splitlines()
    assert len(lines) == 4
    assert "`add_is_sum` 2, `square_is_power` 3" in lines[2] and "`why_commutative` 1" in lines[2]
    assert lines[-1].endswith("**5 + 1** |")


def test_docs_show_the_current_table_of_lecture1() -> None:
    """docs/notebooks.md's table of notebooks, tasks and points is `course summary`'s output."""
    course = locate_course(REPO_ROOT)
    table = render_summary("lecture1", summarize_assignment(course, "lecture1"))
    page = (REPO_ROOT / "docs" / "notebooks.md").read_text()
    assert table in page, "docs/notebooks.md is stale: paste `course summary lecture1` into it"
