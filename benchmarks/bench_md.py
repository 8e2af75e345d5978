"""MD driver overhead per step vs the bare ASE dynamics on the same calculator.

Runs the same Langevin MD (a) with ASE's own loop ``dyn.run(n)`` and no output and (b) through
``ssblab.atomistic.md`` with trajectory, log and checkpoints, and prints the overhead and the
steps per second.

    python benchmarks/bench_md.py [--potential lj|emt|chgnet] [--steps 20] [--rounds 10]

Both runs are built once and then advanced alternately, ``--steps`` at a time for ``--rounds``
rounds, so that load from other processes on a shared machine hits both alike; the overhead is
the ratio of the summed times (and the median of the per-round ratios, which is robust to a
burst of load during one segment).
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
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--torch-threads", type=int, default=0, help="0: torch's default")
    args = ap.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
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


if __name__ == "__main__":
    main()
