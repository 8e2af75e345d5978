"""Sweeps: ssblab's per-task overhead against bare dask.distributed, and 1 vs N workers.

1. Overhead: the same trivial tasks (an Arrhenius value) on the same LocalCluster, once as
   bare ``client.map`` + ``gather``, once as an ssblab sweep (run directory, result.json,
   log, SQLite index, cache check). Prints the time per task of each and the difference,
   and the sweep once more with ``points_per_task`` 10 (ten points per Dask task).
2. Bookkeeping: an in-process sweep against calling the study in a loop (the store alone).
3. Throughput: CPU-bound points (``synthetic.arrhenius`` burning ``--cpu-seconds`` of CPU
   each, and ``microstructure.density``) on 1 and N workers of a local Dask cluster and of
   the process pool, repeated; prints points per second, the speed-up, and the workers' CPU
   efficiency (their CPU seconds / wall / workers) and how many points ran at once (the
   points' summed wall durations / the sweep's wall time: N when the driver keeps N workers
   busy, whatever else the machine runs). On a machine shared with other work speed-up and
   efficiency fall together, so read them beside the load average printed with each run.

Run: python benchmarks/bench_sweep.py [--tasks 200] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import tempfile
import time

CHUNK = 10  # points per Dask task in the overhead run that sends several


def trivial(temperature_K: float) -> float:
    return 1e5 / temperature_K * math.exp(-0.3 / (8.617333262e-5 * temperature_K))


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def spread(values, scale=1.0, fmt=".2f") -> str:
    return (f"min {min(values) * scale:{fmt}} median {statistics.median(values) * scale:{fmt}} "
            f"max {max(values) * scale:{fmt}}")


def overhead(client, n_tasks: int, repeats: int) -> None:
    from ssblab.sweep import run_sweep

    temps = [300.0 + 0.01 * k for k in range(n_tasks)]
    bare, ours, cached, chunked = [], [], [], []
    for r in range(repeats):
        before = load()
        t0 = time.perf_counter()
        client.gather(client.map(trivial, temps, pure=False))
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
            cached.append(time.perf_counter() - t0)
            assert again.counts["cached"] == n_tasks
        with tempfile.TemporaryDirectory() as store:
            spec = {"name": "overhead", "study": "synthetic.arrhenius", "store": store,
                    "grid": {"temperature_K": temps},
                    "executor": {"kind": "dask", "points_per_task": CHUNK}}
            t0 = time.perf_counter()
            result = run_sweep(spec, client=client, progress=False, write_report=False)
            chunked.append(time.perf_counter() - t0)
            assert result.counts["computed"] == n_tasks
        print(f"  trivial tasks run {r + 1}: bare dask {bare[-1] / n_tasks * 1e3:.2f} ms/task, "
              f"ssblab {ours[-1] / n_tasks * 1e3:.2f} ms/task, with points_per_task {CHUNK} "
              f"{chunked[-1] / n_tasks * 1e3:.2f} ms/point ({before}, after {load()})")
    b, o = min(bare) / n_tasks * 1e3, min(ours) / n_tasks * 1e3
    print(f"trivial tasks ({n_tasks}, best of {repeats}): bare dask {b:.2f} ms/task, "
          f"ssblab sweep {o:.2f} ms/task, overhead {o - b:.2f} ms/task ({o / b:.2f}x); "
          f"all cached on rerun {min(cached) / n_tasks * 1e3:.2f} ms/point; medians: bare "
          f"{statistics.median(bare) / n_tasks * 1e3:.2f}, ssblab "
          f"{statistics.median(ours) / n_tasks * 1e3:.2f} ms/task; with points_per_task {CHUNK}: "
          f"best {min(chunked) / n_tasks * 1e3:.2f}, median "
          f"{statistics.median(chunked) / n_tasks * 1e3:.2f} ms/point")


def pool_overhead(n_tasks: int, workers: int, repeats: int) -> None:
    """The process pool against a bare ``ProcessPoolExecutor.map``, each with its start (the
    ssblab workers import ssblab and NumPy; the bare ones only this script)."""
    import concurrent.futures
    import multiprocessing

    from ssblab.sweep import run_sweep

    temps = [300.0 + 0.01 * k for k in range(n_tasks)]
    bare, ours = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        with concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn")) as ex:
            list(ex.map(trivial, temps))
        bare.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as store:
            t0 = time.perf_counter()
            run_sweep({"study": "synthetic.arrhenius", "store": store, "grid": {"temperature_K": temps},
                       "executor": {"kind": "pool", "workers": workers}},
                      progress=False, write_report=False)
            ours.append(time.perf_counter() - t0)
    print(f"process pool ({n_tasks} trivial points, {workers} workers, start included, best of "
          f"{repeats}, {load()}): bare ProcessPoolExecutor {min(bare):.2f} s, ssblab pool "
          f"{min(ours):.2f} s ({(min(ours) - min(bare)) / n_tasks * 1e3:.2f} ms/point more)")


def bookkeeping(n_tasks: int, repeats: int) -> None:
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
    print(f"in process ({n_tasks}, best of {repeats}, {load()}): plain loop {a:.3f} ms/point, "
          f"sweep with run directories and index {o:.2f} ms/point (bookkeeping "
          f"{o - a:.2f} ms/point)")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(kind: str, workers: int, spec: dict, n: int) -> tuple[float, float, float]:
    """Wall seconds, the workers' CPU seconds and the sum of the points' wall durations."""
    from ssblab.sweep import RunStore, run_sweep

    spec = {**spec, "executor": {"kind": kind, "workers": workers}}
    if kind == "dask":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as c:
            c.submit(trivial, 300.0).result()  # workers up before the clock starts
            cpu0 = sum(c.run(time.process_time).values())
            t0 = time.perf_counter()
            result = run_sweep(spec, client=c, progress=False, write_report=False)
            wall = time.perf_counter() - t0
            cpu = sum(c.run(time.process_time).values()) - cpu0
    else:  # the pool's start (spawned processes, their imports) is part of its cost
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        result = run_sweep(spec, progress=False, write_report=False)
        wall = time.perf_counter() - t0
        cpu = _children_cpu() - cpu0  # the pool's workers have exited and been reaped
    assert result.ok and result.counts["computed"] == n
    with RunStore(spec["store"]) as store:
        busy = sum(r["duration_s"] for r in store.rows(sweep=spec["name"]))
    return wall, cpu, busy


def throughput(study: str, grid: dict, fixed: dict, workers: int, repeats: int) -> None:
    n = len(next(iter(grid.values())))
    for kind in ("dask", "pool"):
        speedups, efficiency, concurrency = [], {1: [], workers: []}, []
        for r in range(repeats):
            rate = {}
            for w in (1, workers):
                with tempfile.TemporaryDirectory() as store:
                    before = load()
                    wall, cpu, busy = _run_once(kind, w, {"name": "throughput", "study": study,
                                                          "store": store, "grid": grid,
                                                          "fixed": fixed}, n)
                rate[w] = n / wall
                efficiency[w].append(cpu / wall / w)
                if w == workers:
                    concurrency.append(busy / wall)
                print(f"  {study} {kind} run {r + 1}, {w} worker(s): {rate[w]:.3f} points/s, "
                      f"wall {wall:.1f} s, worker CPU {cpu:.1f} s, CPU efficiency "
                      f"{efficiency[w][-1]:.0%}, points running at once {busy / wall:.2f} "
                      f"({before}, after {load()})")
            speedups.append(rate[workers] / rate[1])
        print(f"{study} ({n} points) {kind}, {repeats} runs: speed-up 1 -> {workers} workers "
              f"{spread(speedups)}; CPU efficiency 1 worker {spread(efficiency[1], 100, '.0f')} %, "
              f"{workers} workers {spread(efficiency[workers], 100, '.0f')} %; points running "
              f"at once with {workers} workers {spread(concurrency)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--points-per-worker", type=int, default=4)
    parser.add_argument("--cpu-seconds", type=float, default=1.5,
                        help="CPU time of each synthetic throughput point")
    parser.add_argument("--density-voxels", type=int, default=96,
                        help="edge of the density points (96: 1-1.2 CPU-s each)")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-density", action="store_true")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    print(f"machine: {os.cpu_count()} CPUs, {load()}")
    if not args.skip_overhead:
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            overhead(client, args.tasks, args.repeats)
        bookkeeping(args.tasks, args.repeats)
        pool_overhead(args.tasks, args.workers, args.repeats)
    if args.skip_throughput:
        return
    n = args.points_per_worker * args.workers
    throughput("synthetic.arrhenius", {"temperature_K": [300.0 + k for k in range(n)]},
               {"cpu_seconds": args.cpu_seconds}, args.workers, args.repeats)
    if not args.skip_density:
        throughput("microstructure.density",
                   {"relative_density": [round(0.6 + 0.3 * k / (n - 1), 3) for k in range(n)]},
                   {"size_voxels": args.density_voxels}, args.workers, args.repeats)
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()
