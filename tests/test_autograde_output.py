"""What `course autograde` prints is a table a person can read at 200 students.

One real run of the command grades a small cohort of a two-notebook course (a reference, a
partial hand-in, a rejected one, one with a test held for review and a flag, one who edited a
locked cell, one whose kernel writes to its stderr): each kind of note, the flags, --quiet,
--verbose, --json and `course status`. The shape at 30 students, on the demo's students, is
tests/test_autograde_demo_cohort.py's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, copy_tiny_notebook, write_tiny_course
from helpers.notebooks import edit_cell, reference_notebook
from helpers.terminal_output import TappedRun, run_tapped, table_rows

from coursekit.authoring import cohort
from coursekit.cli.app import main
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL
from coursekit.core.course import Course, locate_course
from coursekit.grading.types import AutogradeReport, Status
from coursekit.nbgrader import api as nbgrader_api

pytestmark = pytest.mark.slow  # the cohort is released and graded once: about 35 s

SECOND_NOTEBOOK = "powers"  # a copy of the tiny notebook: no notebook id is part of another
COLUMNS = 120
ALWAYS_EQUAL_ADD = (
    "class Anything:\n    def __eq__(self, other):\n        return True\n\n\n"
    "def add(a, b):\n    return Anything()\n"
)
# What a kernel's own logger writes to the stderr it inherited, as ipykernel's does.
NOISE = "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel (test noise)"
NOISY_SQUARE = f"import os\nos.write(2, b'{NOISE}\\n')\n\n\ndef square(x):\n    return x * x\n"
# The students of the cohort (write_students: what each hands in).
STUDENTS = ("reference", "partial", "broken", "rigged", "locked_edit", "noisy")


def write_two_notebook_course(root: Path) -> Course:
    """The tiny course with a second notebook (a copy under another id), released."""
    write_tiny_course(root)
    copy_tiny_notebook(root, SECOND_NOTEBOOK)
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    return course


def write_students(course: Course) -> None:
    ref = reference_notebook(course)  # the two notebooks are alike: one reference fits both
    both = {TINY_NOTEBOOK: ref, SECOND_NOTEBOOK: ref}
    handed_in = {
        "reference": both,
        "partial": {TINY_NOTEBOOK: ref},
        "broken": {TINY_NOTEBOOK: b"{oops", SECOND_NOTEBOOK: b"{oops"},
        "rigged": {**both, TINY_NOTEBOOK: edit_cell(ref, "add_answer", ALWAYS_EQUAL_ADD)},
        "locked_edit": {**both, SECOND_NOTEBOOK: edit_cell(ref, "setup", "import math\nX = 1")},
        "noisy": {**both, TINY_NOTEBOOK: edit_cell(ref, "square_answer", NOISY_SQUARE)},
    }
    for student_id, notebooks in handed_in.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, notebooks)


@pytest.fixture(scope="module")
def run(kernels: None, tmp_path_factory: pytest.TempPathFactory) -> TappedRun:
    """The cohort graded once by the command, on 2 workers, in a terminal of COLUMNS columns."""
    tmp = tmp_path_factory.mktemp("output")
    course = write_two_notebook_course(tmp / "course")
    write_students(course)
    return run_tapped(course, ["autograde", TINY_ASSIGNMENT, "--workers", "2"], COLUMNS, 600)


def row_of(text: str, student_id: str) -> str:
    (row,) = [line for line in table_rows(text) if line.split()[0] == student_id]
    return row


def run_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    course: Course,
    report: AutogradeReport,
    *options: str,
) -> tuple[int, str]:
    """`course autograde` in this process, grading replaced by report; exit code and stdout."""
    monkeypatch.setattr("coursekit.grading.autograde.autograde_assignment", lambda *a, **k: report)
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    code = main(["--course-dir", str(course.root), "autograde", TINY_ASSIGNMENT, *options])
    return code, capsys.readouterr().out


def test_the_command_prints_one_line_per_student_and_a_summary(run: TappedRun) -> None:
    assert run.code == EXIT_PARTIAL, run.out + run.err  # broken is rejected
    rows = table_rows(run.out)
    assert sorted(row.split()[0] for row in rows) == sorted(STUDENTS)
    assert max(len(line) for line in run.out.splitlines()) <= COLUMNS
    assert "\x1b[" not in run.out  # piped: no colour
    assert "6 students: 5 graded, 1 rejected, 0 failed, 1 flagged for a TA" in run.out
    assert "mean auto score" in run.out and "took " in run.out


def test_each_note_is_said_once_on_the_notebook_it_concerns(run: TappedRun) -> None:
    assert "1 of 2 handed in" in row_of(run.out, "partial")
    broken = row_of(run.out, "broken")
    assert "rejected" in broken and f"{TINY_NOTEBOOK}.ipynb (and 1 more alike) is not" in broken
    assert str(run.course.root) not in broken  # the file's name, never the folder again
    locked = row_of(run.out, "locked_edit")
    assert f"{SECOND_NOTEBOOK}: locked cells edited: setup" in locked
    assert f"{TINY_NOTEBOOK}:" not in locked
    rigged = run.outcome("rigged")
    held = f"{rigged.held_points:g} points held until a TA decides"
    assert f"{len(rigged.under_review)} test" in row_of(run.out, "rigged") and held in run.out
    assert row_of(run.out, "reference").split()[-1] == "graded"  # nothing to say


def test_kernel_noise_goes_to_the_log_named_once(run: TappedRun) -> None:
    assert NOISE not in run.out and NOISE not in run.err
    assert "traitlets" not in run.err
    log = run.course.root / "logs" / "course-autograde.log"
    assert NOISE in log.read_text()
    assert run.err.count("logs/course-autograde.log") == 1


def test_quiet_prints_only_the_students_who_need_a_person(
    run: TappedRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run.report
    code, out = run_command(monkeypatch, capsys, run.course, report, "--quiet")
    shown = {row.split()[0] for row in table_rows(out)}
    assert shown == {
        o.student_id
        for o in report.outcomes
        if o.status is not Status.GRADED or o.suspicions or o.crashes
    }
    assert shown == {"broken", "rigged"} and "6 students:" in out


def test_json_parses_and_carries_every_student(
    run: TappedRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run.report
    code, out = run_command(monkeypatch, capsys, run.course, report, "--json")
    data = json.loads(out)
    assert data["format"] == 1 and data["assignment_id"] == TINY_ASSIGNMENT
    assert [s["student_id"] for s in data["students"]] == [o.student_id for o in report.outcomes]
    assert data["summary"]["rejected"] == sum(o.status is Status.REJECTED for o in report.outcomes)
    partial = next(s for s in data["students"] if s["student_id"] == "partial")
    assert partial["handed_in"] == 1 and data["notebooks"] == 2
    handed = {nb["notebook_id"]: nb["handed_in"] for nb in partial["notebooks"]}
    assert handed == {TINY_NOTEBOOK: True, SECOND_NOTEBOOK: False}
    rigged = next(s for s in data["students"] if s["student_id"] == "rigged")
    assert rigged["tests_under_review"] >= 1 and rigged["needs_person"]


def test_verbose_gives_each_notebook_of_each_student(
    run: TappedRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_command(monkeypatch, capsys, run.course, run.report, "--verbose")
    lines = out.splitlines()
    at = lines.index(row_of(out, "locked_edit"))
    detail = lines[at + 1 : at + 6]
    assert any(line.startswith(f"  {TINY_NOTEBOOK}: auto ") for line in detail)
    assert any("locked cells edited" in line for line in detail)
    assert max(len(line) for line in lines) <= COLUMNS


def test_status_reads_the_last_autograde_back_without_grading(
    run: TappedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--course-dir", str(run.course.root), "status", TINY_ASSIGNMENT]
    assert main([*argv, "--json"]) == EXIT_PARTIAL
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["graded"], summary["rejected"], summary["flagged"]) == (5, 1, 1)
    assert summary["tests_under_review"] == len(run.outcome("rigged").under_review)

    assert main([*argv, "--student", "rigged"]) == EXIT_OK
    out = capsys.readouterr().out
    # It grades nothing, and its title says so: not autograde's.
    assert out.splitlines()[0].startswith(f"Status of {TINY_ASSIGNMENT}: the last autograde")
    assert "Autograde of" not in out and "took " not in out
    assert [row.split()[0] for row in table_rows(out) if not row.startswith(" ")] == ["rigged"]
    assert f"  {TINY_NOTEBOOK}: auto " in out and "needs review, would earn" in out
