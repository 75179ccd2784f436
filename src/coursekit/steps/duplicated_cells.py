"""Copied nbgrader cells (two cells with one grade_id) resolved before nbgrader sanitizes a
submission, so that it is graded with the instructor's cells exactly once.

A copied cell keeps its metadata, grade_id included: Jupyter's copy-paste and "duplicate cell"
do this, and students do it all the time (to re-run a test, to try a variant of an answer).
nbgrader 0.9.6 cannot grade such a notebook: its DeduplicateIds keeps the last copy and sets
the others' nbgrader metadata to {}, on which OverwriteCells.add_missing_cells (on in this
course) fails with KeyError 'grade_id'; with it off, CheckCellMetadata fails on the emptied
metadata ("old metadata format", jupyter/nbgrader#1083). Either way nbgrader grades nothing and
deletes the student's autograded folder.

`ResolveDuplicatedCells` runs first in `course autograde`'s sanitize steps (grading's copy of
the notebook only: the file in submitted/ is never touched) and leaves one copy of each grade_id
to nbgrader, chosen and treated as follows (the instructor's cells are the truth, as
OverwriteCells makes them for an edited test; the student's own code still runs as they ran it):

- Which copy carries the grade_id: the one that keeps the release's order of nbgrader cells (a
  longest common subsequence of the grade_ids with the release). A test pasted above its answer
  must not run before the answer; among copies in order (pasted side by side), the later one,
  because the later copy is what the student's next cells saw when they ran the notebook top to
  bottom. For an answer cell, copies still holding the release's stub are not candidates when
  another copy was answered (a draft copied before answering is not the answer).
- Extra copies of instructor cells (tests, read-only cells): not run. Their source becomes a
  comment (code) under a note: running a pasted test again would be graded nowhere, could fail
  loudly in the feedback, and repeats its work and side effects (a test that trains a model
  would change the random state the next cells see), so grades could differ from the same
  notebook without the copy. An edited copy (a test made to always pass) earns nothing.
- Extra copies of answer cells: plain cells without nbgrader metadata, so they earn nothing by
  themselves and nbgrader ignores them, but their code still runs where the student put it (a
  function defined in a copy and used later keeps working), and a copied written answer stays
  in the notebook for the TA to read. A note at the end of the copy says which cell is graded.

The same plan is what inspection reports (`coursekit.intake.submissions`): a warning on the
student's status line and, as the notes in the copies, in the feedback.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.converters import Autograde
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Config

from coursekit.core import cells


@dataclasses.dataclass(frozen=True)
class DuplicatedCell:
    """One grade_id found in several cells of a submitted notebook, and the copy graded."""

    grade_id: str
    kind: str  # "test", "read-only cell", "answer" or "written answer" (as released)
    positions: tuple[int, ...]  # every copy, as 1-based cell numbers of the submitted notebook
    graded: int  # the copy that keeps the grade_id
    edited: tuple[int, ...] = ()  # extra copies of an instructor cell whose source was changed

    @property
    def extras(self) -> tuple[int, ...]:
        """The copies that lose the grade_id."""
        return tuple(p for p in self.positions if p != self.graded)

    @property
    def instructors(self) -> bool:
        """Whether the cell is the instructor's (restored by nbgrader), not the student's."""
        return self.kind in ("test", "read-only cell")

    @property
    def used(self) -> str:
        """What became of the instructor's cell: a test is graded, a read-only cell used."""
        return "graded" if self.kind == "test" else "used"


def source_as_python_reads_it(cell: Mapping[str, Any]) -> str:
    """A cell's source with every line end ("\\r\\n", "\\r") as "\\n", the way Python reads it."""
    # VS Code on Windows saves every cell it touched with "\\r\\n" (microsoft/vscode-jupyter#4576):
    # a test cell that differs only so is not edited.
    return cells.cell_source(cell).replace("\r\n", "\n").replace("\r", "\n")


def released_kind(cell: Mapping[str, Any]) -> str:
    """What a release cell is, in the words the notes use."""
    if cells.is_solution(cell):
        return "answer" if cell.get("cell_type") == "code" else "written answer"
    return "test" if cells.is_grade(cell) else "read-only cell"


