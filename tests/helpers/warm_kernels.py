"""Warm kernel servers in a test: a private server folder, a light kernelspec, stock nbgrader runs.

The fixtures reach tests through conftest.py's pytest_plugins.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from coursekit.core.course import Course, locate_course
from coursekit.isolation.warm import client
from coursekit.isolation.warm.kernelspec import install_kernelspec, kernel_json
from coursekit.nbgrader import api as nbgrader_api

LIGHT_KERNEL = "python3-warm-light"
LIGHT_IDLE_SECONDS = 1.0
SERVER_EXIT_SECONDS = 30.0  # idle time plus a loaded machine's slack


@pytest.fixture
def warm_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private server folder (short: a socket path has 107 characters at most)."""
    folder = Path(tempfile.mkdtemp(prefix="cw-"))
    monkeypatch.setenv(client.RUNTIME_DIR_VARIABLE, str(folder))
    yield folder
    client.release_leases()
    for pid in logged_server_pids(folder):
        assert wait_until_gone(pid), f"fork server {pid} still runs after its last lease"
    assert not list(folder.glob("*.sock")), "a server left its socket behind"
    shutil.rmtree(folder)


@pytest.fixture
def light_kernel(
    kernels: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warm_dir: Path
) -> str:
    """A warm kernelspec whose server preloads little (no TensorFlow): quick to start."""
    prefix = tmp_path / "prefix"
    # numpy.random and random: generators seeded at import, which every fork would copy.
    spec = kernel_json(preload=["numpy.random", "random"], idle_seconds=LIGHT_IDLE_SECONDS)
    install_kernelspec(prefix, LIGHT_KERNEL, spec)
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    return LIGHT_KERNEL


def logged_server_pids(folder: Path) -> list[int]:
    """The pids of the servers that ever started in folder, from their logs."""
    text = "".join(log.read_text() for log in folder.glob("*.log"))
    return [int(pid) for pid in re.findall(r"^fork server (\d+) on", text, re.MULTILINE)]


def wait_until_gone(pid: int, seconds: float = SERVER_EXIT_SECONDS) -> bool:
    """Whether pid has exited (or is a zombie waiting for init) within seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.1)
    return False


def is_running(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def with_config(course: Course, *lines: str) -> Course:
    """The course, re-read after lines were appended to its nbgrader_config.py."""
    config = course.root / "nbgrader_config.py"
    config.write_text("\n".join([config.read_text(), *lines, ""]))
    return locate_course(course.root)


def with_kernel(course: Course, kernel_name: str) -> Course:
    """The course, its config told to run every notebook in kernel_name."""
    return with_config(course, f"c.Execute.kernel_name = {kernel_name!r}")


def stock_autograde_scores(course: Course, assignment_id: str) -> dict[str, tuple]:
    """Run stock `nbgrader autograde`; each student's notebook scores from the gradebook."""
    subprocess.run(
        [shutil.which("nbgrader") or "nbgrader", "autograde", assignment_id],
        cwd=course.root, check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    return {
        student_id: nbgrader_api.read_scores(course, assignment_id, student_id)
        for student_id in course.submitted_student_ids(assignment_id)
    }
