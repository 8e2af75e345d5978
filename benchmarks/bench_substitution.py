"""Ewald-annealed substitution (ssblab) vs pymatgen's OrderDisorderedStructureTransformation.

The same problem for both: In3+ on the Li sites of rock-salt LiCl with two Li vacancies per In
(seed 004's 3 Li -> 1 In + 2 vacancies). pymatgen offers ALGO_FAST (its EwaldMinimizer
branch-and-bound, slow beyond small cells: on 2x2x2 it had not finished after 9 min) and
ALGO_BEST_FIRST (quick, but stops at the first ordering it completes). Prints wall times, the
lowest Ewald energy each finds and the ratio of times.

    python benchmarks/bench_substitution.py [--seeds 3] [--sweeps 100]
"""

from __future__ import annotations

import argparse
import time

from ssblab.materials.structures import load_structure
from ssblab.materials.substitution import substitute

CHARGES = {"Li": 1, "Cl": -1, "In": 3}


def pymatgen_order(parent, supercell, x, algo):
    from pymatgen.analysis.ewald import EwaldSummation
    from pymatgen.transformations.standard_transformations import (
        OrderDisorderedStructureTransformation,
    )

    big = parent * supercell
    n_li = sum(1 for s in big if s.specie.symbol == "Li")
    z = big.composition.get_reduced_composition_and_factor()[1]
    n_in = round(x * z)
    frac_in, frac_li = n_in / n_li, (n_li - 3 * n_in) / n_li
    big.replace_species({"Li": {"Li+": frac_li, "In3+": frac_in}})
    big.replace_species({"Cl": "Cl-"})
    t0 = time.perf_counter()
    best = OrderDisorderedStructureTransformation(algo=algo).apply_transformation(big)
    dt = time.perf_counter() - t0
    return dt, EwaldSummation(best).total_energy


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--sweeps", type=int, default=100)
    args = ap.parse_args()
    licl = load_structure("LiCl", kind="pymatgen")
    cases = [((2, 1, 1), 0.25, ("best_first", "fast")), ((2, 2, 1), 0.25, ("best_first", "fast")),
             ((2, 2, 2), 0.1875, ("best_first",))]
    print("cell  x  tool  time_s  lowest_Ewald_eV")
    for cell, x, algos in cases:
        t0 = time.perf_counter()
        res = substitute(licl, x, oxidation_states=CHARGES, supercell=cell,
                         n_configurations=args.seeds, sweeps=args.sweeps, rng=0)
        t_ssb = time.perf_counter() - t0
        print(f"{cell} {x} ssblab anneal ({args.seeds} seeds) {t_ssb:.3f} {res.ewald_eV.min():.4f}")
        for algo in algos:
            name = {"fast": 0, "best_first": 2}[algo]
            t_pmg, e = pymatgen_order(licl, cell, x, name)
            print(f"{cell} {x} pymatgen ODST {algo} {t_pmg:.3f} {e:.4f}"
                  f"   time ratio pymatgen/ssblab {t_pmg / t_ssb:.2f}")


if __name__ == "__main__":
    main()
