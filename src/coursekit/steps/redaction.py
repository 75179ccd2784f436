"""A feedback step that keeps hidden tests hidden where nbgrader's ClearHiddenTests cannot."""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Unicode

from coursekit.core import cells

# Hidden lines shorter than this are not looked for in outputs: `else:` or `)` would match
# nearly any text, and say nothing of a test.
MIN_QUOTED_LINE = 12
# The text fields of outputs a student reads in the feedback.
TEXT_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex")


class HideHiddenTestTracebacks(Preprocessor):
    """Keep the hidden tests out of every output the feedback shows.

    ClearHiddenTests removes the hidden region from a cell's source, but outputs can quote it:
    IPython's traceback shows the failing line with its neighbours (shortened here to
    'ename: evalue' in grade cells with hidden tests), and a student's own code can print the
    source of the cells that run after it (an IPython post_run_cell hook sees each cell's
    code): any output line that quotes a hidden line is replaced by a notice. Runs before
    ClearHiddenTests, which removes the markers this step looks for.
    """

    enabled = Bool(True, help="Whether to hide the hidden tests in outputs.").tag(config=True)
    begin_test_delimeter = Unicode(
        cells.BEGIN_HIDDEN_TESTS, help="The marker of a hidden test region (as ClearHiddenTests)."
    ).tag(config=True)
    end_test_delimeter = Unicode(
        cells.END_HIDDEN_TESTS, help="The end of a hidden test region (as ClearHiddenTests)."
    ).tag(config=True)
    notice = Unicode(
        "(traceback hidden: it would quote the hidden tests)",
        help="Appended to a shortened traceback.",
    ).tag(config=True)
    removed = Unicode(
        "(a line quoting the hidden tests was removed)",
        help="Put in place of an output line that quotes a hidden test.",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Shorten the hidden tests' tracebacks, then scrub quoted hidden lines everywhere."""
        self.quoted = hidden_lines(nb, self.begin_test_delimeter, self.end_test_delimeter)
        return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Shorten one grade cell's tracebacks; remove quoted hidden lines from its outputs."""
        if cells.is_grade(cell) and self.begin_test_delimeter in cells.cell_source(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.ename}: {output.evalue}", self.notice]
        for output in cell.get("outputs", []):
            self.scrub(output)
        return cell, resources

    def scrub(self, output: NotebookNode) -> None:
        """Replace each line of an output that quotes a hidden line."""
        if output.get("output_type") == "stream":
            output["text"] = self.scrub_text(_text(output.get("text", "")))
        elif output.get("output_type") == "error":
            output["evalue"] = self.scrub_text(str(output.get("evalue", "")))
            output["traceback"] = [self.scrub_text(line) for line in output.get("traceback", [])]
        for mimetype in TEXT_MIMETYPES:
            data = output.get("data", {})
            if mimetype in data:
                data[mimetype] = self.scrub_text(_text(data[mimetype]))

    def scrub_text(self, text: str) -> str:
        """text with each line that contains a hidden line replaced by the notice."""
        if not self.quoted:
            return text
        return "".join(
            (self.removed + ("\n" if line.endswith("\n") else ""))
            if any(hidden in line for hidden in self.quoted)
            else line
            for line in text.splitlines(keepends=True)
        )


def hidden_lines(nb: NotebookNode, begin: str, end: str) -> frozenset[str]:
    """The stripped lines of the notebook's hidden test regions that no shown source holds."""
    hidden: set[str] = set()
    shown: set[str] = set()
    for index, cell in enumerate(nb.cells):
        source = cells.cell_source(cell)
        if not (cells.is_grade(cell) and begin in source):
            shown.update(line.strip() for line in source.split("\n"))
            continue
        try:
            labelled = cells.label_lines(source, begin, end, where=f"cell {index + 1}")
        except ValueError:  # markers typed into a written answer: no instructor's region
            shown.update(line.strip() for line in source.split("\n"))
            continue
        for label, line in labelled:
            (hidden if label == "inside" else shown).add(line.strip())
    # A line the student also sees (an import, a shared helper call) gives nothing away.
    return frozenset(line for line in hidden - shown if len(line) >= MIN_QUOTED_LINE)


def _text(value: object) -> str:
    """An output's text as one string (notebook JSON may store it as a list of lines)."""
    return "".join(value) if isinstance(value, list) else str(value)
