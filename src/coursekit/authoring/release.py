"""Release an assignment and prove the release: solutions pass, blanks fail, nothing leaks."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from coursekit.authoring.types import NotebookProof, ProofCheck, ReleaseReport
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.execution import execute_as_autograde

# Region markers as an author may actually type them: any case, any number of '#'. nbgrader
# only honours the exact upper-case forms, so a miscased region is exactly what leaks.
MARKER = re.compile(r"(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS?|MARK\s+SCHEME)", flags=re.IGNORECASE)
SOURCE_PASSES = "source passes its tests"
BLANK_FAILS = "blank release fails its tests"
NO_LEAK = "no solution or hidden test in the release"


# Told after each proven notebook: (notebooks done, notebooks in all, that notebook's proof).
ReleaseProgress = Callable[[int, int, NotebookProof], None]


def release_assignment(
    course: Course,
    assignment_id: str,
    execute: bool = True,
    progress: ReleaseProgress | None = None,
) -> ReleaseReport:
    """Run nbgrader generate_assignment, then prove each released notebook."""
    notebook_ids = course.notebook_ids(assignment_id)
    nbgrader_api.generate_assignment(course, assignment_id)
    proofs = []
    for done, notebook_id in enumerate(notebook_ids, start=1):
        proofs.append(prove_notebook(course, assignment_id, notebook_id, execute))
        if progress is not None:
            progress(done, len(notebook_ids), proofs[-1])
    return ReleaseReport(assignment_id, str(course.release_dir(assignment_id)), tuple(proofs))


def prove_notebook(
    course: Course, assignment_id: str, notebook_id: str, execute: bool
) -> NotebookProof:
    """The three checks of one notebook (the two that execute are skipped without execute)."""
    source_path = course.source_dir(assignment_id) / f"{notebook_id}.ipynb"
    release_path = course.release_dir(assignment_id) / f"{notebook_id}.ipynb"
    source = nbformat.read(source_path, as_version=4)
    release_text = release_path.read_text(encoding="utf-8")
    release = nbformat.reads(release_text, as_version=4)
    checks = [ProofCheck(SOURCE_PASSES, None), ProofCheck(BLANK_FAILS, None)]
    if execute:
        checks = [
            check_source_passes(course, source, source_path.parent),
            check_blank_fails(course, source, release, release_path.parent),
        ]
    checks.append(check_no_leak(source, json.loads(release_text)))
    return NotebookProof(notebook_id, tuple(checks))


def check_source_passes(course: Course, source: NotebookNode, cwd: Path) -> ProofCheck:
    """Every autograded test of the instructor notebook passes when run top to bottom."""
    scores = execute_and_score(course, source, cwd)
    if isinstance(scores, str):
        return ProofCheck(SOURCE_PASSES, False, (scores,))
    failing = [
        f"{gid} scores {score:g} of {max_score:g}"
        for gid, (score, max_score) in scores.items()
        if score is not None and score < max_score
    ]
    return ProofCheck(SOURCE_PASSES, not failing, tuple(failing))


def check_blank_fails(
    course: Course, source: NotebookNode, release: NotebookNode, cwd: Path
) -> ProofCheck:
    """Every autograded test fails on the untouched release, as autograde would run it."""
    # autograde restores each test cell from the source (hidden tests included): do the same.
    tests = {cells.grade_id(c): c.source for c in source.cells if cells.is_autograded_test(c)}
    blank = copy.deepcopy(release)
    for cell in blank.cells:
        if cells.grade_id(cell) in tests:
            cell.source = tests[cells.grade_id(cell)]
    scores = execute_and_score(course, blank, cwd)
    if isinstance(scores, str):
        return ProofCheck(BLANK_FAILS, False, (scores,))
    vacuous = [
        f"{gid} gives {scores[gid][0]:g} points to an unanswered notebook"
        for gid in tests
        if gid in scores and (scores[gid][0] or 0) > 0
    ]
    return ProofCheck(BLANK_FAILS, not vacuous, tuple(vacuous))


def execute_and_score(
    course: Course, nb: NotebookNode, cwd: Path
) -> dict[str, tuple[float | None, float]] | str:
    """The grade cell scores of nb run top to bottom, or why its execution stopped."""
    try:
        return nbgrader_api.grade_cell_scores(execute_as_autograde(course, nb, cwd))
    except Exception as error:  # a dead or hung kernel is a finding about the notebook
        first_line = (str(error).strip().splitlines() or [""])[0]
        return f"execution failed: {type(error).__name__}: {first_line}"


def check_no_leak(source: NotebookNode, release_json: Any) -> ProofCheck:
    """No secret line of the source and no region marker appears anywhere in the release."""
    release_text = "\n".join(json_strings(release_json))
    findings = [f"marker {m.group(0)!r} in the release" for m in MARKER.finditer(release_text)]
    findings += [f"leaked: {line!r}" for line in secret_lines(source) if line in release_text]
    return ProofCheck(NO_LEAK, not findings, tuple(findings))


def secret_lines(source: NotebookNode) -> list[str]:
    """The stripped lines inside solution / hidden test regions that occur nowhere else.

    A written-answer cell without markers is one region: nbgrader replaces all of it, so its
    model answer and rubric are secret too.
    """
    inside: list[str] = []
    outside: list[str] = []
    for cell in source.cells:
        in_region = cells.is_written_answer(cell) and not MARKER.search(cells.cell_source(cell))
        for line in cells.cell_source(cell).split("\n"):
            if MARKER.search(line):
                in_region = MARKER.search(line).group(1).upper() == "BEGIN"
            elif line.strip():
                (inside if in_region else outside).append(line.strip())
    public = "\n".join(outside)
    return list(dict.fromkeys(line for line in inside if line not in public))


def json_strings(value: Any) -> Iterator[str]:
    """Every string (keys and values) in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
