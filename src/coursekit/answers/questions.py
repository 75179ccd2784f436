"""The written-answer questions of an assignment, read from the instructor's notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat

from coursekit.answers.rubric import parse_rubric, split_cell
from coursekit.answers.types import Question
from coursekit.core import cells
from coursekit.core.course import Course


def notebook_questions(path: Path) -> list[Question]:
    """The written-answer cells of one instructor notebook, each with its prompt and rubric."""
    nb = nbformat.read(path, as_version=4)
    questions, prompt = [], []
    for cell in nb.cells:
        if cells.is_written_answer(cell):
            where = f"{path}, cell {cells.grade_id(cell)!r}"
            model, rubric_text = split_cell(cells.cell_source(cell), where)
            points = float(cells.nbgrader_meta(cell).get("points", 0))
            questions.append(
                Question(
                    notebook_id=path.stem,
                    grade_id=str(cells.grade_id(cell)),
                    prompt="\n\n".join(prompt),
                    model_answer=model,
                    rubric=parse_rubric(rubric_text, points, where),
                )
            )
            prompt = []
        elif cells.is_grade(cell) or cells.is_solution(cell):
            prompt = []  # the task text of a question starts after the previous answer or test
        elif cell.cell_type == "markdown":
            # The last two Markdown cells before the answer: the task, not the whole chapter.
            prompt = [*prompt, cells.cell_source(cell)][-2:]
    return questions


def assignment_questions(course: Course, assignment_id: str) -> list[Question]:
    """Every written-answer question of an assignment, notebook by notebook, in cell order."""
    return [
        question
        for notebook_id in course.notebook_ids(assignment_id)
        for question in notebook_questions(
            course.source_dir(assignment_id) / f"{notebook_id}.ipynb"
        )
    ]
