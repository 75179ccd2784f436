"""Nothing lost: grades written per notebook, TA grades kept, one run per course, cut-off and
full-disk gradings undone, and running autograde twice changes nothing."""

from __future__ import annotations

import contextlib
import copy
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, autograded_test_points, read_notebook
from helpers.notebooks import cell_by_id, edit_cell, reference_notebook
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades

from coursekit.authoring import cohort
from coursekit.core.course import Course, locate_course
from coursekit.core.errors import CourseError
from coursekit.grading import inflight, runlock
from coursekit.grading.autograde import autograde_assignment
from coursekit.grading.types import Status
from coursekit.nbgrader.api import quiet_nbgrader
from coursekit.nbgrader.submission_state import SubmissionState, restore_submission, save_submission
from coursekit.reporting.export import UNFINISHED, collect_grade_rows
from coursekit.reporting.report import build_report
from coursekit.reporting.types import FlagKind
from coursekit.steps.gradebook_writes import SaveAutoGradesPerNotebook, needs_manual_grade

WRITTEN = "why_commutative"  # the tiny notebook's manually graded answer
TEST = "add_is_sum"  # an autograder test
ANSWER = "add_answer"  # the solution cell TEST exercises
VENV_BIN = Path(sys.executable).parent


# ---- helpers -----------------------------------------------------------------------------


def dump_gradebook(db_url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table of a gradebook, as text, sorted: what 'nothing changed' means."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            return {
                name: sorted(tuple(map(str, row)) for row in connection.execute(table.select()))
                for name, table in sorted(metadata.tables.items())
            }
    finally:
        engine.dispose()


def executed(nb: NotebookNode, failing: tuple[str, ...] = ()) -> NotebookNode:
    """nb as if run: every test passes (no output) except those in failing (an error)."""
    nb = copy.deepcopy(nb)
    for grade_id in failing:
        cell_by_id(nb, grade_id).outputs = [
            nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
        ]
    return nb


def save_grades(
    course: Course,
    student_id: str,
    nb: NotebookNode,
    preprocessor: type[SaveAutoGrades] = SaveAutoGradesPerNotebook,
) -> None:
    """Write an executed notebook's grades as autograde's SaveAutoGrades step does."""
    resources = {
        "nbgrader": {
            "notebook": TINY_NOTEBOOK,
            "assignment": TINY_ASSIGNMENT,
            "student": student_id,
            "db_url": course.db_url,
        }
    }
    preprocessor().preprocess(copy.deepcopy(nb), resources)


def add_submission(course: Course, student_id: str) -> None:
    """A student and an ungraded submission of the tiny assignment, as autograde makes them."""
    with quiet_nbgrader(), Gradebook(course.db_url, course.layout.course_id) as gradebook:
        gradebook.update_or_create_student(student_id)
        gradebook.add_submission(TINY_ASSIGNMENT, student_id)


def written_answer_graded(
    course: Course, preprocessor: type[SaveAutoGrades] = SaveAutoGradesPerNotebook
) -> NotebookNode:
    """s1 hands in a written answer and is autograded; the notebook handed in."""
    add_submission(course, "s1")
    answered = edit_cell(reference_notebook(course), WRITTEN, "Counting ignores order.")
    save_grades(course, "s1", executed(answered), preprocessor)
    return answered


def ta_grades(course: Course, student_id: str, grade_id: str, score: float) -> None:
    """A TA's grade, set as the formgrader sets it (manual score; no longer needs grading)."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        grade = gradebook.find_grade(grade_id, TINY_NOTEBOOK, TINY_ASSIGNMENT, student_id)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gradebook.db.commit()


def grade_of(course: Course, student_id: str, grade_id: str) -> tuple[float | None, ...]:
    """(auto_score, manual_score, needs_manual_grade) of one grade cell."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        grade = gradebook.find_grade(grade_id, TINY_NOTEBOOK, TINY_ASSIGNMENT, student_id)
        return grade.auto_score, grade.manual_score, grade.needs_manual_grade


# ---- one transaction per notebook; TA grades not flagged again -----------------------------


