"""The adversarial suite's checks: what grading did with each attack, read from trusted places.

Everything here is read after the run, in the test process, from what the grader wrote: the
gradebook (nbgrader's own API), the autograded notebooks and folders, the feedback, the report's
flags, the run's report and output, the processes still running, the listener's connections.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psutil

from coursekit.core.course import Course
from coursekit.nbgrader import api as nbgrader_api
from coursekit.reporting.feedback import generate_feedback
from coursekit.reporting.report import build_report
from helpers.adversarial_course import ASSIGNMENT, HONEST, NOTEBOOK, Attack, Context, source_points

MB = 2**20
# Where each secret must not turn up. The hidden tests are legitimately in the autograded
# notebook (nbgrader restores them there) and in the gradebook, a bystander's name in the
# gradebook: those secrets are looked for in what the student's code produced instead.
SECRET_PLACES = {
    "hidden_tests": ("outputs", "files", "feedback", "report"),
    "other_student": ("notebook", "files", "feedback", "report", "gradebook"),
    "gradebook": ("notebook", "files", "feedback", "report"),
}


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Everything the checks read, gathered once after the run."""

    course: Course
    context: Context
    outcomes: Mapping[str, Mapping[str, Any]]
    points: Mapping[str, float]
    output: str
    connections: tuple[bytes, ...]
    flags: Mapping[str, tuple[str, ...]]
    leftovers: Mapping[str, tuple[str, ...]]
    gradebook_students: frozenset[str]
    exit_code: int = 0

    @classmethod
    def gather(
        cls,
        course: Course,
        report: Mapping[str, Any],
        output: str,
        connections: list[bytes],
        context: Context,
        feedback_for: list[str],
    ) -> Evidence:
        """Read the run's results; first write feedback for these students (secret keepers)."""
        outcomes = {o["student_id"]: o for o in report.get("outcomes", [])}
        graded = [sid for sid in feedback_for if course.autograded_dir(ASSIGNMENT, sid).is_dir()]
        generate_feedback(course, ASSIGNMENT, graded)
        return cls(
            course=course,
            context=context,
            outcomes=outcomes,
            points=source_points(course),
            output=output,
            connections=tuple(connections),
            flags=read_flags(course, outcomes),
            leftovers=attribute_leftovers(course.root, context),
            gradebook_students=frozenset(s.student_id for s in nbgrader_api.read_students(course)),
        )

    def scores(self, student_id: str) -> dict[str, tuple[float, float]]:
        """grade_id -> (score, max_score) in the gradebook now, for one student."""
        return {
            cell.grade_id: (cell.score, cell.max_score)
            for notebook in nbgrader_api.read_scores(self.course, ASSIGNMENT, student_id)
            for cell in notebook.cells
        }

    def autograded_notebook(self, student_id: str) -> Path:
        """Where the student's autograded notebook is (or would be)."""
        return self.course.autograded_dir(ASSIGNMENT, student_id) / f"{NOTEBOOK}.ipynb"

    def outputs_text(self, student_id: str) -> str:
        """Every output of the student's autograded notebook, as JSON text ('' if none)."""
        path = self.autograded_notebook(student_id)
        if not path.is_file():
            return ""
        nb = json.loads(path.read_text(errors="replace"))
        return json.dumps([c.get("outputs", []) for c in nb.get("cells", [])], ensure_ascii=False)

    def outcome_text(self, student_id: str) -> str:
        """The student's outcome as the run reported it (reason, problems, flags, log tail)."""
        return json.dumps(self.outcomes.get(student_id, {}), ensure_ascii=False)

    def reasons_text(self, student_id: str) -> str:
        """What the run said about the student: reason, problems, crashes, log tail, outputs.

        Not the outcome's ids: a reason must not be found in the student's own name.
        """
        outcome = self.outcomes.get(student_id, {})
        said = [outcome.get("reason", ""), outcome.get("log_tail", "")]
        said += [p.get("reason", "") for p in outcome.get("problems", ())]
        said += [c.get("reason", "") for c in outcome.get("crashes", ()) or ()]
        return "\n".join([*said, self.outputs_text(student_id)])

    def place_text(self, student_id: str, place: str) -> bytes:
        """The bytes of one place a secret must not reach."""
        autograded = self.course.autograded_dir(ASSIGNMENT, student_id)
        if place == "notebook":
            path = self.autograded_notebook(student_id)
            return path.read_bytes() if path.is_file() else b""
        if place == "outputs":
            return self.outputs_text(student_id).encode()
        if place == "files":
            return b"".join(
                read_head(p)
                for p in files_under(autograded)
                if p != self.autograded_notebook(student_id)
            )
        if place == "feedback":
            folder = self.course.feedback_dir(ASSIGNMENT, student_id)
            return b"".join(read_head(p) for p in files_under(folder))
        if place == "report":
            return (self.outcome_text(student_id) + "\n".join(self.flags[student_id])).encode()
        if place == "gradebook":
            return b"".join(read_head(p) for p in files_under(self.course.root / "gradebook"))
        raise ValueError(f"unknown place {place!r}")


