"""Concurrent autograde: stock nbgrader's grades for any number of workers, a gradebook that
neither locks nor loses nor duplicates a grade, progress while it runs, and the executor seam.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from helpers import recording_executor
from helpers.cohorts import RAISES, source_points, write_cohort, write_many
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.notebooks import edit_cell, reference_notebook
from traitlets.config import Config

from coursekit.authoring import cohort
from coursekit.cli import app as cli_app
from coursekit.cli.printers import AutogradeProgressPrinter
from coursekit.cli.progress import ProgressMeter
from coursekit.cli.render import render_progress_bar, render_progress_log_line
from coursekit.core.course import Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.grading import job_order
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import Status, StudentOutcome
from coursekit.grading.workers import (
    ExecutorSpec,
    available_cores,
    local,
    make_executor,
    resolve_spec,
)
from coursekit.grading.workers.inline import InlineExecutor
from coursekit.grading.workers.local import LocalExecutor
from coursekit.nbgrader import api as nbgrader_api

BIN = Path(sys.executable).parent


def copy_course(template: Path, where: Path) -> Course:
    """A private copy of a released course (its config finds its own root and gradebook)."""
    return locate_course(shutil.copytree(template, where))


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """A command of the venv, with the venv first on PATH as nbgrader needs (alembic)."""
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def gradebook_scores(course: Course, student_ids: list[str]) -> dict[str, tuple]:
    """Every cell score of each student as the gradebook holds it."""
    return {sid: nbgrader_api.read_scores(course, TINY_ASSIGNMENT, sid) for sid in student_ids}


@pytest.mark.slow  # the cohort graded by 4 workers and by stock nbgrader: about 50 s
def test_parallel_autograde_gives_stock_nbgrader_grades_cell_by_cell(
    released_template: Path, tmp_path: Path
) -> None:
    """`course autograde --workers 4` and stock sequential `nbgrader autograde`, same cohort."""
    stock = copy_course(released_template, tmp_path / "stock")
    parallel = copy_course(released_template, tmp_path / "parallel")
    for course in (stock, parallel):
        write_cohort(course)  # right, wrong, edited tests, a dead kernel, unfit files
        ref = reference_notebook(course)
        cohort.write_submission(
            course,
            TINY_ASSIGNMENT,
            "raises",
            {TINY_NOTEBOOK: edit_cell(ref, "square_answer", RAISES)},
        )
    students = parallel.submitted_student_ids(TINY_ASSIGNMENT)

    run(["nbgrader", "autograde", TINY_ASSIGNMENT, "--force"], cwd=stock.root)
    ours = run(["course", "autograde", TINY_ASSIGNMENT, "--workers", "4"], cwd=parallel.root)

    assert ours.returncode == cli_app.EXIT_PARTIAL, ours.stderr  # rejected and failed students
    progress_lines = [line for line in ours.stderr.splitlines() if line.startswith("[")]
    assert len(progress_lines) == len(students), ours.stderr
    assert "database is locked" not in ours.stdout + ours.stderr
    # Students coursekit rejects before nbgrader runs (stock nbgrader fails on them instead)
    # never reach the gradebook; every other student's cells score exactly as stock's.
    rejected = {"not_json"}
    table = {line.split()[0]: line for line in ours.stdout.splitlines()[2:] if line.strip()}
    assert {sid for sid in students if "rejected" in table[sid]} == rejected
    # A copied test cell: stock nbgrader fails on it, coursekit grades it (test_duplicated_cells).
    graded = [sid for sid in students if sid not in rejected | {"duplicated"}]
    expected = gradebook_scores(stock, graded)
    assert all(expected.values()), "stock nbgrader graded nobody: the comparison is empty"
    assert gradebook_scores(parallel, graded) == expected
    assert all(nbgrader_api.read_scores(parallel, TINY_ASSIGNMENT, sid) == () for sid in rejected)


def count_rows(course: Course) -> dict[str, int]:
    """Rows per gradebook table that autograde writes."""
    database = course.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        tables = ["student", "submitted_assignment", "submitted_notebook", "grade", "comment"]
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.mark.slow
def test_eight_workers_lose_no_grade_and_duplicate_none(
    released_template: Path, tmp_path: Path
) -> None:
    """Many tiny students graded 8 at a time, twice: every row once, every score right."""
    course = copy_course(released_template, tmp_path / "course")
    lost = write_many(course, 32)
    points = source_points(course)
    spec = ExecutorSpec(name="local", workers=8)

    first = autograde_assignment(course, TINY_ASSIGNMENT, executor=spec)
    rows = count_rows(course)
    second = autograde_assignment(course, TINY_ASSIGNMENT, executor=spec)

    for report in (first, second):
        failed = [
            (o.student_id, o.reason) for o in report.outcomes if o.status is not Status.GRADED
        ]
        assert failed == [], failed  # a "database is locked" would fail its student here
        for result in report.outcomes:
            (score,) = result.scores
            expected = sum(p for gid, p in points.items() if gid not in lost[result.student_id])
            assert score.auto_score == expected, result.student_id
    cells_per_submission = len(first.outcomes[0].scores[0].cells)
    assert rows["student"] == rows["submitted_assignment"] == rows["submitted_notebook"] == 32
    assert rows["grade"] == 32 * cells_per_submission
    assert count_rows(course) == rows, "regrading added or removed rows"
    assert [o.scores for o in second.outcomes] == [o.scores for o in first.outcomes]


def test_a_run_takes_the_longest_students_first_and_records_their_seconds(
    kernels: None, released_template: Path, tmp_path: Path
) -> None:
    """The last run's seconds order the next run (job_order.py), which records its own."""
    course = copy_course(released_template, tmp_path / "course")
    students = sorted(write_many(course, 4))
    # A previous run's record, made up so that name order is not longest-first order.
    made_up = dict(zip(students, (1.0, 50.0, 20.0, 5.0), strict=True))
    job_order.record_seconds(course, TINY_ASSIGNMENT, made_up)
    recording_executor.RUNS.clear()
    spec = ExecutorSpec(name="helpers.recording_executor:RecordingExecutor", workers=1)

    report = autograde_assignment(course, TINY_ASSIGNMENT, executor=spec)

    given_order = recording_executor.RUNS
    assert given_order == [sorted(students, key=lambda sid: -made_up[sid])]
    assert [o.status for o in report.outcomes] == [Status.GRADED] * 4
    recorded = job_order.read_seconds(course, TINY_ASSIGNMENT)
    assert recorded == {o.student_id: round(o.seconds, 3) for o in report.outcomes}
    assert all(0 < seconds < 60 for seconds in recorded.values()), recorded  # measured, not made up
    assert recorded != made_up


