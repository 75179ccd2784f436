"""What grading costs beyond the students' cells, in CPU seconds per notebook; print the figures.

    .venv/bin/python benchmarks/overhead.py [--students 20]

The tests' tiny course (two one-line answers, three tests) is graded by `course autograde
--workers 1`, once with every defence and once with each turned off alone (the switches of
benchmarks/profile_job.py). Its cells cost next to nothing, so what a graded notebook costs is
the overhead itself: the grading process (nbgrader's steps, the gradebook, the code scan, the
verdict checks' arming and judging), the kernel (its start and stop, the hygiene, the probe
cell, the watch) and the warm server (its imports, once per run, shared by the notebooks).
CPU seconds, not wall time: they barely move when other work shares the cores, so figures
taken on a busy machine still compare.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tests"))

from autograde import BIN, RunFigures, timed_run  # noqa: E402
from helpers.cohorts import write_many  # noqa: E402
from helpers.course import TINY_ASSIGNMENT, write_tiny_course  # noqa: E402
from profile_job import WITHOUT  # noqa: E402

from coursekit.core.course import Course, locate_course  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402


def build_course(root: Path, students: int) -> Course:
    """The released tiny course with `students` submissions (right, wrong and raising ones)."""
    course = locate_course(write_tiny_course(root))
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    write_many(course, students)
    return course


def graded_with(template: Course, root: Path, label: str) -> RunFigures:
    """Grade a copy of the course with one switch of WITHOUT."""
    folder = root / label.replace(" ", "-")
    shutil.copytree(template.root, folder)
    config = folder / "nbgrader_config.py"
    config.write_text(config.read_text() + WITHOUT[label])
    course = locate_course(folder)
    warm_dir = Path(tempfile.mkdtemp(prefix="cw-"))  # a socket path must stay short
    try:
        command = [str(BIN / "course"), "autograde", TINY_ASSIGNMENT, "--workers", "1"]
        run = timed_run(label, command, course, warm_dir, TINY_ASSIGNMENT)
    finally:
        shutil.rmtree(warm_dir, ignore_errors=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument(
        "--all-only", action="store_true", help="every defence on; no run with one turned off"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cw-overhead-"))
    try:
        template = build_course(root / "template", args.students)
        print(f"{args.students} notebooks of the tiny course, course autograde --workers 1")
        print(
            f"{'':22}{'CPU s/nb':>10}{'grader':>9}{'kernel':>9}{'server':>9}"
            f"{'canary':>9}{'wall s':>9}"
        )
        totals = {}
        for label in ["all defences"] if args.all_only else WITHOUT:
            run = graded_with(template, root, label)
            server_own = run.server_cpu
            # The first kernel is the canary's (once per run); the rest, one per notebook.
            canary, kernels = run.kernel_cpu[0], run.kernel_cpu[1:]
            grader = run.cpu - server_own - sum(run.kernel_cpu)
            per_notebook = (grader + sum(kernels)) / run.notebooks
            totals[label] = per_notebook
            print(
                f"{label:22}{per_notebook:10.3f}{grader / run.notebooks:9.3f}"
                f"{sum(kernels) / max(1, len(kernels)):9.3f}{server_own:9.2f}{canary:9.2f}"
                f"{run.wall:9.1f}"
            )
        print(
            "CPU s/nb: grader and kernel per notebook; server (its imports) and the canary's "
            "kernel are paid once per run, shown whole"
        )
        everything = totals["all defences"]
        for label, cpu in totals.items():
            if label != "all defences":
                print(
                    f"cost of {label.removeprefix('no '):20}{everything - cpu:+8.3f} CPU s/notebook"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
