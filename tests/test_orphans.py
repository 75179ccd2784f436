"""Every process a run starts dies with it: a `course autograde` killed with SIGKILL leaves no
worker, warm fork server or kernel behind, frees the course's lock, and the next run takes over
and grades as an undisturbed one; a run refused while another is alive names its live processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from helpers.cohorts import write_many
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.notebooks import edit_cell, reference_notebook
from helpers.warm_kernels import is_running, logged_server_pids, with_kernel
from jupyter_client.manager import start_new_kernel

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.grading import inflight, runlock
from coursekit.isolation.warm import server as warm_server
from coursekit.isolation.warm.kernelspec import install_kernelspec, kernel_json
from coursekit.nbgrader import api as nbgrader_api

VENV_BIN = Path(sys.executable).parent
GONE_WITHIN_S = 15.0  # issue 14: nothing of a killed run is left 15 s after the kill
WAIT_S = 180.0  # for a run to reach a student (a loaded machine starts kernels slowly)
RUN_TIMEOUT_S = 600
# The student whose answer cell sleeps while the variable is set in the grading environment:
# a run can be caught mid-student however loaded the machine; without it, a correct answer.
SLOW_STUDENT = "slow"
HOLD_VARIABLE = "COURSEKIT_TEST_HOLD_SECONDS"
HOLDING_ADD = (
    "import os, time\n"
    f"time.sleep(float(os.environ.get({HOLD_VARIABLE!r}, '0')))\n\n"
    "def add(a, b):\n    return a + b"
)


# ---- processes -------------------------------------------------------------------------------


def alive(pids: set[int]) -> set[int]:
    """Those of pids that still run (a zombie waiting to be reaped does not)."""
    return {pid for pid in pids if is_running(pid)}


def descendants(pid: int) -> set[int]:
    """Every process below pid (none if it is gone)."""
    with contextlib.suppress(psutil.Error):
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    return set()


def in_session(sid: int) -> set[int]:
    """Every process of session sid (a run started with start_new_session: its workers)."""
    found = set()
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getsid(process.pid) == sid:
                found.add(process.pid)
    return found


def warm_kernels(warm_dir: Path) -> set[int]:
    """The kernels the warm servers of a private folder have forked, running now."""
    return alive(set().union(*map(descendants, logged_server_pids(warm_dir))))


def processes_of_run(run_pid: int, warm_dir: Path) -> set[int]:
    """The run, its workers, and the warm servers of its private folder with their kernels."""
    servers = set(logged_server_pids(warm_dir))
    found = {run_pid} | in_session(run_pid) | descendants(run_pid) | servers
    for server in servers:
        found |= descendants(server)
    return alive(found)


def wait_until(
    condition: Callable[[], bool], seconds: float, what: str, state: Callable[[], str] = str
) -> float:
    """Poll until condition holds; the seconds it took. Fails after seconds, saying state()."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(f"waited {seconds:.0f} s for {what}: {state()}")
        time.sleep(0.1)
    return time.monotonic() - started


