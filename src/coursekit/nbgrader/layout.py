"""The course directory as nbgrader resolves it from a config: root, gradebook URL, step folders.

Read from the config's CourseDirectory section with nbgrader's defaults and rules, without
importing nbgrader: its package imports its server extensions (2.7 s), and every `course` verb
locates its course first, `course summary` included. tests/test_pipeline_course.py checks that
this gives what nbgrader's CourseDirectory gives for the same configs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

# nbgrader 0.9's CourseDirectory defaults for the settings coursekit reads (db_url and root have
# computed defaults: read_layout).
DEFAULTS = {
    "course_id": "",
    "directory_structure": os.path.join("{nbgrader_step}", "{student_id}", "{assignment_id}"),
    "source_directory": "source",
    "release_directory": "release",
    "submitted_directory": "submitted",
    "autograded_directory": "autograded",
    "feedback_directory": "feedback",
}


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
    section = config.get("CourseDirectory", {})
    # nbgrader makes a configured root absolute against the working directory.
    root = os.path.abspath(section["root"]) if "root" in section else str(default_root)
    settings = {name: str(section.get(name, default)) for name, default in DEFAULTS.items()}
    db_url = section.get(
        "db_url", f"sqlite:///{os.path.abspath(os.path.join(root, 'gradebook.db'))}"
    )
    return CourseLayout(
        root=Path(root).resolve(),
        db_url=str(db_url),
        course_id=settings["course_id"].strip(),  # nbgrader strips it (with a warning)
        directory_structure=settings["directory_structure"],
        source_directory=settings["source_directory"],
        release_directory=settings["release_directory"],
        submitted_directory=settings["submitted_directory"],
        autograded_directory=settings["autograded_directory"],
        feedback_directory=settings["feedback_directory"],
    )