def find_duplicated_cells(
    submitted: NotebookNode, release_nb: NotebookNode
) -> tuple[DuplicatedCell, ...]:
    """Each release grade_id that several cells of the submitted notebook carry, and the copy
    to grade; () when every grade_id appears at most once (the usual case, checked first)."""
    ids = [cells.grade_id(c) for c in submitted.cells]
    repeated = {gid for gid, n in Counter(ids).items() if gid is not None and n > 1}
    released = {cells.grade_id(c): c for c in release_nb.cells if cells.grade_id(c) is not None}
    repeated &= set(released)  # an unknown grade_id is inspection's fatal problem, not ours
    if not repeated:
        return ()
    copies = {gid: [i for i, g in enumerate(ids) if g == gid] for gid in repeated}
    candidates = {
        gid: answered_copies(submitted, positions, released[gid])
        for gid, positions in copies.items()
    }
    eligible = [
        (index, gid)
        for index, gid in enumerate(ids)
        if gid in released and (gid not in repeated or index in candidates[gid])
    ]
    aligned = align_with_release(eligible, [cells.grade_id(c) for c in release_nb.cells])
    found = []
    for gid in sorted(repeated, key=lambda g: copies[g][0]):
        release_cell = released[gid]
        kept = aligned.get(gid, candidates[gid][-1])
        kind = released_kind(release_cell)
        edited = (
            tuple(
                i + 1
                for i in copies[gid]
                if i != kept
                and source_as_python_reads_it(submitted.cells[i])
                != source_as_python_reads_it(release_cell)
            )
            if kind in ("test", "read-only cell")
            else ()
        )
        found.append(DuplicatedCell(gid, kind, tuple(i + 1 for i in copies[gid]), kept + 1, edited))
    return tuple(found)


def answered_copies(
    submitted: NotebookNode, positions: Sequence[int], release_cell: Mapping[str, Any]
) -> list[int]:
    """The copies that may carry the grade_id: for an answer, those that differ from the
    release's stub (all of them if none does); for an instructor's cell, every copy."""
    if not cells.is_solution(release_cell):
        return list(positions)
    stub = source_as_python_reads_it(release_cell)
    answered = [i for i in positions if source_as_python_reads_it(submitted.cells[i]) != stub]
    return answered or list(positions)


def align_with_release(
    eligible: Sequence[tuple[int, str]], release_ids: Sequence[str | None]
) -> dict[str, int]:
    """grade_id -> index of the submitted cell matched with the release cell of that grade_id,
    in a longest common subsequence of the two orders; on a tie, the later copy is matched."""
    order = [gid for gid in release_ids if gid is not None]
    n, m = len(eligible), len(order)
    # longest[i][j]: the longest common subsequence of eligible[i:] and order[j:].
    longest = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if eligible[i][1] == order[j]:
                longest[i][j] = max(1 + longest[i + 1][j + 1], longest[i + 1][j])
            else:
                longest[i][j] = max(longest[i + 1][j], longest[i][j + 1])
    matched: dict[str, int] = {}
    i = j = 0
    while i < n and j < m:
        if longest[i + 1][j] == longest[i][j]:
            i += 1  # a later submitted cell does as well: prefer it
        elif eligible[i][1] == order[j]:
            matched[order[j]] = eligible[i][0]
            i += 1
            j += 1
        else:
            j += 1
    return matched


def describe_duplicated_cells(found: Sequence[DuplicatedCell]) -> str:
    """The status line's account: which cells were copies and how each grade_id was graded."""
    parts = []
    for dup in found:
        where = f"{dup.grade_id} ({dup.kind}) at cells {numbers(dup.positions)}"
        extras = f"cell{'s' if len(dup.extras) > 1 else ''} {numbers(dup.extras)}"
        if dup.instructors:
            edited = ""
            if dup.edited:
                edited = (
                    " (edited)" if dup.edited == dup.extras else f" ({numbers(dup.edited)} edited)"
                )
            how = (
                f"the instructor's version {dup.used} once, at cell {dup.graded}; "
                f"the {'copies' if len(dup.extras) > 1 else 'copy'} at {extras}{edited} not run"
            )
        elif dup.kind == "answer":
            how = f"cell {dup.graded} graded as the answer; {extras} ran as plain code"
        else:
            how = f"cell {dup.graded} graded as the answer; {extras} kept as text for the TA"
        parts.append(f"{where}: {how}")
    return f"cells copied with their grade_id: {'; '.join(parts)}"


