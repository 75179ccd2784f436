"""Grading survives its own faults: a killed worker costs only its own student, once; a job
or a kernel that never ends is stopped within its configured bound and said so (issue 14)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from helpers.cohorts import source_points, write_many
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.notebooks import edit_cell, reference_notebook
from helpers.warm_kernels import with_config, with_kernel

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.grading import inflight
from coursekit.grading.autograde import autograde_assignment, autograde_student
from coursekit.grading.types import Status
from coursekit.grading.workers import ExecutorSpec, WorkerLost
from coursekit.grading.workers.dask_cluster import DaskExecutor
from coursekit.grading.workers.local import LocalExecutor
from coursekit.intake.submissions import read_release
from coursekit.isolation.warm.kernelspec import install_kernelspec, kernel_json

RUN_BOUND_S = 600.0  # a whole tiny run on a loaded machine, far beyond the 1 min it takes
SLEEPER = "a_sleeper"  # sorted first: graded while the others are still queued
SLEEPING_ADD = "import time\ntime.sleep(10)\n\ndef add(a, b):\n    return a + b"


# ---- the executor alone (no kernel) ----------------------------------------------------------


def kill_self_on_one(job: int) -> int:
    """A job whose worker is SIGKILLed (as by the OOM killer) whenever it runs job 1."""
    if job == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return job


def sleep_on_one(job: int) -> int:
    """A job that never ends in time when it is job 1."""
    if job == 1:
        time.sleep(120)
    return job


def test_a_worker_killed_twice_fails_only_its_job_saying_so() -> None:
    with LocalExecutor(ExecutorSpec(workers=2)) as executor:
        results = dict(executor.map_unordered(kill_self_on_one, list(range(6))))
    lost = results.pop(1)
    assert isinstance(lost, WorkerLost)
    assert str(lost) == (
        "the grading worker died twice (killed by signal 9 (SIGKILL)) while grading this student"
    )
    assert results == {job: job for job in range(6) if job != 1}


def test_a_job_past_its_bound_is_stopped_tried_again_then_failed() -> None:
    started = time.monotonic()
    with LocalExecutor(ExecutorSpec(workers=2, job_timeout=2.0)) as executor:
        results = dict(executor.map_unordered(sleep_on_one, [0, 1, 2]))
    took = time.monotonic() - started
    lost = results.pop(1)
    assert isinstance(lost, WorkerLost)
    assert "took longer than 2 s (c.CourseKit.grading_job_timeout), twice" in str(lost)
    assert results == {0: 0, 2: 2}
    assert took < 60, f"two 2 s bounds took {took:.0f} s"


def kill_self_on_one_once(job: tuple[int, str]) -> int:
    """Job 1 SIGKILLs its worker the first time it runs (a marker file in job's folder says)."""
    number, folder = job
    marker = Path(folder) / "killed-once"
    if number == 1 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return number


@pytest.mark.slow  # a Dask cluster of its own: 15 to 20 s
def test_a_dask_worker_killed_mid_job_costs_no_job(tmp_path: Path) -> None:
    jobs = [(number, str(tmp_path)) for number in range(4)]
    with DaskExecutor(ExecutorSpec(name="dask", workers=2)) as executor:
        results = {
            job[0]: result for job, result in executor.map_unordered(kill_self_on_one_once, jobs)
        }
    assert (tmp_path / "killed-once").exists(), "no worker was killed: nothing was tested"
    assert results == {0: 0, 1: 1, 2: 2, 3: 3}


@pytest.mark.slow  # a Dask cluster of its own: 15 to 20 s
def test_a_job_that_kills_each_dask_worker_it_runs_on_is_lost_saying_so() -> None:
    with DaskExecutor(ExecutorSpec(name="dask", workers=2)) as executor:
        results = dict(executor.map_unordered(kill_self_on_one, list(range(4))))
    lost = results.pop(1)
    assert isinstance(lost, WorkerLost)
    assert str(lost).startswith("the Dask workers grading this student died each time it was tried")
    assert results == {0: 0, 2: 2, 3: 3}


def kill_worker_after_finishing_once(job: tuple[int, str]) -> int:
    """Job 1 finishes, then its worker is SIGKILLed half a second later (the first time only);
    computed again, it takes 3 s."""
    number, folder = job
    marker = Path(folder) / "killed-after-finishing"
    if number == 1 and not marker.exists():
        time.sleep(1)
        marker.touch()
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGKILL)).start()
    elif number == 1:
        time.sleep(3)  # computed again: still pending when the consumer looks
    return number


@pytest.mark.slow  # a Dask cluster of its own: 15 to 20 s
def test_a_result_lost_with_its_dask_worker_is_computed_again(tmp_path: Path) -> None:
    """as_completed announced job 1 finished; its worker died before we asked for the result."""
    jobs = [(number, str(tmp_path)) for number in range(2)]
    results = {}
    with DaskExecutor(ExecutorSpec(name="dask", workers=2)) as executor:
        for job, result in executor.map_unordered(kill_worker_after_finishing_once, jobs):
            results[job[0]] = result
            if job[0] == 0:
                time.sleep(2.5)  # a slow consumer: job 1 finishes and its worker dies meanwhile
    assert (tmp_path / "killed-after-finishing").exists(), "no worker was killed: untested"
    assert results == {0: 0, 1: 1}


# ---- a real run ------------------------------------------------------------------------------


