"""The grading page in headless Chromium (Playwright) on 32 graded demo students.

A TA grades one question by keyboard: the largest group first with number keys and Enter, then
the rest; the lead halves an item's points in the rubric; a second TA's page keeps up. What
the page did is read back from nbgrader's gradebook and the feedback HTML, and the page asks
nothing of any host but the server's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.answers_cohort import ASSIGNMENT, AnswersCohort
from helpers.answers_server import PageClient, course_answers
from helpers.course import REPO_ROOT
from helpers.feedback import visible_text
from helpers.headless_chromium import FLAGS, required_chromium

from coursekit.core.types import CellScore
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.feedback import generate_feedback

pytestmark = pytest.mark.slow  # grades a cohort of 32 (shared), starts a server and a browser

QUESTION = "exercise_1_4_try_out/answer_try_out_reflection"
WAIT_MS = 30_000  # every wait in the page: a loaded 2-core machine, ends as soon as it holds
ARTEFACTS = REPO_ROOT / "test-artifacts"  # git-ignored; the docs' screenshots are taken here


@pytest.fixture(scope="module")
def chromium() -> str:
    """The chromium command (a loud skip without it, a failure under CI)."""
    return required_chromium("the grading page")


@pytest.fixture
def served(answers_cohort: AnswersCohort, tmp_path: Path) -> Iterator[tuple[AnswersCohort, str]]:
    """A private copy of the cohort and the URL `course answers` printed for it."""
    cohort = answers_cohort.copy(tmp_path / "course")
    with course_answers(cohort.course, ASSIGNMENT) as (url, _token):
        yield cohort, f"{url}&question={QUESTION}"


@pytest.fixture
def browser(chromium: str) -> Iterator[object]:
    """Headless Chromium (the system's, never a downloaded one) under Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=FLAGS[:2])
        try:
            yield launched
        finally:
            launched.close()


def manual_score(cohort: AnswersCohort, student_id: str) -> CellScore:
    notebook_id, grade_id = QUESTION.split("/")
    scores = nbgrader_api.read_scores(cohort.course, ASSIGNMENT, student_id)
    notebook = next(nb for nb in scores if nb.notebook_id == notebook_id)
    return next(cell for cell in notebook.cells if cell.grade_id == grade_id)


def open_page(browser, url: str, log: list[str]):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.on("console", lambda m: log.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: log.append(str(error)))
    page.on("request", lambda request: log.append(f"request {request.url}"))
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_selector(".group.current", timeout=WAIT_MS)
    return page


def group_students(page, index: int) -> list[str]:
    selector = f'.group[data-unit="{index}"] .answer'
    return page.eval_on_selector_all(selector, "rows => rows.map(r => r.dataset.student)")


def test_a_ta_grades_a_question_by_keyboard_and_the_gradebook_and_feedback_follow(
    served, browser
) -> None:
    cohort, url = served
    log: list[str] = []
    page = open_page(browser, url, log)
    second = open_page(browser, url, [])  # another TA on the same question

    client = PageClient(
        url.split("?")[0], {"Authorization": f"token {url.split('token=')[1].split('&')[0]}"}
    )
    view = client.view(QUESTION)
    assert page.locator(".group").count() == len(view["groups"])
    largest = group_students(page, 0)
    assert largest == [a["student_id"] for a in view["groups"][0]["answers"]]
    assert len(largest) > 1 and "alike answers" in page.inner_text(".group.current .head")
    item = view["items"][0]  # +1: names a tool and an observation
    shot = ARTEFACTS / "answers_page_start.png"
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)

    # The whole largest group in two keys: its item, then Enter (graded, on to the next).
    page.keyboard.press("1")
    page.wait_for_function(
        f"document.querySelectorAll('.group[data-unit=\"0\"] .chip').length === {len(largest)}",
        timeout=WAIT_MS,
    )
    page.keyboard.press("Enter")
    page.wait_for_selector('.group.current[data-unit="1"]', timeout=WAIT_MS)
    for student in largest:
        cell = manual_score(cohort, student)
        assert cell.manual_score == min(item["points"], cell.max_score)
        assert not cell.needs_manual_grade

    # The other TA's page shows it without reloading (it polls the question's version).
    second.wait_for_function(
        f"document.querySelectorAll('.group[data-unit=\"0\"] .chip').length === {len(largest)}",
        timeout=WAIT_MS,
    )

    # The next group, one by one: split it (u), then the zero item (2) on its first answer.
    zero = view["items"][1]
    page.keyboard.press("u")
    one = group_students(page, 1)[0]
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelector('.answer[data-student=\"{one}\"] .chip') !== null",
        timeout=WAIT_MS,
    )
    assert manual_score(cohort, one).manual_score == max(zero["points"], 0.0)

    # The lead halves item 1 in the rubric: every answer it was applied to is re-scored.
    halved = item["points"] / 2
    page.fill("#rubric li:nth-child(1) input.pts-edit", str(halved))
    page.keyboard.press("Tab")
    first_score = "document.querySelector('.group[data-unit=\"0\"] .score').textContent"
    page.wait_for_function(
        f"{first_score}.startsWith('{halved:g} ')",
        timeout=WAIT_MS,
    )
    assert {manual_score(cohort, s).manual_score for s in largest} == {halved}
    progress = page.inner_text("#progress")
    graded = sum(1 for s in cohort.kinds if not manual_score(cohort, s).needs_manual_grade)
    assert progress == f"{graded} / {len(cohort.kinds)} graded"
    page.screenshot(path=str(ARTEFACTS / "answers_page_graded.png"), full_page=False)

    assert generate_feedback(cohort.course, ASSIGNMENT, [largest[0]]).ok
    feedback = cohort.course.feedback_dir(ASSIGNMENT, largest[0]) / "exercise_1_4_try_out.html"
    assert f"[{halved:+g}] {item['description']}" in visible_text(feedback)

    errors = [line for line in log if not line.startswith("request ")]
    hosts = {line.split("/")[2] for line in log if line.startswith("request ")}
    assert errors == []
    assert hosts == {url.split("/")[2]}  # nothing from the web: no CDN, no fonts
    shutil.copyfile(shot, ARTEFACTS / "answers_page.png")
