"""coursekit.verdicts of 0.1 (and coursekit.integrity.verdicts): the verdict checks, now split
into arming (coursekit.integrity.verdict_arming), judging (coursekit.integrity.verdict_judging)
and the two autograde steps (coursekit.steps.verdicts). The kernel-side probe code lives in
coursekit.integrity.in_kernel (provenance.py, rigged.py)."""

from coursekit.integrity.verdict_arming import (  # noqa: F401
    MARKER,
    MARKER_LINE,
    MARKER_PREFIX,
    SECURE,
    VERDICTS_KEY,
    Armed,
    ArmedCell,
    Probe,
    arm_notebook,
    armed_source,
    byte_offset_to_index,
    completion_check,
    must_fail,
    new_marker,
    probe_cell_source,
    probe_sources,
    provenance_check,
    random_floats,
    rigged_check,
    split_last_expression,
    uses_numpy,
)
from coursekit.integrity.verdict_judging import (  # noqa: F401
    VERDICT_ERROR,
    Finding,
    autograded_suspicions,
    check_notebook,
    decisive_output,
    distrust_reasons,
    notebook_suspicions,
    probe_failure,
    stdout_text,
    strip_markers,
    verdict_error,
)
from coursekit.steps.verdicts import RESOURCES_KEY, ArmVerdictChecks, CheckVerdicts  # noqa: F401
