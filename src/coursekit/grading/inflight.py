"""The in-flight journal: which students are being graded, and how to undo a grading cut off.

Before nbgrader touches a student, the journal gets an entry in gradebook/inflight/: the
gradebook's state of that submission (submission_state) and where a copy of the previous
autograded folder is kept (hard links beside it, costing no disk space). The entry is removed
when the grading ends, well or badly. An entry left behind means the grading was cut off (the
grader or its worker was killed): its grades may be half-written and its autograded folder
partial, so nothing of it is final. Readers ask `unfinished` to mark such students as
incomplete; the next autograde run puts the saved state back (`recover`) and grades them first.

A grading that fails because the disk is full is undone at once: the gradebook and the
autograded folder are put back as they were, and the error names the student and the disk.
Any other failure keeps nbgrader's own convention (autograded folder removed, which reports
and exports read as "autograde failed").
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coursekit.core.course import Course
from coursekit.core.errors import NbgraderError
from coursekit.grading.runlock import (
    Notice,
    RunInfo,
    command_line,
    lock_path,
    read_holder,
    this_run,
)
from coursekit.nbgrader.submission_state import SubmissionState, restore_submission, save_submission

JOURNAL_DIRNAME = "inflight"
# The copy of a student's previous autograded folder, beside it; nbgrader's globs ('*') and
# the formgrader skip names starting with a dot.
BACKUP_PREFIX = ".coursekit-previous-"
# What a full disk looks like in nbgrader's log: the OSError it caught and logged, or SQLite's.
DISK_FULL_MARKS = (
    f"[Errno {errno.ENOSPC}]",
    f"[Errno {errno.EDQUOT}]",
    "database or disk is full",
)


@dataclass(frozen=True)
class InFlight:
    """One journal entry: a student whose grading started and has not ended."""

    assignment_id: str
    student_id: str
    run: RunInfo  # the run that started it
    grader_pid: int  # the process grading it (a worker of that run, or the run itself)
    state: SubmissionState  # the gradebook's submission before the grading started
    backup: str | None  # the copy of the previous autograded folder, None if there was none
    path: Path

    def describe(self) -> str:
        """'s1 (being graded by pid 12 of run pid 10 on host h, started ...)'."""
        return (
            f"{self.student_id} (being graded by pid {self.grader_pid} of the run "
            f"{self.run.describe()})"
        )


def journal_dir(course: Course, assignment_id: str) -> Path:
    """gradebook/inflight/<assignment_id>/ of a course."""
    return course.root / "gradebook" / JOURNAL_DIRNAME / quote(assignment_id)


def quote(name: str) -> str:
    """A student or assignment id as one safe file name."""
    return urllib.parse.quote(name, safe="")


def unfinished(course: Course, assignment_id: str) -> dict[str, InFlight]:
    """student_id -> journal entry of each student whose grading was started and not ended."""
    folder = journal_dir(course, assignment_id)
    entries = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        entry = read_entry(path)
        if entry is not None:
            entries[entry.student_id] = entry
    return entries


def is_unfinished(course: Course, assignment_id: str, student_id: str) -> bool:
    """Whether a student's grading has a journal entry (being graded, or cut off)."""
    return entry_path(course, assignment_id, student_id).exists()


def entry_path(course: Course, assignment_id: str, student_id: str) -> Path:
    """The journal file of one student's grading."""
    return journal_dir(course, assignment_id) / f"{quote(student_id)}.json"