def worker_grading(course: Course, student_id: str) -> int | None:
    """The pid of the worker grading student_id now (from the in-flight journal), or None."""
    entry = inflight.unfinished(course, TINY_ASSIGNMENT).get(student_id)
    return None if entry is None else entry.grader_pid


def kill_worker_grading(
    course: Course, student_id: str, killed: list[int], stop: threading.Event
) -> None:
    """SIGKILL the worker grading student_id as soon as the journal names it (in a thread)."""
    deadline = time.monotonic() + RUN_BOUND_S
    while time.monotonic() < deadline and not stop.is_set():
        pid = worker_grading(course, student_id)
        if pid is not None and pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.05)


def test_a_worker_killed_mid_student_costs_no_one_a_grade(
    released_template: Path, tmp_path: Path, light_kernel: str, warm_dir: Path
) -> None:
    """SIGKILL of the worker grading one student: it is graded again; all are graded right."""
    course = with_kernel(
        locate_course(shutil.copytree(released_template, tmp_path / "course")), light_kernel
    )
    lost = write_many(course, 4)
    sleeper = edit_cell(reference_notebook(course), "add_answer", SLEEPING_ADD)
    cohort.write_submission(course, TINY_ASSIGNMENT, SLEEPER, {TINY_NOTEBOOK: sleeper})
    lost[SLEEPER] = set()

    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_worker_grading, args=(course, SLEEPER, killed, stop))
    killer.start()
    try:
        report = autograde_assignment(
            course, TINY_ASSIGNMENT, executor=ExecutorSpec(name="local", workers=2)
        )
    finally:
        stop.set()
        killer.join(RUN_BOUND_S)
    assert killed, "the sleeper was never seen being graded: nothing was killed"
    points = source_points(course)
    graded = {o.student_id: o for o in report.outcomes}
    assert sorted(graded) == sorted(lost)
    assert [
        (o.student_id, o.reason) for o in report.outcomes if o.status is not Status.GRADED
    ] == []
    for student_id, outcome in graded.items():
        (score,) = outcome.scores
        expected = sum(p for gid, p in points.items() if gid not in lost[student_id])
        assert score.auto_score == expected, student_id
    assert not psutil.pid_exists(killed[0]), "the killed worker was not reaped"


# ---- a kernel that never answers -------------------------------------------------------------


STUCK_KERNEL = "stuck-kernel"
STARTUP_BOUND_S = 5


def install_stuck_kernel(prefix: Path) -> None:
    """A kernelspec whose process starts and never answers (as a wedged kernel would)."""
    folder = prefix / "kernels" / STUCK_KERNEL
    folder.mkdir(parents=True)
    argv = [sys.executable, "-c", "import time; time.sleep(600)", "{connection_file}"]
    spec = {"argv": argv, "display_name": "stuck", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))


def stuck_kernels() -> set[int]:
    found = set()
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if "import time; time.sleep(600)" in (process.info["cmdline"] or []):
                found.add(process.pid)
    return found


def test_a_kernel_that_never_answers_fails_its_student_within_the_bound(
    released_tiny_course: Course, kernels: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_stuck_kernel(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    course = with_config(
        with_kernel(released_tiny_course, STUCK_KERNEL),
        f"c.Execute.startup_timeout = {STARTUP_BOUND_S}",
    )
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "waiting", {TINY_NOTEBOOK: reference_notebook(course)}
    )
    before = stuck_kernels()
    started = time.monotonic()
    try:
        outcome = autograde_student(
            course, TINY_ASSIGNMENT, "waiting", read_release(course, TINY_ASSIGNMENT)
        )
    finally:
        left = stuck_kernels() - before
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    took = time.monotonic() - started
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        f"the kernel did not answer within {STARTUP_BOUND_S} s of its start "
        "(c.Execute.startup_timeout), twice, so this student was not graded"
    )
    assert took < 20 * STARTUP_BOUND_S, f"failed after {took:.0f} s"
    assert left == set(), "the silent kernel was left running"


# ---- a warm start that does not come ---------------------------------------------------------


SLOW_WARM_KERNEL = "python3-warm-slow"
SLOW_IMPORT_S = 8  # the server's preload; its launch waits for it
LAUNCH_BOUND_S = 2


def test_a_warm_launch_past_its_bound_grades_the_notebook_cold_and_says_so(
    released_tiny_course: Course,
    kernels: None,
    warm_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "slow_preload.py").write_text(f"import time\ntime.sleep({SLOW_IMPORT_S})\n")
    monkeypatch.setenv("PYTHONPATH", str(modules))
    prefix = tmp_path / "prefix"
    install_kernelspec(prefix, SLOW_WARM_KERNEL, kernel_json(preload=["slow_preload"]))
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    course = with_config(
        with_kernel(released_tiny_course, SLOW_WARM_KERNEL),
        f"c.WarmProvisioner.launch_timeout = {LAUNCH_BOUND_S}",
    )
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "patient", {TINY_NOTEBOOK: reference_notebook(course)}
    )
    outcome = autograde_student(
        course, TINY_ASSIGNMENT, "patient", read_release(course, TINY_ASSIGNMENT)
    )
    assert outcome.status is Status.GRADED, outcome.reason
    assert outcome.scores[0].auto_score == sum(source_points(course).values())
    assert [p.reason for p in outcome.problems] == [
        f"the warm fork server did not launch a kernel within {LAUNCH_BOUND_S} s "
        "(c.WarmProvisioner.launch_timeout), so a cold kernel graded this notebook"
    ]
