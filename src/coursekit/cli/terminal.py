"""What the terminal allows: its width, whether to colour, and lines cut or wrapped to fit."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from coursekit.core.formatting import HANDFUL

ELLIPSIS = "…"
UNBROKEN = "\x00"  # stands for a space textwrap must not break at
# ANSI SGR codes, by what they mark; only on a terminal (never in a pipe, a file or NO_COLOR).
STYLES = {"problem": "31", "attention": "33", "ok": "32", "dim": "2", "bold": "1"}


def output_width(stream: TextIO | None = None) -> int | None:
    """The columns lines must fit: $COLUMNS if set, else the terminal's; None when piped."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # a stream without a file, or a closed one
        pass
    return None


def uses_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never under NO_COLOR (no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def fit(line: str, width: int | None) -> str:
    """The line cut to width characters, an ellipsis saying it was; as is without a width."""
    if width is None or len(line) <= width:
        return line
    return line[: max(width - 1, 0)].rstrip() + ELLIPSIS


def wrap(line: str, width: int | None, keep: Sequence[str] = ()) -> list[str]:
    """A line longer than width broken between words, each part under the line's own indent
    plus two. A word longer than the room, and each string of keep (paths, spaces and all), is
    never split: copied whole from the terminal, a path still works."""
    if width is None or len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    text = line.strip()
    for whole in keep:
        text = text.replace(whole, whole.replace(" ", UNBROKEN))
    parts = textwrap.wrap(
        text,
        max(width, len(indent) + 20),
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(UNBROKEN, " ") for part in parts]


def wrap_text(text: str, width: int | None, keep: Sequence[str] = ()) -> str:
    """Each line of text wrapped to width, the strings of keep never split."""
    return "\n".join(part for line in text.split("\n") for part in wrap(line, width, keep))


def paint(text: str, style: str, color: bool) -> str:
    """text in one of STYLES on a terminal, else unchanged."""
    return f"\x1b[{STYLES[style]}m{text}\x1b[0m" if color and text else text


def duration(seconds: float | None) -> str:
    """A duration as 1h02m, 3m05s or 42s; '?' when unknown."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, minutes, secs = whole // 3600, whole % 3600 // 60, whole % 60
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def names_or_count(names: Sequence[str], noun: str, limit: int = HANDFUL) -> str:
    """`a, b and c` up to limit names, else `12 notebooks`."""
    if len(names) > limit:
        return f"{len(names)} {noun}s"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def echo(text: str, stream: TextIO | None = None, keep: Sequence[str] = ()) -> None:
    """Print text with each line wrapped to the terminal's width (as is in a pipe), the
    strings of keep (the paths it names) never split."""
    stream = stream or sys.stdout
    print(wrap_text(text, output_width(stream), keep), file=stream)
