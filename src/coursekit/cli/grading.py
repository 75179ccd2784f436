"""`course autograde` and `course check` (a student's): the grading stage's verbs."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.cli.autograde_table import AutogradeView, autograde_json
from coursekit.cli.printers import AutogradeProgressPrinter, print_cell_progress, print_message
from coursekit.cli.render import render_autograde, render_check
from coursekit.cli.terminal import echo, output_width, uses_color
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL, Verb, unless_quiet

if TYPE_CHECKING:
    from coursekit.core.course import Course
    from coursekit.grading.types import AutogradeReport


def cmd_autograde(course: Course, args: argparse.Namespace) -> int:
    """Autograde submissions; 2 if any was rejected or failed."""
    from coursekit.grading.autograde import autograde_assignment
    from coursekit.grading.workers import ExecutorSpec

    started = time.monotonic()
    report = autograde_assignment(
        course,
        args.assignment_id,
        args.student_ids,
        force=args.force,
        progress=unless_quiet(args, AutogradeProgressPrinter()),
        executor=ExecutorSpec(name=args.executor, workers=args.workers, scheduler=args.scheduler),
        notice=print_message,
    )
    print_outcomes(report, args, verbose=args.verbose, elapsed_s=time.monotonic() - started)
    return EXIT_OK if report.all_graded else EXIT_PARTIAL


# `course status` grades nothing: its title says the table is the last autograde, read back.
STATUS_TITLE = "Status of {assignment_id}: the last autograde, read back (nothing graded now)"


def print_outcomes(
    report: AutogradeReport,
    args: argparse.Namespace,
    verbose: bool,
    elapsed_s: float | None,
    title: str = AutogradeView.title,
) -> None:
    """The outcomes as JSON (--json) or as the table, fitted to this terminal."""
    if args.json:
        print(json.dumps(autograde_json(report, elapsed_s), indent=1))
        return
    view = AutogradeView(
        verbose=verbose,
        quiet=args.quiet,
        width=output_width(),
        color=uses_color(),
        elapsed_s=elapsed_s,
        title=title,
    )
    print(render_autograde(report, view))


def cmd_status(course: Course, args: argparse.Namespace) -> int:
    """Print the last autograde's outcomes without grading; 2 if anyone is rejected."""
    from coursekit.grading.status import read_outcomes

    report = read_outcomes(course, args.assignment_id, args.student_ids)
    # Asked about students by name: their notebooks, as --verbose gives them.
    verbose = args.verbose or bool(args.student_ids)
    print_outcomes(report, args, verbose=verbose, elapsed_s=None, title=STATUS_TITLE)
    return EXIT_OK if report.all_graded else EXIT_PARTIAL


def add_student_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--student ID, repeatable, into args.student_ids (None: every submission)."""
    parser.add_argument(
        "--student",
        dest="student_ids",
        metavar="ID",
        action="append",
        default=None,
        help=help_text,
    )


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    """--student, --verbose, --json."""
    add_student_argument(
        parser,
        "only this student (repeatable), each notebook in detail; default: every submission, "
        "a line each",
    )
    add_output_arguments(parser)


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--verbose or --json."""
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="each student's notebooks: scores, every problem, flag and crash, and the nbgrader "
        "log of a failure (default: one line per student, notes only where needed)",
    )
    shown.add_argument(
        "--json",
        action="store_true",
        help="print the results as one JSON object for scripts (format: docs/instructors.md)",
    )


def add_autograde_arguments(parser: argparse.ArgumentParser) -> None:
    """--student, --workers, --scheduler, --executor, --no-force, --verbose, --json."""
    add_output_arguments(parser)
    add_student_argument(parser, "grade only this student (repeatable); default: every submission")
    parser.add_argument(
        "--workers",
        metavar="N",
        type=positive_int,
        default=None,
        help="students graded at once, each in its own process; 1 grades in this process "
        "(default: c.CourseKit.autograde_workers, else every available core)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="URL",
        default=None,
        help="grade on the Dask cluster of this scheduler, e.g. tcp://head:8786; its workers "
        "must see the course folder (default: c.CourseKit.dask_scheduler)",
    )
    parser.add_argument(
        "--executor",
        metavar="NAME",
        default=None,
        help="inline, local (process pool), dask (--scheduler's cluster, else a LocalCluster "
        "of --workers processes) or a factory 'package.module:callable' (default: chosen "
        "from --scheduler and --workers)",
    )
    parser.add_argument(
        "--no-force",
        dest="force",
        action="store_false",
        help="as stock nbgrader autograde: skip students already autograded whose submission "
        "is not newer (default: grade everyone again); a student a killed run left half-graded "
        "is graded again either way",
    )


def cmd_check(course: Course | None, args: argparse.Namespace) -> int:
    """Run one notebook's visible tests; 2 if any fails or could not run."""
    from coursekit.grading.check import check_notebook

    report = check_notebook(args.notebook, progress=unless_quiet(args, print_cell_progress))
    echo(render_check(report, quiet=args.quiet), keep=[report.path])
    return EXIT_OK if report.ok else EXIT_PARTIAL


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """NOTEBOOK."""
    parser.add_argument("notebook", metavar="NOTEBOOK", type=Path, help="the .ipynb to check")


AUTOGRADE = Verb(
    "autograde",
    "inspect and autograde submissions",
    "course autograde lecture1 --student s1",
    cmd_autograde,
    add_autograde_arguments,
)
STATUS = Verb(
    "status",
    "print the last autograde's table again, or a student's notebooks in detail, grading nothing",
    "course status lecture1 --student s1",
    cmd_status,
    add_status_arguments,
)
CHECK = Verb(
    "check",
    "(students) run a notebook's visible tests and say what passes, what fails and why",
    "course check ~/Downloads/exercise_0_python.ipynb",
    cmd_check,
    add_check_arguments,
    assignment=False,
    needs_course=False,  # a student's folder has no nbgrader_config.py
)
