"""The grading sandbox holds against a student's attacks: each test forks a real child, confines
it as a grading kernel would be (real cgroups, namespaces, mounts, uid), runs the attack inside
and reports back through a pipe. Needs root (CI runs as root)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from coursekit.core.errors import CourseError
from coursekit.isolation.sandbox import (
    KernelCgroup,
    SandboxError,
    SandboxPolicy,
    cgroup_name_for,
    confine,
    linux,
    policy_from_config,
    probe_mechanisms,
    require_mechanisms,
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="the sandbox confines as root (cgroups, mounts, uid change); CI runs as root",
)

MIB = 1 << 20
SECRET = "hidden test: assert add(40, 2) == 42"
WORKDIR_MB = 4
MAX_FILE_MB = 2
MAX_PROCESSES = 8
MEMORY_MB = 128


@pytest.fixture
def disk_folder() -> Iterator[Path]:
    """A folder on the real disk, outside /tmp (which every kernel gets fresh, hiding all in it)
    and outside the default hidden paths: as a course root in /srv or /home would be, it is
    hidden by its own cover."""
    folder = Path(tempfile.mkdtemp(dir="/var/lib", prefix="coursekit-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.fixture
def course(disk_folder: Path) -> Path:
    """A course with the secrets a student must not reach and alice's working copy."""
    root = disk_folder / "course"
    files = {
        "source/ps1/arith.ipynb": SECRET,
        "gradebook/gradebook.db": "SQLite format 3\0 grades",
        "nbgrader_config.py": "c = get_config()\n",
        "submitted/other_student/ps1/arith.ipynb": "bob's answers",
        "autograded/alice/ps1/arith.ipynb": f"alice's notebook with the hidden tests: {SECRET}",
        "autograded/alice/ps1/data/Copy of arith.IPYNB": SECRET,
        "autograded/alice/ps1/data/points.csv": "x,y\n1,2\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "autograded/alice/ps1/link_to_gradebook").symlink_to(root / "gradebook/gradebook.db")
    return root


@pytest.fixture
def workdir(course: Path) -> Path:
    return course / "autograded/alice/ps1"


@pytest.fixture
def kernel_dir(disk_folder: Path) -> Path:
    folder = disk_folder / "kernels" / "kernel-1"
    folder.mkdir(parents=True)
    (folder / "connection.json").write_text('{"key": "secret hmac key"}')
    (folder / "connection.json").chmod(0o600)
    return folder


@pytest.fixture
def policy(course: Path) -> SandboxPolicy:
    config = Config()
    config.CourseKit.sandbox_workdir_mb = WORKDIR_MB
    config.CourseKit.sandbox_tmp_mb = 8
    config.CourseKit.sandbox_max_file_mb = MAX_FILE_MB
    config.CourseKit.sandbox_max_processes = MAX_PROCESSES
    config.CourseKit.sandbox_memory_mb = MEMORY_MB
    config.CourseKit.sandbox_cpu_seconds = 30
    return policy_from_config(config, course)


@pytest.fixture
def cgroup(policy: SandboxPolicy) -> Iterator[KernelCgroup]:
    group = KernelCgroup.create(f"test-{uuid.uuid4().hex[:12]}", policy)
    try:
        yield group
    finally:
        group.kill_all()
        group.remove()


@pytest.fixture
def root_file() -> Iterator[Path]:
    """A file in root's home, as an instructor's SSH key would be."""
    with tempfile.NamedTemporaryFile("w", dir="/root", prefix=".coursekit-test-") as handle:
        handle.write("instructor's private key")
        handle.flush()
        os.chmod(handle.name, 0o644)  # readable by anyone who can reach it
        yield Path(handle.name)


def attempt(action: Callable[[], Any]) -> str:
    """'ok' (with the result, if any) or the errno name the action failed with."""
    try:
        result = action()
    except OSError as error:
        return errno.errorcode.get(error.errno or 0, type(error).__name__)
    return "ok" if result is None else f"ok:{result}"


def start_confined(
    policy: SandboxPolicy,
    workdir: Path,
    kernel_dir: Path,
    cgroup: KernelCgroup | None,
    attack: Callable[[int], dict[str, Any]],
) -> tuple[int, dict[str, Any] | None]:
    """Fork, confine the child, run attack(report_fd) in it; the child's pid and first report
    (one JSON line; None if the child died first). The caller waits for the child."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(reader)
            try:
                confine(policy, workdir, kernel_dir, cgroup, keep_fds={writer})
                report = attack(writer)
            except BaseException as error:
                report = {"crash": f"{type(error).__name__}: {error}"}
            os.write(writer, (json.dumps(report) + "\n").encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as stream:
        data = stream.readline()  # not EOF: a daemon the child left may hold the pipe open
    return pid, (json.loads(data) if data else None)


def run_confined(
    policy: SandboxPolicy,
    workdir: Path,
    kernel_dir: Path,
    cgroup: KernelCgroup | None,
    attack: Callable[[int], dict[str, Any]],
) -> tuple[dict[str, Any] | None, int]:
    """start_confined, then wait: the child's report and its wait status."""
    pid, report = start_confined(policy, workdir, kernel_dir, cgroup, attack)
    _, status = os.waitpid(pid, 0)
    return report, status


def read(path: Path) -> Callable[[], str]:
    return lambda: path.read_text()[:40]


def test_student_cannot_read_course_secrets(
    policy: SandboxPolicy,
    course: Path,
    workdir: Path,
    kernel_dir: Path,
    cgroup: KernelCgroup,
    root_file: Path,
) -> None:
    grader_keyring = linux.session_keyring()

    def attack(_: int) -> dict[str, Any]:
        return {
            "grader_keyring": linux.session_keyring() == grader_keyring,
            "gradebook": attempt(read(course / "gradebook/gradebook.db")),
            "source": attempt(read(course / "source/ps1/arith.ipynb")),
            "config": attempt(read(course / "nbgrader_config.py")),
            "other_student": attempt(read(course / "submitted/other_student/ps1/arith.ipynb")),
            "root_file": attempt(read(root_file)),
            "symlink_in_submission": attempt(read(workdir / "link_to_gradebook")),
            "list_course": attempt(lambda: sorted(os.listdir(course))),
            # nbgrader runs the graded notebook in this folder, hidden tests restored in it
            "own_notebook": attempt(read(Path("arith.ipynb"))),  # relative to the workdir
            "notebook_below": attempt(read(Path("data/Copy of arith.IPYNB"))),
            "own_data": attempt(read(Path("data/points.csv"))),
            "uid": os.getuid(),
            "pid": os.getpid(),
        }

    report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)
    assert report is not None and "crash" not in report, report
    for secret in ("gradebook", "source", "config", "other_student", "root_file"):
        assert report[secret] in {"ENOENT", "EACCES"}, (secret, report[secret])
    assert report["symlink_in_submission"] in {"ENOENT", "EACCES"}
    assert report["list_course"] == "EACCES"
    assert report["grader_keyring"] is False  # its keys (a Kerberos ticket, say) out of reach
    assert report["own_notebook"] == report["notebook_below"] == "ENOENT"
    assert report["own_data"] == "ok:x,y\n1,2\n"
    assert report["uid"] == policy.kernel_uid(report["pid"]) != 0


