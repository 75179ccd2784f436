"""The parser of `course`: its options, examples and exit codes, and the verbs it registers."""

from __future__ import annotations

import argparse
from pathlib import Path

from coursekit.cli import answers, authoring, calibration, demo, grading, intake, reporting
from coursekit.cli.verb import QUIET_HELP, Parser, Verb

EXAMPLES = """\
examples:
  course release lecture1                 generate release/lecture1 and prove it
  course release lecture1 --no-execute    only check it for leaks (fast)
  course autograde lecture1               grade every submitted/*/lecture1
  course autograde lecture1 --student s1 --student s2
  course autograde lecture1 --workers 8   8 students at a time (default: every core)
  course autograde lecture1 --scheduler tcp://head:8786   on a Dask cluster
  course autograde lecture1 --quiet       only who needs a person, and the summary
  course status lecture1 --student s1     s1's notebooks as last graded (--json for scripts)
  course answers lecture1                 a page for TAs: written answers by question, rubric
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

# In the order `course --help` lists them.
VERBS: dict[str, Verb] = {
    verb.name: verb
    for verb in (
        authoring.RELEASE,
        grading.AUTOGRADE,
        grading.STATUS,
        answers.ANSWERS,
        reporting.FEEDBACK,
        reporting.EXPORT,
        reporting.REPORT,
        demo.DEMO,
        authoring.SUMMARY,
        calibration.CALIBRATE,
        grading.CHECK,
        intake.COLLECT,
        intake.ROSTER,
    )
}


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
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for verb in VERBS.values():
        verb.add_parser(subparsers)
    return parser
