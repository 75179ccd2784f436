"""What the grading sandbox costs and what the course's notebooks need inside it; prints figures.

    .venv/bin/python benchmarks/sandbox.py [--forks 20] [--notebooks NAME ...]

Needs root. Two parts:
1. confine() cost: a fork that confines itself (default policy, this repository as the course
   root) and exits, against a fork that only exits, both timed in this run, with the kernel's
   cgroup made, killed and removed around each.
2. Each source notebook (solutions and hidden tests, as a graded notebook runs them) executed
   cold by IPython in the sandbox through the launcher (`python -m coursekit.isolation.sandbox`),
   its
   folder as the working copy: exit status, wall time, the kernel's peak RSS, and the cgroup's
   peak (RSS plus the page cache and tmpfs it was charged; cache is reclaimed before an OOM
   kill). These pick the default memory_mb (coursekit/isolation/sandbox/policy.py).
Figures, not assertions: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from traitlets.config import Config

from coursekit.isolation.sandbox import KernelCgroup, cgroup_name_for, confine, policy_from_config

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(path.stem for path in (REPO / "source" / "lecture1").glob("*.ipynb"))
MIB = 1 << 20


def fork_seconds(confined: bool, work: Path, kernel_dir: Path) -> float:
    """Wall seconds of one fork (confined or not) that exits, cgroup setup and removal included."""
    policy = policy_from_config(Config(), REPO)
    started = time.perf_counter()
    cgroup = KernelCgroup.create(f"bench-{os.getpid()}", policy) if confined else None
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            if confined:
                confine(policy, work, kernel_dir, cgroup)
        except BaseException as error:  # reported through the exit status
            print(error, file=sys.stderr)
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if cgroup is not None:
        cgroup.kill_all()
        cgroup.remove()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("confine failed in the benchmark's fork")
    return time.perf_counter() - started


def run_notebook(name: str, kernel_root: Path) -> str:
    """One notebook's code, run by IPython in the sandbox; its figures as a table row."""
    policy = policy_from_config(Config(), REPO)
    kernel_dir = Path(tempfile.mkdtemp(prefix="k-", dir=kernel_root))
    folder = REPO / "source" / "lecture1"
    command = [sys.executable, "-m", "coursekit.isolation.sandbox", policy.to_json(), str(folder)]
    command += [str(kernel_dir), "--", sys.executable, "-m", "IPython", f"{name}.ipynb"]
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0"}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # its own rusage: exec keeps the process
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()
    wall = time.perf_counter() - started
    cgroup = KernelCgroup.find(cgroup_name_for(kernel_dir), policy)
    peak = cgroup.peak_memory_bytes() or 0
    oom = cgroup.out_of_memory()
    cgroup.kill_all()
    cgroup.remove()
    kernel_dir.rmdir()
    result = "ok" if process.returncode == 0 else f"exit {process.returncode}: {stderr[-200:]!r}"
    rss = usage.ru_maxrss / 1024  # KiB
    return (
        f"{name:38} {wall:7.1f} {rss:8.0f} {peak / MIB:10.0f} {'yes' if oom else 'no':>4}  {result}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--notebooks", nargs="*", default=NOTEBOOKS)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the sandbox needs root")
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-", dir="/run") as root:
        work, kernel_root = Path(root, "work"), Path(root, "kernels")
        for folder in (work, kernel_root):
            folder.mkdir()
        (work / "notebook.ipynb").write_text("{}")
        plain = [fork_seconds(False, work, kernel_root) for _ in range(args.forks)]
        confined = []
        for number in range(args.forks):
            kernel_dir = kernel_root / f"k-{number}"
            kernel_dir.mkdir()
            confined.append(fork_seconds(True, work, kernel_dir))
        print(f"{args.forks} forks each, median wall ms:")
        print(f"  fork + exit                     {sorted(plain)[len(plain) // 2] * 1000:7.1f}")
        print(
            f"  cgroup + fork + confine + exit  {sorted(confined)[len(confined) // 2] * 1000:7.1f}"
        )
        print()
        print(
            f"{'notebook (cold, sandboxed)':38} {'wall s':>7} {'RSS MiB':>8} {'cgroup MiB':>10} "
            f"{'OOM':>4}  result"
        )
        for name in args.notebooks:
            print(run_notebook(name, kernel_root), flush=True)


if __name__ == "__main__":
    main()
