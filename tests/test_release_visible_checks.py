"""What a student sees before answering: `course check` on each untouched release notebook
reports no visible check as passed (a check that passes on a blank answer tells them nothing).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from coursekit.core import cells
from coursekit.grading.check import check_notebook
from coursekit.grading.types import CheckStatus

REPO_ROOT = Path(__file__).resolve().parents[1]
RELEASE_DIR = REPO_ROOT / "release" / "lecture1"
GRADED = sorted(
    path.stem
    for path in RELEASE_DIR.glob("*.ipynb")
    if any(cells.is_autograded_test(cell) for cell in nbformat.read(path, as_version=4).cells)
)


@pytest.mark.slow
@pytest.mark.parametrize("notebook_id", GRADED)
def test_no_visible_check_passes_on_the_untouched_release(notebook_id: str, tmp_path: Path) -> None:
    # A student's copy, away from the course (as downloaded from Colab).
    student_copy = shutil.copy(RELEASE_DIR / f"{notebook_id}.ipynb", tmp_path)
    report = check_notebook(Path(student_copy))
    assert report.tests, f"{notebook_id} has no visible checks"
    passing = [test.grade_id for test in report.tests if test.status is CheckStatus.PASSED]
    assert passing == [], f"these checks pass on an unanswered {notebook_id}"
    assert report.unanswered, "the untouched release must list its unanswered cells"
