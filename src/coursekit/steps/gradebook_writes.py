"""How autograde writes the gradebook: one transaction per notebook, a TA's grade kept unless the
answer it graded changed, and a student's submission saved and put back as it was.

nbgrader 0.9.6's SaveAutoGrades commits after every grade cell (a grader killed between two
cells leaves half a notebook's grades) and sets needs_manual_grade whenever a manual_score
exists, so every re-run flags again every written answer a TA already graded.

When a graded cell is flagged again (needs_manual_grade = True although a TA has graded it):
when what the TA graded may have changed since, that is, when the cell's fingerprint differs
from the one stored by the autograde before:
- a written answer (a grade cell that is also a solution cell): its type and source;
- an autograder test (a grade cell that is not a solution): its own source, the source of every
  solution cell of the notebook (the student code the test exercises) and its auto_score (a TA
  who overrode a test's result must look again if the test now says something else).
Outputs are left out: they differ between runs (timings, addresses) without the answer changing.
A TA-graded cell without a stored fingerprint (graded before this class wrote any, or by a stock
run since) is flagged, as nbgrader does: nothing proves it unchanged. The fingerprints live in
their own table of the gradebook (coursekit_graded_answer), written in the notebook's
transaction; nbgrader and its formgrader never read it. A cell without a manual_score is flagged
exactly as nbgrader flags it: when the autograder cannot score it, or when the verdict checks
hold the test for review (coursekit.integrity.verdict_judging: it counts 0 until a TA grades it).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from coursekit.integrity.verdict_judging import held_for_review
from coursekit.nbgrader.answer_fingerprints import FINGERPRINTS, create_fingerprint_table


def answer_fingerprints(nb: NotebookNode) -> dict[str, str]:
    """grade_id -> fingerprint of what each grade cell's grade depends on (module docstring)."""
    solutions = [
        [cell.cell_type, cell.source] for cell in nb.cells if nbgrader_utils.is_solution(cell)
    ]
    fingerprints = {}
    for cell in nb.cells:
        if not nbgrader_utils.is_grade(cell):
            continue
        if nbgrader_utils.is_solution(cell):
            basis: Any = {"answer": [cell.cell_type, cell.source]}
        else:
            auto_score, _ = nbgrader_utils.determine_grade(cell)
            basis = {"test": cell.source, "answers": solutions, "auto_score": auto_score}
        text = json.dumps(basis, sort_keys=True, ensure_ascii=False)
        fingerprints[cell.metadata.nbgrader.grade_id] = hashlib.sha256(text.encode()).hexdigest()
    return fingerprints


def needs_manual_grade(
    auto_score: float | None,
    manual_score: float | None,
    flagged_now: bool,
    fingerprint: str,
    stored: str | None,
) -> bool:
    """Whether a grade cell needs a TA after this autograde (the rule in the module docstring)."""
    if manual_score is None:
        return auto_score is None
    if stored is not None and stored == fingerprint:
        return flagged_now  # nothing the TA graded changed: the TA's verdict stands
    return True


class SaveAutoGradesPerNotebook(SaveAutoGrades):
    """SaveAutoGrades that commits a notebook's grades at once and keeps TA grades unflagged."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Write the notebook's grades and comments in one transaction (all or none)."""
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.fingerprints = answer_fingerprints(nb)
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            create_fingerprint_table(self.gradebook.engine)
            self.stored = self._stored_fingerprints()
            try:
                # NbGraderPreprocessor's loop over the cells, without SaveAutoGrades' per-cell
                # commits (the overrides below do not commit).
                nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
                self._write_fingerprints()
                self.gradebook.db.commit()
            except BaseException:
                self.gradebook.db.rollback()
                raise
        return nb, resources

    def _stored_fingerprints(self) -> dict[str, str]:
        rows = self.gradebook.db.execute(
            sa.select(FINGERPRINTS.c.grade_id, FINGERPRINTS.c.fingerprint).where(
                *self._this_notebook()
            )
        )
        return {grade_id: fingerprint for grade_id, fingerprint in rows}

    def _this_notebook(self) -> list[sa.ColumnElement[bool]]:
        return [
            FINGERPRINTS.c.assignment == self.assignment_id,
            FINGERPRINTS.c.student == self.student_id,
            FINGERPRINTS.c.notebook == self.notebook_id,
        ]

    def _write_fingerprints(self) -> None:
        self.gradebook.db.execute(sa.delete(FINGERPRINTS).where(*self._this_notebook()))
        rows = [
            {
                "assignment": self.assignment_id,
                "student": self.student_id,
                "notebook": self.notebook_id,
                "grade_id": grade_id,
                "fingerprint": fingerprint,
            }
            for grade_id, fingerprint in self.fingerprints.items()
        ]
        if rows:
            self.gradebook.db.execute(sa.insert(FINGERPRINTS), rows)

    def _add_score(self, cell: NotebookNode, resources: ResourcesDict) -> None:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(
            grade_id, self.notebook_id, self.assignment_id, self.student_id
        )
        auto_score, _ = nbgrader_utils.determine_grade(cell, self.log)
        grade.auto_score = auto_score
        flagged = needs_manual_grade(
            auto_score,
            grade.manual_score,
            bool(grade.needs_manual_grade),
            self.fingerprints[grade_id],
            self.stored.get(grade_id),
        )
        # A test the verdict checks hold for review waits for a TA like a written answer;
        # once a TA has graded it, the rule above keeps the TA's grade as for any cell.
        under_review = held_for_review(cell) is not None and grade.manual_score is None
        grade.needs_manual_grade = flagged or under_review

    def _add_comment(self, cell: NotebookNode, resources: ResourcesDict) -> None:
        comment = self.gradebook.find_comment(
            cell.metadata["nbgrader"]["grade_id"],
            self.notebook_id,
            self.assignment_id,
            self.student_id,
        )
        unanswered = cell.metadata.nbgrader.get(
            "checksum", None
        ) == nbgrader_utils.compute_checksum(cell) and not nbgrader_utils.is_task(cell)
        comment.auto_comment = "No response." if unanswered else None
