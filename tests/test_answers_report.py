"""The report's written answers: per question, points given, answers left, items used most."""

from __future__ import annotations

from pathlib import Path

from coursekit.answers.types import QuestionSummary
from coursekit.reporting.export import GRADED_STATUSES
from coursekit.reporting.report_html import render_report, score_figure
from coursekit.reporting.types import GradeRow, ReportData

GRADED = next(iter(GRADED_STATUSES))
QUESTIONS = (
    QuestionSummary("nb_a", "answer_why", 2.0, (2.0, 1.0, 0.0), 1, (("[+1] the reason", 2),)),
    QuestionSummary("nb_a", "answer_how", 1.0, (), 4, ()),
)


def report_data(notebook_ids: tuple[str, ...], handed_in: tuple[str, ...]) -> ReportData:
    rows = tuple(
        GradeRow("ps1", f"s{i}", notebook_id, float(i), 4.0, float(i), 0.0, False, GRADED)
        for notebook_id in handed_in
        for i in range(3)
    )
    return ReportData("ps1", notebook_ids, rows, (), (), (), (), 0.85, QUESTIONS)


def test_the_score_figure_draws_no_panel_for_a_notebook_no_one_handed_in() -> None:
    figure = score_figure(report_data(("nb_a", "nb_b", "nb_c"), handed_in=("nb_a", "nb_c")))
    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert titles == ["nb_a (3 graded)", "nb_c (3 graded)"]


def test_the_report_shows_each_written_question_with_points_left_and_items(tmp_path: Path) -> None:
    files = render_report(report_data(("nb_a",), handed_in=("nb_a",)), tmp_path)
    page = Path(files.page).read_text(encoding="utf-8")
    assert "<h2>Written answers</h2>" in page
    assert any(path.endswith("ps1_written.png") for path in files.figures)
    section = page.split("<h2>Written answers</h2>")[1].split("<h2>")[0]
    for question in QUESTIONS:
        assert f"{question.notebook_id}: {question.grade_id}" in section
    why = section.split("answer_why")[1].split("</tr>")[0]
    numbers = [cell.rsplit(">", 1)[1] for cell in why.split("</td>")[1:5]]
    assert numbers == ["2", "3", "1", "1"]  # points, graded, to grade, mean of 2, 1 and 0
    assert "2 × [+1] the reason" in why
