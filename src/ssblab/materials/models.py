"""Structural models of seeds 000 and 001: tilt grain boundaries, reduced-density cells, interfaces.

Every builder takes a pymatgen ``Structure`` or an ASE ``Atoms``, returns the model of the same
kind (the input is never modified) and a :class:`~ssblab.results.Result` describing it.

Neutrality rule (shared with :mod:`ssblab.materials.defects`): the model is first built
geometrically (overlapping grain-boundary atoms removed, whole cation-centred units removed);
then the *balance species* absorbs the charge left over, as in
:func:`~ssblab.materials.defects.vacancy_counts`: when the remainder is positive, atoms of the
cation balance species (Li) are removed; when it is negative, atoms of the anion balance species
(Cl); the count is the remainder divided by that species' charge and must be whole. Which atoms
go: the least coordinated first (fewest counter-ions within the bond cutoff), ties broken by
nearness to the defect (grain-boundary plane or void centre), skipping any whose removal would
leave a neighbour with no counter-ion within the bond cutoff; if too few qualify, an InputError
says so. The net charge of every model is exactly zero.

Grain boundaries come from pymatgen's coincidence-site-lattice generator
(``pymatgen.core.interface.GrainBoundaryGenerator``; :func:`tilt_grain_boundary`) or, for the
lattices it refuses (monoclinic Li3InCl6), from a grain and its mirror image
(:func:`mirror_grain_boundary`); interfaces from pymatgen's Zur-McGill lattice matching
(``pymatgen.analysis.interfaces.CoherentInterfaceBuilder``; :func:`interface_model`). All need
pymatgen (``atomistic`` extra) and have no doctests; tests/atomistic/test_models.py checks
them against the CSL formula, textbook tilt angles, mirror symmetry, neutrality and strain.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings

import numpy as np

from ssblab.errors import InputError, require_package
from ssblab.materials.defects import minimum_image_distances, vacancy_counts
from ssblab.results import Result, provenance

# ---------------------------------------------------------------- shared pieces

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


@dataclasses.dataclass(frozen=True, kw_only=True)
class GrainBoundaryResult(ProfileResult):
    """A symmetric tilt grain-boundary bicrystal: geometry, composition and density profiles."""

    sigma: int = 0
    rotation_axis: tuple = ()
    plane: tuple = ()
    rotation_angle_deg: float = math.nan
    mirror_symmetric: bool = False
    n_atoms: int = 0
    formula: str = ""
    removed: dict = dataclasses.field(default_factory=dict)
    gb_area_A2: float = math.nan
    gb_separation_A: float = math.nan
    gb_positions_A: tuple = ()
    min_distance_A: float = math.nan
    net_charge_e: float = math.nan

    title = "Tilt grain boundary"

    def summary(self):
        axis, plane = "".join(map(str, self.rotation_axis)), "".join(map(str, self.plane))
        name = f"Sigma{self.sigma} [{axis}]({plane})" if self.sigma else f"mirror ({plane})"
        return [("boundary", name),
                ("rotation angle (deg)", self.rotation_angle_deg),
                ("grains mirror related (before overlap removal)", self.mirror_symmetric),
                ("atoms", self.n_atoms), ("composition", self.formula),
                ("removed (overlap + neutrality)",
                 ", ".join(f"{k}: {v}" for k, v in self.removed.items()) or "none"),
                ("GB area (A^2)", self.gb_area_A2), ("GB separation (A)", self.gb_separation_A),
                ("min interatomic distance (A)", self.min_distance_A),
                ("net charge (e)", self.net_charge_e)]

    def _draw(self, ax, **kwargs):
        _draw_profiles(ax, self.z_A, self.species, self.density_per_A3, self.gb_positions_A)


def _mirror_symmetric(structure, *, tol_A: float = 0.3) -> bool:
    """True if reflecting through a plane normal to c (plus some translation) maps the structure
    onto itself with every atom on an atom of its species (a and b must be normal to c)."""
    lat = structure.lattice.matrix
    c_hat = lat[2] / np.linalg.norm(lat[2])
    if abs(lat[0] @ c_hat) > 1e-6 or abs(lat[1] @ c_hat) > 1e-6:
        return False
    frac = structure.frac_coords % 1.0
    mirrored = frac * np.array([1.0, 1.0, -1.0])
    symbols = _symbols(structure)
    same = symbols[:, None] == symbols[None]

    def misfit(shifts, idx):
        """Largest distance (A) from a shifted mirrored atom to its nearest like atom."""
        d = mirrored[idx][None, :, None, :] + shifts[:, None, None, :] - frac[None, None]
        d -= np.round(d)
        dist = np.linalg.norm(d @ lat, axis=3)
        dist[:, ~same[idx]] = np.inf
        return dist.min(axis=2).max(axis=1)

    # every translation that takes mirrored atom 0 onto a like atom, screened on a few atoms
    shifts = frac[symbols == symbols[0]] - mirrored[0]
    probe = np.linspace(0, len(frac) - 1, min(len(frac), 8)).astype(int)
    for start in range(0, len(shifts), 64):
        block = shifts[start:start + 64]
        for t in block[misfit(block, probe) < tol_A]:
            if misfit(t[None], np.arange(len(frac)))[0] < tol_A:
                return True
    return False


def tilt_grain_boundary(structure, *, sigma: int, rotation_axis, plane,
                        rotation_angle_deg: float | None = None, expand_times: int = 2,
                        gap_A: float = 0.0, ab_shift=(0.0, 0.0),
                        min_distance_A: float | None = None,
                        oxidation_states: dict | None = None, balance_species=("Li", "Cl"),
                        profile_width_A: float = 0.2, symprec: float = 0.1):
    """Symmetric tilt grain-boundary bicrystal, charge neutral, from pymatgen's CSL generator.

    Parameters
    ----------
    structure : pymatgen Structure or ASE Atoms
        The bulk crystal (cubic, tetragonal, orthorhombic, hexagonal or rhombohedral lattice:
        pymatgen's generator refuses monoclinic and triclinic ones).
    sigma, rotation_axis, plane
        Sigma of the coincidence-site lattice, tilt axis [uvw] and boundary plane (hkl); the axis
        must lie in the plane (a tilt boundary).
    rotation_angle_deg
        Misorientation; by default each angle pymatgen lists for ``sigma`` about the axis is
        tried and the first whose bicrystal is mirror symmetric through the boundary is kept.
    expand_times
        Thickness of each grain in repeats of the CSL cell (pymatgen's ``expand_times``).
    gap_A, ab_shift
        Extra space between the grains and in-plane rigid shift of one grain (fractions of a, b).
    min_distance_A
        Atoms closer than this across the boundary are removed (the second of each pair);
        default 0.7 x the shortest distance in the bulk (pymatgen's ``rm_ratio``).
    oxidation_states, balance_species
        Formal charges (guessed by pymatgen when omitted) and the (cation, anion) that absorb
        the charge left by the overlap removal (module rule).
    profile_width_A
        Gaussian width of each atom in the density profiles along the boundary normal.

    Returns
    -------
    (model, GrainBoundaryResult)
        The bicrystal (same kind as ``structure``; the c axis is normal to the boundaries, which
        sit where the grains meet, twice per cell) and its description.
    """
    bulk, kind = _as_pymatgen(structure)
    from pymatgen.core.interface import GrainBoundaryGenerator

    charges = _charges(bulk, oxidation_states)
    try:
        with _quiet_pymatgen():
            gen = GrainBoundaryGenerator(bulk, symprec=symprec)
    except ValueError as exc:
        raise InputError(f"structure: pymatgen's grain-boundary generator refuses it ({exc}); "
                         "use a (pseudo)cubic or other supported setting") from exc
    axis = tuple(int(v) for v in rotation_axis)
    plane = tuple(int(v) for v in plane)
    lattice = gen.initial_structure.lattice
    axis_cart = np.array(axis) @ lattice.matrix
    normal_cart = np.array(plane) @ lattice.reciprocal_lattice.matrix
    scale = np.linalg.norm(axis_cart) * np.linalg.norm(normal_cart)
    if abs(axis_cart @ normal_cart) > 1e-6 * scale:
        raise InputError(f"rotation_axis {list(axis)} does not lie in plane {list(plane)}: "
                         "a tilt boundary needs axis . plane-normal = 0")
    ratio = None if gen.lat_type == "c" else gen.get_ratio()
    with _quiet_pymatgen():
        if rotation_angle_deg is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    angles = GrainBoundaryGenerator.get_rotation_angle_from_sigma(
                        int(sigma), list(axis), lat_type=gen.lat_type.upper(), ratio=ratio)
                except RuntimeError:
                    angles = []
            impossible = [str(w.message) for w in caught if "not possible" in str(w.message)]
            if impossible or not angles:
                raise InputError(f"sigma: no Sigma{sigma} boundary about "
                                 f"[{''.join(map(str, axis))}] in this lattice"
                                 + (f" ({impossible[0]})" if impossible else ""))
        else:
            angles = [float(rotation_angle_deg)]
        chosen = None
        for angle in angles:
            try:
                # choose the angle on the gap-free boundary: a gap breaks the mirror test
                gb = gen.gb_from_parameters(list(axis), angle, expand_times=int(expand_times),
                                            vacuum_thickness=0.0, ab_shift=list(ab_shift),
                                            normal=True, ratio=ratio, plane=list(plane),
                                            rm_ratio=0.0)
            except (ValueError, RuntimeError) as exc:
                raise InputError(f"pymatgen could not build Sigma{sigma} {axis} {plane}: "
                                 f"{exc}") from exc
            if gb.sigma != int(sigma):
                continue
            mirror = _mirror_symmetric(gb)
            if mirror or rotation_angle_deg is not None:
                chosen = (gb, angle, mirror)
                break
        if chosen is None:
            raise InputError(f"no rotation angle of Sigma{sigma} about {list(axis)} makes "
                             f"({''.join(map(str, plane))}) a symmetric tilt boundary "
                             f"(tried {[round(a, 3) for a in angles]} deg)")
    gb, angle, mirror = chosen
    if gap_A:
        with _quiet_pymatgen():
            gb = gen.gb_from_parameters(list(axis), angle, expand_times=int(expand_times),
                                        vacuum_thickness=float(gap_A), ab_shift=list(ab_shift),
                                        normal=True, ratio=ratio, plane=list(plane), rm_ratio=0.0)
    labels = np.array([str(site.properties.get("grain_label", "")) for site in gb])
    model = gb.copy()
    if "grain_label" in model.site_properties:
        model.remove_site_property("grain_label")
    height = float(model.lattice.volume / np.linalg.norm(np.cross(*model.lattice.matrix[:2])))
    z = (model.frac_coords[:, 2] % 1.0) * height
    top = np.char.startswith(labels, "top")
    gb_z = (0.5 * (z[~top].max() + z[top].min()),
            (0.5 * (z[top].max() + z[~top].min() + height)) % height)
    model, fields = _finish_boundary(model, bulk, gb_z, charges, min_distance_A=min_distance_A,
                                     balance_species=balance_species,
                                     profile_width_A=profile_width_A)
    result = GrainBoundaryResult(
        sigma=int(gb.sigma), rotation_axis=axis, plane=plane, rotation_angle_deg=float(angle),
        mirror_symmetric=bool(mirror), **fields,
        provenance=provenance(sigma=sigma, rotation_axis=axis, plane=plane,
                              expand_times=expand_times, gap_A=gap_A, ab_shift=tuple(ab_shift),
                              min_distance_A=min_distance_A, oxidation_states=charges,
                              balance_species=tuple(balance_species)))
    return _like_input(model, kind), result


def _finish_boundary(model, bulk, gb_z, charges, *, min_distance_A, balance_species,
                     profile_width_A):
    """Overlap removal and the neutrality rule on a bicrystal; the result fields they give."""
    symbols = _symbols(model)
    height = float(model.lattice.volume / np.linalg.norm(np.cross(*model.lattice.matrix[:2])))
    z = (model.frac_coords[:, 2] % 1.0) * height
    dz = np.abs(z[:, None] - np.array(gb_z)[None])
    to_plane = np.minimum(dz, height - dz).min(axis=1)
    cutoff = (0.7 * _shortest_distances(bulk)[0] if min_distance_A is None
              else float(min_distance_A))
    keep = np.ones(len(model), bool)
    i, j, _, _ = model.get_neighbor_list(cutoff)
    for a, b in sorted(zip(i.tolist(), j.tolist())):
        if a < b and keep[a] and keep[b]:
            keep[b] = False
    adjacency = _bond_graph(model, charges, _default_bond_cutoff(bulk, charges))
    keep = _restore_neutrality(model, keep, charges, balance_species=balance_species,
                               priority=to_plane, adjacency=adjacency)
    removed = {el: int(np.sum(~keep & (symbols == el)))
               for el in dict.fromkeys(symbols.tolist())}
    model = model.copy()
    model.remove_sites(np.flatnonzero(~keep).tolist())
    z_A, species, profiles, area = _density_profiles(model, width_A=profile_width_A)
    sep = abs(gb_z[1] - gb_z[0])
    return model, {
        "n_atoms": len(model), "formula": model.composition.formula,
        "removed": {k: v for k, v in removed.items() if v}, "gb_area_A2": area,
        "gb_separation_A": float(min(sep, height - sep)),
        "gb_positions_A": tuple(map(float, gb_z)), "min_distance_A": _min_distance_A(model),
        "net_charge_e": _net_charge(_symbols(model), charges),
        "z_A": z_A, "species": species, "density_per_A3": profiles}


def mirror_grain_boundary(structure, *, plane, expand_times: int = 2, gap_A: float = 0.0,
                          min_distance_A: float | None = None,
                          oxidation_states: dict | None = None, balance_species=("Li", "Cl"),
                          profile_width_A: float = 0.2):
    """Mirror (symmetric) grain boundary on ``plane`` for any lattice, monoclinic included.

    Grain 1 is ``expand_times`` repeats of the (hkl)-oriented unit cell (pymatgen's
    ``SlabGenerator``), set in a frame where the cell vectors a and b lie in the boundary plane;
    grain 2 is its mirror image through that plane. A mirror keeps a and b, so the grains share
    the in-plane lattice exactly and the bicrystal is periodic with c normal to the boundaries
    (two per cell). The mirror planes go through an atomic plane (shared by both grains) or
    midway between two neighbouring planes: of these positions, the one that leaves the fewest
    atom pairs closer than ``min_distance_A`` is built; ``gap_A`` moves the grains apart. In a
    cubic crystal this is a symmetric tilt boundary like those of :func:`tilt_grain_boundary`
    (on (111) of rock salt: the Sigma3 coherent twin; on (310) a Sigma5 boundary, possibly in
    another rigid-body translation than pymatgen's); for the monoclinic Li3InCl6 (C2/m), which
    pymatgen's CSL generator refuses, it is the route to seed 000's grain-boundary models.
    Overlaps and neutrality as in
    :func:`tilt_grain_boundary`.

    Returns
    -------
    (model, GrainBoundaryResult)
        ``sigma`` is 0 there (not computed); ``mirror_symmetric`` is True by construction.
    """
    bulk, kind = _as_pymatgen(structure)
    from pymatgen.core import Lattice, Structure
    from pymatgen.core.surface import SlabGenerator

    charges = _charges(bulk, oxidation_states)
    plane = tuple(int(v) for v in plane)
    if plane == (0, 0, 0) or len(plane) != 3:
        raise InputError(f"plane: expected three Miller indices, not all zero; found {plane}")
    if int(expand_times) < 1:
        raise InputError(f"expand_times: expected at least 1, found {expand_times}")
    with _quiet_pymatgen():
        oriented = SlabGenerator(bulk, plane, min_slab_size=1, min_vacuum_size=0,
                                 lll_reduce=False).oriented_unit_cell
    normal = np.array(plane) @ bulk.lattice.reciprocal_lattice.matrix
    if np.abs(oriented.lattice.matrix[:2] @ normal).max() > 1e-6 * np.linalg.norm(normal):
        raise InputError(f"plane {plane}: pymatgen's oriented cell is not aligned with it")
    # rotate to a along x, b in the xy plane, so the boundary plane is z = const
    m = oriented.lattice.matrix
    e1 = m[0] / np.linalg.norm(m[0])
    e3 = np.cross(m[0], m[1]) / np.linalg.norm(np.cross(m[0], m[1]))
    frame = np.array([e1, np.cross(e3, e1), e3])
    grain = Structure(Lattice(m @ frame.T), oriented.species, oriented.frac_coords % 1.0)
    n = int(expand_times)
    period = float(grain.lattice.matrix[2, 2])
    stack = grain * (1, 1, n + 3)
    # one period below zero, so atoms a hair under z = 0 (wrapped to the top) are covered
    pos, species = stack.cart_coords - np.array([0.0, 0.0, period]), np.array(stack.species)
    levels = np.unique(np.round(grain.cart_coords[:, 2], 3) % np.round(period, 3))
    shifts = np.concatenate([levels, 0.5 * (levels + np.append(levels[1:], levels[0] + period))])
    cutoff = (0.7 * _shortest_distances(bulk)[0] if min_distance_A is None
              else float(min_distance_A))
    thickness = n * period + float(gap_A)
    matrix = np.array([grain.lattice.matrix[0], grain.lattice.matrix[1], [0, 0, 2 * thickness]])
    best = None
    for shift in shifts:
        # grain 1: the crystal between the two mirror planes, both ends included (an atomic
        # plane on a mirror is shared by the grains: its duplicate is dropped below)
        sel = (pos[:, 2] >= shift - 1e-3) & (pos[:, 2] <= shift + n * period + 1e-3)
        p = pos[sel] - np.array([0.0, 0.0, shift - 0.5 * float(gap_A)])
        q = p * np.array([1.0, 1.0, -1.0]) + np.array([0.0, 0.0, 2 * thickness])
        candidate = Structure(Lattice(matrix), list(species[sel]) * 2, np.vstack([p, q]),
                              coords_are_cartesian=True)
        candidate.merge_sites(tol=1e-3, mode="delete")
        close = candidate.get_neighbor_list(cutoff)[0].size
        if best is None or close < best[0]:
            best = (close, candidate)
    model = best[1]
    model, fields = _finish_boundary(model, bulk, (0.0, thickness), charges,
                                     min_distance_A=min_distance_A,
                                     balance_species=balance_species,
                                     profile_width_A=profile_width_A)
    result = GrainBoundaryResult(
        sigma=0, rotation_axis=(), plane=plane, rotation_angle_deg=math.nan,
        mirror_symmetric=True, **fields,
        provenance=provenance(plane=plane, expand_times=expand_times, gap_A=gap_A,
                              min_distance_A=min_distance_A, oxidation_states=charges,
                              balance_species=tuple(balance_species)))
    return _like_input(model, kind), result


# ---------------------------------------------------------------- reduced density

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