@pytest.mark.slow
def test_a_writer_holding_the_gradebook_delays_grading_but_never_fails_it(
    released_tiny_course: Course,
) -> None:
    """Longer than SQLite's default 5 s wait: the busy timeout lets the student wait its turn."""
    course = released_tiny_course
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "patient", {TINY_NOTEBOOK: reference_notebook(course)}
    )
    holding = threading.Event()

    def hold_write_lock(seconds: float) -> None:
        db = sqlite3.connect(course.db_url.removeprefix("sqlite:///"), isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        holding.set()
        time.sleep(seconds)
        db.execute("COMMIT")
        db.close()

    holder = threading.Thread(target=hold_write_lock, args=(8.0,))
    holder.start()
    assert holding.wait(60), "the other writer never took the lock"
    started = time.monotonic()
    (outcome,) = autograde_assignment(
        course, TINY_ASSIGNMENT, executor=ExecutorSpec(name="local", workers=2)
    ).outcomes
    waited = time.monotonic() - started
    holder.join(60)

    assert outcome.status is Status.GRADED, outcome.reason
    assert outcome.scores[0].auto_score == sum(source_points(course).values())
    assert waited > 5, "the lock was released before grading wrote: nothing was tested"


def test_concurrent_db_url_waits_longer_and_keeps_the_file() -> None:
    url = nbgrader_api.concurrent_db_url("sqlite:////srv/course/gradebook/gradebook.db")
    assert url == (
        f"sqlite:////srv/course/gradebook/gradebook.db?timeout={nbgrader_api.SQLITE_BUSY_TIMEOUT_S}"
    )
    assert nbgrader_api.concurrent_db_url("sqlite:///g.db?timeout=7").endswith("?timeout=7")
    assert nbgrader_api.concurrent_db_url("sqlite:///g.db").startswith(f"sqlite:///{Path.cwd()}/")
    server = "postgresql://grader:secret@db.example.org:5432/gradebook"
    assert nbgrader_api.concurrent_db_url(server) == server


def config_of(**entries: object) -> Config:
    config = Config()
    for key, value in entries.items():
        config.CourseKit[key] = value
    return config


@pytest.mark.parametrize(
    ("spec", "config", "expected"),
    [
        (
            ExecutorSpec(),
            Config(),
            ExecutorSpec("local" if available_cores() > 1 else "inline", available_cores(), None),
        ),
        (ExecutorSpec(workers=1), Config(), ExecutorSpec("inline", 1, None)),
        (ExecutorSpec(workers=3), config_of(autograde_workers=5), ExecutorSpec("local", 3, None)),
        (ExecutorSpec(), config_of(autograde_workers=5), ExecutorSpec("local", 5, None)),
        (
            ExecutorSpec(),
            config_of(dask_scheduler="tcp://head:8786"),
            ExecutorSpec("dask", available_cores(), "tcp://head:8786"),
        ),
        (
            ExecutorSpec(scheduler="tcp://other:1"),
            config_of(dask_scheduler="tcp://head:8786"),
            ExecutorSpec("dask", available_cores(), "tcp://other:1"),
        ),
        (ExecutorSpec(name="dask", workers=2), Config(), ExecutorSpec("dask", 2, None)),
    ],
)
def test_executor_is_chosen_by_command_line_then_config_then_cores(
    spec: ExecutorSpec, config: Config, expected: ExecutorSpec
) -> None:
    assert resolve_spec(spec, config) == expected


def test_a_bad_worker_count_in_the_config_is_a_course_error() -> None:
    with pytest.raises(CourseError, match="autograde_workers"):
        resolve_spec(ExecutorSpec(), config_of(autograde_workers=0))


def test_an_executor_plugs_in_by_its_import_path() -> None:
    spec = ExecutorSpec(name="coursekit.grading.workers.inline:InlineExecutor", workers=1)
    assert isinstance(make_executor(spec), InlineExecutor)
    with pytest.raises(CourseError, match="Unknown executor 'warp'"):
        make_executor(ExecutorSpec(name="warp"))
    with pytest.raises(CourseError, match="Cannot load the executor"):
        make_executor(ExecutorSpec(name="coursekit.grading.workers.nowhere:Executor"))


def slow_pid(job: int) -> int:
    """A job that lasts long enough for another worker to take the next one."""
    time.sleep(0.5)
    return os.getpid()


def exit_abruptly(job: int) -> int:
    """A job whose worker process dies (as if killed for memory) on job 1."""
    if job == 1:
        os._exit(3)
    return job


def raise_on_odd(job: int) -> int:
    if job % 2:
        raise ValueError(f"job {job}")
    return job


def test_local_executor_runs_jobs_in_several_processes() -> None:
    with LocalExecutor(ExecutorSpec(workers=2)) as executor:
        pids = dict(executor.map_unordered(slow_pid, [0, 1, 2, 3]))
    assert sorted(pids) == [0, 1, 2, 3]
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def test_a_single_threaded_process_forks_its_workers() -> None:
    # In a fresh interpreter: earlier tests may leave threads in this one (warm-kernel clients).
    probe = "from coursekit.grading.workers import local; print(local.start_method())"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert (found.returncode, found.stdout.strip()) == (0, "fork"), found.stderr


def test_with_another_thread_running_workers_start_from_the_fork_server() -> None:
    """A child forked while another thread holds a lock can hang: then no plain fork."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert local.start_method() == "forkserver"
        with LocalExecutor(ExecutorSpec(workers=2)) as executor:
            pids = dict(executor.map_unordered(slow_pid, [0, 1, 2, 3]))
    finally:
        stop.set()
        other.join(60)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


@pytest.mark.parametrize("executor", [InlineExecutor(), LocalExecutor(ExecutorSpec(workers=2))])
def test_a_job_that_raises_comes_back_as_its_exception(executor) -> None:
    with executor:
        results = dict(executor.map_unordered(raise_on_odd, [0, 1, 2, 3]))
    assert {job: str(value) for job, value in results.items() if job % 2} == {
        1: "job 1",
        3: "job 3",
    }
    assert {job: value for job, value in results.items() if not job % 2} == {0: 0, 2: 2}


def test_a_worker_that_dies_fails_its_job_not_the_run() -> None:
    with LocalExecutor(ExecutorSpec(workers=1)) as executor:
        results = dict(executor.map_unordered(exit_abruptly, [0, 1]))
    assert results[0] == 0
    assert isinstance(results[1], BrokenProcessPool)


def test_a_worker_that_dies_fails_only_its_own_job() -> None:
    """The other jobs its broken pool dropped are run again and come back with results."""
    jobs = list(range(8))
    with LocalExecutor(ExecutorSpec(workers=2)) as executor:
        results = dict(executor.map_unordered(exit_abruptly, jobs))
        # The executor stays usable for the next batch after a worker died.
        again = dict(executor.map_unordered(slow_pid, [0, 1]))
    assert sorted(results) == jobs
    assert isinstance(results.pop(1), BrokenProcessPool)
    assert results == {job: job for job in jobs if job != 1}
    assert sorted(again) == [0, 1]


def outcome_of(student_id: str, status: Status) -> StudentOutcome:
    return StudentOutcome(TINY_ASSIGNMENT, student_id, status)


def test_progress_counts_failures_and_estimates_the_time_left() -> None:
    now = iter([100.0, 130.0, 160.0, 190.0])
    meter = ProgressMeter(clock=lambda: next(now))
    first = meter.update(1, 4, outcome_of("a", Status.GRADED))
    second = meter.update(2, 4, outcome_of("b", Status.FAILED))
    third = meter.update(3, 4, outcome_of("c", Status.REJECTED))

    assert (first.rate_per_minute, first.remaining_s) == (2.0, 90.0)
    assert (second.failed, second.rejected, second.remaining_s) == (1, 0, 60.0)
    assert (third.failed, third.rejected) == (1, 1)
    assert render_progress_bar(second, width=8) == (
        "[####....] 2/4 students, 1 failed, 0 rejected, 2.0/min, ~1m00s left"
    )
    assert render_progress_log_line(third) == (
        "[3/4] c: rejected (1 failed, 1 rejected, 2.0/min, ~30s left)"
    )


def test_progress_on_a_terminal_redraws_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    now = iter([0.0, 30.0, 60.0])
    printer = AutogradeProgressPrinter(ProgressMeter(clock=lambda: next(now)))
    printer(1, 2, outcome_of("a", Status.GRADED))
    printer(2, 2, outcome_of("b", Status.FAILED))

    clear = "\r\x1b[K"
    assert capsys.readouterr().err == (
        f"{clear}[{'#' * 12}{'.' * 12}] 1/2 students, 0 failed, 0 rejected, 2.0/min, ~30s left"
        f"{clear}[2/2] b: failed\n"  # who failed stays on screen above the bar
        f"{clear}[{'#' * 24}] 2/2 students, 1 failed, 0 rejected, 2.0/min, done\n"
    )


@pytest.mark.slow  # grades two students twice through the command: about 15 s
def test_quiet_autograde_prints_no_progress(
    released_tiny_course: Course, capsys: pytest.CaptureFixture[str]
) -> None:
    course = released_tiny_course
    ref = reference_notebook(course)
    for student_id in ("ann", "bob"):
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: ref})
    argv = ["--course-dir", str(course.root), "autograde", TINY_ASSIGNMENT, "--workers", "1"]

    assert cli_app.main([*argv, "--quiet"]) == cli_app.EXIT_OK
    quiet = capsys.readouterr()
    assert cli_app.main(argv) == cli_app.EXIT_OK
    loud = capsys.readouterr()

    full = f"{sum(source_points(course).values()):g}"
    # Nobody needs a person: --quiet prints the summary alone.
    assert quiet.err == "" and "2 students: 2 graded" in quiet.out and "ann" not in quiet.out
    assert "ann" in loud.out and "bob" in loud.out
    progress = [line.split(" (")[0] for line in loud.err.splitlines() if line.startswith("[")]
    # The second run takes the student who took longer in the first one first (job_order.py),
    # and which of two equal jobs that was is the machine's noise: the counts run in order,
    # the names in either.
    assert [line.split(" ")[0] for line in progress] == ["[1/2]", "[2/2]"]
    assert sorted(line.split(" ", 1)[1] for line in progress) == [
        f"ann: graded, auto {full}/{full}",
        f"bob: graded, auto {full}/{full}",
    ]
