"""The fork server's wire format: one JSON object per line on a Unix stream socket.

Requests (client -> server): {"op": "launch", "argv", "env", "cwd", "cpus", "umask", "policy",
"kernel_dir"} sent together with three file descriptors (the kernel's stdin, stdout, stderr),
then optionally {"op": "signal", "signum"}. "policy" is a coursekit.isolation.sandbox SandboxPolicy
as
JSON, "kernel_dir" the folder of the kernel's connection file and IPC sockets. Replies (server
-> client): {"pid"} once the kernel is forked, {"exit", "reason"} when it has exited (a negative
code: killed by that signal, as subprocess reports it; reason: null, or what the server knows
of why, such as "out of memory" or "sandbox: ..."), {"error"} if the request was malformed or
the kernel's cgroup could not be made. Closing the connection kills the kernel's process group
(and its cgroup): a grader that dies takes its kernels with it. Any other open connection (a
lease) keeps the server alive.
"""

from __future__ import annotations

import json
from typing import Any

STDIO_FDS = 3  # stdin, stdout, stderr of the kernel, passed with the launch request
MAX_LINE = 1 << 22  # an environment is a few KB; anything this long is garbage


def encode(message: dict[str, Any]) -> bytes:
    """One message as a line of JSON."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


class LineReader:
    """Collects bytes as they arrive and hands out the complete messages."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The messages completed by data, in order."""
        self._buffer += data
        if len(self._buffer) > MAX_LINE:
            raise ValueError("message too long")
        *lines, self._buffer = self._buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]
