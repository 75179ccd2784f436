"""The grading process's side of the fork server: find or start one, launch kernels through it.

A server is shared by every grading process of the same user that asks for the same
interpreter, preload list and import-time environment (the socket's name is a hash of them),
so parallel graders share one copy of TensorFlow. Each process that used a server holds a lease
(an open connection) for its lifetime; the server exits a few seconds after the last lease and
kernel are gone, so nothing outlives a grading run. A socket left by a server that died is
noticed (the connect is refused) and replaced under a lock file.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import resource
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursekit.isolation.warm import protocol

RUNTIME_DIR_VARIABLE = "COURSEKIT_WARM_DIR"
# Environment read at import time by the interpreter or the preloaded libraries: a server
# started with other values would hand out kernels configured differently from cold ones
# (PYTHONHASHSEED cannot change after start; TF_*, KERAS_BACKEND, thread settings are read
# once at import), so these values are part of the server's identity.
IMPORT_TIME_PREFIXES = (
    "PYTHON", "TF_", "KERAS", "XLA_", "CUDA", "OMP_", "MKL_", "OPENBLAS_", "NUMPY", "MPL",
    "LD_", "HOME", "ONEDNN", "DNNL",
)  # fmt: skip
SUN_PATH_MAX = 107  # a Unix socket path's limit on Linux, minus the terminating NUL
START_TIMEOUT_SECONDS = 60.0  # binding the socket; the imports come after it
REPLY_TIMEOUT_SECONDS = 300.0  # a fresh server imports TensorFlow before it answers
# Another grader holds the start lock while it starts the server (START_TIMEOUT_SECONDS at most).
LOCK_TIMEOUT_SECONDS = START_TIMEOUT_SECONDS + 30.0
LOCK_POLL_SECONDS = 0.1
LOG_TAIL_CHARS = 2000

_leases: dict[Path, socket.socket] = {}
_leases_lock = threading.Lock()


class WarmKernelError(RuntimeError):
    """The fork server could not be started or did not launch the kernel."""


@dataclass(frozen=True)
class ServerSpec:
    """What makes two servers interchangeable: interpreter, preloads, import-time environment."""

    python: str
    preload: tuple[str, ...]
    import_env: tuple[tuple[str, str], ...]
    idle_seconds: float
    # Resource limits and niceness: a fork inherits the server's, a cold kernel the grader's.
    limits: tuple[int, ...] = ()

    @classmethod
    def for_kernel(
        cls, python: str, preload: Sequence[str], env: Mapping[str, str], idle_seconds: float
    ) -> ServerSpec:
        """The spec of a server that can fork a kernel for this interpreter and environment."""
        import_env = tuple(
            sorted((k, v) for k, v in env.items() if k.startswith(IMPORT_TIME_PREFIXES))
        )
        return cls(python, tuple(preload), import_env, idle_seconds, process_limits())

    def key(self) -> str:
        """A short stable name for this spec."""
        text = json.dumps([self.python, self.preload, self.import_env, self.limits])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def process_limits() -> tuple[int, ...]:
    """This process's resource limits (soft, hard) and niceness, which its children inherit."""
    names = sorted(name for name in dir(resource) if name.startswith("RLIMIT_"))
    limits = [value for name in names for value in resource.getrlimit(getattr(resource, name))]
    return (*limits, os.getpriority(os.PRIO_PROCESS, 0))


def calling_thread_attributes() -> dict[str, Any]:
    """What a kernel started from the calling thread would inherit besides env and cwd."""
    umask = os.umask(0o077)
    os.umask(umask)
    # Per thread on Linux: a Popen from this thread would pass this CPU set to the kernel.
    return {"cpus": sorted(os.sched_getaffinity(0)), "umask": umask}


def runtime_dir() -> Path:
    """The private folder of this user's servers (sockets, lock files, logs)."""
    chosen = os.environ.get(RUNTIME_DIR_VARIABLE)
    if chosen:
        folder = Path(chosen)
    elif os.environ.get("XDG_RUNTIME_DIR") and Path(os.environ["XDG_RUNTIME_DIR"]).is_dir():
        folder = Path(os.environ["XDG_RUNTIME_DIR"], "coursekit-warm")
    else:
        folder = Path(tempfile.gettempdir(), f"coursekit-warm-{os.getuid()}")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise WarmKernelError(
            f"{folder} must belong to you and be private (chmod 700): another user could "
            f"otherwise run code in your grading kernels; or set {RUNTIME_DIR_VARIABLE}"
        )
    return folder


@dataclass(frozen=True)
class ServerFiles:
    """Where one server keeps its socket, the lock that serialises its start, and its log."""

    socket: Path
    lock: Path
    log: Path

    @classmethod
    def of(cls, spec: ServerSpec, folder: Path) -> ServerFiles:
        """The files of spec's server in folder."""
        key = spec.key()
        files = cls(folder / f"{key}.sock", folder / f"{key}.lock", folder / f"{key}.log")
        if len(str(files.socket)) > SUN_PATH_MAX:
            raise WarmKernelError(
                f"socket path {files.socket} is longer than {SUN_PATH_MAX} characters: "
                f"set {RUNTIME_DIR_VARIABLE} to a shorter folder"
            )
        return files


