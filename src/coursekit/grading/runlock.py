"""One autograde run per course at a time: a lock file in gradebook/ held with flock for the run.

The lock is the open file's flock, not the file's existence: the kernel releases it when the
last process holding it dies, however it dies (SIGKILL included), so a lock is never stuck. The
file holds who took it (pid, host, start time, command) and the worker processes the run
started (record_processes), so that a refused run can name the live processes to stop, and a
run that finds the file filled but unlocked knows the last run ended without releasing it
(killed) and says in one line that it takes over. The file is emptied, never deleted, on
release: deleting it would let a run that opened the old file and a run that created a new one
both hold "the" lock.

Stock nbgrader commands do not take this lock (they know nothing of it). Worker processes
forked from the run share its lock (a fork shares the open file), so no second run starts while
any process of the first still grades; the workers die with their run (workers/lifeline.py), so
a run whose main process was killed frees the lock within seconds.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import functools
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

from coursekit.core.errors import CourseError
from coursekit.grading.workers.lifeline import pid_exists

LOCK_FILENAME = "autograde.lock"

P = ParamSpec("P")
R = TypeVar("R")

# Told what the lock did that a person should know (a stale lock taken over).
Notice = Callable[[str], None]


@dataclass(frozen=True)
class RunInfo:
    """Who holds (or held) the lock: enough to find the process and tell it apart."""

    pid: int
    host: str
    started: str  # ISO 8601, UTC
    command: str
    workers: tuple[int, ...] = ()  # processes the run started to grade (they share its lock)

    def __post_init__(self) -> None:
        object.__setattr__(self, "workers", tuple(int(pid) for pid in self.workers))

    def describe(self) -> str:
        """'pid 123 on host h, started 2026-11-25T10:00:00+00:00 (course autograde ps1)'."""
        return f"pid {self.pid} on host {self.host}, started {self.started} ({self.command})"

    def alive(self) -> bool | None:
        """Whether the process still runs: None when it runs on another host (cannot tell)."""
        if self.host != socket.gethostname():
            return None
        return pid_exists(self.pid)


def this_run(command: str) -> RunInfo:
    """The RunInfo of this process, now."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return RunInfo(os.getpid(), socket.gethostname(), now.isoformat(), command)


def lock_path(course_root: Path) -> Path:
    """The lock file of a course: gradebook/autograde.lock."""
    return course_root / "gradebook" / LOCK_FILENAME


def read_holder(text: str) -> RunInfo | None:
    """The RunInfo a lock file holds, or None if it is empty or unreadable."""
    try:
        data = json.loads(text)
        return RunInfo(
            int(data["pid"]),
            str(data["host"]),
            str(data["started"]),
            data["command"],
            tuple(data.get("workers", ())),
        )
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class HeldLock:
    """A lock this process holds: its open file and what the file says."""

    fd: int
    info: RunInfo


# The locks this process holds, by path; a forked child starts with none (it shares the lock
# while it lives, but the run's record is its parent's to write).
_held: dict[Path, HeldLock] = {}
os.register_at_fork(after_in_child=_held.clear)


def record_processes(pids: Iterable[int]) -> None:
    """Add processes this run started (its workers) to the file of each lock it holds."""
    for held in _held.values():
        workers = sorted(set(held.info.workers) | set(pids))
        if workers != list(held.info.workers):
            held.info = replace(held.info, workers=tuple(workers))
            write_fd(held.fd, json.dumps(asdict(held.info)) + "\n")


@contextlib.contextmanager
def hold_run_lock(
    course_root: Path, command: str, notice: Notice | None = None
) -> Iterator[RunInfo]:
    """Hold the course's autograde lock for the block; CourseError if another run holds it."""
    path = lock_path(course_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise CourseError(refusal(path, read_holder(read_fd(fd)))) from None
        stale = read_holder(read_fd(fd))
        if stale is not None and notice is not None:
            notice(
                f"Taking over the autograde lock {path}: the run that held it ended without "
                f"releasing it ({stale.describe()}; its processes are gone)."
            )
        mine = this_run(command)
        write_fd(fd, json.dumps(asdict(mine)) + "\n")
        _held[path] = HeldLock(fd, mine)
        try:
            yield mine
        finally:
            if os.getpid() == mine.pid:  # a forked worker leaving this block must not release
                _held.pop(path, None)
                write_fd(fd, "")
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def one_run_per_course(function: Callable[P, R]) -> Callable[P, R]:
    """Run function (whose first argument is a Course) holding that course's autograde lock.

    Its keyword argument notice, if given, is told of a stale lock taken over.
    """

    @functools.wraps(function)
    def holding(*args: P.args, **kwargs: P.kwargs) -> R:
        course = args[0] if args else kwargs["course"]
        course_root = course.root  # type: ignore[attr-defined]
        notice = kwargs.get("notice")
        with hold_run_lock(course_root, command_line(), notice):  # type: ignore[arg-type]
            return function(*args, **kwargs)

    return holding


def refusal(path: Path, holder: RunInfo | None) -> str:
    """Why this run cannot start, naming the run that holds the lock."""
    if holder is None:
        return (
            f"Another autograde run holds the lock {path} of this course (it has not written "
            "who it is yet). Wait for it to finish and run again."
        )
    running = f"Another autograde run is grading this course: {holder.describe()}; lock {path}."
    if holder.alive() is None:  # on another host: its processes cannot be looked at from here
        return f"{running} Wait for it to finish (or stop it: kill {holder.pid} on {holder.host})."
    live = processes_holding(path, [holder.pid, *holder.workers])
    # Workers started by exec (a Dask LocalCluster's) hold no lock, but are the run's children.
    live += [pid for pid in holder.workers if pid not in live and parent_of(pid) == holder.pid]
    workers = [pid for pid in live if pid != holder.pid]
    named = f" Its workers {', '.join(map(str, workers))} run too." if workers else ""
    if not live:
        return (
            f"{running} None of its recorded processes runs, yet the lock is held: find the "
            f"process holding it with `fuser -v {path}`, stop it, and run again."
        )
    if holder.pid not in live:
        named = (
            f" Its main process is gone; its workers {', '.join(map(str, workers))} still hold "
            "the lock (they die with their run, within seconds)."
        )
    return (
        f"{running}{named} Wait for it to finish, or stop it: kill {' '.join(map(str, live))}; "
        "then run again."
    )


def processes_holding(path: Path, pids: Iterable[int]) -> list[int]:
    """Those of pids that run and have the lock file open (a reused pid does not)."""
    try:
        lock = os.stat(path)
    except OSError:
        return []
    holding = []
    for pid in dict.fromkeys(pids):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except PermissionError:  # another user's process: trust that it is the one recorded
            if pid_exists(pid):
                holding.append(pid)
            continue
        except OSError:  # gone, or no /proc to look in (not Linux)
            if not os.path.isdir("/proc/self/fd") and pid_exists(pid):
                holding.append(pid)
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                opened = os.stat(f"/proc/{pid}/fd/{fd}")
                if (opened.st_dev, opened.st_ino) == (lock.st_dev, lock.st_ino):
                    holding.append(pid)
                    break
    return holding


def parent_of(pid: int) -> int | None:
    """The parent pid of a running process (from /proc), None if it is gone or unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # after the command name, which may hold ')'


def read_fd(fd: int) -> str:
    """The whole content of the open lock file."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def write_fd(fd: int, text: str) -> None:
    """Replace the open lock file's content with text, on disk before returning."""
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8"))
    os.fsync(fd)


def command_line() -> str:
    """This process's command line as typed (for the lock file), e.g. 'course autograde ps1'."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
