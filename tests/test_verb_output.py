"""Every verb's terminal output fits the width, says each path once and counts long lists.

Each verb runs through `course` with its stage function replaced by a result the size of a
200-student course (long paths, long reasons, many files), under COLUMNS=120.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT

from coursekit.authoring.types import NotebookProof, ProofCheck, ReleaseReport
from coursekit.cli.app import main
from coursekit.cli.printers import AutogradeProgressPrinter
from coursekit.cli.render import format_table
from coursekit.cli.terminal import wrap
from coursekit.core.formatting import ids_or_count
from coursekit.demo import DemoResult
from coursekit.grading import types as grading
from coursekit.intake import types as intake
from coursekit.reporting import types as reporting

COLUMNS = 120
NOTEBOOKS = tuple(f"exercise_{n}_with_a_descriptive_name" for n in range(7))
STUDENTS = tuple(f"student_{n:03d}" for n in range(200))
LONG_REASON = (
    "the notebook's kernel wrote 2 MB to its output, more than the 1 MB the course allows; "
    "the rest was cut and the notebook graded on what remained"
)


def run_verb(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    course_dir: Path,
    stage_function: str,
    result: object,
    *argv: str,
) -> tuple[str, str]:
    """`course ARGV` with the stage function returning result; its stdout and stderr."""
    monkeypatch.setattr(stage_function, lambda *args, **kwargs: result)
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    main(["--course-dir", str(course_dir), *argv])
    captured = capsys.readouterr()
    return captured.out, captured.err


def assert_fits(text: str) -> None:
    too_long = [line for line in text.splitlines() if len(line) > COLUMNS]
    assert not too_long, "\n".join(too_long)


def test_release_says_its_folder_once_and_each_notebook_once_above_its_findings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tiny_course_dir: Path
) -> None:
    release_dir = tiny_course_dir / "release" / TINY_ASSIGNMENT
    leaks = tuple(f"line {n}: {LONG_REASON}" for n in range(12))
    proofs = tuple(
        NotebookProof(
            nid,
            (
                ProofCheck("source runs and passes its tests", True),
                ProofCheck("no solution or hidden line leaks", nid != NOTEBOOKS[0], leaks),
            ),
        )
        for nid in NOTEBOOKS
    )
    report = ReleaseReport(TINY_ASSIGNMENT, str(release_dir), proofs)
    out, _ = run_verb(
        monkeypatch,
        capsys,
        tiny_course_dir,
        "coursekit.authoring.release.release_assignment",
        report,
        "release",
        TINY_ASSIGNMENT,
        "--quiet",
    )
    assert_fits(out)
    assert out.count(str(release_dir)) == 1
    assert "source runs and passes its tests: ok (7 notebooks)" in out
    assert out.count(f"{NOTEBOOKS[0]}:") == 1  # its findings under it, not the id on each
    assert "line 11:" in out  # every finding: each is a thing to fix before handing out


def collect_report(archive: str) -> intake.CollectReport:
    when = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    students = tuple(
        intake.CollectedStudent(
            student_id,
            f"Firstname Middlename Lastname-Doubled {student_id}",
            intake.CollectAction.NEW if n % 2 else intake.CollectAction.KEPT,
            when,
            late=n % 3 == 0,
            notebooks=tuple(
                intake.CollectedNotebook(nid, f"{nid}.ipynb", f"{nid}.ipynb", when)
                for nid in NOTEBOOKS
            ),
            reason="" if n % 2 else "the submitted folder holds a newer different submission",
        )
        for n, student_id in enumerate(STUDENTS[:40])
    )
    return intake.CollectReport(
        TINY_ASSIGNMENT,
        archive,
        "moodle",
        students,
        ignored=tuple(
            intake.SkippedEntry(f"{student_id}_onlinetext_/onlinetext.html", "not a notebook")
            for student_id in STUDENTS[:30]
        ),
        missing=STUDENTS[40:],
    )


def test_collect_wraps_its_notes_under_their_column_and_counts_what_needs_no_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tiny_course_dir: Path
) -> None:
    archive = str(tiny_course_dir / "downloads" / "submissions.zip")  # with tmp_path: ~80
    out, _ = run_verb(
        monkeypatch,
        capsys,
        tiny_course_dir,
        "coursekit.intake.collect.collect_submissions",
        collect_report(archive),
        "collect",
        TINY_ASSIGNMENT,
        archive,
    )
    assert_fits(out)
    assert out.count(archive) == 1
    for student_id in STUDENTS[:40]:  # one row each, never lost to the width
        assert sum(line.startswith(f"{student_id} ") for line in out.splitlines()) == 1
    assert "the submitted folder holds a newer different submission" in " ".join(out.split())
    assert "ignored (30):" in out and "... and 25 more" in out
    assert "no submission in the archive (160):" in out and "... and 155 more" in out
    assert "7 notebooks" in out and NOTEBOOKS[3] not in out  # counted, not listed, per row


def test_feedback_says_its_folder_once_and_counts_the_files(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tiny_course_dir: Path
) -> None:
    feedback_dir = tiny_course_dir / "feedback"
    outcomes = tuple(
        reporting.FeedbackOutcome(
            student_id,
            tuple(
                str(feedback_dir / student_id / TINY_ASSIGNMENT / f"{nid}.html")
                for nid in NOTEBOOKS
            ),
        )
        for student_id in STUDENTS
    )
    report = reporting.FeedbackReport(TINY_ASSIGNMENT, outcomes)
    out, _ = run_verb(
        monkeypatch,
        capsys,
        tiny_course_dir,
        "coursekit.reporting.feedback.generate_feedback",
        report,
        "feedback",
        TINY_ASSIGNMENT,
    )
    assert_fits(out)
    assert out.count(str(feedback_dir)) == 1
    assert "200 students, 1400 HTML files" in out
    assert len(out.splitlines()) <= 2


def test_export_says_its_file_once_and_counts_the_students_of_each_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tiny_course_dir: Path
) -> None:
    rows = tuple(
        reporting.GradeRow(TINY_ASSIGNMENT, sid, nid, 1.0, 2.0, 1.0, 0.0, False, "graded")
        for sid in STUDENTS
        for nid in NOTEBOOKS
    )
    out, _ = run_verb(
        monkeypatch,
        capsys,
        tiny_course_dir,
        "coursekit.reporting.export.export_grades",
        rows,
        "export",
        TINY_ASSIGNMENT,
    )
    assert_fits(out)
    assert out.count(str(tiny_course_dir)) == 1 and "1400 grade rows of 200 students" in out

    # The warning as the export stage words it for a gradebook of 200 students without LMS ids.
    warning = f"no lms_user_id in the gradebook for {ids_or_count(STUDENTS)}: cells left empty"
    result = reporting.LmsExport(
        "canvas", str(tiny_course_dir / "grades_canvas.csv"), 200, (warning,)
    )
    out, err = run_verb(
        monkeypatch,
        capsys,
        tiny_course_dir,
        "coursekit.reporting.export.export_lms",
        result,
        "export",
        TINY_ASSIGNMENT,
        "--format",
        "canvas",
    )
    assert_fits(out + err)
    assert "200 students (student_000, student_001, student_002, ...)" in " ".join(err.split())
    assert STUDENTS[10] not in err
    assert (out + err).count(str(tiny_course_dir)) == 1


def test_report_says_its_page_once_and_its_figures_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tiny_course_dir: Path
) -> None:
    report_dir = tiny_course_dir / "report"
    figures = tuple(
        str(report_dir / f"{TINY_ASSIGNMENT}_{name}.png") for name in ("scores", "tests")
    )
    files = reporting.ReportFiles(
        str(report_dir / f"{TINY_ASSIGNMENT}.html"),
        figures,
        reporting.ReportData(TINY_ASSIGNMENT, NOTEBOOKS, (), (), (), (), (), 0.8),
    )
    out, _ = run_verb(
        monkeypatch,
        capsys,
        tiny_course_dir,
        "coursekit.reporting.report_html.write_report",
        files,
        "report",
        TINY_ASSIGNMENT,
    )
    assert_fits(out)
    assert out.count(str(report_dir)) == 1
    assert (
        f"2 figures beside it: {TINY_ASSIGNMENT}_scores.png and {TINY_ASSIGNMENT}_tests.png" in out
    )


def test_check_wraps_each_message_within_the_width(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(tmp_path / "Downloads" / "exercise_1_2 (3).ipynb")  # a space, kept whole
    tests = tuple(
        grading.CellCheck(
            f"check_{n}",
            2.0,
            "The fitted slope matches the least-squares slope within SLOPE_TOL, on every sample.",
            grading.CheckStatus.FAILED,
            f"expected a slope of 2.0 within 0.01, found 1.5: {LONG_REASON}",
        )
        for n in range(6)
    )
    report = grading.NotebookCheck(path, tests, unanswered=("fit_model",))
    monkeypatch.setattr("coursekit.grading.check.check_notebook", lambda *a, **k: report)
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    main(["check", path, "--quiet"])
    out = capsys.readouterr().out
    assert_fits(out)
    assert out.count(path) == 1
    assert "expected a slope of 2.0 within 0.01" in out


def broken_demo_student(course_dir: Path) -> grading.StudentOutcome:
    """demo_broken as the demo leaves it: every notebook cut short, each named by its path."""
    submitted = course_dir / "demo" / "submitted" / "demo_broken" / TINY_ASSIGNMENT
    problems = tuple(
        intake.SubmissionProblem(
            nid, intake.Severity.FATAL, f"{submitted / nid}.ipynb is not JSON: Unterminated string"
        )
        for nid in NOTEBOOKS
    )
    return grading.StudentOutcome(
        TINY_ASSIGNMENT,
        "demo_broken",
        grading.Status.REJECTED,
        reason=problems[0].reason,
        problems=problems,
    )


def test_demo_names_the_broken_submission_once_and_fits_the_width(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tiny_course_dir: Path
) -> None:
    demo_dir = tiny_course_dir / "demo"
    feedback = reporting.FeedbackReport(
        TINY_ASSIGNMENT,
        tuple(
            reporting.FeedbackOutcome(
                sid,
                tuple(
                    str(demo_dir / "feedback" / sid / TINY_ASSIGNMENT / f"{n}.html")
                    for n in NOTEBOOKS
                ),
            )
            for sid in ("demo_reference", "demo_blank", "demo_partial", "demo_raises")
        ),
    )
    result = DemoResult(
        str(demo_dir),
        (ReleaseReport(TINY_ASSIGNMENT, str(demo_dir / "release" / TINY_ASSIGNMENT), ()),),
        (grading.AutogradeReport(TINY_ASSIGNMENT, (broken_demo_student(tiny_course_dir),)),),
        (feedback,),
        str(demo_dir / "grades.csv"),
        (),
    )
    out, _ = run_verb(
        monkeypatch, capsys, tiny_course_dir, "coursekit.demo.run_demo", result, "demo", "--quiet"
    )
    assert_fits(out)
    assert out.count(str(demo_dir / "submitted" / "demo_broken")) <= 1
    assert out.count(".html") == 0 and "4 students, 28 HTML files" in out


def test_a_table_wraps_its_last_column_under_itself() -> None:
    rows = [["s1", "new", LONG_REASON], ["s2", "kept", "short"]]
    lines = format_table(["student", "action", "note"], rows, width=60).splitlines()
    assert all(len(line) <= 60 for line in lines)
    note_at = lines[0].index("note")
    continued = [line for line in lines[2:] if not line.startswith("s2")]
    assert continued and all(line[:note_at].isspace() for line in continued)
    assert " ".join(line[note_at:] for line in lines[1:-1]).split() == LONG_REASON.split()


def test_a_path_longer_than_the_width_is_never_split() -> None:
    path = "/srv/courses/" + "deep/" * 30 + "notebook.ipynb"
    lines = wrap(f"  Checked {path} and found nothing to say about it", 60)
    assert path in [line.strip() for line in lines] and all(line.startswith("  ") for line in lines)


def test_a_path_with_spaces_is_kept_whole_when_named() -> None:
    path = "/home/ann/Downloads/exercise_1_2_linear_regression (3).ipynb"
    lines = wrap(f"Checked {path}, and every visible test of it passed this time", 50, [path])
    assert any(path in line for line in lines)


def test_the_progress_bar_fits_a_narrow_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wider than the terminal, the bar would wrap and its redraw leave lines behind."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "40")
    printer = AutogradeProgressPrinter()
    outcome = grading.StudentOutcome(TINY_ASSIGNMENT, STUDENTS[0], grading.Status.FAILED)
    printer(1, 200, outcome)
    drawn = re.split(r"\r\x1b\[K|\n", capsys.readouterr().err)
    assert [part for part in drawn if part] and all(len(part) <= 40 for part in drawn)
