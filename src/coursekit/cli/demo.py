"""`course demo`: the whole pipeline, release to grades, on a synthetic cohort."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.cli.autograde_table import AutogradeView
from coursekit.cli.printers import print_progress
from coursekit.cli.render import (
    feedback_folder,
    render_autograde,
    render_feedback,
    render_release,
)
from coursekit.cli.terminal import echo, output_width, uses_color
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL, Verb, unless_quiet

if TYPE_CHECKING:
    from coursekit.core.course import Course


def cmd_demo(course: Course, args: argparse.Namespace) -> int:
    """Run the demo; 0 when every demo student ended as designed."""
    from coursekit.demo import run_demo

    result = run_demo(course, args.target, progress=unless_quiet(args, print_progress))
    for release in result.releases:
        echo(render_release(release) + "\n", keep=[release.release_dir])
    view = AutogradeView(quiet=args.quiet, width=output_width(), color=uses_color())
    seconds = result.autograde_seconds or (None,) * len(result.autogrades)
    for report, elapsed_s in zip(result.autogrades, seconds, strict=True):
        timed = dataclasses.replace(view, elapsed_s=elapsed_s)
        print(render_autograde(report, timed), end="\n\n")  # fitted already, maybe coloured
    for feedback in result.feedback:
        echo(render_feedback(feedback) + "\n", keep=[feedback_folder(feedback)])
    echo(f"Grades CSV: {result.grades_csv}", keep=[result.grades_csv])
    if result.as_designed:
        print("Demo behaved as designed (demo_broken is rejected on purpose).")
        return EXIT_OK
    echo("\n  ".join(["Demo did NOT behave as designed:", *result.surprises]))
    return EXIT_PARTIAL


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """--dir."""
    parser.add_argument(
        "--dir", dest="target", type=Path, default=None, help="where (default: <course>/demo)"
    )


DEMO = Verb(
    "demo",
    "run the pipeline on a copy of the course with synthetic students",
    "course demo --dir /tmp/course-demo",
    cmd_demo,
    add_demo_arguments,
    assignment=False,
)
