"""How well N TensorFlow processes share the cores, with no grader at all; print the figures.

    .venv/bin/python benchmarks/tf_concurrency.py [--fits 8] [--processes 1,2,3,4]

Each process is a fork of this one (TensorFlow and Keras imported, no op run yet) that trains
exercise 1.2's model `--fits` times: one Dense node, 20 epochs of SGD on 1,000 points, batch 32.
For each number of processes, with TensorFlow's default thread pools and with one thread per
pool, it prints the wall time, the CPU time, how idle the machine's cores were (/proc/stat) and
the fits per second against one process. This is the ceiling for any grader that runs one
student per process: issue 16's floor (the cells' time in one process divided by the cores)
assumes N processes keep N cores busy, and this measures whether they can.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass

# The grading environment (nbgrader_config.py's, as benchmarks/autograde.py mirrors it), set
# on import; the thread variables are then switched per run below.
from autograde import GRADING_ENVIRONMENT  # noqa: F401

THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


@dataclass(frozen=True)
class Figures:
    """One run: `processes` forks training `fits` models each."""

    processes: int
    wall: float
    cpu: float
    idle_share: float  # of all cores' time, idle or waiting for I/O

    def fits_per_second(self, fits: int) -> float:
        """Models trained per second of wall time, all processes together."""
        return self.processes * fits / self.wall


def train_once() -> None:
    """Exercise 1.2's model, trained as the notebook trains it."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(1)
    x = np.random.default_rng(1).random((1000, 2), dtype=np.float32)
    y = x @ np.array([0.26, 0.25], dtype=np.float32) + 0.1
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)


def core_times() -> list[int]:
    """The machine's cumulative CPU time by state (/proc/stat's first line, in ticks)."""
    with open("/proc/stat") as stat:
        return [int(ticks) for ticks in stat.readline().split()[1:]]


def run(processes: int, fits: int) -> Figures:
    """Fork `processes` children that train `fits` models each; wait for all of them."""
    before_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = core_times()
    started = time.perf_counter()
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for _ in range(fits):
                    train_once()
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
    wall = time.perf_counter() - started
    if failed:
        raise SystemExit(f"{len(failed)} of {processes} training processes failed")
    spent = [after - earlier for earlier, after in zip(before, core_times(), strict=True)]
    after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after_cpu.ru_utime + after_cpu.ru_stime - before_cpu.ru_utime - before_cpu.ru_stime
    idle = (spent[3] + spent[4]) / max(1, sum(spent))  # idle and iowait
    return Figures(processes, wall, cpu, idle)


def main(argv: Sequence[str] | None = None) -> None:
    """Time each number of processes with both thread settings; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=8, help="models each process trains")
    parser.add_argument("--processes", default="1,2,3,4", help="numbers of processes to time")
    args = parser.parse_args(argv)
    counts = [int(count) for count in args.processes.split(",")]
    cores = len(os.sched_getaffinity(0))
    print(f"{args.fits} fits per process, {cores} cores; fork after importing TensorFlow")
    print(f"{'threads':>8}{'procs':>6}{'wall s':>8}{'CPU s':>8}{'idle':>7}{'fits/s':>8}{'vs 1':>6}")
    import keras  # noqa: F401  (once, before the first fork; no op runs here)

    for threads in ("default", "1"):
        # The pools are made at the first op, in each child: set before any fork.
        for name in THREAD_VARIABLES:
            if threads == "default":
                os.environ.pop(name, None)
            else:
                os.environ[name] = threads
        single = None  # fits per second of one process, the "vs 1" column's base
        for count in counts:
            figures = run(count, args.fits)
            rate = figures.fits_per_second(args.fits)
            if count == 1:
                single = rate
            versus = f"{rate / single:6.2f}" if single else f"{'':>6}"
            print(
                f"{threads:>8}{count:6d}{figures.wall:8.1f}{figures.cpu:8.1f}"
                f"{figures.idle_share:7.0%}{rate:8.2f}{versus}",
                flush=True,
            )


if __name__ == "__main__":
    main()
