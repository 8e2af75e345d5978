"""MSD / diffusion / conductivity analysis of a long synthetic trajectory: ssblab vs
pymatgen-analysis-diffusion on 50 000 frames, and vs kinisi on the same trajectory (or every n-th
frame of it).
Prints times (wall and CPU), ratios, peak memory and whether each tool's error bar covers the
planted D.

    python benchmarks/bench_transport.py [--frames 50000] [--atoms 200] [--kinisi-stride 1]

Both tools of a pair run in this one process, alternately, so that load from other processes
hits both; the ratio uses each tool's best time.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tracemalloc

import numpy as np
from scipy import stats

from ssblab.atomistic.transport import Trajectory, diffusion

D_A2_PS, DT_PS = 0.05, 0.02  # planted D = 5e-6 cm^2/s; frames every 20 fs
CELL_A = 20.0
TRUTH_CM2_S = D_A2_PS * 1e-4


def synthetic(n_frames, n_atoms, seed=0):
    rng = np.random.default_rng(seed)
    n_li = n_atoms // 2
    pos = np.empty((n_frames, n_atoms, 3))
    pos[:, :n_li] = np.cumsum(rng.normal(0, math.sqrt(2 * D_A2_PS * DT_PS),
                                         (n_frames, n_li, 3)), axis=0)
    pos[:, n_li:] = rng.uniform(0, CELL_A, (1, n_atoms - n_li, 3)) + rng.normal(
        0, 0.1, (n_frames, n_atoms - n_li, 3))
    symbols = ("Li",) * n_li + ("Cl",) * (n_atoms - n_li)
    return pos, symbols


def timed(fn, repeat=1):
    """Best wall time, the CPU time of that run (all threads) and the last result."""
    best, cpu, out = math.inf, math.nan, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, time.process_time() - c0
    return best, cpu, out


def peak_MiB(fn):
    """Peak of memory traced by tracemalloc (NumPy arrays included) during one call."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run_ssblab(pos, symbols, timestep_ps=DT_PS):
    traj = Trajectory(pos, cell_A=np.eye(3) * CELL_A, symbols=symbols, timestep_ps=timestep_ps)
    return diffusion(traj, mobile="Li", temperature_K=600.0)


def run_pymatgen(pos, symbols):
    from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer
    from pymatgen.core import Lattice, Structure

    structure = Structure(Lattice.cubic(CELL_A), symbols, pos[0] / CELL_A)
    disp = np.ascontiguousarray((pos - pos[0]).transpose(1, 0, 2))
    # time_step in fs; step_skip 1. smoothed="max" is pymatgen's all-origins MSD.
    return DiffusionAnalyzer(structure, disp, "Li", 600, DT_PS * 1000, 1, smoothed="max")


def ase_frames(pos, symbols):
    from ase import Atoms

    return [Atoms(symbols, positions=p % CELL_A, cell=np.eye(3) * CELL_A, pbc=True) for p in pos]


def run_kinisi(frames, timestep_ps, start_ps, n_intervals=250):
    """kinisi's public route: DiffusionAnalyzer.from_ase, then its GLS + MCMC fit of D.

    kinisi computes the MSD directly for every requested time interval (its default is every
    interval, O(n^2)); it is given ``n_intervals`` evenly spaced ones up to the full run length.
    """
    import scipp as sc
    from kinisi.analyze import DiffusionAnalyzer

    n = len(frames)
    dt = np.unique(np.linspace(1, n, n_intervals).astype(int)) * timestep_ps
    da = DiffusionAnalyzer.from_ase(frames, specie="Li", time_step=timestep_ps * sc.Unit("ps"),
                                    step_skip=1 * sc.units.dimensionless,
                                    dt=sc.array(dims=["time interval"], values=dt, unit="ps"),
                                    progress=False)
    da.diffusion(start_ps * sc.Unit("ps"), random_state=np.random.RandomState(0),
                 progress=False)
    return da


