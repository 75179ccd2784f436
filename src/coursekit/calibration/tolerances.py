"""What every calibration spec shares: reading a notebook's cells and tolerances, running
test code without its asserts, and turning measured values into ToleranceCalibration rows.

A notebook's spec `calibration/<assignment_id>/<notebook_id>.py` measures with these helpers
(see coursekit.calibration.specs); `course calibrate` and `benchmarks/calibrate.py` run it.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import re
from collections.abc import Sequence
from pathlib import Path
from types import CodeType

import nbformat
import numpy as np

from coursekit.authoring.cohort import solution_answers
from coursekit.calibration.types import ToleranceCalibration
from coursekit.core import cells

# A named tolerance in a test cell: `NAME_TOL = <expression>` (RTOL, TOL32 and the like too).
TOLERANCE_LINE = re.compile(r"^[ \t]*([A-Z][A-Z0-9_]*TOL[A-Z0-9_]*)[ \t]*=[ \t]*(.+?)[ \t]*$", re.M)
DEFAULT_SEEDS = 30


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook from disk, as nbformat 4."""
    return nbformat.read(path, as_version=4)


def cell_sources(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> source of every nbgrader cell, solution cells without their markers."""
    sources = {cells.grade_id(cell): cell.source for cell in nb.cells if cells.grade_id(cell)}
    sources.update(solution_answers(nb))
    return sources


def tolerance_names(nb: nbformat.NotebookNode) -> dict[str, str]:
    """tolerance name -> grade_id of the autograded test cell that defines it."""
    return {
        name: cells.grade_id(cell)
        for cell in nb.cells
        if cells.is_autograded_test(cell)
        for name, _ in TOLERANCE_LINE.findall(cell.source)
    }


def tolerance_sources(nb: nbformat.NotebookNode) -> dict[str, str]:
    """tolerance name -> the expression that defines it in an autograded test cell."""
    return {
        name: value
        for cell in nb.cells
        if cells.is_autograded_test(cell)
        for name, value in TOLERANCE_LINE.findall(cell.source)
    }


def tolerances(nb: nbformat.NotebookNode) -> dict[str, float]:
    """The tolerances of the autograded test cells whose value is a plain number (a comment after
    it allowed: `SQRT_TOL = 1e-9  # float64 rounding`)."""
    found = {}
    for name, value in tolerance_sources(nb).items():
        with contextlib.suppress(ValueError):
            found[name] = float(value.split("#")[0])
    return found


class DropAsserts(ast.NodeTransformer):
    """Turn every assert into `pass`, so a test computes all its quantities and never stops."""

    def visit_Assert(self, node: ast.Assert) -> ast.Pass:
        return ast.copy_location(ast.Pass(), node)


def without_asserts(test_source: str) -> CodeType:
    """A test cell's code, hidden part included, compiled without its asserts."""
    tree = DropAsserts().visit(ast.parse(test_source))
    return compile(ast.fix_missing_locations(tree), "<test>", "exec")


def run_quietly(code: str | CodeType, namespace: dict) -> None:
    """Execute one cell's code in `namespace`, keeping what it prints out of the report."""
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, namespace)


def with_seed(setup_source: str, seed: int) -> str:
    """A setup cell with its `SEED = ...` line set to `seed`."""
    return re.sub(r"^SEED = \d+", f"SEED = {seed}", setup_source, flags=re.MULTILINE)


def calibration_row(
    notebook_id: str,
    grade_id: str,
    tolerance: str,
    value: float,
    quantity: str,
    values: Sequence[float],
    wrong: dict[str, Sequence[float]] | None = None,
) -> ToleranceCalibration:
    """A row from the checked quantity of correct runs (and, optionally, of wrong answers)."""
    if not values:
        raise ValueError(f"{notebook_id} {tolerance}: no correct run measured")
    numbers = np.asarray(values, dtype=float)
    closest, closest_name = None, ""
    for name, measured in (wrong or {}).items():
        smallest = float(np.min(measured))
        if closest is None or smallest < closest:
            closest, closest_name = smallest, name
    return ToleranceCalibration(
        notebook_id=notebook_id,
        grade_id=grade_id,
        tolerance=tolerance,
        value=float(value),
        quantity=quantity,
        runs=len(numbers),
        median=float(np.median(numbers)),
        p95=float(np.percentile(numbers, 95)),
        worst=float(np.max(numbers)),
        closest_wrong=closest,
        closest_wrong_name=closest_name,
    )


def describe(values: Sequence[float], fmt: str = ".4g", percentile: int = 95) -> str:
    """min / median / a high percentile / max of a sample, for a script's own report."""
    numbers = np.asarray(values, dtype=float)
    return (
        f"min {numbers.min():{fmt}}  median {np.median(numbers):{fmt}}  "
        f"p{percentile} {np.percentile(numbers, percentile):{fmt}}  max {numbers.max():{fmt}}"
    )


def script_arguments(
    doc: str | None,
    default_seeds: int,
    wrong_seeds: int | None = None,
    seeds_alias: str | None = None,
) -> argparse.Namespace:
    """The command line of a calibration script: --seeds K (or its alias), and --wrong-seeds N
    when the script runs wrong answers over their own number of seeds.

    Kept for one release for per-notebook scripts written against coursekit 0.1; the course's
    own calibration is one script, benchmarks/calibrate.py."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    names = ["--seeds", *([seeds_alias] if seeds_alias else [])]
    parser.add_argument(
        *names, dest="seeds", type=int, default=default_seeds, help=f"default {default_seeds}"
    )
    if wrong_seeds is not None:
        parser.add_argument(
            "--wrong-seeds", type=int, default=wrong_seeds, help="runs per wrong answer"
        )
    return parser.parse_args()
