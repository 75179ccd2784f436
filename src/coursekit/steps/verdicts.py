"""The verdict checks as two autograde steps around nbgrader's Execute
(c.Autograde.autograde_preprocessors in nbgrader_config.py): a test counts only if it provably
ran to its end and the comparisons it relies on still work.

`ArmVerdictChecks`, before Execute, arms the copy autograde executes
(coursekit.integrity.verdict_arming); `CheckVerdicts`, after it, zeroes the tests whose verdict
cannot be trusted, restores the tests' sources and records what it found
(coursekit.integrity.verdict_judging). The markers and probe answers pass from one to the other
in this process only (nbconvert's resources). docs/verdicts.md says what this guarantees.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from coursekit.integrity.verdict_arming import arm_notebook
from coursekit.integrity.verdict_judging import check_notebook

RESOURCES_KEY = "coursekit_verdicts"  # where ArmVerdictChecks leaves its secrets for the check


class ArmVerdictChecks(NbGraderPreprocessor):
    """Autograde step before Execute: completion checks in test cells, probes after them."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        """Arm the notebook autograde is about to execute."""
        armed_nb, armed = arm_notebook(nb)
        resources[RESOURCES_KEY] = armed
        return armed_nb, resources


class CheckVerdicts(NbGraderPreprocessor):
    """Autograde step after Execute: zero the tests whose verdict cannot be trusted."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        """Judge, restore and record the executed notebook (nothing to do if it was not armed)."""
        armed = resources.pop(RESOURCES_KEY, None)
        if armed is None:
            return nb, resources
        for finding in check_notebook(nb, armed):
            where = f"cell {finding.cell} ({finding.grade_id})" if finding.cell else "notebook"
            self.log.warning("Verdict check, %s: %s", where, finding.detail)
        return nb, resources
