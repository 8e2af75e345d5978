"""Per-cycle summaries: ssblab.echem.celltests.cycling.summarise vs cellpy (MIT) on the same files.

For each file both tools read it and summarise it in this process; the script prints the wall
time of the summary step (ssblab ``summarise`` vs cellpy ``make_step_table`` + ``make_summary``),
of the whole file -> summary pipeline, the peak traced memory (tracemalloc, a separate run) and
the largest relative difference of the per-cycle charge and discharge capacities.

Files: the real cycler files cellpy reads (Neware CSV export, Bio-Logic .mpr) and a synthetic
2000-cycle Neware-format CSV written here (``--cycles``, ``--points`` per half cycle), which both
tools read from disk. Peak memory is that of the summary step. A last section times ssblab
alone on a 2000-cycle, ~5-million-row table.

Run: ``python benchmarks/bench_cycling.py [--quick]`` (needs ``pip install -e '.[bench-cycling]'``).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.celltests.cycling import step_table, summarise
from ssblab.echem.celltests.synthetic import galvanostatic_cycles
from ssblab.echem.io import read_cycler

HERE = Path(__file__).resolve()
DATA = next((p / "shared" / "data" for p in HERE.parents if (p / "shared" / "data").is_dir()), None)
TOLERANCE = 2e-3  # relative, per cycle, capacities: the tools integrate differently (see docs)


def timed(fn, repeats=1):
    best, value = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def write_neware_csv(path: Path, n_cycles: int, points_per_half: int) -> int:
    """A synthetic test in Neware's CSV export layout (1 s time resolution), with the per-step
    charge/discharge counters an instrument writes (trapezoid of the current)."""
    import pandas as pd

    data = galvanostatic_cycles(n_cycles, points_per_half=points_per_half, rest_points=3,
                                fade_per_cycle=1e-4, noise_V=1e-3, rng=0)
    t = np.round(data.time_s)
    keep = np.r_[True, (np.diff(t) > 0) | (np.diff(data.step) != 0)]
    t, v, i = t[keep], data.voltage_V[keep], data.current_mA[keep]
    step, cycle = data.step[keep], data.cycle[keep]
    n = t.size
    new_step = np.r_[True, (np.diff(step) != 0) | (np.diff(cycle) != 0)]
    step_start = np.maximum.accumulate(np.where(new_step, np.arange(n), 0))
    dq = np.r_[0.0, 0.5 * (i[1:] + i[:-1]) * np.diff(t) / 3.6e6] * ~new_step  # Ah
    cum = np.cumsum(dq)
    in_step = cum - cum[step_start]
    kind = np.sign(i)
    step_time = t - t[step_start]

    def clock(seconds):
        s = seconds.astype(np.int64)
        return (pd.Series(s // 3600).astype(str) + ":" + pd.Series((s // 60) % 60).map("{:02d}".format)
                + ":" + pd.Series(s % 60).map("{:02d}".format))

    frame = pd.DataFrame({
        "DataPoint": np.arange(1, n + 1), "Cycle Index": cycle, "Step Index": step + 4 * (cycle - 1),
        "Step Type": np.where(kind > 0, "CC Chg", np.where(kind < 0, "CC DChg", "Rest")),
        "Time": clock(step_time), "Cumulative Time": clock(t), "Current(A)": i / 1000,
        "Voltage(V)": v, "Capacity(Ah)": np.abs(in_step),
        "Chg. Cap.(Ah)": np.where(kind > 0, in_step, 0.0),
        "DChg. Cap.(Ah)": np.where(kind < 0, -in_step, 0.0),
        "Chg. Energy(Wh)": 0.0, "DChg. Energy(Wh)": 0.0,
        "Date": (pd.Timestamp("2026-01-01") + pd.to_timedelta(t, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "Power(W)": i * v / 1000, "dQ/dV(Ah/V)": 0.0, "Contact resistance(mO)": 0})
    frame.to_csv(path, index=False, float_format="%.8g")
    return n


def cellpy_capacities(cell, unit_mAh: float):
    s = cell.data.summary
    return (s.index.to_numpy(), s["charge_capacity"].to_numpy() * unit_mAh,
            s["discharge_capacity"].to_numpy() * unit_mAh)


def compare(name: str, path: Path, instrument: str, unit_mAh: float, kwargs: dict,
            swap: bool = False) -> None:
    import cellpy

    data = read_cycler(path)
    ours_s, ours = timed(lambda: summarise(data), 3)
    get = lambda: cellpy.get(str(path), instrument=instrument, auto_summary=False, **kwargs)  # noqa: E731
    cell = get()

    def cellpy_summary():
        cell.make_step_table()
        cell.make_summary()
        return cell

    theirs_s, _ = timed(cellpy_summary, 1)
    ours_all, _ = timed(lambda: summarise(read_cycler(path)), 1)
    theirs_all, _ = timed(lambda: cellpy.get(str(path), instrument=instrument, **kwargs), 1)
    mem_ours = peak_mb(lambda: summarise(data))
    mem_theirs = peak_mb(cellpy_summary)
    cycles, charge, discharge = cellpy_capacities(cell, unit_mAh)
    if swap:
        charge, discharge = discharge, charge
    index = np.searchsorted(ours.cycle, cycles)
    valid = (index < ours.n_cycles) & (ours.cycle[np.minimum(index, ours.n_cycles - 1)] == cycles)
    k = index[valid]
    worst = 0.0
    for mine, theirs in ((ours.charge_mAh[k], charge[valid]), (ours.discharge_mAh[k], discharge[valid])):
        scale = np.maximum(mine, theirs)
        big = scale > 0.01 * max(ours.charge_mAh.max(), ours.discharge_mAh.max())  # skip ~0 halves
        worst = max(worst, float(np.max(np.abs(mine - theirs)[big] / scale[big], initial=0.0)))
    print(f"{name:34s} {data.n_rows:>9,d} {ours.n_cycles:>6d} {ours_s * 1e3:>9.1f} "
          f"{theirs_s * 1e3:>9.1f} {theirs_s / ours_s:>7.1f}x {ours_all:>7.2f} {theirs_all:>7.2f} "
          f"{theirs_all / ours_all:>6.1f}x {mem_ours:>7.0f} {mem_theirs:>7.0f} {worst:>9.1e} "
          f"{'ok' if worst <= TOLERANCE else 'DIFFER'}")


def scale(n_cycles: int, points: int) -> None:
    data = galvanostatic_cycles(n_cycles, points_per_half=points, rest_points=10, noise_V=1e-3, rng=1)
    seconds, s = timed(lambda: summarise(data), 3)
    seg_s, _ = timed(lambda: step_table(data), 3)
    memory = peak_mb(lambda: summarise(data))
    table_mb = sum(getattr(data, c).nbytes for c in data.columns) / 1e6
    print(f"{n_cycles} cycles, {data.n_rows:,} rows ({table_mb:.0f} MB table): summarise "
          f"{seconds:.2f} s (step table {seg_s:.2f} s), peak extra memory {memory:.0f} MB; "
          f"{s.n_cycles} cycles, retention {100 * s.retention[-1]:.1f} %")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 200-cycle synthetic file")
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--points", type=int, default=250, help="records per half cycle")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    cycles = 200 if args.quick else args.cycles
    print(f"{'file':34s} {'rows':>9s} {'cycles':>6s} {'ssblab':>9s} {'cellpy':>9s} {'ratio':>8s} "
          f"{'ssb all':>7s} {'cpy all':>7s} {'ratio':>7s} {'ssb MB':>7s} {'cpy MB':>7s} "
          f"{'max diff':>9s}")
    print(f"{'':34s} {'':9s} {'':6s} {'summary ms':>19s} {'':8s} {'file->summary s':>15s}")
    if DATA is not None:
        compare("neware_export.csv", DATA / "cycling" / "neware_export.csv", "neware_txt", 1e3, {})
        # cellpy calls this file's positive-current (charge) capacity "discharge"
        compare("biologic_gcpl.mpr (labels swapped)", DATA / "cycling" / "biologic_gcpl.mpr",
                "biologics_mpr", 1.0, {}, swap=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"synthetic_{cycles}cycles.csv"
        write_neware_csv(path, cycles, args.points)
        compare(f"synthetic {cycles} cycles (Neware CSV)", path, "neware_txt", 1e3, {})
    print()
    scale(2000, 40 if args.quick else 1200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
