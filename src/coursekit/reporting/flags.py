"""The report's flags: per student and notebook, the suspicious code and the untrusted verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nbformat import NotebookNode

from coursekit.core.course import Course
from coursekit.grading.flags import flag_submission
from coursekit.integrity.suspicion import describe
from coursekit.integrity.types import Suspicion, SuspicionKind
from coursekit.reporting.types import Flag, FlagKind


def report_flags(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str],
    release: Mapping[str, NotebookNode],
) -> list[Flag]:
    """`course report`'s flags: per notebook, its suspicious code and its untrusted verdicts."""
    flags = []
    for student_id in student_ids:
        groups: dict[tuple[str, FlagKind], list[Suspicion]] = {}
        for found in flag_submission(course, assignment_id, student_id, release, graded=True):
            untrusted = found.kind is SuspicionKind.UNTRUSTED_VERDICT
            kind = FlagKind.UNTRUSTED if untrusted else FlagKind.SUSPICIOUS
            groups.setdefault((found.notebook_id, kind), []).append(found)
        for (notebook_id, kind), items in groups.items():
            detail = "; ".join(describe(item) for item in items)
            flags.append(Flag(student_id, notebook_id, kind, detail))
    return flags
