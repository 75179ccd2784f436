"""The grading page's server on 32 graded demo students: access, grades, rubric edits, two TAs.

Everything goes through the real HTTP API of a real `course answers` process (or of Jupyter
Server with the extension); what it did is read back from nbgrader's gradebook, from the grade
export and from the feedback HTML, computed from the rubric items applied, never hard-coded.
"""

from __future__ import annotations

import concurrent.futures
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.answers_cohort import ASSIGNMENT, AnswersCohort
from helpers.answers_server import (
    ANSWERS_EXTENSION,
    FORMGRADER_EXTENSION,
    PageClient,
    course_answers,
    jupyter_with_answers,
)
from helpers.feedback import visible_text
from helpers.grader_identity import HEADER

from coursekit.answers.summary import summarize_written
from coursekit.answers.types import Question
from coursekit.core.types import CellScore
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.export import export_grades
from coursekit.reporting.feedback import generate_feedback

pytestmark = pytest.mark.slow  # grades a cohort of 32 (shared), starts servers


def question(cohort: AnswersCohort, grade_id: str) -> Question:
    return next(q for q in cohort.questions if q.grade_id == grade_id)


def written_cell(cohort: AnswersCohort, q: Question, student_id: str) -> CellScore:
    """The gradebook's grade of one student's answer to one question."""
    scores = nbgrader_api.read_scores(cohort.course, ASSIGNMENT, student_id)
    notebook = next(nb for nb in scores if nb.notebook_id == q.notebook_id)
    return next(cell for cell in notebook.cells if cell.grade_id == q.grade_id)


def blank(view: dict) -> list[str]:
    """The students whose answer the page shows as blank (nbgrader scored them 0 itself)."""
    return [a["student_id"] for g in view["groups"] if g["blank"] for a in g["answers"]]


def expected_score(items: dict[int, float], applied: list[int], points: float) -> float:
    """A score as the rubric gives it: the applied items' points added, within 0 and points."""
    return min(max(sum(items[i] for i in applied), 0.0), points)


@pytest.fixture(scope="module")
def graded(answers_cohort: AnswersCohort, tmp_path_factory: pytest.TempPathFactory):
    """A private copy of the cohort, served by `course answers` for this module's tests."""
    cohort = answers_cohort.copy(tmp_path_factory.mktemp("answers_page") / "course")
    with course_answers(cohort.course, ASSIGNMENT) as (url, token):
        base = url.split("?")[0]
        yield cohort, PageClient(base, {"Authorization": f"token {token}"}), base


def test_only_the_token_opens_the_page_or_its_answers(graded) -> None:
    cohort, client, base = graded
    for headers in ({}, {"Authorization": "token wrong"}):
        stranger = PageClient(base, headers)
        assert stranger.request("")[0] == 403
        assert stranger.request("api/questions")[0] == 403
        key = cohort.questions[0].key
        assert stranger.request(f"api/question?key={urllib.parse.quote(key)}")[0] == 403
    status, page = client.request("")
    assert status == 200 and "written answers" in page
    overview = client.ok("api/questions")
    assert [row["key"] for row in overview] == [q.key for q in cohort.questions]
    assert all(row["answers"] == len(cohort.kinds) for row in overview)


