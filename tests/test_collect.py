"""`course collect` turns Moodle, Canvas and plain downloads into nbgrader's submitted/ folders."""

from __future__ import annotations

import copy
import datetime
import os
import stat
import zipfile
from pathlib import Path

import pytest
from helpers.course import REPO_ROOT, TINY_ASSIGNMENT, TINY_NOTEBOOK, tiny_source_notebook
from helpers.lms_archives import (
    CanvasSubmission,
    MoodleSubmission,
    canvas_zip,
    lying_size_zip,
    moodle_zip,
    notebook_bytes,
    plain_folder,
    plain_zip,
    unflagged_utf8_zip,
    write_zip,
    zip_info,
)
from nbgrader.api import Gradebook

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.intake.archive import ArchiveLimits
from coursekit.intake.collect import collect_submissions
from coursekit.intake.lms_formats import match_notebook
from coursekit.intake.roster import import_roster
from coursekit.intake.types import CollectAction

NB = f"{TINY_NOTEBOOK}.ipynb"
MONDAY = datetime.datetime(2026, 3, 2, 9, 30, 0, tzinfo=datetime.UTC)
TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)

ROSTER = """id,first_name,last_name,email,lms_user_id
s001,Jürgen,Müller,jm@uni.example,
s002,Ana,Lima,al@uni.example,
s003,Anna,Schmidt,as1@uni.example,5511
s004,Anna,Schmidt,as2@uni.example,5512
s005,Zoë,O'Brien-Hall,zo@uni.example,
s006,Anna,Weiß,aw@uni.example,
"""


BASE = tiny_source_notebook()  # built once: cell ids are random


def answer(text: str) -> bytes:
    """A distinct notebook per answer text, so tests can tell which one was collected."""
    nb = copy.deepcopy(BASE)
    nb.metadata["which"] = text
    return notebook_bytes(nb)


@pytest.fixture
def roster_csv(tmp_path: Path) -> Path:
    path = tmp_path / "students.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def submitted(course: Course, student_id: str) -> Path:
    return course.submitted_dir(TINY_ASSIGNMENT, student_id)


def timestamp_of(course: Course, student_id: str) -> str:
    return (submitted(course, student_id) / "timestamp.txt").read_text()


