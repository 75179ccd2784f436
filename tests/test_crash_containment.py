"""A crash costs only what crashed; stderr noise from a passing test costs nothing.

A small course (three numpy tasks, each with its test, and a written answer) is graded with
the course's own nbgrader_config.py; each student breaks the second task in one way. Expected
scores come from the notebook's points: the tests before the broken one keep theirs.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from helpers.course import (
    REPO_ROOT,
    autograded_test_points,
    nbgrader_cell,
    python_notebook,
    read_notebook,
)
from helpers.notebooks import cell_by_id, edit_cell
from nbformat.v4 import new_markdown_cell, new_notebook
from nbgrader import utils as nbgrader_utils

from coursekit.authoring import cohort
from coursekit.cli.render import render_autograde
from coursekit.core.course import Course, locate_course
from coursekit.core.types import KernelCrash
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.isolation.warm import COLD_KERNEL_NAME, client
from coursekit.isolation.warm.kernelspec import install_kernelspec, kernel_json
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps import execution

ASSIGNMENT = "ps1"
NOTEBOOK = "powers"
# The kernels' memory cap (the sandbox's memory cgroup): a NumPy kernel needs a tenth of it.
MEMORY_MB = 300
CELL_TIMEOUT_S = 5  # each test cell here takes milliseconds; the endless loops take this long
LIGHT_KERNEL = "python3-warm-crash"  # the course's warm kernel, preloading NumPy only
# nbgrader 0.9.6's own autograde steps (Autograde.autograde_preprocessors' default).
STOCK_AUTOGRADE_STEPS = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def answer(grade_id: str, solution: str) -> nbformat.NotebookNode:
    return nbgrader_cell(
        "code", f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION", grade_id, solution=True
    )


def check(grade_id: str, source: str, points: int) -> nbformat.NotebookNode:
    return nbgrader_cell("code", source, grade_id, grade=True, points=points)


def source_notebook() -> nbformat.NotebookNode:
    """Three tasks, each answer followed by its test, then a written answer."""
    return python_notebook(
        [
            new_markdown_cell("# Powers"),
            nbgrader_cell("code", "import numpy as np", "setup", locked=True),
            answer("add_answer", "def add(a, b):\n    return a + b"),
            check("add_is_sum", '"""add sums."""\nassert add(1, 2) == 3, "add(1, 2)"', 2),
            answer("square_answer", "def square(x):\n    return np.square(x)"),
            check("square_is_power", '"""square squares."""\nassert square(3) == 9', 3),
            answer("cube_answer", "def cube(x):\n    return np.power(x, 3)"),
            check("cube_is_power", '"""cube cubes."""\nassert cube(2) == 8', 4),
            nbgrader_cell(
                "markdown",
                "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                "why_powers",
                solution=True,
                grade=True,
                points=1,
            ),
        ]
    )


# student_id -> the source of their square_answer cell (the second task)
SQUARE_ANSWERS = {
    "reference": None,
    "exits": "def square(x):\n    import os\n    os._exit(3)",
    "kills_itself": (
        "def square(x):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)"
    ),
    # Bounded (2 GB) so that a machine without the memory cap survives; the cap is far lower.
    "runs_out_of_memory": (
        "def square(x):\n    chunks = []\n    for _ in range(40):\n"
        "        chunks.append(b'x' * (50 * 2**20))"
    ),
    "ignores_interrupt": (
        "def square(x):\n    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    while True:\n        pass"
    ),
    "loops": "def square(x):\n    while True:\n        pass",
    "raises_system_exit": "def square(x):\n    raise SystemExit(1)",
    "noisy": (
        "import sys, warnings\n\ndef square(x):\n    print('computing', x, file=sys.stderr)\n"
        "    warnings.warn('squares are old')\n    return np.square(x)"
    ),
    "noisy_wrong": (
        "import sys\n\ndef square(x):\n    print('computing', x, file=sys.stderr)\n    return 2 * x"
    ),
}


@dataclass(frozen=True)
class Graded:
    course: Course
    report: AutogradeReport
    points: dict[str, float]  # grade_id -> points of each autograder test, from the source


@contextlib.contextmanager
def light_warm_kernel(prefix: Path) -> Iterator[str]:
    """The course's warm kernel with a server preloading NumPy only, private to this module."""
    spec = kernel_json(preload=["numpy"], idle_seconds=1.0)
    install_kernelspec(prefix, LIGHT_KERNEL, spec)
    servers = Path(tempfile.mkdtemp(prefix="cw-"))  # short: a socket path is 107 chars at most
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        patch.setenv(client.RUNTIME_DIR_VARIABLE, str(servers))
        try:
            yield LIGHT_KERNEL
        finally:
            client.release_leases()
    shutil.rmtree(servers, ignore_errors=True)