def test_an_item_applied_to_a_group_and_its_points_changed_reach_gradebook_and_feedback(
    graded,
) -> None:
    cohort, client, _ = graded
    q = question(cohort, "answer_inputs")
    view = client.view(q.key)
    group = view["groups"][0]
    students = [a["student_id"] for a in group["answers"]]
    assert len(students) == max(len(g["answers"]) for g in view["groups"]) > 1
    kinds = {cohort.kinds[s] for s in students}
    assert kinds == {"model", "reformatted", "one_word_changed"}  # normalised + near copies
    assert any(g["blank"] for g in view["groups"])
    first, second = view["items"][0], view["items"][1]
    for item in (first, second):
        client.ok(
            "api/apply",
            {"key": q.key, "students": students, "item_id": item["item_id"], "applied": True},
        )
    client.ok(
        "api/comment", {"key": q.key, "versions": {students[0]: 0}, "comment": "Well argued."}
    )

    points = {first["item_id"]: first["points"], second["item_id"]: second["points"]}
    for student in students:
        cell = written_cell(cohort, q, student)
        assert cell.manual_score == expected_score(points, list(points), q.rubric.points)
        assert not cell.needs_manual_grade
    others = set(cohort.kinds) - set(students)
    assert all(written_cell(cohort, q, s).manual_score is None for s in others)

    # The lead halves the first item: every answer it was applied to is re-scored.
    halved = first["points"] / 2
    after = client.ok(
        "api/item",
        {
            "key": q.key,
            "item_id": first["item_id"],
            "points": halved,
            "description": first["description"],
        },
    )
    points[first["item_id"]] = halved
    rescored = expected_score(points, list(points), q.rubric.points)
    assert all(written_cell(cohort, q, s).manual_score == rescored for s in students)
    assert {a["score"] for a in after["groups"][0]["answers"]} == {rescored}

    rows = export_grades(cohort.course, ASSIGNMENT, cohort.course.root / "grades.csv")
    row = next(r for r in rows if r.student_id == students[0] and r.notebook_id == q.notebook_id)
    assert row.manual_score == rescored

    assert generate_feedback(cohort.course, ASSIGNMENT, [students[0]]).ok
    page = cohort.course.feedback_dir(ASSIGNMENT, students[0]) / f"{q.notebook_id}.html"
    text = visible_text(page)
    assert f"[{halved:+g}] {first['description']}" in text

    # The report's side: this question's points given, answers left, the items used most.
    summary = next(
        s for s in summarize_written(cohort.course, ASSIGNMENT) if s.grade_id == q.grade_id
    )
    left = [s for s in cohort.kinds if written_cell(cohort, q, s).needs_manual_grade]
    assert summary.to_grade == len(left) == len(cohort.kinds) - len(students) - len(blank(view))
    assert sorted(summary.scores) == sorted([rescored] * len(students) + [0.0] * len(blank(view)))
    assert dict(summary.items_used) == {
        f"[{halved:+g}] {first['description']}": len(students),
        f"[{second['points']:+g}] {second['description']}": len(students),
    }
    assert f"[{second['points']:+g}] {second['description']}" in text
    assert "Well argued." in text


def test_two_graders_on_two_servers_at_once_lose_no_grade(graded) -> None:
    """Two TAs grade one question at once, each through a server process of their own: one
    applies the first item to every answer, the other the second; both land on each."""
    cohort, client, _ = graded
    q = question(cohort, "answer_learning_rates")
    view = client.view(q.key)
    students = sorted(a["student_id"] for g in view["groups"] for a in g["answers"])
    first, second = view["items"][0], view["items"][1]
    with course_answers(cohort.course, ASSIGNMENT) as (url, token):
        other = PageClient(url.split("?")[0], {"Authorization": f"token {token}"})

        def grade_all(page: PageClient, item_id: int) -> None:
            for student in students:  # one request per answer, as a TA going one by one
                page.ok(
                    "api/apply",
                    {"key": q.key, "students": [student], "item_id": item_id, "applied": True},
                )

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            done = [
                pool.submit(grade_all, client, first["item_id"]),
                pool.submit(grade_all, other, second["item_id"]),
            ]
            for future in done:
                future.result(timeout=300)
    points = {first["item_id"]: first["points"], second["item_id"]: second["points"]}
    expected = expected_score(points, list(points), q.rubric.points)
    final = client.view(q.key)
    assert all(sorted(a["items"]) == sorted(points) for g in final["groups"] for a in g["answers"])
    assert {written_cell(cohort, q, s).manual_score for s in students} == {expected}


def test_a_comment_saved_over_another_graders_newer_one_is_refused(graded) -> None:
    cohort, client, _ = graded
    q = question(cohort, "answer_final_loss")
    student = client.view(q.key)["groups"][0]["answers"][0]
    seen = student["comment_version"]
    client.ok(
        "api/comment",
        {"key": q.key, "versions": {student["student_id"]: seen}, "comment": "first TA"},
    )
    status, reply = client.request(
        "api/comment",
        {"key": q.key, "versions": {student["student_id"]: seen}, "comment": "second TA"},
    )
    assert status == 409 and reply["comment"] == "first TA"
    scores = nbgrader_api.read_scores(cohort.course, ASSIGNMENT, student["student_id"])
    assert scores  # the student is in the gradebook; the comment there is the first TA's
    assert generate_feedback(cohort.course, ASSIGNMENT, [student["student_id"]]).ok
    page = cohort.course.feedback_dir(ASSIGNMENT, student["student_id"]) / f"{q.notebook_id}.html"
    assert "first TA" in visible_text(page) and "second TA" not in visible_text(page)


