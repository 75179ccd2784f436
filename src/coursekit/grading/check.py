"""A student's check before submitting: run one notebook as `nbgrader validate` does, explain.

It needs no course and no nbgrader_config.py: a student runs it on the notebook they worked in
(a Colab download in ~/Downloads, say). It executes a copy of the notebook top to bottom in a
fresh kernel with autograde's own Execute step (coursekit.steps.execution.ContainedExecute): a
kernel that dies costs only its cell, stderr noise in a passing test costs nothing.
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

# A check has no course: it runs autograde's Execute step on a config of its own.
from traitlets.config import Config

from coursekit.core import cells
from coursekit.core.errors import CourseError
from coursekit.grading.types import CellCheck, CheckStatus, NotebookCheck
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.execution import ContainedExecute

# As long as grading allows (nbgrader_config.py): nbgrader's default of 30 s would fail a
# cell that trains a few small Keras models on a slow laptop, which grading would pass.
CELL_TIMEOUT = 180
# In-memory history (nbgrader's default for Python kernels) and only the kernel's errors in the
# terminal: ipykernel warns at each start that its loopback TCP is unencrypted.
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
# What nbgrader's ClearSolutions leaves in an answer cell (the course keeps its defaults).
CODE_STUB = "raise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

# Told before each code cell runs: (cells started, code cells in all).
CellProgress = Callable[[int, int], None]


def check_notebook(path: Path, progress: CellProgress | None = None) -> NotebookCheck:
    """Run a student's notebook top to bottom and say, per visible test, passed or why not."""
    nb = read_student_notebook(path)
    executed, stopped = execute_as_validate(nb, path.parent, progress)
    tests = tuple(
        check_test(cell, executed.cells[:index], stopped)
        for index, cell in enumerate(executed.cells)
        if cells.is_autograded_test(cell)
    )
    return NotebookCheck(
        path=str(path),
        tests=tests,
        unanswered=tuple(cells.grade_id(c) or "?" for c in nb.cells if is_unanswered(c)),
        written=tuple(cells.grade_id(c) or "?" for c in nb.cells if cells.is_written_answer(c)),
        edited_tests=tuple(cells.grade_id(c) or "?" for c in nb.cells if is_edited_test(c)),
        stopped=stopped,
    )


def read_student_notebook(path: Path) -> NotebookNode:
    """The notebook at path; a CourseError naming the file and what to do if it is not one."""
    if not path.is_file():
        where = "is a folder" if path.is_dir() else "does not exist"
        raise CourseError(
            f"{path} {where}. Pass the .ipynb file you worked in, e.g. "
            "`course check ~/Downloads/exercise_0_python.ipynb`."
        )
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8-sig"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        raise CourseError(
            f"{path} is not a Jupyter notebook ({type(error).__name__}). Download the notebook "
            "as .ipynb (Colab: File > Download > Download .ipynb) and check that file."
        ) from error
    except Exception as error:  # nbformat raises several kinds for a foreign JSON file
        raise CourseError(
            f"{path} is not a notebook nbformat can read ({type(error).__name__}: {error}). "
            "Check the .ipynb file you worked in."
        ) from error
    if not any(cells.is_grade(cell) or cells.is_solution(cell) for cell in nb.cells):
        raise CourseError(
            f"{path} has no graded cells: it is not a course notebook, or an editor dropped its "
            "cell metadata. Start again from a fresh copy of the release notebook and paste your "
            "answers in."
        )
    return nb


def execute_as_validate(
    nb: NotebookNode, cwd: Path, progress: CellProgress | None = None
) -> tuple[NotebookNode, str]:
    """A copy of nb run like `nbgrader validate`, and why execution stopped early ('' if not)."""
    config = Config()
    config.Execute.timeout = CELL_TIMEOUT
    config.Execute.extra_arguments = KERNEL_ARGUMENTS
    executed = copy.deepcopy(nb)
    executed = nbgrader_api.clear_outputs(executed, config)
    total = sum(cell.cell_type == "code" for cell in executed.cells)
    started = iter(range(1, total + 1))

    def on_cell_start(cell: NotebookNode, cell_index: int) -> None:
        if progress is not None and cell.cell_type == "code":
            progress(next(started), total)

    # The grader's Execute step, so that a check passes and fails as grading will: a dead
    # kernel or a cell that will not stop ends the run there (executor.stopped says why).
    executor = ContainedExecute(config=config, on_cell_start=on_cell_start)
    try:
        with nbgrader_api.validating():
            executor.preprocess(executed, {"metadata": {"path": str(cwd)}})
    except Exception as error:  # a kernel that cannot start, say; what ran is still reported
        first_line = (str(error).strip().splitlines() or [""])[0]
        return executed, f"{type(error).__name__}: {first_line}"
    return executed, executor.stopped or ""


