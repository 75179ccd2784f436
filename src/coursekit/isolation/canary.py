"""The canary: a known-good notebook graded through the course's own kernel path before any
student's, proving that the kernel starts, grades, and is confined as the configuration says.

A kernel that cannot start gives every student of a batch zero; a kernel that is not confined
lets student code read the hidden tests and write the gradebook. The canary notebook, built
here, answers one question correctly and then tries what a cheating student would: read the
gradebook, the source notebooks, the config and another student's files, open a network
connection, write outside its folder, leave a process running. It prints what it saw as one
line; the grader checks the real file system and process table itself, and judges.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook
from sqlalchemy.engine import make_url

from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.isolation.warm import COLD_KERNEL_NAME, KERNEL_NAME, PROVISIONER_NAME
from coursekit.isolation.warm.confinement import OPT_OUT, policy_of, warn_if_disabled
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.execution import execute_as_autograde

CANARY_STUDENT = ".coursekit-canary"  # its folder: autograded/<this>/<assignment>, removed after
MARKER = "COURSEKIT-CANARY "
CONNECT_TIMEOUT_S = 3.0
PROCESS_GONE_S = 10.0  # the server kills the kernel's cgroup as the kernel exits; allow slack
READ_BYTES = 4096

# The canary's own code: runs in the kernel, reports plain data, judges nothing.
PROBE = r"""
import hashlib, json, os, socket, subprocess, sys
targets = json.loads(TARGETS)
seen = {"read": {}, "write": {}, "connect": {}}
for name, path in targets["read"].items():
    try:
        if os.path.isdir(path):
            seen["read"][name] = {"names": sorted(os.listdir(path))}
        else:
            with open(path, "rb") as handle:
                data = handle.read(targets["read_bytes"])
            seen["read"][name] = {"sha256": hashlib.sha256(data).hexdigest()}
    except OSError as error:
        seen["read"][name] = {"error": f"{type(error).__name__}: {error.strerror}"}
for name, path in targets["write"].items():
    try:
        with open(path, "w") as handle:
            handle.write("canary")
        seen["write"][name] = "written"
    except OSError as error:
        seen["write"][name] = f"{type(error).__name__}: {error.strerror}"
for host, port in targets["connect"]:
    try:
        socket.create_connection((host, port), timeout=targets["timeout"]).close()
        seen["connect"][f"{host}:{port}"] = "connected"
    except OSError as error:
        seen["connect"][f"{host}:{port}"] = f"{type(error).__name__}: {error}"
try:
    with open("canary_own_file.txt", "w") as handle:
        handle.write("mine")
    with open("canary_own_file.txt") as handle:
        seen["own_folder"] = handle.read() == "mine"
except OSError as error:
    seen["own_folder"] = f"{type(error).__name__}: {error.strerror}"
sleeper = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
)
seen["left_running"] = sleeper.pid
print(MARKER + json.dumps(seen), flush=True)
"""


@dataclass(frozen=True)
class CanaryCheck:
    """One thing the canary proved or disproved, and what to do if it failed."""

    name: str
    passed: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class CanaryResult:
    """The canary's checks for one course and assignment."""

    assignment_id: str
    kernel_name: str
    sandbox_enabled: bool
    checks: tuple[CanaryCheck, ...]
    kernel_sandboxed: bool = True  # its kernelspec launches through coursekit's provisioner

    @property
    def failed(self) -> tuple[CanaryCheck, ...]:
        """The checks that failed."""
        return tuple(check for check in self.checks if not check.passed)


@dataclass(frozen=True)
class Targets:
    """What the canary tries, as the grader sees it: paths, ports, the canary's own folder."""

    read: Mapping[str, Path]
    write: Mapping[str, Path]
    connect: tuple[tuple[str, int], ...]
    workdir: Path

    def as_json(self) -> str:
        """The targets as the probe in the kernel reads them."""
        return json.dumps(
            {
                "read": {name: str(path) for name, path in self.read.items()},
                "write": {name: str(path) for name, path in self.write.items()},
                "connect": [list(address) for address in self.connect],
                "timeout": CONNECT_TIMEOUT_S,
                "read_bytes": READ_BYTES,
            }
        )


def require_canary(course: Course, assignment_id: str) -> CanaryResult:
    """Run the canary; raise CourseError naming each failed check and its fix."""
    result = run_canary(course, assignment_id)
    if result.failed:
        raise CourseError(failure_message(course, result))
    return result


