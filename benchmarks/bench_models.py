"""Structural models: ssblab's builders against the bare pymatgen calls they wrap.

(a) Sigma5 [001](310) LiCl bicrystal: ``tilt_grain_boundary`` (angle search with the mirror
    check, species-aware overlap removal, neutrality, profiles) vs one
    ``GrainBoundaryGenerator.gb_from_parameters`` call at the known angle (pymatgen's own
    species-blind overlap merging, no neutrality);
(b) In(001) on LiCl(001): ``interface_model`` (strain filter on the ZSL matches, builds one
    supercell) vs ``CoherentInterfaceBuilder.get_interfaces`` building every match.

    python benchmarks/bench_models.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    from pymatgen.analysis.interfaces import CoherentInterfaceBuilder, ZSLGenerator
    from pymatgen.core.interface import GrainBoundaryGenerator

    from ssblab.materials.models import interface_model, tilt_grain_boundary
    from ssblab.materials.structures import load_structure

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    licl = load_structure("LiCl", kind="pymatgen")
    indium = load_structure("In", kind="pymatgen")

    t_ours, (model, res) = best_of(lambda: tilt_grain_boundary(
        licl, sigma=5, rotation_axis=(0, 0, 1), plane=(3, 1, 0)), args.repeat)
    t_pmg, gb = best_of(lambda: GrainBoundaryGenerator(licl).gb_from_parameters(
        [0, 0, 1], res.rotation_angle_deg, expand_times=2, normal=True, plane=[3, 1, 0]),
        args.repeat)
    comp = gb.composition
    print(f"Sigma5 (310) LiCl: ssblab {t_ours:.3f} s ({res.formula}, net charge "
          f"{res.net_charge_e:g}); pymatgen gb_from_parameters {t_pmg:.3f} s ({comp.formula}, "
          f"net charge {comp['Li'] - comp['Cl']:g}); ratio ssblab/pymatgen {t_ours / t_pmg:.2f}")

    t_ours, (_, ires) = best_of(lambda: interface_model(indium, licl, max_strain=0.05),
                                args.repeat)

    def all_interfaces():
        builder = CoherentInterfaceBuilder(licl, indium, (0, 0, 1), (0, 0, 1), zslgen=ZSLGenerator(
            max_area=200.0, max_length_tol=0.05, max_angle_tol=0.05))
        return list(builder.get_interfaces(builder.terminations[0], gap=2.0,
                                           vacuum_over_film=2.0, film_thickness=3,
                                           substrate_thickness=3))

    t_pmg, every = best_of(all_interfaces, args.repeat)
    print(f"In(001)/LiCl(001): ssblab {t_ours:.3f} s (one supercell, area {ires.area_A2:.2f} A^2, "
          f"strain {max(abs(s) for s in ires.strain_principal):.4f}); pymatgen get_interfaces "
          f"{t_pmg:.3f} s ({len(every)} supercells); ratio pymatgen/ssblab {t_pmg / t_ours:.2f}")


if __name__ == "__main__":
    main()