def test_moodle_folders_map_by_full_name_with_accents_and_renamed_notebooks(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = moodle_zip(
        tmp_path / "moodle.zip",
        [
            MoodleSubmission("Jürgen Müller", 812, {"arith (1).ipynb": answer("jm")}, MONDAY),
            MoodleSubmission("Ana Lima", 813, {"Copy of arith.ipynb": answer("al")}, TUESDAY),
        ],
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    assert report.layout == "moodle"
    assert [(s.student_id, s.action) for s in report.students] == [
        ("s001", CollectAction.NEW),
        ("s002", CollectAction.NEW),
    ]
    assert (submitted(tiny_course, "s001") / NB).read_bytes() == answer("jm")
    assert (submitted(tiny_course, "s002") / NB).read_bytes() == answer("al")
    assert timestamp_of(tiny_course, "s001") == MONDAY.strftime(cohort.TIMESTAMP_FORMAT)
    assert timestamp_of(tiny_course, "s002") == TUESDAY.strftime(cohort.TIMESTAMP_FORMAT)
    assert report.students[0].notebooks[0].filename == "arith (1).ipynb"
    assert report.ok
    assert set(report.missing) == {"s003", "s004", "s005", "s006"}


def test_moodle_namesakes_are_reported_never_guessed(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = moodle_zip(
        tmp_path / "moodle.zip",
        [
            MoodleSubmission("Anna Schmidt", 900, {NB: answer("one")}, MONDAY),
            MoodleSubmission("Ana Lima", 901, {NB: answer("al")}, MONDAY),
        ],
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    (unmapped,) = report.unmapped
    assert unmapped.path == f"Anna Schmidt_900_assignsubmission_file_/{NB}"
    assert "ambiguous" in unmapped.reason and "s003" in unmapped.reason
    assert not submitted(tiny_course, "s003").exists()
    assert not submitted(tiny_course, "s004").exists()
    assert [s.student_id for s in report.students] == ["s002"]
    assert "s003" not in report.missing and "s004" not in report.missing
    assert not report.ok


def test_moodle_unmatched_notebook_is_reported_and_online_text_ignored(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = moodle_zip(
        tmp_path / "moodle.zip",
        [
            MoodleSubmission(
                "Ana Lima",
                813,
                {NB: answer("al"), "my_notes.ipynb": answer("notes"), "data.csv": b"x,y\n"},
                MONDAY,
                onlinetext="see attached",
            )
        ],
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    (student,) = report.students
    assert student.unmatched == ("Ana Lima_813_assignsubmission_file_/my_notes.ipynb",)
    assert {e.path.rsplit("/", 1)[-1] for e in report.ignored} == {"data.csv", "onlinetext.html"}
    assert sorted(p.name for p in submitted(tiny_course, "s002").iterdir()) == [
        NB,
        "timestamp.txt",
    ]
    assert not report.ok


def test_moodle_latest_of_two_candidates_wins_and_the_choice_is_reported(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = write_zip(
        tmp_path / "moodle.zip",
        [
            (zip_info(f"Ana Lima_813_assignsubmission_file_/{NB}", MONDAY), answer("old")),
            (
                zip_info("Ana Lima_813_assignsubmission_file_/Copy of arith.ipynb", TUESDAY),
                answer("new"),
            ),
        ],
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    (notebook,) = report.students[0].notebooks
    assert notebook.filename == "Copy of arith.ipynb"
    assert notebook.passed_over == (f"Ana Lima_813_assignsubmission_file_/{NB}",)
    assert (submitted(tiny_course, "s002") / NB).read_bytes() == answer("new")
    assert timestamp_of(tiny_course, "s002") == TUESDAY.strftime(cohort.TIMESTAMP_FORMAT)


def test_canvas_maps_lastfirst_and_user_id_records_late_and_takes_the_latest_reupload(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = canvas_zip(
        tmp_path / "canvas.zip",
        [
            CanvasSubmission(
                "müllerjürgen", 41, {NB: answer("first"), "arith-1.ipynb": answer("again")}
            ),
            CanvasSubmission("schmidtanna", 5512, {NB: answer("as2")}, late=True),
            CanvasSubmission("obrienhallzoë", 77, {"Arith.ipynb": answer("zo")}),
            CanvasSubmission("weißanna", 78, {NB: answer("aw")}),
        ],
        zipped_at=WEDNESDAY,
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    assert report.layout == "canvas"
    assert not report.unmapped
    by_id = {s.student_id: s for s in report.students}
    assert set(by_id) == {"s001", "s004", "s005", "s006"}  # 5512: the second Anna Schmidt
    assert (submitted(tiny_course, "s001") / NB).read_bytes() == answer("again")
    assert by_id["s001"].notebooks[0].passed_over == (f"müllerjürgen_41_9000_{NB}",)
    assert by_id["s004"].late and not by_id["s001"].late
    assert (submitted(tiny_course, "s005") / NB).read_bytes() == answer("zo")


def test_canvas_namesake_without_user_id_and_anonymous_files_are_unmapped(
    tiny_course: Course, tmp_path: Path
) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("id,first name,last name\na1,Anna,Schmidt\na2,Anna,Schmidt\n")
    archive = write_zip(
        tmp_path / "canvas.zip",
        [
            (zip_info(f"schmidtanna_300_9001_{NB}", WEDNESDAY), answer("x")),
            (zip_info(f"anon_Xk3p9_9002_{NB}", WEDNESDAY), answer("y")),
            (zip_info(f"schmidtanna_301_9003_{NB}", WEDNESDAY), answer("z")),
        ],
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster)

    reasons = {e.path: e.reason for e in report.unmapped}
    assert "ambiguous" in reasons[f"schmidtanna_300_9001_{NB}"]
    assert "lms_user_id" in reasons[f"schmidtanna_300_9001_{NB}"]
    assert "anonymous" in reasons[f"anon_Xk3p9_9002_{NB}"]
    assert report.students == ()
    assert not submitted(tiny_course, "a1").exists()


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_plain_folder_per_student_uses_the_folder_name_as_student_id(
    tiny_course: Course, roster_csv: Path, tmp_path: Path, as_zip: bool
) -> None:
    students = {"s001": {NB: answer("jm")}, "stranger": {NB: answer("who")}}
    if as_zip:
        archive = plain_zip(tmp_path / "plain.zip", students, MONDAY)
    else:
        archive = plain_folder(tmp_path / "plain", students)
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    assert report.layout == "plain"
    assert [s.student_id for s in report.students] == ["s001"]
    assert (submitted(tiny_course, "s001") / NB).read_bytes() == answer("jm")
    (unmapped,) = report.unmapped
    assert unmapped.path == f"stranger/{NB}" and "roster" in unmapped.reason


def test_a_rezipped_download_inside_one_folder_is_read_through_it(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = write_zip(
        tmp_path / "wrapped.zip",
        [
            (
                zip_info(f"lecture 1 downloads/Ana Lima_813_assignsubmission_file_/{NB}", MONDAY),
                answer("al"),
            )
        ],
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)
    assert report.layout == "moodle"
    assert [s.student_id for s in report.students] == ["s002"]


def test_rerunning_keeps_identical_replaces_older_and_never_drops_a_newer_submission(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    def moodle(name: str, data: bytes, when: datetime.datetime) -> Path:
        return moodle_zip(tmp_path / name, [MoodleSubmission("Ana Lima", 813, {NB: data}, when)])

    first = collect_submissions(
        tiny_course, TINY_ASSIGNMENT, moodle("a.zip", answer("v1"), MONDAY), roster=roster_csv
    )
    notebook = submitted(tiny_course, "s002") / NB
    written = notebook.stat().st_mtime_ns

    again = collect_submissions(
        tiny_course, TINY_ASSIGNMENT, moodle("a.zip", answer("v1"), MONDAY), roster=roster_csv
    )
    newer = collect_submissions(
        tiny_course, TINY_ASSIGNMENT, moodle("b.zip", answer("v2"), TUESDAY), roster=roster_csv
    )
    assert [s.action for s in (*first.students, *again.students, *newer.students)] == [
        CollectAction.NEW,
        CollectAction.UNCHANGED,
        CollectAction.REPLACED,
    ]
    assert again.students and written  # unchanged: not rewritten before the newer one came
    assert notebook.read_bytes() == answer("v2")

    older = collect_submissions(
        tiny_course, TINY_ASSIGNMENT, moodle("c.zip", answer("v0"), MONDAY), roster=roster_csv
    )
    (kept,) = older.students
    assert kept.action is CollectAction.KEPT and "not older" in kept.reason
    assert notebook.read_bytes() == answer("v2")
    assert timestamp_of(tiny_course, "s002") == TUESDAY.strftime(cohort.TIMESTAMP_FORMAT)
    leftovers = [p.name for p in submitted(tiny_course, "s002").parent.iterdir()]
    assert leftovers == [TINY_ASSIGNMENT]


def test_an_identical_rerun_does_not_touch_the_files(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = plain_zip(tmp_path / "p.zip", {"s001": {NB: answer("same")}}, MONDAY)
    collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)
    files = {p: p.stat().st_mtime_ns for p in submitted(tiny_course, "s001").iterdir()}
    os.utime(submitted(tiny_course, "s001") / NB, ns=(1, 1))
    files[submitted(tiny_course, "s001") / NB] = 1

    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)
    assert report.students[0].action is CollectAction.UNCHANGED
    assert {p: p.stat().st_mtime_ns for p in files} == files


def test_a_moodle_download_needs_a_roster(tiny_course: Course, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("id,first_name,last_name\n")
    archive = moodle_zip(tmp_path / "m.zip", [MoodleSubmission("Ana Lima", 1, {NB: b"{}"}, MONDAY)])
    with pytest.raises(CourseError, match="roster import"):
        collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=empty)


def test_collect_maps_through_the_gradebook_roster(
    released_tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    import_roster(released_tiny_course, roster_csv)
    archive = canvas_zip(
        tmp_path / "c.zip", [CanvasSubmission("limaana", 12, {NB: answer("al")})], WEDNESDAY
    )
    report = collect_submissions(released_tiny_course, TINY_ASSIGNMENT, archive)
    assert [s.student_id for s in report.students] == ["s002"]


# ---- unsafe archives: each refused entry is named with its reason, nothing lands outside ----


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def good_member() -> tuple[zipfile.ZipInfo, bytes]:
    return zip_info(f"s001/{NB}", MONDAY), answer("good")


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (zip_info(f"/tmp/s002/{NB}", MONDAY), "absolute path"),
        (zip_info(f"s002/../../../{NB}", MONDAY), "'..'"),
        (zip_info(f"..\\..\\s002\\{NB}", MONDAY), "'..'"),
        (zip_info(f"C:/s002/{NB}", MONDAY), "drive-letter"),
        (zip_info(f"s002/{NB}", MONDAY, mode=stat.S_IFLNK | 0o777), "symbolic link"),
        (zip_info(f"s002/{NB}", MONDAY, mode=stat.S_IFCHR | 0o666), "device"),
        (zip_info(f"s002/{NB}", MONDAY, mode=stat.S_IFIFO | 0o666), "pipe"),
    ],
    ids=["absolute", "dotdot", "backslash-dotdot", "drive", "symlink", "device", "fifo"],
)
def test_unsafe_member_is_refused_with_its_reason_and_the_rest_collected(
    tiny_course: Course, roster_csv: Path, tmp_path: Path, member: zipfile.ZipInfo, reason: str
) -> None:
    data = b"/etc/passwd" if stat.S_ISLNK(member.external_attr >> 16) else answer("evil")
    archive = write_zip(tmp_path / "bad.zip", [good_member(), (member, data)])
    before = files_under(tmp_path) - {archive}

    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    (refused,) = report.refused
    assert refused.path == member.filename and reason in refused.reason
    assert [s.student_id for s in report.students] == ["s001"]
    assert not submitted(tiny_course, "s002").exists()
    created = files_under(tmp_path) - before - {archive}
    assert created == {
        submitted(tiny_course, "s001") / NB,
        submitted(tiny_course, "s001") / "timestamp.txt",
    }
    assert not report.ok


def test_zip_bomb_is_refused_by_its_declared_size(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    bomb = b"\0" * (4 * 2**20)  # deflates to about 4 KB
    archive = write_zip(
        tmp_path / "bomb.zip", [good_member(), (zip_info(f"s002/{NB}", MONDAY), bomb)]
    )
    limits = ArchiveLimits(max_entry_bytes=2**20)
    report = collect_submissions(
        tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv, limits=limits
    )
    (refused,) = report.refused
    assert refused.path == f"s002/{NB}" and f"over {2**20}" in refused.reason
    assert not submitted(tiny_course, "s002").exists()


def test_archive_total_size_and_entry_count_are_limited(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    members = [(zip_info(f"s00{i}/{NB}", MONDAY), answer(str(i) * 100)) for i in (1, 2, 3)]
    archive = write_zip(tmp_path / "many.zip", members)
    one = len(members[0][1])

    by_total = collect_submissions(
        tiny_course,
        TINY_ASSIGNMENT,
        archive,
        roster=roster_csv,
        limits=ArchiveLimits(max_total_bytes=2 * one + 50),
    )
    assert [e.path for e in by_total.refused] == [f"s003/{NB}"]
    assert "unpacks to over" in by_total.refused[0].reason

    by_count = collect_submissions(
        tiny_course,
        TINY_ASSIGNMENT,
        archive,
        roster=roster_csv,
        limits=ArchiveLimits(max_entries=1),
    )
    assert [e.path for e in by_count.refused] == [f"s002/{NB}", f"s003/{NB}"]
    assert "more than 1 entries" in by_count.refused[0].reason


def test_member_inflating_past_its_declared_size_is_refused_while_reading(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    archive = lying_size_zip(tmp_path / "liar.zip", f"s001/{NB}", b"{" * (2**20), declared=100)
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)
    (refused,) = report.refused
    assert refused.path == f"s001/{NB}"
    assert not submitted(tiny_course, "s001").exists()
    assert report.students[0].action is CollectAction.KEPT


def test_symlink_in_a_plain_folder_is_refused_and_not_followed(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes(answer("secret"))
    folder = plain_folder(tmp_path / "plain", {"s001": {NB: answer("jm")}})
    (folder / "s002").mkdir()
    (folder / "s002" / NB).symlink_to(secret)
    (folder / "s003").symlink_to(tmp_path, target_is_directory=True)

    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, folder, roster=roster_csv)
    assert {(e.path, e.reason) for e in report.refused} == {
        (f"s002/{NB}", "a symbolic link"),
        ("s003", "a symbolic link"),
    }
    assert [s.student_id for s in report.students] == ["s001"]


def test_utf8_names_written_without_the_utf8_flag_are_repaired(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    name = f"Jürgen Müller_812_assignsubmission_file_/{NB}"
    archive = unflagged_utf8_zip(tmp_path / "m.zip", name, answer("jm"), MONDAY)
    with zipfile.ZipFile(archive) as raw:  # zipfile alone reads the bytes as cp437
        assert raw.namelist() != [name]
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)
    assert [s.student_id for s in report.students] == ["s001"]


def test_not_a_zip_is_a_course_error(tiny_course: Course, tmp_path: Path) -> None:
    bogus = tmp_path / "submissions.zip"
    bogus.write_text("not a zip")
    with pytest.raises(CourseError, match="not a zip file"):
        collect_submissions(tiny_course, TINY_ASSIGNMENT, bogus)


# ---- renamed notebooks, matched against the real lecture's notebook ids ----

LECTURE_IDS = locate_course(REPO_ROOT).notebook_ids("lecture1")


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("exercise_1_2_linear_regression.ipynb", ("exercise_1_2_linear_regression", 0)),
        ("exercise_1_2_linear_regression (1).ipynb", ("exercise_1_2_linear_regression", 1)),
        ("Copy of exercise_1_2_linear_regression.ipynb", ("exercise_1_2_linear_regression", 0)),
        ("Copy of exercise_1_2_linear_regression (2).ipynb", ("exercise_1_2_linear_regression", 2)),
        ("exercise_1_2_linear_regression-2.ipynb", ("exercise_1_2_linear_regression", 2)),
        ("Exercise_1_2_Linear_Regression.ipynb", ("exercise_1_2_linear_regression", 0)),
        ("exercise 1 2 linear regression.ipynb", ("exercise_1_2_linear_regression", 0)),
        ("exercise_1_3_many_linear_layers.ipynb", ("exercise_1_3_many_linear_layers", 0)),
        ("exercise_1_2.ipynb", None),
        ("exercise_1_2_linear_regression.py", None),
        ("notes.ipynb", None),
    ],
)
def test_renamed_notebooks_match_the_assignment_notebook(
    filename: str, expected: tuple[str, int] | None
) -> None:
    assert "exercise_1_2_linear_regression" in LECTURE_IDS
    assert match_notebook(filename, LECTURE_IDS) == expected


def test_a_gradebook_id_that_is_no_folder_name_is_not_written_to(
    released_tiny_course: Course, tmp_path: Path
) -> None:
    with Gradebook(released_tiny_course.db_url, released_tiny_course.layout.course_id) as gb:
        gb.update_or_create_student("../evil", first_name="Eve", last_name="Vil")
    archive = moodle_zip(tmp_path / "m.zip", [MoodleSubmission("Eve Vil", 3, {NB: b"{}"}, MONDAY)])
    report = collect_submissions(released_tiny_course, TINY_ASSIGNMENT, archive)
    (unmapped,) = report.unmapped
    assert "cannot name a folder" in unmapped.reason
    assert not (released_tiny_course.root / "evil").exists()
    assert report.students == ()


def test_several_notebooks_per_student_each_go_to_their_notebook(
    tiny_course: Course, roster_csv: Path, tmp_path: Path
) -> None:
    source = tiny_course.source_dir(TINY_ASSIGNMENT)
    (source / "geometry.ipynb").write_bytes((source / NB).read_bytes())
    archive = canvas_zip(
        tmp_path / "c.zip",
        [
            CanvasSubmission(
                "limaana",
                12,
                {"Copy of geometry.ipynb": answer("geo"), "arith (2).ipynb": answer("ar")},
            )
        ],
        WEDNESDAY,
    )
    report = collect_submissions(tiny_course, TINY_ASSIGNMENT, archive, roster=roster_csv)

    assert [n.notebook_id for n in report.students[0].notebooks] == ["arith", "geometry"]
    folder = submitted(tiny_course, "s002")
    assert (folder / NB).read_bytes() == answer("ar")
    assert (folder / "geometry.ipynb").read_bytes() == answer("geo")