def failure_message(course: Course, result: CanaryResult) -> str:
    """Why grading stops: each failed check and what to do about it."""
    lines = [
        f"Autograde of {result.assignment_id!r} stopped before any student was graded: the "
        f"canary notebook, run in kernel {result.kernel_name!r} as a student's would be, "
        "failed these checks:"
    ]
    if not result.kernel_sandboxed:
        lines.append(
            f"Kernel {result.kernel_name!r} starts without the sandbox (its kernelspec does not "
            f"use the {PROVISIONER_NAME} provisioner): set c.Execute.kernel_name = "
            f"{KERNEL_NAME!r} (or {COLD_KERNEL_NAME!r}) in {course.config_file}."
        )
    for check in result.failed:
        lines.append(f"- {check.name}: {check.detail}")
        if check.fix and result.kernel_sandboxed:
            lines.append(f"  fix: {check.fix}")
    if result.sandbox_enabled:
        lines.append(
            f"To grade without the sandbox anyway (student code then runs with your "
            f"permissions), set {OPT_OUT} in {course.config_file}."
        )
    return "\n".join(lines)


def run_canary(course: Course, assignment_id: str) -> CanaryResult:
    """Grade the canary notebook in a pseudo-student folder of the course; judge what it saw."""
    policy = policy_of(course.config)
    warn_if_disabled(policy)
    kernel_name = str(course.config.get("Execute", {}).get("kernel_name", "python3"))
    sandboxed = uses_coursekit_provisioner(kernel_name)
    workdir = course.autograded_dir(assignment_id, CANARY_STUDENT)
    with pseudo_student_folder(workdir), listening_socket() as port:
        targets = canary_targets(course, assignment_id, workdir, port)
        try:
            executed = execute_as_autograde(course, canary_notebook(targets), workdir)
        except Exception as error:  # a kernel that does not start is the first finding
            started = CanaryCheck(
                "kernel starts",
                False,
                f"{type(error).__name__}: {first_line(error)}",
                fix="run `course autograde` again with --workers 1 and read the kernel's "
                "error above; `.venv/bin/python -m coursekit.isolation.warm install` reinstalls "
                "the kernelspec",
            )
            return CanaryResult(assignment_id, kernel_name, policy.enabled, (started,), sandboxed)
        checks = [CanaryCheck("kernel starts", True, "started and ran every cell")]
        checks.append(grading_check(executed))
        seen = probe_report(executed)
        if seen is None:
            checks.append(CanaryCheck("canary reports", False, "the probe cell printed no report"))
        else:
            checks.extend(isolation_checks(targets, seen, enforce=policy.enabled, policy=policy))
    return CanaryResult(assignment_id, kernel_name, policy.enabled, tuple(checks), sandboxed)


def uses_coursekit_provisioner(kernel_name: str) -> bool:
    """Whether the kernelspec launches through coursekit's provisioner (True if unknown)."""
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:  # the canary's first check says so
        return True
    provisioner = spec.metadata.get("kernel_provisioner", {}).get("provisioner_name")
    return bool(provisioner == PROVISIONER_NAME)


@contextlib.contextmanager
def pseudo_student_folder(workdir: Path) -> Iterator[None]:
    """A fresh folder where a student's autograded notebook would be; removed afterwards."""
    remove_pseudo_student(workdir)
    workdir.mkdir(parents=True)
    try:
        yield
    finally:
        remove_pseudo_student(workdir)


def remove_pseudo_student(workdir: Path) -> None:
    """Delete the canary's folder, and its student folder if the layout nests it there."""
    shutil.rmtree(workdir, ignore_errors=True)
    # Only folders named after the canary: whatever the directory_structure, nothing of a
    # real student's is under them.
    if workdir.parent.name == CANARY_STUDENT:
        shutil.rmtree(workdir.parent, ignore_errors=True)


