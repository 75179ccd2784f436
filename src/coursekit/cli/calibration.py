"""`course calibrate`: the calibration stage's verb."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coursekit.cli.printers import print_message
from coursekit.cli.verb import EXIT_OK, EXIT_PARTIAL, Verb, unless_quiet

if TYPE_CHECKING:
    from coursekit.core.course import Course


def cmd_calibrate(course: Course, args: argparse.Namespace) -> int:
    """Calibrate tolerances and run variants; 2 on a false fail, an uncovered tolerance or a
    variant that does not behave as expected."""
    from coursekit.calibration.calibrate import calibrate_assignment
    from coursekit.calibration.markdown import render_calibration

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


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    """--seeds, --notebook, --no-variants."""
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        metavar="K",
        help="seeds per notebook's calibration (default: each spec's own, at least 30)",
    )
    parser.add_argument(
        "--notebook", dest="notebook_id", metavar="ID", default=None, help="only this notebook"
    )
    parser.add_argument(
        "--no-variants",
        dest="variants",
        action="store_false",
        help="skip running the answer variants in kernels",
    )


CALIBRATE = Verb(
    "calibrate",
    "check every tolerance against correct answers over K seeds, then the answer variants",
    "course calibrate lecture1 --notebook exercise_0_python --seeds 30",
    cmd_calibrate,
    add_calibrate_arguments,
)
