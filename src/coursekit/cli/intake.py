"""`course collect` and `course roster import`: the intake stage's verbs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.cli.render import collect_paths, render_collect, render_roster_import
from coursekit.cli.terminal import echo, output_width
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL, Parser, Verb

if TYPE_CHECKING:
    from coursekit.core.course import Course


def cmd_collect(course: Course, args: argparse.Namespace) -> int:
    """Collect an LMS download; 2 if anything was refused, not mapped or not matched."""
    from coursekit.intake.collect import collect_submissions

    report = collect_submissions(
        course, args.assignment_id, args.archive, roster=args.roster, timezone=args.timezone
    )
    echo(render_collect(report, output_width()), keep=collect_paths(report))
    return EXIT_OK if report.ok else EXIT_PARTIAL


def add_collect_arguments(parser: argparse.ArgumentParser) -> None:
    """ARCHIVE, --roster, --timezone."""
    parser.add_argument(
        "archive", metavar="ARCHIVE", type=Path, help="the LMS's zip, or the folder it unpacks to"
    )
    parser.add_argument(
        "--roster",
        metavar="CSV",
        type=Path,
        default=None,
        help="map students through this CSV (default: the gradebook's students)",
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        default="UTC",
        help="the time zone the zip's dates are in, e.g. Europe/Berlin (default: UTC)",
    )


def cmd_roster(course: Course, args: argparse.Namespace) -> int:
    """Import a roster CSV into the gradebook (the only roster action)."""
    from coursekit.intake.roster import import_roster

    echo(render_roster_import(import_roster(course, args.csv_path)), keep=[str(args.csv_path)])
    return EXIT_OK


def add_roster_arguments(parser: argparse.ArgumentParser) -> None:
    """The roster's actions: import CSV."""
    actions = parser.add_subparsers(dest="roster_action", required=True, parser_class=Parser)
    roster_import = actions.add_parser(
        "import",
        help="add or update students from a CSV: id, first name, last name, email, lms_user_id",
        epilog="example: course roster import students.csv",
    )
    roster_import.add_argument("csv_path", metavar="CSV", type=Path, help="the roster file")


COLLECT = Verb(
    "collect",
    "put an LMS bulk download (Moodle, Canvas, a folder per student) into submitted/",
    "course collect lecture1 ~/Downloads/submissions.zip --timezone Europe/Berlin",
    cmd_collect,
    add_collect_arguments,
)
ROSTER = Verb(
    "roster",
    "the course's students in the gradebook",
    "course roster import students.csv",
    cmd_roster,
    add_roster_arguments,
    assignment=False,
)
