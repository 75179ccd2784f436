"""`course autograde` of 30 demo students reads as a table a person can use (issue 17, item 3).

The demo's five kinds of student (reference, blank, partial, raises, broken: coursekit.demo),
six of each, hand in the real lecture 1 as an instructor sees it: all seven notebooks
released, each student handing in exercise 0 (Python), every third one exercise 1.1 too (the
two notebooks without TensorFlow or PyTorch, so the cohort grades in about 1.5 minutes on 2
workers). One real `course autograde` through the console script under COLUMNS=120; `--json`
and `--quiet` then read the same outcomes back with `course status`, grading nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from helpers.course import REPO_ROOT
from helpers.terminal_output import TappedRun, notebooks_named, run_tapped, table_rows

from coursekit.authoring import cohort
from coursekit.authoring.release import release_assignment
from coursekit.cli.app import main
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL
from coursekit.core.course import Course, locate_course
from coursekit.demo import demo_notebooks
from coursekit.grading.types import Status, StudentOutcome
from coursekit.reporting.export import FAILED, GRADED_STATUSES, NOT_HANDED_IN, export_grades
from coursekit.reporting.report import build_report
from coursekit.reporting.types import FlagKind

pytestmark = pytest.mark.slow  # grades 40 notebooks of the lecture: about 1.5-2 minutes

ASSIGNMENT = "lecture1"
NOTEBOOK_IDS = tuple(sorted(p.stem for p in (REPO_ROOT / "source" / ASSIGNMENT).glob("*.ipynb")))
EVERYONE_HANDS_IN = "exercise_0_python"
SOME_HAND_IN = "exercise_1_1_playground"  # every third student, as the reference writes it
KINDS = ("demo_reference", "demo_blank", "demo_partial", "demo_raises", "demo_broken")
COHORT = 30
COLUMNS = 120


def demo_student_ids() -> list[str]:
    """demo_reference_01 ... demo_broken_06: six of each kind, in the order they were made."""
    return [f"{KINDS[i % len(KINDS)]}_{i // len(KINDS) + 1:02d}" for i in range(COHORT)]


def write_demo_students(course: Course) -> None:
    """Each student hands in exercise 0 as their kind does; every third, exercise 1.1 too."""
    by_notebook = {}
    for notebook_id in (EVERYONE_HANDS_IN, SOME_HAND_IN):
        source = nbformat.read(course.source_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4)
        release = nbformat.read(
            course.release_dir(ASSIGNMENT) / f"{notebook_id}.ipynb", as_version=4
        )
        by_notebook[notebook_id] = demo_notebooks(source, release)
    for index, student_id in enumerate(demo_student_ids()):
        kind = KINDS[index % len(KINDS)]
        handed_in = {EVERYONE_HANDS_IN: by_notebook[EVERYONE_HANDS_IN][kind]}
        if index % 3 == 0:
            handed_in[SOME_HAND_IN] = by_notebook[SOME_HAND_IN]["demo_reference"]
        cohort.write_submission(course, ASSIGNMENT, student_id, handed_in)


@pytest.fixture(scope="module")
def run(kernels: None, tmp_path_factory: pytest.TempPathFactory) -> TappedRun:
    """Lecture 1 released (not executed: the release's proof has tests of its own), 30 demo
    students handed in, graded once by `course autograde --workers 2` under COLUMNS=120."""
    tmp = tmp_path_factory.mktemp("demo_cohort")
    root = tmp / "course"
    root.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source", root / "source")
    (root / "gradebook").mkdir()  # the SQLite file's folder
    course = locate_course(root)
    assert release_assignment(course, ASSIGNMENT, execute=False).ok
    write_demo_students(course)
    return run_tapped(course, ["autograde", ASSIGNMENT, "--workers", "2"], COLUMNS, 900)


def concerned(outcome: StudentOutcome) -> set[str]:
    """The notebooks something is wrong with: handed in with a problem, flagged or crashed."""
    return (
        {p.notebook_id for p in outcome.problems if p.handed_in}
        | {s.notebook_id for s in outcome.suspicions}
        | {c.notebook_id for c in outcome.crashes}
    )


def course_command(
    course: Course, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str]:
    """`course ARGV` in this process under COLUMNS=120: its exit code and stdout."""
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    code = main(["--course-dir", str(course.root), *argv])
    return code, capsys.readouterr().out


def test_the_demo_cohort_is_graded_as_its_kinds_say(run: TappedRun) -> None:
    assert run.code == EXIT_PARTIAL, run.out + run.err  # the broken ones are rejected
    by_status = {o.student_id: o.status for o in run.report.outcomes}
    assert sorted(by_status) == sorted(demo_student_ids())
    rejected = {sid for sid, s in by_status.items() if s is Status.REJECTED}
    assert rejected == {sid for sid in by_status if sid.startswith("demo_broken_")}
    assert all(s is Status.GRADED for sid, s in by_status.items() if sid not in rejected)


def test_the_default_table_has_one_line_per_student_within_120_columns(run: TappedRun) -> None:
    rows = table_rows(run.out)
    assert [row.split()[0] for row in rows] == sorted(demo_student_ids())
    too_long = [line for line in (run.out + run.err).splitlines() if len(line) > COLUMNS]
    assert not too_long, "\n".join(too_long)
    assert "\x1b[" not in run.out  # piped: no colour
    assert "30 students: 24 graded, 6 rejected, 0 failed" in run.out
    assert "mean auto score" in run.out and "took " in run.out
    notes = " ".join(row.split("  ")[-1] for row in rows)
    assert "1 of 7 handed in" in notes and "2 of 7 handed in" in notes  # a count, no list
    assert str(run.course.root) not in run.out  # a rejected notebook is named by its file


def test_a_note_names_only_the_notebooks_of_its_row(run: TappedRun) -> None:
    outcomes = {o.student_id: o for o in run.report.outcomes}
    named_somewhere = False
    for row in table_rows(run.out):
        outcome = outcomes[row.split()[0]]
        named = notebooks_named(row, NOTEBOOK_IDS)
        assert named <= concerned(outcome), row
        named_somewhere |= bool(named)
    assert named_somewhere  # the broken rows name their notebook: the check is not vacuous


def test_kernel_and_library_noise_stay_off_the_terminal(run: TappedRun) -> None:
    assert "[IPKernelApp]" not in run.out + run.err and "traitlets" not in run.err
    assert run.err.count("logs/course-autograde.log") == 1


def test_json_parses_with_one_entry_per_student(
    run: TappedRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # autograde --json on the run's own outcomes (grading them again would add 1.5 minutes) ...
    stage = "coursekit.grading.autograde.autograde_assignment"
    monkeypatch.setattr(stage, lambda *args, **kwargs: run.report)
    code, out = course_command(run.course, monkeypatch, capsys, "autograde", ASSIGNMENT, "--json")
    graded = json.loads(out)
    assert code == EXIT_PARTIAL
    # ... and status --json, which reads them back from the course.
    code, out = course_command(run.course, monkeypatch, capsys, "status", ASSIGNMENT, "--json")
    read_back = json.loads(out)
    assert code == EXIT_PARTIAL
    for data in (graded, read_back):
        assert data["notebooks"] == len(NOTEBOOK_IDS)
        assert sorted(s["student_id"] for s in data["students"]) == sorted(demo_student_ids())
        assert (data["summary"]["graded"], data["summary"]["rejected"]) == (24, 6)
    handed_in = {s["student_id"]: s["handed_in"] for s in read_back["students"]}
    assert handed_in["demo_reference_01"] == 2 and handed_in["demo_blank_01"] == 1


def test_quiet_on_the_clean_students_prints_at_most_the_summary(
    run: TappedRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = [o.student_id for o in run.report.outcomes if o.status is Status.GRADED]
    chosen = [option for sid in clean for option in ("--student", sid)]
    argv = ["status", ASSIGNMENT, "--quiet"]
    code, out = course_command(run.course, monkeypatch, capsys, *argv, *chosen)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert len(lines) <= 2 and lines[0].startswith(f"{len(clean)} students: {len(clean)} graded")
    # The same command on the whole cohort shows the rejected: the check above can fail.
    code, out = course_command(run.course, monkeypatch, capsys, *argv)
    assert code == EXIT_PARTIAL
    assert sorted(row.split()[0] for row in table_rows(out)) == sorted(
        sid for sid in demo_student_ids() if sid.startswith("demo_broken_")
    )


def test_notebooks_not_handed_in_are_no_failure_in_the_export_or_the_report(
    run: TappedRun, tmp_path: Path
) -> None:
    """'1 of 7 handed in' in the table is 'not handed in' (scoring 0) in the grades CSV, not
    six 'autograde failed' rows, and no flag in the report: nothing failed."""
    rows = export_grades(run.course, ASSIGNMENT, tmp_path / "grades.csv")
    by_key = {(row.student_id, row.notebook_id): row for row in rows}
    assert FAILED not in {row.status for row in rows}
    assert by_key["demo_reference_02", SOME_HAND_IN].status == NOT_HANDED_IN
    assert by_key["demo_reference_02", SOME_HAND_IN].score == 0
    assert by_key["demo_reference_02", EVERYONE_HANDS_IN].status in GRADED_STATUSES
    flags = build_report(run.course, ASSIGNMENT).flags
    assert not [flag for flag in flags if flag.kind is FlagKind.FAILED]