def compare_pymatgen(n_frames, n_atoms):
    pos, symbols = synthetic(n_frames, n_atoms)
    print(f"trajectory: {n_frames} frames x {n_atoms} atoms ({n_atoms // 2} Li), "
          f"planted D = {TRUTH_CM2_S:.3e} cm^2/s")
    t_s, c_s, res = timed(lambda: run_ssblab(pos, symbols), repeat=10)
    try:
        import pymatgen.analysis.diffusion  # noqa: F401
    except ImportError:
        print("pymatgen-analysis-diffusion not installed (pip install 'ssblab[bench-atomistic]')")
        return
    t_p, c_p, pm = timed(lambda: run_pymatgen(pos, symbols))
    t_s2, c_s2, _ = timed(lambda: run_ssblab(pos, symbols), repeat=10)  # after: same load
    if t_s2 < t_s:
        t_s, c_s = t_s2, c_s2
    mem_s = peak_MiB(lambda: run_ssblab(pos, symbols))
    mem_p = peak_MiB(lambda: run_pymatgen(pos, symbols))
    d = res.diffusivity_cm2_s
    print(f"ssblab   : {t_s:7.3f} s wall ({c_s:6.3f} s CPU)  peak {mem_s:6.0f} MiB  D = {d}  "
          f"|D-truth|/stderr = {abs(d.value - TRUTH_CM2_S) / d.stderr:.2f}  "
          f"sigma = {res.conductivity_S_cm}")
    z = abs(pm.diffusivity - TRUTH_CM2_S) / pm.diffusivity_std_dev
    print(f"pymatgen : {t_p:7.2f} s wall ({c_p:6.2f} s CPU)  peak {mem_p:6.0f} MiB  "
          f"D = {pm.diffusivity:.4e} +- {pm.diffusivity_std_dev:.2e}  |D-truth|/stderr = {z:.0f}  "
          f"sigma = {pm.chg_conductivity * 1e-3:.4e} S/cm")
    print(f"ratio pymatgen / ssblab: {t_p / t_s:.0f}x wall, {c_p / c_s:.0f}x CPU; memory "
          f"{mem_p / mem_s:.0f}x; error bar ssblab / pymatgen: "
          f"{d.stderr / pm.diffusivity_std_dev:.0f}x")


def compare_kinisi(n_frames, n_atoms, stride):
    try:
        import kinisi  # noqa: F401
    except ImportError:
        print("kinisi not installed")
        return
    full, symbols = synthetic(n_frames, n_atoms)
    pos = full[::stride].copy()
    dt = DT_PS * stride
    print(f"kinisi comparison: the same trajectory, every frame {stride}: {len(pos)} frames x "
          f"{n_atoms} atoms, {dt:g} ps apart")
    t_s, c_s, res = timed(lambda: run_ssblab(pos, symbols, dt), repeat=5)
    t0 = time.perf_counter()
    frames = ase_frames(pos, symbols)
    t_atoms = time.perf_counter() - t0
    start_ps = res.fit_window_ps[0]  # where ssblab's fit starts
    t_k, c_k, da = timed(lambda: run_kinisi(frames, dt, start_ps))
    d = res.diffusivity_cm2_s
    tq = stats.t.ppf(0.975, res.n_blocks - 1)
    samples = np.asarray(da.D.values)  # cm^2/s (kinisi converts)
    lo, med, hi = np.percentile(samples, [2.5, 50, 97.5])
    print(f"ssblab : {t_s:7.3f} s wall ({c_s:.3f} s CPU)  D = {d}  95 % interval "
          f"[{d.value - tq * d.stderr:.3e}, {d.value + tq * d.stderr:.3e}] (t, {res.n_blocks - 1} dof)")
    print(f"kinisi : {t_k:7.2f} s wall ({c_k:.2f} s CPU, plus {t_atoms:.2f} s building the ASE "
          f"Atoms list)  D = {med:.4e} (median), sd {samples.std():.2e}, 95 % credible "
          f"[{lo:.3e}, {hi:.3e}]")
    print(f"truth {TRUTH_CM2_S:.3e}: inside ssblab's interval: "
          f"{abs(d.value - TRUTH_CM2_S) <= tq * d.stderr}; inside kinisi's: "
          f"{lo <= TRUTH_CM2_S <= hi}; ratio kinisi / ssblab: {t_k / t_s:.0f}x wall, "
          f"{c_k / c_s:.0f}x CPU")


