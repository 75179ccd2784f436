"""Running `course autograde` as the console script does and reading its table back."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coursekit.core.course import Course
from coursekit.grading.types import AutogradeReport, StudentOutcome

# `course ARGV` as the console script runs it, the autograde report also pickled for the tests.
TAP = """\
import pickle, sys
import coursekit.grading.autograde as stage
from coursekit.cli.app import main
real = stage.autograde_assignment
def tapped(*args, **kwargs):
    report = real(*args, **kwargs)
    with open(sys.argv[1], "wb") as handle:
        pickle.dump(report, handle)
    return report
stage.autograde_assignment = tapped
sys.exit(main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class TappedRun:
    """One autograde by the command: its course, the report, its exit code and its output."""

    course: Course
    report: AutogradeReport
    code: int
    out: str
    err: str

    def outcome(self, student_id: str) -> StudentOutcome:
        return next(o for o in self.report.outcomes if o.student_id == student_id)


def run_tapped(course: Course, argv: Sequence[str], columns: int, timeout_s: float) -> TappedRun:
    """`course ARGV` (an autograde) in its own process in the course, in a terminal of columns."""
    root = course.root
    pickled = root.parent / f"{root.name}-report.pickle"
    done = subprocess.run(
        [sys.executable, "-c", TAP, str(pickled), *argv],
        cwd=root,
        env={**os.environ, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    report = pickle.loads(pickled.read_bytes())
    return TappedRun(course, report, done.returncode, done.stdout, done.stderr)


def table_rows(text: str) -> list[str]:
    """The rows of the table: the lines after its header, up to the first blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("student "))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line)
    return rows


def notebooks_named(row: str, notebook_ids: Iterable[str]) -> set[str]:
    """The notebooks the note of a row (its last column) names."""
    note = row.split("  ")[-1]
    return {nid for nid in notebook_ids if re.search(rf"\b{nid}\b", note)}
