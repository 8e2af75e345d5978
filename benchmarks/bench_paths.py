"""Field-guided paths: ssblab.microstructure.paths.field_paths against a plain per-path loop.

No existing tool grows paths through a voxel solve by these rules, so the comparison is a
straightforward Python loop over paths and layers, written from the rules in the module
docstring, on the same solved volume. Steepest rule (deterministic): both must give the same
paths. Dielectric breakdown rule (eta = 1, 16 paths per start voxel): the loop draws its own
random numbers, so the two captured shares must agree within 4 combined standard errors.
The script prints each one's time (median of --repeat runs), the ratio, and the time of the
solve the paths need, for scale.

Input: seed 003's LPSC1.0 + 20 % LGPS (by mass) mixture, radii 5 / 3 voxels, dense, solved
along z at the measured conductivities (3.57 / 5.26 mS/cm).

Run: python benchmarks/bench_paths.py [--sizes 48 96] [--repeat 3]
The load average is printed with each line: the ratio is only meaningful next to it.
"""

from __future__ import annotations

import argparse
import os

import bench_micro  # the shared timer; this folder is on sys.path when run as a script
import numpy as np

from ssblab.microstructure.generate import mixture
from ssblab.microstructure.paths import field_paths
from ssblab.microstructure.solve import solve


def loop_paths(j: np.ndarray, labels: np.ndarray, *, start_label: int, target_label: int,
               rule: str = "steepest", paths_per_start: int = 1, rng=0):
    """The same rules, one path at a time: (captured layer, start voxel's current) per path."""
    nx, ny, nz = labels.shape
    ahead = [(0, 0)] + [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]
    generator = np.random.default_rng(rng)

    def mirror(i, n):
        return -i - 1 if i < 0 else (2 * n - 1 - i if i >= n else i)

    captured, weight = [], []
    for x0 in range(nx):
        for y0 in range(ny):
            if labels[x0, y0, 0] != start_label or not j[x0, y0, 0] > 0:
                continue
            for _ in range(paths_per_start):
                x, y, hit = x0, y0, -1
                for layer in range(1, nz):
                    cells = [(mirror(x + dx, nx), mirror(y + dy, ny)) for dx, dy in ahead]
                    values = [max(j[cx, cy, layer], 0.0) for cx, cy in cells]
                    if rule == "steepest":
                        best, k = values[0], 0
                        for i, v in enumerate(values):
                            if v > best * (1 + 1e-4):
                                best, k = v, i
                    else:
                        best = sum(values)
                        k = min(int(np.searchsorted(np.cumsum(values), generator.random() * best)), 8)
                    if best <= 0:
                        break
                    x, y = cells[k]
                    if labels[x, y, layer] == target_label:
                        hit = layer
                        break
                captured.append(hit)
                weight.append(j[x0, y0, 0] / paths_per_start)
    return np.array(captured), np.array(weight)


def _time(fn, repeat):
    """Median seconds of ``repeat`` calls and the last output (bench_micro's timer)."""
    _, median, out = bench_micro._time(fn, repeat)
    return median, out


def run(size: int, *, repeat: int) -> dict:
    labels = mixture((size,) * 3, fraction=0.2, basis="mass", densities_g_cm3=(1.87, 2.04),
                     radii_voxels=(5.0, 3.0), rng=0)
    t_solve, conduction = _time(lambda: solve(labels, [0.0, 3.57e-3, 5.26e-3], keep_fields=True), 1)
    j = np.nan_to_num(conduction.current_density_A_cm2)
    rows = {}
    for rule, per_start in (("steepest", 1), ("dbm", 16)):
        t_ours, ours = _time(lambda: field_paths(conduction, labels, start_labels=[1], target_labels=[2],
                                                 rule=rule, paths_per_start=per_start, rng=0), repeat)
        t_loop, (hit, w) = _time(lambda: loop_paths(j, labels, start_label=1, target_label=2, rule=rule,
                                                    paths_per_start=per_start, rng=1), 1)
        q_loop = float(w[hit >= 0].sum() / w.sum())
        error = ours.captured_share_error()
        same = (np.array_equal(ours.captured_layer, hit) if rule == "steepest"
                else abs(ours.captured_share() - q_loop) <= 4 * np.sqrt(2) * error)
        rows[rule] = {"paths": int(ours.weight.size), "ssblab_s": t_ours, "loop_s": t_loop,
                      "same": bool(same),
                      "q": ours.captured_share(), "q_loop": q_loop, "se": error, "ratio": t_loop / t_ours}
    return {"size": size, "solve_s": t_solve, "rules": rows, "load": os.getloadavg()[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[48, 96])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        r = run(size, repeat=args.repeat)
        for rule, x in r["rules"].items():
            print(f"{size}^3 {rule}: {x['paths']} paths; solve {r['solve_s']:.2f} s; "
                  f"field_paths {x['ssblab_s']:.3f} s; per-path loop {x['loop_s']:.2f} s; "
                  f"q {x['q']:.4f} (se {x['se']:.4f}) vs loop {x['q_loop']:.4f}; "
                  f"agree: {x['same']}; loop / ssblab = {x['ratio']:.0f}; load {r['load']:.1f}")


if __name__ == "__main__":
    main()