def read_entry(path: Path) -> InFlight | None:
    """The journal entry in a file; None if it vanished or was never completely written."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # written to a temporary name and renamed: a torn file is never an entry
    return InFlight(
        assignment_id=data["assignment_id"],
        student_id=data["student_id"],
        run=RunInfo(**data["run"]),
        grader_pid=data["grader_pid"],
        state=SubmissionState.from_json(data["state"]),
        backup=data["backup"],
        path=path,
    )


def write_entry(path: Path, data: dict[str, Any]) -> None:
    """Write a journal file atomically and durably (temporary file, fsync, rename, fsync dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in folder durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_entry(path: Path) -> None:
    """Remove a journal file (durably); nothing if it is gone already."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        fsync_dir(path.parent)


def backup_path(autograded: Path) -> Path:
    """Where the previous autograded folder is kept while a student is graded."""
    return autograded.with_name(BACKUP_PREFIX + autograded.name)


def keep_previous(autograded: Path) -> Path | None:
    """Hard-link a copy of the previous autograded folder beside it; None if there is none."""
    backup = backup_path(autograded)
    if backup.exists():  # a copy left by a cut-off grading that was already recovered
        shutil.rmtree(backup)
    if not autograded.is_dir():
        return None
    try:
        shutil.copytree(autograded, backup, copy_function=os.link)
    except OSError:
        # A filesystem without hard links: a real copy (which a full disk refuses, loudly).
        shutil.rmtree(backup, ignore_errors=True)
        shutil.copytree(autograded, backup)
    return backup


def put_back(autograded: Path, backup: str | None) -> None:
    """Replace whatever a cut-off grading left in the autograded folder by the previous one."""
    if autograded.exists():
        shutil.rmtree(autograded)
    if backup is not None and Path(backup).is_dir():
        os.replace(backup, autograded)


def recover(course: Course, entry: InFlight) -> None:
    """Undo a cut-off grading: the gradebook and the autograded folder as they were before it."""
    restore_submission(course.db_url, course.layout.course_id, entry.state)
    put_back(course.autograded_dir(entry.assignment_id, entry.student_id), entry.backup)
    remove_entry(entry.path)


def recover_cut_off(course: Course, assignment_id: str, notice: Notice | None) -> list[str]:
    """Undo every cut-off grading of an assignment (with the run lock held); their students."""
    entries = unfinished(course, assignment_id)
    for entry in entries.values():
        recover(course, entry)
    if entries and notice is not None:
        notice(
            f"Grading again {', '.join(entries)}: a run was stopped while grading them "
            f"({'; '.join(sorted({e.run.describe() for e in entries.values()}))}); what it had "
            "written of their grades was undone."
        )
    return sorted(entries)


def is_disk_full(error: BaseException) -> bool:
    """Whether a grading failed because a disk (or quota) was full."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error) + (error.log_tail if isinstance(error, NbgraderError) else "")
    return any(mark in text for mark in DISK_FULL_MARKS)


def read_text(path: Path) -> str:
    """A small file's text; '' if it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def disk_of(path: Path) -> str:
    """'the filesystem mounted at /x (12 kB free)' for the nearest existing folder of path."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    mount = folder
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    stat = os.statvfs(folder)
    free_kb = stat.f_bavail * stat.f_frsize // 1024
    return f"the filesystem mounted at {mount} ({free_kb} kB free)"


@contextlib.contextmanager
def grading(course: Course, assignment_id: str, student_id: str) -> Iterator[None]:
    """Journal one student's grading for the block; undo it if the disk fills up."""
    path = entry_path(course, assignment_id, student_id)
    stale = read_entry(path) if path.exists() else None
    if stale is not None:  # an earlier attempt in this run died (a Dask worker lost, retried)
        recover(course, stale)
    autograded = course.autograded_dir(assignment_id, student_id)
    state = save_submission(course.db_url, course.layout.course_id, assignment_id, student_id)
    try:
        backup = keep_previous(autograded)
    except OSError as error:
        if not is_disk_full(error):
            raise
        raise disk_full_error(course, assignment_id, student_id, autograded, error) from error
    # The run holding the course's lock (this process, or the one whose worker this is).
    run = read_holder(read_text(lock_path(course.root))) or this_run(command_line())
    data = {
        "assignment_id": assignment_id,
        "student_id": student_id,
        "run": asdict(run),
        "grader_pid": os.getpid(),
        "state": state.to_json(),
        "backup": None if backup is None else str(backup),
    }
    try:
        write_entry(path, data)
    except OSError as error:
        discard(backup, path)
        if not is_disk_full(error):
            raise
        raise disk_full_error(course, assignment_id, student_id, path.parent, error) from error
    entry = read_entry(path)
    assert entry is not None  # just written
    try:
        yield
    except Exception as error:
        if is_disk_full(error):
            recover(course, entry)
            raise disk_full_error(course, assignment_id, student_id, autograded, error) from error
        discard(backup, path)
        raise
    # KeyboardInterrupt and the like leave the entry: the next run recovers it.
    discard(backup, path)


def discard(backup: Path | None, journal: Path) -> None:
    """End a grading's journal entry, dropping the previous folder's copy."""
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    remove_entry(journal)


def disk_full_error(
    course: Course, assignment_id: str, student_id: str, autograded: Path, error: BaseException
) -> NbgraderError:
    """The error of a grading stopped by a full disk: which student, which disk, what to do."""
    tail = error.log_tail if isinstance(error, NbgraderError) else str(error)
    return NbgraderError(
        f"No space left on {disk_of(autograded)} while autograding {student_id!r} on "
        f"{assignment_id!r} (writing {autograded}): the gradebook and the autograded folder "
        f"keep {student_id}'s previous state. Free some space, then run "
        f"`course autograde {assignment_id} --student {student_id}` again.",
        tail,
    )
