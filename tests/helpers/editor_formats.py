"""How notebook editors save a notebook: fixture builders for the editor-format tests.

Each builder takes a notebook as Jupyter saves it after the student ran it (nbformat 4.5, cell
ids, outputs and execution counts kept) and returns the bytes another editor writes for the
same cells, sources and outputs. What each editor does differently is taken from notebooks
those editors saved (and the issues filed about them); the builders change nothing else.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable
from typing import Any

import nbformat
from nbformat import NotebookNode

Json = dict[str, Any]
EditorFormat = Callable[[NotebookNode], bytes]

LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.2",
}


def saved_json(nb: NotebookNode) -> Json:
    """The JSON Jupyter writes for nb (sources and stream texts as lists of lines)."""
    return json.loads(nbformat.writes(nb))


def dump(data: Json, indent: int, sort_keys: bool, newline_at_end: bool) -> bytes:
    """data as notebook JSON text in UTF-8 (non-ASCII characters unescaped, as every editor)."""
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return (text + "\n" if newline_at_end else text).encode("utf-8")


def stable_token(*parts: object, alphabet: str = string.hexdigits[:16], size: int = 8) -> str:
    """A reproducible pseudo-random token (editors draw theirs at random)."""
    digest = hashlib.shake_256(repr(parts).encode()).digest(size)
    return "".join(alphabet[byte % len(alphabet)] for byte in digest)


def without_cell_ids(data: Json) -> Json:
    """The cells without their top-level ids, which nbformat < 4.5 has no room for."""
    for cell in data["cells"]:
        cell.pop("id", None)
    return data


def jupyter(nb: NotebookNode) -> bytes:
    """JupyterLab / Notebook 7 through jupyter_server: nbformat's own writer, the baseline."""
    return nbformat.writes(nb).encode("utf-8") + b"\n"


def jupyterlab4(nb: NotebookNode) -> bytes:
    """JupyterLab 4 with "Record timing" on: execution timestamps, collapsed outputs, tags."""
    data = saved_json(nb)
    data["metadata"]["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    data["metadata"]["language_info"] = dict(LANGUAGE_INFO)
    for index, cell in enumerate(data["cells"]):
        cell["metadata"].setdefault("tags", [])
        if cell["cell_type"] == "code" and cell["execution_count"] is not None:
            second = f"2026-03-02T10:{index:02d}:"
            cell["metadata"]["execution"] = {
                "iopub.execute_input": f"{second}01.512041Z",
                "iopub.status.busy": f"{second}01.511716Z",
                "iopub.status.idle": f"{second}01.528530Z",
                "shell.execute_reply": f"{second}01.527868Z",
                "shell.execute_reply.started": f"{second}01.511987Z",
            }
        if cell["cell_type"] == "code" and cell["outputs"]:
            # Collapsing an output sets both the old and the new flag.
            cell["metadata"]["collapsed"] = True
            cell["metadata"]["jupyter"] = {"outputs_hidden": True}
    return dump(data, indent=1, sort_keys=True, newline_at_end=True)


def classic_notebook(nb: NotebookNode) -> bytes:
    """Classic Notebook (6.x): nbformat 4.4 without cell ids; code cells marked "trusted"."""
    data = without_cell_ids(saved_json(nb))
    data["nbformat_minor"] = 4
    data["metadata"]["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    data["metadata"]["language_info"] = dict(LANGUAGE_INFO, version="3.8.10")
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            cell["metadata"]["trusted"] = True
    return dump(data, indent=1, sort_keys=True, newline_at_end=True)


def colab_output(output: Json) -> Json:
    """An output as Colab orders its keys: output_type first."""
    return {"output_type": output["output_type"]} | {
        key: value for key, value in output.items() if key != "output_type"
    }


def colab_cell(cell: Json, index: int) -> Json:
    """A cell as Colab writes it: its id inside the metadata, run cells tagged with an outputId."""
    alphabet = string.ascii_letters + string.digits + "_-"
    metadata = {"id": stable_token(cell.get("id"), index, alphabet=alphabet, size=12)}
    if cell["cell_type"] == "code" and cell["outputs"]:
        metadata["colab"] = {"base_uri": "https://localhost:8080/"}
        token = stable_token(index, "output", size=32)
        metadata["outputId"] = "-".join(
            token[start:end] for start, end in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))
        )
    metadata.update(cell["metadata"])
    saved = {"cell_type": cell["cell_type"], "source": cell["source"], "metadata": metadata}
    if cell["cell_type"] == "code":
        saved["execution_count"] = cell["execution_count"]
        saved["outputs"] = [colab_output(output) for output in cell["outputs"]]
    return saved


