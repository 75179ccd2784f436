"""The canary: before any student is graded, a known-good notebook runs through the course's own
kernel path; the batch stops, with what failed and how to fix it, if the kernel cannot start or
is not confined as the configuration says.

The unit tests judge made-up reports; the slow ones run real kernels (the light warm kernelspec
of test_warm_kernels, which preloads NumPy only, and stock python3).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import nbformat
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, tiny_source_notebook
from helpers.warm_kernels import with_config, with_kernel
from nbformat.v4 import new_output

from coursekit.authoring.cohort import fill_release, solution_answers, write_submission
from coursekit.core.course import Course
from coursekit.core.errors import CourseError
from coursekit.grading.autograde import autograde_assignment
from coursekit.isolation import canary
from coursekit.nbgrader import api as nbgrader_api

ISOLATION_CHECKS = {
    "cannot read gradebook",
    "cannot read source notebooks",
    "cannot read course config",
    "cannot read another student's submission",
    "cannot write outside its folder",
    "cannot open a network connection",
    "no process outlives its notebook",
}


def submit_reference(course: Course, student_id: str = "alice") -> None:
    """A correct submission of the tiny notebook for student_id."""
    release = nbformat.read(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb", 4)
    submission = fill_release(release, solution_answers(tiny_source_notebook()))
    write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: submission})


def targets_in(tmp_path: Path) -> canary.Targets:
    """Targets over a made-up secret file and folder, and a workdir, all in tmp_path."""
    secret_file = tmp_path / "gradebook.db"
    secret_file.write_bytes(b"SQLite format 3\0 grades")
    secret_folder = tmp_path / "source"
    secret_folder.mkdir()
    (secret_folder / "hidden_tests.ipynb").write_text("{}")
    workdir = tmp_path / "autograded" / "x" / "ps1"
    return canary.Targets(
        read={"gradebook": secret_file, "source notebooks": secret_folder},
        write={"course folder": tmp_path / ".canary-1"},
        connect=(("127.0.0.1", 9),),
        workdir=workdir,
    )


def report(**overrides: object) -> dict[str, object]:
    """A probe report of a well-confined kernel, with overrides."""
    seen: dict[str, object] = {
        "read": {
            "gradebook": {"error": "FileNotFoundError: No such file or directory"},
            "source notebooks": {"names": []},
        },
        "write": {"course folder": "OSError: Read-only file system"},
        "connect": {"127.0.0.1:9": "OSError: [Errno 101] Network is unreachable"},
        "own_folder": True,
        "left_running": 2**22 + 1,  # above pid_max's default: no such process
    }
    seen.update(overrides)
    return seen


class Policy:
    """The one field of a SandboxPolicy the judging reads."""

    network = False


def planted_files(course: Course) -> set[Path]:
    """Files the canary's probe writes outside its folder, wherever they are now."""
    folders = (course.root, Path.home(), Path("/tmp"))  # noqa: S108 (the real one)
    return {path for folder in folders for path in folder.glob(".canary-*")}


def failed_names(checks: list[canary.CanaryCheck]) -> set[str]:
    """The names of the failed checks."""
    return {check.name for check in checks if not check.passed}


def test_a_confined_report_passes_every_check(tmp_path: Path) -> None:
    checks = canary.isolation_checks(targets_in(tmp_path), report(), True, Policy())
    assert checks and not failed_names(checks)


def test_a_secret_read_to_the_byte_or_listed_fails_its_check(tmp_path: Path) -> None:
    targets = targets_in(tmp_path)
    content = targets.read["gradebook"].read_bytes()
    seen = report(
        read={
            "gradebook": {"sha256": hashlib.sha256(content).hexdigest()},
            "source notebooks": {"names": ["hidden_tests.ipynb"]},
        }
    )
    checks = canary.isolation_checks(targets, seen, True, Policy())
    assert failed_names(checks) == {"cannot read gradebook", "cannot read source notebooks"}


def test_an_empty_view_of_a_secret_is_not_a_leak(tmp_path: Path) -> None:
    targets = targets_in(tmp_path)
    seen = report(
        read={
            "gradebook": {"sha256": hashlib.sha256(b"").hexdigest()},  # /dev/null in its place
            "source notebooks": {"names": ["something_else"]},
        }
    )
    assert not failed_names(canary.isolation_checks(targets, seen, True, Policy()))


def test_a_write_that_reached_the_real_folder_fails_and_is_removed(tmp_path: Path) -> None:
    targets = targets_in(tmp_path)
    written = targets.write["course folder"]
    written.write_text("canary")
    checks = canary.isolation_checks(targets, report(), True, Policy())
    assert failed_names(checks) == {"cannot write outside its folder"}
    assert not written.exists()


