"""Collect an LMS bulk download into nbgrader's submitted/ folders, mapped through the roster."""

from __future__ import annotations

import datetime
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.core.types import StudentInfo
from coursekit.intake import lms_formats
from coursekit.intake.archive import ArchiveError, ArchiveLimits, ArchiveReader, open_archive
from coursekit.intake.lms_formats import Layout, LmsFile
from coursekit.intake.roster import STUDENT_ID, load_roster
from coursekit.intake.types import (
    CollectAction,
    CollectedNotebook,
    CollectedStudent,
    CollectReport,
    SkippedEntry,
)
from coursekit.nbgrader import api as nbgrader_api
from coursekit.nbgrader.api import TIMESTAMP_FORMAT

EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class NoStudent:
    """Why a file maps to no roster student (none fits, or several do: the candidates)."""

    reason: str
    candidates: tuple[str, ...] = ()


class NameIndex:
    """Roster students by a name key, exact and without accents."""

    def __init__(self, named: Iterable[tuple[str, str]]) -> None:
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.unaccented: dict[str, set[str]] = defaultdict(set)
        for key, student_id in named:
            self.exact[key].add(student_id)
            self.unaccented[lms_formats.strip_accents(key)].add(student_id)

    def find(self, key: str, owner: str, hint: str) -> str | NoStudent:
        """The one student under key (exact, else without accents); never one of namesakes."""
        for index, wanted in ((self.exact, key), (self.unaccented, lms_formats.strip_accents(key))):
            found = sorted(index.get(wanted, ()))
            if len(found) == 1:
                return found[0]
            if found:
                return NoStudent(
                    f"ambiguous: {len(found)} roster students ({', '.join(found)}) are named "
                    f"{owner!r} {hint}",
                    tuple(found),
                )
        return NoStudent(f"no roster student is named {owner!r} {hint}")


class RosterIndex:
    """Finds the roster student an LMS wrote a file for; never guesses between two."""

    def __init__(self, students: Sequence[StudentInfo]) -> None:
        self.ids = {s.student_id for s in students}
        self.direct = {s.student_id.casefold(): s.student_id for s in students}
        self.direct.update({s.email.casefold(): s.student_id for s in students if s.email})
        self.moodle_names = NameIndex(
            (key, s.student_id)
            for s in students
            for key in lms_formats.moodle_name_keys(s.first_name or "", s.last_name or "")
        )
        self.canvas_ids = {s.lms_user_id: s.student_id for s in students if s.lms_user_id}
        self.canvas_names = NameIndex(
            (lms_formats.canvas_name_key(s.first_name or "", s.last_name or ""), s.student_id)
            for s in students
        )

    def moodle(self, file: LmsFile) -> str | NoStudent:
        """Moodle: the folder's full name (or a student id or email shown as the name)."""
        owner = lms_formats.fold(file.owner)
        if owner in self.direct:
            return self.direct[owner]
        hint = "(Moodle's id in the folder is per assignment)"
        return self.moodle_names.find(owner, file.owner, hint)

    def canvas(self, file: LmsFile) -> str | NoStudent:
        """Canvas: the user id if the roster has lms_user_id, else the lastfirst name."""
        if file.lms_id in self.canvas_ids:
            return self.canvas_ids[file.lms_id]
        hint = f"(add Canvas user id {file.lms_id} as lms_user_id to the roster)"
        return self.canvas_names.find(lms_formats.fold(file.owner), file.owner, hint)

    def plain(self, file: LmsFile) -> str | NoStudent:
        """Plain: the folder is the student id (any valid id when the roster is empty)."""
        if file.owner in self.ids or (not self.ids and STUDENT_ID.match(file.owner)):
            return file.owner
        return NoStudent(f"no student {file.owner!r} in the roster")

    def student_for(self, file: LmsFile, layout: Layout) -> str | NoStudent:
        """The student_id a file was submitted by, or why there is none."""
        find = {Layout.MOODLE: self.moodle, Layout.CANVAS: self.canvas, Layout.PLAIN: self.plain}
        found = find[layout](file)
        # The id names a folder under submitted/: one from a gradebook filled by other means
        # must not lead outside it.
        if isinstance(found, str) and not STUDENT_ID.match(found):
            return NoStudent(f"student id {found!r} cannot name a folder under submitted/")
        return found


def by_recency(candidate: tuple[LmsFile, int]) -> tuple[datetime.datetime, int, str]:
    """Sort key: the entry's date, then the copy number ("-2" after "-1"), then the path."""
    file, copy = candidate
    return (file.entry.modified or EARLIEST, copy, file.entry.path)


def read_existing_timestamp(folder: Path) -> datetime.datetime | None:
    """The UTC time of a submitted folder's timestamp.txt, or None if it has none."""
    stamp = folder / "timestamp.txt"
    if not stamp.is_file():
        return None
    try:
        naive = nbgrader_api.parse_timestamp(stamp.read_text())
    except ValueError:
        return None
    return naive.replace(tzinfo=datetime.UTC)


