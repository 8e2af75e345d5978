"""Seed 000's structural models: grain boundaries and reduced-density cells (optionally MD).

    python examples/seed000_models.py [--structure LiCl] [--out models/]
    python examples/seed000_models.py --md --steps 400 --temperature 900   # CHGNet, slow on CPU

Builds, for the bulk ``--structure`` (a bundled name, a CIF, or ``framework``: seed 000's
Li3InCl6 C2/m site topology from ``materials.prototypes`` with the pristine vacancies ordered
in; use ``--supercell 1,1,1`` or ``2,1,1`` with it):

* symmetric grain boundaries: pymatgen's CSL Sigma5 [001](310) and Sigma3 [1-10](112) for
  cubic cells, the mirror construction on (310) and (112) otherwise (Li3InCl6 is C2/m);
* reduced-density models at 90, 78 and 66 % of the crystal's mass density (whole cation-centred
  units removed around one void, neutral);

writes them as CIF with one summary line each, and with ``--md`` runs a short NVT run of the
bulk, the smaller boundary and the 78 % model with ``ssblab.atomistic.md`` and compares
their Li tracer diffusion coefficients (seed 000 Fig. 5: boundaries barely change Li
transport, voids lower it). A few hundred steps give only the order of magnitude; use a GPU
(``--device cuda``) and thousands of steps for numbers.
"""

import argparse
import os
from pathlib import Path

from pymatgen.io.cif import CifWriter

from ssblab.files import atomic_write
from ssblab.materials.models import (
    mirror_grain_boundary,
    reduced_density_model,
    tilt_grain_boundary,
)
from ssblab.materials.structures import list_structures, load_structure

ap = argparse.ArgumentParser()
ap.add_argument("--structure", default="Li3InCl6" if "Li3InCl6" in list_structures() else "LiCl")
ap.add_argument("--supercell", default="3,3,3", help="repeat for the reduced-density models")
ap.add_argument("--out", default="seed000_models")
ap.add_argument("--md", action="store_true", help="run CHGNet MD on bulk, GB and 78 %% models")
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--temperature", type=float, default=900.0)
ap.add_argument("--device", default="cpu")
args = ap.parse_args()

if os.path.exists(args.structure):
    from pymatgen.core import Structure

    bulk = Structure.from_file(args.structure)
elif args.structure == "framework":
    # seed 000's Li3InCl6 site topology (ideal C2/m, materials.prototypes) with the pristine
    # refinement's Li and In vacancies ordered in (Li36In20Cl96 per 96 Cl)
    from ssblab.materials.defects import configuration_structure, order_vacancies
    from ssblab.materials.prototypes import layered_rocksalt_framework

    framework = layered_rocksalt_framework(primitive=False)
    order = order_vacancies(framework, {"Li": 0.241, "In": 0.38},
                            oxidation_states={"Li": 1, "In": 3, "Cl": -1}, supercell=(2, 1, 2),
                            n_configurations=1, rng=0)
    bulk = configuration_structure(framework, order, 0)
else:
    bulk = load_structure(args.structure, kind="pymatgen")
out = Path(args.out)
models = {}
cubic = bulk.lattice.is_orthogonal and len({round(x, 3) for x in bulk.lattice.abc}) == 1
if cubic:
    models["gb_sigma5_310"], r1 = tilt_grain_boundary(bulk, sigma=5, rotation_axis=(0, 0, 1),
                                                      plane=(3, 1, 0))
    models["gb_sigma3_112"], r2 = tilt_grain_boundary(bulk, sigma=3, rotation_axis=(1, -1, 0),
                                                      plane=(1, 1, 2), expand_times=1)
else:
    models["gb_mirror_310"], r1 = mirror_grain_boundary(bulk, plane=(3, 1, 0), expand_times=1)
    models["gb_mirror_112"], r2 = mirror_grain_boundary(bulk, plane=(1, 1, 2), expand_times=1)
results = [r1, r2]
big = bulk * tuple(int(x) for x in args.supercell.split(","))
for density in (0.90, 0.78, 0.66):
    model, res = reduced_density_model(big, density, rng=0)
    models[f"density_{round(100 * density)}"] = model
    results.append(res)
for (name, model), res in zip(models.items(), results):
    atomic_write(out / f"{name}.cif", str(CifWriter(model)))
    print(f"{name:16s} {res.n_atoms:5d} atoms  {res.formula:24s} net charge {res.net_charge_e:g}")

if args.md:
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssblab.atomistic import md
    from ssblab.atomistic.trajectory import read_trajectory
    from ssblab.atomistic.transport import diffusion

    boundaries = [m for name, m in models.items() if name.startswith("gb")]
    runs = {"bulk": big, "gb": min(boundaries, key=len), "density_78": models["density_78"]}
    for name, structure in runs.items():
        atoms = AseAtomsAdaptor.get_atoms(structure)
        run = md.start(atoms, out / f"md_{name}", potential="chgnet", device=args.device,
                       temperature_K=args.temperature, timestep_fs=2.0,
                       equilibration_steps=args.steps // 5, production_steps=args.steps,
                       save_interval=5, rng=0)
        run.run_to_end()
        traj = read_trajectory(out / f"md_{name}" / "trajectory.traj", timestep_ps=0.010)
        res = diffusion(traj, mobile="Li", temperature_K=args.temperature, n_blocks=4,
                        min_block_frames=10)
        print(f"MD {name:12s} {len(atoms):5d} atoms  D*(Li) = {res.diffusivity_cm2_s}  "
              f"({res.reason or 'ok'})")
