"""Field-guided paths: ssblab.microstructure.paths.field_paths against a plain per-path loop.

No existing tool follows this rule (a tip that advances into the largest current density among
the 3 x 3 voxels ahead of it), so the comparison is a straightforward Python loop over paths
and layers, written from the rule in the module docstring, on the same solved volume: both must
give the same paths, and the script prints each one's time (median of --repeat runs), the
ratio, and the time of the solve the paths need, for scale.

Input: seed 003's LPSC1.0 + 20 % LGPS (by mass) mixture, radii 5 / 3 voxels, dense, solved
along z at the measured conductivities (3.57 / 5.26 mS/cm).

Run: python benchmarks/bench_paths.py [--sizes 48 96] [--repeat 3]
The load average is printed with each line: the ratio is only meaningful next to it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from ssblab.microstructure.generate import mixture
from ssblab.microstructure.paths import field_paths
from ssblab.microstructure.solve import solve


def loop_paths(j: np.ndarray, labels: np.ndarray, *, start_label: int, target_label: int):
    """The same rule, one path at a time: captured layer per start voxel (-1: none)."""
    nx, ny, nz = labels.shape
    ahead = [(0, 0)] + [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]
    captured = []
    for x0 in range(nx):
        for y0 in range(ny):
            if labels[x0, y0, 0] != start_label or not j[x0, y0, 0] > 0:
                continue
            x, y, hit = x0, y0, -1
            for layer in range(1, nz):
                best, bx, by = 0.0, x, y
                for dx, dy in ahead:
                    cx, cy = x + dx, y + dy
                    if 0 <= cx < nx and 0 <= cy < ny and j[cx, cy, layer] > best * (1 + 1e-4):
                        best, bx, by = j[cx, cy, layer], cx, cy
                if best <= 0:
                    break
                x, y = bx, by
                if labels[x, y, layer] == target_label:
                    hit = layer
                    break
            captured.append(hit)
    return np.array(captured)


def _time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def run(size: int, *, repeat: int) -> dict:
    labels = mixture((size,) * 3, fraction=0.2, basis="mass", densities_g_cm3=(1.87, 2.04),
                     radii_voxels=(5.0, 3.0), rng=0)
    t_solve, conduction = _time(lambda: solve(labels, [0.0, 3.57e-3, 5.26e-3], keep_fields=True), 1)
    t_ours, ours = _time(lambda: field_paths(conduction, labels, start_labels=[1], target_labels=[2]), repeat)
    j = np.nan_to_num(conduction.current_density_A_cm2)
    t_loop, loop = _time(lambda: loop_paths(j, labels, start_label=1, target_label=2), max(1, repeat // 3))
    return {"size": size, "paths": int(ours.weight.size), "solve_s": t_solve, "ssblab_s": t_ours,
            "loop_s": t_loop, "same": bool(np.array_equal(ours.captured_layer, loop)),
            "ratio": t_loop / t_ours, "load": os.getloadavg()[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[48, 96])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        r = run(size, repeat=args.repeat)
        print(f"{size}^3: {r['paths']} paths; solve {r['solve_s']:.2f} s; field_paths {r['ssblab_s']:.3f} s; "
              f"per-path loop {r['loop_s']:.2f} s; same paths: {r['same']}; "
              f"loop / ssblab = {r['ratio']:.0f}; load {r['load']:.1f}")


if __name__ == "__main__":
    main()
