"""`course feedback`, `course export`, `course report`: the reporting stage's verbs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.cli.render import feedback_folder, render_export, render_feedback, render_report
from coursekit.cli.terminal import echo
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL, Verb

if TYPE_CHECKING:
    from coursekit.core.course import Course

# `course export --format`: the file each format writes unless --to says otherwise.
EXPORT_FILES = {
    "notebooks": "grades.csv",
    "cells": "grades_cells.csv",
    "moodle": "grades_moodle.csv",
    "canvas": "grades_canvas.csv",
}


def cmd_feedback(course: Course, args: argparse.Namespace) -> int:
    """Write feedback; 2 if any student's failed."""
    from coursekit.reporting.feedback import generate_feedback

    report = generate_feedback(course, args.assignment_id, show_hidden_tests=args.show_hidden_tests)
    echo(render_feedback(report), keep=[feedback_folder(report)])
    return EXIT_OK if report.ok else EXIT_PARTIAL


def add_feedback_arguments(parser: argparse.ArgumentParser) -> None:
    """--show-hidden-tests."""
    parser.add_argument(
        "--show-hidden-tests",
        action="store_true",
        help="show the hidden tests' code and tracebacks too (default: hidden, as in nbgrader)",
    )


def cmd_export(course: Course, args: argparse.Namespace) -> int:
    """Export grades to CSV in the chosen format."""
    from coursekit.reporting.export import (
        LMS_FORMATS,
        export_cell_grades,
        export_grades,
        export_lms,
    )

    path = args.path or course.root / EXPORT_FILES[args.export_format]
    keep = [str(path)]
    if args.export_format in LMS_FORMATS:
        result = export_lms(course, args.assignment_id, args.export_format, path, args.column)
        for warning in result.warnings:
            echo(f"warning: {warning}", sys.stderr)
        echo(f"{result.students} students' grades written for {result.lms} to {path}", keep=keep)
    elif args.export_format == "cells":
        cell_rows = export_cell_grades(course, args.assignment_id, path)
        echo(f"{len(cell_rows)} grade cells written to {path}", keep=keep)
    else:
        echo(render_export(export_grades(course, args.assignment_id, path), path), keep=keep)
    return EXIT_OK


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """--to, --format, --column."""
    parser.add_argument(
        "--to",
        dest="path",
        type=Path,
        default=None,
        help="CSV path (default: <course>/grades.csv, grades_cells.csv, grades_moodle.csv, ...)",
    )
    parser.add_argument(
        "--format",
        dest="export_format",
        choices=EXPORT_FILES,
        default="notebooks",
        help="notebooks: per student and notebook; cells: per grade cell; moodle, canvas: "
        "the assignment's total in that LMS's gradebook import format",
    )
    parser.add_argument(
        "--column",
        default=None,
        help="moodle/canvas: the grade column's header (default: the assignment id); for "
        "Canvas, 'Name (canvas assignment id)' updates that assignment",
    )


def cmd_report(course: Course, args: argparse.Namespace) -> int:
    """Write the grade report; flags are for people to read, not a failure."""
    # report_html imports matplotlib: only `course report` pays for it.
    from coursekit.reporting.report_html import write_report

    files = write_report(course, args.assignment_id, args.directory)
    echo(render_report(files), keep=[files.page, *files.figures])
    return EXIT_OK


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """--to."""
    parser.add_argument(
        "--to", dest="directory", type=Path, default=None, help="folder (default: <course>/report)"
    )


FEEDBACK = Verb(
    "feedback",
    "write feedback HTML",
    "course feedback lecture1",
    cmd_feedback,
    add_feedback_arguments,
)
EXPORT = Verb(
    "export",
    "write grades as CSV",
    "course export lecture1 --to exports/lecture1.csv",
    cmd_export,
    add_export_arguments,
    optional=True,
)
REPORT = Verb(
    "report",
    "write the grade report: an HTML page with PNG figures",
    "course report lecture1 --to /tmp/lecture1-report",
    cmd_report,
    add_report_arguments,
)
