"""What the grading page shows and does, as plain JSON-ready data: no HTTP here.

One `AnswersService` per assignment, kept for the life of the server: the questions and the
students' texts are read once (they change only with a new release or autograde); grades,
items and comments are read from the gradebook on every request, so a page always shows what
the other TAs (and the formgrader) wrote last.
"""

from __future__ import annotations

from typing import Any

from coursekit.answers.grouping import group_answers
from coursekit.answers.questions import assignment_questions
from coursekit.answers.store import RubricStore
from coursekit.answers.texts import notebook_answers
from coursekit.answers.types import Answer, AnswerGroup, Marks, Question
from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.nbgrader.written_grades import WrittenGrade, WrittenGradebook


class AnswersService:
    """The written answers of one assignment: questions, grouped answers, and grading them."""

    def __init__(self, course: Course, assignment_id: str) -> None:
        self.course = course
        self.assignment_id = assignment_id
        self.questions = {q.key: q for q in assignment_questions(course, assignment_id)}
        if not self.questions:
            raise CourseError(f"{assignment_id} has no written-answer cells to grade")
        self.gradebook = WrittenGradebook(course.db_url, course.layout.course_id)
        self.store = RubricStore(self.gradebook, assignment_id)
        self.store.seed(self.questions.values())
        self._groups: dict[str, list[AnswerGroup]] = {}

    def close(self) -> None:
        """Close the gradebook."""
        self.gradebook.close()

    def question(self, key: str) -> Question:
        """The question of a key (notebook_id/grade_id); CourseError if there is none."""
        try:
            return self.questions[key]
        except KeyError:
            raise CourseError(f"{self.assignment_id} has no written answer {key!r}") from None

    def _grades(self, question: Question) -> dict[str, WrittenGrade]:
        try:
            return self.gradebook.read_grades(
                self.assignment_id, question.notebook_id, question.grade_id
            )
        finally:
            self.gradebook.rollback()

    def groups(self, question: Question) -> list[AnswerGroup]:
        """The question's answers in groups, largest first (read once per server)."""
        if question.key not in self._groups:
            students = sorted(self._grades(question))
            texts = notebook_answers(
                self.course, self.assignment_id, question.notebook_id, students
            )
            answers = [
                Answer(student, texts[student].get(question.grade_id, ""))
                for student in students
                if student in texts
            ]
            self._groups[question.key] = group_answers(answers)
        return self._groups[question.key]

    def overview(self) -> list[dict[str, Any]]:
        """Each question with its points and how many of its answers are still to grade."""
        rows = []
        for question in self.questions.values():
            grades = self._grades(question)
            rows.append(
                {
                    "key": question.key,
                    "notebook_id": question.notebook_id,
                    "grade_id": question.grade_id,
                    "points": question.rubric.points,
                    "answers": len(grades),
                    "to_grade": sum(grade.needs_manual_grade for grade in grades.values()),
                }
            )
        return rows

    def view(self, key: str) -> dict[str, Any]:
        """Everything the page shows for one question: text, rubric, groups of answers, marks."""
        question = self.question(key)
        marks = self.store.read(question)
        grades = self._grades(question)
        return {
            "key": key,
            "notebook_id": question.notebook_id,
            "grade_id": question.grade_id,
            "points": question.rubric.points,
            "prompt": question.prompt,
            "model_answer": question.model_answer,
            "notes": question.rubric.notes,
            "version": marks.version,
            "items": [vars(item) for item in marks.items],
            "groups": [
                {
                    "blank": group.blank,
                    "answers": [
                        answer_view(answer, grades.get(answer.student_id), marks.marks)
                        for answer in group.answers
                    ],
                }
                for group in self.groups(question)
            ],
        }

    def version(self, key: str) -> int:
        """The question's version: a page reloads when it changed."""
        return self.store.read(self.question(key)).version


def answer_view(
    answer: Answer, grade: WrittenGrade | None, marks: dict[str, Marks]
) -> dict[str, Any]:
    """One answer as the page shows it: text, score, whether graded, items and comment."""
    mine = marks.get(answer.student_id, Marks())
    return {
        "student_id": answer.student_id,
        "text": answer.text,
        "score": None if grade is None else grade.score,
        "graded": grade is not None and not grade.needs_manual_grade,
        "items": sorted(mine.item_ids),
        "comment": mine.comment,
        "comment_version": mine.comment_version,
    }