def test_a_connection_or_an_unwritable_own_folder_fails(tmp_path: Path) -> None:
    seen = report(connect={"127.0.0.1:9": "connected"}, own_folder="OSError: No space left")
    checks = canary.isolation_checks(targets_in(tmp_path), seen, True, Policy())
    assert failed_names(checks) == {"cannot open a network connection", "can write its own folder"}


def test_a_wrong_grade_fails_the_grading_check() -> None:
    targets = canary.Targets({}, {}, (), Path("/nonexistent"))
    nb = canary.canary_notebook(targets)
    nb.cells[1].outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
    check = canary.grading_check(nb)
    assert not check.passed and "0 of 1 points" in check.detail and check.fix


def test_the_failure_message_names_each_failed_check_its_fix_and_the_opt_out(
    tiny_course: Course,
) -> None:
    result = canary.CanaryResult(
        "ps1",
        "python3",
        True,
        (
            canary.CanaryCheck("kernel starts", True, "started"),
            canary.CanaryCheck("cannot read gradebook", False, "/g.db: read", fix="hide it"),
        ),
    )
    message = canary.failure_message(tiny_course, result)
    assert "cannot read gradebook: /g.db: read" in message and "fix: hide it" in message
    assert "kernel starts" not in message
    assert "c.CourseKit.sandbox_enabled = False" in message
    assert str(tiny_course.config_file) in message


# Real kernels.


@pytest.mark.slow
def test_an_unconfined_kernel_stops_the_batch_before_any_student_is_graded(
    released_tiny_course: Course,
) -> None:
    # Stock python3 runs student code with the grader's own permissions.
    course = with_kernel(released_tiny_course, "python3")
    submit_reference(course)
    with pytest.raises(CourseError) as stopped:
        autograde_assignment(course, TINY_ASSIGNMENT)
    failed = {
        line[2:].split(":")[0] for line in str(stopped.value).splitlines() if line[:2] == "- "
    }
    assert failed >= ISOLATION_CHECKS, str(stopped.value)
    assert "'python3' starts without the sandbox" in str(stopped.value)
    assert "c.Execute.kernel_name = 'python3-warm'" in str(stopped.value)
    assert nbgrader_api.read_scores(course, TINY_ASSIGNMENT, "alice") == ()
    canary_folder = course.autograded_dir(TINY_ASSIGNMENT, canary.CANARY_STUDENT)
    assert not canary_folder.parent.exists(), "the canary's folder was left behind"


def test_a_kernel_that_cannot_start_stops_the_batch(released_tiny_course: Course) -> None:
    course = with_kernel(released_tiny_course, "no-such-kernel")
    submit_reference(course)
    with pytest.raises(CourseError, match="kernel starts: NoSuchKernel"):
        autograde_assignment(course, TINY_ASSIGNMENT)
    assert nbgrader_api.read_scores(course, TINY_ASSIGNMENT, "alice") == ()


@pytest.mark.slow
def test_the_sandboxed_kernel_passes_the_canary(
    released_tiny_course: Course,
    light_kernel: str,
) -> None:
    course = with_kernel(released_tiny_course, light_kernel)
    submit_reference(course)
    result = canary.run_canary(course, TINY_ASSIGNMENT)
    assert not result.failed, canary.failure_message(course, result)
    assert {check.name for check in result.checks} >= ISOLATION_CHECKS


@pytest.mark.slow
def test_opting_out_is_logged_and_still_proves_the_kernel_grades(
    released_tiny_course: Course,
    light_kernel: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    course = with_config(
        with_kernel(released_tiny_course, light_kernel), "c.CourseKit.sandbox_enabled = False"
    )
    before = planted_files(course)
    with caplog.at_level(logging.WARNING):
        result = canary.run_canary(course, TINY_ASSIGNMENT)
    assert not result.failed and not result.sandbox_enabled
    assert planted_files(course) == before, "the unconfined canary left its writes behind"
    names = {check.name for check in result.checks}
    assert "correct answer gets full marks" in names and not ISOLATION_CHECKS & names
    assert "c.CourseKit.sandbox_enabled = False" in caplog.text


def test_a_sandbox_that_cannot_be_set_up_stops_the_batch_naming_the_mechanism(
    kernels: None,
    released_tiny_course: Course,
    light_kernel: str,
) -> None:
    course = with_config(
        with_kernel(released_tiny_course, light_kernel),
        "c.CourseKit.sandbox_cgroup_root = '/nonexistent/cgroup'",
    )
    submit_reference(course)
    with pytest.raises(CourseError, match="kernel starts: .*cgroup_memory") as stopped:
        autograde_assignment(course, TINY_ASSIGNMENT)
    assert "c.CourseKit.sandbox_enabled = False" in str(stopped.value)
    assert nbgrader_api.read_scores(course, TINY_ASSIGNMENT, "alice") == ()