def numbers(positions: Sequence[int]) -> str:
    """1, 2 and 5."""
    text = [str(p) for p in positions]
    return text[0] if len(text) == 1 else f"{', '.join(text[:-1])} and {text[-1]}"


def copy_note(dup: DuplicatedCell) -> str:
    """The sentence an extra copy carries into the graded notebook and the feedback."""
    if dup.instructors:
        return (
            f"Not graded: a copy of the {dup.kind} {dup.grade_id}, which was {dup.used} once, "
            f"with the instructor's version, at cell {dup.graded}. This copy was not run."
        )
    if dup.kind == "answer":
        return (
            f"Not graded: a copy of the answer cell {dup.grade_id}; cell {dup.graded} is graded "
            "as the answer. This copy ran as plain code."
        )
    return (
        f"Not graded: a copy of the written answer {dup.grade_id}; cell {dup.graded} is "
        "graded as the answer. This copy is kept for the TA to read."
    )


def resolve_duplicated_cells(
    submitted: NotebookNode, found: Sequence[DuplicatedCell]
) -> NotebookNode:
    """A copy of the notebook in which each grade_id is carried by one cell (see the module)."""
    resolved = copy.deepcopy(submitted)
    for dup in found:
        note = copy_note(dup)
        for position in dup.extras:
            cell = resolved.cells[position - 1]
            cell.metadata.pop("nbgrader", None)
            source = cells.cell_source(cell)
            if cell.cell_type == "markdown":
                cell.source = f"*{note}*\n\n{source}"
            elif cell.cell_type != "code":
                cell.source = f"{note}\n\n{source}"
            elif dup.instructors:
                commented = "\n".join(f"# {line}".rstrip() for line in source.split("\n"))
                cell.source = f"# {note}\n{commented}"
            else:
                # At the end, not the top: a cell magic (%%time) must stay the first line, and
                # the student's line numbers stay as they were.
                cell.source = f"{source.rstrip()}\n# {note}"
    return resolved


class ResolveDuplicatedCells(NbGraderPreprocessor):
    """Sanitize step before nbgrader's: one cell per grade_id, the copies resolved as above."""

    release_folder = Unicode(
        "",
        help="The folder of the assignment's release notebooks; {assignment_id} is replaced "
        "(`course autograde` sets it for each run).",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        """The notebook with its copied cells resolved; unchanged if it has none."""
        ids = [cells.grade_id(c) for c in nb.cells if cells.grade_id(c) is not None]
        if len(ids) == len(set(ids)):
            return nb, resources
        if not self.release_folder:
            raise ValueError("ResolveDuplicatedCells.release_folder is not set")
        names = resources["nbgrader"]
        folder = Path(self.release_folder.replace("{assignment_id}", names["assignment"]))
        release_nb = nbformat.read(folder / f"{names['notebook']}.ipynb", 4)
        found = find_duplicated_cells(nb, release_nb)
        if found:
            self.log.warning("%s", describe_duplicated_cells(found))
        return resolve_duplicated_cells(nb, found), resources


STEP = f"{ResolveDuplicatedCells.__module__}.{ResolveDuplicatedCells.__name__}"


def resolving_duplicated_cells(config: Config, release_folder: Path) -> Config:
    """A copy of config whose autograde resolves copied cells first (of the release there)."""
    config = copy.deepcopy(config)
    steps = list(
        config.Autograde.sanitize_preprocessors
        if "sanitize_preprocessors" in config.Autograde
        else Autograde.class_traits()["sanitize_preprocessors"].default()
    )
    named = [s if isinstance(s, str) else f"{s.__module__}.{s.__name__}" for s in steps]
    if STEP not in named:
        steps.insert(0, STEP)
    config.Autograde.sanitize_preprocessors = steps
    config.ResolveDuplicatedCells.release_folder = str(release_folder)
    return config
