"""One autograde run per course at a time: a lock file in gradebook/ held with flock for the run.

The lock is the open file's flock, not the file's existence: the kernel releases it when the
holding process dies, however it dies (SIGKILL included), so a lock is never stuck. The file
holds who took it (pid, host, start time, command) so that a refused run can name the other
one, and a run that finds the file filled but unlocked knows the last run ended without
releasing it (killed) and says it takes over. The file is emptied, never deleted, on release:
deleting it would let a run that opened the old file and a run that created a new one both
hold "the" lock.

Stock nbgrader commands do not take this lock (they know nothing of it). Worker processes
forked from the run share its lock (a fork shares the open file), so a run whose main process
was killed still holds the lock until its workers have finished their students.
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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from coursekit.core.errors import CourseError

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

    def describe(self) -> str:
        """'pid 123 on host h, started 2026-11-25T10:00:00+00:00 (course autograde ps1)'."""
        return f"pid {self.pid} on host {self.host}, started {self.started} ({self.command})"

    def alive(self) -> bool | None:
        """Whether the process still runs: None when it runs on another host (cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


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
        return RunInfo(int(data["pid"]), str(data["host"]), str(data["started"]), data["command"])
    except (ValueError, KeyError, TypeError):
        return None


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
                f"releasing it ({stale.describe()}; that process is gone)."
            )
        mine = this_run(command)
        write_fd(fd, json.dumps(asdict(mine)) + "\n")
        try:
            yield mine
        finally:
            if os.getpid() == mine.pid:  # a forked worker leaving this block must not release
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
    state = ""
    if holder.alive() is False:
        state = (
            " Its main process is gone, but processes it started (grading workers) still hold "
            "the lock while they finish their students."
        )
    return (
        f"Another autograde run is grading this course: {holder.describe()}; lock {path}.{state} "
        f"Wait for it to finish (or stop it: kill {holder.pid}) and run again."
    )


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