@pytest.fixture
def outside_file(disk_folder: Path) -> Path:
    """A world-readable file outside every default hidden path (and outside /tmp)."""
    secret = disk_folder / "answers.txt"
    secret.write_text("the answers")
    secret.chmod(0o644)
    return secret


def test_a_hidden_file_cannot_be_opened(
    policy: SandboxPolicy,
    workdir: Path,
    kernel_dir: Path,
    cgroup: KernelCgroup,
    outside_file: Path,
) -> None:
    hiding = replace(policy, hidden_paths=(*policy.hidden_paths, str(outside_file)))

    def attack(_: int) -> dict[str, Any]:
        return {"read": attempt(read(outside_file))}

    assert run_confined(policy, workdir, kernel_dir, cgroup, attack)[0] == {
        "read": "ok:the answers"  # the control: unhidden, anyone may read it
    }
    assert run_confined(hiding, workdir, kernel_dir, cgroup, attack)[0] == {"read": "EACCES"}


def test_writes_stay_in_the_capped_private_workdir(
    policy: SandboxPolicy, course: Path, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    chunk = b"x" * (MAX_FILE_MB * MIB - 4096)

    def write(path: Path, data: bytes = b"42") -> Callable[[], None]:
        return lambda: path.write_bytes(data) and None

    def fill_workdir() -> int:
        written = 0
        for number in range(4 * WORKDIR_MB // MAX_FILE_MB):  # twice the cap, file by file
            Path(f"fill-{number}.bin").write_bytes(chunk)
            written += len(chunk)
        return written

    def attack(_: int) -> dict[str, Any]:
        return {
            "own_file": attempt(write(Path("result.txt"))),
            "gradebook": attempt(write(course / "gradebook/gradebook.db")),
            "course_root": attempt(write(course / "grades.csv")),
            "config": attempt(write(course / "nbgrader_config.py")),
            "system": attempt(write(Path("/var/lib/coursekit-test-planted"))),
            "past_file_size_limit": attempt(write(Path("/tmp/big.bin"), chunk * 2)),
            "past_workdir_cap": attempt(fill_workdir),
        }

    report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert report is not None and "crash" not in report, report
    assert report["own_file"] == "ok"
    for outside in ("gradebook", "course_root", "config", "system"):
        assert report[outside] in {"EROFS", "EACCES", "ENOENT"}, (outside, report[outside])
    assert report["past_file_size_limit"] == "EFBIG"
    assert report["past_workdir_cap"] == "ENOSPC"
    # The grader's files are untouched; the student's writes vanished with the child.
    assert (course / "gradebook/gradebook.db").read_text() == "SQLite format 3\0 grades"
    assert not (course / "grades.csv").exists()
    assert not Path("/var/lib/coursekit-test-planted").exists()
    assert sorted(p.name for p in workdir.iterdir()) == ["arith.ipynb", "data", "link_to_gradebook"]


def connect_tcp(address: tuple[str, int]) -> Callable[[], None]:
    return lambda: socket.create_connection(address, timeout=5).close()


def connect_unix(address: str) -> Callable[[], None]:
    def connect() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(address)

    return connect


def test_no_network_not_even_loopback(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    abstract = f"\0coursekit-test-{uuid.uuid4().hex}"  # abstract Unix sockets: per network ns
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as local,
    ):
        port = server.getsockname()[1]
        local.bind(abstract)
        local.listen()

        def attack(_: int) -> dict[str, Any]:
            return {
                "loopback": attempt(connect_tcp(("127.0.0.1", port))),
                "outside": attempt(connect_tcp(("192.0.2.1", 80))),  # TEST-NET-1: no DNS needed
                "abstract_unix": attempt(connect_unix(abstract)),
                "interfaces": sorted(name for _, name in socket.if_nameindex()),
            }

        controls = [attempt(connect_tcp(("127.0.0.1", port))), attempt(connect_unix(abstract))]
        report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert controls == ["ok", "ok"]
    assert report == {
        "loopback": "ENETUNREACH",
        "outside": "ENETUNREACH",
        "abstract_unix": "ECONNREFUSED",
        "interfaces": ["lo"],
    }


def test_a_fork_bomb_stops_at_max_processes(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    def attack(_: int) -> dict[str, Any]:
        children, failure = [], "none"
        for _ in range(4 * MAX_PROCESSES):
            try:
                pid = os.fork()
            except OSError as error:
                failure = errno.errorcode[error.errno or 0]
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        return {"forked": len(children), "failure": failure}

    report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert report == {"forked": MAX_PROCESSES - 1, "failure": "EAGAIN"}


def test_a_memory_bomb_is_killed_and_told_apart(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    def attack(_: int) -> dict[str, Any]:
        hoard = []
        for _ in range(4 * MEMORY_MB):
            hoard.append(bytearray(MIB))  # zero-filled by Python: every page is touched
        return {"survived_mb": len(hoard)}

    report, status = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert report is None
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert cgroup.out_of_memory()
    peak = cgroup.peak_memory_bytes()
    assert peak is not None and MEMORY_MB * MIB * 0.9 <= peak <= MEMORY_MB * MIB


def test_a_well_behaved_kernel_is_not_reported_out_of_memory(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    report, status = run_confined(
        policy, workdir, kernel_dir, cgroup, lambda _: {"mb": len(bytearray(16 * MIB)) // MIB}
    )

    assert report == {"mb": 16} and os.waitstatus_to_exitcode(status) == 0
    assert not cgroup.out_of_memory()


def test_cpu_time_is_limited(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    def spin(_: int) -> dict[str, Any]:
        while True:
            pass

    _, status = run_confined(replace(policy, cpu_seconds=1), workdir, kernel_dir, cgroup, spin)

    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU


def test_kill_all_ends_a_daemon_that_left_the_session(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    def attack(report_fd: int) -> dict[str, Any]:
        if os.fork() == 0:  # the classic double fork: setsid, fork again, parent exits
            os.setsid()
            intermediate = os.getpid()
            if os.fork() == 0:
                while os.getppid() == intermediate:  # report once orphaned, as a daemon is
                    time.sleep(0.01)
                daemon = {"daemon": os.getpid()}
                os.write(report_fd, (json.dumps(daemon) + "\n").encode())
                os.close(report_fd)
                while True:
                    time.sleep(1)
            os._exit(0)
        os._exit(0)  # the kernel itself ends; only the daemon is left

    report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert report is not None
    daemon = report["daemon"]
    assert cgroup.pids() == {daemon}  # alive after its kernel, in no session of the kernel
    cgroup.kill_all()
    assert cgroup.pids() == set()
    stat = Path(f"/proc/{daemon}/stat")
    assert not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] in {"Z", "X"}


def hiding_mount(path: Path) -> Path:
    """The mount nearest above path (or at it), seen from inside the kernel."""
    return next(folder for folder in [path, *path.parents] if os.path.ismount(folder))


def undo_in_a_user_namespace(course: Path) -> dict[str, str]:
    """In a user namespace of its own (root there, every capability), try to uncover."""
    cover = hiding_mount(course)
    entered = attempt(lambda: linux.unshare(linux.CLONE_NEWUSER | linux.CLONE_NEWNS))
    remount = linux.MS_REMOUNT | linux.MS_BIND
    return {
        "user_namespace": entered,
        "userns_umount_cover": attempt(lambda: linux.umount(cover, linux.MNT_DETACH)),
        "userns_remount_writable": attempt(lambda: linux.mount(None, cover, None, remount)),
        "userns_read_gradebook": attempt(read(course / "gradebook/gradebook.db")),
    }


def test_the_kernel_cannot_undo_its_confinement(
    policy: SandboxPolicy, course: Path, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    def attack(_: int) -> dict[str, Any]:
        return {
            "signal_parent": attempt(lambda: os.kill(os.getppid(), 0)),  # 0: permission only
            "cover": str(hiding_mount(course)),
            "umount_cover": attempt(lambda: linux.umount(hiding_mount(course))),
            "umount_workdir": attempt(lambda: linux.umount(workdir, linux.MNT_DETACH)),
            "remount_writable": attempt(
                lambda: linux.mount(
                    None, hiding_mount(course), None, linux.MS_REMOUNT | linux.MS_BIND
                )
            ),
            "leave_cgroup": attempt(
                lambda: (cgroup.paths["pids"].parent / "cgroup.procs").write_text(str(os.getpid()))
            ),
            "become_root": attempt(lambda: os.setuid(0)),
            "new_privileges": Path("/proc/self/status").read_text().count("NoNewPrivs:\t1"),
            **undo_in_a_user_namespace(course),
        }

    report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert report == {
        "user_namespace": "ok",  # allowed, and all capabilities in it, yet the covers hold:
        "userns_umount_cover": "EINVAL",  # mounts from a more privileged namespace are locked
        "userns_remount_writable": "EPERM",  # its flags (nosuid, nodev) are locked too
        "userns_read_gradebook": "ENOENT",
        "signal_parent": "EPERM",
        "cover": str(course),  # the course root's own cover
        "umount_cover": "EPERM",
        "umount_workdir": "EPERM",
        "remount_writable": "EPERM",
        "leave_cgroup": "EACCES",
        "become_root": "EPERM",
        "new_privileges": 1,
    }


def signal_a_running_kernel(
    policy: SandboxPolicy,
    workdir: Path,
    kernel_dirs: tuple[Path, Path],
    cgroup: KernelCgroup,
    kill_everyone: bool,
) -> tuple[dict[str, Any] | None, bool]:
    """A kernel waits while a second one, confined alike, signals it; the second's report and
    whether the first was still alive afterwards."""
    release_reader, release_writer = os.pipe()

    def wait_for_release(report_fd: int) -> dict[str, Any]:
        os.write(report_fd, (json.dumps({"pid": os.getpid()}) + "\n").encode())
        os.read(release_reader, 1)
        return {}

    def attack(_: int) -> dict[str, Any]:
        report = {"probe": attempt(lambda: os.kill(first, 0))}  # 0: the permission check only
        if kill_everyone:
            report["kill_everyone"] = attempt(lambda: os.kill(-1, signal.SIGKILL))
        return report

    first, started = start_confined(policy, workdir, kernel_dirs[0], cgroup, wait_for_release)
    try:
        assert started == {"pid": first}
        report, _ = run_confined(policy, workdir, kernel_dirs[1], cgroup, attack)
        alive = os.waitpid(first, os.WNOHANG) == (0, 0)
    finally:
        os.write(release_writer, b"x")
        os.waitpid(first, 0)
        os.close(release_reader)
        os.close(release_writer)
    return report, alive


def test_kernels_graded_at_once_cannot_signal_each_other(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    other_dir = kernel_dir.parent / "kernel-2"
    other_dir.mkdir()
    dirs = (kernel_dir, other_dir)

    report, alive = signal_a_running_kernel(policy, workdir, dirs, cgroup, kill_everyone=True)
    # The control: kernels sharing one uid could (no kill(-1) here: it would hit them all).
    shared = replace(policy, uid=policy.gid)
    control, _ = signal_a_running_kernel(shared, workdir, dirs, cgroup, kill_everyone=False)

    # kill(-1) reports success even when every target refused (EPERM); what counts is that
    # the other kernel lives on.
    assert report == {"probe": "EPERM", "kill_everyone": "ok"}
    assert alive
    assert control == {"probe": "ok"}


def test_the_kernel_keeps_its_python_and_kernel_folder(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    def attack(_: int) -> dict[str, Any]:
        numpy = subprocess.run(
            [sys.executable, "-c", "import numpy; print(numpy.arange(4).sum())"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        ipc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ipc.bind(str(kernel_dir / "shell.ipc"))  # as ZMQ's ipc transport does
        ipc.close()
        return {
            "numpy": numpy.stdout.strip() or numpy.stderr[-300:],
            "connection_file": attempt(read(kernel_dir / "connection.json")),
            "home": os.environ["HOME"],
            "home_writable": attempt(lambda: Path(os.environ["HOME"], ".keras").mkdir()),
            "own_environ": attempt(lambda: len(Path("/proc/self/environ").read_bytes()) > 0),
            "cwd": os.getcwd(),
        }

    report, _ = run_confined(policy, workdir, kernel_dir, cgroup, attack)

    assert report == {
        "numpy": "6",
        "connection_file": 'ok:{"key": "secret hmac key"}',
        "home": "/tmp/home",
        "home_writable": "ok",
        "own_environ": "ok:True",  # psutil and friends read their own /proc files
        "cwd": str(workdir),
    }
    assert (kernel_dir / "shell.ipc").is_socket()  # the grader's side sees the socket


def test_a_stale_cgroup_of_the_same_name_is_emptied_and_replaced(policy: SandboxPolicy) -> None:
    name = f"test-{uuid.uuid4().hex[:12]}"
    stale = KernelCgroup.create(name, policy)
    leftover = subprocess.Popen(["sleep", "60"])  # what a dead grader's kernel left running
    try:
        stale.join(leftover.pid)
        fresh = KernelCgroup.create(name, policy)
        leftover_status = leftover.wait(timeout=30)
        assert fresh.paths == stale.paths and fresh.pids() == set()
    finally:
        leftover.kill()
        leftover.wait(timeout=30)
        stale.kill_all()
        stale.remove()

    assert leftover_status == -signal.SIGKILL


def test_a_working_directory_holding_a_hidden_path_is_refused(
    policy: SandboxPolicy, course: Path, kernel_dir: Path, cgroup: KernelCgroup
) -> None:
    report, _ = run_confined(policy, course.parent, kernel_dir, cgroup, lambda _: {"ran": True})

    assert report is not None and report["crash"].startswith("SandboxError: sandbox ")
    assert f"holds hidden {course}" in report["crash"]


def test_a_missing_cgroup_controller_is_an_error_naming_it(
    policy: SandboxPolicy, tmp_path: Path
) -> None:
    empty_root = tmp_path / "no-cgroups"
    empty_root.mkdir()
    lacking = replace(policy, cgroup_root=str(empty_root))

    probe = probe_mechanisms(empty_root)
    with pytest.raises(SandboxError) as created:
        KernelCgroup.create("kernel-x", lacking)
    with pytest.raises(SandboxError) as required:
        require_mechanisms(lacking, probe)

    assert probe["cgroup_memory"] is not None and probe["cgroup_pids"] is not None
    assert probe["mount_namespace"] is None and probe["network_namespace"] is None
    assert created.value.mechanism == "cgroup_memory"
    assert "c.CourseKit.sandbox_memory_mb = None" in str(created.value)  # how to opt out
    assert "cgroup_memory" in str(required.value) and "cgroup_pids" in str(required.value)
    # Turned off explicitly, the same machine is acceptable.
    require_mechanisms(replace(lacking, memory_mb=None, max_processes=None), probe)


def test_an_unprivileged_grader_is_told_what_is_missing_and_why() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(writer, json.dumps(probe_mechanisms()).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as stream:
        probe = json.loads(stream.read())
    os.waitpid(pid, 0)

    assert [name for name, why in probe.items() if why is None] == ["rlimits"]
    assert "needs root" in probe["mount_namespace"]
    assert "not writable by uid 65534" in probe["cgroup_pids"]
    assert probe["privilege_drop"].startswith("not root")
    with pytest.raises(SandboxError, match="cgroup_memory, cgroup_pids, mount_namespace"):
        require_mechanisms(SandboxPolicy(), probe)


def test_confine_refuses_limits_without_their_cgroup(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path
) -> None:
    report, _ = run_confined(policy, workdir, kernel_dir, None, lambda _: {"confined": True})

    assert report is not None and report["crash"].startswith("SandboxError: sandbox cgroup_memory")


def test_the_launcher_confines_then_execs(
    policy: SandboxPolicy, course: Path, workdir: Path, kernel_dir: Path
) -> None:
    probe = (
        "import os, pathlib\n"
        f"try:\n    pathlib.Path({str(course / 'gradebook/gradebook.db')!r}).read_bytes()\n"
        "    print('gradebook read')\n"
        "except OSError as e:\n    print('gradebook', type(e).__name__)\n"
        "print('uid', os.getuid(), 'cwd', os.getcwd())\n"
    )
    name = cgroup_name_for(kernel_dir)
    try:
        interpreter = Path(sys.executable)
        launcher = subprocess.Popen(
            [sys.executable, "-m", "coursekit.isolation.sandbox", policy.to_json(), str(workdir)]
            # A command relative to the launcher's folder, not to the working copy it enters.
            + [str(kernel_dir), "--", f"./{interpreter.name}", "-c", probe],
            cwd=interpreter.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout, stderr = launcher.communicate(timeout=60)
        launched_pid = launcher.pid  # exec keeps it: the kernel's uid derives from it
        group = KernelCgroup.find(name, policy)
        assert set(group.paths) >= {"memory", "pids"}  # the cleaner finds it by kernel_dir
    finally:
        group = KernelCgroup.find(name, policy)
        group.kill_all()
        group.remove()

    assert launcher.returncode == 0, stderr
    assert stdout.splitlines() == [
        "gradebook FileNotFoundError",
        f"uid {policy.kernel_uid(launched_pid)} cwd {workdir}",
    ]
    assert KernelCgroup.find(name, policy).paths == {}


def test_the_launcher_reports_a_setup_failure(
    policy: SandboxPolicy, tmp_path: Path, workdir: Path, kernel_dir: Path
) -> None:
    lacking = replace(policy, cgroup_root=str(tmp_path))

    launched = subprocess.run(
        [sys.executable, "-m", "coursekit.isolation.sandbox", lacking.to_json(), str(workdir)]
        + [str(kernel_dir), "--", "true"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert launched.returncode == 125
    assert "sandbox cgroup_memory" in launched.stderr


def test_policy_from_config_reads_the_coursekit_section(course: Path, tmp_path: Path) -> None:
    config = Config()
    config.CourseKit.sandbox_memory_mb = 512
    config.CourseKit.sandbox_network = True
    config.CourseKit.sandbox_hidden_paths.append("/opt/answers")  # a lazy value in traitlets
    config.Exchange.root = str(tmp_path / "exchange")
    config.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'grades' / 'gradebook.db'}"

    policy = policy_from_config(config, course)

    assert policy.memory_mb == 512 and policy.network is True
    assert policy.cpu_seconds == SandboxPolicy().cpu_seconds  # untouched: the default
    for hidden in (course, "/root", "/home", "/opt/answers", tmp_path / "exchange"):
        assert str(hidden) in policy.hidden_paths
    assert str(tmp_path / "grades") in policy.hidden_paths
    assert SandboxPolicy.from_json(policy.to_json()) == policy
    assert policy.required_mechanisms().count("network_namespace") == 0


def test_policy_from_config_rejects_typos_and_bad_values(course: Path) -> None:
    typo = Config()
    typo.CourseKit.sandbox_memory_gb = 2
    bad = Config()
    bad.CourseKit.sandbox_max_processes = "many"
    off = Config()
    off.CourseKit.sandbox_enabled = False

    with pytest.raises(CourseError, match="sandbox_\\*.*memory_gb"):
        policy_from_config(typo, course)
    with pytest.raises(CourseError, match="max_processes must be a whole number"):
        policy_from_config(bad, course)
    assert policy_from_config(off, course).required_mechanisms() == ()
