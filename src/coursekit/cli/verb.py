"""What every `course` verb shares: its declaration, exit codes, --quiet and usage errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # imports nbgrader: a verb finds its course only when it runs
    from coursekit.core.course import Course

EXIT_OK = 0
EXIT_USAGE = 1  # bad arguments or course config: a message, no traceback
EXIT_PARTIAL = 2  # some submissions rejected or failed, a proof failed, a calibration failed
# The reader of stdout went away (`course summary lecture1 | head`): the shell's code for a
# process ended by SIGPIPE, which is what `cat` or `grep` would have returned.
EXIT_BROKEN_PIPE = 128 + 13

QUIET_HELP = "no progress and no notes: what needs a person, errors and the summary still print"


class Parser(argparse.ArgumentParser):
    """argparse with usage errors exiting 1, like every other usage or config error here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


Handler = Callable[["Course | None", argparse.Namespace], int]


@dataclass(frozen=True)
class Verb:
    """One subcommand of `course`: its help, its own arguments, and the handler that runs it.

    The handler calls one function of its stage, imported when the verb runs, and returns the
    exit code; `course --help` imports no stage.
    """

    name: str
    summary: str
    example: str
    run: Handler
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    assignment: bool = True  # takes ASSIGNMENT
    optional: bool = False  # ... which may be left out
    needs_course: bool = True  # False: a student's command, run outside any course

    def add_parser(self, subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
        """Add this verb, with its example, --quiet, ASSIGNMENT and its own arguments."""
        # resolve: a subcommand may define its own --quiet over the shared one.
        command = subparsers.add_parser(
            self.name,
            help=self.summary,
            epilog=f"example: {self.example}",
            conflict_handler="resolve",
        )
        # Also after the subcommand; SUPPRESS keeps a `course --quiet CMD` from being reset.
        command.add_argument(
            "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help=QUIET_HELP
        )
        if self.assignment:
            nargs = "?" if self.optional else None
            command.add_argument("assignment_id", metavar="ASSIGNMENT", nargs=nargs, default=None)
        if self.add_arguments is not None:
            self.add_arguments(command)
        return command


def unless_quiet(
    args: argparse.Namespace, progress: Callable[..., None]
) -> Callable[..., None] | None:
    """The progress callback, or None under --quiet."""
    return None if args.quiet else progress
