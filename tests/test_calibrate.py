"""`course calibrate`: every named tolerance is measured against correct answers with a margin,
and answer variants behave as declared; anything else fails loudly (exit 2)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from helpers.course import REPO_ROOT, TINY_ASSIGNMENT, nbgrader_cell, python_notebook

from coursekit.calibration.calibrate import calibrate_assignment
from coursekit.calibration.markdown import render_calibration
from coursekit.calibration.specs import spec_notebook_ids, spec_path
from coursekit.calibration.tolerances import calibration_row, tolerance_names
from coursekit.calibration.types import CalibrationReport, NotebookCalibration, VariantOutcome
from coursekit.calibration.variants import import_file
from coursekit.cli import app as cli_app
from coursekit.core.course import Course, locate_course

NOTEBOOK = "approx"
LECTURE_SPECS = REPO_ROOT / "calibration" / "lecture1"

# A spec measures one tolerance of the approx notebook: `worst` on every run.
SPEC = """
from coursekit.calibration.types import Measured

DEFAULT_SEEDS = 30


def measure(run):
    values = [{worst}] * run.seeds
    mistake = run.mistake("square", "root_is_sqrt", "SQRT_TOL", "abs(root - sqrt)", [0.5] * 2)
    return Measured(
        (run.row("root_is_sqrt", "SQRT_TOL", "abs(root - sqrt)", values, {{"square": [0.5]}}),),
        (mistake,),
        ("a note for people",),
    )
"""

VARIANTS = """
from coursekit.calibration.variants import Variant

CORRECT = [
    Variant("reference", {}),
    Variant("math_sqrt", {"define_root": "import math\\nroot = math.sqrt\\n"}),
]
WRONG = [
    Variant("square_not_root", {"define_root": "def root(x):\\n    return x * x\\n"},
            loses=frozenset({"root_is_sqrt"})),
    Variant("claims_a_loss_it_does_not_cause", {}, loses=frozenset({"root_is_sqrt"})),
]
"""


def approx_notebook() -> nbformat.NotebookNode:
    """One answer and two tests, each with a named tolerance."""
    cells = [
        nbgrader_cell("code", "import math", "setup", locked=True),
        nbgrader_cell(
            "code",
            "### BEGIN SOLUTION\ndef root(x):\n    return x ** 0.5\n### END SOLUTION",
            "define_root",
            solution=True,
        ),
        nbgrader_cell(
            "code",
            '"""root is the square root."""\nSQRT_TOL = 1e-9  # float64 rounding\n'
            "assert abs(root(2) - math.sqrt(2)) < SQRT_TOL, "
            'f"root(2) = {root(2)}, expected 1.41421"',
            "root_is_sqrt",
            grade=True,
            points=2,
        ),
        nbgrader_cell(
            "code",
            '"""root rounds to the integer root of squares."""\n'
            "if True:  # a tolerance set inside a block counts too\n    ROUND_TOL = 0.5\n"
            'assert abs(root(49) - 7) < ROUND_TOL, f"root(49) = {root(49)}, expected 7"',
            "root_of_square",
            grade=True,
            points=1,
        ),
    ]
    return python_notebook(cells)


@pytest.fixture
def approx_course(tiny_course_dir: Path) -> Course:
    """The tiny course with the approx notebook, its variants, and a spec covering SQRT_TOL."""
    nbformat.write(approx_notebook(), tiny_course_dir / "source" / TINY_ASSIGNMENT / "approx.ipynb")
    variants = spec_file(tiny_course_dir).parent / "variants"
    variants.mkdir(parents=True)
    spec_file(tiny_course_dir).write_text(SPEC.format(worst=2.5e-10))
    (variants / "approx.py").write_text(VARIANTS)
    return locate_course(tiny_course_dir)


def spec_file(root: Path) -> Path:
    """Where the course keeps the approx notebook's calibration spec."""
    return root / "calibration" / TINY_ASSIGNMENT / "approx.py"


