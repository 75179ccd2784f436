"""Inspect one student's submission before grading: what nbgrader would choke on or change."""

from __future__ import annotations

import codecs
import json
import os
import warnings
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.intake.types import Severity, SubmissionProblem
from coursekit.steps.duplicated_cells import (
    describe_duplicated_cells,
    find_duplicated_cells,
    resolve_duplicated_cells,
    source_as_python_reads_it,
)

# What nbgrader 0.9.6 does with each kind of tampering, measured with real autograde runs:
#   a deleted grade cell    -> with OverwriteCells.add_missing_cells (on in this course's
#                              config) nbgrader re-adds the instructor's cell and runs it: a
#                              warning. (Off, nbgrader's default, the cell scores 0 and is
#                              flagged needs_manual_grade.)
#   an edited test/locked cell, changed points, changed cell type
#                           -> restored from the gradebook before execution: a warning.
#   a duplicated grade_id   -> the whole student fails (KeyError 'grade_id' in OverwriteCells,
#                              or "old metadata format", jupyter/nbgrader#1083) and the autograded
#                              folder is deleted. `course autograde` resolves the copies first
#                              (coursekit.steps.duplicated_cells): graded, with a warning.
#   grade/solution flag flipped on a grade cell, or an unknown grade_id
#                           -> the whole student fails ("Inconsistent checksums", "does not
#                              have a grade_id"): fatal for the same reason.
# What editors do differently (Colab's nbformat 4.0 with ids in the metadata, classic Notebook's
# 4.4 without ids, VS Code's CRLF sources, sources as one string, outputs kept) grades exactly
# as Jupyter's file does: tests/test_editor_formats.py.


def fatal(notebook_id: str, reason: str) -> SubmissionProblem:
    """A problem that stops this submission from being graded."""
    return SubmissionProblem(notebook_id, Severity.FATAL, reason)


def warning(notebook_id: str, reason: str) -> SubmissionProblem:
    """A problem that is reported but does not stop grading."""
    return SubmissionProblem(notebook_id, Severity.WARNING, reason)


def read_release(course: Course, assignment_id: str) -> dict[str, NotebookNode]:
    """The release notebooks of an assignment by notebook_id; an error if it is not released."""
    release_dir = course.release_dir(assignment_id)
    notebook_ids = course.notebook_ids(assignment_id)
    missing = [nid for nid in notebook_ids if not (release_dir / f"{nid}.ipynb").is_file()]
    if missing:
        raise CourseError(
            f"{assignment_id!r} is not released: {release_dir} lacks "
            f"{', '.join(f'{nid}.ipynb' for nid in missing)}. Run `course release {assignment_id}`."
        )
    return {nid: nbformat.read(release_dir / f"{nid}.ipynb", as_version=4) for nid in notebook_ids}


def inspect_submission(
    course: Course, assignment_id: str, student_id: str, release: Mapping[str, NotebookNode]
) -> tuple[SubmissionProblem, ...]:
    """Every problem of one student's submission, compared with the release notebooks."""
    folder = course.submitted_dir(assignment_id, student_id)
    if not folder.is_dir():
        return (fatal("*", f"no submission folder {folder} for student {student_id!r}"),)
    links = symbolic_links(folder)
    if links:
        return (fatal("*", symbolic_links_reason(folder, links)),)
    handed_in = sorted(p.name for p in folder.iterdir() if p.suffix == ".ipynb")
    if not handed_in:
        return (fatal("*", f"no notebook in {folder}: nothing to grade for {student_id!r}"),)
    problems: list[SubmissionProblem] = []
    for notebook_id, release_nb in release.items():
        loaded = load_notebook(folder, notebook_id, set(release))
        if isinstance(loaded, SubmissionProblem):
            problems.append(loaded)
        else:
            problems.extend(compare_with_release(notebook_id, loaded, release_nb))
    return tuple(problems)


def symbolic_links(folder: Path) -> list[Path]:
    """Every symbolic link below folder (not followed), sorted."""
    return sorted(
        Path(root, name)
        for root, dirs, files in os.walk(folder)
        for name in (*dirs, *files)
        if Path(root, name).is_symlink()
    )


