"""Seed 004: In3+ hop between Li octahedra of trigonal Li3YCl6 (ideal hcp framework), CHGNet NEB.

    python examples/seed004_indium_neb.py [in-plane out-of-plane] [--images 5] [--out neb.json]

Seed 004 (DFT NEB, anion sublattice only, background charge): 0.873 eV in-plane, 0.913 eV
out-of-plane. Here the cell keeps its cations (neutral Li15InY6Cl36, 1 x 1 x 2 cell); the
numbers are the potential's, untuned.
"""

import argparse
import json
import time
import warnings

from ssblab import reference as ref
from ssblab.atomistic.neb import HOP_DIRECTIONS, lyc_indium_hop, neb_barrier

SEED_EV = {"in-plane": ref.LYC_IN_HOP_IN_PLANE_eV.value, "out-of-plane": ref.LYC_IN_HOP_OUT_OF_PLANE_eV.value}

ap = argparse.ArgumentParser()
ap.add_argument("directions", nargs="*", default=list(HOP_DIRECTIONS))
ap.add_argument("--potential", default="chgnet")
ap.add_argument("--images", type=int, default=5)
ap.add_argument("--fmax", type=float, default=0.05, help="eV/A on the band")
ap.add_argument("--max-steps", type=int, default=300)
ap.add_argument("--out", default=None)
args = ap.parse_args()
warnings.filterwarnings("ignore", category=UserWarning)
rows = []
for direction in args.directions:
    t0 = time.perf_counter()
    initial, final, via = lyc_indium_hop(direction)
    res = neb_barrier(initial, final, calculator=args.potential, via=via, n_images=args.images,
                      fmax_eV_A=args.fmax, max_steps=args.max_steps,
                      label=f"Li3YCl6 In3+ {direction}")
    rows.append({"direction": direction, "barrier_eV": res.barrier_eV,
                 "reverse_barrier_eV": res.reverse_barrier_eV,
                 "kra_barrier_eV": res.kra_barrier_eV, "converged": res.ok,
                 "max_force_eV_A": res.max_force_eV_A, "optimiser_steps": res.iterations,
                 "images": args.images, "fmax_eV_A": args.fmax, "seed_eV": SEED_EV[direction],
                 "profile_eV": (res.energies_eV - res.energies_eV[0]).round(4).tolist(),
                 "wall_s": round(time.perf_counter() - t0, 1)})
    print(json.dumps(rows[-1]), flush=True)
if args.out:
    with open(args.out, "w") as fh:
        json.dump(rows, fh, indent=1)
