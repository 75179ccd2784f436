"""Fault injection for benchmarks/faults.py: one kernel of a grading run never answers its start.

benchmarks/faults.py puts this folder on PYTHONPATH of the `course autograde` it disturbs and
names a folder in STALL_VARIABLE: Python imports this module at the start of every process of
that run. Each process counts its kernel launches in that shared folder; the launch whose number
is in the folder's `stall_at` file is stopped with SIGSTOP the moment it is launched, before it
can answer nbclient's kernel_info request: a kernel that started and stays silent, as a wedged
one would.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from types import ModuleType
from typing import Any

STALL_VARIABLE = "COURSEKIT_FAULTS_STALL_DIR"


def take_ticket(folder: Path) -> int:
    """This launch's number among all launches of the run (1, 2, ...), across its processes."""
    number = 1
    while True:
        try:
            os.close(os.open(folder / f"launch-{number}", os.O_CREAT | os.O_EXCL))
            return number
        except FileExistsError:
            number += 1


def stall_chosen_launch(manager_module: ModuleType, folder: Path) -> None:
    """Make KernelManager SIGSTOP the kernel of the chosen launch right after launching it."""
    manager_class = manager_module.KernelManager
    launch = manager_class._async_launch_kernel

    async def launch_then_maybe_stall(self: Any, kernel_cmd: list[str], **kw: Any) -> None:
        await launch(self, kernel_cmd, **kw)
        chosen = int((folder / "stall_at").read_text())
        if take_ticket(folder) == chosen:
            pid = getattr(self.provisioner, "pid", None)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                (folder / "stalled").write_text(f"{pid}\n")

    manager_class._async_launch_kernel = launch_then_maybe_stall


if os.environ.get(STALL_VARIABLE):
    # Imported at once, not on first use: only the processes of the silent-kernel runs pay it.
    import jupyter_client.manager

    stall_chosen_launch(jupyter_client.manager, Path(os.environ[STALL_VARIABLE]))
