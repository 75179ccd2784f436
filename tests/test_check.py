"""`course check NOTEBOOK`: a student's notebook run as nbgrader validate runs it, explained."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers.course import (
    REPO_ROOT,
    TINY_ASSIGNMENT,
    TINY_NOTEBOOK,
    autograded_test_points,
    read_notebook,
)
from helpers.notebooks import cell_by_id, edit_cell, reference_notebook

from coursekit.authoring import cohort
from coursekit.cli import app as cli_app
from coursekit.core.course import Course
from coursekit.grading.check import check_notebook
from coursekit.grading.types import CheckStatus, NotebookCheck

WRONG_ADD = "def add(a, b):\n    return a - b"
# Passes the visible add(1, 2) == 3 and fails the hidden add(40, 2) == 42.
HIDDEN_ONLY_WRONG_ADD = "def add(a, b):\n    return a + b if a < 10 else 0"
NOISY_ADD = (
    "import sys\n\ndef add(a, b):\n    print('debugging add', file=sys.stderr)\n    return a + b"
)
KERNEL_DIES = "import os\nos._exit(1)"


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """A student's download folder: no nbgrader_config.py in it or anywhere above."""
    folder = tmp_path / "Downloads"
    folder.mkdir()
    assert not any((p / "nbgrader_config.py").exists() for p in (folder, *folder.parents))
    return folder


def save(nb: nbformat.NotebookNode, folder: Path, name: str = f"{TINY_NOTEBOOK}.ipynb") -> Path:
    """Write nb into folder, as a student's editor would."""
    path = folder / name
    nbformat.write(nb, path)
    return path


