"""Where one grading job's time goes, and what each defence costs per notebook; prints figures.

    .venv/bin/python benchmarks/profile_job.py [--students 6] [--keep DIR]

Builds the cohort of benchmarks/autograde.py (exercise 1.2: the reference, every fifth student a
typical mistake) and measures two things:

1. The phases of each job, graded one after another in this process (`course autograde
   --workers 1` runs the same code in its own process): every step is timed from the outside by
   wrapping it (wall seconds, and the CPU seconds of this process: the grader's side), the
   kernel's cells by what they are (the student's cells, the test cells with their checks, the
   known-answer probe cell), the silent runs (hygiene once, the verdict watch before each
   test), and the kernel's start (a fork of the warm server). What no wrapper covers is the
   rest: nbgrader's own bookkeeping and idle waits.
2. The CPU seconds per notebook (grader, server and kernels, from `course autograde --workers 1`
   in a subprocess) with all defences, then with each turned off alone: the verdict checks, the
   kernel's hygiene, the sandbox. The differences are what each defence costs.

Figures, not assertions: the machine is shared and noisy; CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograde import (  # noqa: E402
    ASSIGNMENT,
    BIN,
    build_cohort,
    copy_with_kernel,
    floor_seconds,
    timed_run,
)

from coursekit.core import cells  # noqa: E402
from coursekit.core.course import Course, locate_course  # noqa: E402
from coursekit.isolation.warm import KERNEL_NAME  # noqa: E402

VERDICT_STEPS = (
    "coursekit.steps.verdicts.ArmVerdictChecks",
    "coursekit.steps.verdicts.CheckVerdicts",
)
# Each defence turned off alone, by what nbgrader_config.py gains at its end.
WITHOUT = {
    "all defences": "",
    "no verdict checks": (
        "c.Autograde.autograde_preprocessors = [step for step in "
        f"c.Autograde.autograde_preprocessors if step not in {VERDICT_STEPS!r}]\n"
    ),
    "no kernel hygiene": "c.ContainedExecute.forget_test_sources = False\n",
    "no sandbox": "c.CourseKit.sandbox_enabled = False\n",
}


@dataclasses.dataclass
class Phases:
    """Wall and CPU seconds per phase, summed over the jobs; nested phases count in their own."""

    wall: dict[str, float] = dataclasses.field(default_factory=lambda: defaultdict(float))
    cpu: dict[str, float] = dataclasses.field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))

    @contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[phase] += time.perf_counter() - wall
            self.cpu[phase] += time.process_time() - cpu
            self.calls[phase] += 1

    def wrap(self, owner: object, name: str, phase: str | Callable[..., str]) -> None:
        """Time every call of owner.name under phase (or phase(*args) for a per-call name)."""
        original = getattr(owner, name)
        label = phase if callable(phase) else (lambda *args, **kwargs: phase)

        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*args: object, **kwargs: object) -> object:
                with self.timing(label(*args, **kwargs)):
                    return await original(*args, **kwargs)

            setattr(owner, name, timed_async)
            return

        @functools.wraps(original)
        def timed(*args: object, **kwargs: object) -> object:
            with self.timing(label(*args, **kwargs)):
                return original(*args, **kwargs)

        setattr(owner, name, timed)


def cell_kind(_client: object, cell: object, _resources: object, _index: int) -> str:
    """The phase of one executed cell: the student's, a test (with its checks), the probes."""
    if cells.is_autograded_test(cell):
        return "kernel: test cells (with their checks and watch)"
    if "known-answer checks" in cells.cell_source(cell)[:200]:
        return "kernel: known-answer probe cell"
    if cell.get("cell_type") != "code":
        return "kernel: markdown (nothing runs)"
    return "kernel: the student's cells"


def silent_kind(_client: object, code: str) -> str:
    """Hygiene (once per notebook) or the verdict watch (before each test)."""
    return "kernel: watch before each test" if "watch_rigged" in code else "kernel: hygiene setup"


