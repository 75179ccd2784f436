"""Shared fixtures (a tiny pure-Python nbgrader course built in tmp_path) and the suite's layers.

A test that starts a Jupyter kernel, in its own process or in a command it runs, requests the
`kernels` fixture (directly or through another fixture): that marks it `kernel`, so
`pytest -m "not kernel and not slow"` (make check) runs only the tests that start none. A test
outside both layers that starts a kernel fails with a message that says so.
"""

from __future__ import annotations

import multiprocessing.forkserver
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import jupyter_client.manager
import psutil
import pytest
from helpers import leftovers
from helpers.course import TINY_ASSIGNMENT, write_tiny_course
from helpers.kernel_guard import sitecustomize as kernel_guard

from coursekit.core.course import Course, locate_course
from coursekit.core.environment import put_venv_first_on_path
from coursekit.isolation.warm import client as warm_client
from coursekit.nbgrader import api as nbgrader_api

# Fixtures shared by several modules.
pytest_plugins = [
    "helpers.answers_cohort",
    "helpers.graded_cohort",
    "helpers.postgres_server",
    "helpers.report_cohort",
    "helpers.warm_kernels",
]

put_venv_first_on_path()  # nbgrader runs `alembic`, kernels `python`, by name
kernel_guard.refuse_kernel_launches(jupyter_client.manager)
KERNEL_GUARD_DIR = str(Path(kernel_guard.__file__).parent)
KERNEL_LAYERS = ("kernel", "slow")
SESSION_TOKEN = leftovers.mark_session()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test whose fixtures include `kernels` is in the kernel layer."""
    for item in items:
        if "kernels" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernel)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Outside the kernel layers, no kernel starts: not in this process, not in one it runs."""
    if any(item.get_closest_marker(name) for name in KERNEL_LAYERS):
        return (yield)
    saved = {
        name: os.environ.get(name) for name in ("PYTHONPATH", kernel_guard.NO_KERNELS_VARIABLE)
    }
    os.environ[kernel_guard.NO_KERNELS_VARIABLE] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [KERNEL_GUARD_DIR, saved["PYTHONPATH"]])
    )
    try:
        return (yield)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        stop_fork_server()


def stop_fork_server() -> None:
    """Stop multiprocessing's fork server if this test started one.

    The fork server keeps the environment it started in, and every process forked from it later
    inherits that: one started under the guard's variable would make the workers of every later
    kernel test refuse their kernels ("nbgrader failed to autograde"), in whatever test happens
    to run after it. `_stop` is the method CPython's own tests use for this.
    """
    server = multiprocessing.forkserver._forkserver
    if server._forkserver_pid is not None:
        server._stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A session that leaves a process running fails, naming it (and kills it)."""
    stop_fork_server()
    # This process's own leases on warm fork servers (in-process grading) end with the session
    # (atexit would drop them only after this check): then the servers exit on their idle time.
    warm_client.release_leases()
    left = leftovers.leftovers(SESSION_TOKEN)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "processes the tests left running (killed now)", red=True)
            for line in left:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def kernels() -> Iterator[None]:
    """Says the test starts Jupyter kernels; at the end, kills the cold kernels
    (`python -m ipykernel_launcher`) still running under this session."""
    yield
    for process in psutil.Process().children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(process.cmdline()):
                process.kill()
        except psutil.Error:  # already gone
            pass


@pytest.fixture
def tiny_course_dir(tmp_path: Path) -> Path:
    """A fresh, unreleased tiny course in tmp_path."""
    return write_tiny_course(tmp_path / "course")


@pytest.fixture
def tiny_course(tiny_course_dir: Path) -> Course:
    """The tiny course, located from its directory."""
    return locate_course(tiny_course_dir)


@pytest.fixture(scope="session")
def released_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One released tiny course, made once: creating a gradebook costs seconds."""
    root = write_tiny_course(tmp_path_factory.mktemp("template") / "course")
    nbgrader_api.generate_assignment(locate_course(root), TINY_ASSIGNMENT)
    return root


@pytest.fixture
def released_tiny_course(released_template: Path, tmp_path: Path) -> Course:
    """A private copy of the released tiny course (its config finds its own root and gradebook)."""
    return locate_course(shutil.copytree(released_template, tmp_path / "course"))
