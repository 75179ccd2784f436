"""What a freshly forked child does to become the ipykernel a cold `python -m ipykernel_launcher`
would have been: its own session, the requested stdio, confinement by the sandbox policy, cwd,
environment and argv, fresh randomness. Runs only in the child and never returns."""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import signal
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

# What ipykernel itself sets when MPLBACKEND is unset (IPKernelApp.init_kernel): inline plots.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
LAUNCHER_MODULE = "ipykernel_launcher"
STATUS_MAX_BYTES = 4000  # well below a pipe's buffer: the write never blocks
CONFINED, UNCONFINED, SANDBOX_FAILED = "confined", "unconfined (sandbox disabled)", "sandbox: "


@dataclass(frozen=True)
class Confinement:
    """What the server hands a child to confine itself with, and where to report the outcome."""

    policy: Any  # a coursekit.isolation.sandbox SandboxPolicy
    cgroup: Any  # its KernelCgroup, made by the server; None when the policy is disabled
    status_fd: int  # the write end of a pipe the server reads when it reaps the kernel


def kernel_arguments(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `python -m ipykernel_launcher`, or None for any other command."""
    if len(argv) >= 3 and argv[1] == "-m" and argv[2] == LAUNCHER_MODULE:
        return list(argv[3:])
    return None


def run_kernel(
    request: Mapping[str, Any], stdio: Sequence[int], confinement: Confinement
) -> NoReturn:
    """Become the requested kernel, confined; exit the process with the kernel's exit code."""
    code = 1
    try:
        become_fresh_process(request, stdio, confinement)
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


def become_fresh_process(
    request: Mapping[str, Any], stdio: Sequence[int], confinement: Confinement
) -> None:
    """Detach from the server, confine, and take the identity of a newly started kernel."""
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
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
    # jupyter_client's launcher names the kernel's parent here; ipykernel then exits when that
    # parent dies. The parent is the server (which kills the kernel when the grader leaves).
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    # After the environment (the sandbox sets HOME to a private one), before chdir (it mounts a
    # private copy of the folder at its path, which a directory entered earlier would not see).
    confine_and_report(request, confinement)
    os.chdir(cwd)
    os.sched_setaffinity(0, request["cpus"])
    os.umask(int(request["umask"]))
    # `python -m` puts the working directory first on sys.path: a student's helper module
    # next to the notebook must import as it would in a cold kernel.
    sys.path[0] = cwd
    sys.argv = [str(request["argv"][0])]
    reseed_global_generators()
    select_matplotlib_backend()


def confine_and_report(request: Mapping[str, Any], confinement: Confinement) -> None:
    """Confine this process by its policy; tell the server how it went, then close the pipe."""
    try:
        if confinement.policy.enabled:
            from coursekit.isolation.sandbox import confine

            confine(
                confinement.policy,
                workdir=Path(request["cwd"]),
                kernel_dir=Path(request["kernel_dir"]),
                cgroup=confinement.cgroup,
            )
            status = CONFINED
        else:
            status = UNCONFINED
    except BaseException as error:  # never half-confined: the kernel does not start
        report_status(confinement.status_fd, f"{SANDBOX_FAILED}{type(error).__name__}: {error}")
        raise
    report_status(confinement.status_fd, status)


def report_status(fd: int, text: str) -> None:
    """Write text to the server's status pipe and close it (the student never holds it)."""
    try:
        os.write(fd, text.encode(errors="replace")[:STATUS_MAX_BYTES])
    finally:
        os.close(fd)


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
