"""A worker process dies with the process that started it, however that one ends.

A grading worker left alive by a killed `course` (SIGKILL from a batch scheduler's time limit,
the OOM killer, a lost SSH session) would sleep forever under init, holding the course's
autograde lock (a fork shares the lock's open file) and its warm server lease. So each worker
asks Linux to SIGKILL it when its parent exits (PR_SET_PDEATHSIG), and, because that signal
follows the parent *thread* that forked it and is lost on a change of credentials, also watches
its parent and the run itself: a thread that kills the worker once it is reparented or the
run's process has exited (a pidfd, or polling). Either way the worker is gone within
WATCH_SECONDS of the run, its kernels with
it (the warm server kills a kernel whose grader's connection closes; a cold kernel's ipykernel
exits when its parent changes), and the lock is free.

A worker killed mid-student leaves that student in the in-flight journal, which the next run
undoes and grades again (grading/inflight.py), as for a run killed without workers.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5  # how often the watcher looks at its parent


def die_with_parent(run_pid: int) -> None:
    """In a freshly started worker: be killed when the run goes; exit now if it is gone.

    run_pid: the process of the run. The worker's parent is either it (fork) or the
    multiprocessing fork server it started, which outlives the run while any worker lives
    (each holds the server's liveness pipe), so the worker watches the run itself as well.
    """
    parent = os.getppid()
    set_parent_death_signal(signal.SIGKILL)
    run = open_pidfd(run_pid)
    # The run may have died before the signal was asked for: nothing would send it then.
    if parent == 1 or os.getppid() != parent or not pid_exists(run_pid):
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(
        target=watch_parent, args=(parent, run_pid, run), name="coursekit-lifeline", daemon=True
    ).start()


def set_parent_death_signal(signum: int) -> None:
    """Ask Linux to send signum to this process when its parent exits (nothing elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")


def open_pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when pid exits (Linux 5.3+), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, an old kernel, or the process is gone
        return None


def watch_parent(parent: int, run_pid: int, run: int | None) -> None:
    """Kill this process once it is reparented or the run has ended (in a daemon thread)."""
    while os.getppid() == parent:
        if run is None:
            if not pid_exists(run_pid):
                break
            time.sleep(WATCH_SECONDS)
        elif select.select([run], [], [], WATCH_SECONDS)[0]:
            break
    os.kill(os.getpid(), signal.SIGKILL)


def pid_exists(pid: int) -> bool:
    """Whether a process of this pid exists (another user's included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