def kinisi_coverage(n_seeds, n_frames, n_atoms, stride):
    """How often each tool's 95 % interval covers the planted D over independent trajectories."""
    hits = {"ssblab": 0, "kinisi": 0}
    width = {"ssblab": [], "kinisi": []}
    dt = DT_PS * stride
    for seed in range(n_seeds):
        full, symbols = synthetic(n_frames, n_atoms, seed=100 + seed)
        pos = full[::stride].copy()
        res = run_ssblab(pos, symbols, dt)
        d = res.diffusivity_cm2_s
        half = stats.t.ppf(0.975, res.n_blocks - 1) * d.stderr
        hits["ssblab"] += abs(d.value - TRUTH_CM2_S) <= half
        width["ssblab"].append(2 * half)
        lo, hi = np.percentile(run_kinisi(ase_frames(pos, symbols), dt,
                                          res.fit_window_ps[0]).D.values, [2.5, 97.5])
        hits["kinisi"] += lo <= TRUTH_CM2_S <= hi
        width["kinisi"].append(hi - lo)
    for tool, hit in hits.items():
        print(f"{tool}: 95 % interval covers the planted D in {hit}/{n_seeds} "
              f"trajectories ({n_frames // stride} frames x {n_atoms} atoms); mean width "
              f"{np.mean(width[tool]):.2e} cm^2/s")


def write_extxyz(path, pos, symbols, compress):
    """The trajectory as extended XYZ in ASE's layout (``%-2s`` and ``%16.8f``), gzipped if asked."""
    import gzip

    header = (f"{pos.shape[1]}\nLattice=\"{CELL_A} 0.0 0.0 0.0 {CELL_A} 0.0 0.0 0.0 {CELL_A}\" "
              "Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n").encode()
    line = "%-2s %16.8f %16.8f %16.8f\n"
    fmt = line * pos.shape[1]
    names = np.array(symbols, dtype=object)[:, None]
    opener = gzip.open if compress else open
    with opener(path, "wb") as handle:
        for frame in pos:
            rows = np.hstack([names, (frame % CELL_A).astype(object)])
            handle.write(header + (fmt % tuple(rows.ravel())).encode())


def peak_rss_MiB(path):
    """Peak resident memory of a fresh process that reads and analyses ``path`` with ssblab, and
    of one that only imports what it needs (the difference is what reading costs)."""
    import subprocess
    import sys

    # VmHWM, not ru_maxrss: the latter keeps the forking parent's size across exec
    code = ("from ssblab.atomistic.trajectory import read_trajectory; "
            "from ssblab.atomistic.transport import diffusion; import pandas, pyarrow.csv; "
            "{body}; print([line.split()[1] for line in open('/proc/self/status') "
            "if line.startswith('VmHWM')][0])")
    body = (f"diffusion(read_trajectory({str(path)!r}, timestep_ps={DT_PS}), mobile='Li', "
            "temperature_K=600.0)")
    peaks = []
    for what in ("pass", body):
        out = subprocess.run([sys.executable, "-c", code.format(body=what)], capture_output=True,
                             text=True, check=True)
        peaks.append(int(out.stdout.split()[-1]) / 1024)
    return peaks


def pymatgen_documented(frames, n_frames):
    """pymatgen-analysis-diffusion's documented route from a file ASE reads: each frame to a
    pymatgen Structure (AseAtomsAdaptor), then ``DiffusionAnalyzer.from_structures``, which
    unwraps the fractional displacements itself. Timed on the first ``n_frames`` frames (50 000
    Structures of 200 sites would need ~10 GB); returns wall and CPU seconds."""
    from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer
    from pymatgen.io.ase import AseAtomsAdaptor

    def run():
        structures = [AseAtomsAdaptor.get_structure(a) for a in frames[:n_frames]]
        return DiffusionAnalyzer.from_structures(structures, "Li", 600, DT_PS * 1000, 1,
                                                 smoothed="max")

    wall, cpu, _ = timed(run)
    return wall, cpu


