"""The fork server: imports the heavy libraries once, then forks a fresh kernel per request.

Started by the first grading process that needs it (client.py), with the grading environment,
as `python -m coursekit.isolation.warm.server --socket PATH --lock PATH --preload a,b
--idle-seconds S`.
It binds its socket, detaches (the starter returns once the socket exists), imports the
preload list and serves. Every kernel is forked from this untouched server, never from another
kernel, so no student's state can reach the next one. It exits once no connection and no kernel
has existed for the idle time, removing its socket.

Liveness: the server is shared by the grading processes of a user (parallel workers, commands
run back to back), so it does not die with any one of them; it dies with the last. Each grader
holds a connection, which the kernel closes when the grader dies however it dies (SIGKILL
included): the server then kills that grader's kernel at once, and exits idle_seconds after its
last connection and kernel are gone, at most MAX_IDLE_SECONDS whatever the configuration, so a
killed run leaves no server behind for longer. A kernel whose server is killed exits within a
second (ipykernel's parent poller watches JPY_PARENT_PID, the server).

Each launch carries a sandbox policy. The server makes the kernel's cgroup (memory, processes),
the forked child confines itself (coursekit.isolation.sandbox.confine) before it becomes the kernel
and
reports the outcome on a pipe, and when the kernel exits the server kills whatever is left in
its cgroup, notes whether it ran out of memory, and removes the cgroup. A confined kernel runs
as another user, so the student's code cannot signal this server, its parent.
"""

from __future__ import annotations

import argparse
import array
import contextlib
import errno
import fcntl
import gc
import importlib
import os
import resource
import select
import selectors
import signal
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.isolation.warm import protocol
from coursekit.isolation.warm.child import SANDBOX_FAILED, Confinement, kernel_arguments, run_kernel

RECV_BYTES = 1 << 16
MAX_IDLE_SECONDS = 10.0  # the longest a server outlives its last grader (issue 14: 10 s)
TICK_SECONDS = 0.5  # how often idleness is checked when nothing happens


@dataclass
class Connection:
    """One client connection: a lease, or the link to one kernel."""

    sock: socket.socket
    reader: protocol.LineReader = field(default_factory=protocol.LineReader)
    fds: list[int] = field(default_factory=list)
    kernel_pid: int | None = None


@dataclass
class Kernel:
    """One forked kernel: who asked for it, its cgroup, and the pipe its confinement reports on."""

    pid: int
    conn: Connection | None  # None once the client has gone
    cgroup: Any  # a coursekit.isolation.sandbox KernelCgroup, or None (sandbox disabled)
    status_fd: int