@pytest.mark.parametrize(
    ("preprocessor", "first_cell_written"),
    [(SaveAutoGrades, True), (SaveAutoGradesPerNotebook, False)],
)
def test_a_notebook_whose_saving_fails_halfway_leaves_no_grade_of_it(
    released_tiny_course: Course, preprocessor: type[SaveAutoGrades], first_cell_written: bool
) -> None:
    """nbgrader commits cell by cell (the control case); ours writes all of a notebook or none."""
    course = released_tiny_course
    add_submission(course, "s1")
    nb = executed(reference_notebook(course))
    # The second grade cell names a grade the gradebook lacks: saving fails there.
    cell_by_id(nb, "square_is_power").metadata.nbgrader["grade_id"] = "no_such_grade"

    with pytest.raises(MissingEntry):
        save_grades(course, "s1", nb, preprocessor)

    auto_score = grade_of(course, "s1", TEST)[0]
    assert (auto_score is not None) is first_cell_written


def test_a_ta_grade_stays_unflagged_until_the_answer_changes(
    released_tiny_course: Course,
) -> None:
    course = released_tiny_course
    answered = written_answer_graded(course)
    assert grade_of(course, "s1", WRITTEN) == (None, None, True)  # a TA must grade it

    ta_grades(course, "s1", WRITTEN, 1.0)
    save_grades(course, "s1", executed(answered))
    assert grade_of(course, "s1", WRITTEN) == (None, 1.0, False), "unchanged: the TA grade stands"

    resubmitted = edit_cell(answered, WRITTEN, "Because sets have no order.")
    save_grades(course, "s1", executed(resubmitted))
    assert grade_of(course, "s1", WRITTEN) == (None, 1.0, True), "changed: the TA must look again"
    save_grades(course, "s1", executed(resubmitted))
    assert grade_of(course, "s1", WRITTEN)[2] is True, "still flagged until a TA grades it again"


def test_an_overridden_test_is_flagged_again_when_the_code_it_tests_changes(
    released_tiny_course: Course,
) -> None:
    course = released_tiny_course
    add_submission(course, "s1")
    ref = reference_notebook(course)
    save_grades(course, "s1", executed(ref, failing=(TEST,)))
    ta_grades(course, "s1", TEST, 1.0)  # partial credit over the autograder's 0

    save_grades(course, "s1", executed(ref, failing=(TEST,)))
    assert grade_of(course, "s1", TEST) == (0.0, 1.0, False)

    changed = edit_cell(ref, ANSWER, "def add(a, b):\n    return b + a")
    save_grades(course, "s1", executed(changed, failing=(TEST,)))
    assert grade_of(course, "s1", TEST) == (0.0, 1.0, True)


def test_a_ta_grade_without_a_fingerprint_is_flagged_as_nbgrader_does(
    released_tiny_course: Course,
) -> None:
    """Graded by stock nbgrader first: nothing proves the answer unchanged, so flag it."""
    course = released_tiny_course
    answered = written_answer_graded(course, SaveAutoGrades)
    ta_grades(course, "s1", WRITTEN, 1.0)

    save_grades(course, "s1", executed(answered))

    assert grade_of(course, "s1", WRITTEN) == (None, 1.0, True)


@pytest.mark.parametrize(
    ("auto", "manual", "flagged", "same", "expected"),
    [
        (None, None, True, True, True),  # a written answer nobody graded
        (2.0, None, False, False, False),  # an autograded test
        (None, 1.0, False, True, False),  # a TA's grade, answer unchanged
        (None, 1.0, True, True, True),  # flagged before, unchanged since: still flagged
        (None, 1.0, False, False, True),  # a TA's grade, answer changed
    ],
)
def test_needs_manual_grade_rule(auto, manual, flagged, same, expected) -> None:
    stored = "fp" if same else "old"
    assert needs_manual_grade(auto, manual, flagged, "fp", stored) is expected


# ---- a submission saved and put back -------------------------------------------------------


def test_a_saved_submission_is_put_back_exactly(released_tiny_course: Course) -> None:
    course = released_tiny_course
    add_submission(course, "s1")
    answered = edit_cell(reference_notebook(course), WRITTEN, "Counting ignores order.")
    save_grades(course, "s1", executed(answered))
    ta_grades(course, "s1", WRITTEN, 1.0)
    before = dump_gradebook(course.db_url)
    state = save_submission(course.db_url, course.layout.course_id, TINY_ASSIGNMENT, "s1")

    save_grades(course, "s1", executed(edit_cell(answered, WRITTEN, "No idea."), failing=(TEST,)))
    assert dump_gradebook(course.db_url) != before
    restore_submission(course.db_url, course.layout.course_id, state)

    assert dump_gradebook(course.db_url) == before


