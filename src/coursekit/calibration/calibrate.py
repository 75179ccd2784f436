"""`course calibrate`: each notebook's tolerance calibration and its answer variants, checked.

For every notebook of an assignment, the course's calibration spec
`calibration/<assignment_id>/<notebook_id>.py` (coursekit.calibration.specs) measures what
correct answers reach over K seeds; every named tolerance (`*_TOL`) of an autograded test cell
must appear in its rows. Then the notebook's variants
(`calibration/<assignment_id>/variants/<notebook_id>.py`) run in real kernels and are scored as
autograde scores them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat

from coursekit.calibration.specs import run_spec, spec_path
from coursekit.calibration.tolerances import tolerance_names
from coursekit.calibration.types import (
    CalibrationReport,
    NotebookCalibration,
    ToleranceCalibration,
    VariantOutcome,
)
from coursekit.calibration.variants import load_variant_set, run_variants, variants_dir
from coursekit.core.course import Course
from coursekit.core.errors import CourseError

Progress = Callable[[str], None]


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
    folder = variants_dir(course.root, assignment_id)
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
    source_dir = course.source_dir(assignment_id)
    nb = nbformat.read(source_dir / f"{notebook_id}.ipynb", as_version=4)
    spec = spec_path(course.root, assignment_id, notebook_id)
    if spec is not None:
        progress(f"{notebook_id}: calibrating with {spec.relative_to(course.root)}")
    result = run_spec(course.root, assignment_id, notebook_id, seeds, source_dir=source_dir)
    rows = result.measured.rows if result else ()
    outcomes = check_variants(course, assignment_id, notebook_id, progress) if variants else ()
    return NotebookCalibration(
        notebook_id=notebook_id,
        script=str(spec.relative_to(course.root)) if spec else None,
        seeds=result.seeds if result else None,
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
    """Calibrate every notebook of an assignment (or one); seeds None: each spec's default."""
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