class ForkServer:
    """Accepts launch requests on a listening socket and forks kernels until idle."""

    def __init__(self, listener: socket.socket, lock_path: Path, idle_seconds: float) -> None:
        self.listener = listener
        self.path = Path(listener.getsockname())
        self.inode = self.path.stat().st_ino
        self.lock_path = lock_path
        self.idle_seconds = idle_seconds
        self.selector = selectors.DefaultSelector()
        self.wake_reader, self.wake_writer = socket.socketpair()
        self.connections: dict[int, Connection] = {}
        self.kernels: dict[int, Kernel] = {}
        self.cgroups_left: list[Any] = []  # cgroups whose last process has not gone yet
        self.launched = 0
        self.idle_since = time.monotonic()

    def serve(self) -> None:
        """Serve until idle for idle_seconds; then remove the socket and return."""
        for sock in (self.wake_reader, self.wake_writer):
            sock.setblocking(False)
        signal.set_wakeup_fd(self.wake_writer.fileno())
        signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the selector
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wake_reader, selectors.EVENT_READ)
        while True:
            for key, _ in self.selector.select(timeout=TICK_SECONDS):
                if key.fileobj is self.listener:
                    self._accept()
                elif key.fileobj is self.wake_reader:
                    with contextlib.suppress(BlockingIOError):
                        self.wake_reader.recv(RECV_BYTES)
                else:
                    self._read(self.connections[key.fd])
            self._reap()
            self._remove_cgroups()
            if self._idle_long_enough() and self._stop_if_still_idle():
                return

    def _accept(self) -> None:
        sock, _ = self.listener.accept()
        self.connections[sock.fileno()] = Connection(sock)
        self.selector.register(sock, selectors.EVENT_READ)

    def _read(self, conn: Connection) -> None:
        try:
            data, ancdata, _, _ = conn.sock.recvmsg(
                RECV_BYTES, socket.CMSG_SPACE(protocol.STDIO_FDS * 4)
            )
        except ConnectionError:
            data, ancdata = b"", []
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
                conn.fds.extend(fds)
        if not data:
            self._drop(conn)
            return
        try:
            messages = conn.reader.feed(data)
        except ValueError:
            self._drop(conn)
            return
        for message in messages:
            self._handle(conn, message)

    def _handle(self, conn: Connection, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "launch" and conn.kernel_pid is None:
            self._launch(conn, message)
        elif op == "signal" and conn.kernel_pid is not None:
            signal_group(conn.kernel_pid, int(message["signum"]))
        elif op != "hold":
            self._send(conn, {"error": f"unexpected request {op!r}"})

    def _launch(self, conn: Connection, request: dict[str, Any]) -> None:
        fds, conn.fds = conn.fds, []
        try:
            policy, cgroup = self._prepare_confinement(request, fds)
        except Exception as error:
            for fd in fds:
                os.close(fd)
            print(f"launch refused: {error}", flush=True)
            self._send(conn, {"error": str(error)})
            return
        status_read, status_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(status_read)
            self._close_in_child()
            run_kernel(request, fds, Confinement(policy, cgroup, status_write))
        os.close(status_write)
        os.set_blocking(status_read, False)
        for fd in fds:
            os.close(fd)
        conn.kernel_pid = pid
        self.kernels[pid] = Kernel(pid, conn, cgroup, status_read)
        self._send(conn, {"pid": pid})

    def _prepare_confinement(self, request: dict[str, Any], fds: list[int]) -> tuple[Any, Any]:
        """The launch's sandbox policy and the kernel's new cgroup (None if disabled)."""
        if len(fds) != protocol.STDIO_FDS or kernel_arguments(request.get("argv", [])) is None:
            raise ValueError("a launch needs stdio fds and an ipykernel_launcher argv")
        if not request.get("policy") or not request.get("kernel_dir"):
            # Never a kernel without a word on its confinement: disabling it is a policy too.
            raise ValueError("a launch needs a sandbox policy and a kernel_dir")
        from coursekit.isolation.sandbox import KernelCgroup, SandboxPolicy

        policy = SandboxPolicy.from_json(request["policy"])
        if not policy.enabled:
            return policy, None
        self.launched += 1
        name = f"warm-{os.getpid()}-{self.launched}"
        try:
            return policy, KernelCgroup.create(name, policy)
        except Exception as error:
            raise RuntimeError(f"the kernel's cgroup {name} could not be made: {error}") from error

    def _close_in_child(self) -> None:
        """Leave the child nothing of the server: no sockets, no signal plumbing."""
        signal.set_wakeup_fd(-1)
        self.selector.close()
        for sock in (self.listener, self.wake_reader, self.wake_writer):
            sock.close()
        for conn in self.connections.values():
            conn.sock.close()
            for fd in conn.fds:
                os.close(fd)
        for kernel in self.kernels.values():  # another kernel's report is not this one's
            os.close(kernel.status_fd)

    def _reap(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            # Whatever the student's code spawned in the kernel's session dies with it.
            signal_group(pid, signal.SIGKILL)
            kernel = self.kernels.pop(pid, None)
            reason, account = self._finish(kernel, code) if kernel else (None, "")
            # What each kernel cost, for benchmarks/autograde.py: its CPU is not the grader's.
            cpu = usage.ru_utime + usage.ru_stime
            print(
                f"kernel {pid} exit {code} cpu {cpu:.3f} s maxrss {usage.ru_maxrss} KiB{account}",
                flush=True,
            )
            if kernel is not None and kernel.conn is not None:
                kernel.conn.kernel_pid = None
                self._send(kernel.conn, {"exit": code, "reason": reason})

    def _finish(self, kernel: Kernel, code: int) -> tuple[str | None, str]:
        """Clear up after a kernel's exit: (why it ended if known, a note for the log)."""
        status = read_status(kernel.status_fd)
        notes = [status or "never confined"]
        out_of_memory = False
        if kernel.cgroup is not None:
            # Processes that left the kernel's session (setsid, double fork) are still here.
            notes.append(kill_cgroup(kernel.cgroup))
            out_of_memory = kernel.cgroup.out_of_memory()
            peak = kernel.cgroup.peak_memory_bytes()
            notes.append(f"peak {peak / 2**20:.0f} MiB" if peak is not None else "")
            notes.append("memory limit hit" if out_of_memory else "")
            self.cgroups_left.append(kernel.cgroup)
        reason = None
        if status.startswith(SANDBOX_FAILED):
            reason = status
        elif out_of_memory and code != 0:
            reason = "out of memory"
        return reason, "".join(f", {note}" for note in notes if note)

    def _remove_cgroups(self) -> None:
        """Remove the cgroups of finished kernels once their last process has gone."""
        for cgroup in list(self.cgroups_left):
            try:
                cgroup.kill_all()
                cgroup.remove()
            except Exception as error:  # a process that will not die: try again next tick
                print(f"cgroup {cgroup.name} not removed yet: {error}", flush=True)
                continue
            self.cgroups_left.remove(cgroup)

    def _drop(self, conn: Connection) -> None:
        """A closed connection: its kernel, if still running, is killed (the grader is gone)."""
        if conn.kernel_pid is not None:
            signal_group(conn.kernel_pid, signal.SIGKILL)
            kernel = self.kernels[conn.kernel_pid]
            if kernel.cgroup is not None:
                kill_cgroup(kernel.cgroup)
            kernel.conn = None
        self.selector.unregister(conn.sock)
        del self.connections[conn.sock.fileno()]
        conn.sock.close()
        for fd in conn.fds:
            os.close(fd)

    def _send(self, conn: Connection, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):  # the client left; its EOF is handled when read
            conn.sock.sendall(protocol.encode(message))

    def _idle_long_enough(self) -> bool:
        now = time.monotonic()
        if self.connections or self.kernels:
            self.idle_since = now
        return now - self.idle_since >= self.idle_seconds

    def _stop_if_still_idle(self) -> bool:
        """Remove the socket unless a client is connecting; True if the server should exit."""
        # Clients connect while holding this lock, so holding it means no connect is in
        # flight, and one that came first waits in the backlog, seen by the poll below.
        with open(self.lock_path, "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            if select.select([self.listener], [], [], 0)[0]:
                return False
            with contextlib.suppress(FileNotFoundError):
                if self.path.stat().st_ino == self.inode:  # not a successor's socket
                    self.path.unlink()
            self.listener.close()
            self._remove_cgroups()
            return True


def kill_cgroup(cgroup: Any) -> str:
    """Kill every process in a kernel's cgroup; '' or why some survived (for the log)."""
    try:
        cgroup.kill_all()
    except Exception as error:  # retried until the cgroup is removed (_remove_cgroups)
        return f"cgroup {cgroup.name} not emptied: {error}"
    return ""


def read_status(fd: int) -> str:
    """What a kernel's confinement reported on its pipe ('' if nothing); closes the pipe."""
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except BlockingIOError:  # a process that inherited the write end still holds it
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def signal_group(pgid: int, signum: int) -> None:
    """Send signum to a kernel's process group; nothing if the group is gone."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass
    except PermissionError as error:  # a student's setuid child; it is not ours to stop
        if error.errno != errno.EPERM:
            raise


def preload(modules: Sequence[str]) -> None:
    """Import the modules every kernel would import itself; report those that fail."""
    for name in modules:
        started = time.perf_counter()
        try:
            importlib.import_module(name)
        except Exception as error:  # a kernel that needs it will import it and fail there
            print(f"preload {name}: {type(error).__name__}: {error}", flush=True)
        else:
            print(f"preload {name}: {time.perf_counter() - started:.2f} s", flush=True)
    # Objects that exist now are shared by every fork; keep the collector from touching them
    # (each touch would copy a page into the child).
    gc.freeze()


def bind(path: Path) -> socket.socket:
    """A listening Unix socket at path, reachable by its owner only."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    listener.listen(64)
    return listener


def main(argv: Sequence[str] | None = None) -> None:
    """Bind, detach from the starter, preload, serve until idle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--lock", type=Path, required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    listener = bind(args.socket)
    if os.fork() != 0:
        os._exit(0)  # the starter waits for this exit: the socket exists from now on
    os.setsid()
    print(f"fork server {os.getpid()} on {args.socket}", flush=True)
    preload([name for name in args.preload.split(",") if name])
    ForkServer(listener, args.lock, min(args.idle_seconds, MAX_IDLE_SECONDS)).serve()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"fork server {os.getpid()} idle, exiting: own cpu {cpu:.3f} s", flush=True)


if __name__ == "__main__":
    main()