class KernelLink:
    """The connection to one forked kernel: its pid, exit status and signals."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock = sock
        self.pid = pid
        self.exit_code: int | None = None
        self.exit_reason: str | None = None  # the server's account: out of memory, sandbox
        self._reader = protocol.LineReader()
        self._server_gone = False

    def poll(self) -> int | None:
        """The kernel's exit code if it has exited, else None; never blocks."""
        while self.exit_code is None and not self._server_gone:
            if not select.select([self.sock], [], [], 0)[0]:
                break
            try:
                data = self.sock.recv(4096)
            except ConnectionError:
                data = b""
            if not data:
                self._server_gone = True
                break
            for message in self._reader.feed(data):
                if "exit" in message:
                    self.exit_code = int(message["exit"])
                    self.exit_reason = message.get("reason")
        if self.exit_code is None and self._server_gone and not _group_alive(self.pid):
            # The server died (killed by someone other than the confined student) and the
            # kernel is gone too; its real status went with the server.
            self.exit_code = -signal.SIGKILL
            self.exit_reason = "the fork server died"
        return self.exit_code

    def signal(self, signum: int) -> None:
        """Send signum to the kernel's process group (through the server, its parent)."""
        if self.poll() is not None:
            return
        try:
            self.sock.sendall(protocol.encode({"op": "signal", "signum": int(signum)}))
        except OSError:
            self._server_gone = True
            # Without the server nobody reaps the kernel, so its pid cannot be reused yet.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signum)

    def close(self) -> None:
        """Forget the kernel; the server kills its process group if it still runs."""
        self.sock.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def launch_kernel(
    spec: ServerSpec,
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    stdio: Sequence[int],
    attributes: Mapping[str, Any],
) -> KernelLink:
    """Fork a kernel running argv (python -m ipykernel_launcher ...) from spec's server.

    attributes: calling_thread_attributes() of the thread a cold kernel would start from."""
    request = {"op": "launch", "argv": list(argv), "env": dict(env), "cwd": cwd, **attributes}
    files = ServerFiles.of(spec, runtime_dir())
    for attempt in (1, 2):
        sock = _connect_to_server(spec, files, env)
        try:
            socket.send_fds(sock, [protocol.encode(request)], list(stdio))
            reply = _read_reply(sock)
        except (OSError, EOFError) as error:
            sock.close()
            _drop_lease(files.socket)
            if attempt == 2:
                raise WarmKernelError(
                    f"the fork server at {files.socket} did not launch the kernel ({error}); "
                    f"its log:\n{_log_tail(files.log)}"
                ) from error
            continue  # the server was exiting as we connected: start a new one
        if "pid" not in reply:
            sock.close()
            raise WarmKernelError(f"the fork server refused the kernel: {reply.get('error')}")
        return KernelLink(sock, int(reply["pid"]))
    raise AssertionError("unreachable")


def _read_reply(sock: socket.socket) -> dict[str, Any]:
    reader = protocol.LineReader()
    sock.settimeout(REPLY_TIMEOUT_SECONDS)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                raise EOFError("connection closed before the reply")
            messages = reader.feed(data)
            if messages:
                return messages[0]
    finally:
        sock.settimeout(None)


def _connect_to_server(
    spec: ServerSpec, files: ServerFiles, env: Mapping[str, str]
) -> socket.socket:
    """A connection to spec's server, starting it first if none answers; holds a lease."""
    if not _leases_lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
        raise WarmKernelError(f"another thread held the lease lock for {LOCK_TIMEOUT_SECONDS:g} s")
    try:
        return _connect_locked(spec, files, env)
    finally:
        _leases_lock.release()


def _connect_locked(spec: ServerSpec, files: ServerFiles, env: Mapping[str, str]) -> socket.socket:
    with _locked(files.lock):
        try:
            sock = _connect(files.socket)
        except (FileNotFoundError, ConnectionRefusedError):
            # No server, or the socket of one that died: start a fresh one in its place.
            files.socket.unlink(missing_ok=True)
            _start_server(spec, files, env)
            sock = _connect(files.socket)
        lease = _leases.get(files.socket)
        if lease is None or _is_closed(lease):
            if lease is not None:
                lease.close()
            _leases[files.socket] = _connect(files.socket)
        return sock


def release_leases() -> None:
    """Let this process's servers exit once idle, as they would when this process ends."""
    with _leases_lock:
        for lease in _leases.values():
            lease.close()
        _leases.clear()


# Closed at exit rather than left to the interpreter, which warns of each unclosed socket.
atexit.register(release_leases)


def _drop_lease(path: Path) -> None:
    with _leases_lock:
        lease = _leases.pop(path, None)
        if lease is not None:
            lease.close()


def _is_closed(sock: socket.socket) -> bool:
    readable = select.select([sock], [], [], 0)[0]
    return bool(readable) and not sock.recv(1, socket.MSG_PEEK)


def _connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold path's lock, waiting at most LOCK_TIMEOUT_SECONDS for another holder."""
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    with open(path, "a+b") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WarmKernelError(
                        f"{path} stayed locked for {LOCK_TIMEOUT_SECONDS:g} s "
                        "(another grader starting the fork server)"
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        yield


def _start_server(spec: ServerSpec, files: ServerFiles, env: Mapping[str, str]) -> None:
    """Start spec's server; return once its socket accepts connections."""
    command = [
        spec.python, "-m", "coursekit.isolation.warm.server",
        "--socket", str(files.socket), "--lock", str(files.lock),
        "--preload", ",".join(spec.preload), "--idle-seconds", str(spec.idle_seconds),
    ]  # fmt: skip
    with open(files.log, "ab") as log:
        # cwd: the private folder, so nothing in a student's folder shadows a preloaded module.
        started = subprocess.run(
            command,
            env=dict(env),
            cwd=files.socket.parent,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
    if started.returncode != 0 or not files.socket.exists():
        raise WarmKernelError(
            f"the fork server did not start (exit code {started.returncode}); "
            f"its log {files.log} ends:\n{_log_tail(files.log)}"
        )


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
    except OSError:
        return "(no log)"