def test_a_submission_that_did_not_exist_is_put_back_as_absent(
    released_tiny_course: Course,
) -> None:
    course = released_tiny_course
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        gradebook.update_or_create_student("s1")
    state = save_submission(course.db_url, course.layout.course_id, TINY_ASSIGNMENT, "s1")
    before = dump_gradebook(course.db_url)
    assert not state.exists

    with quiet_nbgrader(), Gradebook(course.db_url, course.layout.course_id) as gradebook:
        gradebook.add_submission(TINY_ASSIGNMENT, "s1")
    save_grades(course, "s1", executed(reference_notebook(course)))
    restore_submission(course.db_url, course.layout.course_id, state)

    assert dump_gradebook(course.db_url) == before


# ---- one run per course ----------------------------------------------------------------------


def hold_lock_in_child(course_root: Path) -> subprocess.Popen[str]:
    """Another process holding the course's autograde lock until its stdin closes."""
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from coursekit.grading.runlock import hold_run_lock
        with hold_run_lock(Path({str(course_root)!r}), "course autograde ps1"):
            print("held", flush=True)
            sys.stdin.read()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    return child


def test_a_second_run_is_refused_naming_the_first(tmp_path: Path) -> None:
    child = hold_lock_in_child(tmp_path)
    try:
        with (
            pytest.raises(CourseError) as refused,
            runlock.hold_run_lock(tmp_path, "course autograde ps1"),
        ):
            pytest.fail("two runs held the lock at once")
        message = str(refused.value)
        assert f"pid {child.pid} on host {socket.gethostname()}, started " in message
        assert "course autograde ps1" in message
    finally:
        child.communicate("", timeout=60)
    with runlock.hold_run_lock(tmp_path, "again") as mine:  # released when the holder ended
        assert mine.pid == os.getpid()


def test_a_stale_lock_of_a_killed_run_is_taken_over_and_said_so(tmp_path: Path) -> None:
    child = hold_lock_in_child(tmp_path)
    child.kill()
    child.communicate(timeout=60)
    notices: list[str] = []

    with runlock.hold_run_lock(tmp_path, "course autograde ps1", notices.append):
        holder = runlock.read_holder(runlock.lock_path(tmp_path).read_text())
        assert holder is not None and holder.pid == os.getpid()

    assert len(notices) == 1 and f"pid {child.pid}" in notices[0] and "gone" in notices[0]
    assert runlock.lock_path(tmp_path).read_text() == "", "released: emptied, not deleted"


def test_course_autograde_refuses_while_another_run_holds_the_course(
    released_tiny_course: Course,
) -> None:
    child = hold_lock_in_child(released_tiny_course.root)
    try:
        second = subprocess.run(
            [VENV_BIN / "course", "--course-dir", str(released_tiny_course.root)]
            + ["autograde", TINY_ASSIGNMENT],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"},
            timeout=300,
        )
    finally:
        child.communicate("", timeout=60)
    assert second.returncode == 1
    assert f"pid {child.pid} on host {socket.gethostname()}" in second.stderr
    assert not released_tiny_course.autograded_dir(TINY_ASSIGNMENT, ".").exists()


# ---- the journal's parts ---------------------------------------------------------------------


