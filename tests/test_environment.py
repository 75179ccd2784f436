"""The venv-first PATH rule that every `course` process and grading worker applies."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from coursekit.core.environment import put_venv_first_on_path


def test_venv_leads_path_once_however_often_it_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/local/bin", bin_dir, "/usr/bin"]))
    put_venv_first_on_path()
    put_venv_first_on_path()
    entries = os.environ["PATH"].split(os.pathsep)
    assert entries[0] == bin_dir
    assert entries.count(bin_dir) == 2  # the later entry is left where the user put it
    assert entries[1:] == ["/usr/local/bin", bin_dir, "/usr/bin"]


def test_an_empty_path_gets_the_venv_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    put_venv_first_on_path()
    assert os.environ["PATH"] == str(Path(sys.executable).parent)
