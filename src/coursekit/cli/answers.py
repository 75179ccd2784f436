"""`course answers`: the page where TAs grade written answers by question."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coursekit.cli.terminal import echo
from coursekit.cli.verb import EXIT_OK, Verb

if TYPE_CHECKING:
    from coursekit.core.course import Course


def announce_url(url: str) -> None:
    """Print where the page is, with its token (the only key to it)."""
    echo(
        f"Grading page (Ctrl-C stops it; the token in the URL is its only key):\n  {url}",
        keep=[url],
    )


def cmd_answers(course: Course, args: argparse.Namespace) -> int:
    """Serve the grading page until Ctrl-C."""
    from coursekit.answers.server import serve_answers

    serve_answers(course, args.assignment_id, args.ip, args.port, announce_url)
    return EXIT_OK


def add_answers_arguments(parser: argparse.ArgumentParser) -> None:
    """--ip, --port."""
    parser.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for TAs on other machines)",
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on (default: 8765; 0: any free)"
    )


ANSWERS = Verb(
    "answers",
    "serve the page where TAs grade written answers by question, with a rubric",
    "course answers lecture1 --port 8765",
    cmd_answers,
    add_answers_arguments,
)
