"""A notebook saved by any editor grades exactly like the same notebook saved by Jupyter.

Each student's notebook is first run the way a student runs it (outputs, execution counts and
the traceback of a failing visible test kept), then saved in one editor's format
(tests/helpers/editor_formats.py) and graded by the real nbgrader with the course's autograde.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.editor_formats import EDITOR_FORMATS, jupyter, notepad_bom
from helpers.feedback import visible_text
from helpers.notebooks import edit_cell
from nbclient import NotebookClient
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from coursekit.authoring import cohort
from coursekit.core import cells
from coursekit.core.course import Course, locate_course
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, Status
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.types import FeedbackReport

pytestmark = pytest.mark.slow  # one cohort per editor format, graded by the module: about 60 s

WRONG_ADD = "def add(a, b):\n    return a - b"
# A written answer with characters outside ASCII, which editors may store escaped or not.
WRITTEN_ANSWER = "Counting does not depend on order: 2 + 3 = 3 + 2 — for all naturals (Peano)."
# A cell of the student's own, as students add them: a print and a displayed value.
SCRATCH = 'print("add(2, 3) =", add(2, 3))\nadd(2, 3)'
FORMATS = ["jupyter", *EDITOR_FORMATS]
KINDS = ["reference", "wrong"]


def student_notebook(course: Course, kind: str) -> NotebookNode:
    """The release with every answer written (add wrong for kind "wrong"), plus a scratch cell."""
    source = read_notebook(course.source_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    release = read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")
    answers = cohort.solution_answers(source) | {"why_commutative": WRITTEN_ANSWER}
    nb = cohort.fill_release(release, answers)
    if kind == "wrong":
        nb = edit_cell(nb, "add_answer", WRONG_ADD)
    position = next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == "add_answer") + 1
    nb.cells.insert(position, new_code_cell(SCRATCH))
    return nb


def run_as_student(nb: NotebookNode, folder: Path) -> NotebookNode:
    """nb after Run All in a kernel: a failing cell keeps its traceback and the rest runs on."""
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}}
    )
    return client.execute()


def student_id(editor: str, kind: str) -> str:
    return f"{editor}_{kind}"


@pytest.fixture(scope="module")
def course(released_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Course:
    root = tmp_path_factory.mktemp("editors") / "course"
    return locate_course(shutil.copytree(released_template, root))


@pytest.fixture(scope="module")
def ran(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, NotebookNode]:
    """kind -> the student's notebook as Jupyter holds it after Run All."""
    folder = tmp_path_factory.mktemp("student")
    return {kind: run_as_student(student_notebook(course, kind), folder) for kind in KINDS}


@pytest.fixture(scope="module")
def handed_in(course: Course, ran: dict[str, NotebookNode]) -> dict[str, bytes]:
    """student_id -> the bytes handed in: each run notebook saved by each editor."""
    builders = {"jupyter": jupyter, **EDITOR_FORMATS}
    files = {
        student_id(editor, kind): builders[editor](ran[kind])
        for editor in FORMATS
        for kind in KINDS
    }
    files["notepad_reference"] = notepad_bom(ran["reference"])
    for sid, content in files.items():
        cohort.write_submission(course, TINY_ASSIGNMENT, sid, {TINY_NOTEBOOK: content})
    return files


@pytest.fixture(scope="module")
def graded(course: Course, handed_in: dict[str, bytes]) -> AutogradeReport:
    return autograde_assignment(course, TINY_ASSIGNMENT)


@pytest.fixture(scope="module")
def feedback(course: Course, graded: AutogradeReport) -> FeedbackReport:
    return generate_feedback(course, TINY_ASSIGNMENT)


def outcome(report: AutogradeReport, sid: str):
    return next(o for o in report.outcomes if o.student_id == sid)


def same_code(nb: NotebookNode) -> list[tuple[str, str, dict]]:
    """What grading reads of each cell: type, source (line ends as Python reads them), nbgrader."""
    return [
        (c.cell_type, cells.cell_source(c).replace("\r\n", "\n"), dict(cells.nbgrader_meta(c)))
        for c in nb.cells
    ]