def make_course(root: Path, kernel_name: str, extra_config: str = "") -> Course:
    """The powers course, released, with the repo's config, this kernel and a short timeout."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    config = (REPO_ROOT / "nbgrader_config.py").read_text()
    config += f"\nc.Execute.kernel_name = {kernel_name!r}\nc.Execute.timeout = {CELL_TIMEOUT_S}\n"
    (root / "nbgrader_config.py").write_text(config + extra_config)
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, ASSIGNMENT)
    return course


def hand_in(course: Course, students: dict[str, str | None]) -> None:
    """Each student's notebook: the reference (written answer given), their own square_answer."""
    source = read_notebook(course.source_dir(ASSIGNMENT) / f"{NOTEBOOK}.ipynb")
    release = read_notebook(course.release_dir(ASSIGNMENT) / f"{NOTEBOOK}.ipynb")
    filled = cohort.fill_release(release, cohort.solution_answers(source))
    reference = edit_cell(filled, "why_powers", "Each power multiplies once more.")
    for student_id, square in students.items():
        nb = reference if square is None else edit_cell(reference, "square_answer", square)
        cohort.write_submission(course, ASSIGNMENT, student_id, {NOTEBOOK: nb})


def grade(root: Path, kernel_name: str, students: dict[str, str | None], extra: str = "") -> Graded:
    course = make_course(root, kernel_name, extra)
    hand_in(course, students)
    source = read_notebook(course.source_dir(ASSIGNMENT) / f"{NOTEBOOK}.ipynb")
    return Graded(course, autograde_assignment(course, ASSIGNMENT), autograded_test_points(source))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graded]:
    """Every student of SQUARE_ANSWERS graded once with the course's config."""
    folder = tmp_path_factory.mktemp("crash")
    with light_warm_kernel(folder / "prefix") as kernel_name:
        memory = f"\nc.CourseKit.sandbox_memory_mb = {MEMORY_MB}\n"
        yield grade(folder / "course", kernel_name, SQUARE_ANSWERS, memory)


def outcome_of(graded: Graded, student_id: str) -> StudentOutcome:
    return next(o for o in graded.report.outcomes if o.student_id == student_id)


def cell_scores(result: StudentOutcome) -> dict[str, float]:
    (notebook,) = result.scores
    return {cell.grade_id: cell.score for cell in notebook.cells if cell.cell_type == "code"}


def autograded(graded: Graded, student_id: str) -> nbformat.NotebookNode:
    return read_notebook(graded.course.autograded_dir(ASSIGNMENT, student_id) / f"{NOTEBOOK}.ipynb")


def cell_position(nb: nbformat.NotebookNode, grade_id: str) -> int:
    """A cell's position from 1, as the crash reasons name it."""
    return nb.cells.index(cell_by_id(nb, grade_id)) + 1


