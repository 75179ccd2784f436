"""The `course` command: argument parsing only; each subcommand calls one function."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from coursekit.authoring.release import release_assignment
from coursekit.authoring.summary import summarize_assignment
from coursekit.authoring.types import NotebookProof
from coursekit.calibration.calibrate import calibrate_assignment
from coursekit.calibration.markdown import render_calibration
from coursekit.cli.progress import ProgressMeter
from coursekit.cli.render import (
    render_autograde,
    render_check,
    render_collect,
    render_feedback,
    render_grade_rows,
    render_progress,
    render_progress_bar,
    render_progress_log_line,
    render_release,
    render_roster_import,
    render_summary,
)
from coursekit.core.course import Course, locate_course
from coursekit.core.environment import put_venv_first_on_path
from coursekit.core.errors import CourseError
from coursekit.demo import run_demo
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.check import check_notebook
from coursekit.grading.types import Status, StudentOutcome
from coursekit.grading.workers import ExecutorSpec
from coursekit.intake.collect import collect_submissions
from coursekit.intake.roster import import_roster
from coursekit.reporting.export import LMS_FORMATS, export_cell_grades, export_grades, export_lms
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.report_html import render_report_summary, write_report

EXIT_OK = 0
EXIT_USAGE = 1  # bad arguments or course config: a message, no traceback
EXIT_PARTIAL = 2  # some submissions rejected or failed, a proof failed, a calibration failed
# The reader of stdout went away (`course summary lecture1 | head`): the shell's code for a
# process ended by SIGPIPE, which is what `cat` or `grep` would have returned.
EXIT_BROKEN_PIPE = 128 + 13

EXAMPLES = """\
examples:
  course release lecture1                 generate release/lecture1 and prove it
  course release lecture1 --no-execute    only check it for leaks (fast)
  course autograde lecture1               grade every submitted/*/lecture1
  course autograde lecture1 --student s1 --student s2
  course autograde lecture1 --workers 8   8 students at a time (default: every core)
  course autograde lecture1 --scheduler tcp://head:8786   on a Dask cluster
  course feedback lecture1                feedback/<student>/lecture1/*.html
  course export lecture1 --to grades.csv  one row per student and notebook
  course export lecture1 --format cells   one row per student, notebook and grade cell
  course export lecture1 --format canvas --column "Lecture 1 (4242)"   for Canvas's import
  course report lecture1                  report/lecture1.html: scores, tests, flags, pairs
  course demo --dir /tmp/demo             the whole pipeline on a synthetic cohort
  course summary lecture1                 the notebooks, graded cells and points (Markdown)
  course calibrate lecture1 --seeds 30    tolerances vs correct answers, and answer variants
  course feedback lecture1 --show-hidden-tests   feedback that shows the hidden tests too
  course check exercise_0_python.ipynb    (students) run the visible tests before submitting
  course roster import students.csv       students (id, names, email) into the gradebook
  course collect lecture1 submissions.zip a Moodle/Canvas/plain download into submitted/

exit codes:
  0  everything went through
  1  usage or configuration error: the message names the file or student and what to do
  2  partial: some students rejected or failed, a proof or check failed; the rest went through
  141  stdout was closed by its reader (`course ... | head`): the rest was not printed
"""


QUIET_HELP = "no progress and no notes; results and errors are still printed"


# `course export --format`: the file each format writes unless --to says otherwise.
EXPORT_FILES = {
    "notebooks": "grades.csv",
    "cells": "grades_cells.csv",
    "moodle": "grades_moodle.csv",
    "canvas": "grades_canvas.csv",
}


class Parser(argparse.ArgumentParser):
    """argparse with usage errors exiting 1, like every other usage or config error here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    summary: str,
    example: str,
    assignment: bool = True,
    optional: bool = False,
) -> argparse.ArgumentParser:
    """A subcommand with its example, taking ASSIGNMENT (optionally) unless assignment=False."""
    # resolve: a subcommand may define its own --quiet over the shared one.
    command = sub.add_parser(
        name, help=summary, epilog=f"example: {example}", conflict_handler="resolve"
    )
    # Also after the subcommand; SUPPRESS keeps a `course --quiet CMD` from being reset.
    command.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help=QUIET_HELP
    )
    if assignment:
        nargs = "?" if optional else None
        command.add_argument("assignment_id", metavar="ASSIGNMENT", nargs=nargs, default=None)
    return command


def build_parser() -> argparse.ArgumentParser:
    """The parser of `course` and its subcommands."""
    parser = Parser(
        prog="course",
        description="Release, autograde, feedback and grade export for an nbgrader course.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--course-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="a folder in the course (default: cwd); the nearest nbgrader_config.py above wins",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    release = add_command(
        sub,
        "release",
        "generate the student version and prove it",
        "course release lecture1 --no-execute",
    )
    release.add_argument(
        "--no-execute",
        dest="execute",
        action="store_false",
        help="skip running the notebooks; only check for leaks",
    )
    autograde = add_command(
        sub,
        "autograde",
        "inspect and autograde submissions",
        "course autograde lecture1 --student s1",
    )
    autograde.add_argument(
        "--student",
        dest="student_ids",
        metavar="ID",
        action="append",
        default=None,
        help="grade only this student (repeatable); default: every submission",
    )
    autograde.add_argument(
        "--workers",
        metavar="N",
        type=positive_int,
        default=None,
        help="students graded at once, each in its own process; 1 grades in this process "
        "(default: c.CourseKit.autograde_workers, else every available core)",
    )
    autograde.add_argument(
        "--scheduler",
        metavar="URL",
        default=None,
        help="grade on the Dask cluster of this scheduler, e.g. tcp://head:8786; its workers "
        "must see the course folder (default: c.CourseKit.dask_scheduler)",
    )
    autograde.add_argument(
        "--executor",
        metavar="NAME",
        default=None,
        help="inline, local (process pool), dask (--scheduler's cluster, else a LocalCluster "
        "of --workers processes) or a factory 'package.module:callable' (default: chosen "
        "from --scheduler and --workers)",
    )
    autograde.add_argument(
        "--no-force",
        dest="force",
        action="store_false",
        help="as stock nbgrader autograde: skip students already autograded whose submission "
        "is not newer (default: grade everyone again); a student a killed run left half-graded "
        "is graded again either way",
    )
    feedback = add_command(sub, "feedback", "write feedback HTML", "course feedback lecture1")
    feedback.add_argument(
        "--show-hidden-tests",
        action="store_true",
        help="show the hidden tests' code and tracebacks too (default: hidden, as in nbgrader)",
    )
    export = add_command(
        sub,
        "export",
        "write grades as CSV",
        "course export lecture1 --to exports/lecture1.csv",
        optional=True,
    )
    export.add_argument(
        "--to",
        dest="path",
        type=Path,
        default=None,
        help="CSV path (default: <course>/grades.csv, grades_cells.csv, grades_moodle.csv, ...)",
    )
    export.add_argument(
        "--format",
        dest="export_format",
        choices=EXPORT_FILES,
        default="notebooks",
        help="notebooks: per student and notebook; cells: per grade cell; moodle, canvas: "
        "the assignment's total in that LMS's gradebook import format",
    )
    export.add_argument(
        "--column",
        default=None,
        help="moodle/canvas: the grade column's header (default: the assignment id); for "
        "Canvas, 'Name (canvas assignment id)' updates that assignment",
    )
    report = add_command(
        sub,
        "report",
        "write the grade report: an HTML page with PNG figures",
        "course report lecture1 --to /tmp/lecture1-report",
    )
    report.add_argument(
        "--to", dest="directory", type=Path, default=None, help="folder (default: <course>/report)"
    )
    demo = add_command(
        sub,
        "demo",
        "run the pipeline on a copy of the course with synthetic students",
        "course demo --dir /tmp/course-demo",
        assignment=False,
    )
    demo.add_argument(
        "--dir", dest="target", type=Path, default=None, help="where (default: <course>/demo)"
    )
    add_command(
        sub,
        "summary",
        "print the notebooks, their graded cells and points as a Markdown table",
        "course summary lecture1",
    )
    calibrate = add_command(
        sub,
        "calibrate",
        "check every tolerance against correct answers over K seeds, then the answer variants",
        "course calibrate lecture1 --notebook exercise_0_python --seeds 30",
    )
    calibrate.add_argument(
        "--seeds",
        type=int,
        default=None,
        metavar="K",
        help="seeds per calibration script (default: each script's own, at least 30)",
    )
    calibrate.add_argument(
        "--notebook", dest="notebook_id", metavar="ID", default=None, help="only this notebook"
    )
    calibrate.add_argument(
        "--no-variants",
        dest="variants",
        action="store_false",
        help="skip running the answer variants in kernels",
    )
    check = add_command(
        sub,
        "check",
        "(students) run a notebook's visible tests and say what passes, what fails and why",
        "course check ~/Downloads/exercise_0_python.ipynb",
        assignment=False,
    )
    check.add_argument("notebook", metavar="NOTEBOOK", type=Path, help="the .ipynb to check")
    collect = add_command(
        sub,
        "collect",
        "put an LMS bulk download (Moodle, Canvas, a folder per student) into submitted/",
        "course collect lecture1 ~/Downloads/submissions.zip --timezone Europe/Berlin",
    )
    collect.add_argument(
        "archive", metavar="ARCHIVE", type=Path, help="the LMS's zip, or the folder it unpacks to"
    )
    collect.add_argument(
        "--roster",
        metavar="CSV",
        type=Path,
        default=None,
        help="map students through this CSV (default: the gradebook's students)",
    )
    collect.add_argument(
        "--timezone",
        metavar="ZONE",
        default="UTC",
        help="the time zone the zip's dates are in, e.g. Europe/Berlin (default: UTC)",
    )
    roster = add_command(
        sub,
        "roster",
        "the course's students in the gradebook",
        "course roster import students.csv",
        assignment=False,
    )
    roster_actions = roster.add_subparsers(dest="roster_action", required=True, parser_class=Parser)
    roster_import = roster_actions.add_parser(
        "import",
        help="add or update students from a CSV: id, first name, last name, email, lms_user_id",
        epilog="example: course roster import students.csv",
    )
    roster_import.add_argument("csv_path", metavar="CSV", type=Path, help="the roster file")
    return parser


def unless_quiet(
    args: argparse.Namespace, progress: Callable[..., None]
) -> Callable[..., None] | None:
    """The progress callback, or None under --quiet."""
    return None if args.quiet else progress


def print_message(message: str) -> None:
    """Show a long-running step on stderr, so it is visibly alive."""
    print(message, file=sys.stderr, flush=True)


def cmd_release(course: Course, args: argparse.Namespace) -> int:
    """Release and prove an assignment; 2 if a proof fails."""
    report = release_assignment(
        course,
        args.assignment_id,
        execute=args.execute,
        progress=unless_quiet(args, print_release_progress),
    )
    print(render_release(report))
    return EXIT_OK if report.ok else EXIT_PARTIAL


def print_release_progress(done: int, total: int, proof: NotebookProof) -> None:
    """Show each proven notebook on stderr: a release runs every notebook twice."""
    state = "proven" if proof.ok else "NOT proven"
    print(f"[{done}/{total}] {proof.notebook_id}: {state}", file=sys.stderr, flush=True)


def print_progress(done: int, total: int, outcome: StudentOutcome) -> None:
    """Show each graded student on stderr, so a long run is visibly alive."""
    print(render_progress(done, total, outcome), file=sys.stderr, flush=True)


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


@dataclass
class AutogradeProgressPrinter:
    """Autograde progress on stderr: a bar redrawn in place on a terminal, else one line each."""

    meter: ProgressMeter = field(default_factory=ProgressMeter, compare=False)

    def __call__(self, done: int, total: int, outcome: StudentOutcome) -> None:
        progress = self.meter.update(done, total, outcome)
        stream = sys.stderr
        if not stream.isatty():  # a CI log: lines, never carriage returns
            print(render_progress_log_line(progress), file=stream, flush=True)
            return
        clear = "\r\x1b[K"  # back to the line's start, erase it
        if outcome.status is not Status.GRADED:  # who failed stays on screen above the bar
            stream.write(f"{clear}{render_progress(done, total, outcome)}\n")
        end = "\n" if done == total else ""
        stream.write(f"{clear}{render_progress_bar(progress)}{end}")
        stream.flush()


def cmd_autograde(course: Course, args: argparse.Namespace) -> int:
    """Autograde submissions; 2 if any was rejected or failed."""
    report = autograde_assignment(
        course,
        args.assignment_id,
        args.student_ids,
        force=args.force,
        progress=unless_quiet(args, AutogradeProgressPrinter()),
        executor=ExecutorSpec(name=args.executor, workers=args.workers, scheduler=args.scheduler),
        notice=print_message,
    )
    print(render_autograde(report))
    return EXIT_OK if report.all_graded else EXIT_PARTIAL


def cmd_feedback(course: Course, args: argparse.Namespace) -> int:
    """Write feedback; 2 if any student's failed."""
    report = generate_feedback(course, args.assignment_id, show_hidden_tests=args.show_hidden_tests)
    print(render_feedback(report))
    return EXIT_OK if report.ok else EXIT_PARTIAL


def cmd_export(course: Course, args: argparse.Namespace) -> int:
    """Export grades to CSV in the chosen format."""
    path = args.path or course.root / EXPORT_FILES[args.export_format]
    if args.export_format in LMS_FORMATS:
        result = export_lms(course, args.assignment_id, args.export_format, path, args.column)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{result.students} students' grades written for {result.lms} to {path}")
    elif args.export_format == "cells":
        cell_rows = export_cell_grades(course, args.assignment_id, path)
        print(f"{len(cell_rows)} grade cells written to {path}")
    else:
        rows = export_grades(course, args.assignment_id, path)
        print(render_grade_rows(rows))
        print(f"Grades written to {path}")
    return EXIT_OK


def cmd_report(course: Course, args: argparse.Namespace) -> int:
    """Write the grade report; flags are for people to read, not a failure."""
    print(render_report_summary(write_report(course, args.assignment_id, args.directory)))
    return EXIT_OK


def cmd_demo(course: Course, args: argparse.Namespace) -> int:
    """Run the demo; 0 when every demo student ended as designed."""
    result = run_demo(course, args.target, progress=unless_quiet(args, print_progress))
    for release in result.releases:
        print(render_release(release), end="\n\n")
    for report in result.autogrades:
        print(render_autograde(report), end="\n\n")
    for feedback in result.feedback:
        print(render_feedback(feedback), end="\n\n")
    print(f"Grades CSV: {result.grades_csv}")
    if result.as_designed:
        print("Demo behaved as designed (demo_broken is rejected on purpose).")
        return EXIT_OK
    print("Demo did NOT behave as designed:", *result.surprises, sep="\n  ")
    return EXIT_PARTIAL


def cmd_summary(course: Course, args: argparse.Namespace) -> int:
    """Print what the assignment grades."""
    print(render_summary(args.assignment_id, summarize_assignment(course, args.assignment_id)))
    return EXIT_OK


def cmd_calibrate(course: Course, args: argparse.Namespace) -> int:
    """Calibrate tolerances and run variants; 2 on a false fail, an uncovered tolerance or a
    variant that does not behave as expected."""
    report = calibrate_assignment(
        course,
        args.assignment_id,
        args.seeds,
        notebook_id=args.notebook_id,
        variants=args.variants,
        progress=unless_quiet(args, print_message),
    )
    print(render_calibration(report))
    return EXIT_OK if report.ok else EXIT_PARTIAL


def print_cell_progress(started: int, total: int) -> None:
    """Show which code cell runs: one line rewritten in place on a terminal, else one line."""
    if sys.stderr.isatty():
        end = "\n" if started == total else ""
        print(f"\r\x1b[Krunning cell {started}/{total}", end=end, file=sys.stderr, flush=True)
    elif started == 1:  # a log file gets no carriage returns
        print(f"running {total} code cells in a fresh kernel", file=sys.stderr, flush=True)


def cmd_check(course: Course | None, args: argparse.Namespace) -> int:
    """Run one notebook's visible tests; 2 if any fails or could not run."""
    progress = None if args.quiet else print_cell_progress
    report = check_notebook(args.notebook, progress=progress)
    print(render_check(report, quiet=args.quiet))
    return EXIT_OK if report.ok else EXIT_PARTIAL


def cmd_collect(course: Course, args: argparse.Namespace) -> int:
    """Collect an LMS download; 2 if anything was refused, not mapped or not matched."""
    report = collect_submissions(
        course, args.assignment_id, args.archive, roster=args.roster, timezone=args.timezone
    )
    print(render_collect(report))
    return EXIT_OK if report.ok else EXIT_PARTIAL


def cmd_roster(course: Course, args: argparse.Namespace) -> int:
    """Import a roster CSV into the gradebook (the only roster action)."""
    print(render_roster_import(import_roster(course, args.csv_path)))
    return EXIT_OK


# Commands a student runs outside any course: no nbgrader_config.py is looked for.
COURSELESS = {"check"}

COMMANDS = {
    "release": cmd_release,
    "autograde": cmd_autograde,
    "feedback": cmd_feedback,
    "export": cmd_export,
    "report": cmd_report,
    "demo": cmd_demo,
    "summary": cmd_summary,
    "calibrate": cmd_calibrate,
    "check": cmd_check,
    "collect": cmd_collect,
    "roster": cmd_roster,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run `course`; returns the exit code."""
    put_venv_first_on_path()
    args = build_parser().parse_args(argv)
    try:
        course = None if args.command in COURSELESS else locate_course(args.course_dir)
        code = COMMANDS[args.command](course, args)
        sys.stdout.flush()  # a closed pipe surfaces here, not at interpreter exit
        return code
    except CourseError as error:
        print(f"course: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Python would print a traceback for this, and again when it flushes stdout at exit:
        # point stdout at /dev/null so that flush has nowhere to fail (Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
