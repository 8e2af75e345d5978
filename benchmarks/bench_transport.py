"""MSD / diffusion / conductivity analysis of a long synthetic trajectory: ssblab vs
pymatgen-analysis-diffusion (and kinisi on a shorter one). Prints times, ratios, peak memory
and whether each tool's error bar covers the planted D.

    python benchmarks/bench_transport.py [--frames 50000] [--atoms 200]
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np

from ssblab.atomistic.transport import Trajectory, diffusion

D_A2_PS, DT_PS = 0.05, 0.02  # planted D = 5e-6 cm^2/s; frames every 20 fs


def synthetic(n_frames, n_atoms, seed=0):
    rng = np.random.default_rng(seed)
    n_li = n_atoms // 2
    pos = np.empty((n_frames, n_atoms, 3))
    pos[:, :n_li] = np.cumsum(rng.normal(0, math.sqrt(2 * D_A2_PS * DT_PS),
                                         (n_frames, n_li, 3)), axis=0)
    pos[:, n_li:] = rng.uniform(0, 20, (1, n_atoms - n_li, 3)) + rng.normal(
        0, 0.1, (n_frames, n_atoms - n_li, 3))
    symbols = ("Li",) * n_li + ("Cl",) * (n_atoms - n_li)
    return pos, symbols


def timed(fn, repeat=1):
    best, out, peak = math.inf, None, 0
    for _ in range(repeat):
        tracemalloc.start()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return best, out, peak / 2**20


def run_ssblab(pos, symbols):
    traj = Trajectory(pos, cell_A=np.eye(3) * 20.0, symbols=symbols, timestep_ps=DT_PS)
    return diffusion(traj, mobile="Li", temperature_K=600.0)


def run_pymatgen(pos, symbols):
    from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer
    from pymatgen.core import Lattice, Structure

    structure = Structure(Lattice.cubic(20.0), symbols, pos[0] / 20.0)
    disp = np.ascontiguousarray((pos - pos[0]).transpose(1, 0, 2))
    # time_step in fs; step_skip 1. smoothed="max" is pymatgen's all-origins MSD.
    return DiffusionAnalyzer(structure, disp, "Li", 600, DT_PS * 1000, 1, smoothed="max")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=50000)
    ap.add_argument("--atoms", type=int, default=200)
    ap.add_argument("--kinisi-frames", type=int, default=5000)
    ap.add_argument("--kinisi-only", action="store_true")
    args = ap.parse_args()
    if args.kinisi_only:
        run_kinisi_compare(args.kinisi_frames, args.atoms, D_A2_PS * 1e-4)
        return
    truth = D_A2_PS * 1e-4
    pos, symbols = synthetic(args.frames, args.atoms)
    print(f"trajectory: {args.frames} frames x {args.atoms} atoms ({args.atoms // 2} Li), "
          f"planted D = {truth:.3e} cm^2/s")
    t_s, res, mem_s = timed(lambda: run_ssblab(pos, symbols), repeat=3)
    d = res.diffusivity_cm2_s
    print(f"ssblab   : {t_s:7.2f} s  peak {mem_s:7.0f} MiB  D = {d}  "
          f"|D-truth|/stderr = {abs(d.value - truth) / d.stderr:.2f}  sigma = {res.conductivity_S_cm}")
    try:
        t_p, pm, mem_p = timed(lambda: run_pymatgen(pos, symbols))
        z = abs(pm.diffusivity - truth) / pm.diffusivity_std_dev
        print(f"pymatgen : {t_p:7.2f} s  peak {mem_p:7.0f} MiB  D = {pm.diffusivity:.4e} "
              f"+- {pm.diffusivity_std_dev:.2e}  |D-truth|/stderr = {z:.1f}  "
              f"sigma = {pm.chg_conductivity * 1e-3:.4e} S/cm")
        print(f"ratio pymatgen / ssblab time: {t_p / t_s:.1f}x; error bar ratio "
              f"ssblab / pymatgen: {d.stderr / pm.diffusivity_std_dev:.0f}x")
    except ImportError:
        print("pymatgen-analysis-diffusion not installed (pip install 'ssblab[bench-atomistic]')")
    if args.kinisi_frames:
        run_kinisi_compare(args.kinisi_frames, args.atoms, truth)


def run_kinisi_compare(n_frames, n_atoms, truth):
    try:
        import scipp as sc
        from ase import Atoms
        from kinisi.analyze import DiffusionAnalyzer
    except ImportError:
        print("kinisi not installed")
        return
    pos, symbols = synthetic(n_frames, n_atoms, seed=1)
    t_s, res, _ = timed(lambda: run_ssblab(pos, symbols), repeat=3)

    def kin():
        frames = [Atoms(symbols, positions=p % 20.0, cell=np.eye(3) * 20.0, pbc=True) for p in pos]
        da = DiffusionAnalyzer.from_ase(frames, specie="Li",
                                        time_step=DT_PS * sc.Unit("ps"),
                                        step_skip=1 * sc.units.dimensionless, progress=False)
        da.diffusion(0.1 * (n_frames // 8) * DT_PS * sc.Unit("ps"), random_state=np.random.RandomState(0),
                     progress=False)
        return da

    t_k, da, _ = timed(kin)
    dk = da.D  # A^2/ps with samples
    vals = np.asarray(dk.values) * 1e-4
    print(f"kinisi ({n_frames} frames): {t_k:.2f} s, D = {vals.mean():.4e} +- {vals.std():.2e} "
          f"(|D-truth|/sd = {abs(vals.mean() - truth) / vals.std():.2f}); ssblab {t_s:.3f} s, "
          f"D = {res.diffusivity_cm2_s}; ratio kinisi / ssblab: {t_k / t_s:.0f}x")


if __name__ == "__main__":
    main()
