"""Autograde every submission of an assignment, each student a job, never all-or-nothing."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from nbformat import NotebookNode

from coursekit.core.course import Course, locate_course
from coursekit.core.environment import put_venv_first_on_path
from coursekit.core.errors import NbgraderError
from coursekit.core.kernel_start import (
    DIED_AT_START,
    SILENT_AT_START,
    START_ATTEMPTS,
    STARTUP_TIMEOUT_DEFAULT_S,
)
from coursekit.grading import inflight, job_order, runlock
from coursekit.grading.flags import with_suspicions
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.grading.workers import (
    ExecutorSpec,
    WorkerLost,
    job_timeout_of,
    make_executor,
    resolve_spec,
)
from coursekit.intake.submissions import inspect_submission, read_release
from coursekit.intake.types import Severity, SubmissionProblem
from coursekit.isolation.canary import require_canary
from coursekit.isolation.warm import COLD_KERNEL_NAME, KERNEL_NAME
from coursekit.isolation.warm.provisioner import take_fallbacks
from coursekit.nbgrader import answer_fingerprints
from coursekit.nbgrader import api as nbgrader_api
from coursekit.steps.duplicated_cells import resolving_duplicated_cells
from coursekit.steps.execution import read_student_crashes

# Told after each student: (students done, students in all, that student's outcome).
Progress = Callable[[int, int, StudentOutcome], None]

# One autograde at a time per process: nbgrader's apps share global state (see
# workers/local.py), so a Dask worker run with several threads must not grade two at once.
GRADING_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class GradingJob:
    """One student to autograde: plain data a worker process or machine can unpickle."""

    config_file: str  # the course's nbgrader_config.py: a worker loads the course from it
    assignment_id: str
    student_id: str
    force: bool
    db_url: str  # the gradebook as workers reach it (nbgrader_api.concurrent_db_url)


@runlock.one_run_per_course
def autograde_assignment(
    course: Course,
    assignment_id: str,
    student_ids: Iterable[str] | None = None,
    force: bool = True,
    progress: Progress | None = None,
    executor: ExecutorSpec | None = None,
    notice: runlock.Notice | None = None,
) -> AutogradeReport:
    """Inspect and autograde each student's submission; report per student.

    executor None grades one student after another in this process; an ExecutorSpec runs the
    same per-student jobs concurrently (workers.resolve_spec fills its gaps from the config).
    The grades are the same either way: each job is the sequential code for one student.
    One run per course at a time: another run is a CourseError naming it (notice, by keyword,
    is told of a stale lock taken over and of students a killed run left half-graded).
    """
    read_release(course, assignment_id)  # not released: one clear error before any job runs
    # A kernel that cannot start scores every student zero, and one that is not confined hands
    # them the hidden tests and the gradebook: prove the kernel on a canary notebook first.
    require_canary(course, assignment_id)
    chosen = chosen_students(course, assignment_id, student_ids)
    # Students a killed run left half-graded: put back as they were, then graded again.
    chosen = sorted(set(chosen) | set(inflight.recover_cut_off(course, assignment_id, notice)))
    # Gradebook safety under concurrency, measured in tests/test_parallel_autograde.py (8
    # workers, many students at once, every row counted): each worker runs nbgrader's own
    # autograde against the one gradebook, whose writes are short transactions on rows of
    # their own student (student, submission, grades, comments). What could race is made here
    # once, before any worker starts (tables and course rows), and SQLite gets a long busy
    # timeout, so a writer waits its turn instead of failing with "database is locked".
    nbgrader_api.prepare_gradebook(course)
    db_url = nbgrader_api.concurrent_db_url(course.db_url)
    answer_fingerprints.prepare_fingerprints(db_url)
    # Longest first (job_order.py): a pool must not end its run on one long student.
    jobs = [
        GradingJob(str(course.config_file), assignment_id, student_id, force, db_url)
        for student_id in job_order.grading_order(course, assignment_id, chosen)
    ]
    spec = ExecutorSpec(name="inline") if executor is None else executor
    outcomes: dict[str, StudentOutcome] = {}
    # Every wait on a worker is bounded: a job that outruns grading_job_timeout is stopped.
    resolved = dataclasses.replace(
        resolve_spec(spec, course.config), job_timeout=job_timeout_of(course.config)
    )
    with make_executor(resolved) as running:
        for done, (job, result) in enumerate(running.map_unordered(grade_job, jobs), start=1):
            if not isinstance(result, StudentOutcome):
                result = crashed_outcome(course, job, result)
            outcomes[job.student_id] = result
            if progress is not None:
                progress(done, len(jobs), result)
    job_order.record_seconds(
        course, assignment_id, {sid: outcome.seconds for sid, outcome in outcomes.items()}
    )
    return AutogradeReport(
        assignment_id=assignment_id, outcomes=tuple(outcomes[sid] for sid in chosen)
    )


def chosen_students(
    course: Course, assignment_id: str, student_ids: Iterable[str] | None
) -> list[str]:
    """The students named, sorted and once each; every student who handed in when None."""
    if student_ids is None:
        return course.submitted_student_ids(assignment_id)
    return sorted(set(student_ids))


def grade_job(job: GradingJob) -> StudentOutcome:
    """Run one job where a worker runs it: load the course, then inspect and grade the student."""
    # In a worker started by anyone (a `dask worker` under SLURM, say), too.
    put_venv_first_on_path()
    # Loading nbgrader_config.py here, not shipping the parent's config, also sets what the
    # file puts in os.environ for the grading kernels (seeds, TensorFlow flags) on any worker.
    course = with_db_url(locate_course(Path(job.config_file).parent), job.db_url)
    with GRADING_LOCK:
        started = time.monotonic()
        release = read_release(course, job.assignment_id)
        outcome = autograde_student(course, job.assignment_id, job.student_id, release, job.force)
        # What a TA should look at: suspicious code (a static scan of the submission) and test
        # verdicts the verdict checks could not confirm (docs/verdicts.md).
        outcome = with_suspicions(course, outcome, release)
        return dataclasses.replace(outcome, seconds=time.monotonic() - started)


def with_db_url(course: Course, db_url: str) -> Course:
    """The same course with another gradebook URL, for nbgrader's API and coursekit alike."""
    if db_url == course.db_url:
        return course
    config = copy.deepcopy(course.config)
    config.CourseDirectory.db_url = db_url
    layout = dataclasses.replace(course.layout, db_url=db_url)
    return dataclasses.replace(course, config=config, layout=layout)


