"""What the verdict checks change for honest students: grades, flags and grading time.

Every answer variant of lecture 1 (in calibration/: correct ones and wrong ones, none of them an
attack) is handed in by its own student and autograded twice in the same run: with the
course's autograde steps, and with the verdict checks taken out (stock nbgrader's verdicts).
Prints the cell scores that differ between the two (expected: none), the students flagged
(expected: none), correct variants without full marks (expected: none) and the wall time of
each run with their ratio (noisy on a shared machine: the ratio is the figure).

    python benchmarks/verdict_checks.py [--correct-only] [--workers N] [--stock-first]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
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


def hand_in_variants(course: Course, correct_only: bool) -> dict[str, tuple[str, bool, float]]:
    """student_id -> (notebook_id, correct, full marks) for one student per variant."""
    folder = REPO_ROOT / "calibration" / ASSIGNMENT / "variants"
    students = {}
    for notebook_id in variant_notebook_ids(folder):
        variants = load_variant_set(folder, notebook_id)
        source = read_notebook(REPO_ROOT / "source" / ASSIGNMENT / f"{notebook_id}.ipynb")
        release = read_notebook(course.release_dir(ASSIGNMENT) / f"{notebook_id}.ipynb")
        chosen = variants.correct if correct_only else variants.all
        for variant in chosen:
            answers = cohort.solution_answers(source) | dict(variant.answers)
            if not variant.keep_unscored:
                answers |= {g: "pass" for g in variants.unscored if g not in variant.answers}
            name = re.sub(r"[^a-z0-9]+", "_", f"{notebook_id}_{variant.name}".lower())[:80]
            notebook = cohort.fill_release(release, answers)
            cohort.write_submission(course, ASSIGNMENT, name, {notebook_id: notebook})
            full = sum(autograded_test_points(source).values())
            students[name] = (notebook_id, variant in variants.correct, full)
    return students


def cell_scores(report: AutogradeReport) -> dict[tuple[str, str, str], float]:
    return {
        (o.student_id, s.notebook_id, c.grade_id): c.score
        for o in report.outcomes
        for s in o.scores
        for c in s.cells
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--correct-only", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stock-first", action="store_true", help="run the stock verdicts first")
    args = parser.parse_args()
    spec = ExecutorSpec(name="local", workers=args.workers)
    with tempfile.TemporaryDirectory() as scratch:
        runs, seconds = {}, {}
        order = [("checked", True), ("stock", False)]
        for label, with_checks in reversed(order) if args.stock_first else order:
            course = make_course(Path(scratch) / label, with_checks)
            students = hand_in_variants(course, args.correct_only)
            start = time.perf_counter()
            runs[label] = autograde_assignment(course, ASSIGNMENT, executor=spec)
            seconds[label] = time.perf_counter() - start
    checked, stock = cell_scores(runs["checked"]), cell_scores(runs["stock"])
    differ = sorted(
        key for key in checked.keys() | stock.keys() if checked.get(key) != stock.get(key)
    )
    flagged = [o for o in runs["checked"].outcomes if o.suspicions]
    short = [
        o.student_id
        for o in runs["checked"].outcomes
        if students[o.student_id][1]
        and sum(s.auto_score for s in o.scores) != students[o.student_id][2]
    ]
    for key in differ:
        print(f"DIFFERS {key}: checked {checked.get(key)} stock {stock.get(key)}")
    for outcome in flagged:
        print(f"FLAGGED {outcome.student_id}: {[s.detail for s in outcome.suspicions]}")
    correct = sum(correct for _, correct, _ in students.values())
    print(
        f"{len(students)} variants ({correct} correct): {len(differ)} cell scores differ from "
        f"stock verdicts, {len(flagged)} students flagged, {len(short)} correct without full marks"
    )
    print(
        f"autograde wall time on {args.workers} workers: checked {seconds['checked']:.0f} s, "
        f"stock {seconds['stock']:.0f} s, ratio {seconds['checked'] / seconds['stock']:.2f}"
    )


if __name__ == "__main__":
    main()