def test_the_previous_autograded_folder_is_kept_by_hard_links_and_put_back(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "autograded" / "s1" / "ps1"
    folder.mkdir(parents=True)
    (folder / "arith.ipynb").write_text("previous")
    backup = inflight.keep_previous(folder)
    assert backup is not None
    assert (backup / "arith.ipynb").stat().st_ino == (folder / "arith.ipynb").stat().st_ino

    (folder / "arith.ipynb").unlink()  # what nbgrader does before grading again
    (folder / "half.ipynb").write_text("partial")
    inflight.put_back(folder, str(backup))

    assert sorted(p.name for p in folder.iterdir()) == ["arith.ipynb"]
    assert (folder / "arith.ipynb").read_text() == "previous"
    assert not backup.exists()


def test_a_full_disk_is_recognised_in_nbgrader_s_log() -> None:
    from coursekit.core.errors import NbgraderError

    logged = NbgraderError("nbgrader failed", "OSError: [Errno 28] No space left on device")
    assert inflight.is_disk_full(logged)
    assert not inflight.is_disk_full(NbgraderError("nbgrader failed", "AssertionError: x"))


# ---- real runs (kernels) ---------------------------------------------------------------------

# b2's answer waits (up to 2 minutes) for a file go.txt beside its notebook: a run can be
# killed while it grades b2, however loaded the machine. nbgrader copies every file of the
# submission into the folder the notebook runs in.
GO_FILE = "go.txt"
WAITING_ADD = (
    "import os, time\n"
    f"for _ in range(1200):\n    if os.path.exists({GO_FILE!r}):\n        break\n"
    "    time.sleep(0.1)\n\n"
    "def add(a, b):\n    return a + b"
)
WRONG_ADD = "def add(a, b):\n    return a - b"
WHEN = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)


def hand_in(course: Course, student_id: str, nb: NotebookNode, minutes: int = 0) -> None:
    """A collected submission of the tiny notebook, at a fixed time (courses compare equal)."""
    when = WHEN + datetime.timedelta(minutes=minutes)
    cohort.write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: nb}, when)


def course_command(course: Course, *argv: str) -> list[str]:
    """The venv's `course` command on this course."""
    return [str(VENV_BIN / "course"), "--course-dir", str(course.root), *argv]


def course_env() -> dict[str, str]:
    """The environment of a `course` subprocess: the venv leads PATH (nbgrader runs alembic)."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}


def states(course: Course) -> dict[str, SubmissionState]:
    """Every student's submission state (by names, not row ids): two courses compare equal."""
    with Gradebook(course.db_url, course.layout.course_id) as gradebook:
        student_ids = sorted(student.id for student in gradebook.students)
    return {
        student_id: save_submission(
            course.db_url, course.layout.course_id, TINY_ASSIGNMENT, student_id
        )
        for student_id in student_ids
    }


def leftovers(course: Course) -> list[str]:
    """Journal entries and copies of previous autograded folders that a run left behind."""
    found = [str(p) for p in (course.root / "gradebook" / inflight.JOURNAL_DIRNAME).rglob("*.json")]
    found += [str(p) for p in course.root.glob(f"autograded/*/{inflight.BACKUP_PREFIX}*")]
    return found


