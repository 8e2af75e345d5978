"""Seed 000 atomistic study: cold- vs hot-pressed Li3InCl6 by CHGNet MD, Arrhenius to 300 K.

    python examples/seed000_md_study.py RUN_ROOT [--steps 1500] [--device cuda]

Calling it again with the same RUN_ROOT continues an interrupted study. The framework is the
ideal layered-rock-salt model of the refined C2/m cell (ssblab.materials.prototypes), scaled to
each composition's refined volume; the vacancies are placed by Ewald-annealed ordering.
Writes RUN_ROOT/study.json (the VacancyMDStudy) and RUN_ROOT/report.html.
"""

import argparse
from pathlib import Path

from ssblab.files import atomic_write
from ssblab.materials.defects import SEED000_COMPOSITIONS
from ssblab.materials.prototypes import layered_rocksalt_framework
from ssblab.report import Report
from ssblab.workflows.vacancy_md import vacancy_md_study

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run_root", type=Path)
parser.add_argument("--temperatures", default="600,700,800", help="K, comma separated")
parser.add_argument("--steps", type=int, default=1500, help="production steps (2 fs)")
parser.add_argument("--equilibration", type=int, default=200)
parser.add_argument("--configurations", type=int, default=1)
parser.add_argument("--supercell", default="2,1,2", help="of the conventional C2/m cell")
parser.add_argument("--device", default="cpu")
parser.add_argument("--blocks", type=int, default=4, help="blocks per run for the error bars")
parser.add_argument("--torch-threads", type=int, default=None,
                    help="1 is fastest on a CPU shared with other jobs (docs/benchmarks.md)")
args = parser.parse_args()
if args.torch_threads:
    import torch

    torch.set_num_threads(args.torch_threads)

study = vacancy_md_study(
    layered_rocksalt_framework(primitive=False), SEED000_COMPOSITIONS,
    oxidation_states={"Li": 1, "In": 3, "Cl": -1}, run_root=args.run_root,
    temperatures_K=[float(t) for t in args.temperatures.split(",")],
    supercell=tuple(int(n) for n in args.supercell.split(",")),
    n_configurations=args.configurations, potential="chgnet", device=args.device,
    timestep_fs=2.0, equilibration_steps=args.equilibration, production_steps=args.steps,
    save_interval=5, n_blocks=args.blocks, rng=0)
print(study)
atomic_write(args.run_root / "study.json", study.to_json())
report = Report("Seed 000: vacancy-ordered CHGNet MD")
report.add(study, table=True)
report.write(args.run_root / "report.html")