def ssblab_profile(path, repeat=3):
    """Where ssblab's time goes on ``path``, best of ``repeat`` each (wall, CPU of all threads,
    CPU of the main thread): inflating alone, the parser alone on the inflated text of one
    block, the whole read (inflate + locate + parse + unwrap), the analysis alone."""
    from ssblab.atomistic import trajectory as tr

    def inflate():
        with tr._open(path) as handle:
            while handle.read(tr._BLOCK_BYTES):
                pass

    def timed3(fn):
        best = (math.inf,) * 3
        for _ in range(repeat):
            t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
            out = fn()
            got = (time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0)
            best = min(best, got)
        return best, out

    rows = [("inflate / read the file alone", timed3(inflate)[0])]
    with tr._open(path) as handle:
        head = handle.readline() + handle.readline()
        text = head + handle.read(tr._BLOCK_BYTES)
    n_atoms = int(head.split(b"\n")[0])
    block = tr._FrameBlock.uniform(text, n_atoms + 2, 2)
    frames = list(range(block.n_frames))
    numbers = block.n_frames * n_atoms * 3
    (w, c, m), _ = timed3(lambda: block.numbers(frames, [1, 2, 3], path))
    (rw, rc, rm), traj = timed3(lambda: tr.read_trajectory(path, timestep_ps=DT_PS))
    scale = traj.n_frames * n_atoms * 3 / numbers
    rows.append((f"parse (layout checks + decimal parser), one block x {scale:.0f}",
                 (w * scale, c * scale, m * scale)))
    # the general parser on the same block, for comparison (Arrow's CSV reader)
    (aw, ac, am), _ = timed3(lambda: tr._parse_fixed_width(block.atom_lines(frames), [1, 2, 3]))
    rows.append((f"  instead by Arrow's CSV reader (before), one block x {scale:.0f}",
                 (aw * scale, ac * scale, am * scale)))
    rows.append(("read_trajectory (inflate + locate + parse + unwrap)", (rw, rc, rm)))
    rows.append(("diffusion (MSD by FFT, 8 blocks)",
                 timed3(lambda: diffusion(traj, mobile="Li", temperature_K=600.0))[0]))
    print(f"ssblab profile of {path.name} ({numbers / block.n_frames / 3:.0f} atoms, "
          f"{numbers / 1e6:.1f} M numbers per block; load average "
          f"{os.getloadavg()[0]:.1f}):")
    for name, (w, c, m) in rows:
        print(f"  {name:62s} {w:6.3f} s wall {c:6.3f} s CPU ({m:6.3f} s main thread)")


