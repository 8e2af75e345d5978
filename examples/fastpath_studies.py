"""The fast path's studies and checks (BVSE -> site network -> KMC), as recorded in the docs.

    python examples/fastpath_studies.py [--out fastpath_studies] [--structure LiCl]

1. seed 002: LiCl's KMC activation energy, D and sigma(300 K) vs lattice parameter
   (5.13-5.30 A, dilute carriers), beside the seed's NEB barriers;
2. seed 000's argument (Li vacancies and a larger cell) on ``--structure`` at the refined
   pristine / hot-pressed Li occupancy and cell volume ratio;
3. the independent check: KMC Ea at low carrier fraction vs the network's percolation barrier,
   over several seeds.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ssblab.atomistic.bvse import bvse_network
from ssblab.atomistic.fastpath import (
    kmc_vs_temperature,
    licl_lattice_study,
    vacancy_expansion_study,
)
from ssblab.materials.structures import load_structure
from ssblab.report import Report

ap = argparse.ArgumentParser()
ap.add_argument("--out", default="fastpath_studies")
ap.add_argument("--structure", default="LiCl", help="structure for the seed 000 study")
ap.add_argument("--seeds", type=int, default=5)
args = ap.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
report = Report("Fast path (BVSE -> KMC) studies")

t0 = time.perf_counter()
licl = licl_lattice_study(rng=0)
print(licl, f"\n[{time.perf_counter() - t0:.1f} s]\n", flush=True)
report.add(licl, table=True)

t0 = time.perf_counter()
seed000 = vacancy_expansion_study(args.structure, rng=0)
print(seed000, f"\n[{time.perf_counter() - t0:.1f} s]\n", flush=True)
report.add(seed000, table=True)

t0 = time.perf_counter()
net = bvse_network(load_structure("LiCl"), resolution_A=0.2)
z = []
for seed in range(args.seeds):
    res = kmc_vs_temperature(net, carrier_fraction=0.05, rng=seed)
    ea = res.activation_energy_eV
    z.append((ea.value - net.effective_barrier_eV) / ea.stderr)
    print(f"seed {seed}: KMC Ea {ea} vs network {net.effective_barrier_eV:.4f} eV, "
          f"z = {z[-1]:+.2f}", flush=True)
print(f"[{time.perf_counter() - t0:.1f} s]")
(out / "ea_vs_network.json").write_text(json.dumps(
    {"network_barrier_eV": net.effective_barrier_eV, "z": z,
     "bvlain_E3D_eV": float(net.reference_percolation_eV[2])}, indent=1))
print(f"mean z {np.mean(z):+.2f}, |z| < 2 in {np.sum(np.abs(z) < 2)} of {len(z)}")
report.write(out / "report.html")
