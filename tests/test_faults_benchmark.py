"""The short version of benchmarks/faults.py: faults no other test strikes in a real run.

SIGKILL of a warm fork server and a full disk under the gradebook, each at a random moment of a
`course autograde --workers 2` of six students: nothing left running 15 s later, every student
graded (a rerun allowed), every grade equal to an undisturbed run's. The other faults have short
versions of their own: tests/test_orphans.py (the main process killed, then a rerun),
tests/test_grading_faults.py (a worker killed, a silent kernel), tests/test_parallel_autograde.py
(a gradebook locked by another writer).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.course import REPO_ROOT

BENCHMARK = REPO_ROOT / "benchmarks" / "faults.py"
FAULTS = ["kill-fork-server", "disk-full"]
STUDENTS = 6


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="a tmpfs and the sandbox need root")
def test_a_killed_fork_server_and_a_full_disk_cost_no_grade(kernels: None, tmp_path: Path) -> None:
    rows_file = tmp_path / "rows.json"
    run = subprocess.run(
        [sys.executable, str(BENCHMARK), "--students", str(STUDENTS), "--repeat", "1"]
        + ["--seed", "3", "--only", *FAULTS, "--json", str(rows_file)],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = json.loads(rows_file.read_text())
    assert [row["fault"] for row in rows] == FAULTS
    for row in rows:
        summary = (row["fault"], row["left"], row["graded"], row["equal"])
        assert summary == (row["fault"], 0, STUDENTS, True), (row, run.stdout)
