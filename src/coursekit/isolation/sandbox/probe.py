"""Which sandbox mechanisms this machine offers to this process, and refusing a policy that
needs one it lacks."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from coursekit.isolation.sandbox import linux
from coursekit.isolation.sandbox.cgroups import controller_problem
from coursekit.isolation.sandbox.policy import CGROUP_ROOT, SandboxError, SandboxPolicy

NAMESPACE_FLAGS = {
    "mount_namespace": linux.CLONE_NEWNS,
    "network_namespace": linux.CLONE_NEWNET,
    "ipc_namespace": linux.CLONE_NEWIPC,
    "uts_namespace": linux.CLONE_NEWUTS,
}


def probe_mechanisms(cgroup_root: Path | str = CGROUP_ROOT) -> dict[str, str | None]:
    """Each mechanism's name with None if usable here, else why not."""
    found: dict[str, str | None] = {}
    for controller in ("memory", "pids", "freezer"):
        found[f"cgroup_{controller}"] = controller_problem(Path(cgroup_root), controller)
    found.update(_probe_namespaces())
    if os.geteuid() != 0:
        found["privilege_drop"] = f"not root (uid {os.geteuid()}): cannot switch to another user"
    else:
        found["privilege_drop"] = None
    found["rlimits"] = None
    return found


def require_mechanisms(
    policy: SandboxPolicy, available: dict[str, str | None] | None = None
) -> None:
    """SandboxError naming each mechanism the policy needs and this machine lacks."""
    available = probe_mechanisms(policy.cgroup_root) if available is None else available
    missing = {
        name: available.get(name, "unknown mechanism")
        for name in policy.required_mechanisms()
        if available.get(name, "unknown mechanism") is not None
    }
    if missing:
        names = ", ".join(missing)
        reasons = "; ".join(f"{name}: {why}" for name, why in missing.items())
        raise SandboxError(names, f"unavailable here ({reasons})")


def _probe_namespaces() -> dict[str, str | None]:
    """Try each namespace, and a tmpfs mount in the new mount namespace, in a throwaway child."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only system calls, then _exit (never back into the caller's code)
        os.close(reader)
        results: dict[str, str | None] = {}
        for name, flag in NAMESPACE_FLAGS.items():
            try:
                linux.unshare(flag)
                if flag == linux.CLONE_NEWNS:
                    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
                    linux.mount("tmpfs", "/tmp", "tmpfs", linux.MS_NOSUID, "size=1m")
                results[name] = None
            except OSError as error:
                hint = " (needs root)" if error.errno == errno.EPERM else ""
                results[name] = f"{error.strerror}{hint}"
        os.write(writer, json.dumps(results).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    if not data:
        return {name: "the probe process died" for name in NAMESPACE_FLAGS}
    return json.loads(data)
