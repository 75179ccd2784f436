"""What a grading kernel may do: the sandbox policy, its defaults, and how nbgrader_config.py
sets it (`c.CourseKit.sandbox_<field> = value`; `c.CourseKit.sandbox_enabled = False` turns the
sandbox off, the only way to)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from traitlets.config import Config
from traitlets.config.loader import LazyConfigValue

from coursekit.core.errors import CourseError

CONFIG_SECTION = "CourseKit"
CONFIG_PREFIX = "sandbox_"
CGROUP_ROOT = "/sys/fs/cgroup"

# Hidden from every kernel besides the course root: the instructor's and users' homes (SSH keys,
# ~/.jupyter with nbgrader configs, tokens, other courses), /run (sockets of local services:
# database servers, Docker, D-Bus; the warm fork server's socket when XDG_RUNTIME_DIR is set),
# /srv (nbgrader's default exchange, /srv/nbgrader/exchange, holds every student's submissions),
# /mnt and /media (mounted shares and disks), and the system-wide Jupyter configuration folders
# (an nbgrader_config.py there may hold a gradebook URL with a password).
DEFAULT_HIDDEN_PATHS = (
    "/root",
    "/home",
    "/run",
    "/srv",
    "/mnt",
    "/media",
    "/etc/jupyter",
    "/usr/local/etc/jupyter",
)
# Memory: each solution notebook of lecture 1 run cold in the sandbox (benchmarks/sandbox.py)
# peaked at 623 MiB RSS (exercise 1.2; TensorFlow ones 573-623, PyTorch 303, plain Python 110);
# the cgroup also charges the kernel's /tmp and working-copy writes and the page cache of files
# it reads first (up to 462 MiB measured, reclaimed before an OOM kill). 2 GiB leaves a student's
# less frugal solution three times the largest reference, and a memory bomb still stops there.
DEFAULT_MEMORY_MB = 2048
# CPU: exercise 1.2 takes about 20 CPU s per kernel; nbgrader's per-cell wall timeout
# (c.Execute.timeout) stops a stuck cell first. 20 CPU minutes only stops a runaway kernel
# whose cells each stay under the timeout (TensorFlow's threads burn CPU faster than wall time).
DEFAULT_CPU_SECONDS = 1200
# The pids controller counts threads: a Keras training process here ran 9 threads on 2 cores
# (TensorFlow sizes its thread pools by the cores: 2 x cores and more on a big grader), and
# ipykernel adds a few (heartbeat, IOPub, control). 512 keeps a fork bomb small while a
# TensorFlow kernel on a 128-core grader still fits.
DEFAULT_MAX_PROCESSES = 512
# A student may save models and plots next to the notebook (a few MB for this course's
# models); 256 MB of new files in the working copy and in /tmp is ample.
DEFAULT_WORKDIR_MB = 256
DEFAULT_TMP_MB = 256
DEFAULT_MAX_FILE_MB = 128
# The same training process held 6 descriptors; a kernel adds its ZMQ sockets. Room, not a need:
# it only bounds a student who opens files without end.
DEFAULT_OPEN_FILES = 4096
NOGROUP = 65534  # nogroup on Debian
# Each kernel runs as a uid of its own, KERNEL_UID_BASE + its process id (unique among live
# processes): kernels graded at the same time cannot signal (os.kill(-1, SIGKILL) included),
# trace or read each other. The base lies far above real users, subordinate uid ranges
# (100000 and up) and systemd's dynamic users, and below 2**31 for code that reads uids as signed.
KERNEL_UID_BASE = 1_500_000_000


# The explicit opt-out of each mechanism, for error messages (c.CourseKit.<setting>).
OPT_OUTS = {
    "cgroup_memory": "sandbox_memory_mb = None",
    "cgroup_pids": "sandbox_max_processes = None",
    "mount_namespace": "sandbox_filesystem = False",
    "network_namespace": "sandbox_network = True",
    "privilege_drop": "sandbox_drop_privileges = False",
}


class SandboxError(CourseError):
    """A sandbox mechanism failed or is unavailable; `mechanism` names it (or several, ", ")."""

    def __init__(self, mechanism: str, detail: str) -> None:
        opt_outs = sorted(
            {OPT_OUTS.get(name, "sandbox_enabled = False") for name in mechanism.split(", ")}
        )
        settings = " or ".join(f"c.{CONFIG_SECTION}.{setting}" for setting in opt_outs)
        super().__init__(
            f"sandbox {mechanism}: {detail}. Student code must not run unconfined: fix this, or "
            f"turn it off explicitly in nbgrader_config.py ({settings}) if you accept the risk."
        )
        self.mechanism = mechanism
        self.detail = detail


@dataclass(frozen=True)
class SandboxPolicy:
    """The confinement of one grading kernel; None or False in a field turns that part off."""

    enabled: bool = True
    hidden_paths: tuple[str, ...] = DEFAULT_HIDDEN_PATHS
    readonly_paths: tuple[str, ...] = ()
    workdir_mb: int = DEFAULT_WORKDIR_MB
    tmp_mb: int = DEFAULT_TMP_MB
    memory_mb: int | None = DEFAULT_MEMORY_MB
    cpu_seconds: int | None = DEFAULT_CPU_SECONDS
    max_processes: int | None = DEFAULT_MAX_PROCESSES
    max_file_mb: int | None = DEFAULT_MAX_FILE_MB
    open_files: int = DEFAULT_OPEN_FILES
    network: bool = False  # True: the kernel keeps the grader's network (no network namespace)
    filesystem: bool = True  # False: no mount namespace (nothing hidden, no private copies)
    drop_privileges: bool = True  # False: the kernel keeps the grader's uid (root)
    uid: int | None = None  # None: a uid of its own per kernel; a number: that uid for all
    gid: int = NOGROUP
    cgroup_root: str = CGROUP_ROOT

    def to_json(self) -> str:
        """The policy as a JSON object (for the launcher's command line)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SandboxPolicy:
        """The policy to_json wrote; unknown keys are an error."""
        return policy_from_mapping(json.loads(text), "the sandbox policy JSON")

    def kernel_uid(self, pid: int) -> int | None:
        """The uid the kernel with this process id runs as; None if it keeps the grader's."""
        if not self.drop_privileges:
            return None
        return KERNEL_UID_BASE + pid if self.uid is None else self.uid

    def required_mechanisms(self) -> tuple[str, ...]:
        """The mechanisms (names of probe_mechanisms) this policy cannot do without."""
        if not self.enabled:
            return ()
        wanted = {
            "cgroup_memory": self.memory_mb is not None,
            "cgroup_pids": self.max_processes is not None,
            "mount_namespace": self.filesystem,
            "network_namespace": not self.network,
            "ipc_namespace": True,
            "uts_namespace": True,
            "privilege_drop": self.drop_privileges,
            "rlimits": True,
        }
        return tuple(name for name, needed in wanted.items() if needed)


_TUPLE_FIELDS = {"hidden_paths", "readonly_paths"}
_OPTIONAL_INT_FIELDS = {"memory_mb", "cpu_seconds", "max_processes", "max_file_mb", "uid"}
_INT_FIELDS = {"workdir_mb", "tmp_mb", "open_files", "gid"}
_BOOL_FIELDS = {"enabled", "network", "filesystem", "drop_privileges"}


def policy_from_mapping(values: dict[str, Any], where: str) -> SandboxPolicy:
    """A policy from field values, each checked; where names their origin in errors."""
    known = {field.name for field in fields(SandboxPolicy)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise CourseError(
            f"{where}: unknown sandbox setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    checked: dict[str, Any] = {}
    for name, value in values.items():
        checked[name] = _checked(name, value, where)
    return SandboxPolicy(**checked)


def _checked(name: str, value: Any, where: str) -> Any:
    def bad(expected: str) -> CourseError:
        return CourseError(f"{where}: sandbox {name} must be {expected}, not {value!r}")

    if isinstance(value, LazyConfigValue):  # c.CourseKit.sandbox_hidden_paths.append(...)
        value = value.get_value([])
    if name in _TUPLE_FIELDS:
        if isinstance(value, str) or not all(isinstance(item, str) for item in value):
            raise bad("a list of absolute paths")
        if not all(Path(item).is_absolute() and Path(item) != Path("/") for item in value):
            raise bad("a list of absolute paths other than /")
        return tuple(value)
    if name in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise bad("True or False")
        return value
    if name in _OPTIONAL_INT_FIELDS and value is None:
        return None
    if name in _INT_FIELDS | _OPTIONAL_INT_FIELDS:
        minimum = 0 if name in {"uid", "gid"} else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            optional = " or None" if name in _OPTIONAL_INT_FIELDS else ""
            raise bad(f"a whole number >= {minimum}{optional}")
        return value
    if name == "cgroup_root":
        if not isinstance(value, str) or not Path(value).is_absolute():
            raise bad("an absolute path")
        return value
    raise bad("known")  # a field added to SandboxPolicy without a check here


def policy_from_config(config: Config, course_root: Path) -> SandboxPolicy:
    """The course's policy: defaults, the course's own secrets hidden, then the config's entries.

    `c.CourseKit.sandbox_hidden_paths` and `sandbox_readonly_paths` add to the defaults (a
    default cannot be un-hidden; re-expose what a kernel needs with sandbox_readonly_paths).
    """
    section = config[CONFIG_SECTION] if CONFIG_SECTION in config else Config()
    entries = {
        key[len(CONFIG_PREFIX) :]: value
        for key, value in section.items()
        if key.startswith(CONFIG_PREFIX)
    }
    where = f"nbgrader_config.py (c.{CONFIG_SECTION}.{CONFIG_PREFIX}*)"
    extra_hidden = _checked("hidden_paths", entries.pop("hidden_paths", ()), where)
    policy = policy_from_mapping(entries, where)
    hidden = [str(course_root.resolve()), *DEFAULT_HIDDEN_PATHS, *_config_secrets(config)]
    hidden.extend(extra_hidden)
    return replace(policy, hidden_paths=tuple(dict.fromkeys(hidden)))


def _config_secrets(config: Config) -> list[str]:
    """Folders the config names that hold grades or submissions outside the course root."""
    found = []
    exchange = config["Exchange"].get("root") if "Exchange" in config else None
    if isinstance(exchange, str) and exchange:
        found.append(exchange)
    db_url = config["CourseDirectory"].get("db_url") if "CourseDirectory" in config else None
    if isinstance(db_url, str) and db_url.startswith("sqlite:///"):
        found.append(str(Path(db_url[len("sqlite:///") :]).parent))
    return [path for path in found if Path(path).is_absolute()]
