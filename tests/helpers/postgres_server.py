"""A throwaway PostgreSQL server for tests: Debian's binaries, loopback only, removed after.

The fixture `postgres_url` starts one on a free port (`bash .ci/run` installs the binaries); as
root it runs them as the `postgres` user, as PostgreSQL requires. tests/conftest.py loads this
module as a plugin (PYTEST_DONT_REWRITE: it asserts nothing).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

SERVER_USER = "postgres"  # who runs the server when the tests run as root
DB_USER = "grader"


def server_bin_dir() -> Path | None:
    """The folder of initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, or PATH's."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL server on 127.0.0.1 with an empty database; its URL."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.skip(
            "!!! PostgreSQL server binaries (initdb, pg_ctl) are NOT installed, so the "
            "PostgreSQL gradebook is NOT tested: `apt-get install -y postgresql` "
            "(bash .ci/run does it) !!!"
        )
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
    # Not in tmp_path: pytest makes it private to root, and the server user must own its data.
    base = Path(tempfile.mkdtemp(prefix="coursekit-pg-"))
    data, port = base / "data", free_port()
    if as_root:
        shutil.chown(base, SERVER_USER)

    def server(*command: str) -> None:
        subprocess.run([*run_as, *command], check=True, capture_output=True, timeout=120)

    try:
        server(str(bin_dir / "initdb"), "-D", str(data), "-U", DB_USER, "--auth=trust")
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log")]
        server(*pg_ctl, "-o", options, "-w", "start")
        try:
            with psycopg.connect(
                f"postgresql://{DB_USER}@127.0.0.1:{port}/postgres", autocommit=True
            ) as admin:
                admin.execute("CREATE DATABASE gradebook")
            yield f"postgresql://{DB_USER}@127.0.0.1:{port}/gradebook"
        finally:
            server(*pg_ctl, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
