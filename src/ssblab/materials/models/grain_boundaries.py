"""Tilt grain boundaries: pymatgen's CSL generator, or a grain and its mirror image for any lattice."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from ssblab.errors import InputError
from ssblab.materials.models._common import (
    ProfileResult,
    _as_pymatgen,
    _bond_graph,
    _charges,
    _default_bond_cutoff,
    _density_profiles,
    _draw_profiles,
    _like_input,
    _min_distance_A,
    _net_charge,
    _quiet_pymatgen,
    _restore_neutrality,
    _shortest_distances,
    _symbols,
)
from ssblab.results import provenance


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