def files_under(folder: Path) -> list[Path]:
    """Every regular file below folder (symlinks not followed)."""
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]


def read_head(path: Path, limit: int = 256 * MB) -> bytes:
    """A file's first bytes (a filled disk is not read whole)."""
    with path.open("rb") as handle:
        return handle.read(limit)


def read_flags(course: Course, outcomes: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple]:
    """student_id -> "kind: detail" of every flag for a TA: the report's and the run's own."""
    found: dict[str, list[str]] = {sid: [] for sid in outcomes}
    for flag in build_report(course, ASSIGNMENT).flags:
        found.setdefault(flag.student_id, []).append(f"{flag.kind.value}: {flag.detail}")
    for student_id, outcome in outcomes.items():
        # What the run itself flagged: suspicious code, untrusted verdicts, crashed cells.
        for key in ("suspicions", "crashes", "flags"):
            for item in outcome.get(key, ()) or ():
                text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
                found[student_id].append(f"{key}: {text}")
    return {sid: tuple(texts) for sid, texts in found.items()}


def leftover_processes(course_root: Path, context: Context) -> list[psutil.Process]:
    """Processes still running that the cohort's code started (cwd in the course, or tagged)."""
    found = []
    root = str(course_root)
    for process in psutil.process_iter():
        try:
            cwd = process.cwd()
            cmdline = " ".join(process.cmdline())
        except (psutil.Error, OSError):
            continue
        if cwd.startswith(root) or context.token in cmdline:
            found.append(process)
    return found


def attribute_leftovers(course_root: Path, context: Context) -> dict[str, tuple[str, ...]]:
    """student_id (or '?') -> 'pid cmdline (cwd)' of each process left running."""
    found: dict[str, list[str]] = {}
    autograded = str(course_root / "autograded") + "/"
    for process in leftover_processes(course_root, context):
        try:
            cwd, cmdline = process.cwd(), " ".join(process.cmdline())
        except (psutil.Error, OSError):
            continue
        owner = "?"
        if cwd.startswith(autograded):
            owner = cwd.removeprefix(autograded).split("/")[0]
        match = re.search(rf"adv-{context.token}-(\S+)", cmdline)
        if match:
            owner = match.group(1)
        found.setdefault(owner, []).append(f"{process.pid} {cmdline[:80]!r} (cwd {cwd})")
    return {owner: tuple(lines) for owner, lines in found.items()}


def check_attack(attack: Attack, evidence: Evidence) -> Iterator[str]:
    """Each way grading did not do what the attack's expected.json says ('' when contained)."""
    expect = attack.expect
    student_id = attack.student_id
    outcome = evidence.outcomes.get(student_id)
    if outcome is None:
        yield f"no outcome for {student_id!r}: the run ended before it (exit {evidence.exit_code})"
        return
    if outcome["status"] != expect["status"]:
        yield f"status {outcome['status']} (expected {expect['status']}): {outcome['reason']}"
    elif expect["status"] == "graded":
        yield from check_cells(student_id, expect.get("cells", {}), evidence)
    elif expect["status"] == "rejected":
        if evidence.scores(student_id):
            yield "a rejected first submission has rows in the gradebook"
        if evidence.course.autograded_dir(ASSIGNMENT, student_id).exists():
            yield "a rejected submission has an autograded folder"
    said = evidence.reasons_text(student_id)
    for pattern in expect.get("reasons", []):
        if not re.search(pattern, said):
            yield f"no reason matching {pattern!r} in the outcome or the notebook's outputs"
    flags = evidence.flags.get(student_id, ())
    for pattern in expect.get("flags", []):
        if not any(re.search(pattern, flag) for flag in flags):
            yield f"no flag matching {pattern!r} (flags: {list(flags) or 'none'})"
    yield from left_running(
        evidence.leftovers.get(student_id, ()) + evidence.leftovers.get(attack.name, ())
    )
    for invariant in expect.get("invariants", []):
        yield from check_invariant(attack, invariant, evidence)


