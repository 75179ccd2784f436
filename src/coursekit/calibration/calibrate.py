"""`course calibrate`: each notebook's tolerance calibration and its answer variants, checked.

For every notebook of an assignment, the course's `benchmarks/calibrate_<notebook_id>.py`
(found by name) measures what correct answers reach over K seeds; every named tolerance
(`*_TOL`) of an autograded test cell must appear in its rows. Then the notebook's variants
(`tests/variants/<notebook_id>.py`) run in real kernels and are scored as autograde scores them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat

from coursekit.calibration.tolerances import tolerance_names
from coursekit.calibration.types import (
    CalibrationReport,
    NotebookCalibration,
    ToleranceCalibration,
    VariantOutcome,
)
from coursekit.calibration.variants import import_file, load_variant_set, run_variants, variants_dir
from coursekit.core.course import Course
from coursekit.core.errors import CourseError

BENCHMARKS_FOLDER = Path("benchmarks")  # relative to the course root
SCRIPT_PREFIX = "calibrate_"

Progress = Callable[[str], None]


def calibration_script(course: Course, notebook_id: str) -> Path | None:
    """The course's calibration script for a notebook, None if it has none.

    `benchmarks/calibrate_<notebook_id>.py`, or else the longest `calibrate_<prefix>.py` whose
    prefix is the notebook id cut at an underscore (exercise_1_2 for
    exercise_1_2_linear_regression): the hidden tests may name the script in their comments.
    """
    folder = course.root / BENCHMARKS_FOLDER
    parts = notebook_id.split("_")
    for end in range(len(parts), 0, -1):
        path = folder / f"{SCRIPT_PREFIX}{'_'.join(parts[:end])}.py"
        if path.is_file():
            return path
    return None


def run_calibration_script(path: Path, seeds: int | None) -> tuple[int, list[ToleranceCalibration]]:
    """Import a calibration script and call its calibrate(); (the seeds used, its rows)."""
    module = import_file(path, f"coursekit_calibration_{path.stem}")
    if not callable(getattr(module, "calibrate", None)):
        raise CourseError(f"{path} defines no calibrate(seeds) function returning its rows.")
    used = seeds if seeds is not None else module.DEFAULT_SEEDS
    return used, list(module.calibrate(used))


def uncovered_tolerances(
    nb: nbformat.NotebookNode, rows: Sequence[ToleranceCalibration]
) -> tuple[str, ...]:
    """`grade_id: NAME` of every tolerance of an autograded test that no row calibrates."""
    covered = {row.tolerance for row in rows}
    return tuple(
        f"{grade_id}: {name}"
        for name, grade_id in tolerance_names(nb).items()
        if name not in covered
    )


def check_variants(
    course: Course, assignment_id: str, notebook_id: str, progress: Progress
) -> tuple[VariantOutcome, ...]:
    """Run the notebook's answer variants, if the course has any for it."""
    folder = variants_dir(course)
    if not (folder / f"{notebook_id}.py").is_file():
        return ()
    variant_set = load_variant_set(folder, notebook_id)
    progress(f"{notebook_id}: running {len(variant_set.all)} answer variants")
    with tempfile.TemporaryDirectory(prefix=f"variants-{notebook_id}-") as workdir:
        return run_variants(course, assignment_id, variant_set, Path(workdir))


def calibrate_notebook(
    course: Course,
    assignment_id: str,
    notebook_id: str,
    seeds: int | None,
    variants: bool,
    progress: Progress,
) -> NotebookCalibration:
    """One notebook: its calibration rows, the tolerances they miss, and its variants."""
    start = time.perf_counter()
    nb = nbformat.read(course.source_dir(assignment_id) / f"{notebook_id}.ipynb", as_version=4)
    script = calibration_script(course, notebook_id)
    used, rows = None, []
    if script is not None:
        progress(f"{notebook_id}: calibrating with {script.relative_to(course.root)}")
        used, rows = run_calibration_script(script, seeds)
    outcomes = check_variants(course, assignment_id, notebook_id, progress) if variants else ()
    return NotebookCalibration(
        notebook_id=notebook_id,
        script=str(script.relative_to(course.root)) if script else None,
        seeds=used,
        rows=tuple(rows),
        uncovered=uncovered_tolerances(nb, rows),
        variants=outcomes,
        seconds=time.perf_counter() - start,
    )


def calibrate_assignment(
    course: Course,
    assignment_id: str,
    seeds: int | None = None,
    notebook_id: str | None = None,
    variants: bool = True,
    progress: Progress | None = None,
) -> CalibrationReport:
    """Calibrate every notebook of an assignment (or one); seeds None: each script's default."""
    notebook_ids = course.notebook_ids(assignment_id)
    if notebook_id is not None:
        if notebook_id not in notebook_ids:
            raise CourseError(
                f"No notebook {notebook_id!r} in {assignment_id}: it has {', '.join(notebook_ids)}."
            )
        notebook_ids = [notebook_id]
    if seeds is not None and seeds < 1:
        raise CourseError(f"--seeds must be at least 1, not {seeds}.")
    report = progress or (lambda message: None)
    return CalibrationReport(
        assignment_id,
        tuple(
            calibrate_notebook(course, assignment_id, nid, seeds, variants, report)
            for nid in notebook_ids
        ),
    )
