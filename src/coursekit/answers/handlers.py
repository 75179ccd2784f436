"""The grading page's HTTP handlers (tornado), for both the standalone server and Jupyter's.

`AnswersHandler` does the work; who is asking is the one thing the two servers answer apart
(`grader()`): a token for `course answers`, Jupyter's logged-in user for the extension. A
request from anyone else gets 403 before any answer is read.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from tornado import web

from coursekit.answers.access import Grader
from coursekit.answers.service import AnswersService
from coursekit.answers.store import StaleComment
from coursekit.core.course import Course
from coursekit.core.errors import CourseError

STATIC_DIR = resources.files("coursekit.answers") / "static"


class Services:
    """One AnswersService per assignment, opened at its first request and kept."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self.open: dict[str, AnswersService] = {}

    def get(self, assignment_id: str) -> AnswersService:
        """The assignment's service; CourseError if the course has no such assignment."""
        if assignment_id not in self.open:
            if assignment_id not in self.course.assignment_ids():
                raise CourseError(f"the course has no assignment {assignment_id!r}")
            self.open[assignment_id] = AnswersService(self.course, assignment_id)
        return self.open[assignment_id]

    def close(self) -> None:
        """Close every service's gradebook."""
        for service in self.open.values():
            service.close()
        self.open.clear()


class AnswersMixin:
    """The page and its JSON API; a subclass says who the request's grader is."""

    services: Services

    def initialize(self, services: Services) -> None:
        self.services = services

    def grader(self) -> Grader | None:
        raise NotImplementedError

    def authorised(self, lead: bool = False) -> Grader:
        """The request's grader; 403 for anyone the course does not list (or not a lead)."""
        grader = self.grader()
        if grader is None:
            raise web.HTTPError(403, "only the course's graders may open this page")
        if lead and not grader.lead:
            raise web.HTTPError(403, "only a lead grader may change the rubric")
        return grader

    def send_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(value))

    def body(self) -> dict[str, Any]:
        try:
            return json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as error:
            raise web.HTTPError(400, f"the request body is not JSON: {error}") from error


class PageHandler(AnswersMixin):
    """GET <base>/answers/<assignment>/: the page (its data comes from the API)."""

    def get(self, assignment_id: str) -> None:
        grader = self.authorised()
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        page = page.replace("{{assignment}}", assignment_id).replace("{{grader}}", grader.name)
        self.set_header("Cache-Control", "no-store")
        self.finish(page.replace("{{lead}}", "true" if grader.lead else "false"))


class ApiHandler(AnswersMixin):
    """<base>/answers/<assignment>/api/<action>: reads (GET) and changes (POST) as JSON."""

    def get(self, assignment_id: str, action: str) -> None:
        self.authorised()
        self.run(assignment_id, action, {"key": self.get_argument("key", "")}, None)

    def post(self, assignment_id: str, action: str) -> None:
        grader = self.authorised(lead=action == "item")
        self.run(assignment_id, action, self.body(), grader)

    def run(
        self, assignment_id: str, action: str, data: dict[str, Any], grader: Grader | None
    ) -> None:
        try:
            service = self.services.get(assignment_id)
            self.send_json(perform(service, action, data, grader))
        except StaleComment as stale:
            self.send_json({"error": str(stale), "comment": stale.current.comment}, 409)
        except CourseError as error:
            self.send_json({"error": str(error)}, 400)
        except (KeyError, TypeError, ValueError) as error:
            self.send_json({"error": f"malformed request: {error!r}"}, 400)


def perform(
    service: AnswersService, action: str, data: dict[str, Any], grader: Grader | None
) -> Any:
    """Run one API action; a change returns the question as it is after it."""
    if action == "questions":
        return service.overview()
    if action == "version":
        return {"version": service.version(data["key"])}
    if action == "question":
        return service.view(data["key"])
    if grader is None:  # a GET of a changing action
        raise web.HTTPError(405)
    question = service.question(data["key"])
    store = service.store
    if action == "apply":
        store.apply(
            question, data["students"], int(data["item_id"]), bool(data["applied"]), grader.name
        )
    elif action == "grade":
        store.grade(question, data["students"])
    elif action == "comment":
        versions = {str(student): int(v) for student, v in dict(data["versions"]).items()}
        store.set_comment(question, versions, str(data["comment"]), grader.name)
    elif action == "item" and data.get("delete"):
        store.delete_item(question, int(data["item_id"]))
    elif action == "item":
        item_id = None if data.get("item_id") is None else int(data["item_id"])
        store.edit_item(question, item_id, float(data["points"]), str(data["description"]))
    else:
        raise web.HTTPError(404, f"no action {action!r}")
    return service.view(data["key"])


def routes(base_url: str, services: Services, page: type, api: type) -> list[tuple]:
    """The URL patterns of the page, its API and its static files under base_url."""
    prefix = base_url.rstrip("/") + "/answers"
    return [
        (rf"{prefix}/static/(.*)", web.StaticFileHandler, {"path": str(STATIC_DIR)}),
        (rf"{prefix}/([\w.-]+)/?", page, {"services": services}),
        (rf"{prefix}/([\w.-]+)/api/(\w+)", api, {"services": services}),
    ]