def test_student_runs_kept_outputs_and_a_failing_visible_test(ran) -> None:
    """Not vacuous: the notebooks carry outputs, and the wrong one a traceback, into each format."""
    for nb in ran.values():
        assert any(c.get("outputs") for c in nb.cells)
    errors = [
        o for c in ran["wrong"].cells for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert [e.ename for e in errors] == ["AssertionError"]


@pytest.mark.parametrize("editor", list(EDITOR_FORMATS))
def test_each_format_differs_from_jupyter_in_bytes_only_not_in_code(editor, ran) -> None:
    saved = EDITOR_FORMATS[editor](ran["reference"])
    assert saved != jupyter(ran["reference"])
    as_read = nbformat.reads(saved.decode("utf-8"), as_version=4)
    assert same_code(as_read) == same_code(ran["reference"])


def test_colab_format_is_colabs(ran) -> None:
    """The Colab fixture has Colab's marks: nbformat 4.0, ids in cell metadata, 2-space JSON."""
    saved = EDITOR_FORMATS["colab"](ran["reference"])
    data = json.loads(saved)
    assert list(data) == ["nbformat", "nbformat_minor", "metadata", "cells"]
    assert (data["nbformat_minor"], data["metadata"]["colab"]["provenance"]) == (0, [])
    assert all("id" not in c and len(c["metadata"]["id"]) == 12 for c in data["cells"])
    assert saved.startswith(b'{\n  "nbformat": 4') and not saved.endswith(b"\n")


@pytest.mark.parametrize("editor", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_format_grades_exactly_like_jupyter(graded, editor, kind) -> None:
    result = outcome(graded, student_id(editor, kind))
    baseline = outcome(graded, student_id("jupyter", kind))

    assert result.status is Status.GRADED, result.reason
    assert result.problems == baseline.problems == ()
    ((score,), (expected,)) = result.scores, baseline.scores
    assert score.cells == expected.cells
    assert (score.score, score.auto_score, score.max_score, score.needs_manual_grade) == (
        expected.score,
        expected.auto_score,
        expected.max_score,
        expected.needs_manual_grade,
    )


def test_baseline_scores_tell_right_from_wrong(graded) -> None:
    """Not vacuous: the wrong answer loses exactly add_is_sum; the written answer awaits a TA."""
    scores = {
        kind: {c.grade_id: c for c in outcome(graded, student_id("jupyter", kind)).scores[0].cells}
        for kind in KINDS
    }
    assert scores["reference"]["add_is_sum"].score == 2 and not scores["wrong"]["add_is_sum"].score
    assert scores["reference"]["square_is_power"].score == scores["wrong"]["square_is_power"].score
    assert scores["reference"]["why_commutative"].needs_manual_grade


def test_handed_in_files_are_left_as_they_were(course, handed_in, graded) -> None:
    for sid, content in handed_in.items():
        path = course.submitted_dir(TINY_ASSIGNMENT, sid) / f"{TINY_NOTEBOOK}.ipynb"
        assert path.read_bytes() == content, sid


@pytest.mark.parametrize("editor", FORMATS)
def test_feedback_is_written_for_every_format(course, feedback, editor) -> None:
    assert feedback.ok, [o for o in feedback.outcomes if o.error]
    texts = {}
    for kind in KINDS:
        (path,) = next(
            o for o in feedback.outcomes if o.student_id == student_id(editor, kind)
        ).files
        texts[kind] = visible_text(Path(path))
        assert "add(1, 2)" in texts[kind] and "hidden add check" not in texts[kind]
    assert "AssertionError" in texts["wrong"] and "AssertionError" not in texts["reference"]


def test_byte_order_mark_is_rejected_with_how_to_fix(graded) -> None:
    """A mark no editor writes, nor Jupyter or nbgrader reads: a reason, not a JSON error."""
    result = outcome(graded, "notepad_reference")
    assert result.status is Status.REJECTED
    assert "byte-order mark" in result.reason
    assert "without" in result.reason
