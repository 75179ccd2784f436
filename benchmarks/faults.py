"""Grading under its own faults: each fault struck at a random moment of a real run (issue 14).

    .venv/bin/python benchmarks/faults.py [--students 20] [--workers 2] [--repeat 2] [--seed 1]
                                          [--only kill-main kill-worker ...]

Builds the tests' tiny course (the repository's nbgrader_config.py: warm sandboxed kernels) with
--students submissions of right, wrong and raising answers, and grades it once undisturbed with
`course autograde ps1 --workers N`: the reference grades (every test cell's score, read from the
gradebook) and the reference wall time. Then, --repeat times per fault, it grades a fresh copy of
the course while the fault strikes at a random moment of the run:

  kill-main        SIGKILL of `course autograde` itself, then a plain rerun
  kill-worker      SIGKILL of one grading worker (the lock file names them)
  kill-fork-server SIGKILL of a warm kernel fork server
  silent-kernel    one kernel launch SIGSTOPped before it answers (fault_injection/sitecustomize.py)
  disk-full        the gradebook's file system (a 4 MB tmpfs) filled up for 5 to 12 s
  locked-gradebook another writer holds the gradebook's write lock for 5 to 20 s

A fault that leaves students ungraded is followed by a plain rerun of the same command, as an
instructor would do. For each run it prints: the processes of the run still alive 15 s after it
ended (or was killed), the students graded in the end, whether every grade equals the
undisturbed run's, whether a rerun was needed, and the time to recover (from the strike to the
moment every student was graded, the 15 s watch excluded). Target: 0 left, all graded, all equal.

Needs root (tmpfs, the sandbox). Figures, not assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "tests"))
from coursekit.core.environment import put_venv_first_on_path  # noqa: E402

put_venv_first_on_path()  # nbgrader runs `alembic`, kernels `python`, by name

from helpers.cohorts import write_many  # noqa: E402
from helpers.course import TINY_ASSIGNMENT, write_tiny_course  # noqa: E402
from nbgrader.api import Gradebook, MissingEntry  # noqa: E402

from coursekit.core.course import locate_course  # noqa: E402
from coursekit.grading import runlock  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402

INJECTION = Path(__file__).resolve().parent / "fault_injection"
STALL_VARIABLE = "COURSEKIT_FAULTS_STALL_DIR"  # fault_injection/sitecustomize.py reads it
TOKEN_VARIABLE = "COURSEKIT_FAULTS_RUN"  # every process of a run inherits it: how we find them
WATCH_S = 15.0  # processes of a run still alive this long after it ended are left behind
TMPFS_MB = 4
STARTUP_TIMEOUT_S = 20  # c.Execute.startup_timeout for the disturbed runs: a silent kernel's bound

Grades = dict[str, dict[tuple[str, str], float | None]]


@dataclass
class Run:
    """One `course autograde` (and its rerun, if needed) of one copy of the course."""

    root: Path
    workers: int
    env: dict[str, str]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    struck: float | None = None
    note: str = ""

    def start(self) -> None:
        """Start `course autograde` on this copy, its output to a log file beside it."""
        log = (self.root.parent / f"{self.root.name}.log").open("ab")
        env = self.env | {TOKEN_VARIABLE: self.token}
        command = [
            str(BIN / "course"),
            "autograde",
            TINY_ASSIGNMENT,
            "--workers",
            str(self.workers),
        ]
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log, stderr=log)
        log.close()

    def wait(self, bound: float) -> int | None:
        """The run's exit status, or None if it outran bound (it is then killed)."""
        assert self.process is not None
        try:
            return self.process.wait(bound)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def processes(self) -> list[psutil.Process]:
        """The processes of this run still alive (they carry its token in their environment)."""
        found = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if (
                    process.pid != os.getpid()
                    and process.environ().get(TOKEN_VARIABLE) == self.token
                ):
                    found.append(process)
        return found

    def workers_alive(self) -> list[int]:
        """The grading workers the run's lock file names that still run."""
        holder = runlock.read_holder(read(runlock.lock_path(self.root)))
        return [pid for pid in (holder.workers if holder else ()) if psutil.pid_exists(pid)]

    def strike(self, at: float, fault: Callable[[Run], None]) -> threading.Thread:
        """Run fault against this run `at` seconds after its start, in a thread."""

        def later() -> None:
            time.sleep(max(0.0, self.started + at - time.monotonic()))
            assert self.process is not None
            if self.process.poll() is None:
                self.struck = time.monotonic()
                fault(self)

        thread = threading.Thread(target=later, daemon=True)
        thread.start()
        return thread


