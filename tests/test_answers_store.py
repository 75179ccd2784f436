"""Rubric items applied beside nbgrader's gradebook: scores, re-scoring, and two TAs at once.

A gradebook made with nbgrader's own API (one written-answer cell, 16 students, no kernel);
each TA is a RubricStore on a connection of its own, in a thread of its own, as two server
processes would be. Every expected score is computed from the rubric's points.
"""

from __future__ import annotations

import concurrent.futures
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursekit.answers.store import RubricStore, StaleComment
from coursekit.answers.types import Question, Rubric, RubricItem
from coursekit.nbgrader.api import quiet_nbgrader
from coursekit.nbgrader.written_grades import WrittenGradebook

ASSIGNMENT, NOTEBOOK, GRADE_ID = "ps1", "nb", "answer_why"
STUDENTS = [f"s{index:02d}" for index in range(16)]
QUESTION = Question(
    NOTEBOOK,
    GRADE_ID,
    "Why?",
    "Because.",
    Rubric(2.0, (RubricItem(1.0, "reason"), RubricItem(1.0, "numbers"), RubricItem(-0.5, "wrong"))),
)


def make_gradebook(url: str) -> None:
    """A gradebook with one written-answer cell and every student's submission of it."""
    with quiet_nbgrader(), Gradebook(url) as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        gradebook.add_notebook(NOTEBOOK, ASSIGNMENT)
        gradebook.add_grade_cell(
            GRADE_ID, NOTEBOOK, ASSIGNMENT, max_score=QUESTION.rubric.points, cell_type="markdown"
        )
        gradebook.add_solution_cell(GRADE_ID, NOTEBOOK, ASSIGNMENT)
        for student in STUDENTS:
            gradebook.add_student(student)
            gradebook.add_submission(ASSIGNMENT, student)


@pytest.fixture(scope="module")
def template_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite gradebook, made once for the module."""
    path = tmp_path_factory.mktemp("answers_store") / "gradebook.db"
    make_gradebook(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(template_gradebook: Path, tmp_path: Path) -> str:
    """A private copy of the template gradebook."""
    return f"sqlite:///{shutil.copy(template_gradebook, tmp_path / 'gradebook.db')}"


def open_store(db_url: str) -> RubricStore:
    store = RubricStore(WrittenGradebook(db_url, "default_course"), ASSIGNMENT)
    store.seed([QUESTION])
    return store


def grades(store: RubricStore) -> dict:
    try:
        return store.gradebook.read_grades(ASSIGNMENT, NOTEBOOK, GRADE_ID)
    finally:
        store.gradebook.rollback()


def test_items_score_answers_and_a_points_change_rescores_only_theirs(db_url: str) -> None:
    store = open_store(db_url)
    reason, numbers, wrong = store.read(QUESTION).items
    store.apply(QUESTION, STUDENTS[:10], reason.item_id, True, "ta")
    store.apply(QUESTION, STUDENTS[:5], wrong.item_id, True, "ta")
    store.grade(QUESTION, STUDENTS[10:12])
    before = grades(store)
    assert {before[s].score for s in STUDENTS[:5]} == {reason.points + wrong.points}
    assert {before[s].score for s in STUDENTS[5:10]} == {reason.points}
    assert {before[s].score for s in STUDENTS[10:12]} == {0.0}
    assert all(before[s].needs_manual_grade for s in STUDENTS[12:])
    assert before[STUDENTS[0]].comment == f"{reason.label}\n{wrong.label}"

    store.edit_item(QUESTION, wrong.item_id, -1.5, wrong.description)
    after = grades(store)
    assert {after[s].score for s in STUDENTS[:5]} == {max(reason.points - 1.5, 0.0)}
    assert {after[s].score for s in STUDENTS[5:10]} == {reason.points}
    store.delete_item(QUESTION, reason.item_id)
    assert {grades(store)[s].score for s in STUDENTS[:10]} == {0.0}
    added = store.edit_item(QUESTION, None, 0.5, "a sketch")
    store.apply(QUESTION, STUDENTS[:1], added, True, "lead")
    assert [item.description for item in store.read(QUESTION).items] == [
        "numbers",
        "wrong",
        "a sketch",
    ]
    assert grades(store)[STUDENTS[0]].score == max(0.5 - 1.5, 0.0)  # with "wrong" at -1.5
    store.gradebook.close()


def test_two_graders_applying_items_at_once_lose_none(db_url: str) -> None:
    grade_at_once(db_url)


@pytest.mark.slow  # starts a PostgreSQL server
def test_two_graders_applying_items_at_once_lose_none_on_postgresql(postgres_url: str) -> None:
    make_gradebook(postgres_url)
    grade_at_once(postgres_url)


def grade_at_once(db_url: str) -> None:
    """Two TAs on connections of their own apply one item each to every answer at once."""
    first, second = open_store(db_url), open_store(db_url)
    reason, numbers, _ = first.read(QUESTION).items

    def grade_each(store: RubricStore, item_id: int) -> None:
        for student in STUDENTS:
            store.apply(QUESTION, [student], item_id, True, f"ta{item_id}")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        done = [
            pool.submit(grade_each, first, reason.item_id),
            pool.submit(grade_each, second, numbers.item_id),
        ]
        for future in done:
            future.result(timeout=120)
    marks = first.read(QUESTION).marks
    assert {marks[s].item_ids for s in STUDENTS} == {frozenset({reason.item_id, numbers.item_id})}
    assert {g.score for g in grades(first).values()} == {reason.points + numbers.points}
    first.gradebook.close()
    second.gradebook.close()


def test_a_comment_over_a_newer_one_is_refused_and_keeps_the_newer(db_url: str) -> None:
    first, second = open_store(db_url), open_store(db_url)
    first.set_comment(QUESTION, {STUDENTS[0]: 0}, "from the first", "ta1")
    with pytest.raises(StaleComment) as stale:
        second.set_comment(QUESTION, {STUDENTS[0]: 0}, "from the second", "ta2")
    assert stale.value.current.comment == "from the first"
    assert grades(second)[STUDENTS[0]].comment == "from the first"
    first.gradebook.close()
    second.gradebook.close()