def wait_for(condition: Callable[[], bool], ended: Callable[[], bool], what: str) -> None:
    """Poll until condition holds; fail if the run ends first."""
    deadline = time.monotonic() + 300
    while not condition():
        if ended():
            pytest.fail(f"the run ended before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"waited 300 s for {what}")
        time.sleep(0.05)


def autograde_to_end(course: Course, *argv: str) -> subprocess.CompletedProcess[str]:
    """`course autograde` on the tiny assignment, run to its end."""
    return subprocess.run(
        course_command(course, "autograde", TINY_ASSIGNMENT, *argv),
        env=course_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def start_run(course: Course, *argv: str) -> subprocess.Popen[str]:
    """`course autograde` in the background, in a process group of its own (to clean up)."""
    return subprocess.Popen(
        course_command(course, "autograde", TINY_ASSIGNMENT, *argv),
        env=course_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def end_group(process: subprocess.Popen[str]) -> None:
    """Kill what is left of a killed run's process group (its kernels) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def let_b2_go(course: Course) -> None:
    """Let b2's answer cell finish (see WAITING_ADD)."""
    (course.submitted_dir(TINY_ASSIGNMENT, "b2") / GO_FILE).write_text("go")


@pytest.fixture
def twin_courses(released_template: Path, tmp_path: Path) -> tuple[Course, Course]:
    """Two copies of the released tiny course with the same final submissions: a1 correct,
    b2 correct once let go, c3 wrong; the first is graded once, without interruption."""
    courses = []
    for name in ("uninterrupted", "interrupted"):
        course = locate_course(shutil.copytree(released_template, tmp_path / name))
        ref = reference_notebook(course)
        hand_in(course, "a1", ref)
        hand_in(course, "b2", edit_cell(ref, ANSWER, WAITING_ADD), minutes=5)
        hand_in(course, "c3", edit_cell(ref, ANSWER, WRONG_ADD))
        courses.append(course)
    let_b2_go(courses[0])
    report = autograde_assignment(courses[0], TINY_ASSIGNMENT)
    assert report.all_graded, report
    return courses[0], courses[1]


@pytest.mark.slow
def test_a_run_killed_mid_student_is_resumed_by_the_next_one(
    twin_courses: tuple[Course, Course], tmp_path: Path
) -> None:
    uninterrupted, course = twin_courses
    # b2 was graded before, on an earlier (wrong) submission: that old grade must not look
    # final while the regrading of the new one is cut off.
    b2_new = course.submitted_dir(TINY_ASSIGNMENT, "b2") / f"{TINY_NOTEBOOK}.ipynb"
    b2_new_nb = nbformat.read(b2_new, as_version=4)
    hand_in(course, "b2", edit_cell(reference_notebook(course), ANSWER, WRONG_ADD))
    assert autograde_assignment(course, TINY_ASSIGNMENT, ["b2"]).all_graded
    hand_in(course, "b2", b2_new_nb, minutes=5)

    run = start_run(course, "--workers", "1")
    try:
        wait_for(
            lambda: inflight.is_unfinished(course, TINY_ASSIGNMENT, "b2"),
            lambda: run.poll() is not None,
            "b2 began",
        )
        second = autograde_to_end(course)
        run.send_signal(signal.SIGKILL)
    finally:
        end_group(run)

    assert second.returncode == 1, second
    assert f"pid {run.pid} on host {socket.gethostname()}, started " in second.stderr
    rows = {row.student_id: row for row in collect_grade_rows(course, [TINY_ASSIGNMENT])}
    assert rows["b2"].status == UNFINISHED, "a cut-off grading is not final"
    assert rows["a1"].status != UNFINISHED
    flagged = [f for f in build_report(course, TINY_ASSIGNMENT).flags if f.student_id == "b2"]
    assert [f.kind for f in flagged if "grading unfinished" in f.detail] == [FlagKind.FAILED]
    let_b2_go(course)

    # Not forced, as stock `nbgrader autograde` runs: it skips what looks autograded already,
    # and nbgrader had copied b2's new timestamp.txt into its autograded folder before the kill.
    notices: list[str] = []
    rerun = autograde_assignment(course, TINY_ASSIGNMENT, force=False, notice=notices.append)

    assert rerun.all_graded, rerun
    assert notices[0].startswith(f"Taking over the autograde lock {runlock.lock_path(course.root)}")
    assert f"pid {run.pid}" in notices[0] and notices[1].startswith("Grading again b2")
    assert states(course) == states(uninterrupted)
    assert leftovers(course) == []


@pytest.mark.slow
def test_a_grading_worker_killed_mid_student_is_graded_again_with_nothing_lost(
    twin_courses: tuple[Course, Course],
) -> None:
    """The pool retries the killed worker's students: the retry first undoes the cut-off one.

    --no-force, as stock nbgrader runs: without the undo nbgrader would skip b2, whose
    autograded folder the killed worker had begun (timestamp.txt copied in).
    """
    uninterrupted, course = twin_courses
    run = start_run(course, "--workers", "2", "--no-force")
    try:
        wait_for(
            lambda: inflight.is_unfinished(course, TINY_ASSIGNMENT, "b2"),
            lambda: run.poll() is not None,
            "b2 began",
        )
        entry = inflight.unfinished(course, TINY_ASSIGNMENT)["b2"]
        assert entry.grader_pid != run.pid, "b2 is graded in a worker process"
        os.kill(entry.grader_pid, signal.SIGKILL)
        let_b2_go(course)
        out, err = run.communicate(timeout=600)
    finally:
        end_group(run)

    assert run.returncode == 0, (out, err)
    assert states(course) == states(uninterrupted)
    assert leftovers(course) == []


@pytest.mark.slow
def test_autograding_twice_changes_nothing_and_keeps_ta_grades(
    released_tiny_course: Course,
) -> None:
    course = released_tiny_course
    ref = reference_notebook(course)
    hand_in(course, "a1", ref)
    hand_in(course, "c3", edit_cell(ref, ANSWER, WRONG_ADD))
    hand_in(course, "d4", edit_cell(ref, WRITTEN, "Counting ignores order."))
    assert autograde_assignment(course, TINY_ASSIGNMENT).all_graded
    points = autograded_test_points(
        read_notebook(course.source_dir(TINY_ASSIGNMENT) / "arith.ipynb")
    )
    assert (
        grade_of(course, "c3", TEST)[0] == 0.0 and grade_of(course, "a1", TEST)[0] == points[TEST]
    )
    ta_grades(course, "d4", WRITTEN, 1.0)
    ta_grades(course, "c3", TEST, 1.0)
    before = dump_gradebook(course.db_url)

    assert autograde_assignment(course, TINY_ASSIGNMENT).all_graded

    assert dump_gradebook(course.db_url) == before
    assert grade_of(course, "d4", WRITTEN) == (None, 1.0, False)
    assert grade_of(course, "c3", TEST) == (0.0, 1.0, False)

    hand_in(course, "d4", edit_cell(ref, WRITTEN, "Because sets have no order."), minutes=9)
    assert autograde_assignment(course, TINY_ASSIGNMENT, ["d4"]).all_graded
    assert grade_of(course, "d4", WRITTEN) == (None, 1.0, True), "a resubmitted answer: look again"


@pytest.fixture
def small_autograded_disk(released_tiny_course: Course) -> Iterator[Path]:
    """The course's autograded/ folder on a tmpfs of 1 MiB (root only), unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder = released_tiny_course.root / "autograded"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]
    subprocess.run(mount, check=True, timeout=60)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True, timeout=60)


@pytest.mark.slow
def test_a_full_disk_names_the_student_and_keeps_the_previous_grade(
    released_tiny_course: Course, small_autograded_disk: Path
) -> None:
    course = released_tiny_course
    ref = reference_notebook(course)
    for student_id in ("a1", "b2"):
        hand_in(course, student_id, ref)
    assert autograde_assignment(course, TINY_ASSIGNMENT).all_graded
    b2_before = states(course)["b2"]
    b2_notebook = course.autograded_dir(TINY_ASSIGNMENT, "b2") / f"{TINY_NOTEBOOK}.ipynb"
    b2_graded = b2_notebook.read_bytes()
    # Fill the disk but for 96 kB: room for a small notebook, not for b2's new one (400 kB).
    ballast = small_autograded_disk / "ballast"
    free = os.statvfs(small_autograded_disk).f_bavail * os.statvfs(small_autograded_disk).f_frsize
    ballast.write_bytes(b"\0" * (free - 96 * 1024))
    huge = copy.deepcopy(ref)
    huge.cells.append(nbformat.v4.new_markdown_cell("Notes. " * 60_000))
    hand_in(course, "a1", edit_cell(ref, ANSWER, WRONG_ADD), minutes=1)
    hand_in(course, "b2", huge, minutes=1)
    hand_in(course, "c3", ref, minutes=1)

    report = autograde_assignment(course, TINY_ASSIGNMENT)

    outcomes = {outcome.student_id: outcome for outcome in report.outcomes}
    assert outcomes["b2"].status is Status.FAILED
    assert "No space left on the filesystem mounted at " + str(small_autograded_disk) in (
        outcomes["b2"].reason
    )
    assert "'b2'" in outcomes["b2"].reason
    assert states(course)["b2"] == b2_before, "b2's previous grade, intact"
    assert b2_notebook.read_bytes() == b2_graded, "b2's previous autograded notebook, intact"
    assert outcomes["a1"].status is Status.GRADED and grade_of(course, "a1", TEST)[0] == 0.0
    assert outcomes["c3"].status is Status.GRADED, "graded after the full disk, space allowing"
    assert leftovers(course) == []


def test_the_course_config_saves_grades_per_notebook() -> None:
    """Stock nbgrader and `course` both autograde with the per-notebook step, not nbgrader's."""
    steps = locate_course(Path(__file__).resolve().parents[1]).config.Autograde[
        "autograde_preprocessors"
    ]
    names = [
        step if isinstance(step, str) else f"{step.__module__}.{step.__name__}" for step in steps
    ]
    assert "coursekit.steps.gradebook_writes.SaveAutoGradesPerNotebook" in names
    assert not [name for name in names if name.endswith(".SaveAutoGrades")]