def compare_file(n_frames, n_atoms, scratch, doc_frames=5000, with_kinisi=True):
    """End to end from a file: read + analyse. ssblab reads the .extxyz.gz (and the plain file);
    the references read the uncompressed file with ASE (their documented entry for an extended
    XYZ; ASE seeks, so a .gz would be slower) and are then set up two ways: the cheapest
    (pymatgen's DiffusionAnalyzer given the exact unwrapped displacements, no unwrapping or
    conversion charged) and as documented (pymatgen: Structures + from_structures; kinisi:
    ``DiffusionAnalyzer.from_ase`` on the ASE frames, 250 time intervals). Ends with one table:
    every tool's wall and CPU time with the load average during its run, and the ratios."""
    from pathlib import Path

    from ase.io import read

    from ssblab.atomistic.trajectory import read_trajectory

    pos, symbols = synthetic(n_frames, n_atoms)
    name = f"md{n_frames}x{n_atoms}.extxyz"  # kept in --scratch DIR and reused: 5 min to write
    plain, packed = Path(scratch) / name, Path(scratch) / f"{name}.gz"
    if not plain.exists():
        write_extxyz(plain, pos, symbols, compress=False)
    if not packed.exists():
        write_extxyz(packed, pos, symbols, compress=True)
    print(f"file: {n_frames} frames x {n_atoms} atoms, {plain.stat().st_size / 2**20:.0f} MiB "
          f"({packed.stat().st_size / 2**20:.0f} MiB gzipped); load average "
          f"{os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs")
    table = []  # (tool, wall, cpu, load average)

    def record(name, wall, cpu):
        table.append((name, wall, cpu, os.getloadavg()[0]))

    def ssblab_end_to_end(path):
        traj = read_trajectory(path, timestep_ps=DT_PS)
        return diffusion(traj, mobile="Li", temperature_K=600.0)

    t_gz, c_gz, res = timed(lambda: ssblab_end_to_end(packed), repeat=3)
    record("ssblab from .extxyz.gz (best of 3)", t_gz, c_gz)
    t_pl, c_pl, _ = timed(lambda: ssblab_end_to_end(plain), repeat=3)
    record("ssblab from plain text (best of 3)", t_pl, c_pl)
    base, peak = peak_rss_MiB(packed)
    print(f"ssblab read + analyse: {t_gz:.2f} s wall ({c_gz:.2f} s CPU) from .gz, {t_pl:.2f} s "
          f"({c_pl:.2f} s CPU) from plain text, best of 3; D = {res.diffusivity_cm2_s}; peak RSS "
          f"{peak:.0f} MiB ({base:.0f} MiB after imports alone; positions "
          f"{pos.nbytes / 2**20:.0f} MiB)")
    ssblab_profile(packed)
    t0, c0 = time.perf_counter(), time.process_time()
    frames = read(str(plain), index=":")
    t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
    record("ASE read of the plain file (part of both references)", t_read, c_read)
    unwrapped = pos  # the cheapest route: exact unwrapped positions, no unwrap cost charged
    try:
        import pymatgen.analysis.diffusion  # noqa: F401
        t_p, c_p, _ = timed(lambda: run_pymatgen(unwrapped, symbols))
        record("pymatgen-analysis-diffusion, cheapest route (ASE read + exact displacements)",
               t_read + t_p, c_read + c_p)
        if doc_frames:
            t_d, c_d = pymatgen_documented(frames, doc_frames)
            scale = n_frames / doc_frames
            record(f"pymatgen-analysis-diffusion, documented route (extrapolated from "
                   f"{doc_frames} frames)", t_read + scale * t_d, c_read + scale * c_d)
    except ImportError:
        print("pymatgen-analysis-diffusion not installed")
    if with_kinisi:
        try:
            import kinisi  # noqa: F401
            start_ps = res.fit_window_ps[0]
            t_k, c_k, _ = timed(lambda: run_kinisi(frames, DT_PS, start_ps))
            record("kinisi (ASE read + from_ase, 250 intervals)", t_read + t_k, c_read + c_k)
        except ImportError:
            print("kinisi not installed")
    print(f"\n{'tool':80s} {'wall s':>8s} {'CPU s':>8s} {'load':>5s}   ratio to ssblab .gz "
          "(plain): wall, CPU")
    for name, wall, cpu, load in table:
        ratio = "" if name.startswith("ssblab") else (
            f"{wall / t_gz:5.1f}x ({wall / t_pl:5.1f}x), {cpu / c_gz:5.1f}x ({cpu / c_pl:5.1f}x)")
        print(f"{name:80s} {wall:8.2f} {cpu:8.2f} {load:5.1f}   {ratio}")


