"""What a freshly forked child does to become the ipykernel a cold `python -m ipykernel_launcher`
would have been: its own session, the requested stdio, cwd, environment and argv, fresh
randomness. Runs only in the child and never returns."""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import signal
import sys
import traceback
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

# What ipykernel itself sets when MPLBACKEND is unset (IPKernelApp.init_kernel): inline plots.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
LAUNCHER_MODULE = "ipykernel_launcher"


def kernel_arguments(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `python -m ipykernel_launcher`, or None for any other command."""
    if len(argv) >= 3 and argv[1] == "-m" and argv[2] == LAUNCHER_MODULE:
        return list(argv[3:])
    return None


def run_kernel(request: Mapping[str, Any], stdio: Sequence[int]) -> NoReturn:
    """Become the requested kernel; exit the process with the kernel's exit code."""
    code = 1
    try:
        become_fresh_process(request, stdio)
        code = serve_kernel(kernel_arguments(request["argv"]) or [])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # a bug or a failed start: say why on the kernel's stderr
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream at exit changes nothing
                stream.flush()
        # Never unwind into the server's loop (its sockets, its finally blocks): leave here.
        os._exit(code)


def become_fresh_process(request: Mapping[str, Any], stdio: Sequence[int]) -> None:
    """Detach from the server and take the identity of a newly started kernel process."""
    # Own session and process group, as jupyter_client's launcher gives a cold kernel
    # (start_new_session): signals and kills reach the kernel and whatever it spawns.
    os.setsid()
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN if signum == signal.SIGPIPE else signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(stdio):
        os.dup2(fd, target)
        os.close(fd)
    cwd = str(request["cwd"])
    os.chdir(cwd)
    os.sched_setaffinity(0, request["cpus"])
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
    # jupyter_client's launcher names the kernel's parent here; ipykernel then exits when that
    # parent dies. The parent is the server (which kills the kernel when the grader leaves).
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    # `python -m` puts the working directory first on sys.path: a student's helper module
    # next to the notebook must import as it would in a cold kernel.
    sys.path[0] = cwd
    sys.argv = [str(request["argv"][0])]
    reseed_global_generators()
    select_matplotlib_backend()


def reseed_global_generators() -> None:
    """Draw fresh OS entropy for the generators a fork would otherwise share with its siblings."""
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def select_matplotlib_backend() -> None:
    """Point matplotlib at the backend a cold kernel gets, though it was imported before."""
    # A cold kernel sets MPLBACKEND before anything imports matplotlib, which reads it once at
    # import (matplotlib/__init__.py). The server imported it already (TensorFlow does), so
    # apply the variable the way that import would have; pyplot resolves it at first use.
    backend = os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        matplotlib.rcParams["backend"] = backend


def serve_kernel(arguments: Sequence[str]) -> int:
    """Run IPKernelApp as `python -m ipykernel_launcher ARGUMENTS` does; its exit code."""
    from ipykernel import kernelapp

    sys.argv[1:] = list(arguments)
    kernelapp.launch_new_instance()
    # What the interpreter would do at a normal exit (IPython saves state, libraries close).
    atexit._run_exitfuncs()
    return 0
