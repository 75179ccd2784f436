"""A feedback step that keeps hidden tests hidden where nbgrader's ClearHiddenTests cannot."""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Unicode

from coursekit import cells


class HideHiddenTestTracebacks(Preprocessor):
    """Shorten the error output of grade cells with hidden tests to 'ename: evalue'.

    ClearHiddenTests removes the hidden region from a cell's source, but IPython's traceback
    quotes the failing line with its neighbours, so a failing hidden assert would still show.
    Runs before ClearHiddenTests, which removes the markers this step looks for.
    """

    enabled = Bool(True, help="Whether to shorten the tracebacks.").tag(config=True)
    begin_test_delimeter = Unicode(
        cells.BEGIN_HIDDEN_TESTS, help="The marker of a hidden test region (as ClearHiddenTests)."
    ).tag(config=True)
    notice = Unicode(
        "(traceback hidden: it would quote the hidden tests)",
        help="Appended to a shortened traceback.",
    ).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Shorten the tracebacks of one grade cell that holds hidden tests."""
        if cells.is_grade(cell) and self.begin_test_delimeter in cells.cell_source(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.ename}: {output.evalue}", self.notice]
        return cell, resources
