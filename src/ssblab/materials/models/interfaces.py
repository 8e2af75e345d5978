"""Metal | electrolyte interfaces by pymatgen's Zur-McGill lattice matching."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.errors import InputError
from ssblab.materials.models._common import (
    ProfileResult,
    _as_pymatgen,
    _density_profiles,
    _like_input,
    _min_distance_A,
    _quiet_pymatgen,
)
from ssblab.results import provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class InterfaceResult(ProfileResult):
    """A lattice-matched metal/electrolyte slab interface."""

    metal: str = ""
    electrolyte: str = ""
    metal_miller: tuple = ()
    electrolyte_miller: tuple = ()
    termination: tuple = ()
    strain_principal: tuple = ()
    von_mises_strain: float = math.nan
    area_A2: float = math.nan
    n_metal_atoms: int = 0
    n_electrolyte_atoms: int = 0
    metal_layers: int = 0
    electrolyte_layers: int = 0
    gap_A: float = math.nan
    vacuum_A: float = math.nan
    cell_length_A: float = math.nan
    min_distance_A: float = math.nan

    title = "Metal/electrolyte interface"

    def summary(self):
        return [("metal (hkl)", f"{self.metal} ({''.join(map(str, self.metal_miller))})"),
                ("electrolyte (hkl)",
                 f"{self.electrolyte} ({''.join(map(str, self.electrolyte_miller))})"),
                ("termination", " / ".join(self.termination)),
                ("metal strain, principal in-plane (%)",
                 ", ".join(f"{100 * s:+.2f}" for s in self.strain_principal)),
                ("interface area (A^2)", self.area_A2),
                ("atoms, metal / electrolyte",
                 f"{self.n_metal_atoms} / {self.n_electrolyte_atoms}"),
                ("layers, metal / electrolyte", f"{self.metal_layers} / {self.electrolyte_layers}"),
                ("gap (A)", self.gap_A),
                ("vacuum over metal (A)", self.vacuum_A if self.vacuum_A != self.gap_A else
                 "none (periodic: the metal meets the electrolyte's image across the gap)"),
                ("cell length along normal (A)", self.cell_length_A),
                ("min interatomic distance (A)", self.min_distance_A)]

def interface_model(metal, electrolyte, *, metal_miller=(0, 0, 1), electrolyte_miller=(0, 0, 1),
                    metal_layers: int = 3, electrolyte_layers: int = 3, gap_A: float = 2.0,
                    vacuum_A: float = 0.0, max_strain: float = 0.05, max_area_A2: float = 200.0,
                    termination: int = 0):
    """A metal slab on an electrolyte slab, lattice matched by pymatgen (Zur-McGill).

    The electrolyte is the substrate and keeps its lattice; the metal is strained onto it.
    Among the coincidence supercells pymatgen's ``ZSLGenerator`` finds (area up to
    ``max_area_A2``) the smallest whose largest principal in-plane Green-Lagrange strain of the
    metal is within ``max_strain`` is built, with ``metal_layers`` and ``electrolyte_layers``
    atomic layers (pymatgen's layer units), ``gap_A`` between them and ``vacuum_A`` above the
    metal (0: periodic along the normal, so the metal also meets the electrolyte's far face).
    ``termination`` indexes the pymatgen termination pairs. The thicknesses are in (hkl) unit
    planes (slabs of one interplanar spacing d_hkl each, pymatgen's ``in_unit_planes``); the
    result counts the atomic layers they hold.

    Returns
    -------
    (model, InterfaceResult)
        The model has the kind of ``electrolyte`` and the site property ``interface_label``
        ("film" for the metal, "substrate" for the electrolyte) when it is a pymatgen Structure.
    """
    film, _ = _as_pymatgen(metal)
    sub, kind = _as_pymatgen(electrolyte)
    from pymatgen.analysis.interfaces import CoherentInterfaceBuilder, ZSLGenerator

    if not 0 < float(max_strain) < 0.5:
        raise InputError(f"max_strain: expected a fraction in (0, 0.5), found {max_strain}")
    for name, n in (("metal_layers", metal_layers), ("electrolyte_layers", electrolyte_layers)):
        if int(n) < 1:
            raise InputError(f"{name}: expected at least 1, found {n}")
    zsl = ZSLGenerator(max_area=float(max_area_A2), max_length_tol=float(max_strain),
                       max_angle_tol=float(max_strain))
    with _quiet_pymatgen():
        builder = CoherentInterfaceBuilder(sub, film, tuple(metal_miller),
                                           tuple(electrolyte_miller), zslgen=zsl)
        if not builder.zsl_matches:
            raise InputError(f"no lattice match of {film.composition.reduced_formula}"
                             f"{tuple(metal_miller)} on {sub.composition.reduced_formula}"
                             f"{tuple(electrolyte_miller)} within max_strain={max_strain} and "
                             f"max_area_A2={max_area_A2}; raise either")
        terms = builder.terminations
        if not 0 <= int(termination) < len(terms):
            raise InputError(f"termination: expected 0..{len(terms) - 1} ({terms}), "
                             f"found {termination}")
        from pymatgen.analysis.elasticity.strain import Deformation

        best = None
        for match in builder.zsl_matches:
            strain = np.array(Deformation(match.match_transformation).green_lagrange_strain)
            principal = np.linalg.eigvalsh(0.5 * (strain + strain.T))
            if np.abs(principal).max() <= max_strain and (
                    best is None or match.match_area < best[0].match_area - 1e-6):
                best = (match, principal)
        if best is None:
            raise InputError(f"no match with principal strain <= {max_strain}; raise max_strain")
        match, principal = best
        builder.zsl_matches = [match]  # build only the chosen supercell
        # periodic along the normal (vacuum_A = 0): the metal's top meets the electrolyte's
        # bottom image across the same gap
        iface = next(builder.get_interfaces(
            terms[int(termination)], gap=float(gap_A),
            vacuum_over_film=float(vacuum_A) if vacuum_A > 0 else float(gap_A),
            film_thickness=int(metal_layers), substrate_thickness=int(electrolyte_layers)))
    area = float(np.linalg.norm(np.cross(*iface.lattice.matrix[:2])))
    principal = sorted(principal, key=abs)[-2:]  # the out-of-plane one is zero by construction
    z_A, species, profiles, _ = _density_profiles(iface, width_A=0.2)
    model = iface if kind == "pymatgen" else _like_input(iface, kind)
    result = InterfaceResult(
        metal=film.composition.reduced_formula, electrolyte=sub.composition.reduced_formula,
        metal_miller=tuple(int(v) for v in metal_miller),
        electrolyte_miller=tuple(int(v) for v in electrolyte_miller),
        termination=tuple(terms[int(termination)]),
        strain_principal=tuple(float(s) for s in principal),
        von_mises_strain=float(iface.interface_properties["von_mises_strain"]), area_A2=area,
        n_metal_atoms=len(iface.film_indices), n_electrolyte_atoms=len(iface.substrate_indices),
        metal_layers=int(iface.film_layers), electrolyte_layers=int(iface.substrate_layers),
        gap_A=float(iface.gap), vacuum_A=float(iface.vacuum_over_film),
        cell_length_A=float(iface.lattice.c), min_distance_A=_min_distance_A(iface),
        z_A=z_A, species=species, density_per_A3=profiles,
        provenance=provenance(metal_miller=tuple(metal_miller),
                              electrolyte_miller=tuple(electrolyte_miller),
                              metal_layers=metal_layers, electrolyte_layers=electrolyte_layers,
                              gap_A=gap_A, vacuum_A=vacuum_A, max_strain=max_strain,
                              max_area_A2=max_area_A2, termination=termination))
    return model, result
