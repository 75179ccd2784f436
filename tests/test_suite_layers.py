"""The suite's own shape: helpers live in tests/helpers/, and each test lands in its layer."""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import psutil
import pytest
from helpers import leftovers
from helpers.course import REPO_ROOT
from helpers.kernel_guard.sitecustomize import MESSAGE, NO_KERNELS_VARIABLE, KernelLaunchRefused
from jupyter_client.manager import KernelManager

TESTS = REPO_ROOT / "tests"
START_A_KERNEL = "from jupyter_client.manager import KernelManager; KernelManager().start_kernel()"


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module path imports (relative imports excluded)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", ["tests", "benchmarks"])
def test_no_module_imports_a_test_module_or_conftest(folder: str) -> None:
    modules = sorted((REPO_ROOT / folder).rglob("*.py"))
    assert modules, f"no Python files in {folder}/"
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(
            name
            for name in imported_modules(path)
            if name.startswith("test_") or name == "conftest"
        )
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}, (
        "shared helpers belong in tests/helpers/"
    )


def test_tests_folder_holds_only_test_modules_and_conftest() -> None:
    flat = sorted(
        path.name
        for path in TESTS.glob("*.py")
        if not path.name.startswith("test_") and path.name != "conftest.py"
    )
    assert flat == [], "a helper module goes into tests/helpers/"


def test_a_test_without_the_kernels_fixture_is_in_the_no_kernel_layer(
    request: pytest.FixtureRequest,
) -> None:
    assert request.node.get_closest_marker("kernel") is None


def test_a_test_with_the_kernels_fixture_is_in_the_kernel_layer(
    kernels: None, request: pytest.FixtureRequest
) -> None:
    assert request.node.get_closest_marker("kernel") is not None


def test_a_kernel_started_by_a_no_kernel_test_is_refused_naming_the_fixture() -> None:
    manager = KernelManager(kernel_name="python3")
    with pytest.raises(KernelLaunchRefused, match="request the `kernels` fixture"):
        manager.start_kernel()
    assert not manager.has_kernel


def test_a_kernel_started_by_a_command_of_a_no_kernel_test_is_refused() -> None:
    run = subprocess.run(
        [sys.executable, "-c", START_A_KERNEL],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert MESSAGE in run.stderr


def exit_guarded() -> None:
    """A process's end: exit status 3 if the kernel guard's variable reached it."""
    sys.exit(3 if os.environ.get(NO_KERNELS_VARIABLE) else 0)


def forkserver_child_exit_code() -> int | None:
    """The exit status of exit_guarded run in a process forked by multiprocessing's fork server."""
    child = multiprocessing.get_context("forkserver").Process(target=exit_guarded)
    child.start()
    child.join(60)
    return child.exitcode


def test_a_fork_server_started_by_a_no_kernel_test_carries_the_guard() -> None:
    assert forkserver_child_exit_code() == 3


def test_the_next_kernel_test_gets_a_fork_server_without_the_guard(kernels: None) -> None:
    # The fork server of the test above kept that test's environment; conftest stops it after
    # the test, so this one (like an in-process `course autograde --workers 2`) may start kernels.
    assert forkserver_child_exit_code() == 0


# ---- no wait without a bound -----------------------------------------------------------------

SUBPROCESS_RUNS = {"run", "check_output", "check_call", "call"}
# Methods that block until something happens unless given a timeout (Popen, Thread, Event,
# Queue, Future, Lock, Connection): called with no argument at all, they may wait forever.
BLOCKING_METHODS = {"wait", "join", "get", "result", "acquire", "communicate"}
# A socket's or a pipe's recv takes no timeout: only the socket's own (or a poll) bounds it.
RECEIVES = {"recv", "recv_bytes"}
BOUNDED_MARK = "# bounded:"  # a line that says why its call cannot wait forever


def configured_test_timeout() -> float:
    """The bound pytest-timeout puts on every test (pyproject.toml)."""
    options = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    return float(options["ini_options"]["timeout"])


def unbounded_waits(source: str) -> list[str]:
    """The calls in source that may wait forever, or longer than a test may last."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if BOUNDED_MARK in lines[node.lineno - 1]:
            continue
        name, owner = node.func.attr, node.func.value
        timeout = next((k.value for k in node.keywords if k.arg == "timeout"), None)
        if isinstance(owner, ast.Name) and owner.id == "subprocess" and name in SUBPROCESS_RUNS:
            unbounded = timeout is None
        elif name in RECEIVES:
            unbounded = True
        elif name == "communicate":
            unbounded = timeout is None and len(node.args) < 2
        elif name in BLOCKING_METHODS:
            unbounded = not node.args and not node.keywords
            timeout = timeout or (node.args[0] if node.args else None)
        else:
            continue
        too_long = isinstance(timeout, ast.Constant) and isinstance(timeout.value, int | float)
        if unbounded or (too_long and timeout.value >= configured_test_timeout()):  # type: ignore[union-attr]
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_test_waits_without_a_bound_shorter_than_its_own() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): waits
        for path in sorted(TESTS.rglob("*.py"))
        if (waits := unbounded_waits(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, (
        f"give each wait a timeout below the test's own ({configured_test_timeout():g} s), "
        f"or say why it is bounded with '{BOUNDED_MARK} ...' on its line"
    )


@pytest.mark.parametrize(
    "call",
    [
        "subprocess.run(['true'])",
        "process.wait()",
        "thread.join()",
        "queue.get()",
        "future.result()",
        "connection.recv(4096)",
        "process.communicate('input')",
        "subprocess.run(['sleep', '1'], timeout=99999)",
        "event.wait(99999)",
    ],
)
def test_the_bound_check_catches_each_kind_of_unbounded_wait(call: str) -> None:
    assert unbounded_waits(call) == [f"line 1: {call}"]


@pytest.mark.parametrize(
    "call",
    [
        "subprocess.run(['true'], timeout=60)",
        "process.wait(timeout=5)",
        "thread.join(5)",
        "settings.get('key')",
        "process.communicate('input', timeout=5)",
        "socket.recv()  # bounded: the socket's own timeout",
    ],
)
def test_the_bound_check_accepts_bounded_waits(call: str) -> None:
    assert unbounded_waits(call) == []


# ---- no process outlives the session ---------------------------------------------------------


def test_a_process_a_test_leaves_behind_is_found_even_once_orphaned() -> None:
    # A token of this test's own: the session's may be carried by processes other tests still
    # use (a warm fork server), which the check must not kill.
    token = uuid.uuid4().hex
    # A grandchild whose parent exits at once: re-parented to init, as a leaked worker would be.
    # Its output goes nowhere: a pipe it kept open would make run() wait for it.
    spawn = (
        "from subprocess import DEVNULL, Popen; "
        "print(Popen(['sleep', '300'], stdout=DEVNULL, stderr=DEVNULL).pid)"
    )
    started = subprocess.run(
        [sys.executable, "-c", spawn],
        env=os.environ | {leftovers.SESSION_VARIABLE: token},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    orphan = int(started.stdout)
    try:
        assert [process.pid for process in leftovers.session_processes(token)] == [orphan]
        assert leftovers.leftovers(token, grace=0.0) == [f"pid {orphan}: sleep 300"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(orphan, signal.SIGKILL)
    with contextlib.suppress(psutil.Error):  # init reaps it a moment after the kill
        psutil.Process(orphan).wait(timeout=30)
    assert leftovers.session_processes(token) == []
