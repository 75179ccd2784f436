"""Read an LMS download (a zip or a folder) entry by entry, refusing anything unsafe."""

from __future__ import annotations

import datetime
import os
import stat
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coursekit.core.errors import CourseError
from coursekit.intake.types import SkippedEntry

# Bytes are counted while reading, in chunks of this size, so a lying header cannot make us
# hold more than one chunk beyond a limit.
CHUNK_BYTES = 1 << 16
# Info-ZIP's "extended timestamp" extra field: the modification time in UTC seconds.
EXTENDED_TIMESTAMP = 0x5455
# zipfile's flag bit for an encrypted entry, and for a UTF-8 file name.
ENCRYPTED_FLAG = 0x1
UTF8_FLAG = 0x800
UNIX_SYSTEM = 3  # ZipInfo.create_system of zips made on Unix: external_attr holds st_mode


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may unpack to: a zip bomb stops at the first limit it reaches."""

    max_entries: int = 20_000
    max_entry_bytes: int = 200 * 2**20  # a notebook with many plots stays far below this
    max_total_bytes: int = 2 * 2**30


@dataclass(frozen=True)
class Entry:
    """One regular file of an archive: its path (safe components), size and date (UTC)."""

    parts: tuple[str, ...]
    size: int
    modified: datetime.datetime | None
    key: str  # how the reader finds it again (the zip member name or the file path)

    @property
    def path(self) -> str:
        """The entry's path as the archive names it, with '/' separators."""
        return "/".join(self.parts)


class ArchiveError(Exception):
    """One entry could not be read within the limits (the message says why)."""


def safe_parts(name: str) -> tuple[str, ...] | str:
    """The components of an archive path, or why it is unsafe to extract."""
    if "\x00" in name:
        return "a NUL character in the name"
    unified = name.replace("\\", "/")
    if unified.startswith("/") or PurePosixPath(unified).is_absolute():
        return "an absolute path"
    if len(unified) >= 2 and unified[1] == ":":
        return "a drive-letter path"
    parts = tuple(part for part in unified.split("/") if part not in ("", "."))
    if ".." in parts:
        return "a '..' component (it would escape the target folder)"
    if not parts:
        return "an empty name"
    return parts


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, repaired when a UTF-8 name was stored without the UTF-8 flag."""
    if info.flag_bits & UTF8_FLAG or info.filename.isascii():
        return info.filename
    try:  # zipfile decoded the raw bytes as cp437; most tools wrote UTF-8 without saying so
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def extended_mtime(extra: bytes) -> datetime.datetime | None:
    """The UTC modification time of an Info-ZIP extended-timestamp extra field, if present."""
    offset = 0
    while offset + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4 : offset + 4 + length]
        if header_id == EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            (seconds,) = struct.unpack_from("<i", body, 1)
            return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        offset += 4 + length
    return None


def zip_mtime(info: zipfile.ZipInfo, zone: ZoneInfo) -> datetime.datetime | None:
    """When a zip member was last modified, in UTC (its DOS time is local to `zone`)."""
    exact = extended_mtime(info.extra)
    if exact is not None:
        return exact
    try:
        local = datetime.datetime(*info.date_time, tzinfo=zone)
    except ValueError:  # a zeroed or corrupt DOS date
        return None
    return local.astimezone(datetime.UTC)


def zip_entry_problem(info: zipfile.ZipInfo) -> str:
    """Why a zip member must not be extracted ('' when it is a plain file)."""
    mode = info.external_attr >> 16
    # Only Unix zips carry a file type; many tools (Python's zipfile among them) store
    # permission bits without one, which is a plain file.
    if info.create_system == UNIX_SYSTEM and stat.S_IFMT(mode):
        if stat.S_ISLNK(mode):
            return "a symbolic link"
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            return "a device, pipe or socket, not a file"
    if info.flag_bits & ENCRYPTED_FLAG:
        return "encrypted"
    return ""


def resolve_zone(timezone: str) -> ZoneInfo:
    """The time zone zip dates are read in, or a CourseError naming the bad value."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CourseError(
            f"Unknown time zone {timezone!r}: use an IANA name such as UTC or Europe/Berlin."
        ) from error


