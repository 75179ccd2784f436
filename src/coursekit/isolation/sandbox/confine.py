"""confine(): what a freshly forked, single-threaded child does, as root, to become a sandboxed
grading kernel. Each step raises SandboxError naming its mechanism; there is no fallback.

Order matters: join the cgroup first (everything after is charged and killable), then new
namespaces, then the file view (which needs root and the original paths), then limits, then
the privilege drop last (after it nothing above can be undone: no capability is left).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import stat
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from coursekit.isolation.sandbox import linux
from coursekit.isolation.sandbox.cgroups import KernelCgroup
from coursekit.isolation.sandbox.filesystem import build_view
from coursekit.isolation.sandbox.policy import SandboxError, SandboxPolicy

T = TypeVar("T")
MIB = 1 << 20
CPU_GRACE_SECONDS = 5  # SIGXCPU at the soft limit, SIGKILL this much later
HOSTNAME = "coursekit-sandbox"
# HOME inside the sandbox: the real one is hidden, and matplotlib, Keras and IPython write their
# caches and configuration under HOME. It lives in the kernel's private /tmp.
SANDBOX_HOME = "/tmp/home"
NAMESPACES = {
    "mount_namespace": linux.CLONE_NEWNS,
    "network_namespace": linux.CLONE_NEWNET,
    "ipc_namespace": linux.CLONE_NEWIPC,
    "uts_namespace": linux.CLONE_NEWUTS,
}
PR_CAPBSET_DROP = 24


def confine(
    policy: SandboxPolicy,
    workdir: Path,
    kernel_dir: Path,
    cgroup: KernelCgroup | None,
    *,
    keep_fds: Collection[int] = (),
) -> None:
    """Confine this process (a fresh fork, root, one thread) per policy; SandboxError if not.

    Afterwards the working directory is a private copy of workdir (and the current directory),
    kernel_dir is writable, HOME is SANDBOX_HOME, and descriptors to folders are closed
    (they would reach around the covers), except keep_fds.
    """
    if not policy.enabled:
        return
    workdir, kernel_dir = Path(os.path.realpath(workdir)), Path(os.path.realpath(kernel_dir))
    _require_single_thread()
    uid = policy.kernel_uid(os.getpid())
    owner = (os.getuid(), os.getgid()) if uid is None else (uid, policy.gid)
    for controller, limit in (("memory", policy.memory_mb), ("pids", policy.max_processes)):
        if limit is not None and (cgroup is None or controller not in cgroup.paths):
            raise SandboxError(
                f"cgroup_{controller}", "the policy sets a limit but no cgroup has it"
            )
    if cgroup is not None:
        cgroup.join(os.getpid())
    for name, flag in NAMESPACES.items():
        if (name == "mount_namespace" and not policy.filesystem) or (
            name == "network_namespace" and policy.network
        ):
            continue
        _step(name, linux.unshare, flag)
    _step("uts_namespace", linux.sethostname, HOSTNAME)
    if policy.filesystem:
        _step("mount_namespace", build_view, policy, workdir, kernel_dir, owner)
        _step("mount_namespace", _make_home, owner)
    _step("rlimits", _set_rlimits, policy)
    _step("privilege_drop", _hand_over, kernel_dir, owner)
    _step("privilege_drop", _close_folder_fds, set(keep_fds))
    if policy.drop_privileges:
        _step("privilege_drop", _drop_privileges, owner)
        if policy.uid is None:
            # The uid change made the process non-dumpable: its /proc files became root's (it
            # could not read its own /proc/self/environ). With a uid of its own, no other
            # kernel may trace it anyway; with a shared uid, stay non-dumpable.
            _step("privilege_drop", linux.prctl, linux.PR_SET_DUMPABLE, 1)
    _step("mount_namespace", os.chdir, workdir)  # the old cwd is the original, uncovered folder


def _step(mechanism: str, action: Callable[..., T], *args: object) -> T:
    try:
        return action(*args)
    except SandboxError:
        raise
    except OSError as error:
        raise SandboxError(mechanism, str(error)) from None


def _require_single_thread() -> None:
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise SandboxError(
            "mount_namespace",
            f"the process runs {threads} threads; confine() needs a fresh fork with one thread",
        )


def _make_home(owner: tuple[int, int]) -> None:
    os.makedirs(SANDBOX_HOME, mode=0o700, exist_ok=True)
    os.chown(SANDBOX_HOME, *owner)
    os.environ["HOME"] = SANDBOX_HOME
    os.environ.pop("XDG_RUNTIME_DIR", None)  # under /run, hidden


def _set_rlimits(policy: SandboxPolicy) -> None:
    limits = {resource.RLIMIT_CORE: 0, resource.RLIMIT_NOFILE: policy.open_files}
    if policy.max_file_mb is not None:
        limits[resource.RLIMIT_FSIZE] = policy.max_file_mb * MIB
    for kind, value in limits.items():
        resource.setrlimit(kind, (value, value))
    if policy.cpu_seconds is not None:
        cpu = policy.cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + CPU_GRACE_SECONDS))


def _hand_over(kernel_dir: Path, owner: tuple[int, int]) -> None:
    """Give the kernel folder and its files (connection file) to the kernel's user."""
    os.chown(kernel_dir, *owner)
    os.chmod(kernel_dir, 0o700)
    for entry in os.scandir(kernel_dir):
        os.chown(entry.path, *owner, follow_symlinks=False)


def _close_folder_fds(keep: set[int]) -> None:
    """Close descriptors of folders and O_PATH descriptors: openat() on them ignores mounts."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep or fd <= 2:
            continue
        with contextlib.suppress(OSError):  # the listing's own descriptor, gone by now
            path_only = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_PATH
            if path_only or stat.S_ISDIR(os.fstat(fd).st_mode):
                os.close(fd)


def _drop_privileges(owner: tuple[int, int]) -> None:
    uid, gid = owner
    last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last_cap + 1):  # no capability can come back, even through exec
        linux.prctl(PR_CAPBSET_DROP, cap)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    # The grader's session keyring came with the fork, and its possessor may read its keys
    # (Kerberos tickets, say): the kernel gets an empty one of its own.
    linux.join_new_session_keyring()
    status = Path("/proc/self/status").read_text()
    caps = {
        line.split(":")[0]: int(line.split()[1], 16)
        for line in status.splitlines()
        if line.startswith(("CapPrm", "CapEff", "CapAmb"))
    }
    if os.getresuid() != (uid, uid, uid) or any(caps.values()):
        raise SandboxError("privilege_drop", f"still uid {os.getresuid()}, capabilities {caps}")