def symbolic_links_reason(folder: Path, links: list[Path]) -> str:
    """Why a submission holding symbolic links is not graded, naming each link and its target."""
    # nbgrader copies a submission with the grader's rights, following links: a link to the
    # gradebook or the instructor's notebook would put them into the graded folder, past the
    # sandbox, and a linked notebook would be graded as the student's. No editor or LMS
    # download makes links, so refuse them instead of guessing which are harmless.
    named = ", ".join(f"{link.relative_to(folder)} -> {os.readlink(link)}" for link in links)
    return (
        f"the submission holds symbolic links ({named}); nbgrader would copy what they point "
        "to with the grader's rights. Hand in the files themselves"
    )


def load_notebook(
    folder: Path, notebook_id: str, notebook_ids: set[str]
) -> NotebookNode | SubmissionProblem:
    """The submitted notebook, or the problem that keeps nbgrader from reading it.

    A notebook that is simply not there scores zero, as in nbgrader (a warning); but when the
    folder holds notebooks of other names, one of them is likely this one renamed (`... (1)`,
    `Copy of ...`): fatal, so that the student's work is not graded as missing.
    """
    path = folder / f"{notebook_id}.ipynb"
    if not path.is_file():
        found = sorted(p.name for p in folder.iterdir() if p.name != "timestamp.txt")
        foreign = [name for name in found if name.endswith(".ipynb")]
        foreign = [name for name in foreign if name.removesuffix(".ipynb") not in notebook_ids]
        if not foreign:
            reason = f"{path.name} was not handed in: it scores 0"
            return SubmissionProblem(notebook_id, Severity.WARNING, reason, handed_in=False)
        return fatal(
            notebook_id,
            f"{path.name} is missing from {folder} (found: {', '.join(found)}); "
            f"if one of those is the student's work, rename it to {path.name} and re-run",
        )
    raw = path.read_bytes()
    if not raw.strip():
        return fatal(notebook_id, f"{path} is empty ({len(raw)} bytes)")
    # A byte-order mark is read past here only to say whether the rest is intact: no notebook
    # editor writes one, and Jupyter, nbformat and nbgrader all fail on it.
    has_bom = raw.startswith(codecs.BOM_UTF8)
    try:
        data = json.loads(raw.removeprefix(codecs.BOM_UTF8).decode("utf-8"))
    except UnicodeDecodeError as error:
        return fatal(notebook_id, f"{path} is not UTF-8 text (byte {error.start})")
    except json.JSONDecodeError as error:
        return fatal(
            notebook_id,
            f"{path} is not JSON: {error.msg} (line {error.lineno} column {error.colno})",
        )
    loaded = check_notebook_json(path, notebook_id, data)
    if has_bom and not isinstance(loaded, SubmissionProblem):
        return fatal(
            notebook_id,
            f"{path} starts with a UTF-8 byte-order mark (a text editor such as Notepad adds it), "
            "which nbgrader cannot read; the notebook after it is intact: save it without the "
            "mark (its first 3 bytes) and re-run",
        )
    return loaded


def check_notebook_json(
    path: Path, notebook_id: str, data: Any
) -> NotebookNode | SubmissionProblem:
    """The parsed JSON as a notebook, or the fatal problem that makes it no nbformat 4 notebook."""
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        keys = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
        return fatal(
            notebook_id, f"{path} is JSON but not a notebook (no 'cells'/'nbformat'; has: {keys})"
        )
    if data["nbformat"] != 4:
        return fatal(
            notebook_id,
            f"{path} is nbformat {data['nbformat']}; nbgrader needs 4 "
            "(open and save it in a current Jupyter)",
        )
    nb = nbformat.from_dict(data)
    # nbformat warns about (and repairs) missing or duplicated cell ids; that is no problem here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as error:
            where = "/".join(str(part) for part in error.absolute_path) or "top level"
            first_line = str(error.message).splitlines()[0]
            return fatal(notebook_id, f"{path} is not a valid notebook: {first_line} (at {where})")
    return nb


