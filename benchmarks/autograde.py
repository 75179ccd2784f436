"""Time stock `nbgrader autograde` against `course autograde` on one cohort; print the figures.

    .venv/bin/python benchmarks/autograde.py --students 40 [--workers N] [--dask]
        [--sizes 8,40,120] [--keep DIR]

Builds a course of exercise 1.2 alone with a cohort of submissions (mostly the reference, every
fifth student one typical mistake), copies it and grades each copy once: stock
`nbgrader autograde lecture1` with cold kernels (kernel python3) and `course autograde lecture1
--workers N` with warm kernels (python3-warm); with --dask, `course autograde --executor dask`
on a LocalCluster of N workers too. It checks that the grades are identical cell by cell, then
prints notebooks per minute, the ratio, CPU seconds per notebook, peak memory, and the floor:
the time the notebooks' own cells take in one process that has done its imports, divided by
the cores; beside it, the same cells run in N forked processes at once with no grader (what
N TensorFlow processes on these cores achieve at best); then issue 16's targets against those
figures. --sizes times `course autograde` alone on fresh cohorts of each size (wall and CPU per
student; the size of --students reuses the run above). Figures, not assertions: the
machine is shared and noisy; compare the runs of one invocation.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# The grading environment of nbgrader_config.py, before anything imports TensorFlow (the floor
# runs in this process; benchmarks/tf_concurrency.py trains in it too).
GRADING_ENVIRONMENT = {
    "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow", "MPLBACKEND": "Agg", "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}  # fmt: skip
os.environ.update(GRADING_ENVIRONMENT)

import nbformat  # noqa: E402
import psutil  # noqa: E402

from coursekit.authoring.cohort import (  # noqa: E402
    fill_release,
    solution_answers,
    write_submission,
    written_answers,
)
from coursekit.calibration.variants import load_variant_set, variants_dir  # noqa: E402
from coursekit.core.course import Course, locate_course  # noqa: E402
from coursekit.isolation.warm import KERNEL_NAME, client  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"
NOTEBOOK_ID = "exercise_1_2_linear_regression"
MISTAKE_EVERY = 5  # every fifth student hands in one of the typical mistakes
SAMPLE_SECONDS = 0.5
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what a kernel draws with
BIN = Path(sys.executable).parent


@dataclass
class MemoryPeaks:
    """The largest memory seen while a run went on, in MiB (PSS: shared pages split fairly)."""

    total_pss: float = 0.0
    grader_rss: float = 0.0
    kernel_rss: float = 0.0
    server_rss: float = 0.0
    graders: int = 0


@dataclass
class RunFigures:
    """One timed grading run."""

    label: str
    wall: float
    cpu: float
    notebooks: int
    memory: MemoryPeaks
    kernel_cpu: list[float] = field(default_factory=list)
    server_cpu: float = 0.0  # the warm servers' own (their imports), once per run

    @property
    def per_minute(self) -> float:
        """Notebooks graded per minute of wall time."""
        return 60 * self.notebooks / self.wall


def build_cohort(root: Path, students: int) -> Course:
    """A released course of exercise 1.2 alone with `students` submissions."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    source_path = REPO_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK_ID}.ipynb"
    shutil.copy(source_path, root / "source" / ASSIGNMENT)
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, ASSIGNMENT)
    source = nbformat.read(source_path, as_version=4)
    release = nbformat.read(course.release_dir(ASSIGNMENT) / f"{NOTEBOOK_ID}.ipynb", as_version=4)
    reference = solution_answers(source) | written_answers(source)
    mistakes = load_variant_set(variants_dir(REPO_ROOT, ASSIGNMENT), NOTEBOOK_ID).wrong
    for number in range(students):
        answers = dict(reference)
        if number % MISTAKE_EVERY == MISTAKE_EVERY - 1:
            answers |= mistakes[(number // MISTAKE_EVERY) % len(mistakes)].answers
        notebook = fill_release(release, answers)
        write_submission(course, ASSIGNMENT, f"student{number:03d}", {NOTEBOOK_ID: notebook})
    return course


def copy_with_kernel(course: Course, root: Path, kernel_name: str) -> Course:
    """A copy of the course whose config runs every notebook in kernel_name."""
    shutil.copytree(course.root, root)
    config = root / "nbgrader_config.py"
    config.write_text(f"{config.read_text()}\nc.Execute.kernel_name = {kernel_name!r}\n")
    return locate_course(root)


class MemorySampler(threading.Thread):
    """Samples the memory of a grading process tree and of the warm servers until stopped."""

    def __init__(self, root_pid: int, warm_dir: Path) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.warm_dir = warm_dir
        self.peaks = MemoryPeaks()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        try:
            graders = [psutil.Process(self.root_pid)]
            graders += graders[0].children(recursive=True)
        except psutil.NoSuchProcess:
            return
        servers = [
            psutil.Process(pid) for pid in server_pids(self.warm_dir) if psutil.pid_exists(pid)
        ]
        kernels = [p for p in graders if is_cold_kernel(p)]
        for server in servers:
            kernels += _alive(server.children)
        graders = [p for p in graders if p not in kernels]
        total = 0.0
        for group, attr in (
            (graders, "grader_rss"),
            (kernels, "kernel_rss"),
            (servers, "server_rss"),
        ):
            for process in group:
                try:
                    info = process.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += info.pss / 2**20
                setattr(self.peaks, attr, max(getattr(self.peaks, attr), info.rss / 2**20))
        self.peaks.total_pss = max(self.peaks.total_pss, total)
        self.peaks.graders = max(self.peaks.graders, len(graders))


def _alive(children: object) -> list[psutil.Process]:
    try:
        return list(children())  # type: ignore[operator]
    except psutil.NoSuchProcess:
        return []


def is_cold_kernel(process: psutil.Process) -> bool:
    """Whether a process is a kernel started by Popen (`python -m ipykernel_launcher`)."""
    try:
        return "ipykernel_launcher" in process.cmdline()
    except psutil.NoSuchProcess:
        return False


def server_logs(warm_dir: Path) -> str:
    """Everything the warm servers of this benchmark logged."""
    return "".join(log.read_text() for log in warm_dir.glob("*.log"))


def server_pids(warm_dir: Path) -> list[int]:
    """The pids of the fork servers started in warm_dir."""
    return [int(line.split()[2]) for line in server_logs(warm_dir).splitlines()
            if line.startswith("fork server ") and " on " in line]  # fmt: skip


def warm_cpu(warm_dir: Path) -> tuple[float, list[float]]:
    """CPU seconds of the servers themselves and of each kernel they forked, from their logs."""
    own, kernels = 0.0, []
    for line in server_logs(warm_dir).splitlines():
        words = line.split()
        if line.startswith("kernel ") and "cpu" in words:
            kernels.append(float(words[words.index("cpu") + 1]))
        elif "own cpu" in line:
            own += float(words[words.index("cpu") + 1])
    return own, kernels


def timed_run(
    label: str,
    command: Sequence[str],
    course: Course,
    warm_dir: Path,
    assignment: str = ASSIGNMENT,
) -> RunFigures:
    """Run one grading command in the course; its wall time, CPU time and memory peaks."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env[client.RUNTIME_DIR_VARIABLE] = str(warm_dir)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=course.root, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    sampler = MemorySampler(process.pid, warm_dir)
    sampler.start()
    _, errors = process.communicate()
    wall = time.perf_counter() - started
    # The run is over when its servers are: their kernels' CPU is logged as they are reaped.
    for pid in server_pids(warm_dir):
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.2)
    sampler.done.set()
    sampler.join()
    if process.returncode not in (0, 2):  # course autograde: 2 = someone failed; checked below
        raise SystemExit(f"{label} failed ({process.returncode}):\n{errors[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    own, kernels = warm_cpu(warm_dir)
    notebooks = len(course.submitted_student_ids(assignment))
    total = cpu + own + sum(kernels)
    return RunFigures(label, wall, total, notebooks, sampler.peaks, kernels, own)


def compare_grades(first: Course, second: Course) -> int:
    """The number of grade cells compared; exits if any student's grades differ."""
    compared = 0
    for student_id in first.submitted_student_ids(ASSIGNMENT):
        one = nbgrader_api.read_scores(first, ASSIGNMENT, student_id)
        two = nbgrader_api.read_scores(second, ASSIGNMENT, student_id)
        if not one or one != two:
            raise SystemExit(f"grades differ for {student_id}:\n{one}\n{two}")
        compared += sum(len(notebook.cells) for notebook in one)
    return compared


@dataclass(frozen=True)
class Floor:
    """What the submissions' cells alone cost in one process that did its imports first."""

    wall: float  # every code cell: answers and tests, hidden ones included
    answers_wall: float  # the answer cells alone
    cpu: float  # every code cell, CPU seconds of all threads (insensitive to other load)
    student_mib: float  # the most one student's cells added to the process (RSS growth)


def floor_seconds(course: Course) -> Floor:
    """Run each submission's cells in this process, imports done beforehand, each student in a
    fresh IPython namespace; what they cost."""
    prepare_shell()
    return cells_alone(course, course.submitted_student_ids(ASSIGNMENT))


def concurrent_floor(course: Course, processes: int) -> tuple[float, Floor]:
    """The cells alone again, in `processes` forks of this process at once, each taking every
    processes-th student (no grader, no kernel, no defence): the wall time and what they cost.

    What N TensorFlow processes on these cores do at best: each process's threads hand work
    back and forth, so two processes leave the cores idle part of the time (docs/performance.md).
    Must run before anything in this process executes a TensorFlow op: a fork keeps no threads.
    """
    prepare_shell()
    student_ids = course.submitted_student_ids(ASSIGNMENT)
    started = time.perf_counter()
    children = []
    for first in range(processes):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its share of the students, its figures on the pipe, exit
            os.close(read_end)
            part = cells_alone(course, student_ids[first::processes])
            with os.fdopen(write_end, "w") as pipe:
                json.dump(dataclasses.astuple(part), pipe)
            os._exit(0)
        os.close(write_end)
        children.append((pid, read_end))
    parts = []
    for pid, read_end in children:
        with os.fdopen(read_end) as pipe:
            parts.append(Floor(*json.load(pipe)))
        os.waitpid(pid, 0)
    wall = time.perf_counter() - started
    return wall, Floor(
        sum(part.wall for part in parts),
        sum(part.answers_wall for part in parts),
        sum(part.cpu for part in parts),
        max(part.student_mib for part in parts),
    )


def prepare_shell() -> None:
    """This process's IPython shell with the notebooks' libraries imported (no op run yet)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("import numpy, keras, tensorflow, matplotlib.pyplot as plt", silent=True)
    # Figures as a kernel draws them: plt.show() renders each figure to a PNG for the notebook
    # (matplotlib_inline), a cost of the student's own cell that Agg's show() would skip.
    import matplotlib
    from matplotlib_inline.backend_inline import configure_inline_support

    matplotlib.use(INLINE_BACKEND)
    configure_inline_support(shell, INLINE_BACKEND)


def cells_alone(course: Course, student_ids: Sequence[str]) -> Floor:
    """Run these students' cells in this process's shell, one fresh namespace each."""
    from IPython.core.interactiveshell import InteractiveShell

    from coursekit.core import cells

    shell = InteractiveShell.instance()
    everything = answers = cpu = student_mib = 0.0
    process = psutil.Process()
    source = nbformat.read(course.source_dir(ASSIGNMENT) / f"{NOTEBOOK_ID}.ipynb", 4)
    hidden = {cells.grade_id(c): c.source for c in source.cells if cells.is_autograded_test(c)}
    for student_id in student_ids:
        folder = course.submitted_dir(ASSIGNMENT, student_id)
        nb = nbformat.read(folder / f"{NOTEBOOK_ID}.ipynb", as_version=4)
        shell.reset(new_session=False)
        # Per student, not the process's peak over the whole cohort: what one kernel would
        # hold. Models and caches the previous students left behind are not this one's.
        before = process.memory_info().rss / 2**20
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                # Tests run as the grader runs them: the instructor's version, hidden part included.
                code = hidden.get(cells.grade_id(cell), cell.source)
                started, cpu_started = time.perf_counter(), time.process_time()
                with contextlib.redirect_stdout(io.StringIO()):  # prints and tracebacks
                    shell.run_cell(code, silent=True)
                spent = time.perf_counter() - started
                cpu += time.process_time() - cpu_started
                everything += spent
                if cells.is_autograded_answer(cell):
                    answers += spent
                student_mib = max(student_mib, process.memory_info().rss / 2**20 - before)
                plt = sys.modules.get("matplotlib.pyplot")
                if plt is not None:
                    plt.close("all")
        finally:
            os.chdir(cwd)
    return Floor(everything, answers, cpu, student_mib)


def main() -> None:
    """Build, grade, compare, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="the cohort graded by both")
    parser.add_argument("--workers", type=int, default=None, help="for course autograde")
    parser.add_argument(
        "--sizes",
        default="",
        help="also time course autograde alone on cohorts of these sizes, e.g. 8,40,120 "
        "(the cost per student must stay flat)",
    )
    parser.add_argument(
        "--dask",
        action="store_true",
        help="also grade the cohort with --executor dask (a LocalCluster of --workers)",
    )
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    root = args.keep or Path(tempfile.mkdtemp(prefix="cw-bench-"))
    warm_root = Path(tempfile.mkdtemp(prefix="cw-"))  # a socket path must stay short
    try:
        run(args, root, warm_root, cores)
    finally:
        shutil.rmtree(warm_root, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace, root: Path, warm_root: Path, cores: int) -> None:
    """The benchmark proper: stock against course on one cohort, then the optional parts."""
    print(
        f"building a cohort of {args.students} submissions of {NOTEBOOK_ID} in {root}", flush=True
    )
    cohort = build_cohort(root / "cohort", args.students)
    stock = copy_with_kernel(cohort, root / "stock", "python3")
    fast = copy_with_kernel(cohort, root / "course", KERNEL_NAME)
    workers = args.workers or cores
    course_command = [str(BIN / "course"), "autograde", ASSIGNMENT, "--workers", str(workers)]

    print("timing stock nbgrader autograde (cold kernels, one at a time) ...", flush=True)
    cold = timed_run(
        "nbgrader autograde",
        [str(BIN / "nbgrader"), "autograde", ASSIGNMENT],
        stock,
        warm_root / "none",
    )
    print(f"timing {' '.join(course_command[1:])} (warm kernels) ...", flush=True)
    warm = timed_run("course autograde", course_command, fast, warm_root / "pool")
    compared = compare_grades(stock, fast)
    dask = None
    if args.dask:
        on_dask = copy_with_kernel(cohort, root / "dask", KERNEL_NAME)
        print("timing the same on a Dask LocalCluster (--executor dask) ...", flush=True)
        dask_command = [*course_command, "--executor", "dask"]
        dask = timed_run("course autograde dask", dask_command, on_dask, warm_root / "dask")
        compare_grades(fast, on_dask)
    print(f"timing the cells alone in {workers} processes at once (no grader) ...", flush=True)
    side_by_side = concurrent_floor(cohort, workers)  # before this process runs any op
    print("timing the floor (the cells alone, one process, imports done) ...", flush=True)
    floor = floor_seconds(cohort)
    print_report(args.students, cores, workers, (cold, warm, dask), compared, floor, side_by_side)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if sizes:
        graded = {args.students: warm}  # the cohort above is one of the sizes: not graded twice
        print_scaling(scaling(sizes, root, warm_root, course_command, graded))


@dataclass(frozen=True)
class SizeFigures:
    """course autograde alone on a cohort of one size."""

    students: int
    run: RunFigures


def scaling(
    sizes: Sequence[int],
    root: Path,
    warm_root: Path,
    command: Sequence[str],
    graded: dict[int, RunFigures],
) -> list[SizeFigures]:
    """Time course autograde on a fresh cohort of each size not yet graded."""
    figures = []
    for size in sizes:
        if size in graded:
            figures.append(SizeFigures(size, graded[size]))
            continue
        print(f"timing {' '.join(command[1:])} on {size} students ...", flush=True)
        cohort = build_cohort(root / f"size{size}", size)
        course = copy_with_kernel(cohort, root / f"size{size}-course", KERNEL_NAME)
        run = timed_run(f"{size} students", command, course, warm_root / f"size{size}")
        figures.append(SizeFigures(size, run))
    return figures


def print_scaling(figures: Sequence[SizeFigures]) -> None:
    """Wall and CPU per student at each size, against the smallest cohort's."""
    print()
    print("cost per student as the cohort grows (course autograde alone):")
    print(
        f"{'students':>9}{'wall s':>9}{'wall s/student':>16}{'CPU s/student':>15}{'vs first':>10}"
    )
    first = figures[0].run.wall / figures[0].students
    for size in figures:
        per_student = size.run.wall / size.students
        print(
            f"{size.students:9d}{size.run.wall:9.1f}{per_student:16.2f}"
            f"{size.run.cpu / size.students:15.2f}{per_student / first:10.2f}"
        )


def print_report(
    students: int,
    cores: int,
    workers: int,
    runs: tuple[RunFigures, RunFigures, RunFigures | None],
    compared: int,
    floor: Floor,
    side_by_side: tuple[float, Floor],
) -> None:
    """The figures, then issue 16's targets against them."""
    cold, warm, dask = runs
    print()
    print(
        f"{students} submissions of {NOTEBOOK_ID}, {cores} cores, "
        f"course autograde workers: {workers}"
    )
    print(f"grades identical: yes ({compared} grade cells compared{', Dask too' if dask else ''})")
    print(
        f"{'':24}{'wall s':>9}{'nb/min':>9}{'CPU s/nb':>10}{'peak PSS MiB':>14}"
        f"{'grader RSS':>12}{'kernel RSS':>12}{'server RSS':>12}"
    )
    for run in (cold, warm, dask):
        if run is None:
            continue
        m = run.memory
        per_notebook = run.cpu / run.notebooks
        print(
            f"{run.label:24}{run.wall:9.1f}{run.per_minute:9.1f}{per_notebook:10.2f}"
            f"{m.total_pss:14.0f}{m.grader_rss:12.0f}{m.kernel_rss:12.0f}{m.server_rss:12.0f}"
        )
    ratio = warm.per_minute / cold.per_minute
    print(f"throughput ratio (course / stock): {ratio:.2f}x")
    wall_floor, cpu_floor = floor.wall / cores, floor.cpu / cores
    print(
        f"floor: the cells alone took {floor.wall:.1f} s ({floor.answers_wall:.1f} s in answer "
        f"cells; the rest is the tests, hidden ones included), {floor.cpu:.1f} CPU s "
        f"-> {wall_floor:.1f} s ({cpu_floor:.1f} s by CPU) on {cores} cores"
    )
    print(
        f"course autograde wall / floor: {warm.wall / wall_floor:.2f} "
        f"({warm.wall / cpu_floor:.2f} against the CPU floor); "
        f"best possible ratio at the floor: {cold.wall / wall_floor:.2f}x"
    )
    together_wall, together = side_by_side
    print(
        f"the cells alone in {workers} processes at once (no grader, no kernel): "
        f"{together_wall:.1f} s, {together_wall / wall_floor:.2f}x the floor, "
        f"{together.cpu:.1f} CPU s; course autograde wall / that: "
        f"{warm.wall / together_wall:.2f}"
    )
    beyond = (warm.cpu - floor.cpu) / warm.notebooks
    print(
        f"CPU beyond the cells: {warm.cpu / warm.notebooks:.2f} CPU s per notebook graded "
        f"against {floor.cpu / warm.notebooks:.2f} for its cells alone: {beyond:+.2f}"
    )
    overhead = warm.memory.total_pss - workers * floor.student_mib
    print(
        f"memory: peak {warm.memory.total_pss:.0f} MiB PSS for the server, "
        f"{warm.memory.graders} grader processes and their kernels; one student's cells added "
        f"up to {floor.student_mib:.0f} MiB in one process, {workers} at a time -> "
        f"{overhead:.0f} MiB besides them"
    )
    targets = [
        ("wall <= 1.15x floor", warm.wall <= 1.15 * wall_floor),
        ("throughput >= 3x stock", ratio >= 3),
        ("CPU beyond the cells <= 1 s per notebook", beyond <= 1),
        ("memory <= 1024 MiB besides the students' code", overhead <= 1024),
    ]
    if dask is not None:
        slower = dask.wall / warm.wall
        print(f"Dask / process pool wall time: {slower:.2f}")
        targets.append(("Dask within 10% of the pool", slower <= 1.10))
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in targets))


if __name__ == "__main__":
    main()
