"""The grading page's servers for tests: `course answers` and Jupyter Server with the extension.

Both run as real processes on 127.0.0.1 and are stopped (their process group) when the test
ends, also when it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.core.course import Course
from helpers.course import REPO_ROOT
from helpers.grader_identity import HEADER
from helpers.processes import stop_process_group

START_SECONDS = 90  # a loaded 2-core machine; the wait ends as soon as the server answers
REQUEST_SECONDS = 60
URL_LINE_PREFIX = "  http://"


@dataclass(frozen=True)
class PageClient:
    """Requests to one assignment's grading page, with the headers that say who asks."""

    base: str  # http://127.0.0.1:PORT/<base_url>answers/<assignment>/
    headers: dict[str, str] = field(default_factory=dict)

    def request(self, path: str, body: Any = None, method: str | None = None) -> tuple[int, Any]:
        """(status, JSON or text) of a GET (body None) or a POST (or method) of body as JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method or ("GET" if body is None else "POST"),
            headers={"Content-Type": "application/json", **self.headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as reply:
                status, text = reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            return status, json.loads(text)
        except json.JSONDecodeError:
            return status, text

    def ok(self, path: str, body: Any = None, method: str | None = None) -> Any:
        """The JSON of a request that must succeed."""
        status, value = self.request(path, body, method)
        if status != 200:
            raise AssertionError(f"{path}: {status} {value}")
        return value

    def view(self, key: str) -> dict[str, Any]:
        """The page's data of one question."""
        return self.ok(f"api/question?key={urllib.parse.quote(key)}")


def read_url(process: subprocess.Popen) -> str:
    """The page's URL, from the lines `course answers` prints when it listens."""
    deadline = time.monotonic() + START_SECONDS
    fd = process.stdout.fileno()
    printed = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        chunk = os.read(fd, 4096).decode() if ready else ""
        if ready and not chunk:
            break  # the process closed its stdout: it ended
        printed += chunk
        for line in printed.splitlines(keepends=True):
            if line.startswith(URL_LINE_PREFIX) and line.endswith("\n"):
                return line.strip()
    raise AssertionError(f"course answers printed no URL in {START_SECONDS} s: {printed!r}")


@contextlib.contextmanager
def course_answers(course: Course, assignment_id: str) -> Iterator[tuple[str, str]]:
    """`course answers ASSIGNMENT --port 0` running: (the printed URL, its token)."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "course"), "answers", assignment_id, "--port", "0"],
        cwd=course.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    try:
        url = read_url(process)
        yield url, urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]
    finally:
        stop_process_group(process, signal.SIGINT)
        process.stdout.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ANSWERS_EXTENSION = "coursekit.answers.extension"
FORMGRADER_EXTENSION = "nbgrader.server_extensions.formgrader"
# The venv enables these too (jupyter server extension list); the page needs none of them.
OTHER_EXTENSIONS = (
    "jupyter_lsp",
    "jupyter_server_terminals",
    "jupyterlab",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.validate_assignment",
    "notebook",
    "notebook_shim",
)


@contextlib.contextmanager
def jupyter_with_answers(
    course: Course, where: Path, enabled: tuple[str, ...] = (ANSWERS_EXTENSION,)
) -> Iterator[str]:
    """Jupyter Server in the course root with only these extensions on: its base URL.

    Users are named by the X-Test-User header (helpers.grader_identity), as a hub names them.
    """
    port = free_port()
    config_dir = where / "jupyter_config"
    config_dir.mkdir(parents=True)
    extensions = {**dict.fromkeys(OTHER_EXTENSIONS, False), **dict.fromkeys(enabled, True)}
    config = {"ServerApp": {"jpserver_extensions": extensions}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(where / "jupyter_runtime"),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    log = (where / "jupyter_server.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-server"),
            f"--ServerApp.port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={course.root}",
            "--ServerApp.identity_provider_class=helpers.grader_identity.HeaderIdentityProvider",
            "--allow-root",
        ],
        cwd=course.root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(base, process, where / "jupyter_server.log")
        yield base
    finally:
        stop_process_group(process, signal.SIGINT)
        log.close()


def wait_until_serving(base: str, process: subprocess.Popen, log: Path) -> None:
    """Return once the server answers /api/status; fail with its log if it never does."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"jupyter server exited:\n{log.read_text()}")
        request = urllib.request.Request(base + "api/status", headers={HEADER: "probe"})
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.25)
    raise AssertionError(f"jupyter server did not answer in {START_SECONDS} s:\n{log.read_text()}")