@contextlib.contextmanager
def listening_socket() -> Iterator[int]:
    """A TCP port on every interface of this machine that accepts connections while open."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("0.0.0.0", 0))  # noqa: S104 (reachable from this machine only matters)
        listener.listen(8)
        yield listener.getsockname()[1]


def canary_targets(course: Course, assignment_id: str, workdir: Path, port: int) -> Targets:
    """The secrets the canary must not read, the places it must not write, the ports."""
    token = secrets.token_hex(6)
    read = {
        "gradebook": gradebook_file(course.db_url),
        "source notebooks": course.source_dir(assignment_id),
        "course config": course.config_file,
        "another student's submission": other_student_folder(course, assignment_id),
        "instructor's home": Path.home(),
    }
    write = {
        "course folder": course.root / f".canary-{token}",
        "the folder above its own": workdir.parent / f".canary-{token}",
        "/tmp": Path("/tmp", f".canary-{token}"),  # noqa: S108 (the shared one: must not reach it)
        "instructor's home": Path.home() / f".canary-{token}",
    }
    hosts = ["127.0.0.1", *outward_addresses()]
    return Targets(
        read={name: path for name, path in read.items() if path is not None and path.exists()},
        write=write,
        connect=tuple((host, port) for host in hosts),
        workdir=workdir,
    )


def gradebook_file(db_url: str) -> Path | None:
    """The gradebook's file if it is SQLite on disk (a server gradebook is behind the network),
    or its folder while the file does not exist yet."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).resolve()
    return path if path.exists() else path.parent


def other_student_folder(course: Course, assignment_id: str) -> Path | None:
    """A real student's submission folder (or the folder of all submissions, if none yet)."""
    students = course.submitted_student_ids(assignment_id)
    if students:
        return course.submitted_dir(assignment_id, students[0])
    return course.root / course.layout.submitted_directory


def outward_addresses() -> list[str]:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the route's source address
        except OSError:
            return []
        address = probe.getsockname()[0]
    return [] if address.startswith("127.") else [address]


def canary_notebook(targets: Targets) -> NotebookNode:
    """One correct answer, its test (1 point), and the probe; with nbgrader's metadata."""

    def cell(source: str, grade_id: str, **flags: Any) -> NotebookNode:
        meta = {"grade_id": grade_id, "grade": False, "solution": False, "locked": False}
        meta |= {"schema_version": 3, **flags}
        return new_code_cell(source, metadata={"nbgrader": meta})

    probe = f"MARKER = {MARKER!r}\nTARGETS = {targets.as_json()!r}\n{PROBE}"
    nb = new_notebook(
        cells=[
            cell("import numpy as np\n\ndef add(a, b):\n    return a + b", "add", solution=True),
            cell("assert add(2, 3) == np.add(2, 3) == 5", "add_adds", grade=True, points=1),
            cell(probe, "probe", locked=True),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def grading_check(executed: NotebookNode) -> CanaryCheck:
    """The known-good answer kept its point."""
    scores = nbgrader_api.grade_cell_scores(executed)
    earned = sum(score or 0.0 for score, _ in scores.values())
    possible = sum(most for _, most in scores.values())
    errors = [
        f"{out.get('ename')}: {out.get('evalue')}"
        for cell in executed.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    detail = f"{earned:g} of {possible:g} points" + (f"; {'; '.join(errors)}" if errors else "")
    return CanaryCheck(
        "correct answer gets full marks",
        possible > 0 and earned == possible,
        detail,
        fix=""
        if earned == possible
        else "the kernel cannot run plain Python and NumPy: "
        "check the kernel's stderr and the fork server's log (docs/warm_kernels.md)",
    )


def probe_report(executed: NotebookNode) -> dict[str, Any] | None:
    """What the probe cell printed, or None if it printed no report."""
    for out in executed.cells[-1].get("outputs", []):
        for line in str(out.get("text", "")).splitlines():
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER) :])
    return None


def isolation_checks(
    targets: Targets, seen: Mapping[str, Any], enforce: bool, policy: Any
) -> list[CanaryCheck]:
    """Judge what the probe saw against the real file system, ports and process table."""
    checks = [own_folder_check(seen)]
    if not enforce:
        # Opted out: nothing is judged, but the canary leaves nothing behind either.
        left = seen.get("left_running")
        if isinstance(left, int):
            with contextlib.suppress(ProcessLookupError):
                os.kill(left, signal.SIGKILL)
        for path in targets.write.values():
            path.unlink(missing_ok=True)
        checks.append(CanaryCheck("sandbox", True, f"disabled by {OPT_OUT}: nothing checked"))
        return checks
    fix_hidden = "add the path to c.CourseKit.sandbox_hidden_paths (and see the fork server's "
    fix_hidden += "log: docs/warm_kernels.md)"
    for name, path in targets.read.items():
        leaked = read_leak(path, seen["read"].get(name, {}), targets.workdir)
        checks.append(
            CanaryCheck(
                f"cannot read {name}",
                not leaked,
                f"{path}: {leaked or describe_denial(seen['read'].get(name, {}))}",
                fix="" if not leaked else fix_hidden,
            )
        )
    checks.extend(write_checks(targets, seen))
    if not policy.network:
        checks.append(network_check(seen))
    checks.append(leftover_check(seen))
    return checks


