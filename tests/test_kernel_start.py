"""A kernel that dies before its first answer is started again; one that keeps dying is reported
in nbclient's words (coursekit.core.kernel_start, used by the calibration's variant runs)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.core.kernel_start import DIED_AT_START, START_ATTEMPTS, start_kernel

# Dies (exit 3, before the kernel binds its ports) until it has died `deaths` times, then
# becomes an ordinary ipykernel; each death leaves a line in the tally file.
FLAKY_LAUNCHER = """\
import sys
from pathlib import Path

tally, deaths = Path(sys.argv[1]), int(sys.argv[2])
died = len(tally.read_text().splitlines()) if tally.exists() else 0
if died < deaths:
    with tally.open("a") as out:
        out.write("died\\n")
    sys.exit(3)
from ipykernel import kernelapp
kernelapp.launch_new_instance(argv=sys.argv[3:])
"""


def flaky_kernel(root: Path, deaths: int, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A kernelspec (found through JUPYTER_PATH) whose kernel dies at its first `deaths` starts."""
    launcher = root / "flaky_launcher.py"
    launcher.write_text(FLAKY_LAUNCHER)
    tally = root / "deaths.txt"
    spec_dir = root / "share" / "kernels" / "flaky"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, str(launcher), str(tally), str(deaths), "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "flaky", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(root / "share"))
    return "flaky", tally


def run_notebook(kernel_name: str, folder: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    client = NotebookClient(
        nb, kernel_name=kernel_name, startup_timeout=60, timeout=60,
        resources={"metadata": {"path": str(folder)}},
    )  # fmt: skip

    async def run() -> None:
        await start_kernel(client)
        await client.async_execute()

    asyncio.run(run())
    return nb


def test_a_kernel_that_dies_at_its_start_is_started_again(
    kernels: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kernel_name, tally = flaky_kernel(tmp_path, deaths=2, monkeypatch=monkeypatch)
    nb = run_notebook(kernel_name, tmp_path)
    assert tally.read_text().splitlines() == ["died", "died"], "the kernel never died: untested"
    assert nb.cells[0].outputs[0]["text"] == "42\n"


def test_a_kernel_that_always_dies_at_its_start_is_reported(
    kernels: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kernel_name, tally = flaky_kernel(tmp_path, deaths=99, monkeypatch=monkeypatch)
    with pytest.raises(RuntimeError, match=DIED_AT_START):
        run_notebook(kernel_name, tmp_path)
    assert len(tally.read_text().splitlines()) == START_ATTEMPTS
