"""The same grading jobs on a Dask cluster: a real scheduler and workers on 127.0.0.1 give the
grades of a sequential run; the embedded LocalCluster does too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cohorts import write_cohort
from helpers.course import TINY_ASSIGNMENT

from coursekit.cli import app as cli_app
from coursekit.core.course import Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, Status
from coursekit.grading.workers import ExecutorSpec
from coursekit.grading.workers.dask_cluster import QUIET_CLUSTER, DaskExecutor
from coursekit.nbgrader import api as nbgrader_api

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow  # each test starts Dask processes and grades a cohort


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(*command: str, log: Path) -> subprocess.Popen:
    """A Dask command of the venv in its own process group (so teardown ends its children)."""
    with log.open("w") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(BIN / command[0]), *command[1:]],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        )


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[str]:
    """A `dask scheduler` and two one-thread `dask worker`s on 127.0.0.1; its address."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    processes = [
        start(
            "dask",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            port,
            "--no-dashboard",
            log=tmp_path / "scheduler.log",
        )
    ]
    try:
        for index in range(2):
            processes.append(
                start(
                    "dask",
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    log=tmp_path / f"worker{index}.log",
                )
            )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        assert all(process.poll() is not None for process in processes)


def graded_copies(template: Path, tmp_path: Path) -> tuple[Course, Course]:
    """Two copies of the released tiny course with the same cohort handed in."""
    courses = []
    for name in ("sequential", "dask"):
        course = locate_course(shutil.copytree(template, tmp_path / name))
        write_cohort(course)
        courses.append(course)
    return courses[0], courses[1]


def scores_of(course: Course, report: AutogradeReport) -> dict[str, tuple]:
    """Every cell score of each student as the gradebook holds it."""
    return {
        outcome.student_id: nbgrader_api.read_scores(course, TINY_ASSIGNMENT, outcome.student_id)
        for outcome in report.outcomes
    }


def assert_same_grades(
    sequential: Course, first: AutogradeReport, other: Course, second: AutogradeReport
) -> None:
    assert [(o.student_id, o.status) for o in second.outcomes] == [
        (o.student_id, o.status) for o in first.outcomes
    ]
    assert Status.GRADED in {o.status for o in first.outcomes}
    assert scores_of(other, second) == scores_of(sequential, first)


def test_a_dask_cluster_on_loopback_gives_the_sequential_grades(
    released_template: Path, tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sequential, on_dask = graded_copies(released_template, tmp_path)
    first = autograde_assignment(sequential, TINY_ASSIGNMENT)

    argv = ["--course-dir", str(on_dask.root), "autograde", TINY_ASSIGNMENT]
    code = cli_app.main([*argv, "--scheduler", scheduler])
    second = autograde_assignment(
        on_dask, TINY_ASSIGNMENT, executor=ExecutorSpec(scheduler=scheduler)
    )

    assert code == cli_app.EXIT_PARTIAL  # the cohort has rejected and failed students
    assert capsys.readouterr().err.count(f"/{len(first.outcomes)}] ") == len(first.outcomes)
    assert_same_grades(sequential, first, on_dask, second)


def test_the_embedded_local_cluster_gives_the_sequential_grades(
    released_template: Path, tmp_path: Path
) -> None:
    sequential, on_dask = graded_copies(released_template, tmp_path)
    first = autograde_assignment(sequential, TINY_ASSIGNMENT)
    second = autograde_assignment(
        on_dask, TINY_ASSIGNMENT, executor=ExecutorSpec(name="dask", workers=2)
    )
    assert_same_grades(sequential, first, on_dask, second)


def test_an_absent_scheduler_is_a_course_error(released_tiny_course: Course) -> None:
    spec = ExecutorSpec(scheduler=f"tcp://127.0.0.1:{free_port()}")
    with pytest.raises(CourseError, match="No Dask scheduler answers"):
        autograde_assignment(released_tiny_course, TINY_ASSIGNMENT, executor=spec)


def worker_settings(_job: int) -> dict[str, object]:
    """The QUIET_CLUSTER settings as the Dask worker running this job sees them."""
    import dask

    return {key: dask.config.get(key) for key in QUIET_CLUSTER}


def test_the_embedded_local_cluster_spends_no_cpu_on_a_dashboard() -> None:
    """Its workers neither profile their threads nor poll their monitors twice a second
    (benchmarks/dask_idle.py measures what that saves)."""
    assert QUIET_CLUSTER["distributed.worker.profile.enabled"] is False
    with DaskExecutor(ExecutorSpec(name="dask", workers=2)) as executor:
        seen = [result for _, result in executor.map_unordered(worker_settings, [1, 2, 3, 4])]
    assert seen == [QUIET_CLUSTER] * 4, seen