def test_tolerances_are_read_from_autograded_tests_even_indented() -> None:
    assert tolerance_names(approx_notebook()) == {
        "SQRT_TOL": "root_is_sqrt",
        "ROUND_TOL": "root_of_square",
    }


def test_a_tolerance_without_a_calibration_row_fails_loudly(
    approx_course: Course, capsys: pytest.CaptureFixture[str]
) -> None:
    report = calibrate_assignment(approx_course, TINY_ASSIGNMENT, 3, NOTEBOOK, variants=False)

    (notebook,) = report.notebooks
    assert notebook.uncovered == ("root_of_square: ROUND_TOL",)
    assert [row.tolerance for row in notebook.rows] == ["SQRT_TOL"]
    assert notebook.rows[0].runs == 3 and notebook.rows[0].margin == pytest.approx(4)
    assert not report.ok

    argv = ["--course-dir", str(approx_course.root), "calibrate", TINY_ASSIGNMENT]
    code = cli_app.main([*argv, "--notebook", NOTEBOOK, "--no-variants"])
    assert code == cli_app.EXIT_PARTIAL
    out = capsys.readouterr().out
    assert "UNCOVERED" in out and "root_of_square: ROUND_TOL" in out


def test_a_notebook_with_tolerances_and_no_script_has_them_all_uncovered(
    approx_course: Course,
) -> None:
    spec_file(approx_course.root).unlink()
    report = calibrate_assignment(approx_course, TINY_ASSIGNMENT, 3, NOTEBOOK, variants=False)
    assert report.notebooks[0].script is None
    assert set(report.notebooks[0].uncovered) == {
        "root_is_sqrt: SQRT_TOL",
        "root_of_square: ROUND_TOL",
    }


def test_a_margin_below_one_is_a_false_fail() -> None:
    inside = calibration_row("nb", "t", "A_TOL", 1e-6, "error", [1e-8, 5e-7])
    outside = calibration_row("nb", "t", "A_TOL", 1e-6, "error", [1e-8, 2e-6])
    assert inside.ok and inside.margin == pytest.approx(2)
    assert not outside.ok and outside.margin == pytest.approx(0.5)
    notebook = NotebookCalibration("nb", "calibration/ps1/nb.py", 2, (outside,), (), (), 1.0)
    report = CalibrationReport("ps1", (notebook,))
    assert not report.ok
    assert "FALSE FAIL" in render_calibration(report)


def test_the_renderer_shows_distribution_tolerance_margin_and_variants() -> None:
    row = calibration_row(
        "nb",
        "fit_ok",
        "PARAM_TOL",
        0.1,
        "max abs(theta - lstsq)",
        [0.01, 0.02, 0.025],
        {"untrained": [0.9, 1.2], "two epochs": [0.25]},
    )
    exact = calibration_row("nb", "same_bits", "REPEAT_TOL", 1e-6, "second call vs first", [0.0])
    variants = (
        VariantOutcome("nb", "reference", True, frozenset(), frozenset(), 5, 5),
        VariantOutcome("nb", "two_epochs", False, frozenset({"fit_ok"}), frozenset(), 5, 5),
    )
    notebook = NotebookCalibration(
        "nb", "calibration/ps1/nb.py", 30, (row, exact), (), variants, 12.0
    )
    text = render_calibration(CalibrationReport("ps1", (notebook,)))

    assert "| fit_ok | `PARAM_TOL = 0.1` | max abs(theta - lstsq) | 3 | 0.02 |" in text
    assert "| 0.025 | 4x | 0.25 (two epochs) | ok |" in text
    assert "| exact |" in text
    assert "| reference | correct | full marks | 5/5 | ok |" in text
    assert "| two_epochs | wrong | loses fit_ok | 5/5 | NOT AS EXPECTED |" in text
    assert "| nb | 2 | 4x (`PARAM_TOL`) | 0 | 1/2 |" in text
    assert text.endswith("Calibration NOT ok: see FALSE FAIL, UNCOVERED and NOT AS EXPECTED above.")


