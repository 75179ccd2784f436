"""The `course` command: argument parsing, one function per verb, terminal rendering."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `course` (the console script's entry point); returns the exit code."""
    # Imported when run, not when coursekit.cli is: the stages import cli.render and
    # cli.progress without pulling in every verb.
    from coursekit.cli.app import main as run

    return run(argv)
