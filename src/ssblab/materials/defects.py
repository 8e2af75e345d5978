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

import numpy as np

from ssblab.errors import InputError, require_package
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class VacancyConfigurations(Result):
    """Explicit vacancy configurations (as kept-site masks) and their Ewald energies."""

    formula: str = ""
    supercell: tuple[int, int, int] = (1, 1, 1)
    vacancies: dict = dataclasses.field(default_factory=dict)
    keep: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0), bool))
    ewald_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    random_ewald_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    title = "Vacancy-ordered supercells"

    def summary(self):
        return [("composition", self.formula), ("supercell", "x".join(map(str, self.supercell))),
                ("vacancies", ", ".join(f"{k}: {v}" for k, v in self.vacancies.items())),
                ("configurations", len(self.ewald_eV)),
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
    require_package("pymatgen", extra="atomistic", purpose="Ewald energies")
    from pymatgen.analysis.ewald import EwaldSummation

    rng = np.random.default_rng(rng)
    big = structure * tuple(int(s) for s in supercell)
    symbols = np.array([site.specie.symbol for site in big])
    missing = set(symbols) - set(oxidation_states)
    if missing:
        raise InputError(f"oxidation_states: missing {sorted(missing)}")
    n_sites = {el: int(np.sum(symbols == el)) for el in dict.fromkeys(symbols)}
    counts = vacancy_counts(n_sites, fractions, oxidation_states, balance_species=balance_species)
    charged = big.copy()
    charged.add_oxidation_state_by_element(oxidation_states)
    matrix = EwaldSummation(charged).total_energy_matrix
    matrix = 0.5 * (matrix + matrix.T)
    groups = {el: np.flatnonzero(symbols == el) for el in n_sites}

    def energy(keep):
        idx = np.flatnonzero(keep)
        return float(matrix[np.ix_(idx, idx)].sum())

    masks, energies, starts = [], [], []
    for _ in range(int(n_configurations)):
        keep = np.ones(len(big), bool)
        for el, n_vac in counts.items():
            keep[rng.choice(groups[el], n_vac, replace=False)] = False
        e = energy(keep)
        starts.append(e)
        movable = [el for el in counts if 0 < counts[el] < n_sites[el]]
        n_moves = int(sweeps) * max(1, sum(counts[el] for el in movable))
        t0 = max(abs(e) * 1e-3, 0.05)  # eV: a few hundred kelvin of swaps to start with
        for move in range(n_moves if movable else 0):
            el = movable[rng.integers(len(movable))]
            g = groups[el]
            occ = g[keep[g]]
            vac = g[~keep[g]]
            i, j = occ[rng.integers(len(occ))], vac[rng.integers(len(vac))]
            # energy change of moving the atom from site i to site j (pairwise sums)
            kept = keep.copy()
            kept[i] = False
            delta = (2 * matrix[j, kept].sum() + matrix[j, j]) - (2 * matrix[i, kept].sum()
                                                                   + matrix[i, i])
            temp = t0 * (1 - move / n_moves)
            if delta < 0 or (temp > 0 and rng.random() < math.exp(-delta / temp)):
                keep[i], keep[j] = False, True
                e += delta
        masks.append(keep)
        energies.append(energy(keep))
    formula = " ".join(f"{el}{n_sites[el] - counts[el]}" for el in n_sites)
    return VacancyConfigurations(
        formula=formula, supercell=tuple(int(s) for s in supercell), vacancies=counts,
        keep=np.array(masks), ewald_eV=np.array(energies), random_ewald_eV=np.array(starts),
        provenance=provenance(fractions=fractions, oxidation_states=oxidation_states,
                              supercell=supercell, sweeps=sweeps, n_configurations=n_configurations))


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
