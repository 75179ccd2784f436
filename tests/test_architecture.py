"""The package's shape: stage packages in layers, no import cycle, nbgrader behind one door,
the architecture page's picture current, and the old flat dotted paths still importable."""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from traitlets.utils.importstring import import_item

REPO = Path(__file__).resolve().parents[1]


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", REPO / "tools/import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


import_graph = load_tool()


@pytest.fixture(scope="module")
def graph() -> object:
    return import_graph.read_graph()


def test_no_module_imports_itself_through_a_cycle(graph: object) -> None:
    assert import_graph.cycles(graph.edges) == []


def test_each_stage_imports_only_the_layers_below_it(graph: object) -> None:
    assert import_graph.layer_violations(graph) == []
    assert import_graph.unplaced_stages(graph) == []


def test_only_the_nbgrader_package_and_the_steps_import_nbgrader(graph: object) -> None:
    assert import_graph.nbgrader_outsiders(graph) == []
    assert "coursekit.nbgrader.api" in graph.nbgrader_imports  # the check reads real imports


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "coursekit"
    for name, source in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return package


def test_the_checks_find_a_cycle_a_layer_broken_and_an_nbgrader_import(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/course.py": "from coursekit.grading.autograde import run\n",
            "grading/__init__.py": "",
            "grading/autograde.py": "from coursekit.core import course\nimport nbgrader\n",
            "grading/lazy.py": "def f():\n    from coursekit.cli import app\n",
            "cli/__init__.py": "",
            "cli/app.py": "",
            "typing_only.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from coursekit.core import course\n",
        },
    )
    graph = import_graph.read_graph(package)
    assert import_graph.cycles(graph.edges) == [
        ["coursekit.core.course", "coursekit.grading.autograde"]
    ]
    assert import_graph.layer_violations(graph) == [
        "coursekit.core.course (core) imports coursekit.grading.autograde (grading)",
        "coursekit.grading.lazy (grading) imports coursekit.cli.app (cli)",
    ]
    assert import_graph.nbgrader_outsiders(graph) == ["coursekit.grading.autograde: nbgrader"]
    assert import_graph.unplaced_stages(graph) == ["typing_only"]
    assert graph.edges["coursekit.typing_only"] == set()  # TYPE_CHECKING imports run never


def test_the_architecture_page_shows_the_graph_the_code_has(graph: object) -> None:
    page = (REPO / "docs/architecture.md").read_text(encoding="utf-8")
    drawn = re.search(r"```mermaid\n(.*?)```", page, re.S)
    assert drawn is not None, "docs/architecture.md has no mermaid block"
    assert drawn.group(1).strip() == import_graph.mermaid(graph), (
        "the stage graph changed: paste `python tools/import_graph.py` into docs/architecture.md"
    )


def test_the_tool_checks_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "tools/import_graph.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no cycle, every layer kept" in done.stdout


def forget_old_paths() -> None:
    """Drop the old names from sys.modules, so that the next import resolves them afresh."""
    from coursekit.compat import new_name_of

    for name in [n for n in sys.modules if new_name_of(n) is not None]:
        del sys.modules[name]


OLD_PATHS = {
    "coursekit.execution": "coursekit.steps.execution",
    "coursekit.nbgrader_ops": "coursekit.nbgrader.api",
    "coursekit.warm.provisioner": "coursekit.isolation.warm.provisioner",
    "coursekit.sandbox.policy": "coursekit.isolation.sandbox.policy",
    "coursekit.workers": "coursekit.grading.workers",
}


@pytest.mark.parametrize("old, new", OLD_PATHS.items())
def test_an_old_dotted_path_imports_the_moved_module_with_a_warning(old: str, new: str) -> None:
    forget_old_paths()
    with pytest.warns(FutureWarning, match="moved to coursekit"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__spec__.name == new  # the module keeps its own identity


def test_a_config_naming_the_old_steps_still_resolves_them() -> None:
    # What an nbgrader_config.py written for coursekit 0.1 names, as traitlets imports it.
    names = {
        "coursekit.execution.ContainedExecute": "coursekit.steps.execution",
        "coursekit.output_limits.LimitOutputCharacters": "coursekit.steps.output_limits",
        "coursekit.gradebook_writes.SaveAutoGradesPerNotebook": "coursekit.steps.gradebook_writes",
        "coursekit.redaction.HideHiddenTestTracebacks": "coursekit.steps.redaction",
    }
    forget_old_paths()
    for old, module in names.items():
        with pytest.warns(FutureWarning):
            step = import_item(old)
        assert step is getattr(importlib.import_module(module), old.rsplit(".", 1)[1])


def test_the_old_results_module_still_holds_every_type() -> None:
    forget_old_paths()
    with pytest.warns(FutureWarning):
        results = importlib.import_module("coursekit.results")
    from coursekit.grading.types import StudentOutcome
    from coursekit.reporting.types import ReportFiles

    assert results.StudentOutcome is StudentOutcome and results.ReportFiles is ReportFiles
