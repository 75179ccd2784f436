"""Print what grading lecture 1's written answers costs: the grading page against the formgrader.

The 32 demo students of tests/helpers/answers_cohort.py (autograded once, about 1.5 min, or
`--course DIR` for a copy graded before) are graded twice, each time in headless Chromium by a
scripted TA who gives every answer the score its kind deserves (the model answer and its copies
every positive item, a first sentence the first item, an answer of one's own nothing):

- on the grading page (`course answers`): per group, the number keys of its items, then Enter;
- in nbgrader's formgrader, the fastest way it offers: the question's score box, the score typed,
  Ctrl-. to save and open the next student's notebook at the same box.

It prints, per question and in total, the keys pressed per answer that needed a grade, the
answers (or groups) a TA has to read and decide on, and the seconds the machine took per answer
(server, browser and page loads: the floor under a person's time, who reads on top of it). Both
runs end with the gradebook checked: every answer holds the score the scripted TA meant.

    .venv/bin/python benchmarks/answers_grading.py [--course DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers.answers_cohort import ASSIGNMENT, AnswersCohort, build_answers_cohort  # noqa: E402
from helpers.answers_server import (  # noqa: E402
    FORMGRADER_EXTENSION,
    PageClient,
    course_answers,
    jupyter_with_answers,
)
from helpers.grader_identity import HEADER  # noqa: E402
from helpers.headless_chromium import FLAGS, chromium_path  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from coursekit.answers.questions import assignment_questions  # noqa: E402
from coursekit.answers.types import Question  # noqa: E402
from coursekit.core.course import Course, locate_course  # noqa: E402
from coursekit.core.environment import put_venv_first_on_path  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402

WAIT_MS = 60_000
# The formgrader loads MathJax from a CDN, and its keyboard shortcuts (Tab, Ctrl-.) are set up
# after it: without the web, `MathJax is not defined` leaves them dead. The benchmark gives it
# the few calls it makes, so the formgrader is measured working as it does online.
MATHJAX_STUB = (
    "window.MathJax = {Hub: {Config() {}, Queue() {}, Typeset() {}, "
    "Startup: {signal: {Interest(f) { setTimeout(() => f('End'), 0); }}}}};"
)


LOADED = "window.formgrader && formgrader.grades.loaded && formgrader.comments.loaded"


def offline(route) -> None:
    """Requests that leave 127.0.0.1: MathJax gets the stub, anything else is refused."""
    if "mathjax" in route.request.url.lower():
        route.fulfill(status=200, content_type="application/javascript", body=MATHJAX_STUB)
    else:
        route.abort()


FULL_MARKS = ("model", "reformatted", "one_word_changed")


@dataclass
class Tally:
    """What one way of grading one question took."""

    keys: int = 0
    graded: int = 0  # answers that needed a grade and got one
    decisions: int = 0  # texts a TA had to read and decide on
    seconds: float = 0.0


def items_for(kind: str, question: Question) -> list[int]:
    """The rubric keys (1-based) the scripted TA presses for an answer of this kind."""
    positive = [i + 1 for i, item in enumerate(question.rubric.items) if item.points > 0]
    if kind in FULL_MARKS:
        return positive
    return positive[:1] if kind == "first_sentence" else []


def intended_score(kind: str, question: Question) -> float:
    """The score the scripted TA means to give: its items' points."""
    return sum(question.rubric.items[key - 1].points for key in items_for(kind, question))


def grade_on_page(browser, cohort: AnswersCohort, url: str, question: Question) -> Tally:
    """Grade one question group by group with number keys and Enter."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}&question={question.key}", timeout=WAIT_MS)
    page.wait_for_selector(".group.current", timeout=WAIT_MS)
    tally = Tally()
    started = time.monotonic()
    units = page.locator(".group").count()
    for index in range(units):
        unit = page.locator(f'.group[data-unit="{index}"]')
        if "graded" in (unit.get_attribute("class") or ""):
            continue  # blanks: nbgrader scored them 0 already
        students = unit.locator(".answer").evaluate_all("rows => rows.map(r => r.dataset.student)")
        if page.locator(".group.current").get_attribute("data-unit") != str(index):
            unit.locator(".head").click()  # not reached by Enter's "next to grade": a click
            tally.keys += 1
        keys = items_for(cohort.kinds[students[0]], question)
        for key in keys:
            page.keyboard.press(str(key))
        page.keyboard.press("Enter")
        tally.keys += len(keys) + 1
        tally.decisions += 1
        tally.graded += len(students)
        page.wait_for_selector(f'.group.graded[data-unit="{index}"]', timeout=WAIT_MS)
    tally.seconds = time.monotonic() - started
    page.close()
    return tally


def grade_in_formgrader(page, base: str, cohort: AnswersCohort, question: Question) -> Tally:
    """Grade one question student by student: score typed, Ctrl-. to the next submission."""
    client = PageClient(base, {HEADER: "ta"})
    submitted = client.ok(f"formgrader/api/submitted_notebooks/{ASSIGNMENT}/{question.notebook_id}")
    student_of = {nb["id"]: nb["student"] for nb in submitted}
    tally = Tally()
    page.goto(f"{base}formgrader/submissions/{submitted[0]['id']}/", timeout=WAIT_MS)
    box = f".nbgrader_cell:has(#{question.grade_id}) .score"
    page.wait_for_selector(box, timeout=WAIT_MS)
    started = time.monotonic()
    page.click(box)
    tally.keys += 1
    for position in range(len(submitted)):
        page.wait_for_selector(f"{box}:focus", timeout=WAIT_MS)
        # Typed before the grades load, a score is overwritten by the stored (empty) one.
        page.wait_for_function(LOADED, timeout=WAIT_MS)
        current = page.url.split("/submissions/")[1].split("/")[0]
        kind = cohort.kinds[student_of[current]]
        if kind != "blank":  # nbgrader scored the blanks 0 already: the TA moves past them
            score = f"{intended_score(kind, question):g}"
            page.keyboard.type(score)
            tally.keys += len(score)
            tally.decisions += 1
            tally.graded += 1
        if position + 1 < len(submitted):
            if kind == "blank":  # an unchanged box never reports saved: leave it first
                page.keyboard.press("Escape")
                tally.keys += 1
            page.keyboard.press("Control+.")  # saves, then opens the next student's notebook
            wait_to_leave(page, current)
        else:
            page.keyboard.press("Escape")  # the last one: leave the box, which saves it
            page.wait_for_selector(f"{box}:not(:focus)", timeout=WAIT_MS)
            page.wait_for_timeout(1000)  # the save is a request of its own; let it land
        tally.keys += 1
    tally.seconds = time.monotonic() - started
    return tally


def wait_to_leave(page, submission_id: str) -> None:
    """Wait until the browser shows another submission (the formgrader may navigate twice)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while f"/{submission_id}/" in page.url:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the formgrader stayed on submission {submission_id}")
        page.wait_for_timeout(20)


