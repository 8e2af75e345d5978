"""Vacancy-ordered supercells: refined vacancy fractions -> explicit, neutral, low-Ewald configurations.

The rule (stated once, applied everywhere):

1. Per species, the number of vacancies is the refined vacancy fraction times the number of
   sites of that species in the supercell, rounded to the nearest integer.
2. Charge neutrality is then restored by adjusting the vacancy count of ``balance_species``
   (Li by default: the species whose refined occupancy is least certain and most mobile) to the
   integer that makes the total charge zero; if no integer does, an InputError says so.
3. Among the configurations with those counts, a low electrostatic energy is sought by
   Metropolis swaps of an atom and a vacancy of the same species at a fictitious temperature
   that falls to zero (simulated annealing), with energies from pymatgen's Ewald summation of
   the fully occupied supercell (the energy of any neutral subset is the sum of its block of the
   pairwise Ewald energy matrix). Each seed gives one configuration.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from ssblab import reference as ref
from ssblab.errors import InputError, require_package
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class CompositionSpec:
    """One refined composition: vacancy fraction per element of the framework's sites.

    ``cell_volume_A3`` is the refined volume of one framework cell; the framework is scaled
    isotropically to it (None keeps the framework's own volume). ``reference`` holds the
    published numbers to print beside ours (e.g. ``{"conductivity_300K_S_cm": ...,
    "activation_energy_eV": ...}``); it never enters the computation.
    """

    label: str
    vacancy_fractions: Mapping[str, float]
    cell_volume_A3: float | None = None
    reference: Mapping[str, float] = dataclasses.field(default_factory=dict)


#: Seed 000 (cold- and hot-pressed Li3InCl6, C2/m). Fractions per element over the framework
#: of 6 Li, 4 In (4g) and 12 Cl (8j + 4i) sites per cell; the hot-pressed Cl fraction is the
#: site-weighted mean of the refined 8j and 4i fractions. References: the authors' MD.
SEED000_COMPOSITIONS = (
    CompositionSpec(label="cold-pressed (pristine)",
                    vacancy_fractions={"Li": ref.LIC_PRISTINE_LI_VACANCY.value,
                                       "In": ref.LIC_PRISTINE_IN_VACANCY.value, "Cl": 0.0},
                    cell_volume_A3=ref.LIC_PRISTINE_VOLUME_A3.value,
                    reference={"conductivity_300K_S_cm": ref.LIC_MD_COLD_SIGMA_300K_S_cm.value,
                               "activation_energy_eV": ref.LIC_MD_COLD_EA_eV.value}),
    CompositionSpec(label="hot-pressed 0.5 GPa 250 C",
                    vacancy_fractions={"Li": ref.LIC_HOT_LI_VACANCY.value,
                                       "In": ref.LIC_HOT_IN1_VACANCY.value,
                                       "Cl": (8 * ref.LIC_HOT_CL1_VACANCY.value
                                              + 4 * ref.LIC_HOT_CL2_VACANCY.value) / 12},
                    cell_volume_A3=ref.LIC_HOT_VOLUME_A3.value,
                    reference={"conductivity_300K_S_cm": ref.LIC_MD_HOT_SIGMA_300K_S_cm.value,
                               "activation_energy_eV": ref.LIC_MD_HOT_EA_eV.value}),
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnnealedConfigurations(Result):
    """Base of the Ewald-annealed configuration results: energies per seed and their plot."""

    ewald_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    random_ewald_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    def energy_rows(self):
        return [("configurations", len(self.ewald_eV)),
                ("Ewald energy, ordered (eV)", ", ".join(f"{e:.2f}" for e in self.ewald_eV)),
                ("Ewald energy, random start (eV)",
                 ", ".join(f"{e:.2f}" for e in self.random_ewald_eV))]

    def _draw(self, ax, **kwargs):
        x = np.arange(len(self.ewald_eV))
        ax.plot(x, self.random_ewald_eV, "o", label="random start")
        ax.plot(x, self.ewald_eV, "s", label="annealed")
        ax.set_xlabel("configuration (seed)")
        ax.set_ylabel("Ewald energy (eV)")
        ax.legend(fontsize=8)


@dataclasses.dataclass(frozen=True, kw_only=True)
class VacancyConfigurations(AnnealedConfigurations):
    """Explicit vacancy configurations (as kept-site masks) and their Ewald energies."""

    formula: str = ""
    supercell: tuple[int, int, int] = (1, 1, 1)
    vacancies: dict = dataclasses.field(default_factory=dict)
    keep: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0), bool))

    title = "Vacancy-ordered supercells"

    def summary(self):
        return [("composition", self.formula), ("supercell", "x".join(map(str, self.supercell))),
                ("vacancies", ", ".join(f"{k}: {v}" for k, v in self.vacancies.items())),
                *self.energy_rows()]


def vacancy_counts(n_sites: dict[str, int], fractions: dict[str, float],
                   charges: dict[str, float], *, balance_species: str = "Li") -> dict[str, int]:
    """Integer vacancy counts per species following the module's rule (steps 1-2).

    Examples
    --------
    Seed 000's hot-pressed Li3InCl6 (Li 28.6 % and In 45.6 % vacant; Cl 9.9 % vacant, from the
    refined Li4.313In2.176Cl10.809) on a cell with 48 Li, 32 In and 96 Cl sites (the In sites
    counted as the refinement does, 4 per 12 Cl):

    >>> vacancy_counts({"Li": 48, "In": 32, "Cl": 96}, {"Li": 0.286, "In": 0.456, "Cl": 0.099},
    ...                {"Li": 1, "In": 3, "Cl": -1})
    {'Li': 13, 'In': 15, 'Cl': 10}
    """
    if balance_species not in n_sites:
        raise InputError(f"balance_species {balance_species!r} is not one of {sorted(n_sites)}")
    counts = {}
    for el, n in n_sites.items():
        f = float(fractions.get(el, 0.0))
        if not 0 <= f < 1:
            raise InputError(f"vacancy fraction of {el}: expected 0 <= f < 1, found {f}")
        counts[el] = int(round(f * n))
    q_bal = charges[balance_species]
    excess = sum(charges[el] * (n_sites[el] - counts[el]) for el in n_sites)
    extra = excess / q_bal
    if abs(extra - round(extra)) > 1e-9:
        raise InputError(f"charge {excess:+g} cannot be balanced by whole {balance_species} "
                         f"vacancies (charge {q_bal:+g}); choose another balance_species")
    counts[balance_species] += int(round(extra))
    if not 0 <= counts[balance_species] <= n_sites[balance_species]:
        raise InputError(f"neutrality needs {counts[balance_species]} {balance_species} vacancies "
                         f"out of {n_sites[balance_species]} sites: impossible")
    return counts


def order_vacancies(structure, fractions: dict[str, float], *, oxidation_states: dict[str, float],
                    supercell=(1, 1, 1), n_configurations: int = 3, sweeps: int = 200,
                    balance_species: str = "Li",
                    rng: int | np.random.Generator = 0) -> VacancyConfigurations:
    """Neutral, low-Ewald-energy vacancy configurations of a pymatgen ``structure``.

    ``fractions`` maps element -> refined vacancy fraction; ``oxidation_states`` element -> charge.
    Returns the kept-site masks (one row per configuration) over ``structure * supercell``;
    :func:`configuration_structure` turns one into a pymatgen Structure.
    """
    rng = np.random.default_rng(rng)
    big = structure * tuple(int(s) for s in supercell)
    symbols = np.array([site.specie.symbol for site in big])
    missing = set(symbols) - set(oxidation_states)
    if missing:
        raise InputError(f"oxidation_states: missing {sorted(missing)}")
    n_sites = {el: int(np.sum(symbols == el)) for el in dict.fromkeys(symbols)}
    counts = vacancy_counts(n_sites, fractions, oxidation_states, balance_species=balance_species)
    full = np.array([float(oxidation_states[el]) for el in symbols])
    unit = unit_ewald_matrix(big, full)
    groups = [np.flatnonzero(symbols == el) for el in n_sites if 0 < counts[el] < n_sites[el]]

    masks, energies, starts = [], [], []
    for _ in range(int(n_configurations)):
        charges = full.copy()
        for el, n_vac in counts.items():
            charges[rng.choice(np.flatnonzero(symbols == el), n_vac, replace=False)] = 0.0
        starts.append(float(charges @ unit @ charges))
        charges, e = anneal_charges(unit, charges, groups, sweeps=sweeps, rng=rng)
        masks.append(charges != 0)
        energies.append(e)
    formula = " ".join(f"{el}{n_sites[el] - counts[el]}" for el in n_sites)
    return VacancyConfigurations(
        formula=formula, supercell=tuple(int(s) for s in supercell), vacancies=counts,
        keep=np.array(masks), ewald_eV=np.array(energies), random_ewald_eV=np.array(starts),
        provenance=provenance(fractions=fractions, oxidation_states=oxidation_states,
                              supercell=supercell, sweeps=sweeps, n_configurations=n_configurations))


def unit_ewald_matrix(structure, charges) -> np.ndarray:
    """Pairwise Ewald interaction of unit charges on the sites of a pymatgen ``structure`` (eV).

    The electrostatic energy of any neutral assignment of charges ``c`` to those sites (0 for a
    vacancy) is then ``c @ M @ c``; ``charges`` (one non-zero value per site; the reference
    need not be neutral, as the compensating background drops out of neutral configurations)
    only serve to run pymatgen's ``EwaldSummation`` once.
    """
    require_package("pymatgen", extra="atomistic", purpose="Ewald energies")
    from pymatgen.analysis.ewald import EwaldSummation

    charges = np.asarray(charges, float)
    if np.any(charges == 0):
        raise InputError("unit_ewald_matrix: every site needs a non-zero reference charge")
    from pymatgen.core import Structure

    # an ordered copy, so that partially occupied sites carry the full reference charge
    charged = Structure(structure.lattice, [s.species.elements[0] for s in structure],
                        structure.frac_coords)
    charged.add_oxidation_state_by_site(charges.tolist())
    matrix = EwaldSummation(charged).total_energy_matrix
    matrix = 0.5 * (matrix + matrix.T)
    return matrix / np.outer(charges, charges)


def anneal_charges(unit, charges, groups, *, sweeps: int = 200,
                   rng: int | np.random.Generator = 0) -> tuple[np.ndarray, float]:
    """Lower ``charges @ unit @ charges`` by swapping the charges of two sites of one group.

    ``groups`` lists arrays of site indices (a sublattice each); a move exchanges the charges
    (species or vacancy) of two sites of the same group that differ, accepted by the Metropolis
    rule at a fictitious temperature falling linearly to zero (simulated annealing). Swaps keep
    every group's content, hence neutrality. Returns the new charges and their energy (eV); the
    input is not modified.
    """
    rng = np.random.default_rng(rng)
    c = np.array(charges, float)
    potential = unit @ c
    energy = float(c @ potential)
    groups = [np.asarray(g) for g in groups if len(np.unique(c[np.asarray(g)])) > 1]
    if not groups:
        return c, energy
    minority = sum(min(np.sum(c[g] == v) for v in np.unique(c[g])) for g in groups)
    n_moves = int(sweeps) * max(1, int(minority))
    t0 = max(abs(energy) * 1e-3, 0.05)  # eV: a few hundred kelvin of swaps to start with
    for move in range(n_moves):
        g = groups[rng.integers(len(groups))]
        i = g[rng.integers(len(g))]
        others = g[c[g] != c[i]]
        j = others[rng.integers(len(others))]
        di, dj = c[j] - c[i], c[i] - c[j]
        # exact change of the quadratic form for c -> c + di e_i + dj e_j
        delta = (2 * (di * potential[i] + dj * potential[j]) + di * di * unit[i, i]
                 + dj * dj * unit[j, j] + 2 * di * dj * unit[i, j])
        temp = t0 * (1 - move / n_moves)
        if delta < 0 or (temp > 0 and rng.random() < math.exp(-delta / temp)):
            c[i], c[j] = c[j], c[i]
            potential += unit[:, i] * di + unit[:, j] * dj
            energy += delta
    return c, float(c @ unit @ c)



@dataclasses.dataclass(frozen=True, kw_only=True)
class OccupancyConfigurations(AnnealedConfigurations):
    """Explicit orderings of a partially occupied structure: one species ("" = vacancy) per site."""

    formula: str = ""
    supercell: tuple[int, int, int] = (1, 1, 1)
    species: list = dataclasses.field(default_factory=list)

    title = "Ordered partial occupancies"

    def summary(self):
        return [("composition", self.formula), ("supercell", "x".join(map(str, self.supercell))),
                *self.energy_rows()]


def order_partial_occupancies(structure, *, oxidation_states: dict[str, float],
                              supercell=(1, 1, 1), n_configurations: int = 3, sweeps: int = 100,
                              balance_species: str = "Li",
                              rng: int | np.random.Generator = 0) -> OccupancyConfigurations:
    """Neutral, low-Ewald orderings of a refinement with partial occupancies (pymatgen Structure).

    Sites are grouped by their CIF label and species mix (one refined site each). Each group of
    n sites receives round(occupancy x n) atoms of each of its species, the rest vacancies; then
    ``balance_species`` atoms are added to or removed from its groups, where the rounding left
    most room, until the cell is neutral (an InputError if no whole number does it). Atoms and
    vacancies are then swapped within each group by :func:`anneal_charges`, one configuration per
    seed. Species of equal charge sharing a site cannot be told apart by the Ewald energy; they
    are placed at random among the sites of that charge.
    """
    rng = np.random.default_rng(rng)
    supercell = tuple(int(s) for s in supercell)
    big = structure * supercell
    # pymatgen's Structure * supercell repeats each parent site in place, so site i of the
    # supercell belongs to parent site i // n_cells (checked)
    n_cells = int(np.prod(supercell))
    parent = [(getattr(site, "label", None), tuple(sorted((el.symbol, float(o))
                                                           for el, o in site.species.items())))
              for site in structure]
    keys = [parent[i // n_cells] for i in range(len(big))]
    if any(dict(k[1]) != {el.symbol: o for el, o in site.species.items()}
           for k, site in zip(keys, big)):
        raise InputError("supercell site order is not the expected one; cannot group sites")
    groups = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    elements = {el for _, mix in groups for el, _ in mix}
    missing = elements - set(oxidation_states)
    if missing:
        raise InputError(f"oxidation_states: missing {sorted(missing)}")
    counts = {key: {el: round(o * len(idx)) for el, o in key[1]} for key, idx in groups.items()}
    charge = sum(oxidation_states[el] * n for c in counts.values() for el, n in c.items())
    q_bal = float(oxidation_states.get(balance_species, 0.0))
    need = -charge / q_bal if q_bal else float("nan")
    if not abs(need - round(need)) < 1e-9:
        raise InputError(f"charge {charge:+g} cannot be balanced by whole {balance_species} "
                         f"atoms; choose another balance_species")
    step = int(np.sign(need))
    for _ in range(abs(round(need))):
        # the group whose count is furthest from its refined occupancy in the needed direction
        room = [(step * (o * len(groups[key]) - c[balance_species]), key)
                for key, c in counts.items() for el, o in key[1] if el == balance_species
                and 0 <= c[balance_species] + step
                and sum(c.values()) + step <= len(groups[key])]
        if not room:
            raise InputError(f"neutrality needs {abs(round(need))} {balance_species} atoms "
                             f"{'added' if step > 0 else 'removed'}: no room on its sites")
        counts[max(room)[1]][balance_species] += step
    ref = np.ones(len(big))
    unit = unit_ewald_matrix(big, ref)
    index_groups = [np.array(idx) for idx in groups.values()]
    species, energies, starts = [], [], []
    for _ in range(int(n_configurations)):
        labels = np.full(len(big), "", dtype=object)
        for key, idx in groups.items():
            pool = [el for el, n in counts[key].items() for _ in range(n)]
            pool += [""] * (len(idx) - len(pool))
            labels[idx] = rng.permutation(np.array(pool, dtype=object))
        charges = np.array([oxidation_states[el] if el else 0.0 for el in labels], float)
        starts.append(float(charges @ unit @ charges))
        charges, e = anneal_charges(unit, charges, index_groups, sweeps=sweeps, rng=rng)
        for key, idx in groups.items():
            idx = np.array(idx)
            for q in np.unique(charges[idx]):
                sites = idx[charges[idx] == q]
                pool = [el for el, n in counts[key].items() for _ in range(n)
                        if oxidation_states[el] == q] or [""] * len(sites)
                labels[sites] = rng.permutation(np.array(pool, dtype=object))
        species.append([str(s) for s in labels])
        energies.append(e)
    total = {}
    for c in counts.values():
        for el, n in c.items():
            total[el] = total.get(el, 0) + n
    return OccupancyConfigurations(
        formula=" ".join(f"{el}{n}" for el, n in sorted(total.items())), supercell=supercell,
        species=species, ewald_eV=np.array(energies), random_ewald_eV=np.array(starts),
        provenance=provenance(oxidation_states=oxidation_states, supercell=supercell,
                              sweeps=sweeps, n_configurations=n_configurations,
                              balance_species=balance_species))


def occupancy_structure(structure, result: OccupancyConfigurations, index: int = 0):
    """The ordered pymatgen Structure of configuration ``index`` (vacancies removed).

    Every site keeps the CIF label of its refined parent site (so that, e.g., a substitution
    can still be confined to one Wyckoff site with ``host_labels``).
    """
    big = structure * result.supercell
    n_cells = len(big) // len(structure)
    labels = result.species[index]
    for i, el in enumerate(labels):
        if el:
            big.replace(i, el, label=structure[i // n_cells].label)
    big.remove_sites([i for i, el in enumerate(labels) if not el])
    return big

def configuration_structure(structure, result: VacancyConfigurations, index: int = 0):
    """The pymatgen Structure of configuration ``index`` (vacant sites removed)."""
    big = structure * result.supercell
    big.remove_sites([i for i, k in enumerate(result.keep[index]) if not k])
    return big


def minimum_image_distances(points_A, cell_A, centers_A) -> np.ndarray:
    """Distance (A) from each point to the nearest of ``centers_A`` (one or several), minimum image.

    Exact for distances under half the smallest cell width (the image is found by rounding
    fractional differences).

    Examples
    --------
    >>> cell = np.eye(3) * 10.0
    >>> minimum_image_distances([[1.0, 0, 0], [9.0, 0, 0]], cell, [0.5, 0, 0]).round(3).tolist()
    [0.5, 1.5]
    """
    points = np.atleast_2d(np.asarray(points_A, float))
    centers = np.atleast_2d(np.asarray(centers_A, float))
    cell = np.asarray(cell_A, float)
    frac = (points[:, None, :] - centers[None]) @ np.linalg.inv(cell)
    frac -= np.round(frac)
    return np.linalg.norm(frac @ cell, axis=2).min(axis=1)


def void_model(atoms, relative_density: float, *, oxidation_states: dict[str, float],
               balance_species: str = "Li", center_A=None):
    """A reduced-density model: one void carved out of ``atoms`` (ASE) at the cell centre.

    The atoms removed are, species by species, the ones nearest the void centre (minimum image),
    in numbers set by the module's rule: each species loses the fraction
    1 - ``relative_density`` of its atoms, rounded, and ``balance_species`` absorbs the
    remainder so the model stays neutral (seed 000 removes whole LiCl6/InCl6 units for its
    66/78/90 % models). Returns a new Atoms; the input is not modified. (No doctest: it needs
    ASE; see tests/atomistic/test_vacancy_ordering.py.)
    """
    if not 0 < relative_density <= 1:
        raise InputError(f"relative_density: expected 0 < f <= 1, found {relative_density}")
    symbols = np.array(atoms.get_chemical_symbols())
    n_sites = {el: int(np.sum(symbols == el)) for el in dict.fromkeys(symbols)}
    missing = set(n_sites) - set(oxidation_states)
    if missing:
        raise InputError(f"oxidation_states: missing {sorted(missing)}")
    fraction = {el: 1.0 - relative_density for el in n_sites}
    counts = vacancy_counts(n_sites, fraction, oxidation_states, balance_species=balance_species)
    cell = atoms.cell.array
    center = (np.asarray(center_A, float) if center_A is not None
              else cell.sum(axis=0) / 2.0)
    dist = minimum_image_distances(atoms.positions, cell, center)
    remove = []
    for el, n in counts.items():
        idx = np.flatnonzero(symbols == el)
        remove += idx[np.argsort(dist[idx], kind="stable")[:n]].tolist()
    out = atoms.copy()
    del out[sorted(remove)]
    return out
