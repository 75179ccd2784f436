"""Per-kernel folders: one kernel's connection file and its ZMQ IPC sockets, nothing else.

A sandboxed kernel has a network namespace of its own, so it cannot reach the grader over TCP
loopback; its channels are Unix sockets (ZMQ's `ipc` transport) at absolute paths in this
folder, which the sandbox leaves visible. jupyter_client would derive relative paths
(`kernel-ipc-N`, ConnectionFileMixin._ip_default) that the kernel resolves against the
notebook's folder and the grader against its own, so the paths are set here, before the
connection file is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

BASE_VARIABLE = "COURSEKIT_KERNEL_DIR"
# Where root's graders keep them: /run is a tmpfs that no user but root can write to.
ROOT_BASE = Path("/run/coursekit-kernels")
CONNECTION_FILE = "kernel.json"
IPC_PREFIX = "ipc"  # the sockets are ipc-1 ... ipc-5, one per channel
SOCKET_PATH_MAX = 107  # a Unix socket path's limit on Linux, minus the terminating NUL
# Traversable but not listable: a kernel running as another user reaches its own folder by its
# (random) name, but cannot list the others'.
BASE_MODE = 0o711


class KernelDirError(RuntimeError):
    """No safe place for a kernel's connection file and sockets."""


def kernel_dir_base() -> Path:
    """The folder that holds every kernel folder of this user, made safe if new."""
    chosen = os.environ.get(BASE_VARIABLE)
    if chosen:
        base = Path(chosen)
    elif os.geteuid() == 0 and ROOT_BASE.parent.is_dir():
        base = ROOT_BASE
    else:
        base = Path(tempfile.gettempdir(), f"coursekit-kernels-{os.geteuid()}")
    with contextlib.suppress(FileExistsError):
        base.mkdir(parents=True)
        os.chmod(base, BASE_MODE)
    info = os.lstat(base)
    if not os.path.isdir(base) or os.path.islink(base):
        raise KernelDirError(
            f"{base} must be a folder, not a link: remove it or set {BASE_VARIABLE}"
        )
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise KernelDirError(
            f"{base} must belong to you and be writable by you alone (chmod 711): another "
            f"user could otherwise reach your grading kernels; or set {BASE_VARIABLE}"
        )
    return base


def make_kernel_dir() -> Path:
    """A fresh private folder for one kernel (confine() hands it to the kernel's user)."""
    folder = Path(tempfile.mkdtemp(prefix="k-", dir=kernel_dir_base()))
    if len(str(folder / f"{IPC_PREFIX}-99")) > SOCKET_PATH_MAX:
        shutil.rmtree(folder)
        raise KernelDirError(
            f"kernel folder {folder} is too long for Unix socket paths: set {BASE_VARIABLE} "
            "to a shorter folder"
        )
    return folder


def use_ipc_channels(manager: Any, folder: Path) -> None:
    """Point a jupyter_client KernelManager's connection file and channels into folder."""
    manager.transport = "ipc"
    manager.connection_file = str(folder / CONNECTION_FILE)
    manager.ip = str(folder / IPC_PREFIX)


def remove_kernel_dir(folder: Path) -> None:
    """Delete a kernel folder and whatever its kernel left in it."""
    shutil.rmtree(folder, ignore_errors=True)
