"""The grading sandbox: each kernel runs confined, as its own unprivileged user, in its own cgroup.

How a kernel is confined (confine(), in a fresh single-threaded fork, as root, in this order):
  1. cgroup v1 (cgroups.py): its own memory cgroup (memory_mb; memsw too, so no swapping out of
     it) and pids cgroup (max_processes: processes and threads), plus a freezer cgroup where
     present. KernelCgroup.kill_all() kills every process in it, including those that left the
     kernel's session with setsid or double forks; out_of_memory() tells an OOM kill apart.
  2. namespaces: mount, network (only a loopback that is down: no TCP/UDP anywhere, not even
     127.0.0.1; abstract Unix sockets of the host are out of reach), IPC (no SysV shared memory
     or queues of others), UTS (its own host name).
  3. the file view (filesystem.py), private to the kernel: empty, read-only, unlistable tmpfs
     over each hidden path (defaults: the course root, so source/ with the hidden tests, the
     gradebook, nbgrader_config.py, submitted/, autograded/ and feedback/ of every student;
     /root, /home, /run, /srv, /mnt, /media, /etc/jupyter, /usr/local/etc/jupyter; an
     Exchange.root or SQLite gradebook the config names elsewhere; the kernel folder's parent);
     fresh size-capped tmpfs on /tmp, /var/tmp, /dev/shm; the Python installation (prefixes,
     site-packages) and readonly_paths re-exposed read-only; the kernel folder (connection
     file, ZMQ IPC sockets) read-write; the working directory replaced, at the same absolute
     path, by a private tmpfs holding a copy of its files with workdir_mb of room: writes
     there vanish with the kernel, a write past the cap fails with ENOSPC in student code.
     HOME is SANDBOX_HOME (/tmp/home, private); everything written to tmpfs is also charged to
     the kernel's memory cgroup.
  4. rlimits: CPU seconds (SIGXCPU, then SIGKILL 5 s later), file size (EFBIG), no core dumps,
     open files.
  5. privileges: setgroups([]), gid nogroup, and a uid of the kernel's own (KERNEL_UID_BASE +
     its pid; policy.uid, if set, for all), an empty capability bounding set, no_new_privs,
     a new empty session keyring (not the grader's keys).
     From then on the kernel cannot unmount or remount the covers (EPERM; in a user namespace
     of its own they are locked to it), leave its cgroups, or signal or trace the grader, the
     fork server, or another student's kernel running at the same time (os.kill(-1, 9) too).

Not protected (say so to instructors):
  - A uid is unique among live kernels, not forever: if the grader dies before killing a
    kernel's cgroup, a daemon the kernel left keeps its uid, which a later kernel with the
    same pid would share (pid numbers wrap around). With policy.uid set, all kernels share it
    and can signal each other.
  - /proc is the host's (no PID namespace: ipykernel watches JPY_PARENT_PID): the process
    list and command lines of every process are visible, though not their files or memory.
  - Everything not hidden stays readable as for any unprivileged user: /etc, /usr, /opt,
    /var (except /var/tmp); add secrets there to c.CourseKit.sandbox_hidden_paths.
  - Descriptors the kernel inherits stay usable: confine() closes descriptors of folders only;
    the caller must not pass others to secrets. The environment is the caller's to clean.
  - The Linux kernel itself is the boundary: a kernel exploit, or side channels, are not
    stopped; user namespaces remain available to student code (their mounts are locked).
  - The kernel folder is the grader's own (its sockets must be reachable by path), writable
    by the kernel: each file there is capped by max_file_mb, their number is not. On a tmpfs
    (mount one at the folder that holds the kernel folders) the pages are charged to the
    kernel's memory cgroup, hence capped by memory_mb, and never reach the disk.
  - Wall time per cell is nbgrader's (c.Execute.timeout), not this package's.

Configuration: c.CourseKit.sandbox_<field> in nbgrader_config.py, for each SandboxPolicy field
(policy.py documents the defaults and why); c.CourseKit.sandbox_enabled = False turns it all
off. A mechanism that is needed and unavailable is a SandboxError naming it, never a silent
fallback: turn a part off explicitly (memory_mb/max_processes/cpu_seconds/max_file_mb = None,
network = True, filesystem = False, drop_privileges = False).
"""

from coursekit.isolation.sandbox.cgroups import KernelCgroup, cgroup_name_for
from coursekit.isolation.sandbox.confine import SANDBOX_HOME, confine
from coursekit.isolation.sandbox.policy import SandboxError, SandboxPolicy, policy_from_config
from coursekit.isolation.sandbox.probe import probe_mechanisms, require_mechanisms

__all__ = [
    "SANDBOX_HOME",
    "KernelCgroup",
    "SandboxError",
    "SandboxPolicy",
    "cgroup_name_for",
    "confine",
    "policy_from_config",
    "probe_mechanisms",
    "require_mechanisms",
]
