"""The cold-kernel launcher: `python -m coursekit.isolation.sandbox POLICY_JSON WORKDIR KERNEL_DIR
-- CMD...`

Creates the kernel's cgroup, named by cgroup_name_for(KERNEL_DIR) (so whoever cleans up finds
it: KernelCgroup.find(cgroup_name_for(kernel_dir), policy).kill_all() then .remove(), from a
process in the launcher's parent's cgroups, the grader), confines itself, then execs CMD.
POLICY_JSON is SandboxPolicy.to_json() text, or the path of a file holding it. Run it with the
kernel's own interpreter: that interpreter's installation is what stays visible. Exit status
125 and a message on stderr if the sandbox cannot be set up; 127 if CMD cannot be executed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from coursekit.core.errors import CourseError
from coursekit.isolation.sandbox.cgroups import KernelCgroup, cgroup_name_for
from coursekit.isolation.sandbox.confine import confine
from coursekit.isolation.sandbox.policy import SandboxPolicy

USAGE = "usage: python -m coursekit.isolation.sandbox POLICY_JSON WORKDIR KERNEL_DIR -- CMD..."
SETUP_FAILED = 125
EXEC_FAILED = 127


def main(argv: Sequence[str] | None = None) -> int:
    """Confine this process per the policy, then exec the command; returns only on failure."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 5 or args[3] != "--":
        print(USAGE, file=sys.stderr)
        return 2
    policy_text, workdir, kernel_dir, command = args[0], Path(args[1]), Path(args[2]), args[4:]
    if os.sep in command[0]:  # relative to this folder, not to the working copy entered below
        command[0] = os.path.abspath(command[0])
    try:
        if not policy_text.lstrip().startswith("{"):
            policy_text = Path(policy_text).read_text()
        policy = SandboxPolicy.from_json(policy_text)
        cgroup = None
        if policy.enabled:
            cgroup = KernelCgroup.create(cgroup_name_for(kernel_dir), policy)
        confine(policy, workdir, kernel_dir, cgroup)
    except (CourseError, OSError, ValueError) as error:
        print(f"coursekit.sandbox: {error}", file=sys.stderr)
        return SETUP_FAILED
    try:
        os.execvp(command[0], command)
    except OSError as error:
        print(f"coursekit.sandbox: cannot execute {command[0]}: {error}", file=sys.stderr)
    return EXEC_FAILED


if __name__ == "__main__":
    sys.exit(main())
