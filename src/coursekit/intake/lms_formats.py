"""How Moodle, Canvas and a plain folder per student name submitted files, and how to read them.

Moodle's "Download all submissions" (mod/assign, one folder per submission, Moodle >= 3.1):
    Full Name_<participant id>_assignsubmission_file_/<original file name>
    Full Name_<participant id>_assignsubmission_onlinetext_/onlinetext.html
  The name is Moodle's fullname() with '_' turned into ' '; the number is the assignment's
  participant id (the same for blind marking), not a user or student id. Without folders
  (older Moodle, or the option off) the file follows the folder name instead of a '/'.
Canvas's "Download Submissions" (lib/content_zipper.rb), one flat folder:
    <lastfirst>_<user id>_<attachment id>_<original file name>
    <lastfirst>_LATE_<user id>_<attachment id>_<original file name>
  lastfirst is the sortable name "Last, First" in lower case with every non-word character
  removed ("müllerjürgen"); anonymous grading writes anon_<id> instead of name and user id.
  A file uploaded again under the same name gets Canvas's -1, -2 ... suffix.
Plain: <student_id>/<notebook>.ipynb (a zip or a folder), for hand-made collections.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from coursekit.intake.archive import Entry

MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_$")
MOODLE_FLAT = re.compile(
    r"^(?P<name>[^_]+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_(?P<file>.+)$"
)
CANVAS_FILE = re.compile(
    r"^(?P<name>.*?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$"
)
CANVAS_ANONYMOUS = re.compile(r"^(?:LATE_)?anon_(?P<id>[^_]+)_(?P<attachment>\d+)_(?P<file>.+)$")
# Files an OS or editor adds that nobody submitted on purpose.
NOISE = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints)(/|$)|(^|/)(\.DS_Store|Thumbs\.db)$")
COPY_OF = re.compile(r"^(copy of\s+)+", re.IGNORECASE)  # Colab's "Copy of X.ipynb"
BROWSER_COPY = re.compile(r"\s*\((?P<n>\d+)\)$")  # a second download: "X (1).ipynb"
CANVAS_COPY = re.compile(r"-(?P<n>\d+)$")  # Canvas's re-upload: "X-1.ipynb"
SEPARATORS = re.compile(r"[\s_\-]+")


class Layout(StrEnum):
    """Which LMS wrote the archive."""

    MOODLE = "moodle"
    CANVAS = "canvas"
    PLAIN = "plain"


@dataclass(frozen=True)
class LmsFile:
    """One archive entry read as a submitted file: whose it is and its original name."""

    entry: Entry
    owner: str  # Moodle's full name, Canvas's lastfirst, the plain folder's name
    lms_id: str  # Moodle's participant id or Canvas's user id ('' for plain)
    filename: str  # the file's own name, as the student uploaded it
    late: bool = False


def parse_moodle(entry: Entry) -> LmsFile | str:
    """A Moodle entry as a submitted file, or why it is not one."""
    folder = MOODLE_FOLDER.match(entry.parts[0])
    if folder and len(entry.parts) > 1:
        return LmsFile(entry, folder["name"], folder["id"], entry.parts[-1])
    flat = MOODLE_FLAT.match(entry.parts[0])
    if flat and len(entry.parts) == 1:
        return LmsFile(entry, flat["name"], flat["id"], flat["file"])
    return "not named like Moodle's 'Full Name_<id>_assignsubmission_<type>_'"


def parse_canvas(entry: Entry) -> LmsFile | str:
    """A Canvas entry as a submitted file, or why it is not one."""
    if len(entry.parts) != 1:
        return "Canvas downloads are flat, but this file is in a folder"
    if CANVAS_ANONYMOUS.match(entry.parts[0]):
        return "anonymous grading hides who submitted it: turn anonymity off to download names"
    found = CANVAS_FILE.match(entry.parts[0])
    if not found:
        return "not named like Canvas's '<lastfirst>_<user id>_<file id>_<file name>'"
    return LmsFile(entry, found["name"], found["id"], found["file"], late=bool(found["late"]))


def parse_plain(entry: Entry) -> LmsFile | str:
    """A plain entry, <student_id>/.../<file>, as a submitted file, or why it is not one."""
    if len(entry.parts) < 2:
        return "not in a folder named after a student"
    return LmsFile(entry, entry.parts[0], "", entry.parts[-1])


PARSERS = {Layout.MOODLE: parse_moodle, Layout.CANVAS: parse_canvas, Layout.PLAIN: parse_plain}


def detect_layout(entries: Sequence[Entry]) -> Layout:
    """The layout most entries follow: Moodle, then Canvas, else a plain folder per student."""
    moodle = sum(isinstance(parse_moodle(entry), LmsFile) for entry in entries)
    canvas = sum(isinstance(parse_canvas(entry), LmsFile) for entry in entries)
    if moodle and moodle >= canvas:
        return Layout.MOODLE
    if canvas * 2 > len(entries):
        return Layout.CANVAS
    return Layout.PLAIN


def strip_wrapper(entries: Sequence[Entry], known_ids: Iterable[str]) -> list[Entry]:
    """Drop one folder that wraps the whole archive (a re-zipped download), if there is one."""
    tops = {entry.parts[0] for entry in entries}
    if len(tops) != 1 or any(len(entry.parts) < 2 for entry in entries):
        return list(entries)
    inner = [Entry(entry.parts[1:], entry.size, entry.modified, entry.key) for entry in entries]
    ids = set(known_ids)
    (top,) = tops
    if detect_layout(inner) is not Layout.PLAIN:
        return inner
    if top not in ids and any(entry.parts[0] in ids for entry in inner):
        return inner
    return list(entries)


def is_noise(entry: Entry) -> bool:
    """Whether an entry is an OS or editor leftover (macOS resource forks, checkpoints)."""
    return bool(NOISE.search(entry.path))


def fold(text: str) -> str:
    """A name as a comparison key: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def strip_accents(text: str) -> str:
    """A key without accents ("jürgen" -> "jurgen"), for LMSs that transliterate names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def moodle_name_keys(first: str, last: str) -> set[str]:
    """How Moodle may write a full name in a folder: 'First Last' or 'Last First'."""
    first, last = first.replace("_", " "), last.replace("_", " ")
    return {fold(f"{first} {last}"), fold(f"{last} {first}")}


def canvas_name_key(first: str, last: str) -> str:
    """Canvas's lastfirst: the sortable name 'Last, First' case-folded, non-word chars dropped."""
    sortable = unicodedata.normalize("NFC", f"{last}, {first}").casefold()
    return re.sub(r"_(\d+)_", r"\1", re.sub(r"[^\w]", "", sortable))


def notebook_key(stem: str) -> tuple[str, int]:
    """A file stem without the marks of copies, as a key, and the copy's number (0: none)."""
    text = COPY_OF.sub("", unicodedata.normalize("NFC", stem).strip())
    copy = 0
    for pattern in (BROWSER_COPY, CANVAS_COPY, BROWSER_COPY):
        found = pattern.search(text)
        if found:
            copy = max(copy, int(found["n"]))
            text = text[: found.start()]
    return SEPARATORS.sub("_", text.casefold()).strip("_"), copy


def match_notebook(filename: str, notebook_ids: Sequence[str]) -> tuple[str, int] | None:
    """The notebook id a submitted .ipynb stands for, and its copy number; None if none fits."""
    if not filename.lower().endswith(".ipynb"):
        return None
    stem = filename[: -len(".ipynb")]
    if stem in notebook_ids:
        return stem, 0
    exact = {SEPARATORS.sub("_", nid.casefold()): nid for nid in notebook_ids}
    folded = SEPARATORS.sub("_", stem.casefold()).strip("_")
    if folded in exact:  # a case change only; "-1" may belong to the real name
        return exact[folded], 0
    key, copy = notebook_key(stem)
    return (exact[key], copy) if key in exact else None
