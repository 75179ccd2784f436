"""What the verdict checks change for honest students: grades, flags and grading time.

Every answer variant of lecture 1 (in calibration/: correct ones and wrong ones, none of them an
attack) is handed in by its own student and autograded twice in the same run: with the
course's autograde steps, and with the verdict checks taken out (stock nbgrader's verdicts).
Prints the cell scores that differ between the two (expected: none), the students flagged
(expected: none), and for each run its false fails (correct variants without full marks) and
false passes (wrong variants that kept the points of a test named in their `loses`), one line
of figures each (expected: none), then the wall time of each run with their ratio (noisy on a
shared machine: the ratio is the figure). `--json` prints the same as one JSON object;
`--notebook ID` (repeatable) hands in only that notebook's variants.

    python benchmarks/verdict_checks.py [--correct-only] [--workers N] [--stock-first]
        [--notebook ID ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from helpers.course import autograded_test_points, read_notebook  # noqa: E402

from coursekit.authoring import cohort  # noqa: E402
from coursekit.calibration.variants import load_variant_set, variant_notebook_ids  # noqa: E402
from coursekit.core.course import Course, locate_course  # noqa: E402
from coursekit.grading.autograde import autograde_assignment  # noqa: E402
from coursekit.grading.types import AutogradeReport  # noqa: E402
from coursekit.grading.workers import ExecutorSpec  # noqa: E402
from coursekit.nbgrader import api as nbgrader_api  # noqa: E402

ASSIGNMENT = "lecture1"
VERDICT_STEPS = (
    "coursekit.steps.verdicts.ArmVerdictChecks",
    "coursekit.steps.verdicts.CheckVerdicts",
)


def make_course(root: Path, with_checks: bool) -> Course:
    """A copy of the lecture's source and config, released, the checks in or out."""
    root.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source", root / "source")
    if not with_checks:
        with (root / "nbgrader_config.py").open("a") as config:
            config.write(
                "\nc.Autograde.autograde_preprocessors = [step for step in "
                f"c.Autograde.autograde_preprocessors if step not in {VERDICT_STEPS!r}]\n"
            )
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, ASSIGNMENT)
    return course


@dataclass(frozen=True)
class HandedIn:
    """One variant handed in by its own student: what it should score."""

    notebook_id: str
    variant: str
    correct: bool
    loses: frozenset[str]
    tests: dict[str, float]  # grade_id -> points of each autograded test of the notebook

    @property
    def label(self) -> str:
        return f"{self.notebook_id}/{self.variant}"


def hand_in_variants(
    course: Course, correct_only: bool, notebook_ids: list[str] | None = None
) -> dict[str, HandedIn]:
    """student_id -> the variant that student handed in, one student per variant."""
    folder = REPO_ROOT / "calibration" / ASSIGNMENT / "variants"
    students = {}
    for notebook_id in notebook_ids or variant_notebook_ids(folder):
        variants = load_variant_set(folder, notebook_id)
        source = read_notebook(REPO_ROOT / "source" / ASSIGNMENT / f"{notebook_id}.ipynb")
        release = read_notebook(course.release_dir(ASSIGNMENT) / f"{notebook_id}.ipynb")
        tests = autograded_test_points(source)
        chosen = variants.correct if correct_only else variants.all
        for variant in chosen:
            answers = cohort.solution_answers(source) | dict(variant.answers)
            if not variant.keep_unscored:
                answers |= {g: "pass" for g in variants.unscored if g not in variant.answers}
            name = re.sub(r"[^a-z0-9]+", "_", f"{notebook_id}_{variant.name}".lower())[:80]
            notebook = cohort.fill_release(release, answers)
            cohort.write_submission(course, ASSIGNMENT, name, {notebook_id: notebook})
            students[name] = HandedIn(
                notebook_id, variant.name, variant in variants.correct, variant.loses, tests
            )
    return students


def cell_scores(report: AutogradeReport) -> dict[tuple[str, str, str], float]:
    return {
        (o.student_id, s.notebook_id, c.grade_id): c.score
        for o in report.outcomes
        for s in o.scores
        for c in s.cells
    }


def autograded_scores(
    report: AutogradeReport, students: dict[str, HandedIn]
) -> dict[str, dict[str, float]]:
    """student_id -> grade_id -> score of each autograded test of the student's notebook.

    A test the gradebook has no score for (the submission was not graded) counts 0.
    """
    scores = cell_scores(report)
    return {
        student_id: {
            grade_id: scores.get((student_id, handed_in.notebook_id, grade_id)) or 0.0
            for grade_id in handed_in.tests
        }
        for student_id, handed_in in students.items()
    }


