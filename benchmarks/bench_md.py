"""MD driver overhead per step vs the bare ASE dynamics on the same calculator.

Runs the same Langevin MD (a) with ASE's own loop ``dyn.run(n)`` and no output and (b) through
``ssblab.atomistic.md`` with trajectory, log and checkpoints, and prints the overhead.

    python benchmarks/bench_md.py [--potential lj|emt|chgnet] [--steps 300]
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
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    opts = dict(sigma=2.5, epsilon=0.01, rc=6.0) if args.potential == "lj" else {}
    atoms0 = structure(args.potential)
    times = {"bare": [], "ssblab": []}
    for _ in range(3):
        atoms = atoms0.copy()
        atoms.calc = get_calculator(args.potential, device=args.device, **opts)
        thermalize_momenta(atoms, temperature_K=600, rng=np.random.default_rng(0))
        dyn = Langevin(atoms, 2 * units.fs, temperature_K=600, friction=0.01 / units.fs,
                       fixcm=False, rng=np.random.default_rng(0))
        dyn.run(1)
        t0 = time.perf_counter()
        dyn.run(args.steps)
        times["bare"].append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            run = md.start(atoms0, f"{tmp}/run", potential=args.potential, device=args.device,
                           temperature_K=600, timestep_fs=2, production_steps=args.steps + 1,
                           save_interval=10, checkpoint_interval=100, calculator_options=opts)
            run.run(1)
            t0 = time.perf_counter()
            run.run(args.steps)
            run.close()
            times["ssblab"].append(time.perf_counter() - t0)
    bare, ours = np.median(times["bare"]), np.median(times["ssblab"])
    n = len(atoms0)
    print(f"{args.potential}, {n} atoms, {args.steps} steps (trajectory every 10, checkpoint "
          f"every 100): bare ASE {1e3 * bare / args.steps:.2f} ms/step, ssblab "
          f"{1e3 * ours / args.steps:.2f} ms/step ({args.steps / ours:.2f} steps/s on "
          f"{args.device}), overhead {100 * (ours / bare - 1):+.1f} %")


if __name__ == "__main__":
    main()
