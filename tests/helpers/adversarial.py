"""The adversarial suite: every attack of tests/attacks/ graded in one `course autograde` run.

Each folder of tests/attacks/ is one attack in the style of DOMjudge's expected-verdict folders:
`expected.json` says how the submission is built from a small dedicated assignment (answer
cells from `answer_<grade_id>.py`, notebook edits, raw files handed in as they are) and what
grading must do with it (status, each test cell's score, reasons, flags, invariants);
tests/attacks/README.md describes the format. This module builds one course in a folder with
every attack as a student plus two honest students, runs the real `course autograde` on it
once (the repo's own nbgrader_config.py with a short cell timeout), then checks each attack's
expectation and the honest students' exact grades, derived from the notebook's points.

Run it alone: `python tests/helpers/adversarial.py [--keep DIR]` prints every attack's verdict
and ends with "N attacks, N contained, 0 grades lost". tests/test_adversarial.py runs it under
pytest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

if not __package__:  # run as `python tests/helpers/adversarial.py`: helpers/ is in tests/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.adversarial_checks import (  # noqa: E402
    Evidence,
    check_attack,
    check_honest,
    leftover_processes,
)
from helpers.adversarial_course import (  # noqa: E402
    ASSIGNMENT,
    HONEST,
    Attack,
    Context,
    build_course,
    load_attacks,
    suite_config,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ATTACKS_DIR = Path(__file__).resolve().parents[1] / "attacks"
# The whole cohort's grading, endless cells included, ends far sooner on the 2-core machine;
# past this the grader itself is stuck, which is a failure of every attack still waiting.
AUTOGRADE_LIMIT_S = 1500


@dataclasses.dataclass(frozen=True)
class SuiteResult:
    """What the suite found: failures per attack ([] = contained) and per honest student."""

    attacks: Mapping[str, tuple[str, ...]]
    honest: Mapping[str, tuple[str, ...]]
    autograde_seconds: float
    total_seconds: float
    exit_code: int
    output_tail: str = ""  # the end of what `course autograde` printed

    @property
    def contained(self) -> int:
        """How many attacks met every expectation."""
        return sum(1 for failures in self.attacks.values() if not failures)

    @property
    def grades_lost(self) -> int:
        """Honest students whose grade is not exactly what their answers earn."""
        return sum(1 for failures in self.honest.values() if failures)

    def summary_line(self) -> str:
        """The suite's one-line verdict."""
        return (
            f"{len(self.attacks)} attacks, {self.contained} contained, "
            f"{self.grades_lost} grades lost"
        )


# The control run (`--no-sandbox`): the same cohort with the sandbox turned off, the one way
# nbgrader_config.py can; the attacks it contained must then show as not contained.
SANDBOX_OFF = "\nc.CourseKit.sandbox_enabled = False  # adversarial control run\n"


def run_suite(
    workdir: Path, attacks_dir: Path = ATTACKS_DIR, extra_config: str = ""
) -> SuiteResult:
    """Build the adversarial course in workdir, autograde it once, check every expectation."""
    started = time.monotonic()
    attacks = load_attacks(attacks_dir)
    context = Context(token=secrets.token_hex(8), config_text=suite_config(extra_config))
    with listening_socket() as (listener, port):
        context = dataclasses.replace(context, port=port)
        course = build_course(workdir / "course", attacks, context)
        graded_at = time.monotonic()
        report, exit_code, output = autograde_cohort(course.root, context)
        autograde_seconds = time.monotonic() - graded_at
        connections = accepted_connections(listener)
    keepers = [
        a.student_id
        for a in attacks
        if any(key.startswith("secret_absent") for i in invariants(a) for key in i)
    ]
    evidence = Evidence.gather(course, report, output, connections, context, keepers)
    results = {attack.name: tuple(check_attack(attack, evidence)) for attack in attacks}
    honest = {sid: tuple(check_honest(sid, evidence)) for sid in HONEST}
    stop_leftovers(course.root, context)
    return SuiteResult(
        results,
        honest,
        autograde_seconds,
        time.monotonic() - started,
        exit_code,
        "\n".join(output.splitlines()[-40:]),
    )


def invariants(attack: Attack) -> list[dict[str, Any]]:
    """The attack's expected invariants."""
    return list(attack.expect.get("invariants", []))