class ArchiveReader:
    """The safe entries of a zip or a folder, the refused ones, and reading with limits."""

    def __init__(self, source: Path, limits: ArchiveLimits, timezone: str = "UTC") -> None:
        self.source = source
        self.limits = limits
        self.zone = resolve_zone(timezone)
        self.entries: list[Entry] = []
        self.refused: list[SkippedEntry] = []
        self.declared_bytes = 0
        self.read_bytes = 0
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}

    def refuse(self, path: str, reason: str) -> None:
        """Name an entry that will not be extracted, with the reason."""
        self.refused.append(SkippedEntry(path, reason))

    def admit(self, name: str, size: int, modified: datetime.datetime | None, key: str) -> None:
        """Add an entry if its path and declared size are safe; refuse it otherwise."""
        parts = safe_parts(name)
        if isinstance(parts, str):
            self.refuse(name, f"unsafe path: {parts}")
        elif len(self.entries) >= self.limits.max_entries:
            self.refuse(name, f"more than {self.limits.max_entries} entries in the archive")
        elif size > self.limits.max_entry_bytes:
            self.refuse(name, f"{size} bytes uncompressed, over {self.limits.max_entry_bytes}")
        elif self.declared_bytes + size > self.limits.max_total_bytes:
            self.refuse(name, f"the archive unpacks to over {self.limits.max_total_bytes} bytes")
        else:
            self.declared_bytes += size
            self.entries.append(Entry(parts, size, modified, key))

    def scan_zip(self, archive: zipfile.ZipFile) -> None:
        """List a zip's members from their headers (nothing is decompressed)."""
        for index, info in enumerate(archive.infolist()):
            name = zip_member_name(info)
            if info.is_dir() and not zip_entry_problem(info):
                continue
            problem = zip_entry_problem(info)
            if problem:
                self.refuse(name, problem)
            else:
                # By position: a zip may hold two members of one name.
                self._members[str(index)] = info
                self.admit(name, info.file_size, zip_mtime(info, self.zone), str(index))

    def scan_folder(self, folder: Path) -> None:
        """List a folder's files without following links."""
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            for name in sorted([*dirnames, *filenames]):
                path = Path(dirpath, name)
                relative = path.relative_to(folder).as_posix()
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    self.refuse(relative, "a symbolic link")
                elif stat.S_ISDIR(info.st_mode):
                    continue
                elif not stat.S_ISREG(info.st_mode):
                    self.refuse(relative, "a device, pipe or socket, not a file")
                else:
                    when = datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC)
                    self.admit(relative, info.st_size, when, str(path))
            dirnames[:] = [d for d in dirnames if not Path(dirpath, d).is_symlink()]

    def read(self, entry: Entry) -> bytes:
        """The entry's bytes, counted as they come; ArchiveError past a limit."""
        limit = min(entry.size, self.limits.max_entry_bytes)
        chunks: list[bytes] = []
        got = 0
        try:
            with self._open(entry) as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    got += len(chunk)
                    if got > limit or self.read_bytes + got > self.limits.max_total_bytes:
                        raise ArchiveError(
                            f"unpacks to more than {limit} bytes (its declared size or the limit)"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ArchiveError(f"unreadable: {error}") from error
        self.read_bytes += got
        return b"".join(chunks)

    @contextmanager
    def _open(self, entry: Entry) -> Iterator[object]:
        if self._zip is not None:
            with self._zip.open(self._members[entry.key]) as stream:
                yield stream
        else:
            # O_NOFOLLOW: a file swapped for a link after the scan is still not followed.
            fd = os.open(entry.key, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as stream:
                yield stream


@contextmanager
def open_archive(
    source: Path, limits: ArchiveLimits | None = None, timezone: str = "UTC"
) -> Iterator[ArchiveReader]:
    """An ArchiveReader over a zip file or a folder; a CourseError if it is neither."""
    reader = ArchiveReader(source, limits or ArchiveLimits(), timezone)
    if source.is_dir():
        reader.scan_folder(source)
        yield reader
        return
    if not source.is_file():
        raise CourseError(f"No such archive or folder: {source}")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise CourseError(
            f"{source} is not a zip file ({error}). Pass the LMS's zip download or a folder."
        ) from error
    with archive:
        reader._zip = archive
        reader.scan_zip(archive)
        yield reader
