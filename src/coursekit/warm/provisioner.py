"""The jupyter_client kernel provisioner that forks kernels from the warm server.

It is LocalProvisioner (connection file, ports, command line are prepared exactly as for a
cold kernel) except for where the process comes from: instead of Popen, the fork server forks
it, and poll, wait, signals and kill go through the server, which is the kernel's parent.
A command that is not `python -m ipykernel_launcher ...` starts cold, as LocalProvisioner would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float, List, Unicode

from coursekit.warm.child import kernel_arguments
from coursekit.warm.client import (
    KernelLink,
    ServerSpec,
    calling_thread_attributes,
    launch_kernel,
)

# What a grading kernel of this course imports; each costs seconds per cold start. Not
# ipykernel: its traits read the environment at import (JPY_PARENT_PID), and it takes 0.1 s.
DEFAULT_PRELOAD = ("numpy", "tensorflow", "keras")
# Long enough to bridge the gap between two grading commands run back to back.
DEFAULT_IDLE_SECONDS = 5.0
POLL_SECONDS = 0.05


class WarmProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Launches each kernel as a fresh fork of a server that has the heavy imports done."""

    preload = List(
        Unicode(),
        default_value=list(DEFAULT_PRELOAD),
        help="Modules the fork server imports once, before any kernel exists.",
    ).tag(config=True)
    idle_seconds = Float(
        DEFAULT_IDLE_SECONDS,
        help="Seconds the server stays up with no grader connected and no kernel running.",
    ).tag(config=True)

    link: KernelLink | None = None

    @property
    def has_process(self) -> bool:
        return self.link is not None or super().has_process

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel from the warm server (or start it cold if it cannot be forked)."""
        stdio = _stdio_fds(kwargs)
        if kernel_arguments(cmd) is None or stdio is None:
            self.log.warning("coursekit-warm: %s cannot be forked; starting it cold", cmd)
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        spec = ServerSpec.for_kernel(cmd[0], self.preload, env, self.idle_seconds)
        attributes = calling_thread_attributes()  # this thread's: the one Popen would use
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            fds = [devnull if fd is None else fd for fd in stdio]
            self.link = await asyncio.to_thread(launch_kernel, spec, cmd, env, cwd, fds, attributes)
        finally:
            os.close(devnull)
        self.pid = self.pgid = self.link.pid
        self.cwd = cwd
        return self.connection_info

    async def poll(self) -> int | None:
        """None while the kernel runs, else its exit code."""
        if self.link is None:
            return await super().poll()
        return self.link.poll()

    async def wait(self) -> int | None:
        """Wait for the kernel to exit (callers bound this with a timeout); its exit code."""
        if self.link is None:
            return await super().wait()
        while (code := self.link.poll()) is None:
            await asyncio.sleep(POLL_SECONDS)
        self.link.close()
        self.link = None
        return code

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group (the kernel and whatever it spawned)."""
        if self.link is None:
            await super().send_signal(signum)
        else:
            self.link.signal(signum)

    async def kill(self, restart: bool = False) -> None:
        """SIGKILL the kernel's process group."""
        if self.link is None:
            await super().kill(restart)
        else:
            self.link.signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        """SIGTERM the kernel's process group."""
        if self.link is None:
            await super().terminate(restart)
        else:
            self.link.signal(signal.SIGTERM)

    async def cleanup(self, restart: bool = False) -> None:
        """Return the ports; drop the link (the server kills a kernel still running)."""
        await super().cleanup(restart)
        if self.link is not None:
            self.link.close()
            self.link = None


def _stdio_fds(kwargs: dict[str, Any]) -> list[int | None] | None:
    """The fds the kernel's stdin, stdout, stderr should use (None: /dev/null for stdin,
    this process's own for the others), or None if one is a pipe a fork cannot share."""
    fds: list[int | None] = [None]
    for name, inherited in (("stdout", 1), ("stderr", 2)):
        target = kwargs.get(name)
        if target is None:
            fds.append(inherited)
        elif target == subprocess.DEVNULL:
            fds.append(None)
        elif isinstance(target, int) and target >= 0:
            fds.append(target)
        elif hasattr(target, "fileno"):
            fds.append(target.fileno())
        else:
            return None
    return fds
