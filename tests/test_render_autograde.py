"""The autograde table stays readable for a student rejected on many notebooks."""

from __future__ import annotations

from coursekit.cli.render import render_autograde
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.intake.types import Severity, SubmissionProblem


def rejected(notebook_ids: list[str]) -> AutogradeReport:
    problems = tuple(SubmissionProblem(nid, Severity.FATAL, "not JSON") for nid in notebook_ids)
    outcome = StudentOutcome("a1", "s1", Status.REJECTED, reason="not JSON", problems=problems)
    return AutogradeReport("a1", (outcome,))


def test_a_few_rejected_notebooks_are_named() -> None:
    row = render_autograde(rejected(["nb_a", "nb_b"])).splitlines()[-1]
    assert "nb_a, nb_b" in row and "rejected: not JSON" in row


def test_many_rejected_notebooks_are_counted_not_listed() -> None:
    ids = [f"exercise_{i}_with_a_long_name" for i in range(7)]
    row = render_autograde(rejected(ids)).splitlines()[-1]
    assert "7 notebooks" in row and ids[0] not in row
