"""Sandboxed grading kernels, seen from inside: a student's code cannot read the course's
secrets, reach the network, write outside its folder, outlive its notebook or kill the fork
server, and correct work gets the grades it got before.

Every test runs real kernels from the light warm kernelspec of test_warm_kernels (NumPy
preloaded, no TensorFlow) under the course's own nbgrader_config.py and its default policy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, tiny_source_notebook
from helpers.warm_kernels import (
    LIGHT_IDLE_SECONDS,
    is_running,
    logged_server_pids,
    stock_autograde_scores,
    wait_until_gone,
    with_config,
    with_kernel,
)
from jupyter_client.manager import KernelManager
from nbformat.v4 import new_code_cell, new_notebook

from coursekit.authoring.cohort import fill_release, solution_answers, write_submission
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.isolation import canary
from coursekit.isolation.warm.kernel_dir import CONNECTION_FILE, kernel_dir_base
from coursekit.isolation.warm.kernelspec import install_kernelspec, kernel_json
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.execution import execute_as_autograde

pytestmark = pytest.mark.slow

STUDENTS = ("alice", "bob")


def submit(course: Course, student_id: str, answers: dict[str, str]) -> None:
    """A submission of the tiny notebook with these answers."""
    release = nbformat.read(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb", 4)
    write_submission(
        course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: fill_release(release, answers)}
    )


@pytest.fixture
def course(released_tiny_course: Course, light_kernel: str) -> Course:
    """The released tiny course graded in the light warm kernel; alice and bob submitted."""
    graded = with_kernel(released_tiny_course, light_kernel)
    for student_id in STUDENTS:
        submit(graded, student_id, solution_answers(tiny_source_notebook()))
    nbgrader_api.prepare_gradebook(graded)
    return graded


def run_as_student(course: Course, student_id: str, sources: Sequence[str]) -> list[str]:
    """Run cells as autograde runs a student's notebook (its folder, the course config)."""
    folder = course.autograded_dir(TINY_ASSIGNMENT, student_id)
    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=[new_code_cell(source) for source in sources])
    executed = execute_as_autograde(course, nb, folder)
    return ["".join(output_text(out) for out in cell.outputs) for cell in executed.cells]


def output_text(output: nbformat.NotebookNode) -> str:
    """What an output printed, or the error it raised."""
    return output.get("text", "") or f"{output.get('ename')}: {output.get('evalue')}"


def start_kernel(course: Course, kernel_name: str, student_id: str) -> KernelManager:
    """A kernel of the course's configuration started in the student's autograded folder."""
    folder = course.autograded_dir(TINY_ASSIGNMENT, student_id)
    folder.mkdir(parents=True, exist_ok=True)
    manager = KernelManager(kernel_name=kernel_name, config=course.config)
    manager.start_kernel(cwd=str(folder))
    return manager


ATTEMPT_READ = """\
import json, os
def attempt_read(path):
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, 'rb') as handle:
            return handle.read()[:100].decode('latin-1')
    except OSError as error:
        return type(error).__name__
"""


def test_the_course_secrets_are_unreadable_from_a_kernel(course: Course) -> None:
    secrets = {
        "gradebook": canary.gradebook_file(course.db_url),
        "source": course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb",
        "config": course.config_file,
        "other student": course.submitted_dir(TINY_ASSIGNMENT, "bob"),
        "other student's notebook": course.submitted_dir(TINY_ASSIGNMENT, "bob")
        / f"{TINY_NOTEBOOK}.ipynb",
    }
    assert all(path.exists() for path in secrets.values())
    paths = json.dumps({name: str(path) for name, path in secrets.items()})
    cell = f"print(json.dumps({{n: attempt_read(p) for n, p in {paths}.items()}}))"
    (printed,) = run_as_student(course, "alice", [ATTEMPT_READ + cell])
    seen = json.loads(printed)
    assert set(seen) == set(secrets)
    for name, result in seen.items():
        assert result in ([], "", "FileNotFoundError", "PermissionError"), f"{name}: {result!r}"


def test_the_network_is_refused_from_a_kernel(course: Course) -> None:
    hosts = ["127.0.0.1", *canary.outward_addresses()]
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))  # noqa: S104 (the kernel must not reach it on any address)
        listener.listen(4)
        port = listener.getsockname()[1]
        (printed,) = run_as_student(
            course,
            "alice",
            [
                "import socket\n"
                f"for host in {hosts!r}:\n"
                "    try:\n"
                f"        socket.create_connection((host, {port}), timeout=3).close()\n"
                "        print(host, 'connected')\n"
                "    except OSError as error:\n"
                "        print(host, type(error).__name__)"
            ],
        )
    assert "connected" not in printed and printed.count("\n") == len(hosts), printed


