"""The suite's own shape: helpers live in tests/helpers/, and each test lands in its layer."""

from __future__ import annotations

import ast
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
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
