"""`course roster import` puts a students CSV into nbgrader's gradebook, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.intake.roster import import_roster, read_roster


def gradebook_students(course: Course) -> dict[str, tuple]:
    """What nbgrader's own API holds for each student."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        return {
            s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gradebook.students
        }


def write_csv(tmp_path: Path, text: str, name: str = "students.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def test_import_adds_students_from_common_header_spellings(
    released_tiny_course: Course, tmp_path: Path
) -> None:
    csv_path = write_csv(
        tmp_path,
        "Student ID;Given Name;Surname;E-Mail;Section\n"
        "s001;Jürgen;Müller;jm@uni.example;A\n"
        "s002;Ana;Lima;al@uni.example;B\n",
        bom=True,  # as Excel saves "CSV UTF-8"
    )
    report = import_roster(released_tiny_course, csv_path)

    assert report.added == ("s001", "s002")
    assert report.ignored_columns == ("Section",)
    assert report.missing_columns == ("lms_user_id",)
    assert gradebook_students(released_tiny_course) == {
        "s001": ("Jürgen", "Müller", "jm@uni.example", None),
        "s002": ("Ana", "Lima", "al@uni.example", None),
    }


def test_reimport_changes_nothing_and_an_edit_updates_only_that_student(
    released_tiny_course: Course, tmp_path: Path
) -> None:
    first = "id,first_name,last_name,email,lms_user_id\na1,Ann,Lee,a@x.example,71\nb2,Bo,Wu,,\n"
    import_roster(released_tiny_course, write_csv(tmp_path, first))
    stored = gradebook_students(released_tiny_course)

    again = import_roster(released_tiny_course, write_csv(tmp_path, first))
    assert (again.added, again.updated, again.unchanged) == ((), (), ("a1", "b2"))
    assert gradebook_students(released_tiny_course) == stored

    edited = first.replace("a@x.example", "ann@x.example")
    changed = import_roster(released_tiny_course, write_csv(tmp_path, edited))
    assert (changed.added, changed.updated, changed.unchanged) == ((), ("a1",), ("b2",))
    assert gradebook_students(released_tiny_course)["a1"] == ("Ann", "Lee", "ann@x.example", "71")
    assert gradebook_students(released_tiny_course)["b2"] == ("Bo", "Wu", None, None)


def test_a_roster_without_an_email_column_leaves_stored_emails_alone(
    released_tiny_course: Course, tmp_path: Path
) -> None:
    import_roster(released_tiny_course, write_csv(tmp_path, "id,email\na1,a@x.example\n"))
    import_roster(released_tiny_course, write_csv(tmp_path, "id,last name\na1,Lee\n"))
    assert gradebook_students(released_tiny_course)["a1"] == (None, "Lee", "a@x.example", None)


def test_duplicated_ids_are_an_error_naming_the_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "id,first_name\na1,Ann\nb2,Bo\na1,Annie\n")
    with pytest.raises(CourseError, match=r"'a1' on lines 2, 4"):
        read_roster(path)


def test_missing_id_column_is_an_error_listing_the_columns_found(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "name,mail\nAnn Lee,a@x.example\n")
    with pytest.raises(CourseError, match=r"no student id column. Found columns name, mail"):
        read_roster(path)


@pytest.mark.parametrize("bad_id", ["ann lee", "../a1", "a+1", ".hidden", "a*"])
def test_ids_nbgrader_cannot_use_are_an_error_naming_the_line(tmp_path: Path, bad_id: str) -> None:
    path = write_csv(tmp_path, f"id,first_name\nok1,Ann\n{bad_id},Bo\n")
    with pytest.raises(CourseError, match="line 3"):
        read_roster(path)


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    students, _ = read_roster(write_csv(tmp_path, "id,first_name\na1,Ann\n,\n\nb2,Bo\n"))
    assert [s.student_id for s in students] == ["a1", "b2"]