class listening_socket:  # noqa: N801 (a context manager used like a function)
    """A TCP listener on 127.0.0.1 that the network attack tries to reach."""

    def __enter__(self) -> tuple[Any, int]:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        return self.sock, self.sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def accepted_connections(listener: Any) -> list[bytes]:
    """What every connection that reached the listener sent (the backlog is read now)."""
    received = []
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return received
        conn.settimeout(2)
        try:
            received.append(conn.recv(4096))  # bounded: settimeout(2) above
        except OSError:
            received.append(b"")
        finally:
            conn.close()


def autograde_cohort(course_root: Path, context: Context) -> tuple[dict[str, Any], int, str]:
    """Run `course autograde` on the cohort in a child process; its report as plain data."""
    report_file = course_root.parent / "autograde_report.json"
    # A private warm-kernel server folder (short: a socket path has 107 characters at most):
    # this run shares no server with anyone's grading, and its server exits when it ends.
    warm_dir = Path(tempfile.mkdtemp(prefix="adv-"))
    env = {**os.environ, "COURSEKIT_WARM_DIR": str(warm_dir)}
    command = [sys.executable, __file__, "autograde", str(course_root), str(report_file)]
    log_file = course_root.parent / "autograde_output.txt"
    # Output to a file, not a pipe: a process the grading leaves behind keeps a pipe open, and
    # the run must end when `course autograde` ends. Its own session: what it leaves behind
    # can be found and stopped.
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=course_root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=AUTOGRADE_LIMIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    text = log_file.read_text(errors="replace")
    report = json.loads(report_file.read_text()) if report_file.is_file() else {"outcomes": []}
    shutil.rmtree(warm_dir, ignore_errors=True)
    return report, process.returncode, text


def tapped_autograde(course_root: str, report_file: str) -> int:
    """`course autograde ASSIGNMENT` as the CLI runs it, its report also saved as JSON."""
    from coursekit.cli import app as cli_app
    from coursekit.cli import grading as grading_verbs  # `course autograde` renders with its own

    render = grading_verbs.render_autograde

    def render_and_save(report: Any, *view: Any) -> str:
        Path(report_file).write_text(json.dumps(dataclasses.asdict(report), default=str))
        return render(report, *view)

    grading_verbs.render_autograde = render_and_save
    return cli_app.main(["--course-dir", course_root, "--quiet", "autograde", ASSIGNMENT])


def stop_leftovers(course_root: Path, context: Context) -> None:
    """Kill what the attacks left running (they are this run's processes, found by pid)."""
    for process in leftover_processes(course_root, context):
        with contextlib.suppress(psutil.Error):  # already gone
            process.kill()


def print_result(result: SuiteResult, attacks: list[Attack]) -> None:
    """Each attack's verdict, the honest students', the timings and the summary line."""
    for attack in attacks:
        failures = result.attacks[attack.name]
        verdict = "contained" if not failures else "NOT contained"
        pending = f" (expected: {attack.xfail})" if attack.xfail and failures else ""
        print(f"{attack.name}: {verdict}{pending}")
        for failure in failures:
            print(f"    - {failure}")
    for student_id, failures in result.honest.items():
        print(f"honest {student_id}: {'exact' if not failures else 'GRADE LOST'}")
        for failure in failures:
            print(f"    - {failure}")
    if result.grades_lost or not result.contained:
        print(f"--- the end of what course autograde printed ---\n{result.output_tail}")
    print(
        f"autograde of the cohort: {result.autograde_seconds:.0f} s "
        f"(exit code {result.exit_code}); whole suite: {result.total_seconds:.0f} s"
    )
    print(result.summary_line())


def main(argv: list[str]) -> int:
    """`adversarial.py [--keep DIR] [--no-sandbox]`: the suite; `... autograde ROOT JSON`: tap."""
    if argv[:1] == ["autograde"]:
        return tapped_autograde(argv[1], argv[2])
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    workdir = keep or Path(tempfile.mkdtemp(prefix="adversarial-"))
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
    result = run_suite(workdir, extra_config=SANDBOX_OFF if "--no-sandbox" in argv else "")
    print_result(result, load_attacks(ATTACKS_DIR))
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if result.grades_lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
