"""The only module that talks to nbgrader: thin typed wrappers around its API and gradebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from coursekit.errors import NbgraderError

if TYPE_CHECKING:  # course.py imports this module to resolve its layout
    from coursekit.course import Course

# How much of nbgrader's log an error message carries: enough for the traceback's end.
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class CourseLayout:
    """The CourseDirectory settings coursekit needs, resolved from the course config."""

    root: Path
    db_url: str
    course_id: str
    directory_structure: str
    source_directory: str
    release_directory: str
    submitted_directory: str
    autograded_directory: str
    feedback_directory: str

    def format_path(self, step: str, student_id: str, assignment_id: str) -> Path:
        """The folder of a step for a student and assignment, as CourseDirectory.format_path."""
        relative = self.directory_structure.format(
            nbgrader_step=step, student_id=student_id, assignment_id=assignment_id
        )
        return Path(self.root, relative)


def read_layout(config: Config, default_root: Path) -> CourseLayout:
    """Resolve the CourseDirectory of a config; a root it leaves unset means default_root."""
    coursedir = CourseDirectory(config=config)
    root_set = "root" in config.get("CourseDirectory", {})
    root = Path(coursedir.root) if root_set else default_root
    if not root.is_absolute():
        root = default_root / root
    if not root_set:
        coursedir.root = str(root)
    return CourseLayout(
        root=root.resolve(),
        db_url=coursedir.db_url,
        course_id=coursedir.course_id,
        directory_structure=coursedir.directory_structure,
        source_directory=coursedir.source_directory,
        release_directory=coursedir.release_directory,
        submitted_directory=coursedir.submitted_directory,
        autograded_directory=coursedir.autograded_directory,
        feedback_directory=coursedir.feedback_directory,
    )


def make_api(course: Course) -> NbGraderAPI:
    """An NbGraderAPI on the course's config, rooted at the course root."""
    coursedir = CourseDirectory(config=course.config)
    coursedir.root = str(course.root)
    return NbGraderAPI(coursedir=coursedir, config=course.config)


def log_tail(result: dict[str, object], lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of what nbgrader logged and raised for one call."""
    text = "\n".join(str(result.get(key, "")) for key in ("log", "error") if result.get(key))
    return "\n".join(text.strip().splitlines()[-lines:])


def check_result(result: dict[str, object], what: str) -> str:
    """nbgrader's log of a call; raise NbgraderError with its tail if the call failed."""
    if not result.get("success"):
        raise NbgraderError(f"nbgrader failed to {what}:\n{log_tail(result)}")
    return str(result.get("log", ""))


def generate_assignment(course: Course, assignment_id: str) -> str:
    """Run nbgrader generate_assignment (forced, creating the assignment); return its log."""
    result = make_api(course).generate_assignment(assignment_id, force=True, create=True)
    return check_result(result, f"generate the release of {assignment_id!r}")
