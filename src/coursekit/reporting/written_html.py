"""The report's written-answers part: per question, points given, answers left, items used."""

from __future__ import annotations

import statistics
from pathlib import Path

from matplotlib.figure import Figure

from coursekit.answers.types import QuestionSummary
from coursekit.reporting.html_parts import embedded_image, esc, number, table

GRADED_COLOUR = "#3b6ea5"
LEFT_COLOUR = "#d9a441"  # still to grade: what a lead TA hands out next


def question_label(question: QuestionSummary) -> str:
    """notebook: grade_id, as both the figure and the table name a question."""
    return f"{question.notebook_id}: {question.grade_id}"


def written_figure(questions: tuple[QuestionSummary, ...]) -> Figure | None:
    """Left: answers graded and still to grade per question; right: mean share of points."""
    if not questions:
        return None
    figure = Figure(figsize=(10, 1.2 + 0.4 * len(questions)), layout="constrained")
    progress, points = figure.subplots(1, 2, sharey=True)
    positions = range(len(questions))
    graded = [len(q.scores) for q in questions]
    progress.barh(positions, graded, color=GRADED_COLOUR, label="graded")
    progress.barh(
        positions, [q.to_grade for q in questions], left=graded, color=LEFT_COLOUR, label="to grade"
    )
    progress.set_yticks(positions, [question_label(q) for q in questions], fontsize=8)
    progress.invert_yaxis()
    progress.set_xlabel("answers")
    # Above the bars: inside, it would hide the last question's.
    progress.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False)
    shares = [
        statistics.mean(q.scores) / q.max_score if q.scores and q.max_score else 0.0
        for q in questions
    ]
    points.barh(positions, shares, color=GRADED_COLOUR)
    points.set_xlim(0, 1)
    points.set_xlabel("mean points given / points (graded answers)")
    figure.suptitle("Written answers: grading progress and points given")
    return figure


def written_section(questions: tuple[QuestionSummary, ...], figure: Path | None) -> str:
    """The figure and a table: per question, points, graded, left, mean, the items used most."""
    if not questions:
        return "<h2>Written answers</h2><p>The assignment has no written-answer cells.</p>"
    rows = [
        [
            f"<code>{esc(question_label(q))}</code>",
            number(q.max_score),
            str(len(q.scores)),
            str(q.to_grade),
            number(statistics.mean(q.scores)) if q.scores else "-",
            "<br>".join(f"{count} × {esc(label)}" for label, count in q.items_used) or "-",
        ]
        for q in questions
    ]
    header = ["question", "points", "graded", "to grade", "mean points", "rubric items used most"]
    return (
        "<h2>Written answers</h2>"
        + embedded_image(figure, "written answers: grading progress and points given")
        + table(header, rows, {1, 2, 3, 4})
        + '<p class="note">Graded: a TA gave the answer its points (on the grading page or in '
        "the formgrader), or it was left untouched and scored 0 by itself. The rubric items are "
        "those applied on the grading page (<code>course answers</code>).</p>"
    )
