"""The demo copies the course, grades its synthetic cohort as designed, and reruns safely."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.notebooks import edit_cell
from helpers.terminal_output import run_command_tapped

from coursekit.cli.render import render_autograde
from coursekit.cli.verb import EXIT_OK
from coursekit.core.course import Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.demo import DEMO_MARKER, prepare_demo_dir, run_demo
from coursekit.grading.types import Status

COLUMNS = 120
SECOND_NOTEBOOK = "powers"  # the tiny notebook under an id of its own, its model answer noisy
NOISY = (
    "### BEGIN SOLUTION\nimport os\n"
    "os.write(2, b'[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel. (demo noise)\\n')\n"
    "def square(x):\n    return math.pow(x, 2)\n### END SOLUTION"
)


@pytest.mark.slow  # the demo grades a cohort of its own, two notebooks each: about 40 s
def test_demo_grades_its_cohort_as_designed(
    kernels: None, tiny_course_dir: Path, tmp_path: Path
) -> None:
    """`course demo` as an instructor runs it, in a terminal of COLUMNS columns."""
    # A second notebook whose model answer writes a kernel's log line to the kernel's stderr,
    # as ipykernel does when interrupted: the proof and demo_reference's grading run it.
    source = tiny_course_dir / "source" / TINY_ASSIGNMENT
    noisy = edit_cell(read_notebook(source / f"{TINY_NOTEBOOK}.ipynb"), "square_answer", NOISY)
    nbformat.write(noisy, source / f"{SECOND_NOTEBOOK}.ipynb")  # demo_broken breaks both
    tiny_course = locate_course(tiny_course_dir)
    argv = ["demo", "--dir", str(tmp_path / "demo")]
    run = run_command_tapped(tiny_course.root, argv, "coursekit.demo:run_demo", COLUMNS, 600)
    result = run.result

    assert run.code == EXIT_OK, run.out + run.err
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
        for notebook_id in (TINY_NOTEBOOK, SECOND_NOTEBOOK):
            html = demo_root / "feedback" / student_id / TINY_ASSIGNMENT / f"{notebook_id}.html"
            assert html.is_file()
    assert not (tiny_course.root / "submitted").exists(), "the demo must not touch the course"

    # What the terminal shows (issue 17): no kernel's log line (it is in the verb's log),
    # nothing wider than the terminal, demo_broken's folder named at most once, no feedback
    # file listed.
    terminal = run.out + run.err
    assert "[IPKernelApp]" not in terminal
    assert "(demo noise)" in (tiny_course.root / "logs" / "course-demo.log").read_text()
    too_long = [line for line in terminal.splitlines() if len(line) > COLUMNS]
    assert not too_long, "\n".join(too_long)
    assert terminal.count(str(demo_root / "submitted" / "demo_broken")) <= 1
    broken = next(line for line in run.out.splitlines() if line.startswith("demo_broken "))
    assert f"{TINY_NOTEBOOK}.ipynb (and 1 more alike)" in broken
    assert ".html" not in terminal and "4 students, 8 HTML files" in run.out
    assert run.err.count("logs/course-demo.log") <= 1
    assert "5 students: 4 graded, 1 rejected, 0 failed" in run.out and "took " in run.out


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
