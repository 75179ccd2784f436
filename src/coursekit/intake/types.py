"""What intake produces: problems found in a submission, collected archives, roster imports.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Whether a submission problem stops grading (fatal) or is only reported (warning)."""

    FATAL = "fatal"
    WARNING = "warning"


@dataclass(frozen=True)
class SubmissionProblem:
    """Something wrong with one notebook of a submission, with a reason a person can act on."""

    notebook_id: str
    severity: Severity
    reason: str
    handed_in: bool = True  # False: the notebook is simply not there (it scores 0)


@dataclass(frozen=True)
class RosterImport:
    """`course roster import`: which students were added, updated or already as in the CSV."""

    source: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    ignored_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedEntry:
    """An archive entry that was not collected, and why (unsafe, unmapped, not a notebook)."""

    path: str
    reason: str


class CollectAction(StrEnum):
    """What collecting did to one student's submitted folder."""

    NEW = "new"  # there was no submission: written
    REPLACED = "replaced"  # the archive's is newer: the old one replaced
    UNCHANGED = "unchanged"  # the same notebooks are already there: nothing written
    KEPT = "kept"  # the folder holds a newer (or equally old) different one: left as it was


@dataclass(frozen=True)
class CollectedNotebook:
    """One notebook taken from the archive, and the other candidates it won against."""

    notebook_id: str
    source: str  # the entry's path in the archive
    filename: str  # the file's name as the student uploaded it
    modified: datetime.datetime | None
    passed_over: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectedStudent:
    """One student's submission as found in the archive and what became of it."""

    student_id: str
    lms_name: str
    action: CollectAction
    timestamp: datetime.datetime | None
    late: bool = False  # the LMS marked it late (Canvas's LATE); timestamps say the rest
    notebooks: tuple[CollectedNotebook, ...] = ()
    unmatched: tuple[str, ...] = ()  # .ipynb files that match no notebook of the assignment
    reason: str = ""


@dataclass(frozen=True)
class CollectReport:
    """`course collect`: each student's submission and every entry that was not collected."""

    assignment_id: str
    archive: str
    layout: str
    students: tuple[CollectedStudent, ...]
    refused: tuple[SkippedEntry, ...] = ()  # unsafe: never extracted
    unmapped: tuple[SkippedEntry, ...] = ()  # no roster student (or more than one) fits
    ignored: tuple[SkippedEntry, ...] = ()  # not a notebook (feedback HTML, data files)
    missing: tuple[str, ...] = ()  # roster students without anything in the archive

    @property
    def ok(self) -> bool:
        """Nothing refused, every submission mapped to a student, every notebook recognised."""
        return (
            not self.refused
            and not self.unmapped
            and not any(student.unmatched for student in self.students)
        )
