"""`course release` and `course summary`: the authoring stage's verbs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coursekit.cli.printers import print_release_progress
from coursekit.cli.render import render_release, render_summary
from coursekit.cli.terminal import echo
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL, Verb, unless_quiet

if TYPE_CHECKING:
    from coursekit.core.course import Course


def cmd_release(course: Course, args: argparse.Namespace) -> int:
    """Release and prove an assignment; 2 if a proof fails."""
    from coursekit.authoring.release import release_assignment

    report = release_assignment(
        course,
        args.assignment_id,
        execute=args.execute,
        progress=unless_quiet(args, print_release_progress),
    )
    echo(render_release(report), keep=[report.release_dir])
    return EXIT_OK if report.ok else EXIT_PARTIAL


def add_release_arguments(parser: argparse.ArgumentParser) -> None:
    """--no-execute."""
    parser.add_argument(
        "--no-execute",
        dest="execute",
        action="store_false",
        help="skip running the notebooks; only check for leaks",
    )


def cmd_summary(course: Course, args: argparse.Namespace) -> int:
    """Print what the assignment grades."""
    from coursekit.authoring.summary import summarize_assignment

    print(render_summary(args.assignment_id, summarize_assignment(course, args.assignment_id)))
    return EXIT_OK


RELEASE = Verb(
    "release",
    "generate the student version and prove it",
    "course release lecture1 --no-execute",
    cmd_release,
    add_release_arguments,
)
SUMMARY = Verb(
    "summary",
    "print the notebooks, their graded cells and points as a Markdown table",
    "course summary lecture1",
    cmd_summary,
)