def read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


# ---- the faults ------------------------------------------------------------------------------


def kill_main(run: Run) -> None:
    assert run.process is not None
    run.process.send_signal(signal.SIGKILL)
    run.note = f"killed pid {run.process.pid}"


def kill_worker(run: Run) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (pids := run.workers_alive()):
        time.sleep(0.05)  # the pool starts its workers as jobs arrive
    if pids:
        pid = random.choice(pids)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        run.note = f"killed worker {pid}"
    else:
        run.note = "no worker found to kill"


def kill_fork_server(run: Run) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        servers = [
            p
            for p in run.processes()
            if "coursekit.isolation.warm.server" in " ".join(safe_cmdline(p))
        ]
        if servers:
            victim = random.choice(servers)
            with contextlib.suppress(psutil.Error):
                victim.kill()
            run.note = f"killed fork server {victim.pid}"
            return
        time.sleep(0.05)
    run.note = "no fork server found to kill"


def safe_cmdline(process: psutil.Process) -> list[str]:
    with contextlib.suppress(psutil.Error):
        return process.cmdline()
    return []


def fill_disk(run: Run) -> None:
    """Fill the gradebook's tmpfs for a few seconds, then free it."""
    filler = Path(run.env["COURSEKIT_FAULTS_TMPFS"]) / "filler"
    held = random.uniform(5.0, 12.0)
    # Unbuffered: the write that finds the disk full raises here, and closing has nothing to flush.
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
    time.sleep(held)
    filler.unlink()
    run.note = f"disk full for {held:.1f} s"


def lock_gradebook(run: Run) -> None:
    """Hold the gradebook's write lock as another writer (a TA's formgrader, say) would."""
    held = random.uniform(5.0, 20.0)
    connection = sqlite3.connect(gradebook_file(run.root), timeout=60, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(held)
        connection.execute("COMMIT")
    finally:
        connection.close()
    run.note = f"gradebook locked for {held:.1f} s"


def stall_one_kernel(run: Run) -> None:
    """Choose which of the run's kernel launches from now on never answers its start."""
    folder = Path(run.env[STALL_VARIABLE])
    launched = len(list(folder.glob("launch-*")))
    (folder / "stall_at").write_text(str(launched + 1))
    run.note = f"kernel launch {launched + 1} stopped"


FAULTS: dict[str, Callable[[Run], None]] = {
    "kill-main": kill_main,
    "kill-worker": kill_worker,
    "kill-fork-server": kill_fork_server,
    "silent-kernel": stall_one_kernel,
    "disk-full": fill_disk,
    "locked-gradebook": lock_gradebook,
}


# ---- the course and its grades ---------------------------------------------------------------


def build_template(folder: Path, students: int) -> Path:
    """The released tiny course with `students` submissions."""
    root = write_tiny_course(folder / "template")
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, TINY_ASSIGNMENT)
    write_many(course, students)
    return root


def gradebook_file(root: Path) -> Path:
    """The SQLite file of a copy's gradebook (its config may have moved it)."""
    url = locate_course(root).db_url
    return Path(url.removeprefix("sqlite:///"))


def read_grades(root: Path) -> Grades:
    """student -> (notebook, test cell) -> autograded score, as the gradebook holds them."""
    grades: Grades = {}
    course = locate_course(root)
    with Gradebook(course.db_url) as gradebook:
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(TINY_ASSIGNMENT, student.id)
            except MissingEntry:
                continue
            grades[student.id] = {
                (notebook.name, grade.name): grade.auto_score
                for notebook in submission.notebooks
                for grade in notebook.grades
            }
    return grades


def is_graded(cells: dict[tuple[str, str], float | None]) -> bool:
    return bool(cells) and all(score is not None for score in cells.values())


@dataclass
class Row:
    fault: str
    repeat: int
    strike_s: float
    left: int
    graded: int
    students: int
    equal: bool
    rerun: bool
    recover_s: float
    note: str


