"""The answers stage's plain data: questions with their rubric, answers, groups of answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RubricItem:
    """One rubric item: points (negative deducts, 0 labels) and what earns them."""

    points: float
    description: str

    @property
    def label(self) -> str:
        """The item as a comment lists it: `[+0.5] what earned it`."""
        return f"[{self.points:+g}] {self.description}"


@dataclass(frozen=True)
class Rubric:
    """A written answer's rubric as the instructor wrote it: its points, items and notes."""

    points: float
    items: tuple[RubricItem, ...]
    notes: str = ""  # advice to graders that is no item ("do not deduct for ...")


@dataclass(frozen=True)
class Question:
    """One written-answer cell of an assignment, as the instructor's notebook holds it."""

    notebook_id: str
    grade_id: str
    prompt: str  # the markdown cells between the previous graded cell and this one
    model_answer: str
    rubric: Rubric

    @property
    def key(self) -> str:
        """notebook_id/grade_id: unique within an assignment."""
        return f"{self.notebook_id}/{self.grade_id}"


@dataclass(frozen=True)
class Answer:
    """One student's text for one question, as their autograded notebook holds it."""

    student_id: str
    text: str


@dataclass(frozen=True)
class AnswerGroup:
    """Answers a TA can grade at once: the same text once normalised, or nearly so."""

    answers: tuple[Answer, ...]
    blank: bool  # every answer in it is empty or the release's stub

    @property
    def student_ids(self) -> tuple[str, ...]:
        """The students whose answers are in the group, in group order."""
        return tuple(answer.student_id for answer in self.answers)


@dataclass(frozen=True)
class StoredItem(RubricItem):
    """A rubric item as the gradebook keeps it while grading (the lead TA may edit it)."""

    item_id: int


@dataclass(frozen=True)
class Marks:
    """What a TA gave one answer: the rubric items applied and a comment (with its version)."""

    item_ids: frozenset[int] = frozenset()
    comment: str = ""
    comment_version: int = 0


@dataclass(frozen=True)
class QuestionMarks:
    """One question's rubric items and every answer's marks, at one version of the question."""

    version: int
    items: tuple[StoredItem, ...]
    marks: dict[str, Marks]  # student_id -> marks; students without any are left out


@dataclass(frozen=True)
class QuestionSummary:
    """One written question across the cohort, for the report: points given, left, items used."""

    notebook_id: str
    grade_id: str
    max_score: float
    scores: tuple[float, ...]  # of the answers graded (by a TA, or 0 for an untouched one)
    to_grade: int
    items_used: tuple[tuple[str, int], ...]  # (item label, answers it was applied to), most first