def own_folder_check(seen: Mapping[str, Any]) -> CanaryCheck:
    """The canary could write and read back a file in its own folder."""
    own = seen.get("own_folder")
    return CanaryCheck(
        "can write its own folder",
        own is True,
        "wrote and read back a file" if own is True else f"could not: {own}",
        fix=""
        if own is True
        else "raise c.CourseKit.sandbox_workdir_mb, or check that the "
        "sandbox's private copy of the folder is writable by its user",
    )


def read_leak(path: Path, seen: Mapping[str, Any], workdir: Path) -> str:
    """What of path the kernel could see ('' if nothing)."""
    if "error" in seen or not seen:
        return ""
    if "sha256" in seen:
        with open(path, "rb") as handle:
            real = hashlib.sha256(handle.read(READ_BYTES)).hexdigest()
        return "its content was readable" if seen["sha256"] == real else ""
    # A folder: names the grader sees too, except the one on the way to the canary's folder.
    real_names = set(os.listdir(path)) if path.is_dir() else set()
    on_the_way = set(workdir.parts)
    visible = sorted((set(seen.get("names", [])) & real_names) - on_the_way)
    return f"listed {', '.join(visible[:5])}" if visible else ""


def describe_denial(seen: Mapping[str, Any]) -> str:
    """How the kernel was kept out."""
    if "error" in seen:
        return f"refused ({seen['error']})"
    return "hidden (an empty view)"


def write_checks(targets: Targets, seen: Mapping[str, Any]) -> list[CanaryCheck]:
    """No file the probe wrote outside its folder reached the real file system."""
    reached = []
    for name, path in targets.write.items():
        if path.exists():
            reached.append(f"{name} ({path})")
            path.unlink()
    detail = "wrote " + ", ".join(reached) if reached else (
        "nothing reached the real file system (" + "; ".join(
            f"{name}: {outcome}" for name, outcome in seen.get("write", {}).items()
        ) + ")"
    )  # fmt: skip
    return [
        CanaryCheck(
            "cannot write outside its folder",
            not reached,
            detail,
            fix=""
            if not reached
            else "the sandbox's mount namespace is missing: check "
            "c.CourseKit.sandbox_filesystem and the sandbox mechanisms",
        )
    ]


def network_check(seen: Mapping[str, Any]) -> CanaryCheck:
    """No connection to this machine's listening port went through."""
    attempts = seen.get("connect", {})
    connected = sorted(address for address, outcome in attempts.items() if outcome == "connected")
    return CanaryCheck(
        "cannot open a network connection",
        bool(attempts) and not connected,
        f"connected to {', '.join(connected)}"
        if connected
        else "refused: "
        + "; ".join(f"{address}: {outcome}" for address, outcome in attempts.items()),
        fix=""
        if not connected
        else "the kernel has the grader's network: check the sandbox's "
        "network namespace (or set c.CourseKit.sandbox_network = True to allow it)",
    )


def leftover_check(seen: Mapping[str, Any]) -> CanaryCheck:
    """The process the canary left running was gone soon after its kernel."""
    pid = seen.get("left_running")
    if not isinstance(pid, int):
        return CanaryCheck("no process outlives its notebook", False, f"no pid reported: {pid}")
    deadline = time.monotonic() + PROCESS_GONE_S
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = is_running(pid)
    if alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return CanaryCheck(
        "no process outlives its notebook",
        not alive,
        f"process {pid} {'still ran' if alive else 'was killed'} after the notebook",
        fix=""
        if not alive
        else "the kernel's cgroup was not killed: check the sandbox's "
        "cgroups (memory, pids) and the fork server's log",
    )


def is_running(pid: int) -> bool:
    """Whether pid runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def first_line(error: BaseException) -> str:
    """The first line of an error's message."""
    return (str(error).strip().splitlines() or [""])[0]
