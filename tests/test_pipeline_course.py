"""The course is found from any folder inside it and its paths come from nbgrader_config.py."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from coursekit.core.course import locate_course
from coursekit.core.errors import CourseError
from coursekit.nbgrader.layout import CourseLayout, read_layout


def test_course_located_from_a_subfolder_takes_root_and_gradebook_from_config(
    tiny_course_dir: Path,
) -> None:
    course = locate_course(tiny_course_dir / "source" / TINY_ASSIGNMENT)

    root = tiny_course_dir.resolve()
    assert course.root == root
    assert course.db_url == f"sqlite:///{root / 'gradebook' / 'gradebook.db'}"
    assert course.release_dir(TINY_ASSIGNMENT) == root / "release" / TINY_ASSIGNMENT
    assert (
        course.submitted_dir(TINY_ASSIGNMENT, "s1") == root / "submitted" / "s1" / TINY_ASSIGNMENT
    )
    assert course.notebook_ids(TINY_ASSIGNMENT) == [TINY_NOTEBOOK]
    assert course.assignment_ids() == [TINY_ASSIGNMENT]


def test_directory_settings_of_the_config_are_honoured(tiny_course_dir: Path) -> None:
    config = tiny_course_dir / "nbgrader_config.py"
    config.write_text(config.read_text() + '\nc.CourseDirectory.submitted_directory = "inbox"\n')
    course = locate_course(tiny_course_dir)
    assert (
        course.submitted_dir(TINY_ASSIGNMENT, "s1")
        == course.root / "inbox" / "s1" / TINY_ASSIGNMENT
    )


def test_no_config_is_an_error_saying_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="--course-dir"):
        locate_course(tmp_path)


def test_a_config_that_fails_to_load_is_named(tiny_course_dir: Path) -> None:
    (tiny_course_dir / "nbgrader_config.py").write_text("c = get_config()\nc.Oops = 1 +\n")
    with pytest.raises(CourseError, match="nbgrader_config.py fails to load: SyntaxError"):
        locate_course(tiny_course_dir)


def test_unknown_assignment_names_the_missing_folder(tiny_course_dir: Path) -> None:
    with pytest.raises(CourseError, match="No assignment 'ps9'"):
        locate_course(tiny_course_dir).notebook_ids("ps9")


def nbgraders_layout(config: Config, default_root: Path) -> CourseLayout:
    """The layout as nbgrader's CourseDirectory resolves it (a root left unset: default_root)."""
    coursedir = CourseDirectory(config=config)
    if "root" not in config.get("CourseDirectory", {}):
        coursedir.root = str(default_root)
    names = [field.name for field in dataclasses.fields(CourseLayout) if field.name != "root"]
    return CourseLayout(
        root=Path(coursedir.root).resolve(), **{name: getattr(coursedir, name) for name in names}
    )


LAYOUT_CONFIGS = {
    "empty": {},
    "absolute root": {"root": "/srv/course"},
    "relative root": {"root": "courses/dl1"},
    "gradebook elsewhere": {"db_url": "postgresql://grader@db/dl1"},
    "folders renamed": {
        "source_directory": "instructor",
        "submitted_directory": "inbox",
        "directory_structure": "{nbgrader_step}/{assignment_id}/{student_id}",
    },
    "course id with spaces": {"course_id": "  dl-basics  "},
}


@pytest.mark.parametrize("settings", LAYOUT_CONFIGS.values(), ids=LAYOUT_CONFIGS.keys())
def test_the_layout_is_what_nbgraders_course_directory_resolves(
    settings: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative root is relative to the working directory
    config = Config({"CourseDirectory": settings})
    assert read_layout(config, tmp_path / "course") == nbgraders_layout(config, tmp_path / "course")


def test_locating_a_course_imports_no_nbgrader(tiny_course_dir: Path) -> None:
    # nbgrader's package imports its server extensions (seconds): `course summary` needs none.
    probe = (
        "import sys; from pathlib import Path; from coursekit.core.course import locate_course; "
        f"locate_course(Path({str(tiny_course_dir)!r})); print('nbgrader' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert (found.returncode, found.stdout.strip()) == (0, "False"), found.stderr
