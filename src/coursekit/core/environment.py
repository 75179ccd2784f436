"""The process environment every `course` process and grading worker needs."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def venv_bin_dir() -> Path:
    """The folder of this interpreter's programs (`.venv/bin` when run from the venv)."""
    return Path(sys.executable).parent


def put_venv_first_on_path() -> None:
    """Make this interpreter's environment lead PATH, once, even when it was not activated.

    nbgrader runs `alembic`, and kernelspecs start `python`, by name: from any other environment
    first on PATH, the first generate_assignment fails (FileNotFoundError 'alembic') or a kernel
    runs a Python without the course's packages. Idempotent: a second call adds nothing.
    """
    bin_dir = str(venv_bin_dir())
    entries = os.environ.get("PATH", "").split(os.pathsep)
    if entries[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *[e for e in entries if e]])
