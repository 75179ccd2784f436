"""A pytest plugin: lecture 1's written answers, handed in by 30 demo students and autograded.

The demo's reference student writes the model answer into every written-answer cell; a TA would
see 30 copies of it. Here each student writes what a cohort writes: the model answer, the same
reformatted (case, spacing, punctuation) or with a word changed, its first sentence only, an
answer of their own, or nothing. Their code answers are the reference's, so the autograded
part is full marks and only the written part is left to grade. They hand in the two notebooks
of the lecture that import neither TensorFlow nor PyTorch, so the cohort grades in about a
minute on 2 workers. PYTEST_DONT_REWRITE: it asserts nothing.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from coursekit.answers.questions import assignment_questions
from coursekit.answers.types import Question
from coursekit.authoring import cohort
from coursekit.authoring.release import release_assignment
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import Status
from coursekit.grading.workers import ExecutorSpec
from helpers.course import REPO_ROOT

ASSIGNMENT = "lecture1"
NOTEBOOK_IDS = ("exercise_1_1_playground", "exercise_1_4_try_out")
# What each student writes, by kind, in the order students are made (32 students).
KINDS = (
    *["model"] * 8,
    *["reformatted"] * 4,
    *["one_word_changed"] * 4,
    *["first_sentence"] * 6,
    *["own"] * 5,
    *["blank"] * 5,
)
OWN_ANSWERS = (
    "I am not sure. The numbers changed when I ran it again, so it is probably random.",
    "Because the computer rounds every result; floating point errors pile up over the steps.",
    "It depends on the data set the lecturer chose, any other choice would give other values.",
    "My plot looked different from my friend's plot even though we used the same settings.",
    "The model is too small. A bigger network with more layers would fix this problem.",
)


@dataclass(frozen=True)
class AnswersCohort:
    """The graded course, its written questions, and what kind of answer each student wrote."""

    course: Course
    questions: tuple[Question, ...]
    kinds: dict[str, str]  # student_id -> kind

    def copy(self, where: Path) -> AnswersCohort:
        """A private copy a test may grade in (its config finds its own root and gradebook)."""
        course = locate_course(shutil.copytree(self.course.root, where))
        return AnswersCohort(course, self.questions, self.kinds)


def written_text(model: str, kind: str, index: int) -> str:
    """What a student of a kind writes for a question whose model answer is model."""
    if kind == "model":
        return model
    if kind == "reformatted":
        return re.sub(r"\s+", "  ", model.upper()).replace("*", "").replace(", ", " , ")
    if kind == "one_word_changed":
        words = model.split(" ")
        middle = len(words) // 2
        return " ".join([*words[:middle], "certainly", *words[middle + 1 :]])
    if kind == "first_sentence":
        return model.split(". ")[0] + "."
    if kind == "own":
        return OWN_ANSWERS[index % len(OWN_ANSWERS)]
    return ""


def student_ids() -> list[str]:
    """demo_model_01, ...: one per entry of KINDS, numbered within the kind."""
    seen: dict[str, int] = {}
    ids = []
    for kind in KINDS:
        seen[kind] = seen.get(kind, 0) + 1
        ids.append(f"demo_{kind}_{seen[kind]:02d}")
    return ids


def write_students(course: Course, questions: list[Question]) -> dict[str, str]:
    """Hand in both notebooks for every student; student_id -> kind."""
    kinds = dict(zip(student_ids(), KINDS, strict=True))
    for index, (student_id, kind) in enumerate(kinds.items()):
        handed_in = {}
        for notebook_id in NOTEBOOK_IDS:
            read = nbformat.read
            source = read(course.source_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4)
            release = read(course.release_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4)
            written = {
                q.grade_id: written_text(q.model_answer, kind, index)
                for q in questions
                if q.notebook_id == notebook_id
            }
            written = {grade_id: text for grade_id, text in written.items() if text}
            handed_in[notebook_id] = cohort.fill_release(
                release, cohort.solution_answers(source) | written
            )
        cohort.write_submission(course, ASSIGNMENT, student_id, handed_in)
    return kinds


def build_answers_cohort(root: Path) -> AnswersCohort:
    """Lecture 1 released (not executed), the cohort handed in and autograded on 2 workers."""
    root.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    for notebook_id in NOTEBOOK_IDS:
        shutil.copy(
            REPO_ROOT / "source" / ASSIGNMENT / f"{notebook_id}.ipynb", root / "source" / ASSIGNMENT
        )
    (root / "gradebook").mkdir()
    course = locate_course(root)
    if not release_assignment(course, ASSIGNMENT, execute=False).ok:
        raise RuntimeError("the release of lecture 1 is not proven")
    questions = assignment_questions(course, ASSIGNMENT)
    kinds = write_students(course, questions)
    report = autograde_assignment(course, ASSIGNMENT, executor=ExecutorSpec(workers=2))
    failed = [o.student_id for o in report.outcomes if o.status is not Status.GRADED]
    if failed:
        raise RuntimeError(f"students not graded: {failed}")
    return AnswersCohort(course, tuple(questions), kinds)


@pytest.fixture(scope="session")
def answers_cohort(kernels: None, tmp_path_factory: pytest.TempPathFactory) -> AnswersCohort:
    """The 32 demo students of lecture 1's written answers, graded once per session."""
    return build_answers_cohort(tmp_path_factory.mktemp("answers_cohort") / "course")
