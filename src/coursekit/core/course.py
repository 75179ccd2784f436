"""Where things are: the course root, its nbgrader config and every path derived from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

from coursekit.core.errors import CourseError
from coursekit.nbgrader.layout import CourseLayout, read_layout

CONFIG_FILENAME = "nbgrader_config.py"


@dataclass(frozen=True)
class Course:
    """An nbgrader course: its config and the paths nbgrader's CourseDirectory derives from it."""

    config_file: Path
    layout: CourseLayout
    config: Config = field(repr=False, compare=False)

    @property
    def root(self) -> Path:
        """The course root (CourseDirectory.root)."""
        return self.layout.root

    @property
    def db_url(self) -> str:
        """The gradebook URL (CourseDirectory.db_url)."""
        return self.layout.db_url

    def step_dir(self, step: str, assignment_id: str, student_id: str = ".") -> Path:
        """The folder of one nbgrader step (source, release, ...) for one assignment and student."""
        return self.layout.format_path(step, student_id, assignment_id)

    def source_dir(self, assignment_id: str) -> Path:
        """Where the instructor notebooks of an assignment live."""
        return self.step_dir(self.layout.source_directory, assignment_id)

    def release_dir(self, assignment_id: str) -> Path:
        """Where generate_assignment writes the student version."""
        return self.step_dir(self.layout.release_directory, assignment_id)

    def submitted_dir(self, assignment_id: str, student_id: str) -> Path:
        """Where one student's collected submission lives."""
        return self.step_dir(self.layout.submitted_directory, assignment_id, student_id)

    def autograded_dir(self, assignment_id: str, student_id: str) -> Path:
        """Where autograde writes one student's graded notebooks."""
        return self.step_dir(self.layout.autograded_directory, assignment_id, student_id)

    def feedback_dir(self, assignment_id: str, student_id: str) -> Path:
        """Where generate_feedback writes one student's HTML."""
        return self.step_dir(self.layout.feedback_directory, assignment_id, student_id)

    def log_file(self, verb: str) -> Path:
        """Where `course VERB` writes what kernels and libraries print: logs/course-VERB.log."""
        return self.root / "logs" / f"course-{verb}.log"

    def notebook_ids(self, assignment_id: str) -> list[str]:
        """The notebook ids (file stems) of an assignment, from its source folder, sorted."""
        source = self.source_dir(assignment_id)
        if not source.is_dir():
            raise CourseError(
                f"No assignment {assignment_id!r}: {source} does not exist. "
                f"Put the instructor notebooks in {source}/."
            )
        return sorted(path.stem for path in source.glob("*.ipynb"))

    def assignment_ids(self) -> list[str]:
        """The assignments with a source folder, sorted."""
        pattern = self.layout.directory_structure.format(
            nbgrader_step=self.layout.source_directory, student_id=".", assignment_id="*"
        )
        return sorted(path.name for path in self.root.glob(pattern) if path.is_dir())

    def submitted_student_ids(self, assignment_id: str) -> list[str]:
        """The students with a submission folder for this assignment, sorted."""
        pattern = self.layout.directory_structure.format(
            nbgrader_step=self.layout.submitted_directory,
            student_id="*",
            assignment_id=assignment_id,
        )
        parts = Path(pattern).parts
        index = parts.index("*")
        return sorted(
            {
                path.relative_to(self.root).parts[index]
                for path in self.root.glob(pattern)
                if path.is_dir()
            }
        )


def find_config_file(start: Path) -> Path:
    """The nbgrader_config.py in start or its nearest ancestor that has one."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
    raise CourseError(
        f"No {CONFIG_FILENAME} in {start} or any folder above it. "
        "Run this from inside the course or pass --course-dir."
    )


def load_config(config_file: Path) -> Config:
    """Load an nbgrader_config.py the way nbgrader's apps do (traitlets' Python loader)."""
    loader = PyFileConfigLoader(config_file.name, path=str(config_file.parent))
    try:
        return loader.load_config()
    except ConfigFileNotFound as error:
        raise CourseError(f"Cannot read {config_file}: {error}") from error
    except Exception as error:  # the file is arbitrary Python; any error is the user's to fix
        raise CourseError(
            f"{config_file} fails to load: {type(error).__name__}: {error}"
        ) from error


def locate_course(start: Path | None = None) -> Course:
    """The course whose nbgrader_config.py is in start (default: cwd) or its nearest ancestor."""
    config_file = find_config_file(start if start is not None else Path.cwd())
    config = load_config(config_file)
    layout = read_layout(config, default_root=config_file.parent)
    return Course(config_file=config_file, layout=layout, config=config)
