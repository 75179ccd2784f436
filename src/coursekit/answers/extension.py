"""The grading page inside Jupyter Server, next to nbgrader's formgrader (and on JupyterHub).

Turn it on in the server's config, `c.ServerApp.jpserver_extensions =
{"coursekit.answers.extension": True}`, in the folder of the course (the server's root_dir);
the page is then at <base_url>answers/<assignment>/ for the logged-in users that
c.CourseKit.graders lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import JupyterHandler

from coursekit.answers.access import Grader, grader_of
from coursekit.answers.handlers import ApiHandler, PageHandler, Services, routes
from coursekit.core.course import locate_course


class JupyterUserAuth:
    """Jupyter's (or the hub's) logged-in user, if the course lists them as a grader."""

    services: Services
    current_user: Any

    def grader(self) -> Grader | None:
        user = self.current_user
        name = getattr(user, "username", user) if user else None
        return grader_of(self.services.course, name)


class JupyterPage(JupyterUserAuth, PageHandler, JupyterHandler):
    """The page, for a logged-in grader."""


class JupyterApi(JupyterUserAuth, ApiHandler, JupyterHandler):
    """The API, for a logged-in grader."""


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "coursekit.answers.extension"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Add the page's handlers for the course whose folder the server runs in."""
    course = locate_course(Path(serverapp.root_dir))
    services = Services(course)
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", routes(base_url, services, JupyterPage, JupyterApi))
    serverapp.log.info("coursekit: grading by question at %sanswers/<assignment>/", base_url)