def check_test(test: NotebookNode, above: list[NotebookNode], stopped: str) -> CellCheck:
    """The outcome of one executed test cell, given the cells above it."""
    grade_id = cells.grade_id(test) or "?"
    points = float(cells.nbgrader_meta(test).get("points", 0))
    behaviour = first_docstring_line(cells.cell_source(test))
    if test.get("execution_count") is None and stopped:
        reason = f"not run: execution stopped at an earlier cell ({stopped})"
        return CellCheck(grade_id, points, behaviour, CheckStatus.NOT_CHECKED, reason)
    score, max_score = nbgrader_api.cell_grade(test)
    if score is not None and score >= max_score:
        return CellCheck(grade_id, points, behaviour, CheckStatus.PASSED)
    error = first_error(test)
    if error is not None and error.ename == "NotImplementedError":
        reason = "not run: the answer it checks still raises NotImplementedError (not answered yet)"
        return CellCheck(grade_id, points, behaviour, CheckStatus.NOT_CHECKED, reason)
    culprit = errored_cell_above(above)
    if error is not None and error.ename != "AssertionError" and culprit:
        # The test crashed (NameError, ...) after an answer above it crashed: the check says
        # nothing about this answer yet; the cell above is what to fix.
        reason = f"not run: an earlier cell errored ({culprit}); fix that cell first"
        return CellCheck(grade_id, points, behaviour, CheckStatus.NOT_CHECKED, reason)
    return CellCheck(grade_id, points, behaviour, CheckStatus.FAILED, failure_message(test))


def first_docstring_line(source: str) -> str:
    """The first line of a test cell's docstring (the behaviour it checks), or ''."""
    try:
        docstring = ast.get_docstring(ast.parse(source))
    except SyntaxError:  # IPython syntax (magics, !commands) is not Python
        return ""
    return docstring.strip().splitlines()[0] if docstring else ""


def first_error(cell: NotebookNode) -> NotebookNode | None:
    """The first error output of an executed code cell, or None."""
    return next((out for out in cell.get("outputs", []) if out.output_type == "error"), None)


def errored_cell_above(above: list[NotebookNode]) -> str:
    """The nearest code cell above that is no test and raised: 'grade_id: ename: evalue'."""
    for index in range(len(above) - 1, -1, -1):
        cell = above[index]
        error = first_error(cell) if cell.cell_type == "code" else None
        if error is not None and not cells.is_autograded_test(cell):
            name = cells.grade_id(cell) or f"cell {index + 1}"
            return f"{name}: {error.ename}: {error.evalue}".strip().rstrip(":")
    return ""


def failure_message(test: NotebookNode) -> str:
    """Why a test cell lost points: its error line, or partial credit."""
    # Never stderr alone: a test that raised nothing keeps its points, as in grading.
    error = first_error(test)
    if error is not None:
        return f"{error.ename}: {error.evalue}".strip().rstrip(":")
    return "partial credit: passed some but not all of its checks"


def is_unanswered(cell: NotebookNode) -> bool:
    """Whether an answer cell still holds nbgrader's stub (code or written)."""
    if cells.is_autograded_answer(cell):
        return CODE_STUB in cells.cell_source(cell)
    if cells.is_written_answer(cell):
        return TEXT_STUB in cells.cell_source(cell) or not cells.cell_source(cell).strip()
    return False


def is_edited_test(cell: NotebookNode) -> bool:
    """Whether a test cell differs from the release (nbgrader's checksum); grading restores it."""
    checksum = cells.nbgrader_meta(cell).get("checksum")
    if not cells.is_autograded_test(cell) or not checksum:
        return False
    return nbgrader_api.cell_checksum(cell) != checksum