def crashed_outcome(course: Course, job: GradingJob, error: BaseException) -> StudentOutcome:
    """A student whose job raised or whose worker died: failed, with what the gradebook holds."""
    tail = "".join(traceback.format_exception(error)).strip()
    # A lost worker says itself what happened (died twice, killed by signal 9; outran its bound).
    reason = str(error) if isinstance(error, WorkerLost) else f"{type(error).__name__}: {error}"
    return StudentOutcome(
        job.assignment_id,
        job.student_id,
        Status.FAILED,
        reason=f"the grading job failed: {reason}",
        scores=nbgrader_api.read_scores(course, job.assignment_id, job.student_id),
        log_tail="\n".join(tail.splitlines()[-nbgrader_api.LOG_TAIL_LINES :]),
    )


def rejected_outcome(
    course: Course,
    assignment_id: str,
    student_id: str,
    problems: tuple[SubmissionProblem, ...],
) -> StudentOutcome | None:
    """The outcome of a submission inspection found unfit (its fatal problems as the reason, the
    scores the gradebook still holds), or None when it can be graded."""
    fatal = [p for p in problems if p.severity is Severity.FATAL]
    if not fatal:
        return None
    return StudentOutcome(
        assignment_id,
        student_id,
        Status.REJECTED,
        reason="; ".join(f"{p.notebook_id}: {p.reason}" for p in fatal),
        problems=problems,
        scores=nbgrader_api.read_scores(course, assignment_id, student_id),
    )


