"""An autograde step that caps each output's characters, where nbgrader caps only lines."""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Integer

# nbgrader's LimitOutput keeps 1000 lines of a cell's streams; one line can still be 30 MB,
# which the graded notebook, the feedback page and the gradebook's readers all carry. 1000
# lines of a wide terminal (about 100 characters) is what nbgrader means to keep: 100 000.
DEFAULT_MAX_CHARACTERS = 100_000
TEXT_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


class LimitOutputCharacters(Preprocessor):
    """Cut every text of every output (streams, results, error messages) to max_characters."""

    # nbconvert's steps are off unless enabled (nbgrader's own are on): this one is meant on.
    enabled = Bool(True, help="Whether to cap the outputs.").tag(config=True)
    max_characters = Integer(
        DEFAULT_MAX_CHARACTERS,
        help="Characters kept of each output text (-1: no limit); the cut is marked.",
    ).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, index: int
    ) -> tuple[NotebookNode, Any]:
        """Cap the outputs of one code cell; only text is cut, no output is removed."""
        # Removing an output could change a grade (nbgrader reads errors and stderr streams);
        # cutting text keeps each output's kind, so scores are the same as uncut.
        if self.max_characters < 0 or cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self.cut(output.get("text", ""))
            elif output.get("output_type") == "error":
                output["evalue"] = self.cut(output.get("evalue", ""))
                output["traceback"] = [self.cut(line) for line in output.get("traceback", [])]
            data = output.get("data", {})
            for mimetype in TEXT_MIMETYPES:
                if isinstance(data.get(mimetype), str | list):
                    data[mimetype] = self.cut(data[mimetype])
        return cell, resources

    def cut(self, value: Any) -> str:
        """value (a string or list of strings) cut to max_characters, with a marked end."""
        text = "".join(value) if isinstance(value, list) else str(value)
        if len(text) <= self.max_characters:
            return text
        left = len(text) - self.max_characters
        return f"{text[: self.max_characters]}\n... Output truncated: {left} more characters ..."
