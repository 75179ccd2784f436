"""Running `course autograde` as the console script does and reading its table back."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coursekit.core.course import Course
from coursekit.grading.types import AutogradeReport, StudentOutcome

# `course ARGV` as the console script runs it, with what one stage function returned (named
# `module:function` in argv[2]) pickled into argv[1] for the tests.
TAP = """\
import importlib, pickle, sys
from coursekit.cli.app import main
module_name, name = sys.argv[2].split(":")
module = importlib.import_module(module_name)
real = getattr(module, name)
def tapped(*args, **kwargs):
    result = real(*args, **kwargs)
    with open(sys.argv[1], "wb") as handle:
        pickle.dump(result, handle)
    return result
setattr(module, name, tapped)
sys.exit(main(sys.argv[3:]))
"""
AUTOGRADE = "coursekit.grading.autograde:autograde_assignment"


@dataclass(frozen=True)
class Command:
    """One run of the command: what the tapped stage function returned, exit code, output."""

    result: object
    code: int
    out: str
    err: str


def run_command_tapped(
    root: Path, argv: Sequence[str], stage: str, columns: int, timeout_s: float
) -> Command:
    """`course ARGV` in its own process in root, in a terminal of columns, stage tapped."""
    pickled = root.parent / f"{root.name}-{stage.split(':')[1]}.pickle"
    done = subprocess.run(
        [sys.executable, "-c", TAP, str(pickled), stage, *argv],
        cwd=root,
        env={**os.environ, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    result = pickle.loads(pickled.read_bytes()) if pickled.exists() else None
    return Command(result, done.returncode, done.stdout, done.stderr)


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
    done = run_command_tapped(course.root, argv, AUTOGRADE, columns, timeout_s)
    return TappedRun(course, done.result, done.code, done.out, done.err)


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
