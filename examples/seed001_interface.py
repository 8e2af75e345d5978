"""Seed 001: an In slab on the ordered Li6PS5Cl argyrodite, optionally CHGNet MD + In-S/In-Cl RDFs.

    python examples/seed001_interface.py --a-A 9.9 [--relax-li] [--out seed001/]
    python examples/seed001_interface.py --a-A 9.9 --md --steps 2000 --device cuda

Builds the ideal F-43m argyrodite (``materials.prototypes.argyrodite_framework``: P 4b, PS4
sulphurs on 16e from a cited P-S bond, S2- on 4c, Cl on 4a, Li on 48h), orders 24 Li on the 48
sites (lowest Ewald energy; ``--relax-li`` then relaxes the Li positions with CHGNet at fixed
cell and fixed P/S/Cl), and puts the bundled In (I4/mmm) on its (001) face with
``materials.models.interface_model`` (Zur-McGill lattice match, periodic stack). ``--a-A`` is
required: no refined Li6PS5Cl lattice parameter was available offline (docs/atomistic.md gives
the CHGNet equilibrium value). With ``--md`` it runs NVT MD of the interface (seed 001: AIMD at
300 K, 2 fs, 20 ps) and the time-resolved In-S and In-Cl RDFs
(``structure_analysis.rdf(..., n_windows=)``): seed 001 sees In-S near 2.8 A and In-Cl near
2.9 A grow. CPU MD is slow (about 0.4-0.7 s per step for ~200 atoms with CHGNet); use a GPU.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.cif import CifWriter

from ssblab.atomistic.potentials import relax_positions
from ssblab.files import atomic_write
from ssblab.materials.models import interface_model
from ssblab.materials.prototypes import (
    argyrodite_framework,
    ordered_configuration,
)
from ssblab.materials.structures import load_structure

ap = argparse.ArgumentParser()
ap.add_argument("--a-A", type=float, required=True, help="cubic lattice parameter of Li6PS5Cl")
ap.add_argument("--relax-li", action="store_true", help="CHGNet relaxation of the Li positions")
ap.add_argument("--metal-layers", type=int, default=3)
ap.add_argument("--electrolyte-layers", type=int, default=1)
ap.add_argument("--out", default="seed001_interface")
ap.add_argument("--md", action="store_true", help="run CHGNet NVT MD and the time-resolved RDFs")
ap.add_argument("--steps", type=int, default=2000)
ap.add_argument("--temperature", type=float, default=300.0)
ap.add_argument("--device", default="cpu")
ap.add_argument("--windows", type=int, default=4, help="time windows of the RDF")
args = ap.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

framework = argyrodite_framework(a_A=args.a_A)
electrolyte, ordering = ordered_configuration(
    framework, {"Li": 0.5}, oxidation_states={"Li": 1, "P": 5, "S": -2, "Cl": -1},
    n_configurations=3)
if args.relax_li:
    atoms, converged, steps = relax_positions(electrolyte, calculator="chgnet",
                                              device=args.device)
    print(f"Li relaxation: converged={converged} in {steps} BFGS steps")
    electrolyte = AseAtomsAdaptor.get_structure(atoms)
model, result = interface_model(load_structure("In", kind="pymatgen"), electrolyte,
                                metal_layers=args.metal_layers,
                                electrolyte_layers=args.electrolyte_layers)
for label, value in result.summary():
    print(f"{label}: {value}")
atomic_write(out / "interface.cif", str(CifWriter(model)))

if args.md:
    from ssblab.atomistic import md
    from ssblab.atomistic.structure_analysis import rdf
    from ssblab.atomistic.trajectory import read_trajectory

    run = md.start(AseAtomsAdaptor.get_atoms(model), out / "md", potential="chgnet",
                   device=args.device, temperature_K=args.temperature, timestep_fs=2.0,
                   production_steps=args.steps, save_interval=10)
    run.run_to_end()
    traj = read_trajectory(out / "md" / "trajectory.traj", timestep_ps=0.02)
    # minimum image: r_max at most half the narrowest cell width (about 5 A here)
    cell = model.lattice.matrix
    widths = [model.volume / np.linalg.norm(np.cross(cell[i - 2], cell[i - 1])) for i in range(3)]
    r_max_A = min(6.0, 0.49 * min(widths))
    rows = {}
    for pair in (("In", "S"), ("In", "Cl")):
        res = rdf(traj, pair, r_max_A=r_max_A, n_windows=args.windows)
        rows["-".join(pair)] = {"first_peak_A": res.first_peak_A,
                                "first_shell_coordination": res.first_shell_coordination}
        print(pair, rows["-".join(pair)])
    atomic_write(out / "rdf.json", json.dumps(rows, indent=1))