def first_error(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(o for o in cell.outputs if o.output_type == "error")


@pytest.mark.slow
def test_reference_scores_every_test_and_is_not_flagged(graded: Graded) -> None:
    result = outcome_of(graded, "reference")
    assert result.status is Status.GRADED, result.reason
    assert cell_scores(result) == graded.points
    assert result.crashes == ()
    assert result.scores[0].needs_manual_grade  # the written answer, as for every student here


@pytest.mark.parametrize(
    ("student_id", "reason"),
    [
        ("exits", "the kernel died while this cell ran: it exited with code 3"),
        ("kills_itself", "the kernel died while this cell ran: killed by signal 9 (SIGKILL)"),
        (
            "runs_out_of_memory",
            "the kernel died while this cell ran: out of memory (killed by signal 9 (SIGKILL))",
        ),
        (
            "ignores_interrupt",
            f"the cell ran longer than {CELL_TIMEOUT_S} s and did not stop when interrupted, "
            "so its kernel was stopped",
        ),
    ],
)
@pytest.mark.slow
def test_dead_kernel_costs_the_cell_it_died_in_and_the_cells_after(
    graded: Graded, student_id: str, reason: str
) -> None:
    result = outcome_of(graded, student_id)
    nb = autograded(graded, student_id)

    assert result.status is Status.GRADED, result.reason
    # The test before the crash keeps its points; the one that crashed and the one after: 0.
    assert cell_scores(result) == graded.points | {"square_is_power": 0.0, "cube_is_power": 0.0}
    crashed_at = cell_position(nb, "square_is_power")
    assert result.crashes == (KernelCrash(NOTEBOOK, crashed_at, "square_is_power", reason),)
    assert first_error(cell_by_id(nb, "square_is_power")).evalue.startswith(reason)
    not_run = first_error(cell_by_id(nb, "cube_is_power"))
    assert not_run.ename == execution.NOT_RUN
    assert f"cell {crashed_at} (square_is_power)" in not_run.evalue
    # The written answer was not run either way: it still waits for a TA.
    (notebook,) = result.scores
    assert notebook.needs_manual_grade
    assert f"cell {crashed_at} (square_is_power): {reason}" in render_autograde(graded.report)


@pytest.mark.slow
def test_cold_kernels_say_the_same_of_how_they_died(tmp_path: Path) -> None:
    """A cold kernel (python3-cold: no fork server) ends the same; its provisioner says why."""
    students = {sid: SQUARE_ANSWERS[sid] for sid in ("exits", "runs_out_of_memory")}
    memory = f"\nc.CourseKit.sandbox_memory_mb = {MEMORY_MB}\n"
    graded = grade(tmp_path / "course", COLD_KERNEL_NAME, students, memory)

    died = "the kernel died while this cell ran"
    reasons = {o.student_id: [c.reason for c in o.crashes] for o in graded.report.outcomes}
    assert reasons == {
        "exits": [f"{died}: it exited with code 3"],
        "runs_out_of_memory": [f"{died}: out of memory (killed by signal 9 (SIGKILL))"],
    }
    for result in graded.report.outcomes:
        assert cell_scores(result) == graded.points | {"square_is_power": 0, "cube_is_power": 0}


@pytest.mark.slow
def test_a_notebook_past_its_time_limit_stops_there(tmp_path: Path) -> None:
    """Each cell within c.Execute.timeout, the whole notebook not: the cells after the limit
    are not run, the first grade cell among them says why, what passed before is kept."""
    slow = "import time\n\ndef square(x):\n    return x * x\n\ntime.sleep(4)"
    limit = "\nc.ContainedExecute.notebook_timeout = 2.5\n"
    with light_warm_kernel(tmp_path / "prefix") as kernel_name:
        graded = grade(tmp_path / "course", kernel_name, {"slow": slow}, limit)
    (result,) = graded.report.outcomes
    assert result.status is Status.GRADED, result.reason
    assert cell_scores(result) == graded.points | {"square_is_power": 0.0, "cube_is_power": 0.0}
    nb = autograded(graded, "slow")
    stopped = first_error(cell_by_id(nb, "square_is_power"))
    assert stopped.ename == execution.TIMED_OUT
    assert "ran longer than its limit of 2.5 s" in stopped.evalue
    assert cell_by_id(nb, "square_is_power").execution_count is None  # never sent to the kernel
    assert [crash.grade_id for crash in result.crashes] == ["square_is_power"]


@pytest.mark.slow
def test_interrupted_timeout_costs_only_its_cell(graded: Graded) -> None:
    result = outcome_of(graded, "loops")
    nb = autograded(graded, "loops")

    assert cell_scores(result) == graded.points | {"square_is_power": 0.0}
    reason = f"the cell ran longer than {CELL_TIMEOUT_S} s and was interrupted"
    position = cell_position(nb, "square_is_power")
    assert result.crashes == (KernelCrash(NOTEBOOK, position, "square_is_power", reason),)


@pytest.mark.slow
def test_system_exit_is_an_error_in_its_cell_only(graded: Graded) -> None:
    result = outcome_of(graded, "raises_system_exit")
    assert cell_scores(result) == graded.points | {"square_is_power": 0.0}
    assert result.crashes == ()
    assert first_error(cell_by_id(autograded(graded, "raises_system_exit"), "square_is_power"))


@pytest.mark.slow
def test_stderr_noise_in_a_passing_test_keeps_its_points_and_stays_visible(
    graded: Graded,
) -> None:
    result = outcome_of(graded, "noisy")
    assert cell_scores(result) == graded.points
    outputs = cell_by_id(autograded(graded, "noisy"), "square_is_power").outputs
    assert [o.name for o in outputs if o.output_type == "stream"] == ["stdout"]
    text = "".join(o.text for o in outputs)
    assert f"{execution.STDERR_MARK}computing 3" in text
    assert "squares are old" in text


@pytest.mark.slow
def test_stderr_beside_a_failed_assert_still_scores_zero(graded: Graded) -> None:
    result = outcome_of(graded, "noisy_wrong")
    assert cell_scores(result) == graded.points | {"square_is_power": 0.0}
    outputs = cell_by_id(autograded(graded, "noisy_wrong"), "square_is_power").outputs
    assert [o.name for o in outputs if o.output_type == "stream"] == ["stderr"]
    assert first_error(cell_by_id(autograded(graded, "noisy_wrong"), "square_is_power"))


@pytest.mark.slow
def test_stock_nbgrader_loses_the_whole_notebook_when_the_kernel_exits(
    tmp_path: Path,
) -> None:
    stock = f"\nc.Autograde.autograde_preprocessors = {STOCK_AUTOGRADE_STEPS!r}\n"
    with light_warm_kernel(tmp_path / "prefix") as kernel_name:
        graded = grade(tmp_path / "course", kernel_name, {"exits": SQUARE_ANSWERS["exits"]}, stock)
    result = outcome_of(graded, "exits")

    assert result.status is Status.FAILED
    assert "DeadKernelError" in result.reason
    # add_is_sum passed before the crash, and still scores nothing.
    assert graded.points["add_is_sum"] > 0
    assert cell_scores(result) == dict.fromkeys(graded.points, 0.0)


# Fast: the rules on plain cells, no kernel.


def executed_test_cell(*outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = check("some_test", "assert True", 1)
    cell.outputs = list(outputs)
    return cell


def stream(name: str, text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_stderr_of_a_test_cell_without_error_moves_to_marked_stdout() -> None:
    cell = executed_test_cell(stream("stdout", "ok\n"), stream("stderr", "W1\nW2\n"))
    assert nbgrader_utils.determine_grade(cell)[0] == 0  # what stock nbgrader gives it

    execution.keep_harmless_stderr(cell)

    assert [(o.name, o.text) for o in cell.outputs] == [
        ("stdout", "ok\n"),
        ("stdout", f"{execution.STDERR_MARK}W1\n{execution.STDERR_MARK}W2\n"),
    ]
    assert nbgrader_utils.determine_grade(cell) == (1, 1)


def test_stderr_of_a_test_cell_with_an_error_stays_and_scores_zero() -> None:
    error = execution.error_output("AssertionError", "wrong")
    cell = executed_test_cell(stream("stderr", "noise\n"), error)

    execution.keep_harmless_stderr(cell)

    assert [o.get("name") for o in cell.outputs] == ["stderr", None]
    assert nbgrader_utils.determine_grade(cell)[0] == 0


def test_exit_descriptions_name_the_code_or_the_signal_and_the_reason() -> None:
    assert execution.describe_exit(3) == "it exited with code 3"
    assert execution.describe_exit(-9) == "killed by signal 9 (SIGKILL)"
    assert (
        execution.describe_exit(-9, "out of memory")
        == "out of memory (killed by signal 9 (SIGKILL))"
    )
    assert execution.describe_exit(None) == "it died"


def test_crashes_are_read_back_from_the_error_outputs() -> None:
    died = execution.error_output(
        execution.KERNEL_DIED, "the kernel died while this cell ran: it exited with code 3. More."
    )
    nb = new_notebook(
        cells=[
            executed_test_cell(),
            executed_test_cell(died),
            executed_test_cell(execution.error_output(execution.NOT_RUN, "not run: ...")),
        ]
    )
    assert execution.read_crashes("nb", nb) == (
        KernelCrash(
            "nb", 2, "some_test", "the kernel died while this cell ran: it exited with code 3"
        ),
    )


def test_autograde_table_says_where_and_why_the_kernel_crashed() -> None:
    crash = KernelCrash(NOTEBOOK, 6, "square_is_power", "the kernel died while this cell ran: x")
    outcome = StudentOutcome(ASSIGNMENT, "ann", Status.GRADED, crashes=(crash,))

    table = render_autograde(AutogradeReport(ASSIGNMENT, (outcome,)))

    assert f"{NOTEBOOK} cell 6 (square_is_power): the kernel died while this cell ran: x" in table
