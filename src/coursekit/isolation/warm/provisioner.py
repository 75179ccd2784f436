"""The jupyter_client kernel provisioner that forks sandboxed kernels from the warm server.

It is LocalProvisioner (connection file, command line and launch arguments are prepared
exactly as for a cold kernel) except for three things:
- the channels: ZMQ IPC sockets in a fresh folder of their own (kernel_dir.py), which the
  sandboxed kernel can reach without a network, removed at cleanup;
- where the process comes from: the fork server forks it, and poll, wait, signals and kill go
  through the server, which is the kernel's parent;
- confinement: the launch request carries the sandbox policy of the configuration the kernel
  manager was given (nbgrader's own, from nbgrader_config.py); the forked child confines itself
  before it becomes the kernel.
A command that is not `python -m ipykernel_launcher ...`, or stdio a fork cannot share, or
`fork = False` (the kernelspec python3-cold), starts cold: through the sandbox launcher
(`python -m coursekit.isolation.sandbox`), never unconfined unless the configuration opted out.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Float, List, Unicode

from coursekit.isolation.warm.child import kernel_arguments
from coursekit.isolation.warm.client import (
    KernelLink,
    ServerSpec,
    calling_thread_attributes,
    launch_kernel,
)
from coursekit.isolation.warm.confinement import policy_of, warn_if_disabled
from coursekit.isolation.warm.kernel_dir import make_kernel_dir, remove_kernel_dir, use_ipc_channels

if TYPE_CHECKING:
    from coursekit.isolation.sandbox import SandboxPolicy

# What a grading kernel of this course imports; each costs seconds per cold start. Not
# ipykernel: its traits read the environment at import (JPY_PARENT_PID), and it takes 0.1 s.
DEFAULT_PRELOAD = ("numpy", "tensorflow", "keras")
# Long enough to bridge the gap between two grading commands run back to back.
DEFAULT_IDLE_SECONDS = 5.0
# How long the fork server may take to hand out a kernel (a fresh one imports TensorFlow
# first: about 10 s on a loaded 2-core machine) before the kernel starts cold instead.
DEFAULT_LAUNCH_TIMEOUT_S = 120.0
POLL_SECONDS = 0.05
LAUNCHER_MODULE = "coursekit.isolation.sandbox"

T = TypeVar("T")


class WarmProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Launches each kernel, confined, as a fresh fork of a server with the heavy imports done."""

    preload = List(
        Unicode(),
        default_value=list(DEFAULT_PRELOAD),
        help="Modules the fork server imports once, before any kernel exists.",
    ).tag(config=True)
    idle_seconds = Float(
        DEFAULT_IDLE_SECONDS,
        help="Seconds the server stays up with no grader connected and no kernel running.",
    ).tag(config=True)
    launch_timeout = Float(
        DEFAULT_LAUNCH_TIMEOUT_S,
        help="Seconds the fork server may take to launch a kernel; past them the kernel is "
        "started cold instead (logged, and noted on the student's autograde outcome).",
    ).tag(config=True)
    fork = Bool(
        True,
        help="Fork kernels from the warm server; False starts each one cold, confined by the "
        "sandbox launcher.",
    ).tag(config=True)

    link: KernelLink | None = None
    cold: bool = False  # started by the launcher, which made the kernel's cgroup
    kernel_dir: Path | None = None
    policy: SandboxPolicy | None = None
    # Why the kernel ended, as the server saw it ("out of memory", "sandbox: ..."), or None.
    exit_reason: str | None = None

    @property
    def has_process(self) -> bool:
        return self.link is not None or super().has_process

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Make the kernel's folder and IPC channels, then prepare as LocalProvisioner does."""
        self.policy = policy_of(self.config)
        warn_if_disabled(self.policy)
        if self.kernel_dir is None:  # a restart keeps its folder and connection file
            self.kernel_dir = make_kernel_dir()
        use_ipc_channels(self.parent, self.kernel_dir)
        # confine() gives the folder and the connection file to the kernel's user.
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel from the warm server (or start it cold, through the launcher)."""
        assert self.policy is not None and self.kernel_dir is not None, "pre_launch comes first"
        self.exit_reason = None
        stdio = _stdio_fds(kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        if not self.fork or kernel_arguments(cmd) is None or stdio is None:
            if self.fork:
                self.log.warning("coursekit-warm: %s cannot be forked; starting it cold", cmd)
            self.cold = self.policy.enabled
            launched = confined_command(cmd, self.policy, Path(cwd), self.kernel_dir)
            return await super().launch_kernel(launched, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        spec = ServerSpec.for_kernel(cmd[0], self.preload, env, self.idle_seconds)
        attributes = calling_thread_attributes()  # this thread's: the one Popen would use
        attributes |= {"policy": self.policy.to_json(), "kernel_dir": str(self.kernel_dir)}
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            fds = [devnull if fd is None else fd for fd in stdio]
            launching = in_thread(
                launch_kernel, spec, cmd, env, cwd, fds, attributes, discard=KernelLink.close
            )
            self.link = await asyncio.wait_for(launching, self.launch_timeout)
        except TimeoutError:
            # A stuck server must not hold the notebook: this one kernel starts cold.
            note = (
                f"the warm fork server did not launch a kernel within {self.launch_timeout:g} s "
                "(c.WarmProvisioner.launch_timeout), so a cold kernel graded this notebook"
            )
            self.log.warning("coursekit-warm: %s", note)
            FALLBACKS.append(note)
            self.cold = self.policy.enabled
            launched = confined_command(cmd, self.policy, Path(cwd), self.kernel_dir)
            return await super().launch_kernel(launched, **kwargs)
        finally:
            os.close(devnull)
        self.pid = self.pgid = self.link.pid
        self.cwd = cwd
        return self.connection_info

    async def poll(self) -> int | None:
        """None while the kernel runs, else its exit code."""
        if self.link is None:
            return await super().poll()
        code = self.link.poll()
        self.exit_reason = self.link.exit_reason
        return code

    async def wait(self) -> int | None:
        """Wait for the kernel to exit (callers bound this with a timeout); its exit code."""
        if self.link is None:
            code = await super().wait()
            self._finish_cold(code)
            return code
        while (code := await self.poll()) is None:
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
        """Drop the link (the server kills a kernel still running); remove the kernel's folder."""
        await super().cleanup(restart)
        if self.link is not None:
            self.link.close()
            self.link = None
        self._finish_cold(None)
        if not restart and self.kernel_dir is not None:
            remove_kernel_dir(self.kernel_dir)
            self.kernel_dir = None

    def _finish_cold(self, code: int | None) -> None:
        """After a cold kernel: kill what is left in the cgroup its launcher made, remove it."""
        if not self.cold or self.policy is None or self.kernel_dir is None:
            return
        from coursekit.isolation.sandbox import KernelCgroup, cgroup_name_for

        self.cold = False
        cgroup = KernelCgroup.find(cgroup_name_for(self.kernel_dir), self.policy)
        try:
            cgroup.kill_all()
            if cgroup.out_of_memory() and code:
                self.exit_reason = "out of memory"
            cgroup.remove()
        except Exception as error:  # a process that will not die must not fail the grading
            self.log.warning("coursekit-warm: kernel cgroup %s left: %s", cgroup.name, error)