def python_in_session(script: str, *argv: str) -> subprocess.Popen[str]:
    """python -c script argv..., in a session of its own, its stdout read by the test."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *argv],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_all(pids: set[int]) -> None:
    """SIGKILL each process still running (a test's cleanup, even when it failed)."""
    for pid in alive(pids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


# ---- runs ------------------------------------------------------------------------------------


def course_env(**extra: str) -> dict[str, str]:
    """The environment of a `course` subprocess: the venv leads PATH (nbgrader runs alembic)."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def autograde_command(course: Course, executor: str = "local") -> list[str]:
    """`course autograde` of the tiny assignment by two worker processes of executor."""
    return [str(VENV_BIN / "course"), "--course-dir", str(course.root), "autograde"] + [
        TINY_ASSIGNMENT,
        "--workers",
        "2",
        "--executor",
        executor,
    ]


def autograde_to_end(course: Course, executor: str = "local") -> subprocess.CompletedProcess[str]:
    """`course autograde --workers 2` run to its end, undisturbed."""
    return subprocess.run(
        autograde_command(course, executor),
        env=course_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


@contextlib.contextmanager
def held_run(
    course: Course, warm_dir: Path, executor: str = "local"
) -> Iterator[subprocess.Popen[str]]:
    """`course autograde --workers 2`, in a session of its own, caught grading SLOW_STUDENT;
    whatever of it is left at the end is killed."""
    # A file, not a pipe: processes left alive would hold a pipe open.
    with tempfile.TemporaryFile("w+") as log:
        run = subprocess.Popen(
            autograde_command(course, executor),
            env=course_env(**{HOLD_VARIABLE: "300"}),
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        seen: set[int] = set()
        try:

            def grading_slow_with_workers_recorded() -> bool:
                if run.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"the run ended early: {log.read()}")
                holder = runlock.read_holder(inflight.read_text(runlock.lock_path(course.root)))
                # The other students done: a kernel running now is SLOW_STUDENT's, not one
                # about to end (under Dask, SLOW_STUDENT's job can be unfinished before its
                # kernel starts while another student's kernel still runs).
                others_done = not any(
                    inflight.is_unfinished(course, TINY_ASSIGNMENT, sid)
                    for sid in course.submitted_student_ids(TINY_ASSIGNMENT)
                    if sid != SLOW_STUDENT
                )
                return (
                    holder is not None
                    and len(holder.workers) >= 2
                    and inflight.is_unfinished(course, TINY_ASSIGNMENT, SLOW_STUDENT)
                    and others_done
                    and bool(warm_kernels(warm_dir))
                )

            wait_until(
                grading_slow_with_workers_recorded, WAIT_S, f"a kernel to run {SLOW_STUDENT}"
            )
            seen |= processes_of_run(run.pid, warm_dir)
            yield run
        finally:
            # The run alone first: what it started ends by itself (the warm server removing its
            # socket); whatever has not after GONE_WITHIN_S is killed too.
            seen |= processes_of_run(run.pid, warm_dir)
            try:
                run.kill()
                run.wait(timeout=30)
                with contextlib.suppress(pytest.fail.Exception):
                    wait_until(lambda: not alive(seen - {run.pid}), GONE_WITHIN_S, "the run's end")
            finally:
                kill_all(seen | processes_of_run(run.pid, warm_dir))


def lock_is_free(course: Course) -> bool:
    """Whether the course's autograde lock can be taken now (taken and let go at once)."""
    with open(runlock.lock_path(course.root), "rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock, fcntl.LOCK_UN)
    return True


def all_scores(course: Course) -> dict[str, tuple]:
    return {
        student_id: nbgrader_api.read_scores(course, TINY_ASSIGNMENT, student_id)
        for student_id in course.submitted_student_ids(TINY_ASSIGNMENT)
    }


@pytest.fixture
def held_cohort(released_template: Path, tmp_path: Path, light_kernel: str) -> list[Course]:
    """Two copies of the released tiny course graded by the light warm kernel, same cohort:
    three students and SLOW_STUDENT, whose answer holds a run for as long as it is told."""
    courses = []
    for name in ("killed", "undisturbed"):
        course = locate_course(shutil.copytree(released_template, tmp_path / name))
        course = with_kernel(course, light_kernel)
        write_many(course, 3)
        slow = edit_cell(reference_notebook(course), "add_answer", HOLDING_ADD)
        cohort.write_submission(course, TINY_ASSIGNMENT, SLOW_STUDENT, {TINY_NOTEBOOK: slow})
        courses.append(course)
    return courses


# ---- a killed run ----------------------------------------------------------------------------


# Each grades a held cohort twice (35 s, a LocalCluster 20 s more): the slow layer; the fast
# layer's checks of the same lifelines are the pool, fork server and refusal tests below.
@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_a_killed_run_leaves_no_process_and_the_rerun_takes_over(
    held_cohort: list[Course], warm_dir: Path, executor: str
) -> None:
    course, undisturbed = held_cohort
    with held_run(course, warm_dir, executor) as run:
        holder = runlock.read_holder(inflight.read_text(runlock.lock_path(course.root)))
        assert holder is not None and holder.pid == run.pid
        before = processes_of_run(run.pid, warm_dir)
        servers = set(logged_server_pids(warm_dir))
        kernels = warm_kernels(warm_dir)
        # What must die: the run, both workers, the warm server and the held student's kernel.
        assert set(holder.workers) <= before and servers <= before and kernels, before
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)

        def left() -> set[int]:
            return alive(before | processes_of_run(run.pid, warm_dir)) - {run.pid}

        took = wait_until(
            lambda: not left(),
            GONE_WITHIN_S,
            "every process of the killed run to end",
            lambda: "\n".join(" ".join(psutil.Process(pid).cmdline())[:200] for pid in left()),
        )
        assert lock_is_free(course), f"nothing is left, yet the lock is held ({took:.1f} s)"

    rerun = autograde_to_end(course, executor)
    reference = autograde_to_end(undisturbed)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    notices = [line for line in rerun.stderr.splitlines() if "autograde lock" in line]
    assert len(notices) == 1 and notices[0].startswith("Taking over the autograde lock"), notices
    assert f"pid {run.pid} on host" in notices[0]
    assert reference.returncode == 0, reference.stderr
    expected = all_scores(undisturbed)
    assert len(expected) == 4 and all(expected.values()), expected
    assert all_scores(course) == expected


@pytest.mark.slow  # a held run of its own: about 20 s
def test_a_run_refused_while_another_is_alive_names_its_live_processes(
    held_cohort: list[Course], warm_dir: Path
) -> None:
    course = held_cohort[0]
    with held_run(course, warm_dir) as run:
        holder = runlock.read_holder(inflight.read_text(runlock.lock_path(course.root)))
        assert holder is not None and len(holder.workers) == 2
        second = autograde_to_end(course)

    assert second.returncode == 1, second.stderr
    message = " ".join(second.stderr.split())
    assert f"pid {run.pid} on host" in message
    workers = " ".join(map(str, holder.workers))
    assert f"Its workers {', '.join(map(str, holder.workers))} run too" in message
    assert f"kill {run.pid} {workers}" in message, message


# ---- the warm fork server, a worker's lifeline and the lock's message (no grading run) -------


def test_a_kernel_dies_with_its_warm_fork_server(
    light_kernel: str, warm_dir: Path, tmp_path: Path
) -> None:
    km, kc = start_new_kernel(kernel_name=light_kernel, cwd=str(tmp_path), startup_timeout=60)
    try:
        (server,) = logged_server_pids(warm_dir)
        (kernel,) = descendants(server)
        os.kill(server, signal.SIGKILL)
        wait_until(lambda: not is_running(kernel), 10, "the kernel to end with its server")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        for stale in warm_dir.glob("*.sock"):  # a killed server cannot remove its socket
            stale.unlink()


GRADER_WITH_KERNEL = textwrap.dedent(
    """
    import sys, time
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name=sys.argv[1], cwd=sys.argv[2], startup_timeout=60)
    print(km.provisioner.pid, flush=True)
    time.sleep(600)
    """
)


def test_a_killed_grader_leaves_no_kernel_and_its_server_exits_despite_a_long_idle_time(
    kernels: None, warm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server configured to idle 10 minutes still ends within MAX_IDLE_SECONDS of its last
    grader, when that grader was killed."""
    prefix = tmp_path / "prefix"
    install_kernelspec(prefix, "python3-warm-idle", kernel_json(preload=[], idle_seconds=600))
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    grader = python_in_session(GRADER_WITH_KERNEL, "python3-warm-idle", str(tmp_path))
    started: set[int] = set()
    try:
        assert grader.stdout is not None
        kernel = int(grader.stdout.readline())
        started = {kernel, *logged_server_pids(warm_dir)}
        assert len(started) == 2 and alive(started) == started
        grader.kill()
        grader.wait(timeout=30)
        wait_until(lambda: not is_running(kernel), 5, "the kernel to end with its grader")
        took = wait_until(lambda: not alive(started), GONE_WITHIN_S, "the server to end")
        assert took <= warm_server.MAX_IDLE_SECONDS + 3, f"the server idled {took:.1f} s"
    finally:
        kill_all(started | in_session(grader.pid))
        grader.communicate(timeout=30)


POOL_PARENT = textwrap.dedent(
    """
    import multiprocessing, operator, os, sys, threading, time
    from coursekit.grading.workers import ExecutorSpec
    from coursekit.grading.workers.local import LocalExecutor
    if sys.argv[1] == "forkserver":  # another thread running: workers come from a fork server
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    with LocalExecutor(ExecutorSpec(workers=2)) as pool:
        list(pool.map_unordered(operator.call, [os.getpid, os.getpid]))
        print(*[process.pid for process in multiprocessing.active_children()], flush=True)
        list(pool.map_unordered(time.sleep, [600, 600]))
    """
)


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_pool_workers_die_with_the_process_that_started_them(start_method: str) -> None:
    """Workers, and with forkserver the fork server and resource tracker: its whole session."""
    parent = python_in_session(POOL_PARENT, start_method)
    started: set[int] = set()
    try:
        assert parent.stdout is not None
        workers = {int(pid) for pid in parent.stdout.readline().split()}
        started = in_session(parent.pid)
        assert len(workers) == 2 and workers <= alive(started), (workers, started)
        parent.kill()
        parent.wait(timeout=30)
        wait_until(
            lambda: not alive(started | in_session(parent.pid)),
            10,
            "every process the killed parent started to end",
        )
    finally:
        kill_all(started | in_session(parent.pid))
        parent.communicate(timeout=30)


HOLDER_WITH_WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from coursekit.grading import runlock
    with runlock.hold_run_lock(Path(sys.argv[1]), "course autograde ps1 --workers 1"):
        worker = os.fork()
        if worker == 0:  # a worker without a lifeline: it keeps the lock after its parent
            time.sleep(600)
            os._exit(0)
        runlock.record_processes([worker])
        print(worker, flush=True)
        time.sleep(600)
    """
)


def test_a_refusal_names_the_workers_that_outlived_their_run(tmp_path: Path) -> None:
    holder = python_in_session(HOLDER_WITH_WORKER, str(tmp_path))
    worker = 0
    try:
        assert holder.stdout is not None
        worker = int(holder.stdout.readline())
        with pytest.raises(CourseError) as both_alive, runlock.hold_run_lock(tmp_path, "x"):
            pytest.fail("two runs held the lock at once")
        holder.kill()
        holder.wait(timeout=30)
        with pytest.raises(CourseError) as worker_alive, runlock.hold_run_lock(tmp_path, "x"):
            pytest.fail("the worker's lock was taken")
    finally:
        kill_all({worker})
        holder.communicate(timeout=30)

    assert f"Its workers {worker} run too" in str(both_alive.value)
    assert f"kill {holder.pid} {worker};" in str(both_alive.value)
    assert f"Its main process is gone; its workers {worker} still hold" in str(worker_alive.value)
    assert f"kill {worker};" in str(worker_alive.value)
    with runlock.hold_run_lock(tmp_path, "again"):  # the worker was killed: the lock is free
        pass
