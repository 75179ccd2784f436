"""What 'nothing lost' costs per student: the journal against the grading it protects.

    .venv/bin/python benchmarks/nothing_lost.py [--students 8] [--repeat 20]

Builds the tests' tiny course in a temporary folder with --students reference submissions,
grades them once with `autograde_assignment` (each student journaled: submission saved, previous
autograded folder hard-linked, journal written and fsynced, then dropped), then times the journal
alone (inflight.grading around nothing) --repeat times per student. Prints both per student and
their ratio. Figures, not assertions: the machine is shared; compare within one invocation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from coursekit.core.environment import put_venv_first_on_path  # noqa: E402

put_venv_first_on_path()  # nbgrader runs `alembic`, kernels `python`, by name

from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, write_tiny_course  # noqa: E402
from helpers.notebooks import reference_notebook  # noqa: E402

from coursekit.authoring import cohort  # noqa: E402
from coursekit.core.course import locate_course  # noqa: E402
from coursekit.grading import inflight  # noqa: E402
from coursekit.grading.autograde import autograde_assignment  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402


def main() -> None:
    """Grade a tiny cohort, then time the journal alone; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        course = locate_course(write_tiny_course(Path(folder) / "course"))
        nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
        student_ids = [f"s{i:02d}" for i in range(args.students)]
        for student_id in student_ids:
            notebooks = {TINY_NOTEBOOK: reference_notebook(course)}
            cohort.write_submission(course, TINY_ASSIGNMENT, student_id, notebooks)
        start = time.perf_counter()
        report = autograde_assignment(course, TINY_ASSIGNMENT)
        graded = (time.perf_counter() - start) / args.students
        assert report.all_graded, report
        start = time.perf_counter()
        for _ in range(args.repeat):
            for student_id in student_ids:
                with inflight.grading(course, TINY_ASSIGNMENT, student_id):
                    pass
        journal = (time.perf_counter() - start) / (args.repeat * args.students)
    print(f"students: {args.students} (tiny notebook, one worker per core)")
    print(f"grading per student, journal included: {graded * 1000:.0f} ms")
    print(f"journal alone per student: {journal * 1000:.1f} ms (mean of {args.repeat} rounds)")
    print(f"journal / grading: {journal / graded:.1%}")


if __name__ == "__main__":
    main()
