"""Longest jobs first: the order a pool takes its students in, so a run does not end on one core.

A pool of N workers that takes its jobs in name order may start the longest student last: the
run then ends with one worker grading while the others idle. Taking the longest first (LPT
scheduling) bounds that tail by the shortest jobs instead. A job's length is not known before it
runs, so it is estimated:

- the seconds the same student's job took in the last run of this assignment (re-runs are
  common: a fix to a test, late submissions), kept in gradebook/autograde_seconds.json;
- else the number of notebooks the student handed in, times the median seconds per notebook
  of the students who have a record (or 1 s when none has: only the order matters).

A missing or unreadable record only costs the order, never the run.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path

from coursekit.core.course import Course

RECORD_FILE = "autograde_seconds.json"


def record_path(course: Course) -> Path:
    """Where the last runs' job seconds are kept: beside the gradebook."""
    return course.root / "gradebook" / RECORD_FILE


def read_seconds(course: Course, assignment_id: str) -> dict[str, float]:
    """Each student's job seconds in the last run that graded them ({} when none is kept)."""
    try:
        data = json.loads(record_path(course).read_text(encoding="utf-8"))
        seconds = data[assignment_id]
        return {str(sid): float(value) for sid, value in seconds.items() if float(value) > 0}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def record_seconds(course: Course, assignment_id: str, seconds: Mapping[str, float]) -> None:
    """Keep these students' job seconds for the next run's order (others' records stay)."""
    if not seconds:
        return
    path = record_path(course)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    kept = data.get(assignment_id)
    kept = dict(kept) if isinstance(kept, dict) else {}
    kept.update({sid: round(value, 3) for sid, value in seconds.items() if value > 0})
    data[assignment_id] = kept
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(partial, path)  # never a half-written record
    except OSError:
        pass  # the record only orders the next run


def estimated_seconds(
    student_ids: Iterable[str],
    notebooks_handed_in: Mapping[str, int],
    last_seconds: Mapping[str, float],
) -> dict[str, float]:
    """Each student's estimated job length: the last run's seconds, else notebooks x median."""
    per_notebook = [
        last_seconds[sid] / notebooks_handed_in[sid]
        for sid in last_seconds
        if notebooks_handed_in.get(sid, 0) > 0
    ]
    typical = statistics.median(per_notebook) if per_notebook else 1.0
    return {
        sid: last_seconds.get(sid, notebooks_handed_in.get(sid, 0) * typical) for sid in student_ids
    }


def longest_first(student_ids: Iterable[str], estimates: Mapping[str, float]) -> list[str]:
    """The students, longest estimated job first; ties by name, so the order is repeatable."""
    return sorted(student_ids, key=lambda sid: (-estimates.get(sid, 0.0), sid))


def notebooks_handed_in(course: Course, assignment_id: str, student_id: str) -> int:
    """How many notebooks the student's submission holds."""
    folder = course.submitted_dir(assignment_id, student_id)
    try:
        return sum(1 for _ in folder.glob("*.ipynb"))
    except OSError:
        return 0


def grading_order(course: Course, assignment_id: str, student_ids: Iterable[str]) -> list[str]:
    """The order to grade these students in: longest estimated job first."""
    students = list(student_ids)
    handed_in = {sid: notebooks_handed_in(course, assignment_id, sid) for sid in students}
    estimates = estimated_seconds(students, handed_in, read_seconds(course, assignment_id))
    return longest_first(students, estimates)
