"""MD driver overhead per step vs the bare ASE dynamics on the same calculator.

Runs the same Langevin MD (a) with ASE's own loop ``dyn.run(n)`` and no output and (b) through
``ssblab.atomistic.md`` with trajectory, log and checkpoints, and prints the overhead and the
steps per second.

    python benchmarks/bench_md.py [--potential lj|emt|chgnet] [--steps 20] [--rounds 10]

Both runs are built once and then advanced alternately, ``--steps`` at a time for ``--rounds``
rounds, so that load from other processes on a shared machine hits both alike; the overhead is
the ratio of the summed times (and the median of the per-round ratios, which is robust to a
burst of load during one segment).

With ``--batch 1,4,8,16`` it measures batched MD instead (``ssblab.atomistic.batch_md``): seed
000 cells (vacancy orderings of cold- and hot-pressed Li3InCl6 x temperatures) advanced together
with one CHGNet forward pass per step, against the same cells run one after the other through
ASE's Langevin and chgnet's own ASE calculator (how ``md.start`` runs each today) and through
the batch driver with one forward pass per cell, the three alternating step by step. It prints
s/step, cell-steps/s, the ratios and the driver overhead (wall time outside the potential over
wall time) for each batch size, and the load average.

    python benchmarks/bench_md.py --batch 1,4,8,16 [--rounds 3] [--torch-threads 2]

(Since the single-run calculator asks CHGNet for energies and forces only, (a) there is no
longer chgnet's own calculator; ``--on-demand`` measures that change.)

With ``--on-demand`` it measures what asking CHGNet only for what the run needs buys one run:
one seed 000 cell through ``md.start`` (Langevin NVT, or NPT with ``--pressure-GPa``) with
chgnet's own calculator (stress and magnetic moments every call) and with
``get_calculator("chgnet")`` (energies and forces; the stress once a barostat asks), alternating
step by step; it prints s/step for each, the ratio, the largest position difference at the
end and the load average.

    python benchmarks/bench_md.py --on-demand [--rounds 20] [--torch-threads 1] [--pressure-GPa 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def structure(potential):
    from ase.build import bulk

    if potential == "emt":
        return bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3)  # 108 atoms
    return bulk("LiCl", "rocksalt", a=5.13, cubic=True).repeat(3)  # 216 atoms


def main():
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import thermalize_momenta

    from ssblab.atomistic import md
    from ssblab.atomistic.potentials import get_calculator

    ap = argparse.ArgumentParser()
    ap.add_argument("--potential", default="emt")
    ap.add_argument("--steps", type=int, default=20, help="steps per segment")
    ap.add_argument("--rounds", type=int, default=10, help="rounds (with --batch: of one step each)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--torch-threads", type=int, default=0, help="0: torch's default")
    ap.add_argument("--batch", default="", help="batch sizes, e.g. 1,4,8,16 (CHGNet)")
    ap.add_argument("--supercell", default="2,1,2", help="--batch: of the C2/m Li3InCl6 cell")
    ap.add_argument("--on-demand", action="store_true",
                    help="one CHGNet run: chgnet's own calculator vs get_calculator('chgnet')")
    ap.add_argument("--pressure-GPa", type=float, default=None, help="--on-demand: NPT")
    args = ap.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    if args.batch:
        return batch_benchmark(args)
    if args.on_demand:
        return on_demand_benchmark(args)
    opts = dict(sigma=2.5, epsilon=0.01, rc=6.0) if args.potential == "lj" else {}
    atoms0 = structure(args.potential)
    atoms = atoms0.copy()
    atoms.calc = get_calculator(args.potential, device=args.device, **opts)
    thermalize_momenta(atoms, temperature_K=600, rng=np.random.default_rng(0))
    dyn = Langevin(atoms, 2 * units.fs, temperature_K=600, friction=0.01 / units.fs,
                   fixcm=False, rng=np.random.default_rng(0))
    total = args.steps * args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        run = md.start(atoms0, f"{tmp}/run", potential=args.potential, device=args.device,
                       temperature_K=600, timestep_fs=2, production_steps=total + 2,
                       save_interval=10, checkpoint_interval=100, calculator_options=opts)
        dyn.run(2)  # warm-up: first calls of a model are slow
        run.run(2)
        bare, ours = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            dyn.run(args.steps)
            bare.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run.run(args.steps)
            ours.append(time.perf_counter() - t0)
        run.close()
    bare, ours = np.array(bare), np.array(ours)
    print(f"{args.potential}, {len(atoms0)} atoms, {args.rounds} x {args.steps} steps each "
          f"(trajectory every 10, checkpoint every 100): bare ASE "
          f"{1e3 * bare.sum() / total:.2f} ms/step, ssblab {1e3 * ours.sum() / total:.2f} "
          f"ms/step ({total / ours.sum():.2f} steps/s on {args.device}); overhead "
          f"{100 * (ours.sum() / bare.sum() - 1):+.1f} % (summed), "
          f"{100 * (np.median(ours / bare) - 1):+.1f} % (median of rounds)")


def seed000_cells(n, supercell):
    """``n`` cells: vacancy orderings of the two seed 000 compositions x temperatures."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssblab.materials.defects import SEED000_COMPOSITIONS, configuration_structure, order_vacancies
    from ssblab.materials.prototypes import layered_rocksalt_framework

    temps = (600.0, 700.0, 800.0, 900.0)
    n_configs = max(1, -(-n // (len(SEED000_COMPOSITIONS) * len(temps))))
    structures = []
    for k, spec in enumerate(SEED000_COMPOSITIONS):
        framework = layered_rocksalt_framework(primitive=False)
        framework.scale_lattice(spec.cell_volume_A3)
        configs = order_vacancies(framework, dict(spec.vacancy_fractions),
                                  oxidation_states={"Li": 1, "In": 3, "Cl": -1},
                                  supercell=supercell, n_configurations=n_configs, rng=k)
        structures += [(f"{spec.label[:4]} c{c}", AseAtomsAdaptor.get_atoms(
            configuration_structure(framework, configs, c))) for c in range(n_configs)]
    # a Latin square: every prefix mixes compositions, orderings and temperatures
    s = len(structures)
    return [(structures[i % s][0], structures[i % s][1], temps[(i + i // s) % len(temps)])
            for i in range(n)]


def batch_benchmark(args):
    """Batched CHGNet MD against the same cells run one by one, in alternating rounds."""
    import os
    import warnings

    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import thermalize_momenta

    from ssblab.atomistic.batch_md import CHGNetBatch, start_batch
    from ssblab.atomistic.potentials import get_calculator

    warnings.simplefilter("ignore")  # torch/chgnet UserWarnings
    sizes = [int(n) for n in args.batch.split(",")]
    cells = seed000_cells(max(sizes), tuple(int(s) for s in args.supercell.split(",")))
    atoms_per_cell = [len(a) for _, a, _ in cells]
    print(f"{len(cells)} seed 000 cells of {min(atoms_per_cell)}-{max(atoms_per_cell)} atoms "
          f"(Li3InCl6 C2/m x {args.supercell}, vacancy orderings x 600-900 K); {args.rounds} "
          f"rounds of one step each after a warm-up step; trajectory frame every step; device "
          f"{args.device}; torch threads {args.torch_threads or 'default'}; load average "
          f"{os.getloadavg()[0]:.1f}")
    # (a) each cell alone: ASE Langevin + chgnet's own ASE calculator (what md.start runs)
    calc = get_calculator("chgnet", device=args.device)
    dyns = []
    for _, atoms0, temp in cells:
        atoms = atoms0.copy()
        atoms.calc = calc
        thermalize_momenta(atoms, temperature_K=temp, rng=np.random.default_rng(0))
        dyns.append(Langevin(atoms, 2 * units.fs, temperature_K=temp,
                             friction=0.01 / units.fs, fixcm=False,
                             rng=np.random.default_rng(0)))
    # (b) ssblab's batch driver, one CHGNet forward pass per cell; (c) one pass for all cells
    looped = CHGNetBatch(calc.model, device=args.device, batch_size=1)
    batched = CHGNetBatch(calc.model, device=args.device)
    print("cells | atoms | (a) ASE one by one s/step | (b) driver, a pass per cell s/step | "
          "(c) batched s/step | (c) cell-steps/s | (a)/(c) | (b)/(c) | (c) in graphs | "
          "(c) in model | (c) driver overhead | load")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            batches = {}
            for name, engine in (("looped", looped), ("batched", batched)):
                batches[name] = start_batch(
                    [a for _, a, _ in cells[:n]], [f"{tmp}/{name}{k}" for k in range(n)],
                    potential=engine, temperatures_K=[t for _, _, t in cells[:n]],
                    timestep_fs=2.0, production_steps=args.rounds + 1, save_interval=1,
                    checkpoint_interval=args.rounds + 1)
                batches[name].run(1)  # warm-up, and the first force call
            for dyn in dyns[:n]:
                dyn.run(1)
            batched.seconds = {"graphs": 0.0, "model": 0.0}
            batches["batched"].seconds = {"potential": 0.0, "steps": 0.0}
            times = {"ase": [], "looped": [], "batched": []}
            for _ in range(args.rounds):  # alternate, so that load bursts hit all three
                t0 = time.perf_counter()
                for dyn in dyns[:n]:
                    dyn.run(1)
                times["ase"].append(time.perf_counter() - t0)
                for name in ("looped", "batched"):
                    t0 = time.perf_counter()
                    batches[name].run(1)
                    times[name].append(time.perf_counter() - t0)
            for b in batches.values():
                b.close()
        t = {k: np.array(v) for k, v in times.items()}
        wall = t["batched"].sum()
        overhead = (wall - batches["batched"].seconds["potential"]) / wall
        print(f"{n} | {sum(atoms_per_cell[:n])} | {t['ase'].mean():.3f} | "
              f"{t['looped'].mean():.3f} | {t['batched'].mean():.3f} | "
              f"{n * args.rounds / wall:.2f} | "
              f"{t['ase'].sum() / wall:.2f}x (median {np.median(t['ase'] / t['batched']):.2f}x) | "
              f"{t['looped'].sum() / wall:.2f}x (median "
              f"{np.median(t['looped'] / t['batched']):.2f}x) | "
              f"{100 * batched.seconds['graphs'] / wall:.1f} % | "
              f"{100 * batched.seconds['model'] / wall:.1f} % | {100 * overhead:.2f} % | "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    if args.device == "cpu":
        print("GPU: not recorded (no GPU lent to this run)")


def on_demand_benchmark(args):
    """One run through md.start: chgnet's own calculator vs get_calculator("chgnet")."""
    import os
    import warnings

    from chgnet.model.dynamics import CHGNetCalculator

    from ssblab.atomistic import md
    from ssblab.atomistic.potentials import get_calculator

    warnings.simplefilter("ignore")  # torch/chgnet UserWarnings
    name, atoms, temp = seed000_cells(1, tuple(int(s) for s in args.supercell.split(",")))[0]
    ours = get_calculator("chgnet", device=args.device)
    calcs = {"chgnet's own (efsm)": CHGNetCalculator(model=ours.model, use_device=args.device),
             "get_calculator (on demand)": ours}
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {key: md.start(atoms, f"{tmp}/{k}", potential="chgnet", calculator=calc,
                              temperature_K=temp, timestep_fs=2.0,
                              production_steps=args.rounds + 2, save_interval=10,
                              checkpoint_interval=100, pressure_GPa=args.pressure_GPa, rng=0)
                for k, (key, calc) in enumerate(calcs.items())}
        for run in runs.values():
            run.run(2)  # warm-up, and (NPT) the first stress call
        times = {key: [] for key in runs}
        for _ in range(args.rounds):  # alternate, so that load bursts hit both
            for key, run in runs.items():
                t0 = time.perf_counter()
                run.run(1)
                times[key].append(time.perf_counter() - t0)
        for run in runs.values():
            run.close()
    (a, ta), (b, tb) = ((k, np.array(v)) for k, v in times.items())
    pos = [r.atoms.positions for r in runs.values()]
    print(f"{name}: {len(atoms)} atoms, {temp:g} K, "
          f"{'NVT Langevin' if args.pressure_GPa is None else f'NPT {args.pressure_GPa} GPa'}, "
          f"{args.rounds} steps after 2 warm-up, torch threads {args.torch_threads or 'default'}, "
          f"{args.device}; model task of the on-demand calculator: {ours.task}")
    print(f"{a}: {ta.mean():.3f} s/step (median {np.median(ta):.3f}); {b}: {tb.mean():.3f} "
          f"s/step (median {np.median(tb):.3f}); ratio {ta.sum() / tb.sum():.2f}x (median of "
          f"steps {np.median(ta / tb):.2f}x); max |position difference| at the end "
          f"{np.abs(pos[0] - pos[1]).max():.1e} A; load average {load0:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