def blank(course: Course) -> nbformat.NotebookNode:
    """The untouched release notebook."""
    return read_notebook(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb")


def statuses(check: NotebookCheck) -> dict[str, CheckStatus]:
    return {test.grade_id: test.status for test in check.tests}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_app.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_solved_notebook_passes_every_visible_check_outside_any_course(
    kernels: None,
    released_tiny_course: Course,
    downloads: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answered = edit_cell(reference_notebook(released_tiny_course), "why_commutative", "Order.")
    path = save(answered, downloads)
    monkeypatch.chdir(downloads)

    code, out, err = run_cli(["check", path.name], capsys)

    assert code == cli_app.EXIT_OK, out + err
    graded = list(autograded_test_points(blank(released_tiny_course)))
    for grade_id in graded:
        assert re.search(rf"passed\s+{grade_id} ", out), out
    assert f"{len(graded)} of {len(graded)} visible checks pass" in out
    assert "does not guarantee full marks" in out
    assert "Not answered yet" not in out


def test_blank_release_lists_unanswered_cells_and_checks_not_run(
    kernels: None, released_tiny_course: Course, downloads: Path
) -> None:
    check = check_notebook(save(blank(released_tiny_course), downloads))

    assert not check.ok
    assert set(check.unanswered) == {"add_answer", "square_answer", "why_commutative"}
    # add's stub raises when the test calls it; square's stub raises in its own cell.
    add, square = check.tests
    assert add.status is CheckStatus.NOT_CHECKED and "NotImplementedError" in add.message
    assert square.status is CheckStatus.NOT_CHECKED
    assert "earlier cell errored (square_answer: NotImplementedError)" in square.message
    assert check.written == ("why_commutative",)


def test_failed_check_says_the_behaviour_and_what_was_expected(
    kernels: None, released_tiny_course: Course, downloads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = edit_cell(reference_notebook(released_tiny_course), "add_answer", WRONG_ADD)
    path = save(nb, downloads)

    code, out, _ = run_cli(["check", str(path)], capsys)

    assert code == cli_app.EXIT_PARTIAL
    failed = next(line for line in out.splitlines() if "add_is_sum" in line)
    assert failed.split()[0] == "FAILED"
    behaviour = cell_by_id(nb, "add_is_sum").source.splitlines()[0].strip('"')
    assert behaviour in failed, "the test's first docstring line says what it checks"
    assert "AssertionError: add(1, 2)" in out
    assert re.search(r"passed\s+square_is_power", out)


def test_visible_checks_pass_but_hidden_ones_may_not(
    kernels: None, released_tiny_course: Course, downloads: Path
) -> None:
    nb = edit_cell(reference_notebook(released_tiny_course), "add_answer", HIDDEN_ONLY_WRONG_ADD)
    check = check_notebook(save(nb, downloads))
    # The check cannot see the hidden add(40, 2): that is what its closing note warns about.
    assert check.ok


@pytest.mark.slow  # nbgrader validate in a subprocess: about 15 s on 2 cores
def test_check_agrees_with_nbgrader_validate(released_tiny_course: Course, downloads: Path) -> None:
    nb = edit_cell(reference_notebook(released_tiny_course), "add_answer", WRONG_ADD)
    # validate counts an unanswered written answer as a failed cell; the check lists it apart.
    path = save(edit_cell(nb, "why_commutative", "Order."), downloads)
    validate = subprocess.run(
        [Path(sys.executable).parent / "nbgrader", "validate", path.name],
        cwd=downloads,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    check = check_notebook(path)
    not_passed = [test for test in check.tests if test.status is not CheckStatus.PASSED]
    assert f"VALIDATION FAILED ON {len(not_passed)} CELL(S)" in validate.stdout, validate.stdout


def test_test_cell_writing_to_stderr_passes_as_grading_would(
    kernels: None, released_tiny_course: Course, downloads: Path
) -> None:
    """Grading keeps a test's points when it only wrote to stderr (warnings, logs): so does
    the check. A wrong answer that writes to stderr still fails."""
    nb = edit_cell(reference_notebook(released_tiny_course), "add_answer", NOISY_ADD)
    check = check_notebook(save(nb, downloads))
    add = next(test for test in check.tests if test.grade_id == "add_is_sum")
    assert add.status is CheckStatus.PASSED
    noisy_wrong = NOISY_ADD.replace("return a + b", "return a - b")
    assert noisy_wrong != NOISY_ADD
    nb = edit_cell(reference_notebook(released_tiny_course), "add_answer", noisy_wrong)
    check = check_notebook(save(nb, downloads))
    add = next(test for test in check.tests if test.grade_id == "add_is_sum")
    assert add.status is CheckStatus.FAILED and "AssertionError" in add.message


def test_edited_test_cell_is_reported(released_tiny_course: Course, downloads: Path) -> None:
    nb = edit_cell(reference_notebook(released_tiny_course), "add_is_sum", "assert True")
    check = check_notebook(save(nb, downloads))
    assert check.edited_tests == ("add_is_sum",)


def test_tests_after_a_dead_kernel_are_not_run(
    kernels: None, released_tiny_course: Course, downloads: Path
) -> None:
    nb = edit_cell(reference_notebook(released_tiny_course), "square_answer", KERNEL_DIES)
    check = check_notebook(save(nb, downloads))
    assert statuses(check) == {
        "add_is_sum": CheckStatus.PASSED,
        "square_is_power": CheckStatus.NOT_CHECKED,
    }
    assert "exited with code 1" in check.stopped  # grading's words for the crash
    assert "execution stopped" in check.tests[1].message


def test_quiet_prints_failures_only_and_no_progress(
    kernels: None, released_tiny_course: Course, downloads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = edit_cell(reference_notebook(released_tiny_course), "add_answer", WRONG_ADD)
    path = save(nb, downloads)

    code, out, err = run_cli(["check", "--quiet", str(path)], capsys)
    assert code == cli_app.EXIT_PARTIAL
    assert "add_is_sum" in out and "square_is_power" not in out
    assert err == ""

    code, _, err = run_cli(["check", str(path)], capsys)
    assert "running 5 code cells" in err, "without --quiet a long run shows progress"


@pytest.mark.parametrize(
    ("name", "content", "says", "todo"),
    [
        ("missing.ipynb", None, "does not exist", "Pass the .ipynb file you worked in"),
        ("folder.ipynb", "dir", "is a folder", "Pass the .ipynb file you worked in"),
        ("garbage.ipynb", b"\x00\xff not json", "is not a Jupyter notebook", "Download .ipynb"),
        ("list.ipynb", b"[1, 2]", "not a notebook nbformat can read", "Check the .ipynb file"),
        (
            "plain.ipynb",
            nbformat.writes(nbformat.v4.new_notebook()).encode(),
            "no graded cells",
            "fresh copy of the release notebook",
        ),
    ],
    ids=["missing", "folder", "not-json", "not-a-notebook", "no-graded-cells"],
)
def test_unusable_file_exits_1_naming_it_and_what_to_do(
    downloads: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes | str | None,
    says: str,
    todo: str,
) -> None:
    path = downloads / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)

    code, out, err = run_cli(["check", str(path)], capsys)

    assert code == cli_app.EXIT_USAGE
    assert str(path) in err and says in err and todo in err
    assert "Traceback" not in err and out == ""


@pytest.mark.slow
def test_lecture1_exercise_0_python_with_solutions_passes_and_blank_fails(
    tmp_path: Path,
) -> None:
    source = read_notebook(REPO_ROOT / "source" / "lecture1" / "exercise_0_python.ipynb")
    release = read_notebook(REPO_ROOT / "release" / "lecture1" / "exercise_0_python.ipynb")
    solved = cohort.fill_release(release, cohort.solution_answers(source))
    points = autograded_test_points(release)

    written = {
        cell.metadata.nbgrader.grade_id
        for cell in release.cells
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")
    }

    check = check_notebook(save(solved, tmp_path, "exercise_0_python.ipynb"))
    assert check.ok
    assert set(check.unanswered) == written, "solution_answers leaves written answers blank"
    assert {test.grade_id: test.points for test in check.tests} == points
    assert all(test.behaviour for test in check.tests), "every test's docstring is shown"

    blank_check = check_notebook(save(release, tmp_path, "blank.ipynb"))
    assert not blank_check.ok
    assert set(blank_check.unanswered) == set(cohort.answer_grade_ids(release)) | written
