"""The course is found from any folder inside it and its paths come from nbgrader_config.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK

from coursekit.core.course import locate_course
from coursekit.core.errors import CourseError


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
