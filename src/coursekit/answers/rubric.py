"""The rubric of a written-answer cell, parsed strictly from the instructor's Markdown.

An instructor writes it by hand below the model answer, as a bulleted list of items, each with
its points (negative ones deduct, 0 labels an answer worth nothing) and what earns them:

    **Rubric (2 points).**

    - +1: the loss stays above zero: noisy data cannot be fitted exactly.
    - +1: the fitted parameters deviate more with a larger uncertainty,
      ideally with the numbers printed above.
    - -0.5: claims the noise shifts the fit in one direction.

    Anything after the list is a note to graders (no item).

The positive items must add up to the points in the heading and in the cell's nbgrader metadata,
so what a TA can give equals what the gradebook expects. Anything else is an error naming the
notebook, the cell and the line: a malformed rubric must stop the grading page, not silently
drop an item.
"""

from __future__ import annotations

import re

from coursekit.answers.types import Rubric, RubricItem
from coursekit.core.errors import CourseError

HEADING = re.compile(r"^\*\*Rubric \((?P<points>\d+(?:\.\d+)?) points?(?P<aside>[^)]*)\)\.\*\*$")
ITEM = re.compile(r"^- (?P<sign>[+\-−]?)(?P<points>\d+(?:\.\d+)?): (?P<description>\S.*)$")
CONTINUATION = re.compile(r"^ {2,}\S")
BULLET = re.compile(r"^\s*[-*+] ")
MODEL_LABEL = re.compile(r"^\*\*Model answer[^*]*\*\*\s*")
# Points are halves and quarters; anything closer than this is the same number.
POINTS_TOLERANCE = 1e-9
ITEM_HINT = "write each item as '- +1: what earns the point' (or '- -0.5: what costs it')"


class RubricError(CourseError):
    """A written-answer cell whose rubric cannot be read: which notebook, cell and line."""


def split_cell(text: str, where: str) -> tuple[str, str]:
    """(model answer, rubric text) of an instructor's written-answer cell."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("**Rubric")]
    if len(starts) != 1:
        found = "no" if not starts else f"{len(starts)}"
        raise RubricError(
            f"{where}: {found} '**Rubric (N points).**' heading; a written answer needs exactly "
            "one, followed by its items"
        )
    model = "\n".join(lines[: starts[0]]).strip()
    return MODEL_LABEL.sub("", model), "\n".join(lines[starts[0] :])


def parse_rubric(text: str, cell_points: float, where: str) -> Rubric:
    """The rubric in text (heading first); RubricError naming `where` and the line if malformed."""
    lines = text.strip().split("\n")
    heading = HEADING.match(lines[0].strip())
    if heading is None:
        raise RubricError(
            f"{where}: the rubric heading {lines[0].strip()!r} is not '**Rubric (N points).**' "
            "(or '**Rubric (N points, a remark).**')"
        )
    points = float(heading["points"])
    items: list[RubricItem] = []
    end = len(lines)
    for index in range(1, len(lines)):
        line = lines[index]
        match = ITEM.match(line)
        if not line.strip():
            continue
        if match:
            sign = -1.0 if match["sign"] in ("-", "−") else 1.0
            items.append(RubricItem(sign * float(match["points"]), match["description"].strip()))
        elif CONTINUATION.match(line) and items and lines[index - 1].strip():
            last = items[-1]
            items[-1] = RubricItem(last.points, f"{last.description} {line.strip()}")
        elif BULLET.match(line):
            raise RubricError(f"{where}, rubric line {index + 1}: {line.strip()!r}: {ITEM_HINT}")
        else:
            end = index
            break
    if not items:
        raise RubricError(f"{where}: the rubric has no items; {ITEM_HINT}")
    if any(BULLET.match(line) for line in lines[end:]):
        raise RubricError(f"{where}: a list after the rubric's notes; keep the items in one list")
    check_points(items, points, cell_points, where)
    notes = "\n".join(lines[end:]).strip()
    return Rubric(points=points, items=tuple(items), notes=notes)


def check_points(items: list[RubricItem], points: float, cell_points: float, where: str) -> None:
    """The positive items add up to the heading's points, and those to the cell's metadata."""
    if abs(points - cell_points) > POINTS_TOLERANCE:
        raise RubricError(
            f"{where}: the rubric heading says {points:g} points, the cell's nbgrader metadata "
            f"{cell_points:g}; make them equal"
        )
    positive = sum(item.points for item in items if item.points > 0)
    if abs(positive - points) > POINTS_TOLERANCE:
        raise RubricError(
            f"{where}: the positive items add up to {positive:g} points, the heading says "
            f"{points:g}; a full answer must be able to earn exactly the cell's points"
        )


def score_of(applied_points: list[float], max_score: float) -> float:
    """The score of an answer: its applied items' points added, kept within 0 and max_score."""
    return min(max(sum(applied_points), 0.0), max_score)
