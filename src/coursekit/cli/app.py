"""`course`: parse argv, find the course, run the verb's handler, turn errors into exit codes."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from coursekit.cli.log_file import route_output
from coursekit.cli.parser import VERBS, build_parser
from coursekit.cli.verb import EXIT_BROKEN_PIPE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from coursekit.core.environment import put_venv_first_on_path
from coursekit.core.errors import CourseError

# main and the exit codes it returns (verb.py defines them: the verbs return them too).
__all__ = ["EXIT_BROKEN_PIPE", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run `course`; returns the exit code."""
    put_venv_first_on_path()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    verb = VERBS[args.command]
    # After parsing: locating a course imports nbgrader, which `course --help` never needs.
    from coursekit.core.course import locate_course

    try:
        course = locate_course(args.course_dir) if verb.needs_course else None
        path = course.log_file(verb.name) if course else student_log_file(verb.name)
        with route_output(path, f"course {' '.join(argv)}") as log:
            code = verb.run(course, args)
            sys.stdout.flush()  # a closed pipe surfaces here, not at interpreter exit
        lines = log.lines if log is not None else 0
        if lines and (code != EXIT_OK or not args.quiet):
            print(
                f"Kernel and library messages ({lines} line{'s' if lines > 1 else ''}): "
                f"{log.where()}",
                file=sys.stderr,
            )
        return code
    except CourseError as error:
        print(f"course: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Python would print a traceback for this, and again when it flushes stdout at exit:
        # point stdout at /dev/null so that flush has nowhere to fail (Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def student_log_file(verb: str) -> Path:
    """Where a verb run outside any course (a student's `course check`) logs: the temp folder."""
    user = os.getuid() if hasattr(os, "getuid") else os.getpid()  # /tmp is shared on Linux
    return Path(tempfile.gettempdir()) / f"course-{verb}-{user}.log"