def colab(nb: NotebookNode) -> bytes:
    """Google Colab: nbformat 4.0, two-space JSON in Colab's key order, its own metadata."""
    data = saved_json(nb)
    saved = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {
            "colab": {"provenance": [], "gpuType": "T4"},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
            "accelerator": "GPU",
        },
        "cells": [colab_cell(cell, index) for index, cell in enumerate(data["cells"])],
    }
    return dump(saved, indent=2, sort_keys=False, newline_at_end=False)


def vscode_json(data: Json) -> bytes:
    """Jupyter's JSON as VS Code saves it: the venv's kernel and the interpreter's hash added."""
    data["metadata"]["kernelspec"] = {
        "display_name": "Python 3.11.2 ('.venv': venv)",
        "language": "python",
        "name": "python3",
    }
    data["metadata"]["language_info"] = dict(LANGUAGE_INFO)
    data["metadata"]["orig_nbformat"] = 4
    data["metadata"]["vscode"] = {"interpreter": {"hash": stable_token("venv", size=64)}}
    return dump(data, indent=1, sort_keys=True, newline_at_end=True)


def vscode(nb: NotebookNode) -> bytes:
    """VS Code's Jupyter extension: the interpreter's hash and the venv in the metadata."""
    return vscode_json(saved_json(nb))


def vscode_windows(nb: NotebookNode) -> bytes:
    """VS Code on Windows with the default `files.eol`: every cell's lines end in CRLF.

    microsoft/vscode-jupyter#4576: once a cell is edited, the saved sources use "\\r\\n"
    (the JSON between them keeps "\\n"), the locked test cells included.
    """
    data = saved_json(nb)
    for cell in data["cells"]:
        cell["source"] = [line.replace("\n", "\r\n") for line in cell["source"]]
    return vscode_json(data)


def windows_checkout(nb: NotebookNode) -> bytes:
    """A notebook handed in from a Windows git checkout (core.autocrlf): CRLF between JSON lines."""
    return jupyter(nb).replace(b"\n", b"\r\n")


def azure_notebooks(nb: NotebookNode) -> bytes:
    """A hosted classic Notebook (Azure Notebooks): each source one string, "trusted" cells.

    Two-space JSON with metadata first, nbformat 4.2 and a kernel named after its Python
    version ("python36"), which no grading machine has: nbgrader puts the release's back.
    """
    data = without_cell_ids(saved_json(nb))
    cells = []
    for cell in data["cells"]:
        metadata = cell["metadata"] | ({"trusted": True} if cell["cell_type"] == "code" else {})
        saved = {"metadata": metadata, "cell_type": cell["cell_type"]}
        saved["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":
            saved["execution_count"] = cell["execution_count"]
            saved["outputs"] = cell["outputs"]
        cells.append(saved)
    saved_nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python36", "display_name": "Python 3.6", "language": "python"},
            "language_info": dict(LANGUAGE_INFO, version="3.6.6"),
        },
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    return dump(saved_nb, indent=2, sort_keys=False, newline_at_end=True)


# The forms a submission arrives in from an editor: each must grade exactly like `jupyter`.
EDITOR_FORMATS: dict[str, EditorFormat] = {
    "jupyterlab4": jupyterlab4,
    "classic_notebook": classic_notebook,
    "colab": colab,
    "vscode": vscode,
    "vscode_windows": vscode_windows,
    "windows_checkout": windows_checkout,
    "azure_notebooks": azure_notebooks,
}


def notepad_bom(nb: NotebookNode) -> bytes:
    """The Jupyter file re-saved by Windows Notepad before 2019: a UTF-8 byte-order mark first.

    No notebook editor writes this (Jupyter, nbformat and nbgrader cannot read it): it comes
    from editing the JSON in a text editor.
    """
    return b"\xef\xbb\xbf" + jupyter(nb)
