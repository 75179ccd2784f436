"""The Linux system calls the sandbox needs and Python 3.11's os module lacks, through ctypes."""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

MNT_DETACH = 2

PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}  # no libc wrapper: libkeyutils may be absent
KEYCTL_GET_KEYRING_ID = 0
KEYCTL_JOIN_SESSION_KEYRING = 1
KEY_SPEC_SESSION_KEYRING = -3

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(value: str | os.PathLike[str] | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def unshare(flags: int) -> None:
    """Move this process into new namespaces of the kinds in flags (CLONE_NEW*)."""
    _check(_libc.unshare(flags), f"unshare({flags:#x})")


def mount(
    source: str | os.PathLike[str] | None,
    target: str | os.PathLike[str],
    fstype: str | None,
    flags: int,
    data: str | None = None,
) -> None:
    """mount(2); raises OSError naming the target."""
    result = _libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data))
    _check(result, f"mount {source} on {target}")


def umount(target: str | os.PathLike[str], flags: int = 0) -> None:
    """umount2(2)."""
    _check(_libc.umount2(_bytes(target), flags), f"umount {target}")


def sethostname(name: str) -> None:
    """Set the host name of this process's UTS namespace."""
    raw = name.encode()
    _check(_libc.sethostname(raw, len(raw)), "sethostname")


def prctl(option: int, value: int) -> None:
    """prctl(2) with one argument."""
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl({option})")


def _keyctl(operation: int, argument: int | None) -> int:
    number = SYS_KEYCTL.get(os.uname().machine)
    if number is None:
        raise OSError(0, f"keyctl: no system call number known for {os.uname().machine}")
    result = _libc.syscall(
        ctypes.c_long(number), ctypes.c_int(operation), ctypes.c_void_p(argument)
    )
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"keyctl({operation}): {os.strerror(errno)}")
    return int(result)


def join_new_session_keyring() -> int:
    """Replace this process's session keyring by a new anonymous one; its serial number."""
    return _keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)


def session_keyring() -> int:
    """The serial number of this process's session keyring."""
    return _keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING)
