"""`course report`: scores, test pass rates, timings, flags and alike pairs of a graded cohort."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK
from helpers.report_cohort import TIMEOUT_S, GradedCohort

from coursekit.cli import app as cli_app
from coursekit.reporting.export import GRADED, NEEDS_MANUAL_GRADE
from coursekit.reporting.report_html import write_report
from coursekit.reporting.types import ReportFiles

pytestmark = pytest.mark.slow  # autogrades a cohort of eleven (about 40 s, once per session)


def test_each_student_scores_the_points_of_the_tests_they_kept(
    graded_cohort: GradedCohort, cohort_report: ReportFiles
) -> None:
    rows = {row.student_id: row for row in cohort_report.data.rows}
    every_point = sum(graded_cohort.test_points.values())
    for student_id, lost in graded_cohort.lost.items():
        kept = every_point - sum(graded_cohort.test_points[gid] for gid in lost)
        assert rows[student_id].auto_score == kept, student_id
        assert rows[student_id].status in (GRADED, NEEDS_MANUAL_GRADE)
    for student_id in graded_cohort.never_graded:
        assert rows[student_id].status not in (GRADED, NEEDS_MANUAL_GRADE)


def test_pass_rate_counts_graded_notebooks_with_full_points(
    graded_cohort: GradedCohort, cohort_report: ReportFiles
) -> None:
    rates = {r.grade_id: r for r in cohort_report.data.pass_rates}
    assert set(rates) == set(graded_cohort.test_points)
    for grade_id, rate in rates.items():
        assert rate.points == graded_cohort.test_points[grade_id]
        assert rate.graded == len(graded_cohort.lost)
        assert rate.passed == sum(grade_id not in lost for lost in graded_cohort.lost.values())


def test_flags_are_exactly_the_designed_ones(
    graded_cohort: GradedCohort, cohort_report: ReportFiles
) -> None:
    found: dict[str, set] = {}
    for flag in cohort_report.data.flags:
        found.setdefault(flag.student_id, set()).add(flag.kind)
    assert found == graded_cohort.flags  # blank, wrong and the copies are not flagged


def test_flag_details_say_what_happened(cohort_report: ReportFiles) -> None:
    detail = {f.student_id: f.detail for f in cohort_report.data.flags}
    assert "ValueError: my square broke" in detail["crash"]
    assert "square_answer" in detail["sleepy"]
    assert "add_is_sum" in detail["tamper"]
    assert "2 h after the due date" in detail["late"]
    assert "is not JSON" in detail["broken"]


def test_flags_link_to_the_students_feedback_when_it_exists(
    graded_cohort: GradedCohort, cohort_report: ReportFiles
) -> None:
    for flag in cohort_report.data.flags:
        if flag.student_id in graded_cohort.never_graded:
            assert flag.feedback is None
        else:
            assert flag.feedback is not None and Path(flag.feedback).is_file()
            assert Path(flag.feedback).parent.name == TINY_ASSIGNMENT


def test_renamed_copy_is_listed_as_alike_and_nothing_else_is(
    graded_cohort: GradedCohort, cohort_report: ReportFiles
) -> None:
    pairs = {(p.student_a, p.student_b) for p in cohort_report.data.similar_pairs}
    assert pairs == graded_cohort.similar


def test_every_autograded_notebook_has_its_execution_time(
    graded_cohort: GradedCohort, cohort_report: ReportFiles
) -> None:
    seconds = {t.student_id: t.seconds for t in cohort_report.data.timings}
    assert set(seconds) == set(graded_cohort.lost)
    assert all(s is not None and s > 0 for s in seconds.values())
    # The sleeping cell ran until nbclient interrupted it at the course's timeout.
    assert seconds["sleepy"] >= TIMEOUT_S


def test_missing_timing_metadata_is_reported_as_missing(private_cohort: GradedCohort) -> None:
    course = private_cohort.course
    for student_id in private_cohort.lost:
        path = course.autograded_dir(TINY_ASSIGNMENT, student_id) / f"{TINY_NOTEBOOK}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(nb, path)

    files = write_report(course, TINY_ASSIGNMENT)

    assert all(t.seconds is None for t in files.data.timings)
    assert "no times are shown" in Path(files.page).read_text()
    assert not any(name.endswith("_timings.png") for name in files.figures)


def test_page_is_self_contained_with_figures_beside_it(cohort_report: ReportFiles) -> None:
    page = Path(cohort_report.page)
    text = page.read_text()
    assert page.parent.name == "report"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing from the web
    assert "<script" not in text
    for figure in cohort_report.figures:
        assert Path(figure).parent == page.parent and Path(figure).stat().st_size > 1000
    # scores, pass rates, timings, written answers
    assert text.count("data:image/png;base64,") == len(cohort_report.figures) == 4
    for href in re.findall(r'href="([^"]+)"', text):
        assert not href.startswith("/") and (page.parent / href).resolve().is_file(), href


def test_report_without_submissions_is_a_page_that_says_so(
    released_tiny_course, tmp_path: Path
) -> None:
    files = write_report(released_tiny_course, TINY_ASSIGNMENT, tmp_path / "out")
    text = Path(files.page).read_text()
    assert "No submission is flagged" in text and "No pair of submissions is alike" in text
    assert all(rate.rate is None for rate in files.data.pass_rates)


def test_course_report_writes_the_page_and_exits_0(
    private_cohort: GradedCohort, capsys: pytest.CaptureFixture[str]
) -> None:
    root = private_cohort.course.root
    assert cli_app.main(["--course-dir", str(root), "report", TINY_ASSIGNMENT]) == cli_app.EXIT_OK
    out = capsys.readouterr().out
    assert (root / "report" / f"{TINY_ASSIGNMENT}.html").is_file()
    flags = sum(len(kinds) for kinds in private_cohort.flags.values())
    assert f"{flags} flags on {len(private_cohort.flags)} students" in out
    pairs = len(private_cohort.similar)
    assert f"{pairs} pair{'s' if pairs != 1 else ''} of alike answers" in out
