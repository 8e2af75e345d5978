"""Shared pieces of the structural models: input kinds, charges, bonds, the neutrality rule
(stated in :mod:`ssblab.materials.models`), density profiles."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings

import numpy as np

from ssblab.errors import InputError, require_package
from ssblab.materials.defects import vacancy_counts
from ssblab.results import Result


def _as_pymatgen(structure):
    """(pymatgen Structure copy, "ase" or "pymatgen") for either input kind."""
    require_package("pymatgen", extra="atomistic", purpose="structural models")
    from pymatgen.core import Structure

    if isinstance(structure, Structure):
        return structure.copy(), "pymatgen"
    if hasattr(structure, "get_chemical_symbols") and hasattr(structure, "cell"):
        from pymatgen.io.ase import AseAtomsAdaptor

        return AseAtomsAdaptor.get_structure(structure), "ase"
    raise InputError(f"structure: expected a pymatgen Structure or ASE Atoms, "
                     f"found {type(structure).__name__}")


@contextlib.contextmanager
def _quiet_pymatgen():
    """Silence pymatgen's site-property notices and spglib's deprecation of its own error API
    (raised on every symmetry call pymatgen makes), nothing else."""
    from ssblab.materials.structures import quiet_spglib

    with warnings.catch_warnings(), quiet_spglib():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pymatgen\..*")
        yield


def _like_input(structure, kind: str):
    if kind == "ase":
        from pymatgen.io.ase import AseAtomsAdaptor

        return AseAtomsAdaptor.get_atoms(structure)
    return structure


def _symbols(structure) -> np.ndarray:
    return np.array([site.specie.symbol for site in structure])


def _charges(structure, oxidation_states: dict | None) -> dict[str, float]:
    """Element -> formal charge: given, or pymatgen's most likely oxidation-state guess."""
    elements = sorted({site.specie.symbol for site in structure})
    if oxidation_states is None:
        guesses = structure.composition.oxi_state_guesses(max_sites=-1)
        if not guesses:
            raise InputError(f"oxidation_states: none given and none could be guessed for "
                             f"{structure.composition.reduced_formula}; pass e.g. "
                             "{'Li': 1, 'In': 3, 'Cl': -1}")
        oxidation_states = guesses[0]
    missing = set(elements) - set(oxidation_states)
    if missing:
        raise InputError(f"oxidation_states: missing {sorted(missing)}")
    return {el: float(oxidation_states[el]) for el in elements}


def _net_charge(symbols: np.ndarray, charges: dict) -> float:
    return float(sum(charges[s] for s in symbols))


def _bond_graph(structure, charges: dict, cutoff_A: float):
    """Sparse cation-anion bond lists within ``cutoff_A`` (both directions)."""
    from scipy.sparse import coo_matrix

    n = len(structure)
    i, j, _, _ = structure.get_neighbor_list(cutoff_A)
    q = np.array([charges[s] for s in _symbols(structure)])
    unlike = q[i] * q[j] < 0
    adj = coo_matrix((np.ones(int(unlike.sum()), bool), (i[unlike], j[unlike])), shape=(n, n))
    return adj.tocsr()


def _shortest_distances(structure, charges: dict | None = None) -> tuple[float, float]:
    """(shortest interatomic distance, shortest cation-anion distance) in A, periodic images
    included."""
    q = None if charges is None else np.array([charges[x] for x in _symbols(structure)])
    r = 4.0
    while r < 64.0:
        i, j, _, d = structure.get_neighbor_list(r)
        ok = d > 1e-8
        unlike = ok if q is None else ok & (q[i] * q[j] < 0)
        if ok.any() and unlike.any():
            return float(d[ok].min()), float(d[unlike].min())
        r *= 2
    raise InputError("structure: no cation-anion pair within 64 A; a neutral ionic structure "
                     "is needed")


def _default_bond_cutoff(structure, charges: dict) -> float:
    """1.25 x the shortest cation-anion distance: the first coordination shell."""
    return 1.25 * _shortest_distances(structure, charges)[1]


