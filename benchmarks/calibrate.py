"""Calibrate the tolerances of a notebook's hidden tests against correct and wrong answers.

    .venv/bin/python benchmarks/calibrate.py lecture1 exercise_1_2_linear_regression --seeds 50

The notebook's spec, `calibration/<assignment_id>/<notebook_id>.py`, says what each test compares
with its tolerance and how correct answers and typical mistakes reach it; this runs it over K
seeds (default: the spec's DEFAULT_SEEDS) and prints the rows `course calibrate` checks (the
checked quantity's distribution, the tolerance, the margin, the closest wrong answer), every
mistake's runs with how many the test catches, and the spec's notes. Without a notebook id:
every notebook of the assignment that has a spec. Exit status 1 on a false fail or a tolerance
no row measures. `course calibrate` runs the same specs, then the answer variants in kernels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

from coursekit.calibration.calibrate import uncovered_tolerances
from coursekit.calibration.markdown import render_measured
from coursekit.calibration.specs import SOURCE_FOLDER, run_spec, spec_notebook_ids
from coursekit.calibration.types import NotebookCalibration

COURSE_ROOT = Path(__file__).resolve().parent.parent


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """assignment_id, an optional notebook_id, --seeds K, --wrong-seeds N, --course-dir."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("assignment_id", help="e.g. lecture1")
    parser.add_argument("notebook_id", nargs="?", help="default: every notebook with a spec")
    parser.add_argument("--seeds", type=int, help="runs of the correct answers (spec's default)")
    parser.add_argument(
        "--wrong-seeds", type=int, help="runs per mistake (default: the spec's, at most --seeds)"
    )
    parser.add_argument("--course-dir", type=Path, default=COURSE_ROOT, help="the course root")
    args = parser.parse_args(argv)
    for option in ("seeds", "wrong_seeds"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    return args


def calibrate_notebook(args: argparse.Namespace, notebook_id: str) -> bool:
    """Run one notebook's spec and print its report; True when every tolerance holds."""
    root = args.course_dir.resolve()
    result = run_spec(root, args.assignment_id, notebook_id, args.seeds, args.wrong_seeds)
    if result is None:
        raise SystemExit(
            f"No calibration spec for {notebook_id} in calibration/{args.assignment_id}/."
        )
    nb_path = root / SOURCE_FOLDER / args.assignment_id / f"{notebook_id}.ipynb"
    rows = result.measured.rows
    notebook = NotebookCalibration(
        notebook_id=notebook_id,
        script=str(result.path.relative_to(root)),
        seeds=result.seeds,
        rows=rows,
        uncovered=uncovered_tolerances(nbformat.read(nb_path, as_version=4), rows),
        variants=(),
        seconds=result.seconds,
    )
    print(render_measured(notebook, result.measured))
    print()
    return notebook.ok


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    notebook_ids = [args.notebook_id] if args.notebook_id else None
    if notebook_ids is None:
        notebook_ids = spec_notebook_ids(args.course_dir.resolve(), args.assignment_id)
    results = [calibrate_notebook(args, notebook_id) for notebook_id in notebook_ids]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