def copy_course(template: Path, where: Path, fault: str, env: dict[str, str]) -> Path:
    """A fresh copy of the template for one run, set up for its fault."""
    root = Path(shutil.copytree(template, where))
    lines = [f"c.Execute.startup_timeout = {STARTUP_TIMEOUT_S}"]
    if fault == "disk-full":
        tmpfs = where.parent / f"{where.name}-tmpfs"
        tmpfs.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(tmpfs)], check=True
        )
        shutil.copy(gradebook_file(root), tmpfs / "gradebook.db")
        lines.append(f"c.CourseDirectory.db_url = 'sqlite:///{tmpfs / 'gradebook.db'}'")
        env["COURSEKIT_FAULTS_TMPFS"] = str(tmpfs)
    if fault == "silent-kernel":
        stall = where.parent / f"{where.name}-stall"
        stall.mkdir()
        (stall / "stall_at").write_text("0")  # none until the strike chooses one
        env[STALL_VARIABLE] = str(stall)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(INJECTION), env.get("PYTHONPATH")]))
    with (root / "nbgrader_config.py").open("a") as config:
        config.write("\n# benchmarks/faults.py\n" + "\n".join(lines) + "\n")
    return root


def unmount(root: Path) -> None:
    tmpfs = root.parent / f"{root.name}-tmpfs"
    if tmpfs.is_dir():
        subprocess.run(["umount", "-l", str(tmpfs)], check=False)


def disturbed_run(
    template: Path,
    folder: Path,
    fault: str,
    repeat: int,
    workers: int,
    undisturbed: float,
    reference: Grades,
    rng: random.Random,
) -> Row:
    env = dict(os.environ)
    root = copy_course(template, folder / f"{fault}-{repeat}", fault, env)
    bound = 10 * undisturbed + 300
    try:
        run = Run(root, workers, env)
        # Within the grading itself: the first quarter of a run is its canary and set-up.
        at = rng.uniform(0.25, 0.75) * undisturbed
        run.start()
        striker = run.strike(at, FAULTS[fault])
        status = run.wait(bound)
        striker.join(60)
        ended = time.monotonic()
        time.sleep(WATCH_S)
        left = run.processes()
        for process in left:  # what a leak would leave: killed so the next run starts clean
            with contextlib.suppress(psutil.Error):
                process.kill()
        grades = read_grades(root)
        rerun = status != 0 or sum(map(is_graded, grades.values())) < len(reference)
        finished = ended
        if rerun:
            again = Run(root, workers, env | {STALL_VARIABLE: ""})
            again.start()
            again.wait(bound)
            finished = time.monotonic() - WATCH_S  # the watch is not recovery time
            time.sleep(WATCH_S)
            left += [p for p in again.processes() if p not in left]
            grades = read_grades(root)
        struck = run.struck if run.struck is not None else ended
        return Row(
            fault,
            repeat,
            at,
            len(left),
            sum(map(is_graded, grades.values())),
            len(reference),
            grades == reference,
            rerun,
            max(0.0, finished - struck),
            run.note or "struck after the run ended",
        )
    finally:
        unmount(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="+", choices=sorted(FAULTS), default=list(FAULTS))
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="faults-") as name:
        folder = Path(name)
        template = build_template(folder, args.students)
        base = Run(
            Path(shutil.copytree(template, folder / "undisturbed")), args.workers, dict(os.environ)
        )
        base.start()
        status = base.wait(3600)
        undisturbed = time.monotonic() - base.started
        reference = read_grades(base.root)
        time.sleep(WATCH_S)
        if status != 0 or sum(map(is_graded, reference.values())) != args.students:
            sys.exit(f"the undisturbed run failed (exit {status}); see {base.root}.log")
        print(
            f"{args.students} students, {args.workers} workers; undisturbed run {undisturbed:.1f} s"
            f", {len(base.processes())} processes left after it",
            flush=True,
        )
        header = f"{'fault':<17} {'#':>2} {'strike':>7} {'left':>4} {'graded':>7} {'equal':>5} "
        print(header + f"{'rerun':>5} {'recover':>8}  note")
        rows = []
        for fault in args.only:
            for repeat in range(1, args.repeat + 1):
                row = disturbed_run(
                    template, folder, fault, repeat, args.workers, undisturbed, reference, rng
                )
                rows.append(dataclasses.asdict(row))
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=1))
                print(
                    f"{row.fault:<17} {row.repeat:>2} {row.strike_s:>6.1f}s {row.left:>4} "
                    f"{row.graded:>3}/{row.students:<3} {'yes' if row.equal else 'NO':>5} "
                    f"{'yes' if row.rerun else 'no':>5} {row.recover_s:>7.1f}s  {row.note}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