def false_fails(
    scores: dict[str, dict[str, float]], students: dict[str, HandedIn]
) -> dict[str, dict[str, float]]:
    """Correct variants without full marks: label -> {grade_id: score} of the tests they lost."""
    found = {}
    for student_id, handed_in in students.items():
        short = {
            gid: score for gid, score in scores[student_id].items() if score < handed_in.tests[gid]
        }
        if handed_in.correct and short:
            found[handed_in.label] = short
    return dict(sorted(found.items()))


def false_passes(
    scores: dict[str, dict[str, float]], students: dict[str, HandedIn]
) -> dict[str, dict[str, float]]:
    """Wrong variants that kept points of a test in their `loses`: label -> {grade_id: score}."""
    found = {}
    for student_id, handed_in in students.items():
        kept = {
            gid: scores[student_id].get(gid, 0.0)
            for gid in sorted(handed_in.loses)
            if scores[student_id].get(gid, 0.0) > 0
        }
        if not handed_in.correct and kept:
            found[handed_in.label] = kept
    return dict(sorted(found.items()))


def run_figures(
    report: AutogradeReport, students: dict[str, HandedIn], seconds: float
) -> dict[str, object]:
    """One run's false fails, false passes, flags and wall time, as plain data."""
    scores = autograded_scores(report, students)
    n_correct = sum(h.correct for h in students.values())
    return {
        "seconds": round(seconds, 1),
        "correct": n_correct,
        "wrong": len(students) - n_correct,
        "targeted_tests": sum(len(h.loses) for h in students.values() if not h.correct),
        "false_fails": false_fails(scores, students),
        "false_passes": false_passes(scores, students),
        "flagged": {
            students[o.student_id].label: [s.detail for s in o.suspicions]
            for o in report.outcomes
            if o.suspicions
        },
    }


def named(found: dict[str, dict[str, float]]) -> str:
    return ", ".join(found) or "none"


def print_figures(result: dict) -> None:
    """The benchmark's results for a person: details first, then one line of figures each."""
    for key, (checked, stock) in result["differ"].items():
        print(f"DIFFERS {key}: checked {checked} stock {stock}")
    for label, run in result["runs"].items():
        for name, details in run["flagged"].items():
            print(f"FLAGGED {label} {name}: {details}")
        for kind, heading in (("false_fails", "FALSE FAIL"), ("false_passes", "FALSE PASS")):
            for name, cells in run[kind].items():
                print(f"{heading} {label} {name}: {cells}")
    print(
        f"{result['variants']} variants ({result['correct']} correct, {result['wrong']} wrong): "
        f"{len(result['differ'])} cell scores differ from stock verdicts, "
        f"{len(result['runs']['checked']['flagged'])} students flagged"
    )
    for label, run in result["runs"].items():
        fails, passes = run["false_fails"], run["false_passes"]
        kept = sum(len(cells) for cells in passes.values())
        print(
            f"{label}: FALSE FAILS {len(fails)} of {run['correct']} correct without full marks: "
            f"{named(fails)}"
        )
        print(
            f"{label}: FALSE PASSES {len(passes)} of {run['wrong']} wrong kept the points of "
            f"{kept} of their {run['targeted_tests']} targeted tests: {named(passes)}"
        )
    checked, stock = result["runs"]["checked"]["seconds"], result["runs"]["stock"]["seconds"]
    print(
        f"autograde wall time on {result['workers']} workers: checked {checked:.0f} s, "
        f"stock {stock:.0f} s, ratio {checked / stock:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--correct-only", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stock-first", action="store_true", help="run the stock verdicts first")
    parser.add_argument(
        "--notebook",
        action="append",
        metavar="ID",
        help="hand in only this notebook's variants (repeatable; default: every notebook)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    spec = ExecutorSpec(name="local", workers=args.workers)
    with tempfile.TemporaryDirectory() as scratch:
        runs, seconds = {}, {}
        order = [("checked", True), ("stock", False)]
        for label, with_checks in reversed(order) if args.stock_first else order:
            course = make_course(Path(scratch) / label, with_checks)
            students = hand_in_variants(course, args.correct_only, args.notebook)
            start = time.perf_counter()
            runs[label] = autograde_assignment(course, ASSIGNMENT, executor=spec)
            seconds[label] = time.perf_counter() - start
    checked, stock = cell_scores(runs["checked"]), cell_scores(runs["stock"])
    differ = sorted(
        key for key in checked.keys() | stock.keys() if checked.get(key) != stock.get(key)
    )
    correct = sum(h.correct for h in students.values())
    result = {
        "variants": len(students),
        "correct": correct,
        "wrong": len(students) - correct,
        "notebooks": sorted({h.notebook_id for h in students.values()}),
        "workers": args.workers,
        "differ": {"/".join(key): (checked.get(key), stock.get(key)) for key in differ},
        "runs": {
            label: run_figures(runs[label], students, seconds[label])
            for label in ("checked", "stock")
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_figures(result)


if __name__ == "__main__":
    main()