def check_gradebook(cohort: AnswersCohort, questions: list[Question], how: str) -> None:
    """Every answer that needed a grade holds the score the scripted TA meant."""
    for student_id, kind in cohort.kinds.items():
        scores = nbgrader_api.read_scores(cohort.course, ASSIGNMENT, student_id)
        cells = {(nb.notebook_id, c.grade_id): c for nb in scores for c in nb.cells}
        for question in questions:
            cell = cells[(question.notebook_id, question.grade_id)]
            if abs(cell.score - intended_score(kind, question)) > 1e-9:
                raise SystemExit(f"{how}: {student_id} {question.key} scored {cell.score}")


def report(name: str, tallies: dict[str, Tally]) -> Tally:
    """Print one way's lines; return its total."""
    total = Tally()
    print(f"\n{name}")
    print(f"  {'question':52} {'graded':>6} {'read':>5} {'keys':>5} {'keys/ans':>8} {'s/ans':>6}")
    for key, t in tallies.items():
        print(
            f"  {key:52} {t.graded:6} {t.decisions:5} {t.keys:5} {t.keys / t.graded:8.2f} "
            f"{t.seconds / t.graded:6.2f}"
        )
        for field in ("keys", "graded", "decisions", "seconds"):
            setattr(total, field, getattr(total, field) + getattr(t, field))
    print(
        f"  {'total':52} {total.graded:6} {total.decisions:5} {total.keys:5} "
        f"{total.keys / total.graded:8.2f} {total.seconds / total.graded:6.2f}"
    )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, help="a graded answers cohort (copied, not changed)")
    args = parser.parse_args()
    put_venv_first_on_path()
    work = Path(tempfile.mkdtemp(prefix="answers-bench-"))
    try:
        if args.course is None:
            print("grading the 32 demo students first (about 1.5 min)...", flush=True)
            args.course = build_answers_cohort(work / "graded").course.root
        runs = {}
        for way in ("page", "formgrader"):
            root = shutil.copytree(args.course, work / way)
            course = locate_course(root)
            questions = assignment_questions(course, ASSIGNMENT)
            kinds = kinds_from_ids(course)
            runs[way] = (AnswersCohort(course, tuple(questions), kinds), questions)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS[:2])
            cohort, questions = runs["page"]
            with course_answers(cohort.course, ASSIGNMENT) as (url, _token):
                page_tallies = {q.key: grade_on_page(browser, cohort, url, q) for q in questions}
            check_gradebook(cohort, questions, "page")
            cohort, questions = runs["formgrader"]
            with jupyter_with_answers(
                cohort.course, work / "jupyter", (FORMGRADER_EXTENSION,)
            ) as base:
                context = browser.new_context(
                    viewport={"width": 1400, "height": 1000}, extra_http_headers={HEADER: "ta"}
                )
                context.route(lambda url: not url.startswith(base), offline)
                page = context.new_page()
                form_tallies = {
                    q.key: grade_in_formgrader(page, base, cohort, q) for q in questions
                }
            check_gradebook(cohort, questions, "formgrader")
            browser.close()
        on_page = report("grading page (course answers)", page_tallies)
        in_form = report("formgrader (score, Ctrl-. to the next student)", form_tallies)
        print(
            f"\nkeys per answer: {on_page.keys / on_page.graded:.2f} on the page, "
            f"{in_form.keys / in_form.graded:.2f} in the formgrader; texts to read and decide on: "
            f"{on_page.decisions} against {in_form.decisions}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def kinds_from_ids(course: Course) -> dict[str, str]:
    """student_id -> kind, from the demo student ids (demo_<kind>_<nn>)."""
    return {
        student_id: student_id.removeprefix("demo_").rsplit("_", 1)[0]
        for student_id in course.submitted_student_ids(ASSIGNMENT)
    }


if __name__ == "__main__":
    main()