def compare_with_release(
    notebook_id: str, submitted: NotebookNode, release_nb: NotebookNode
) -> list[SubmissionProblem]:
    """How the submitted nbgrader cells differ from the release, as fatal or warning problems."""
    released = {cells.grade_id(c): c for c in release_nb.cells if cells.grade_id(c) is not None}
    tagged = [c for c in submitted.cells if cells.grade_id(c) is not None]
    problems: list[SubmissionProblem] = []
    if released and not tagged:
        # Cells copied into a new notebook lose nbgrader's metadata: nbgrader 0.9.6 then fails
        # on the first answer it looks for (KeyError), and nothing of the work would be graded.
        return [
            fatal(
                notebook_id,
                "no cell carries nbgrader metadata (were the cells copied into a new "
                "notebook?); nbgrader cannot tell the answers apart. Paste the answers into "
                "a fresh copy of the release notebook and hand that in",
            )
        ]

    # Copied cells are graded as `course autograde` resolves them: the checks below see the
    # notebook nbgrader will see, one cell per grade_id.
    duplicated = find_duplicated_cells(submitted, release_nb)
    if duplicated:
        problems.append(warning(notebook_id, describe_duplicated_cells(duplicated)))
        submitted = resolve_duplicated_cells(submitted, duplicated)
        tagged = [c for c in submitted.cells if cells.grade_id(c) is not None]
    counts = Counter(cells.grade_id(c) for c in tagged)
    unknown = sorted(set(counts) - set(released))
    if unknown:
        problems.append(
            fatal(
                notebook_id,
                f"cells carry grade_ids the release does not have: {', '.join(unknown)} "
                "(nbgrader cannot grade it; remove their nbgrader metadata)",
            )
        )

    by_id = {cells.grade_id(c): c for c in tagged}
    flipped = sorted(
        gid
        for gid, cell in by_id.items()
        if gid in released
        and cells.is_grade(released[gid])
        and (cells.is_grade(cell), cells.is_solution(cell))
        != (cells.is_grade(released[gid]), cells.is_solution(released[gid]))
    )
    if flipped:
        problems.append(
            fatal(
                notebook_id,
                f"the grade/solution flags of {', '.join(flipped)} were changed "
                "(nbgrader fails with 'Inconsistent checksums'; restore them from the release)",
            )
        )
    problems.extend(changes_nbgrader_repairs(notebook_id, by_id, released))
    return problems


def changes_nbgrader_repairs(
    notebook_id: str, by_id: Mapping[str, NotebookNode], released: Mapping[str, NotebookNode]
) -> list[SubmissionProblem]:
    """Warnings for deleted grade cells and for edits nbgrader undoes before grading."""
    problems: list[SubmissionProblem] = []
    deleted = [gid for gid, cell in released.items() if cells.is_grade(cell) and gid not in by_id]
    if deleted:
        problems.append(
            warning(
                notebook_id,
                f"grade cells deleted: {', '.join(deleted)}; nbgrader puts the instructor's "
                "version back and runs it (OverwriteCells.add_missing_cells)",
            )
        )
    gone = [
        gid for gid, c in released.items() if cells.is_autograded_answer(c) and gid not in by_id
    ]
    if gone:
        problems.append(
            warning(notebook_id, f"answer cells deleted: {', '.join(gone)}; their tests run anyway")
        )
    edited = [
        gid
        for gid, cell in by_id.items()
        if gid in released
        and cells.is_locked(released[gid])
        and source_as_python_reads_it(cell) != source_as_python_reads_it(released[gid])
    ]
    if edited:
        problems.append(
            warning(
                notebook_id,
                f"locked cells edited: {', '.join(edited)}; "
                "nbgrader restores the instructor's version before grading",
            )
        )
    repointed = [
        gid
        for gid, cell in by_id.items()
        if gid in released
        and cells.is_grade(released[gid])
        and cells.nbgrader_meta(cell).get("points")
        != cells.nbgrader_meta(released[gid]).get("points")
    ]
    if repointed:
        problems.append(
            warning(
                notebook_id, f"points changed in {', '.join(repointed)}; nbgrader restores them"
            )
        )
    return problems