def test_writes_outside_its_folder_are_denied_and_its_own_folder_is_writable(
    course: Course,
) -> None:
    outside = {
        "course root": course.root / "planted.txt",
        "autograded": course.root / "autograded" / "planted.txt",
        "other student": course.submitted_dir(TINY_ASSIGNMENT, "bob") / "planted.txt",
        "config": course.config_file,
        "tmp": Path("/tmp/coursekit-planted.txt"),  # noqa: S108 (the real /tmp must stay clean)
    }
    config_before = course.config_file.read_bytes()
    printed = run_as_student(
        course,
        "alice",
        [
            "import json\nresults = {}\n"
            f"for name, path in {json.dumps({n: str(p) for n, p in outside.items()})}.items():\n"
            "    try:\n"
            "        with open(path, 'a') as handle:\n"
            "            handle.write('\\nprint(\"planted\")')\n"
            "        results[name] = 'written'\n"
            "    except OSError as error:\n"
            "        results[name] = type(error).__name__\n"
            "print(json.dumps(results))",
            "open('mine.txt', 'w').write('mine')\nprint(open('mine.txt').read())",
        ],
    )
    assert printed[1] == "mine\n", "its own folder is writable"
    assert course.config_file.read_bytes() == config_before
    reached = [name for name, path in outside.items() if name != "config" and path.exists()]
    assert not reached, f"writes reached the real {reached}: the kernel saw {printed[0]}"


def test_every_process_a_notebook_started_is_gone_after_it(course: Course) -> None:
    (printed,) = run_as_student(
        course,
        "alice",
        [
            "import os, subprocess, sys\n"
            "sleep = [sys.executable, '-c', 'import time; time.sleep(600)']\n"
            "own_session = subprocess.Popen(sleep, start_new_session=True)\n"
            "# a daemon: double fork, its parent gone at once\n"
            "daemon = subprocess.run(\n"
            "    [sys.executable, '-c', 'import subprocess, sys; print(subprocess.Popen('\n"
            "     f'{sleep!r}, start_new_session=True, stdout=subprocess.DEVNULL, '\n"
            "     f'stderr=subprocess.DEVNULL).pid)'],\n"
            "    capture_output=True, text=True, check=True).stdout.strip()\n"
            "print(own_session.pid, daemon)"
        ],
    )
    pids = [int(pid) for pid in printed.split()]
    assert len(pids) == 2
    try:
        assert all(wait_until_gone(pid, 15) for pid in pids), "a process outlived its notebook"
    finally:
        for pid in pids:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_kernel_cannot_kill_the_fork_server(course: Course) -> None:
    (printed,) = run_as_student(
        course,
        "alice",
        [
            "import os, signal\nserver = os.getppid()\n"
            "for kill in (lambda: os.kill(server, signal.SIGKILL),\n"
            "             lambda: os.killpg(os.getpgid(server), signal.SIGKILL)):\n"
            "    try:\n"
            "        kill()\n"
            "        print('killed')\n"
            "    except OSError as error:\n"
            "        print(type(error).__name__)\n"
            "print(server)"
        ],
    )
    *attempts, server = printed.split()
    assert attempts == ["PermissionError", "PermissionError"]
    assert is_running(int(server)), "the fork server survived"
    (again,) = run_as_student(course, "bob", ["import os; print(os.getppid())"])
    assert int(again) == int(server), "the next kernel came from the same server"