def compare_formats(n_frames, n_atoms, scratch):
    """Reading alone, ssblab against ASE's reader, for an ASE .traj (ULM), a LAMMPS text dump and
    the extended XYZ: best of 3 each, wall and CPU."""
    from pathlib import Path

    from ase import Atoms
    from ase.io import read
    from ase.io.trajectory import Trajectory as AseTrajectory

    from ssblab.atomistic.trajectory import read_trajectory

    pos, symbols = synthetic(n_frames, n_atoms)
    traj, dump, xyz = (Path(scratch) / name for name in ("md.traj", "md.lammpstrj", "md.extxyz"))
    with AseTrajectory(str(traj), "w") as handle:
        for frame in pos:
            handle.write(Atoms(symbols, positions=frame % CELL_A, cell=np.eye(3) * CELL_A,
                               pbc=True))
    with open(dump, "w") as handle:
        kinds = [1 if s == "Li" else 2 for s in symbols]
        for k, frame in enumerate(pos):
            handle.write(f"ITEM: TIMESTEP\n{k}\nITEM: NUMBER OF ATOMS\n{n_atoms}\n"
                         f"ITEM: BOX BOUNDS pp pp pp\n" + f"0 {CELL_A}\n" * 3
                         + "ITEM: ATOMS id type x y z\n")
            handle.write("".join(f"{i + 1} {kinds[i]} {x:.6f} {y:.6f} {z:.6f}\n"
                                 for i, (x, y, z) in enumerate(frame % CELL_A)))
    write_extxyz(xyz, pos, symbols, compress=False)
    print(f"reading alone: {n_frames} frames x {n_atoms} atoms; load average "
          f"{os.getloadavg()[0]:.1f}")
    for path, fmt in ((traj, "traj"), (dump, "lammps-dump-text"), (xyz, "extxyz")):
        t_s, c_s, got = timed(lambda p=path: read_trajectory(p, timestep_ps=DT_PS), repeat=3)
        t_a, c_a, frames = timed(lambda p=path, f=fmt: read(str(p), index=":", format=f))
        same = np.allclose(got.positions_A[0], frames[0].get_positions(), atol=1e-5)
        print(f"{path.name:12s} ({path.stat().st_size / 2**20:5.0f} MiB): ssblab {t_s:7.3f} s "
              f"({c_s:6.3f} s CPU), ASE {t_a:7.2f} s ({c_a:6.2f} s CPU): {t_a / t_s:5.0f}x wall, "
              f"{c_a / c_s:4.0f}x CPU; first frame equal: {same}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=50000)
    ap.add_argument("--atoms", type=int, default=200)
    ap.add_argument("--kinisi-stride", type=int, default=1,
                    help="kinisi gets every n-th frame of the same trajectory (0: skip kinisi)")
    ap.add_argument("--kinisi-only", action="store_true")
    ap.add_argument("--coverage-seeds", type=int, default=0,
                    help="also check both tools' 95 %% intervals over this many trajectories")
    ap.add_argument("--file", action="store_true",
                    help="end to end from an extended XYZ file (read + analyse) instead")
    ap.add_argument("--formats", action="store_true",
                    help="reading alone: ASE .traj, LAMMPS dump, extended XYZ, ssblab vs ASE")
    ap.add_argument("--documented-frames", type=int, default=5000,
                    help="with --file: frames for pymatgen's documented route (0: skip)")
    ap.add_argument("--scratch", default="",
                    help="with --file: keep the trajectory files in this folder and reuse them")
    ap.add_argument("--quick", action="store_true",
                    help="a quick run: 5000 frames, pymatgen's documented route on 500")
    args = ap.parse_args()
    if args.quick:
        args.frames, args.documented_frames = 5000, min(args.documented_frames, 500)
    if args.formats:
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            compare_formats(args.frames, args.atoms, scratch)
        return
    if args.file:
        import contextlib
        import tempfile

        if args.scratch:
            os.makedirs(args.scratch, exist_ok=True)
        folder = contextlib.nullcontext(args.scratch) if args.scratch else \
            tempfile.TemporaryDirectory()
        with folder as scratch:
            compare_file(args.frames, args.atoms, scratch, args.documented_frames,
                         with_kinisi=args.kinisi_stride > 0)
        return
    if args.coverage_seeds:
        kinisi_coverage(args.coverage_seeds, 10000, 40, 10)
        return
    if not args.kinisi_only:
        compare_pymatgen(args.frames, args.atoms)
    if args.kinisi_stride:
        compare_kinisi(args.frames, args.atoms, args.kinisi_stride)


if __name__ == "__main__":
    main()
