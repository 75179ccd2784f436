"""Builders of LMS bulk downloads as Moodle, Canvas and a plain folder per student write them.

Moodle (mod/assign "Download all submissions", folders on): one folder per submission named
`<fullname with '_' as ' '>_<participant id>_assignsubmission_<plugin>_/`, the uploaded files
inside under their own names, each member dated with the file's modification time.
Canvas (lib/content_zipper.rb): flat members `<lastfirst>[_LATE]_<user id>_<attachment id>_<name>`,
all dated when the zip was made. The caller spells lastfirst as Canvas would, so the tests say
what Canvas writes instead of recomputing it with the code under test.
"""

from __future__ import annotations

import datetime
import io
import stat
import struct
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

UNIX = 3
UTF8_FLAG = 0x800


def notebook_bytes(nb: NotebookNode) -> bytes:
    """A notebook as the bytes a student's editor writes."""
    return nbformat.writes(nb).encode("utf-8")


def zip_info(
    name: str, when: datetime.datetime, mode: int = stat.S_IFREG | 0o644
) -> zipfile.ZipInfo:
    """A member header made on Unix with the given date (local DOS time) and file mode."""
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.create_system = UNIX
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(path: Path, members: Iterable[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    """A zip of the given members, in order."""
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


@dataclass(frozen=True)
class MoodleSubmission:
    """One participant's files in a Moodle download."""

    full_name: str
    participant_id: int
    files: Mapping[str, bytes]
    modified: datetime.datetime
    onlinetext: str | None = None


def moodle_zip(path: Path, submissions: Iterable[MoodleSubmission]) -> Path:
    """A Moodle "Download all submissions" zip (folders per submission)."""
    members = []
    for sub in submissions:
        prefix = f"{sub.full_name.replace('_', ' ')}_{sub.participant_id}_assignsubmission"
        for name, data in sub.files.items():
            members.append((zip_info(f"{prefix}_file_/{name}", sub.modified), data))
        if sub.onlinetext is not None:
            html = f"<html><body>{sub.onlinetext}</body></html>".encode()
            members.append((zip_info(f"{prefix}_onlinetext_/onlinetext.html", sub.modified), html))
    return write_zip(path, members)


@dataclass(frozen=True)
class CanvasSubmission:
    """One student's files in a Canvas download; lastfirst spelled as Canvas writes it."""

    lastfirst: str
    user_id: int
    files: Mapping[str, bytes]
    late: bool = False
    attachment_ids: tuple[int, ...] = field(default=())


def canvas_zip(
    path: Path, submissions: Iterable[CanvasSubmission], zipped_at: datetime.datetime
) -> Path:
    """A Canvas "Download Submissions" zip: flat, every member dated when it was zipped."""
    members = []
    next_attachment = 9000
    for sub in submissions:
        late = "_LATE" if sub.late else ""
        for number, (name, data) in enumerate(sub.files.items()):
            attachment = (
                sub.attachment_ids[number] if sub.attachment_ids else next_attachment + number
            )
            member = f"{sub.lastfirst}{late}_{sub.user_id}_{attachment}_{name}"
            members.append((zip_info(member, zipped_at), data))
        next_attachment += 100
    return write_zip(path, members)


def plain_zip(
    path: Path, students: Mapping[str, Mapping[str, bytes]], when: datetime.datetime
) -> Path:
    """A zip with a folder per student id."""
    members = [
        (zip_info(f"{student}/{name}", when), data)
        for student, files in students.items()
        for name, data in files.items()
    ]
    return write_zip(path, members)


def plain_folder(root: Path, students: Mapping[str, Mapping[str, bytes]]) -> Path:
    """A folder with a folder per student id."""
    for student, files in students.items():
        for name, data in files.items():
            (root / student / name).parent.mkdir(parents=True, exist_ok=True)
            (root / student / name).write_bytes(data)
    return root


def lying_size_zip(path: Path, name: str, real: bytes, declared: int) -> Path:
    """A zip whose headers declare `declared` bytes for a member that inflates to `real`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, real)
    data = bytearray(buffer.getvalue())
    # Uncompressed size: offset 22 in the local header, offset 24 in the central directory.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        struct.pack_into("<I", data, at + offset, declared)
    path.write_bytes(bytes(data))
    return path


def unflagged_utf8_zip(path: Path, name: str, data: bytes, when: datetime.datetime) -> Path:
    """A zip with a UTF-8 member name but without the UTF-8 flag, as some zip tools write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zip_info(name, when), data)
    raw = bytearray(buffer.getvalue())
    # General purpose flags: offset 6 in the local header, offset 8 in the central directory.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.index(signature) + offset
        (flags,) = struct.unpack_from("<H", raw, at)
        struct.pack_into("<H", raw, at, flags & ~UTF8_FLAG)
    path.write_bytes(bytes(raw))
    return path