def _restore_neutrality(structure, keep: np.ndarray, charges: dict, *, balance_species,
                        priority: np.ndarray, adjacency) -> np.ndarray:
    """Apply the module's neutrality rule to the kept-site mask (a new mask is returned)."""
    keep = keep.copy()
    symbols = _symbols(structure)
    q = np.array([charges[s] for s in symbols])
    cation_balance, anion_balance = balance_species
    for el, sign in ((cation_balance, 1), (anion_balance, -1)):
        if el not in charges or np.sign(charges[el]) != sign:
            kind = "cation" if sign > 0 else "anion"
            raise InputError(f"balance_species: {el!r} must be a {kind} of the structure "
                             f"(charges {charges})")
    net = float(q[keep].sum())
    if abs(net) < 1e-9:
        return keep
    bal = cation_balance if net > 0 else anion_balance
    remaining = {el: int(np.sum(keep & (symbols == el))) for el in charges}
    n_remove = vacancy_counts(remaining, {}, charges, balance_species=bal)[bal]
    coordination = np.asarray(adjacency[:, keep].sum(axis=1)).ravel()
    candidates = np.flatnonzero(keep & (symbols == bal))
    order = candidates[np.lexsort((priority[candidates], coordination[candidates]))]
    chosen = []
    for atom in order:
        if len(chosen) == n_remove:
            break
        neighbours = adjacency[atom].indices
        neighbours = neighbours[keep[neighbours]]
        if np.any(coordination[neighbours] <= 1):
            continue  # its removal would leave a neighbour with no counter-ion
        chosen.append(atom)
        coordination[neighbours] -= 1
    if len(chosen) < n_remove:
        raise InputError(f"neutrality: only {len(chosen)} of the {n_remove} {bal} atoms the "
                         "balance needs can go without isolating a neighbour; use a larger "
                         "cell or another balance_species")
    keep[chosen] = False
    return keep


def _density_profiles(structure, *, width_A: float, species=None):
    """Number density (atoms/A^3) of each species along the normal to the a-b plane.

    Each atom is a periodic Gaussian of standard deviation ``width_A`` (layers a fraction of an
    angstrom apart stay readable, unlike a histogram), sampled every width/4; the profile
    integrates to the atom count over the cell height.
    """
    if not width_A > 0:
        raise InputError(f"profile_width_A: expected a positive width, found {width_A}")
    lattice = structure.lattice
    area = float(np.linalg.norm(np.cross(lattice.matrix[0], lattice.matrix[1])))
    height = float(lattice.volume / area)
    z = (structure.frac_coords[:, 2] % 1.0) * height
    grid = np.linspace(0.0, height, max(8, round(4 * height / width_A)), endpoint=False)
    symbols = _symbols(structure)
    species = tuple(species or dict.fromkeys(symbols.tolist()))
    profiles = np.zeros((len(species), len(grid)))
    for k, el in enumerate(species):
        d = grid[:, None] - z[symbols == el][None]
        d -= height * np.round(d / height)  # nearest periodic image
        profiles[k] = np.exp(-0.5 * (d / width_A) ** 2).sum(axis=1)
    profiles /= area * width_A * math.sqrt(2 * math.pi)
    return grid, species, profiles, area


def _draw_profiles(ax, z_A, species, profiles, marks_A=()):
    for el, prof in zip(species, profiles):
        ax.plot(z_A, prof * 1e3, label=el, lw=1)
    for z in marks_A:
        ax.axvline(z, color="k", ls="--", lw=0.8)
    ax.set_xlabel("distance along the normal (A)")
    ax.set_ylabel("number density (atoms/nm^3)")
    ax.legend(fontsize=8)


def _min_distance_A(structure) -> float:
    return _shortest_distances(structure)[0]


# ---------------------------------------------------------------- grain boundaries

@dataclasses.dataclass(frozen=True, kw_only=True)
class ProfileResult(Result):
    """A model with per-species number-density profiles along its normal (atoms/A^3)."""

    z_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    species: tuple = ()
    density_per_A3: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))

    def _draw(self, ax, **kwargs):
        _draw_profiles(ax, self.z_A, self.species, self.density_per_A3)
