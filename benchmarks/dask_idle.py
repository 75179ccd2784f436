"""What an idle Dask LocalCluster costs in CPU, with Dask's defaults and with coursekit's.

    .venv/bin/python benchmarks/dask_idle.py [--seconds 10] [--workers 2]

`course autograde --executor dask` without --scheduler starts a LocalCluster of one-thread
workers beside the kernels it feeds; whatever its scheduler, nannies and workers spend on their
own bookkeeping is taken from those kernels. This starts one such cluster with Dask's defaults
and one with coursekit's settings (coursekit.grading.workers.dask_cluster.QUIET_CLUSTER), lets
each idle, and prints the CPU seconds per second of every process of the cluster.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping

import psutil

from coursekit.grading.workers.dask_cluster import QUIET_CLUSTER


def idle_cpu(settings: Mapping[str, object], workers: int, seconds: float) -> dict[str, float]:
    """CPU seconds per second of this process (scheduler, nannies, client) and of the workers."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0, **settings}):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster)
    try:
        time.sleep(2.0)  # past the workers' start
        me = psutil.Process()
        processes = [me, *me.children(recursive=True)]
        before = {p.pid: sum(p.cpu_times()[:2]) for p in processes}
        time.sleep(seconds)
        spent = {p.pid: (sum(p.cpu_times()[:2]) - before[p.pid]) / seconds for p in processes}
    finally:
        client.close()
        cluster.close()
    workers_cpu = sum(cpu for pid, cpu in spent.items() if pid != me.pid)
    return {"this process": spent[me.pid], "workers": workers_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"an idle LocalCluster of {args.workers} one-thread workers, {args.seconds:g} s")
    print(f"{'':22}{'scheduler+nannies':>18}{'workers':>9}{'total CPU s/s':>15}")
    for label, settings in (("Dask's defaults", {}), ("coursekit's", QUIET_CLUSTER)):
        cpu = idle_cpu(settings, args.workers, args.seconds)
        total = sum(cpu.values())
        print(f"{label:22}{cpu['this process']:18.3f}{cpu['workers']:9.3f}{total:15.3f}")


if __name__ == "__main__":
    main()
