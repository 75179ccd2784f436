"""One cgroup (v1) per grading kernel: its memory and process limits, and the handle that kills
everything the kernel started, daemons included, and tells an out-of-memory kill apart.

The cgroup of controller C is <cgroup_root>/C/<the creator's own C cgroup>/coursekit/<name>:
nested under the grader's own cgroup, so limits set on the grader (a systemd slice, a SLURM
job) still bound its kernels. Anyone in the same cgroups as the creator (the grader, the warm
fork server it started) finds it again by name with KernelCgroup.find.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from coursekit.isolation.sandbox.policy import SandboxError, SandboxPolicy

PARENT_NAME = "coursekit"
FREEZE_WAIT_SECONDS = 1.0
KILL_WAIT_SECONDS = 10.0
POLL_SECONDS = 0.01
MIB = 1 << 20


def own_cgroup(controller: str, proc_cgroup: Path = Path("/proc/self/cgroup")) -> str:
    """This process's cgroup path (relative, no leading /) in a v1 controller's hierarchy."""
    for line in proc_cgroup.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path.lstrip("/")
    return ""


def controller_parent(cgroup_root: Path, controller: str) -> Path:
    """Where this process's kernel cgroups of a controller live (not created here)."""
    return cgroup_root / controller / own_cgroup(controller) / PARENT_NAME


def controller_problem(cgroup_root: Path, controller: str) -> str | None:
    """Why kernel cgroups of this controller cannot be made here, or None if they can."""
    hierarchy = cgroup_root / controller
    if not (hierarchy / "cgroup.procs").is_file():
        return f"no cgroup v1 {controller} controller mounted at {hierarchy}"
    own = hierarchy / own_cgroup(controller)
    if not os.access(own, os.W_OK):
        return f"{own} is not writable by uid {os.geteuid()} (creating cgroups needs root)"
    return None


@dataclass(frozen=True)
class KernelCgroup:
    """A kernel's cgroup in each controller it uses (controller -> folder)."""

    name: str
    paths: dict[str, Path]

    @classmethod
    def create(cls, name: str, policy: SandboxPolicy) -> KernelCgroup:
        """Make the kernel's cgroups with the policy's limits; SandboxError if one fails."""
        stale = cls.find(name, policy)
        if stale.paths:  # left by a grader that died: its counters (OOM kills) are not ours
            stale.kill_all()
            stale.remove()
        root = Path(policy.cgroup_root)
        wanted = {
            "memory": policy.memory_mb is not None,
            "pids": policy.max_processes is not None,
            "freezer": False,  # only makes kill_all atomic; without it kill_all repeats
        }
        paths: dict[str, Path] = {}
        for controller, required in wanted.items():
            problem = controller_problem(root, controller)
            if problem is not None:
                if required:
                    raise SandboxError(f"cgroup_{controller}", problem)
                continue
            path = controller_parent(root, controller) / name
            try:
                path.mkdir(parents=True)
            except OSError as error:
                raise SandboxError(
                    f"cgroup_{controller}", f"cannot create {path}: {error}"
                ) from None
            paths[controller] = path
        if not paths:
            raise SandboxError("cgroup_pids", f"no cgroup controller under {root} to track kernels")
        group = cls(name, paths)
        group._set_limits(policy)
        return group

    @classmethod
    def find(cls, name: str, policy: SandboxPolicy) -> KernelCgroup:
        """The cgroups an earlier create(name, ...) made from this cgroup (those that exist)."""
        _check_name(name)
        root = Path(policy.cgroup_root)
        paths = {
            controller: controller_parent(root, controller) / name
            for controller in ("memory", "pids", "freezer")
        }
        return cls(name, {c: p for c, p in paths.items() if p.is_dir()})

    def _set_limits(self, policy: SandboxPolicy) -> None:
        memory = self.paths.get("memory")
        if memory is not None and policy.memory_mb is not None:
            limit = str(policy.memory_mb * MIB)
            _write("cgroup_memory", memory / "memory.limit_in_bytes", limit)
            # With swap, the memory limit alone would let the kernel swap out instead of dying.
            memsw = memory / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                _write("cgroup_memory", memsw, limit)
        pids = self.paths.get("pids")
        if pids is not None and policy.max_processes is not None:
            _write("cgroup_pids", pids / "pids.max", str(policy.max_processes))

    def join(self, pid: int) -> None:
        """Move a process (and its threads) into every controller's cgroup."""
        for controller, path in self.paths.items():
            _write(f"cgroup_{controller}", path / "cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        """The live processes in the cgroup (zombies left out: they are dead, awaiting reaping)."""
        found: set[int] = set()
        for path in self.paths.values():
            with contextlib.suppress(FileNotFoundError):
                found.update(int(line) for line in (path / "cgroup.procs").read_text().split())
        return {pid for pid in found if not _is_zombie(pid)}

    def kill_all(self) -> None:
        """SIGKILL every process in the cgroup, whatever its session; return once all are dead."""
        freezer = self.paths.get("freezer")
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while pids := self.pids():
            if time.monotonic() > deadline:
                raise SandboxError("cgroup_pids", f"processes {sorted(pids)} survived SIGKILL")
            # Frozen, no process can fork between the listing and the kill; a frozen process
            # dies of its pending SIGKILL when thawed.
            if freezer is not None:
                _freeze(freezer)
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if freezer is not None:
                _write("cgroup_freezer", freezer / "freezer.state", "THAWED")
            time.sleep(POLL_SECONDS)

    def remove(self) -> None:
        """Remove the (empty) cgroups; the kernel's processes must be gone (kill_all)."""
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        for path in self.paths.values():
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:  # EBUSY while the last exits are accounted
                    if error.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise SandboxError("cgroup", f"cannot remove {path}: {error}") from None
                    time.sleep(POLL_SECONDS)

    def out_of_memory(self) -> bool:
        """Whether the kernel's memory limit made the kernel's OOM killer kill a process in it."""
        memory = self.paths.get("memory")
        if memory is None:
            return False
        for line in (memory / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value) > 0
        return int((memory / "memory.failcnt").read_text()) > 0  # kernels before 4.13

    def peak_memory_bytes(self) -> int | None:
        """The most memory the cgroup ever held (its processes, tmpfs writes, page cache)."""
        memory = self.paths.get("memory")
        if memory is None:
            return None
        return int((memory / "memory.max_usage_in_bytes").read_text())


def _check_name(name: str) -> None:
    if not name or name in {".", ".."} or "/" in name or "\0" in name:
        raise SandboxError("cgroup", f"invalid cgroup name {name!r}")


def _write(mechanism: str, path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise SandboxError(mechanism, f"cannot write {value} to {path}: {error}") from None


def _freeze(freezer: Path) -> bool:
    """Freeze the cgroup; True once frozen (False if it did not settle in time: the kill loop
    then repeats until nothing is left)."""
    _write("cgroup_freezer", freezer / "freezer.state", "FROZEN")
    deadline = time.monotonic() + FREEZE_WAIT_SECONDS
    while time.monotonic() < deadline:
        if (freezer / "freezer.state").read_text().strip() == "FROZEN":
            return True
        time.sleep(POLL_SECONDS)
    return False


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rpartition(")")[2].split()[0] in {"Z", "X"}


def cgroup_name_for(kernel_dir: Path) -> str:
    """The cgroup name of the kernel whose folder is kernel_dir (the launcher's convention)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in kernel_dir.name)
    return f"kernel-{safe}"
