"""Voxel conduction: ssblab.microstructure.solve against TauFactor (CPU) on the same volumes.

Generated Li3InCl6-like pellets (overlapping grains, 4-voxel median radius) at 70 % relative
density, transport along x (TauFactor's direction). Accuracy is judged against a reference
solved by ssblab to a cross-section current spread of 1e-7 (float64); both tools then run at
their default convergence criteria (TauFactor: flux spread < 1e-2 and tau change < 2e-3 per
100 iterations; ssblab: flux spread and change of the mean current < flux_tol = 5e-4, which
leaves ssblab's error at or below TauFactor's on these volumes). The script prints each tool's
time (median of --repeat runs; one run above 128^3), its relative error in sigma_eff, and the
time ratio.

Run: python benchmarks/bench_micro.py [--sizes 128 256] [--repeat 3] [--density 0.7]
Needs: pip install 'ssblab[micro,bench-micro]' (TauFactor needs torch: install
``pip install torch==2.13.0`` first, the CPU wheel, then ``pip install taufactor``). The load
average is printed with each line: the ratio is only meaningful next to it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time

import numpy as np

from ssblab.microstructure.generate import pellet
from ssblab.microstructure.solve import solve


def _time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def run(size: int, *, density: float, repeat: int, method: str, flux_tol: float) -> dict:
    labels = pellet((size,) * 3, relative_density=density, grain_radius_voxels=4, rng=0).labels
    reference = solve(labels, [0.0, 1.0], direction="x", method="gmg", flux_tol=1e-7,
                      keep_fields=False, dtype="float64").sigma_eff_S_cm
    t_ours, ours = _time(lambda: solve(labels, [0.0, 1.0], direction="x", method=method,
                                       flux_tol=flux_tol, keep_fields=False), repeat)
    row = {"size": size, "density": float(labels.mean()), "reference_sigma": reference,
           "ssblab_s": t_ours, "ssblab_err": abs(ours.sigma_eff_S_cm / reference - 1),
           "ssblab_iterations": ours.iterations, "ssblab_precision": ours.precision}
    try:
        import taufactor
    except ImportError:
        print("taufactor is not installed: pip install torch==2.13.0 taufactor")
        return row

    def tf():
        with contextlib.redirect_stdout(io.StringIO()):
            s = taufactor.Solver(labels, device="cpu")
            s.solve(verbose=False)
        return s

    t_tf, s = _time(tf, repeat)
    row.update(taufactor_s=t_tf, taufactor_err=abs(float(np.ravel(s.D_eff)[0]) / reference - 1),
               taufactor_iterations=s.iter, ratio=t_tf / t_ours)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--density", type=float, default=0.7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--method", default="gmg")
    parser.add_argument("--flux-tol", type=float, default=5e-4)
    args = parser.parse_args()
    for size in args.sizes:
        row = run(size, density=args.density, repeat=args.repeat if size <= 128 else 1, method=args.method,
                  flux_tol=args.flux_tol)
        line = (f"{size}^3 rho={row['density']:.3f}: ssblab {row['ssblab_s']:.2f} s "
                f"(err {row['ssblab_err']:.1e}, {row['ssblab_iterations']} its, {row['ssblab_precision']})")
        if "taufactor_s" in row:
            line += (f" | TauFactor {row['taufactor_s']:.2f} s (err {row['taufactor_err']:.1e}, "
                     f"{row['taufactor_iterations']} its) | ratio TauFactor/ssblab = {row['ratio']:.2f}")
        print(line + f" | load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
