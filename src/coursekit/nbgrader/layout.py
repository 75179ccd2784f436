"""The course directory as nbgrader resolves it from a config: root, gradebook URL, step folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config


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
