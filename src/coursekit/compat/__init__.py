"""Where each module of the flat layout went, for one release (0.2) of dotted paths.

coursekit 0.1 kept every module at the top of the package (`coursekit.execution`,
`coursekit.verdicts`, ...); nbgrader_config.py files, scripts and pickled Dask jobs name them.
Importing an old path imports the module at its new place, under both names (the same module
object, so monkeypatching and isinstance agree), and warns once with the new path. The map is
the whole story; drop this package, and its import in coursekit/__init__.py, in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

MOVED: dict[str, str] = {
    "coursekit.archive": "coursekit.intake.archive",
    "coursekit.autograde": "coursekit.grading.autograde",
    "coursekit.calibrate": "coursekit.calibration.calibrate",
    "coursekit.canary": "coursekit.isolation.canary",
    "coursekit.cells": "coursekit.core.cells",
    "coursekit.check": "coursekit.grading.check",
    "coursekit.code_scan": "coursekit.integrity.code_scan",
    "coursekit.cohort": "coursekit.authoring.cohort",
    "coursekit.collect": "coursekit.intake.collect",
    "coursekit.course": "coursekit.core.course",
    "coursekit.errors": "coursekit.core.errors",
    "coursekit.execution": "coursekit.steps.execution",
    "coursekit.export": "coursekit.reporting.export",
    "coursekit.feedback": "coursekit.reporting.feedback",
    "coursekit.fingerprints": "coursekit.integrity.fingerprints",
    "coursekit.gradebook_writes": "coursekit.steps.gradebook_writes",
    "coursekit.inflight": "coursekit.grading.inflight",
    "coursekit.kernel_hygiene": "coursekit.integrity.kernel_hygiene",
    "coursekit.lms_formats": "coursekit.intake.lms_formats",
    "coursekit.nbgrader_ops": "coursekit.nbgrader.api",
    "coursekit.output_limits": "coursekit.steps.output_limits",
    "coursekit.progress": "coursekit.cli.progress",
    "coursekit.redaction": "coursekit.steps.redaction",
    "coursekit.release": "coursekit.authoring.release",
    "coursekit.render": "coursekit.cli.render",
    "coursekit.render_calibration": "coursekit.calibration.markdown",
    "coursekit.report": "coursekit.reporting.report",
    "coursekit.report_html": "coursekit.reporting.report_html",
    "coursekit.roster": "coursekit.intake.roster",
    "coursekit.runlock": "coursekit.grading.runlock",
    "coursekit.sandbox": "coursekit.isolation.sandbox",
    "coursekit.scan_rules": "coursekit.integrity.scan_rules",
    "coursekit.similarity": "coursekit.integrity.similarity",
    "coursekit.submission_state": "coursekit.nbgrader.submission_state",
    "coursekit.submissions": "coursekit.intake.submissions",
    "coursekit.summary": "coursekit.authoring.summary",
    "coursekit.suspicion": "coursekit.integrity.suspicion",
    "coursekit.variants": "coursekit.calibration.variants",
    "coursekit.verdicts": "coursekit.compat.verdicts",
    "coursekit.integrity.verdicts": "coursekit.compat.verdicts",  # split after 1038c58
    "coursekit.warm": "coursekit.isolation.warm",
    "coursekit.workers": "coursekit.grading.workers",
    "coursekit.results": "coursekit.compat.results",
}


def new_name_of(fullname: str) -> str | None:
    """The current dotted path of an old one (its submodules included), or None."""
    for old, new in MOVED.items():
        if fullname == old or fullname.startswith(old + "."):
            return new + fullname[len(old) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Loads an old path as the module already imported (or importable) at its new one."""

    def __init__(self, new_name: str) -> None:
        self.new_name = new_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new_name}; the old path goes in coursekit 0.3",
            FutureWarning,
            stacklevel=2,
        )
        module = importlib.import_module(self.new_name)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the old spec on the module; it keeps its own.
        module.__spec__ = self._spec

    def get_code(self, fullname: str) -> object:
        """For `python -m` of an old path (runpy asks the loader for the code)."""
        new_name = new_name_of(fullname)
        spec = importlib.util.find_spec(new_name) if new_name else None
        if spec is None or spec.loader is None:
            raise ImportError(f"no module {fullname}")
        return spec.loader.get_code(spec.name)  # type: ignore[attr-defined]


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old dotted paths of coursekit's modules."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new_name = new_name_of(fullname)
        if new_name is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new_name))


def install() -> None:
    """Put the finder on sys.meta_path once, first: the path finder would otherwise load an old
    submodule path (coursekit.warm.provisioner, under the aliased package's folder) a second
    time, as a module of its own with classes of its own."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())
