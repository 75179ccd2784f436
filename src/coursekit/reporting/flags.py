"""The report's flags: per student and notebook, the suspicious code, the tests to review and
the untrusted verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nbformat import NotebookNode

from coursekit.core.course import Course
from coursekit.core.formatting import points
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
            groups.setdefault((found.notebook_id, flag_kind(found)), []).append(found)
        for (notebook_id, kind), items in groups.items():
            detail = "; ".join(flag_detail(item) for item in items)
            flags.append(Flag(student_id, notebook_id, kind, detail))
    return flags


def flag_kind(found: Suspicion) -> FlagKind:
    """Review for a test holding back points, untrusted for other verdict findings."""
    if found.needs_review:
        return FlagKind.REVIEW
    if found.kind is SuspicionKind.UNTRUSTED_VERDICT:
        return FlagKind.UNTRUSTED
    return FlagKind.SUSPICIOUS


def flag_detail(found: Suspicion) -> str:
    """The flag's text; for a test under review, the points a TA restores first."""
    if not found.needs_review:
        return describe(found)
    return (
        f"would earn {points(found.review_points)} of {points(found.max_points)} points "
        f"(counted 0 until a TA grades it in formgrader): {describe(found)}"
    )