def instrument(phases: Phases) -> None:
    """Wrap every step of a grading job (see the module docstring)."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters.base import BaseConverter
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
    )

    from coursekit.grading import autograde, flags
    from coursekit.steps import (
        duplicated_cells,
        execution,
        gradebook_writes,
        output_limits,
        verdicts,
    )

    phases.wrap(autograde, "locate_course", "job: load the course config")
    phases.wrap(autograde, "read_release", "job: read the release")
    phases.wrap(autograde, "inspect_submission", "job: inspect the submission")
    phases.wrap(flags, "scan_submission", "job: code scan")
    phases.wrap(flags.verdict_judging, "autograded_suspicions", "job: read verdict findings")
    phases.wrap(BaseConverter, "write_single_notebook", "nbgrader: write the notebook")
    for step in (
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        AssignLatePenalties,
        duplicated_cells.ResolveDuplicatedCells,
        output_limits.LimitOutputCharacters,
    ):
        phases.wrap(step, "preprocess", f"nbgrader steps: {step.__name__}")
    phases.wrap(verdicts.ArmVerdictChecks, "preprocess", "verdict checks: arm")
    phases.wrap(verdicts.CheckVerdicts, "preprocess", "verdict checks: judge")
    phases.wrap(
        gradebook_writes.SaveAutoGradesPerNotebook, "preprocess", "gradebook: write the grades"
    )
    execute = execution.ContainedExecute
    phases.wrap(execute, "preprocess", "execute: the whole notebook")
    phases.wrap(execute, "preprocess_cell", cell_kind)
    phases.wrap(execute, "_run_silently", silent_kind)
    # nbgrader's Execute starts and stops the kernel through nbclient's synchronous wrappers.
    phases.wrap(execute, "start_new_kernel", "kernel: start (fork of the warm server)")
    phases.wrap(execute, "start_new_kernel_client", "kernel: first answer (channels)")
    phases.wrap(execute, "_cleanup_kernel", "kernel: shutdown")


def job(course: Course, student_id: str) -> object:
    """The grading job of one student, as `course autograde` makes it."""
    from coursekit.grading.autograde import GradingJob

    return GradingJob(str(course.config_file), ASSIGNMENT, student_id, True, course.db_url)


def profile_phases(course: Course, students: list[str]) -> tuple[Phases, float]:
    """Grade each student in this process, instrumented; the phases and the total wall time."""
    from coursekit.grading.autograde import grade_job
    from coursekit.nbgrader import api as nbgrader_api

    phases = Phases()
    nbgrader_api.prepare_gradebook(course)
    # The first job pays for imports and the warm server's start: graded before the timing.
    grade_job(job(course, students[0]))
    instrument(phases)
    started = time.perf_counter()
    for student_id in students[1:]:
        with phases.timing("job: the whole job"):
            grade_job(job(course, student_id))
    return phases, time.perf_counter() - started


def print_phases(phases: Phases, jobs: int) -> None:
    """Per notebook: wall and grader CPU of each phase, the job's total, what is not covered."""
    print(f"\nphases of one grading job, mean of {jobs} jobs (wall s, grader-process CPU s)")
    total = phases.wall["job: the whole job"] / jobs
    for phase in sorted(phases.wall, key=lambda p: -phases.wall[p]):
        wall, cpu = phases.wall[phase] / jobs, phases.cpu[phase] / jobs
        calls = phases.calls[phase] / jobs
        print(f"  {phase:52}{wall:8.3f}{cpu:8.3f}   {calls:5.1f} calls  {100 * wall / total:5.1f}%")
    covered = (
        phases.wall["execute: the whole notebook"]
        + sum(
            w
            for p, w in phases.wall.items()
            if p.startswith(("job: ", "nbgrader", "verdict", "gradebook"))
            and p != "job: the whole job"
        )  # fmt: skip
    ) / jobs
    print(f"  {'not covered (nbgrader bookkeeping, idle waits)':52}{total - covered:8.3f}")


def profile_defences(cohort: Course, root: Path) -> None:
    """CPU seconds per notebook of `course autograde --workers 1` with each defence off alone."""
    print("\nCPU s per notebook (grader + warm server + kernels), each defence off alone:")
    figures = {}
    for label, extra in WITHOUT.items():
        course = copy_with_kernel(cohort, root / label.replace(" ", "-"), KERNEL_NAME)
        config = course.root / "nbgrader_config.py"
        config.write_text(config.read_text() + extra)
        course = locate_course(course.root)
        warm_dir = Path(tempfile.mkdtemp(prefix="cw-"))  # a socket path must stay short
        try:
            command = [str(BIN / "course"), "autograde", ASSIGNMENT, "--workers", "1"]
            run = timed_run(label, command, course, warm_dir)
        finally:
            shutil.rmtree(warm_dir, ignore_errors=True)
        figures[label] = run.cpu / run.notebooks
        print(f"  {label:22}{figures[label]:8.2f}  (wall {run.wall:.1f} s for {run.notebooks})")
    floor = floor_seconds(cohort)
    own = floor.cpu / len(cohort.submitted_student_ids(ASSIGNMENT))
    print(f"  {'the cells alone':22}{own:8.2f}  (answers and tests, one process, imports done)")
    everything = figures["all defences"]
    print(f"  beyond the cells:     {everything - own:+8.2f} CPU s/notebook with every defence")
    for label, cpu in figures.items():
        if label != "all defences":
            print(
                f"  cost of {label.removeprefix('no '):20}{everything - cpu:+8.2f} CPU s/notebook"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--phases-only", action="store_true")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="cw-profile-"))
    try:
        cohort = build_cohort(root / "cohort", args.students)
        students = cohort.submitted_student_ids(ASSIGNMENT)
        phased = copy_with_kernel(cohort, root / "phases", KERNEL_NAME)
        phases, wall = profile_phases(phased, students)
        print_phases(phases, len(students) - 1)
        mean = wall / (len(students) - 1)
        print(f"  {'(wall of the graded jobs, first one excluded)':52}{mean:8.3f}")
        if not args.phases_only:
            profile_defences(cohort, root)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