def confined_command(
    cmd: list[str], policy: SandboxPolicy, workdir: Path, kernel_dir: Path
) -> list[str]:
    """cmd run through the sandbox launcher, or cmd itself if the configuration opted out."""
    if not policy.enabled:
        return list(cmd)
    # The kernel's own interpreter: its installation is what the sandbox leaves visible.
    python = cmd[0] if kernel_arguments(cmd) is not None else sys.executable
    launcher = [python, "-m", LAUNCHER_MODULE, policy.to_json(), str(workdir)]
    return [*launcher, str(kernel_dir), "--", *cmd]


# Why kernels of this process started cold instead of warm, oldest first (taken_fallbacks).
FALLBACKS: list[str] = []


def take_fallbacks() -> list[str]:
    """The notes of kernels started cold since the last call (one per kernel), then forget them."""
    notes = list(FALLBACKS)
    FALLBACKS.clear()
    return notes


async def in_thread(
    function: Callable[..., T], *args: Any, discard: Callable[[T], object] | None = None
) -> T:
    """function(*args) in a thread of its own that ends with the call.

    discard: called with the result if it comes after the awaiting coroutine gave up (a
    launch that timed out), so nothing it holds outlives the wait.

    Not asyncio.to_thread: its pool keeps an idle thread alive afterwards, and a grading
    process that runs other threads cannot fork its workers (workers/local.py)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            if result is not None and discard is not None:
                discard(result)
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result, error = None, None
        try:
            result = function(*args)
        except BaseException as raised:  # handed to the awaiting coroutine
            error = raised
        if done.cancelled():  # given up already: the loop may not run again to settle it
            settle(result, error)
            return
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop was closed: nobody waits any more
            if result is not None and discard is not None:
                discard(result)

    threading.Thread(target=run, name="coursekit-warm-launch", daemon=True).start()
    return await done


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
