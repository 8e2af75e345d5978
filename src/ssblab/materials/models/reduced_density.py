"""Reduced-density models: whole cation-centred units removed to a target relative density."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.errors import InputError
from ssblab.materials.defects import minimum_image_distances
from ssblab.materials.models._common import (
    _as_pymatgen,
    _bond_graph,
    _charges,
    _default_bond_cutoff,
    _like_input,
    _net_charge,
    _restore_neutrality,
    _symbols,
)
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReducedDensityResult(Result):
    """A reduced-density model: whole cation-centred units removed around void centres."""

    target_relative_density: float = math.nan
    relative_density: float = math.nan
    void_fraction: float = math.nan
    n_atoms: int = 0
    formula: str = ""
    units_removed: dict = dataclasses.field(default_factory=dict)
    removed: dict = dataclasses.field(default_factory=dict)
    net_charge_e: float = math.nan
    unit_mass_amu: float = math.nan
    void_centers_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))
    path_relative_density: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    title = "Reduced-density model"

    def summary(self):
        return [("relative density, target", self.target_relative_density),
                ("relative density, achieved (mass)", self.relative_density),
                ("void fraction (1 - relative density)", self.void_fraction),
                ("atoms", self.n_atoms), ("composition", self.formula),
                ("units removed",
                 ", ".join(f"{k}-centred: {v}" for k, v in self.units_removed.items())),
                ("atoms removed", ", ".join(f"{k}: {v}" for k, v in self.removed.items())),
                ("net charge (e)", self.net_charge_e),
                ("voids", len(self.void_centers_A))]

    def _draw(self, ax, **kwargs):
        ax.plot(np.arange(len(self.path_relative_density)), self.path_relative_density,
                label="units removed one by one (after neutrality)")
        ax.axhline(self.target_relative_density, color="k", ls="--", lw=0.8, label="target")
        ax.plot([sum(self.units_removed.values())], [self.relative_density], "o",
                label="model (after neutrality)")
        ax.set_xlabel("cation-centred units removed")
        ax.set_ylabel("relative mass density")
        ax.legend(fontsize=8)


def reduced_density_model(structure, relative_density: float, *, unit_centers=None,
                          ligand: str | None = None, bond_cutoff_A: float | None = None,
                          n_voids: int = 1, void_centers_A=None,
                          oxidation_states: dict | None = None, balance_species=("Li", "Cl"),
                          rng: int | np.random.Generator = 0):
    """Seed 000's reduced-density model: whole cation-centred polyhedra removed around voids.

    Rule. Each cation of ``unit_centers`` (default: every cation species) with its ``ligand``
    anions (default: the only anion species) within ``bond_cutoff_A``
    (default 1.25 x the shortest cation-anion distance) is a unit (LiCl6, InCl6 octahedra in
    Li3InCl6). Units are removed in order of their cation's distance to the nearest void centre
    (``void_centers_A``, or ``n_voids`` centres drawn uniformly in the cell from ``rng``); a
    ligand goes with the last unit that holds it, i.e. once no remaining cation is bonded to it,
    so shared corners and edges of the remaining polyhedra stay intact. The number of units is
    the one whose model, after the neutrality rule of this module, comes closest to the target
    mass density (``relative_density`` x the input's). No ion is left without a counter-ion
    within the bond cutoff.

    Complements :func:`ssblab.materials.defects.void_model`, which removes the nearest atoms
    species by species in neutral proportions (a void by atoms, not by polyhedra).

    Returns
    -------
    (model, ReducedDensityResult)
    """
    if not 0 < float(relative_density) <= 1:
        raise InputError(f"relative_density: expected 0 < f <= 1, found {relative_density}")
    bulk, kind = _as_pymatgen(structure)
    rng = np.random.default_rng(rng)
    charges = _charges(bulk, oxidation_states)
    symbols = _symbols(bulk)
    if unit_centers is None:
        unit_centers = tuple(el for el in charges if charges[el] > 0)
    if ligand is None:
        anions = [el for el in charges if charges[el] < 0]
        if len(anions) != 1:
            raise InputError(f"ligand: several anion species {anions}; name the ligand")
        ligand = anions[0]
    for el in (*unit_centers, ligand):
        if el not in charges:
            raise InputError(f"unit_centers/ligand: {el!r} is not in the structure "
                             f"({sorted(charges)})")
    cutoff = (_default_bond_cutoff(bulk, charges) if bond_cutoff_A is None
              else float(bond_cutoff_A))
    adjacency = _bond_graph(bulk, charges, cutoff)
    lattice = bulk.lattice.matrix
    if void_centers_A is None:
        centers = rng.random((int(n_voids), 3)) @ lattice
    else:
        centers = np.atleast_2d(np.asarray(void_centers_A, float))
    distance = minimum_image_distances(bulk.cart_coords, lattice, centers)
    masses = np.array([float(site.specie.atomic_mass) for site in bulk])
    total = masses.sum()
    target = float(relative_density) * total

    cations = np.flatnonzero(np.isin(symbols, unit_centers))
    cations = cations[np.argsort(distance[cations], kind="stable")]
    ligand_mask = symbols == ligand
    # a ligand's bonds to any remaining cation (unit centre or not): it goes when none is left
    q = np.array([charges[el] for el in symbols])
    bonds_left = np.asarray(adjacency[:, q > 0].sum(axis=1)).ravel()
    balance_mass = {sign: float(masses[symbols == el][0]) / abs(charges[el])
                    for sign, el in ((1, balance_species[0]), (-1, balance_species[1]))
                    if el in charges}

    def neutral_mass(mask):
        """Mass once the balance species has absorbed the net charge (the rule's count)."""
        net = float(q[mask].sum())
        return masses[mask].sum() - (abs(net) * balance_mass[int(np.sign(net))] if net else 0.0)

    keep = np.ones(len(bulk), bool)
    path, masks = [1.0], [keep.copy()]
    for c in cations:
        if neutral_mass(keep) <= target:
            break
        keep[c] = False
        ligands = adjacency[c].indices
        ligands = ligands[ligand_mask[ligands]]
        bonds_left[ligands] -= 1
        keep[ligands[bonds_left[ligands] <= 0]] = False
        path.append(neutral_mass(keep) / total)
        masks.append(keep.copy())
    # the crossing step or the one before it, whichever is closer after neutrality
    best = None
    for k in sorted({len(masks) - 1, max(0, len(masks) - 2)}):
        mask = _restore_neutrality(bulk, masks[k], charges, balance_species=balance_species,
                                   priority=distance, adjacency=adjacency)
        miss = abs(masses[mask].sum() - target)
        if best is None or miss < best[0]:
            best = (miss, k, mask)
    _, k_units, keep = best
    removed_units = cations[:k_units]
    model = bulk.copy()
    model.remove_sites(np.flatnonzero(~keep).tolist())
    achieved = float(masses[keep].sum() / total)
    unit_mass = max(float(masses[c] + masses[adjacency[c].indices].sum()) for c in cations)
    result = ReducedDensityResult(
        target_relative_density=float(relative_density), relative_density=achieved,
        void_fraction=1.0 - achieved, n_atoms=len(model), formula=model.composition.formula,
        units_removed={el: int(np.sum(symbols[removed_units] == el)) for el in unit_centers},
        removed={el: int(np.sum(~keep & (symbols == el)))
                 for el in dict.fromkeys(symbols.tolist())},
        net_charge_e=_net_charge(_symbols(model), charges), unit_mass_amu=unit_mass,
        void_centers_A=centers, path_relative_density=np.array(path),
        provenance=provenance(relative_density=relative_density, unit_centers=tuple(unit_centers),
                              ligand=ligand, bond_cutoff_A=cutoff, n_voids=len(centers),
                              oxidation_states=charges, balance_species=tuple(balance_species)))
    return _like_input(model, kind), result


# ---------------------------------------------------------------- interfaces