def test_sandboxed_kernels_grade_the_tiny_course_as_unconfined_stock_nbgrader(
    released_template: Path,
    tmp_path: Path,
    light_kernel: str,
    warm_dir: Path,
) -> None:
    answers = {
        "reference": solution_answers(tiny_source_notebook()),
        "wrong": solution_answers(tiny_source_notebook())
        | {"add_answer": "def add(a, b):\n    return a - b"},
    }
    scores = {}
    for run, kernel_name in (("unconfined", "python3"), ("sandboxed", light_kernel)):
        root = shutil.copytree(released_template, tmp_path / run)
        graded = with_kernel(locate_course(root), kernel_name)
        for student_id, student_answers in answers.items():
            submit(graded, student_id, student_answers)
        if run == "unconfined":  # stock nbgrader, cold kernels with the grader's permissions
            scores[run] = stock_autograde_scores(graded, TINY_ASSIGNMENT)
        else:  # course autograde: the canary first, then every student, confined
            report = autograde_assignment(graded, TINY_ASSIGNMENT)
            scores[run] = {outcome.student_id: outcome.scores for outcome in report.outcomes}
    assert scores["sandboxed"] == scores["unconfined"]
    (reference,), (wrong,) = scores["unconfined"]["reference"], scores["unconfined"]["wrong"]
    assert reference.auto_score == reference.max_auto_score > wrong.auto_score
    logs = "".join(log.read_text() for log in warm_dir.glob("*.log"))
    assert logs.count(", confined") >= 3, f"the canary and both students ran confined: {logs}"
    assert "unconfined" not in logs


READ_OWN_NOTEBOOK = """\
def add(a, b):
    return a + b
try:
    with open('arith.ipynb') as handle:
        print('hidden tests seen:', 'hidden add check' in handle.read())
except OSError as error:
    print('notebook:', type(error).__name__)
"""


def test_the_graded_notebook_with_its_hidden_tests_is_not_in_the_kernels_folder(
    course: Course,
) -> None:
    """nbgrader writes the notebook with its hidden tests restored into the folder it runs it
    in: the kernel's private copy of that folder leaves notebooks out."""
    submit(
        course,
        "alice",
        solution_answers(tiny_source_notebook()) | {"add_answer": READ_OWN_NOTEBOOK},
    )
    report = autograde_assignment(course, TINY_ASSIGNMENT, ["alice"])
    assert [outcome.status.value for outcome in report.outcomes] == ["graded"]
    graded = nbformat.read(
        course.autograded_dir(TINY_ASSIGNMENT, "alice") / f"{TINY_NOTEBOOK}.ipynb", 4
    )
    assert "hidden add check" in "".join(cell.source for cell in graded.cells)  # it was there
    printed = "".join(
        output_text(output)
        for cell in graded.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "add_answer"
        for output in cell.outputs
    )
    assert printed.strip() == "notebook: FileNotFoundError"


# How the channels and the confinement are plumbed.


def test_the_channels_are_unix_sockets_in_a_folder_of_the_kernel_removed_after(
    course: Course,
    light_kernel: str,
) -> None:
    manager = start_kernel(course, light_kernel, "alice")
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        connection_file = Path(manager.connection_file)
        info = json.loads(connection_file.read_text())
        sockets = [path for path in connection_file.parent.iterdir() if path.is_socket()]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert connection_file.name == CONNECTION_FILE
    assert connection_file.parent.parent == kernel_dir_base()
    assert info["transport"] == "ipc" and Path(info["ip"]).parent == connection_file.parent
    assert len(sockets) == 5, sockets
    assert not connection_file.parent.exists(), "the kernel's folder was left behind"


def test_running_out_of_memory_is_the_kernels_exit_reason(
    course: Course,
    light_kernel: str,
    warm_dir: Path,
) -> None:
    small = with_config(course, "c.CourseKit.sandbox_memory_mb = 300")
    manager = start_kernel(small, light_kernel, "alice")
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        client.execute("hog = b'x' * (2 << 30)")
        deadline = time.monotonic() + 60
        while manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not manager.is_alive(), "the kernel outgrew its memory limit and lived on"
        assert manager.provisioner.exit_reason == "out of memory"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    logs = "".join(log.read_text() for log in warm_dir.glob("*.log"))
    assert "memory limit hit" in logs


def test_a_cold_kernel_is_confined_by_the_launcher(
    course: Course,
    tmp_path: Path,
    warm_dir: Path,
) -> None:
    # Into the light kernel's prefix, which JUPYTER_PATH names.
    spec = kernel_json(preload=[], idle_seconds=LIGHT_IDLE_SECONDS, fork=False)
    install_kernelspec(tmp_path / "prefix", "python3-cold-light", spec)
    cold = with_kernel(course, "python3-cold-light")
    (printed,) = run_as_student(
        cold,
        "alice",
        [ATTEMPT_READ + f"print(attempt_read({str(cold.config_file)!r}), os.getuid() != 0)"],
    )
    assert printed.split() in (["FileNotFoundError", "True"], ["PermissionError", "True"]), printed
    assert not logged_server_pids(warm_dir), "no fork server was involved"
