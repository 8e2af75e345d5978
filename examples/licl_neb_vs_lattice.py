"""Seed 002: Li vacancy oct-tet-oct barrier in rock-salt LiCl vs lattice parameter (CHGNet).

    python examples/licl_neb_vs_lattice.py 5.145 5.300 [--out neb_licl.json]
"""

import argparse
import json
import warnings

from ssblab import reference as ref
from ssblab.atomistic.neb import licl_vacancy_hop, neb_barrier

SEED = dict(zip(ref.LICL_NEB_LATTICE_A.value, ref.LICL_NEB_BARRIER_eV.value))  # seed 002, DFT NEB

ap = argparse.ArgumentParser()
ap.add_argument("lattice_A", type=float, nargs="+")
ap.add_argument("--potential", default="chgnet")
ap.add_argument("--images", type=int, default=3)
ap.add_argument("--out", default=None)
args = ap.parse_args()
warnings.filterwarnings("ignore", category=UserWarning)
rows = []
for a in args.lattice_A:
    initial, final, via = licl_vacancy_hop(a)
    res = neb_barrier(initial, final, calculator=args.potential, via=via, n_images=args.images,
                      max_steps=200, label="LiCl V_Li oct-tet-oct", lattice_A=a)
    rows.append({"lattice_A": a, "barrier_eV": res.barrier_eV, "converged": res.ok,
                 "max_force_eV_A": res.max_force_eV_A, "seed_eV": SEED.get(a),
                 "profile_eV": (res.energies_eV - res.energies_eV[0]).round(4).tolist()})
    print(json.dumps(rows[-1]), flush=True)
if args.out:
    with open(args.out, "w") as fh:
        json.dump(rows, fh, indent=1)
