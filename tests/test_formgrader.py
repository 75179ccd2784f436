"""TAs grade written answers in nbgrader's formgrader, served by a real Jupyter server."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers.answers_server import FORMGRADER_EXTENSION as FORMGRADER
from helpers.answers_server import OTHER_EXTENSIONS
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.processes import stop_process_group

from coursekit.authoring import cohort
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.nbgrader import api as nbgrader_api

pytestmark = pytest.mark.slow  # a server start and two autogrades: about 20 s on 2 cores

SERVER_START_SECONDS = 90  # generous: the machine is shared; the wait ends as soon as it answers


@dataclass(frozen=True)
class Server:
    """A running Jupyter server: where it listens and its token."""

    url: str
    token: str

    def request(self, path: str, method: str = "GET", body: Any = None) -> Any:
        """The JSON answer of one authenticated request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(server: Server, process: subprocess.Popen, log: Path) -> None:
    """Return once the server answers; fail with its log if it exits or never does."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter server exited with {process.returncode}:\n{log.read_text()}")
        try:
            server.request("/api/status")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.25)
    pytest.fail(f"jupyter server did not answer in {SERVER_START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def graded_course(released_tiny_course: Course) -> Course:
    """The tiny course with two autograded students; only 'writer' answered the written part."""
    course = released_tiny_course
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    code = cohort.solution_answers(source)
    students = {
        "coder": cohort.fill_release(release, code),
        "writer": cohort.fill_release(release, {**code, **cohort.written_answers(source)}),
    }
    for student_id, nb in students.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb})
        nbgrader_api.autograde_student(course, TINY_ASSIGNMENT, student_id)
    return course


@pytest.fixture
def formgrader(graded_course: Course, tmp_path: Path) -> Iterator[Server]:
    """`jupyter server` on 127.0.0.1 in the course root with the formgrader extension on."""
    server = Server(f"http://127.0.0.1:{free_port()}", secrets.token_hex(16))
    log = tmp_path / "jupyter_server.log"
    # Exactly the formgrader, whatever the venv's config enables: the user config dir
    # (JUPYTER_CONFIG_DIR) is read last and wins.
    config_dir = tmp_path / "jupyter_config"
    config_dir.mkdir()
    extensions = {FORMGRADER: True, **dict.fromkeys(OTHER_EXTENSIONS, False)}
    config = {"ServerApp": {"jpserver_extensions": extensions}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        # Nothing else from this machine's ~/.jupyter; runtime files stay in tmp_path.
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter_runtime"),
    }
    argv = [
        str(Path(sys.executable).parent / "jupyter-server"),
        f"--ServerApp.port={server.url.rsplit(':', 1)[1]}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={graded_course.root}",
        f"--IdentityProvider.token={server.token}",
        "--allow-root",  # CI containers run as root; the server refuses otherwise
    ]
    with log.open("w") as output:
        process = subprocess.Popen(
            argv,
            cwd=graded_course.root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    try:
        wait_until_serving(server, process, log)
        yield server
    finally:
        stop_process_group(process)


def written_answer_points(course: Course) -> dict[str, float]:
    """grade_id -> points of each written answer of the tiny notebook's source."""
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    return {
        cells.grade_id(cell): float(cells.nbgrader_meta(cell)["points"])
        for cell in source.cells
        if cells.is_written_answer(cell)
    }


def test_formgrader_lists_assignment_submissions_and_cells_to_grade(
    graded_course: Course, formgrader: Server
) -> None:
    assignments = formgrader.request("/formgrader/api/assignments")
    (assignment,) = [a for a in assignments if a["name"] == TINY_ASSIGNMENT]
    assert assignment["num_submissions"] == 2

    submissions = formgrader.request(f"/formgrader/api/submissions/{TINY_ASSIGNMENT}")
    by_student = {s["student"]: s for s in submissions}
    assert set(by_student) == {"coder", "writer"}
    assert by_student["writer"]["needs_manual_grade"]
    assert not by_student["coder"]["needs_manual_grade"], "an untouched answer scores 0 itself"

    notebooks = formgrader.request(
        f"/formgrader/api/submitted_notebooks/{TINY_ASSIGNMENT}/{TINY_NOTEBOOK}"
    )
    writer = next(nb for nb in notebooks if nb["student"] == "writer")
    grades = formgrader.request(f"/formgrader/api/grades?submission_id={writer['id']}")
    to_grade = {g["name"]: g for g in grades if g["needs_manual_grade"]}
    assert set(to_grade) == set(written_answer_points(graded_course))
    for name, points in written_answer_points(graded_course).items():
        assert to_grade[name]["max_score"] == points


def test_manual_grade_set_through_formgrader_reaches_the_gradebook(
    graded_course: Course, formgrader: Server
) -> None:
    points = written_answer_points(graded_course)
    notebooks = formgrader.request(
        f"/formgrader/api/submitted_notebooks/{TINY_ASSIGNMENT}/{TINY_NOTEBOOK}"
    )
    writer = next(nb for nb in notebooks if nb["student"] == "writer")
    grades = formgrader.request(f"/formgrader/api/grades?submission_id={writer['id']}")

    for grade in grades:
        if grade["name"] in points:  # as a TA gives full marks in the formgrader
            answer = formgrader.request(
                f"/formgrader/api/grade/{grade['id']}",
                "PUT",
                {"manual_score": points[grade["name"]]},
            )
            assert answer["manual_score"] == points[grade["name"]]
            assert not answer["needs_manual_grade"]

    (score,) = nbgrader_api.read_scores(graded_course, TINY_ASSIGNMENT, "writer")
    manual = {cell.grade_id: cell.manual_score for cell in score.cells if cell.grade_id in points}
    assert manual == points
    assert not score.needs_manual_grade
    assert score.manual_score == sum(points.values())
