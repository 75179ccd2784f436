"""The autograde table stays readable: one line per student, each note said once, cut to fit."""

from __future__ import annotations

import pytest

from coursekit.cli.autograde_table import AutogradeView, autograde_json, render_autograde
from coursekit.cli.terminal import fit, output_width
from coursekit.core.types import CellScore, KernelCrash, NotebookScore
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.intake.types import Severity, SubmissionProblem


def rejected(notebook_ids: list[str], reason: str = "not JSON") -> AutogradeReport:
    problems = tuple(SubmissionProblem(nid, Severity.FATAL, reason) for nid in notebook_ids)
    outcome = StudentOutcome("a1", "s1", Status.REJECTED, reason=reason, problems=problems)
    return AutogradeReport("a1", (outcome,))


def row_of(text: str, student_id: str) -> str:
    (row,) = [line for line in text.splitlines() if line.startswith(f"{student_id} ")]
    return row


def scored(notebook_id: str, auto: float, written_waiting: bool) -> NotebookScore:
    cells = (
        CellScore("t", "code", auto, 5.0, auto, None, False, False),
        CellScore("w", "markdown", 0.0, 2.0, 0.0, None, written_waiting, False),
    )
    return NotebookScore("a1", "s1", notebook_id, auto, 7.0, auto, 0.0, written_waiting, cells)


def test_a_few_rejected_notebooks_are_named() -> None:
    row = row_of(render_autograde(rejected(["nb_a", "nb_b"])), "s1")
    assert "rejected" in row and "nb_a and nb_b: not JSON" in row


def test_many_rejected_notebooks_are_counted_not_listed() -> None:
    ids = [f"exercise_{i}_with_a_long_name" for i in range(7)]
    row = row_of(render_autograde(rejected(ids)), "s1")
    assert "7 notebooks: not JSON" in row and ids[0] not in row


def test_one_path_in_many_reasons_is_said_once_by_its_file_name() -> None:
    folder = "/courses/dlb/submitted/s1/a1"
    problems = tuple(
        SubmissionProblem(nid, Severity.FATAL, f"{folder}/{nid}.ipynb is not JSON: line 1")
        for nid in ("nb_a", "nb_b", "nb_c")
    )
    outcome = StudentOutcome("a1", "s1", Status.REJECTED, reason="x", problems=problems)
    row = row_of(render_autograde(AutogradeReport("a1", (outcome,))), "s1")
    assert "nb_a.ipynb (and 2 more alike) is not JSON: line 1" in row
    assert folder not in row


def test_notebooks_not_handed_in_are_a_count_and_written_points_wait_for_a_ta() -> None:
    missing = tuple(
        SubmissionProblem(nid, Severity.WARNING, f"{nid}.ipynb was not handed in", handed_in=False)
        for nid in ("nb_b", "nb_c")
    )
    scores = (scored("nb_a", 5.0, True), scored("nb_b", 0.0, False), scored("nb_c", 0.0, False))
    outcome = StudentOutcome("a1", "s1", Status.GRADED, problems=missing, scores=scores)
    row = row_of(render_autograde(AutogradeReport("a1", (outcome,))), "s1")
    assert "1 of 3 handed in" in row and "nb_b" not in row
    assert "5/15" in row and "2 to grade" in row


def test_a_warning_is_said_on_its_notebook_only() -> None:
    edited = SubmissionProblem("nb_b", Severity.WARNING, "locked cells edited: setup")
    outcome = StudentOutcome("a1", "s1", Status.GRADED, problems=(edited,))
    row = row_of(render_autograde(AutogradeReport("a1", (outcome,))), "s1")
    assert row.endswith("nb_b: locked cells edited: setup")


def test_a_long_row_is_cut_to_the_width_and_says_so() -> None:
    report = rejected(["nb"], "x" * 300)
    for line in render_autograde(report, AutogradeView(width=80)).splitlines():
        assert len(line) <= 80
    assert row_of(render_autograde(report, AutogradeView(width=80)), "s1").endswith("…")
    assert fit("short", 80) == "short" and fit("abc", None) == "abc"


def test_color_only_when_asked_for() -> None:
    assert "\x1b[" not in render_autograde(rejected(["nb"]))
    assert "\x1b[31m" in render_autograde(rejected(["nb"]), AutogradeView(color=True))


@pytest.mark.parametrize(("columns", "width"), [("120", 120), ("", None)])
def test_output_width_follows_columns_and_is_unbounded_in_a_pipe(
    monkeypatch: pytest.MonkeyPatch, columns: str, width: int | None
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert output_width() == width  # pytest's stdout is no terminal


def test_verbose_and_json_speak_of_every_notebook_an_outcome_names() -> None:
    crash = KernelCrash("nb_c", 4, "some_test", "the kernel died while this cell ran: x")
    scores = (scored("nb_a", 5, False),)
    outcome = StudentOutcome("a1", "s1", Status.GRADED, scores=scores, crashes=(crash,))
    report = AutogradeReport("a1", (outcome,))
    text = render_autograde(report, AutogradeView(verbose=True))
    assert "  nb_c:\n    crash: nb_c cell 4 (some_test): the kernel died" in text
    (student,) = autograde_json(report)["students"]
    assert [nb["notebook_id"] for nb in student["notebooks"]] == ["nb_a", "nb_c"]
    assert student["notebooks"][1]["crashes"] == [
        {"cell": 4, "grade_id": "some_test", "reason": crash.reason}
    ]
