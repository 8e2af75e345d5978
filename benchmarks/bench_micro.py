"""Voxel conduction: ssblab.microstructure.solve against TauFactor (CPU) on the same volumes.

Generated Li3InCl6-like pellets (overlapping grains, 4-voxel median radius) at 70 % relative
density, transport along x (TauFactor's direction). Accuracy is judged against a reference
solved by ssblab to a cross-section current spread of 1e-7 (float64). TauFactor runs at its
default criterion (flux spread < 1e-2 and tau change < 2e-3 per 100 iterations); ssblab at
``--flux-tol`` (1e-3 by default: on four 128^3 pellets it left errors of 0.6-2.1e-5, 4-14x
below TauFactor's 8.8e-5, and 3.0e-5 at 256^3 (TauFactor 7.7e-5), where 3e-3 left up to 1.3e-4;
ssblab's sigma_eff comes from the dissipated power, whose error is quadratic in the
potential's; see docs/benchmarks.md). ssblab runs on each of its CPU backends
(NumPy with its NumPy kernels, "numpy"; NumPy with the compiled multigrid kernels of the
``fast`` extra, "numba"; PyTorch on the CPU with its default threads, as TauFactor). The script prints each
run's time (min and median of --repeat runs), its relative error in sigma_eff, the load
average at the end of the run, and the ratios min/min (the floor) and median/median, with
"equal accuracy" only when ssblab's error is at or below TauFactor's.

Run: python benchmarks/bench_micro.py [--sizes 128] [--repeat 5] [--density 0.7] (about 1 min on a
quiet 2-core box; `--sizes 128 256 --repeat 3` adds 256^3, about 6 min, mostly TauFactor)
Needs: pip install 'ssblab[micro,bench-micro]' (TauFactor and the torch backend need torch:
install ``pip install torch==2.13.0`` first, the CPU wheel, then ``pip install taufactor``).
The ratio is only meaningful next to the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import statistics
import time

import numpy as np

from ssblab.errors import ResourceError
from ssblab.microstructure.generate import pellet
from ssblab.microstructure.solve import solve


def _time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), out


def _line(name, t_min, t_med, err, its, extra=""):
    return (f"  {name:<13} min {t_min:7.2f} s  median {t_med:7.2f} s  err {err:.1e}  {its} its"
            f"{extra}  | load {os.getloadavg()[0]:.1f}")


def run(size: int, *, density: float, repeat: int, flux_tol: float, backends) -> dict:
    labels = pellet((size,) * 3, relative_density=density, grain_radius_voxels=4, rng=0).labels
    reference = solve(labels, [0.0, 1.0], direction="x", method="gmg", flux_tol=1e-7,
                      keep_fields=False, dtype="float64").sigma_eff_S_cm
    print(f"{size}^3 rho={float(labels.mean()):.3f} (reference sigma_eff {reference:.6g}, "
          f"flux_tol {flux_tol:g})", flush=True)
    timings = {}
    for backend in backends:
        if backend == "numba" and importlib.util.find_spec("numba") is None:
            print("  ssblab-numba: skipped (pip install 'ssblab[fast]')")
            continue
        # "numba": the NumPy backend with the compiled multigrid kernels; "numpy": without them
        os.environ["SSBLAB_GMG_KERNELS"] = "numpy" if backend == "numpy" else "auto"
        try:
            def ours(backend=backend):
                return solve(labels, [0.0, 1.0], direction="x", flux_tol=flux_tol,
                             keep_fields=False, backend="numpy" if backend == "numba" else backend)
            ours()  # warm-up (imports, torch start-up, loading the compiled kernels): not timed
            t_min, t_med, r = _time(ours, repeat)
        except ResourceError as error:
            print(f"  ssblab-{backend}: skipped ({error})")
            continue
        finally:
            os.environ.pop("SSBLAB_GMG_KERNELS", None)
        err = abs(r.sigma_eff_S_cm / reference - 1)
        timings[backend] = (t_min, t_med, err)
        print(_line(f"ssblab-{backend}", t_min, t_med, err, r.iterations, f" ({r.precision})"),
              flush=True)
    try:
        import taufactor
    except ImportError:
        print("  TauFactor: not installed (pip install torch==2.13.0 taufactor)")
        return timings

    def tf():
        with contextlib.redirect_stdout(io.StringIO()):
            s = taufactor.Solver(labels, device="cpu")
            s.solve(verbose=False)
        return s

    t_min, t_med, s = _time(tf, repeat)
    tf_err = abs(float(np.ravel(s.D_eff)[0]) / reference - 1)
    print(_line("TauFactor", t_min, t_med, tf_err, s.iter), flush=True)
    for backend, (o_min, o_med, err) in timings.items():
        accuracy = ("equal accuracy" if err <= tf_err else
                    "NOT equal accuracy: ssblab's error is larger")
        print(f"  ratio TauFactor / ssblab-{backend}: min/min {t_min / o_min:.2f} (floor), "
              f"median/median {t_med / o_med:.2f}; errors {err:.1e} vs {tf_err:.1e} "
              f"({accuracy}; flux_tol {flux_tol:g})", flush=True)
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128])
    parser.add_argument("--density", type=float, default=0.7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["numpy", "numba", "torch"])
    parser.add_argument("--flux-tol", type=float, default=1e-3)
    args = parser.parse_args()
    for size in args.sizes:
        run(size, density=args.density, repeat=args.repeat, flux_tol=args.flux_tol,
            backends=args.backends)


if __name__ == "__main__":
    main()
