"""A verb's log file: what kernels, workers and libraries print goes there, not to the terminal.

A kernel inherits the grading process's stdout and stderr (a warm kernel is handed them), so
its "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." would land between the rows of
a table. While a verb runs, file descriptors 1 and 2 point at the log; `print` in this process
keeps the terminal through copies of them. Python's warnings and logging go to the log too.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class LogFile:
    """The log of one run of a verb; header is what this run wrote first."""

    path: Path
    header_bytes: int

    @property
    def lines(self) -> int:
        """The lines kernels and libraries wrote into the log during the run."""
        try:
            with self.path.open("rb") as log:
                log.seek(self.header_bytes)
                return log.read().count(b"\n")
        except OSError:  # removed meanwhile: nothing to point at
            return 0

    def where(self) -> str:
        """The log's path, relative to the working folder when it is inside it."""
        with contextlib.suppress(ValueError):
            return str(self.path.resolve().relative_to(Path.cwd().resolve()))
        return str(self.path)


def terminal_copy(stream: TextIO, fd: int, saved: int) -> TextIO | None:
    """A stream on saved (a copy of fd) standing in for stream, or None if stream is not on fd.

    Streams not on their file descriptor (pytest's capsys, a StringIO) are left as they are.
    """
    try:
        if stream.fileno() != fd:
            return None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return open(  # noqa: SIM115 -- closed when the run ends (route_output)
        saved,
        "w",
        buffering=1,
        encoding=stream.encoding,
        errors=stream.errors,
        closefd=False,
    )


@contextlib.contextmanager
def route_output(path: Path, title: str) -> Iterator[LogFile | None]:
    """Send fds 1 and 2 (and so every child's output), warnings and logging to path.

    None, and the output left where it was, when the log cannot be written (a read-only
    course): a verb never fails for its log."""
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    header = f"# {title}, {now}: what kernels, workers and libraries printed\n".encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    except OSError:
        log_fd = -1
    if log_fd < 0:
        yield None
        return
    os.write(log_fd, header)
    streams = {1: "stdout", 2: "stderr"}
    originals = {fd: getattr(sys, name) for fd, name in streams.items()}
    saved: dict[int, int] = {}
    copies: dict[int, TextIO] = {}
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    try:
        for fd, stream in originals.items():
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
            saved[fd] = os.dup(fd)
            os.dup2(log_fd, fd)
            copy = terminal_copy(stream, fd, saved[fd])
            if copy is not None:
                copies[fd] = copy
                setattr(sys, streams[fd], copy)
        logging.getLogger().addHandler(handler)
        logging.captureWarnings(True)
        yield LogFile(path, len(header))
    finally:
        logging.captureWarnings(False)
        logging.getLogger().removeHandler(handler)
        handler.close()
        for fd, name in streams.items():
            copy = copies.get(fd)
            if copy is not None:
                with contextlib.suppress(OSError, ValueError):  # a reader gone (BrokenPipe)
                    copy.flush()
                setattr(sys, name, originals[fd])
                with contextlib.suppress(OSError, ValueError):
                    copy.close()
            if fd in saved:
                os.dup2(saved[fd], fd)
                os.close(saved[fd])
        os.close(log_fd)