def test_variants_run_in_kernels_and_each_is_checked_against_its_claim(
    approx_course: Course, kernels: None
) -> None:
    spec_file(approx_course.root).unlink()
    report = calibrate_assignment(approx_course, TINY_ASSIGNMENT, 3, NOTEBOOK)
    outcomes = {outcome.name: outcome for outcome in report.notebooks[0].variants}

    assert outcomes["reference"].as_expected and outcomes["reference"].score == 3
    assert outcomes["math_sqrt"].as_expected
    square = outcomes["square_not_root"]
    assert square.as_expected and square.lost == {"root_is_sqrt", "root_of_square"}
    assert "expected 1.41421" in square.messages["root_is_sqrt"]
    assert not outcomes["claims_a_loss_it_does_not_cause"].as_expected


def test_a_spec_is_found_by_assignment_and_notebook_id(approx_course: Course) -> None:
    root = approx_course.root
    assert spec_path(root, TINY_ASSIGNMENT, "approx") == spec_file(root)
    assert spec_path(root, TINY_ASSIGNMENT, "other") is None
    assert spec_path(root, "lecture9", "approx") is None
    assert spec_notebook_ids(root, TINY_ASSIGNMENT) == ["approx"]  # variants/ is not a spec


def test_every_course_spec_defines_measure_with_at_least_30_seeds_by_default() -> None:
    paths = sorted(LECTURE_SPECS.glob("*.py"))
    assert paths, "no calibration spec in calibration/lecture1"
    for path in paths:
        tree = ast.parse(path.read_text())
        functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert "measure" in functions, path.name
        (default,) = [
            node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "DEFAULT_SEEDS"
        ]
        assert default >= 30, path.name


def test_every_lecture_notebook_with_a_tolerance_has_a_spec() -> None:
    with_tolerances = sorted(
        path.stem
        for path in (REPO_ROOT / "source" / "lecture1").glob("*.ipynb")
        if tolerance_names(nbformat.read(path, as_version=4))
    )
    assert with_tolerances == spec_notebook_ids(REPO_ROOT, "lecture1")


def test_the_script_prints_rows_mistakes_and_notes_and_fails_on_an_uncovered_tolerance(
    approx_course: Course, capsys: pytest.CaptureFixture[str]
) -> None:
    script = import_file(REPO_ROOT / "benchmarks" / "calibrate.py", "calibrate_script_under_test")
    argv = [TINY_ASSIGNMENT, NOTEBOOK, "--seeds", "3", "--course-dir", str(approx_course.root)]

    assert script.main(argv) == 1  # ROUND_TOL: no row measures it
    out = capsys.readouterr().out
    assert f"## approx (`calibration/{TINY_ASSIGNMENT}/approx.py`, 3 seeds," in out
    assert "| root_is_sqrt | `SQRT_TOL = 1e-09` | abs(root - sqrt) | 3 |" in out
    assert "| 4x | 0.5 (square) | ok |" in out
    assert "| square | root_is_sqrt | `SQRT_TOL` | abs(root - sqrt) | 2 | 0.5 | 0.5 | 2/2 |" in out
    assert "- a note for people" in out
    assert "UNCOVERED" in out and "root_of_square: ROUND_TOL" in out


def test_calibrate_runs_a_real_notebook_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--course-dir", str(REPO_ROOT), "calibrate", "lecture1", "--seeds", "2"]
    assert (
        cli_app.main([*argv, "--notebook", "exercise_0_python", "--no-variants"]) == cli_app.EXIT_OK
    )
    out = capsys.readouterr().out
    for name in ("MEAN_TOL = 0.25", "STD_TOL = 0.15", "NORMAL_TOL = 0.03", "CORR_TOL = 0.3"):
        assert f"`{name}`" in out
    assert out.rstrip().endswith(
        "Calibration ok: every tolerance covered, no false fail, every variant as expected."
    )