def store_submission(
    folder: Path, notebooks: dict[str, bytes], timestamp: datetime.datetime
) -> tuple[CollectAction, str]:
    """Write a submission unless the same or a newer one is there; swap folders, never mix."""
    if folder.is_dir():
        old = {p.name: p.read_bytes() for p in folder.glob("*.ipynb") if p.is_file()}
        if old == notebooks:
            return CollectAction.UNCHANGED, ""
        existing = read_existing_timestamp(folder)
        if existing is not None and timestamp <= existing:
            return CollectAction.KEPT, (
                f"{folder} holds a different submission from {existing:%Y-%m-%d %H:%M:%S} UTC, "
                f"not older than this one ({timestamp:%Y-%m-%d %H:%M:%S} UTC)"
            )
    stage = folder.with_name(f".{folder.name}.collecting")
    aside = folder.with_name(f".{folder.name}.replaced")
    for leftover in (stage, aside):  # ours, from a run that was interrupted
        shutil.rmtree(leftover, ignore_errors=True)
    stage.mkdir(parents=True)
    for name, data in notebooks.items():
        (stage / name).write_bytes(data)
    (stage / "timestamp.txt").write_text(timestamp.strftime(TIMESTAMP_FORMAT))
    if not folder.is_dir():
        stage.rename(folder)
        return CollectAction.NEW, ""
    folder.rename(aside)
    stage.rename(folder)
    shutil.rmtree(aside)
    return CollectAction.REPLACED, ""


def collect_student(
    course: Course,
    assignment_id: str,
    student_id: str,
    files: Sequence[LmsFile],
    reader: ArchiveReader,
    notebook_ids: Sequence[str],
) -> tuple[CollectedStudent, list[SkippedEntry], list[SkippedEntry]]:
    """Choose, read and store one student's notebooks; also return (refused, ignored) entries."""
    candidates: dict[str, list[tuple[LmsFile, int]]] = defaultdict(list)
    unmatched, ignored, refused = [], [], []
    for file in files:
        matched = lms_formats.match_notebook(file.filename, notebook_ids)
        if matched:
            candidates[matched[0]].append((file, matched[1]))
        elif file.filename.lower().endswith(".ipynb"):
            unmatched.append(file.entry.path)
        else:
            ignored.append(SkippedEntry(file.entry.path, "not a notebook"))
    chosen: list[CollectedNotebook] = []
    data: dict[str, bytes] = {}
    for notebook_id, found in sorted(candidates.items()):
        ranked = sorted(found, key=by_recency)
        winner = ranked[-1][0]
        try:
            data[f"{notebook_id}.ipynb"] = reader.read(winner.entry)
        except ArchiveError as error:
            refused.append(SkippedEntry(winner.entry.path, str(error)))
            continue
        passed_over = tuple(file.entry.path for file, _ in reversed(ranked[:-1]))
        chosen.append(
            CollectedNotebook(
                notebook_id, winner.entry.path, winner.filename, winner.entry.modified, passed_over
            )
        )
    owners = ", ".join(sorted({file.owner for file in files}))
    late = any(file.late for file in files)
    dates = [n.modified for n in chosen if n.modified is not None]
    timestamp = max(dates) if dates else datetime.datetime.now(datetime.UTC)
    if refused or not chosen:
        why = "an entry could not be read" if refused else "no notebook of the assignment"
        action, reason = CollectAction.KEPT, f"nothing written: {why}"
    else:
        folder = course.submitted_dir(assignment_id, student_id)
        action, reason = store_submission(folder, data, timestamp)
    student = CollectedStudent(
        student_id=student_id,
        lms_name=owners,
        action=action,
        timestamp=timestamp if chosen else None,
        late=late,
        notebooks=tuple(chosen),
        unmatched=tuple(sorted(unmatched)),
        reason=reason,
    )
    return student, refused, ignored


def collect_submissions(
    course: Course,
    assignment_id: str,
    archive: Path,
    roster: Path | None = None,
    timezone: str = "UTC",
    limits: ArchiveLimits | None = None,
) -> CollectReport:
    """Map an LMS download's files to roster students and store each one's latest notebooks."""
    notebook_ids = course.notebook_ids(assignment_id)
    with open_archive(archive, limits, timezone) as reader:  # a bad archive fails first
        students = load_roster(course, roster)
        index = RosterIndex(students)
        ignored = [
            SkippedEntry(e.path, "system file") for e in reader.entries if lms_formats.is_noise(e)
        ]
        entries = [e for e in reader.entries if not lms_formats.is_noise(e)]
        entries = lms_formats.strip_wrapper(entries, index.ids)
        layout = lms_formats.detect_layout(entries)
        if layout is not Layout.PLAIN and not students:
            raise CourseError(
                f"{archive} is a {layout.value} download, which names students, but the "
                "gradebook has no students: run `course roster import students.csv` first "
                "or pass --roster students.csv."
            )
        found: dict[str, list[LmsFile]] = defaultdict(list)
        unmapped: list[SkippedEntry] = []
        candidates: set[str] = set()  # namesakes of an unmapped file: not "missing"
        for entry in entries:
            parsed = lms_formats.PARSERS[layout](entry)
            if isinstance(parsed, str):
                unmapped.append(SkippedEntry(entry.path, parsed))
                continue
            student_id = index.student_for(parsed, layout)
            if isinstance(student_id, NoStudent):
                unmapped.append(SkippedEntry(entry.path, student_id.reason))
                candidates.update(student_id.candidates)
            else:
                found[student_id].append(parsed)
        outcomes, refused = [], list(reader.refused)
        for student_id in sorted(found):
            outcome, bad, skipped = collect_student(
                course, assignment_id, student_id, found[student_id], reader, notebook_ids
            )
            outcomes.append(outcome)
            refused += bad
            ignored += skipped
    return CollectReport(
        assignment_id=assignment_id,
        archive=str(archive),
        layout=layout.value,
        students=tuple(outcomes),
        refused=tuple(refused),
        unmapped=tuple(unmapped),
        ignored=tuple(ignored),
        missing=tuple(sorted(index.ids - set(found) - candidates)),
    )
