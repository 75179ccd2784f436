"""Processes the test session started and left running: found by a variable they all inherit.

conftest.py sets SESSION_VARIABLE in the test process at start; every process a test or a
fixture starts (commands, workers, fork servers, kernels, database servers) inherits it unless it
is given a fresh environment, so at the end of the session whatever still carries it was left
behind, also when its parent has died and it was re-parented to init.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import psutil

SESSION_VARIABLE = "COURSEKIT_TEST_SESSION"
# What may outlive the tests by design: a fork server's idle exit (MAX_IDLE_SECONDS, 10 s) and
# a killed process's reaping.
GRACE_SECONDS = 20.0
# multiprocessing's resource tracker serves the test process itself and exits with it.
EXEMPT = ("multiprocessing.resource_tracker",)


def mark_session() -> str:
    """Give this process (and so every process it starts) the session's variable."""
    return os.environ.setdefault(SESSION_VARIABLE, uuid.uuid4().hex)


def session_processes(token: str) -> list[psutil.Process]:
    """The live processes, other than this one, that carry the session's token."""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error):
            if process.environ().get(SESSION_VARIABLE) != token:
                continue
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if any(name in " ".join(process.cmdline()) for name in EXEMPT):
                continue
            found.append(process)
    return found


def leftovers(token: str, grace: float = GRACE_SECONDS) -> list[str]:
    """Kill what the session left running once grace has passed; describe each one killed."""
    deadline = time.monotonic() + grace
    while (left := session_processes(token)) and time.monotonic() < deadline:
        time.sleep(0.5)
    described = []
    for process in left:
        with contextlib.suppress(psutil.Error):
            described.append(f"pid {process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
    return described