def autograde_student(
    course: Course,
    assignment_id: str,
    student_id: str,
    release: Mapping[str, NotebookNode],
    force: bool = True,
) -> StudentOutcome:
    """Inspect one submission, then grade it unless it is unfit; never raises for its content."""
    problems = inspect_submission(course, assignment_id, student_id, release)
    rejected = rejected_outcome(course, assignment_id, student_id, problems)
    if rejected is not None:
        # nbgrader is not called: it would delete the previous autograded notebooks, and the
        # gradebook keeps whatever grade this student had before.
        return rejected
    take_fallbacks()  # notes of an earlier student in this process are not this one's
    try:
        # Journaled: a grading cut off is undone by the next run; a full disk undoes it at once.
        with inflight.grading(course, assignment_id, student_id):
            notes = run_autograde(
                resolving_copies(course, assignment_id), assignment_id, student_id, force
            )
    except NbgraderError as error:
        return StudentOutcome(
            assignment_id,
            student_id,
            Status.FAILED,
            reason=error.summary,
            problems=problems,
            scores=nbgrader_api.read_scores(course, assignment_id, student_id),
            log_tail=error.log_tail,
        )
    # Kernels started cold instead of warm (a stuck fork server, a silent warm kernel): said.
    notes = [*notes, *take_fallbacks()]
    problems = (*problems, *(SubmissionProblem("", Severity.WARNING, note) for note in notes))
    return StudentOutcome(
        assignment_id,
        student_id,
        Status.GRADED,
        problems=problems,
        scores=nbgrader_api.read_scores(course, assignment_id, student_id),
        crashes=read_student_crashes(course, assignment_id, student_id),
    )


def resolving_copies(course: Course, assignment_id: str) -> Course:
    """The course whose autograde first resolves copied cells (steps/duplicated_cells.py)."""
    # This run's copy of the config only, as for the feedback's hidden tests: a notebook
    # without copied cells passes the step unchanged, and stock `nbgrader autograde` is as it was.
    config = resolving_duplicated_cells(course.config, course.release_dir(assignment_id))
    return dataclasses.replace(course, config=config)


def run_autograde(course: Course, assignment_id: str, student_id: str, force: bool) -> list[str]:
    """nbgrader autograde of one student, again if its kernel died or was silent at its start.

    Returns notes for the student's outcome (a warm kernel replaced by a cold one)."""
    silent_once = False
    notes: list[str] = []
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            nbgrader_api.autograde_student(course, assignment_id, student_id, force=force)
            return notes
        except NbgraderError as error:
            if SILENT_AT_START in error.summary:
                bound = course.config.Execute.get("startup_timeout", STARTUP_TIMEOUT_DEFAULT_S)
                if silent_once:
                    raise NbgraderError(
                        f"the kernel did not answer within {bound} s of its start "
                        "(c.Execute.startup_timeout), twice, so this student was not graded",
                        error.log_tail,
                    ) from error
                silent_once = True
                course, note = with_cold_kernel(course, bound)
                notes = [note] if note else []
                continue
            if DIED_AT_START not in error.summary or attempt == START_ATTEMPTS:
                raise
    return notes


def with_cold_kernel(course: Course, bound: object) -> tuple[Course, str]:
    """The course graded in a cold kernel if it used warm ones, and a note saying so, else as is."""
    if course.config.Execute.get("kernel_name") != KERNEL_NAME:
        return course, ""
    config = copy.deepcopy(course.config)
    config.Execute.kernel_name = COLD_KERNEL_NAME
    note = (
        f"a warm kernel did not answer within {bound} s of its start "
        f"(c.Execute.startup_timeout), so {COLD_KERNEL_NAME} kernels graded this submission"
    )
    return dataclasses.replace(course, config=config), note
