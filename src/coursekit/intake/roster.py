"""The course roster: read a students CSV and import it into the gradebook."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.core.types import StudentInfo
from coursekit.intake.types import RosterImport
from coursekit.nbgrader import api as nbgrader_api

# Header spellings accepted for each field, compared after header_key().
COLUMNS: dict[str, tuple[str, ...]] = {
    "student_id": ("id", "student_id", "studentid", "student", "username", "login", "login_id"),
    "first_name": ("first_name", "firstname", "first", "given_name", "givenname", "forename"),
    "last_name": ("last_name", "lastname", "last", "surname", "family_name", "familyname"),
    "email": ("email", "e_mail", "email_address", "mail"),
    "lms_user_id": ("lms_user_id", "lms_id", "canvas_user_id", "canvas_id"),
}
FIELDS = tuple(f.name for f in fields(StudentInfo))
# nbgrader's student ids name folders (submitted/<student_id>/) and exchange files
# (<student_id>+<assignment>+<time>): no separators, no '+' or '*', no leading dot.
STUDENT_ID = re.compile(r"^[^\s/\\+*.][^\s/\\+*]*$")


def header_key(header: str) -> str:
    """A header as a key: lower case, spaces and dashes as underscores ('First Name')."""
    return re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").lower())


def map_columns(headers: Sequence[str], source: Path) -> dict[str, str]:
    """field -> the CSV header holding it; a CourseError if no column holds the student id."""
    mapping: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        for name, spellings in COLUMNS.items():
            if key in spellings and name not in mapping:
                mapping[name] = header
    if "student_id" not in mapping:
        raise CourseError(
            f"{source}: no student id column. Found columns {', '.join(headers) or 'none'}; "
            f"name one of: {', '.join(COLUMNS['student_id'])}."
        )
    return mapping


def check_student_id(student_id: str, line: int, source: Path) -> None:
    """A CourseError if a student id cannot name a folder and an exchange file."""
    if not STUDENT_ID.match(student_id):
        raise CourseError(
            f"{source}, line {line}: student id {student_id!r} is not usable by nbgrader "
            "(no spaces, '/', '\\', '+' or '*', and no leading '.')."
        )


def read_roster(source: Path) -> tuple[tuple[StudentInfo, ...], RosterImport]:
    """The students of a roster CSV and what its columns mean (an import with nothing done)."""
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CourseError(f"Cannot read the roster {source}: {error}") from error
    try:  # spreadsheets in many locales save ';'-separated "CSV"
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text.splitlines()[0] if text else "", delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    headers = [h for h in (reader.fieldnames or []) if h is not None]
    mapping = map_columns(headers, source)
    students: list[StudentInfo] = []
    lines: dict[str, list[int]] = {}
    for line, row in enumerate(reader, start=2):
        values = {name: (row.get(header) or "").strip() for name, header in mapping.items()}
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        student_id = values["student_id"]
        check_student_id(student_id, line, source)
        lines.setdefault(student_id, []).append(line)
        students.append(StudentInfo(**{name: values.get(name) or None for name in FIELDS}))
    duplicated = {sid: nums for sid, nums in lines.items() if len(nums) > 1}
    if duplicated:
        listed = "; ".join(
            f"{sid!r} on lines {', '.join(map(str, nums))}" for sid, nums in duplicated.items()
        )
        raise CourseError(f"{source}: duplicated student ids: {listed}. Keep one row each.")
    known = set(mapping.values())
    described = RosterImport(
        source=str(source),
        added=(),
        updated=(),
        unchanged=(),
        ignored_columns=tuple(h for h in headers if h not in known),
        missing_columns=tuple(name for name in COLUMNS if name not in mapping),
    )
    return tuple(students), described


def imported_fields(described: RosterImport) -> tuple[str, ...]:
    """The student fields a roster has columns for (the others are left as they are)."""
    return tuple(
        name for name in FIELDS if name != "student_id" and name not in described.missing_columns
    )


def import_roster(course: Course, source: Path) -> RosterImport:
    """Add or update the CSV's students in the gradebook; re-importing the same CSV is a no-op."""
    students, described = read_roster(source)
    columns = imported_fields(described)
    before = {student.student_id: student for student in nbgrader_api.read_students(course)}
    added, updated, unchanged = [], [], []
    changed: list[StudentInfo] = []
    for student in students:
        old = before.get(student.student_id)
        if old is None:
            added.append(student.student_id)
        elif all(getattr(old, name) == getattr(student, name) for name in columns):
            unchanged.append(student.student_id)
            continue
        else:
            updated.append(student.student_id)
        changed.append(student)
    nbgrader_api.update_or_create_students(course, changed, columns)
    return RosterImport(
        source=described.source,
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        ignored_columns=described.ignored_columns,
        missing_columns=described.missing_columns,
    )


def load_roster(course: Course, source: Path | None = None) -> tuple[StudentInfo, ...]:
    """The roster collect maps against: a CSV if given, else the gradebook's students."""
    if source is not None:
        return read_roster(source)[0]
    return nbgrader_api.read_students(course)
