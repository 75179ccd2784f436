"""The demo copies the course, grades its synthetic cohort as designed, and reruns safely."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK

from coursekit.cli.render import render_autograde
from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.demo import DEMO_MARKER, prepare_demo_dir, run_demo
from coursekit.grading.types import Status


@pytest.mark.slow  # the demo grades a cohort of its own: about 30 s
def test_demo_grades_its_cohort_as_designed(tiny_course: Course, tmp_path: Path) -> None:
    result = run_demo(tiny_course, tmp_path / "demo")

    assert result.as_designed, result.surprises
    (report,) = result.autogrades
    status = {o.student_id: o.status for o in report.outcomes}
    assert status == {
        "demo_reference": Status.GRADED,
        "demo_blank": Status.GRADED,
        "demo_partial": Status.GRADED,
        "demo_raises": Status.GRADED,
        "demo_broken": Status.REJECTED,
    }
    auto = {o.student_id: sum(s.auto_score for s in o.scores) for o in report.outcomes}
    assert auto["demo_blank"] < auto["demo_partial"] < auto["demo_reference"]
    assert auto["demo_blank"] < auto["demo_raises"] < auto["demo_reference"]
    assert Path(result.grades_csv).is_file()
    demo_root = Path(result.course_root)
    for student_id in ("demo_reference", "demo_blank", "demo_partial", "demo_raises"):
        html = demo_root / "feedback" / student_id / TINY_ASSIGNMENT / f"{TINY_NOTEBOOK}.html"
        assert html.is_file()
    assert not (tiny_course.root / "submitted").exists(), "the demo must not touch the course"


@pytest.mark.slow  # the demo grades a cohort of its own: about 20 s
def test_demo_reference_leaves_written_answers_for_tas(tiny_course: Course, tmp_path: Path) -> None:
    """The reference student writes the model answers: they await a TA, the table says so."""
    result = run_demo(tiny_course, tmp_path / "demo")
    (report,) = result.autogrades
    (reference,) = next(o for o in report.outcomes if o.student_id == "demo_reference").scores
    (blank,) = next(o for o in report.outcomes if o.student_id == "demo_blank").scores
    assert reference.max_manual_score > 0
    assert reference.needs_manual_grade and not blank.needs_manual_grade
    assert reference.auto_score == reference.max_auto_score
    rows = render_autograde(report).splitlines()
    row = next(line for line in rows if line.startswith("demo_reference "))
    assert f"{reference.max_auto_score:g}/{reference.max_auto_score:g}" in row
    assert f"{reference.max_manual_score:g} to grade" in row


def test_rerun_wipes_the_previous_demo(tiny_course: Course, tmp_path: Path) -> None:
    target = prepare_demo_dir(tiny_course, tmp_path / "demo")
    (target / "submitted").mkdir()
    again = prepare_demo_dir(tiny_course, tmp_path / "demo")
    assert again == target
    assert not (target / "submitted").exists()
    assert (target / DEMO_MARKER).is_file() and (target / "nbgrader_config.py").is_file()


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tiny_course: Course, tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.tex").write_text("years of work")
    with pytest.raises(CourseError, match="not a coursekit demo"):
        prepare_demo_dir(tiny_course, tmp_path / "precious")
    assert (tmp_path / "precious" / "thesis.tex").is_file()
