"""`course answers`: the grading page on a small tornado server of its own, behind a token."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

from tornado import httpserver, web
from tornado.netutil import bind_sockets

from coursekit.answers.access import TOKEN_GRADER, Grader
from coursekit.answers.handlers import ApiHandler, PageHandler, Services, routes
from coursekit.core.course import Course
from coursekit.core.errors import CourseError


class TokenAuth:
    """The holder of the server's token is its (lead) grader; nobody else is anyone."""

    settings: dict
    request: object

    def grader(self) -> Grader | None:
        token = self.get_query_argument("token", "")  # type: ignore[attr-defined]
        header = self.request.headers.get("Authorization", "")  # type: ignore[attr-defined]
        if header.startswith("token "):
            token = header.removeprefix("token ")
        if token and hmac.compare_digest(token, self.settings["answers_token"]):
            return Grader(TOKEN_GRADER, lead=True)
        return None


class TokenPage(TokenAuth, PageHandler, web.RequestHandler):
    """The page, for the token's holder."""


class TokenApi(TokenAuth, ApiHandler, web.RequestHandler):
    """The API, for the token's holder."""


@dataclass
class RunningServer:
    """A started standalone server: its URL (with the token) and how to stop it."""

    url: str
    token: str
    stop: Callable[[], None]


def make_app(course: Course, token: str) -> tuple[web.Application, Services]:
    """The tornado application of the page for one course, and its services (to close)."""
    services = Services(course)
    app = web.Application(routes("/", services, TokenPage, TokenApi), answers_token=token)
    return app, services


def start_server(
    course: Course, assignment_id: str, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Listen on host:port (0: any free port) in the running asyncio loop; return its URL."""
    token = secrets.token_urlsafe(24)
    app, services = make_app(course, token)
    services.get(assignment_id)  # a malformed rubric or missing assignment fails here, not later
    try:
        sockets = bind_sockets(port, address=host, family=socket.AF_INET)
    except OSError as error:
        services.close()
        raise CourseError(
            f"cannot listen on {host}:{port} ({error.strerror}); choose another --port "
            "(0: any free one) or --ip"
        ) from error
    server = httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown}:{bound}/answers/{assignment_id}/?token={token}"

    def stop() -> None:
        server.stop()
        services.close()

    return RunningServer(url, token, stop)


async def serve_forever(
    course: Course, assignment_id: str, host: str, port: int, announce: Callable[[str], None]
) -> None:
    """Start the server, announce its URL, and serve until cancelled (Ctrl-C)."""
    running = start_server(course, assignment_id, host, port)
    announce(running.url)
    try:
        await asyncio.Event().wait()  # bounded: until Ctrl-C cancels the loop
    finally:
        running.stop()


def serve_answers(
    course: Course, assignment_id: str, host: str, port: int, announce: Callable[[str], None]
) -> None:
    """Serve the grading page until Ctrl-C; announce(url) once it listens."""
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a TA ends it
        asyncio.run(serve_forever(course, assignment_id, host, port, announce))
