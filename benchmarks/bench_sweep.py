"""Sweeps: ssblab's per-task overhead against bare dask.distributed, and 1 vs N workers.

1. Overhead: the same trivial tasks (an Arrhenius value) on the same LocalCluster, once as
   bare ``client.map`` + ``gather``, once as an ssblab sweep (run directory, result.json,
   log, SQLite index, cache check). Prints the time per task of each and the difference.
2. Throughput: CPU-bound points (``microstructure.density`` at 48^3 voxels, and the
   ``synthetic.arrhenius`` study burning 1 s of CPU per point) on 1 and N workers of a
   local Dask cluster and of the process pool; prints points per second and the speed-up.

Run: python benchmarks/bench_sweep.py [--tasks 200] [--workers 2]
The machine's other load changes the throughput numbers: say what else ran.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time


def trivial(temperature_K: float) -> float:
    return 1e5 / temperature_K * math.exp(-0.3 / (8.617333262e-5 * temperature_K))


def overhead(client, n_tasks: int, repeats: int = 3) -> None:
    from ssblab.sweep import run_sweep

    temps = [300.0 + 0.01 * k for k in range(n_tasks)]
    bare, ours = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        futures = client.map(trivial, temps, pure=False)
        client.gather(futures)
        bare.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as store:
            spec = {"name": "overhead", "study": "synthetic.arrhenius", "store": store,
                    "grid": {"temperature_K": temps}}
            t0 = time.perf_counter()
            result = run_sweep(spec, client=client, progress=False, write_report=False)
            ours.append(time.perf_counter() - t0)
            assert result.counts["computed"] == n_tasks
            t0 = time.perf_counter()
            again = run_sweep(spec, client=client, progress=False, write_report=False)
            cached = time.perf_counter() - t0
            assert again.counts["cached"] == n_tasks
    b, o = min(bare) / n_tasks * 1e3, min(ours) / n_tasks * 1e3
    print(f"trivial tasks ({n_tasks}, best of {repeats}): bare dask {b:.2f} ms/task, "
          f"ssblab sweep {o:.2f} ms/task, overhead {o - b:.2f} ms/task ({o / b:.2f}x); "
          f"all cached on rerun {cached / n_tasks * 1e3:.2f} ms/point")


def bookkeeping(n_tasks: int, repeats: int = 3) -> None:
    """The store's cost alone: an in-process sweep against calling the study in a loop."""
    from ssblab.sweep import get_study, run_sweep

    study = get_study("synthetic.arrhenius")
    temps = [300.0 + 0.01 * k for k in range(n_tasks)]
    loop, ours = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for k, t in enumerate(temps):
            study.func(**study.resolve({"temperature_K": t}, "bench"), rng=k)
        loop.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as store:
            t0 = time.perf_counter()
            run_sweep({"study": "synthetic.arrhenius", "store": store, "executor": "inprocess",
                       "grid": {"temperature_K": temps}}, progress=False, write_report=False)
            ours.append(time.perf_counter() - t0)
    a, o = min(loop) / n_tasks * 1e3, min(ours) / n_tasks * 1e3
    print(f"in process ({n_tasks}, best of {repeats}): plain loop {a:.3f} ms/point, sweep with "
          f"run directories and index {o:.2f} ms/point (bookkeeping {o - a:.2f} ms/point)")


def throughput(study: str, grid: dict, fixed: dict, workers: int) -> None:
    from distributed import Client, LocalCluster

    from ssblab.sweep import run_sweep

    n = len(next(iter(grid.values())))
    rates = {}
    for kind in ("dask", "pool"):
        for w in (1, workers):
            with tempfile.TemporaryDirectory() as store:
                spec = {"name": "throughput", "study": study, "store": store, "grid": grid,
                        "fixed": fixed, "executor": {"kind": kind, "workers": w}}
                if kind == "dask":
                    with LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster, Client(cluster) as c:
                        c.submit(trivial, 300.0).result()  # workers up before the clock starts
                        t0 = time.perf_counter()
                        result = run_sweep(spec, client=c, progress=False, write_report=False)
                        elapsed = time.perf_counter() - t0
                else:  # the pool's start (spawned processes) is part of its cost
                    t0 = time.perf_counter()
                    result = run_sweep(spec, progress=False, write_report=False)
                    elapsed = time.perf_counter() - t0
                assert result.ok and result.counts["computed"] == n
                rates[kind, w] = n / elapsed
        print(f"{study} ({n} points) {kind}: 1 worker {rates[kind, 1]:.3f} points/s, "
              f"{workers} workers {rates[kind, workers]:.3f} points/s, "
              f"speed-up {rates[kind, workers] / rates[kind, 1]:.2f}x")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        overhead(client, args.tasks)
    bookkeeping(args.tasks)
    if args.skip_throughput:
        return
    n = 8 * args.workers
    throughput("synthetic.arrhenius", {"temperature_K": [300.0 + k for k in range(n)]},
               {"cpu_seconds": 1.0}, args.workers)
    throughput("microstructure.density",
               {"relative_density": [round(0.6 + 0.3 * k / (n - 1), 3) for k in range(n)]},
               {"size_voxels": 48}, args.workers)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
