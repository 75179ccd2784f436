"""Time `course autograde` of one cohort with 1 worker and with N; print the figures.

    .venv/bin/python benchmarks/autograde_workers.py [--students 16] [--workers 1 2]

Builds the tests' tiny course (two autograded tests, one written answer) with a cohort of
right, wrong and crashing submissions, grades one student untimed (warm-up), copies the course
once per worker count, grades each copy with
`course autograde --workers N --quiet` and prints wall time, students per minute and the speed-up
against the first count, after checking every copy's gradebook holds the same cell scores.
Figures, not assertions: the machine is shared and noisy; compare the rows of one invocation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers.cohorts import write_many  # noqa: E402
from helpers.course import TINY_ASSIGNMENT, write_tiny_course  # noqa: E402

from coursekit.core.course import Course, locate_course  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402

BIN = Path(sys.executable).parent


def grade(course: Course, workers: int, *students: str) -> float:
    """Wall seconds of `course autograde --workers N` on the course (all students by default)."""
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    command = [str(BIN / "course"), "autograde", TINY_ASSIGNMENT, f"--workers={workers}", "-q"]
    command += [f"--student={student_id}" for student_id in students]
    started = time.monotonic()
    subprocess.run(command, cwd=course.root, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    """Build, grade per worker count, compare, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        template = write_tiny_course(Path(scratch, "template"))
        course = locate_course(template)
        nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
        students = sorted(write_many(course, args.students))
        # Untimed: whichever count ran first would also pay for starting the warm-kernel
        # server and filling the disk cache (measured: the first of two runs 1.3x slower).
        grade(locate_course(shutil.copytree(template, Path(scratch, "warmup"))), 1, students[0])
        rows, scores = [], []
        for workers in args.workers:
            copy = locate_course(shutil.copytree(template, Path(scratch, f"n{workers}")))
            seconds = grade(copy, workers)
            scores.append([nbgrader_api.read_scores(copy, TINY_ASSIGNMENT, s) for s in students])
            rows.append((workers, seconds))
        same = all(other == scores[0] for other in scores)
        print(f"{args.students} students of the tiny course on {os.cpu_count()} cores")
        print(f"{'workers':>8} {'wall s':>8} {'students/min':>13} {'speed-up':>9}")
        for workers, seconds in rows:
            rate = 60 * args.students / seconds
            print(f"{workers:>8} {seconds:>8.1f} {rate:>13.1f} {rows[0][1] / seconds:>9.2f}")
        print(f"identical cell scores in every run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
