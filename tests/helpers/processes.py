"""Stopping the servers tests start: their whole process group, politely, then for sure."""

from __future__ import annotations

import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen, first: int = signal.SIGTERM) -> None:
    """Send `first` to the process's group, then SIGKILL if it has not ended within 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, first)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