@pytest.fixture
def jupyter_page(
    answers_cohort: AnswersCohort, tmp_path: Path
) -> Iterator[tuple[AnswersCohort, str]]:
    """A copy of the cohort whose config lists two graders, one a lead; Jupyter Server on it."""
    cohort = answers_cohort.copy(tmp_path / "course")
    with (cohort.course.root / "nbgrader_config.py").open("a") as config:
        config.write('\nc.CourseKit.graders = ["ta_bob"]\nc.CourseKit.lead_graders = ["ta_ann"]\n')
    extensions = (ANSWERS_EXTENSION, FORMGRADER_EXTENSION)
    with jupyter_with_answers(cohort.course, tmp_path, extensions) as base:
        yield cohort, base


def test_in_jupyter_server_only_the_listed_graders_open_the_page(jupyter_page) -> None:
    cohort, server = jupyter_page
    base = f"{server}answers/{ASSIGNMENT}/"
    q = question(cohort, "answer_try_out_reflection")
    student = PageClient(base, {HEADER: "demo_model_01"})
    nobody = PageClient(base)
    for page in (student, nobody):
        assert page.request("")[0] == 403
        assert page.request("api/questions")[0] == 403
    ta, lead = PageClient(base, {HEADER: "ta_bob"}), PageClient(base, {HEADER: "ta_ann"})
    status, html = ta.request("")
    assert status == 200 and "grading as ta_bob" in html
    view = ta.view(q.key)
    target = view["groups"][0]["answers"][0]["student_id"]
    item = view["items"][0]
    ta.ok(
        "api/apply",
        {"key": q.key, "students": [target], "item_id": item["item_id"], "applied": True},
    )
    assert written_cell(cohort, q, target).manual_score == min(item["points"], q.rubric.points)
    change = {"key": q.key, "item_id": item["item_id"], "points": 0.5, "description": "half"}
    assert ta.request("api/item", change)[0] == 403  # only a lead edits the rubric
    lead.ok("api/item", change)
    assert written_cell(cohort, q, target).manual_score == 0.5


def test_a_ta_switches_between_the_page_and_the_formgrader_in_one_server(jupyter_page) -> None:
    """A grade given on the page is the formgrader's, and one given there is the page's."""
    cohort, server = jupyter_page
    q = question(cohort, "answer_final_loss")
    page = PageClient(f"{server}answers/{ASSIGNMENT}/", {HEADER: "ta_bob"})
    formgrader = PageClient(f"{server}formgrader/api/", {HEADER: "ta_bob"})
    view = page.view(q.key)
    on_page, in_formgrader = (a["student_id"] for a in view["groups"][0]["answers"][:2])
    item = view["items"][0]
    page.ok(
        "api/apply",
        {"key": q.key, "students": [on_page], "item_id": item["item_id"], "applied": True},
    )

    submitted = formgrader.ok(f"submitted_notebooks/{ASSIGNMENT}/{q.notebook_id}")
    ids = {nb["student"]: nb["id"] for nb in submitted}
    grade_of = {
        student: next(
            g
            for g in formgrader.ok(f"grades?submission_id={ids[student]}")
            if g["name"] == q.grade_id
        )
        for student in (on_page, in_formgrader)
    }
    assert grade_of[on_page]["manual_score"] == item["points"]
    assert not grade_of[on_page]["needs_manual_grade"]

    given = q.rubric.points / 4  # a score no item gives
    formgrader.ok(f"grade/{grade_of[in_formgrader]['id']}", {"manual_score": given}, "PUT")
    shown = {a["student_id"]: a for g in page.view(q.key)["groups"] for a in g["answers"]}
    assert shown[in_formgrader]["score"] == given and shown[in_formgrader]["graded"]
    assert shown[on_page]["score"] == item["points"] and shown[on_page]["items"] == [
        item["item_id"]
    ]