def left_running(processes: tuple[str, ...]) -> Iterator[str]:
    """One failure naming how many processes were left running, and the first few."""
    if processes:
        shown = "; ".join(processes[:3])
        yield f"{len(processes)} processes left running after the run, e.g. {shown}"


def check_cells(student_id: str, expected: Mapping[str, str], evidence: Evidence) -> Iterator[str]:
    """Each test cell's score is its points ("full") or 0 ("zero"); its max is its points."""
    scores = evidence.scores(student_id)
    for grade_id, points in evidence.points.items():
        if grade_id not in scores and grade_id in expected:
            yield f"{grade_id}: not in the gradebook"
        if grade_id not in scores:
            continue
        score, max_score = scores[grade_id]
        if max_score != points:
            yield f"{grade_id}: max score {max_score}, but the notebook gives it {points} points"
        want = expected.get(grade_id)
        if want is None:
            continue
        target = points if want == "full" else 0.0
        if score != target:
            yield f"{grade_id}: scored {score}, expected {want} ({target})"


def reveals(text: bytes, secret: str) -> bool:
    """Whether text holds the secret as written, reversed or hex-encoded: a student's code
    that leaks a hidden test encodes it so that no line quotes it as written."""
    forms = (secret, secret[::-1], secret.encode().hex())
    return any(form.encode() in text or form.upper().encode() in text for form in forms)


def check_invariant(attack: Attack, invariant: Mapping[str, Any], evidence: Evidence):
    """One invariant of the attack's expected.json."""
    (kind, value), *_ = invariant.items()
    student_id = attack.student_id
    root = evidence.course.root
    if kind == "secret_absent":
        for place in SECRET_PLACES[value]:
            if reveals(evidence.place_text(student_id, place), evidence.context.secrets[value]):
                yield f"the {value} secret reached the student's {place}"
    elif kind == "secret_absent_from_feedback":
        # For secrets the instructor may see in the autograded notebook, never the student.
        if reveals(evidence.place_text(student_id, "feedback"), evidence.context.secrets[value]):
            yield f"the {value} secret reached the student's feedback"
    elif kind == "not_created":
        path = expand(evidence.context.fill(value, attack.name), root)
        if path.exists() or path.is_symlink():
            yield f"{path} was created"
            path.unlink(missing_ok=True)  # markers outside the course are removed
    elif kind == "config_unchanged":
        if (root / "nbgrader_config.py").read_text() != evidence.context.config_text:
            yield "nbgrader_config.py was changed"
    elif kind == "max_file_mb":
        # The course tree, and what the attacks name with the run's token in the shared /tmp.
        for path in files_under(root) + sorted(Path("/tmp").glob(f"*{evidence.context.token}*")):
            if path.is_file() and path.stat().st_size > value * MB:
                yield f"{path} grew to {path.stat().st_size // MB} MB (cap {value} MB)"
    elif kind == "autograded_max_mb":
        path = evidence.autograded_notebook(student_id)
        if path.is_file() and path.stat().st_size > value * MB:
            yield f"the autograded notebook holds {path.stat().st_size // MB} MB (cap {value})"
    elif kind == "no_connection":
        if evidence.connections:
            yield f"the listener on 127.0.0.1 was reached: {evidence.connections!r}"
    elif kind == "gradebook_students":
        expected = set(evidence.outcomes) - {
            s for s, o in evidence.outcomes.items() if o["status"] == "rejected"
        }
        extra = evidence.gradebook_students - expected - {"bystander"}
        if extra:
            yield f"the gradebook gained students no one submitted as: {sorted(extra)}"
    else:
        raise ValueError(f"{attack.name}: unknown invariant {kind!r}")


def expand(text: str, root: Path) -> Path:
    """A path of an invariant: ~ is the home folder, relative paths are in the course."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else root / path


def check_honest(student_id: str, evidence: Evidence) -> Iterator[str]:
    """An honest student has exactly the points their answers earn, and an autograded notebook."""
    outcome = evidence.outcomes.get(student_id)
    if outcome is None or outcome["status"] != "graded":
        yield f"not graded: {outcome and outcome['reason']}"
        return
    expected = {gid: ("zero" if gid in HONEST[student_id] else "full") for gid in evidence.points}
    yield from check_cells(student_id, expected, evidence)
    if not evidence.autograded_notebook(student_id).is_file():
        yield "no autograded notebook"
    yield from left_running(evidence.leftovers.get(student_id, ()))
