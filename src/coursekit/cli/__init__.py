"""The `course` command: its parser, one module per verb group, terminal rendering, progress.

app.main runs it; parser.py builds the argparse parser from the verbs that authoring.py,
intake.py, grading.py, reporting.py, calibration.py and demo.py declare (verb.py: what they share);
render.py and printers.py write results and progress; progress.py computes an autograde's.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `course` (the console script's entry point); returns the exit code."""
    from coursekit.cli.app import main as run

    return run(argv)
