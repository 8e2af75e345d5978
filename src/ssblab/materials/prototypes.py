"""Idealised frameworks built from close-packing geometry, for when no refinement is bundled.

A refinement gives coordinates; a *framework* only needs to say which sites each species may
occupy. Layered chlorides such as Li3InCl6 (C2/m) are ordered rock salts: a cubic close-packed
Cl sublattice whose octahedral holes are filled layer by layer along the cubic [111]. The
functions here build that geometry exactly (ideal close packing, no refined displacements), put
each species on the sites a refinement assigns to it, and scale the cell to a refined volume.
The positions relax in the first picoseconds of MD; what matters for vacancy ordering and
transport is the site topology and the density, and both are stated.

Builders: :func:`layered_rocksalt_framework` (Li3InCl6-type C2/m, ccp anions),
:func:`hcp_li3mcl6_framework` (Li3YCl6-type P-3m1, hcp anions) and :func:`argyrodite_framework`
(Li6PS5X, F-43m); :func:`ordered_configuration` places partial occupancies (lowest Ewald
energy); :func:`ssblab.atomistic.potentials.relax_positions` relaxes chosen species only.
Assumptions and sources of each
are in docs/atomistic.md ("Idealised frameworks").

The construction of :func:`layered_rocksalt_framework`, with t1, t2 the in-plane vectors of
one close-packed layer (length a_c / sqrt(2)) and L = a_c / sqrt(3) the spacing of anion layers:

* cell: A1 = t1 + t2, A2 = 2 t2 - t1 (the sqrt(3) x sqrt(3) R30 in-plane cell, three sites per
  layer) and A3 = 2 L z + 2 s with s = (t1 + t2) / 3, the shift of each close-packed layer (two
  anion and two cation layers per cell, stacked A c B a as in rock salt);
* in-plane sublattice of a site: (u1 - u2) mod 3 with (u1, u2) its coordinates on t1, t2;
* the "M layer" (z = L/2) holds the honeycomb (sublattices 1 and 2; Wyckoff 4g of C2/m) for the
  trivalent cation, its centres (sublattice 0; 2a) are left empty; the "Li layer" (z = 3L/2)
  holds Li on all three sublattices (2d + 4h). Per conventional C2/m cell: 6 Li, 4 M and
  12 Cl sites (Cl on 4i + 8j), the site counts of seed 000's refinement of Li3InCl6.
"""

from __future__ import annotations

import math

import numpy as np

from ssblab import reference as ref
from ssblab.errors import InputError, require_package


def layered_rocksalt_framework(*, metal: str = "In", anion: str = "Cl", cation: str = "Li",
                               cell_volume_A3: float = ref.LIC_PRISTINE_VOLUME_A3.value,
                               primitive: bool = True):
    """Ideal C2/m framework of a layered Li3MX6 (site topology of seed 000's Li3InCl6).

    ``cell_volume_A3`` is the volume of one conventional C2/m cell (2 formula units, 12 anion
    sites; default: seed 000's pristine refinement, ``ssblab.reference.LIC_PRISTINE_VOLUME_A3``).
    Returns a pymatgen
    Structure with every framework site fully occupied (6 Li, 4 M, 12 X per conventional cell;
    the primitive cell, half of it, with ``primitive=True``). Vacancies are then placed with
    :func:`ssblab.materials.defects.order_vacancies`. (No doctest: it needs pymatgen; see
    tests/atomistic/test_prototypes.py.)
    """
    require_package("pymatgen", extra="atomistic", purpose="building frameworks")
    from pymatgen.core import Lattice, Structure

    if not (math.isfinite(cell_volume_A3) and cell_volume_A3 > 0):
        raise InputError(f"cell_volume_A3: expected a positive volume, found {cell_volume_A3}")
    a_c = (cell_volume_A3 / 12 * 4) ** (1 / 3)  # rock-salt cube holding 4 anions
    d = a_c / math.sqrt(2)
    spacing = a_c / math.sqrt(3)
    t1 = np.array([d, 0.0, 0.0])
    t2 = np.array([d / 2, d * math.sqrt(3) / 2, 0.0])
    shift = (t1 + t2) / 3
    cell = np.array([t1 + t2, 2 * t2 - t1, 2 * shift + [0.0, 0.0, 2 * spacing]])
    # (stacking index in units of s, height in units of L, species per sublattice 0/1/2)
    layers = ((0, 0.0, (anion,) * 3), (2, 0.5, (None, metal, metal)),
              (1, 1.0, (anion,) * 3), (0, 1.5, (cation,) * 3))
    species, coords = [], []
    for k, height, occupants in layers:
        for n1, occupant in enumerate(occupants):  # (n1, 0) is on sublattice n1
            if occupant is None:
                continue
            cart = n1 * t1 + k * shift + [0.0, 0.0, height * spacing]
            species.append(occupant)
            coords.append(cart)
    structure = _symmetrised(Structure(Lattice(cell), species, coords, coords_are_cartesian=True))
    if primitive:
        structure = structure.get_primitive_structure()
    return structure


def _symmetrised(structure, *, symprec: float = 1e-3):
    """The conventional standard cell of ``structure`` (spglib via pymatgen, quietly)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from ssblab.materials.structures import quiet_spglib

    with quiet_spglib():
        return SpacegroupAnalyzer(structure, symprec=symprec).get_conventional_standard_structure()


def hcp_li3mcl6_framework(*, metal: str = "Y", anion: str = "Cl", cation: str = "Li",
                          a_A: float = 11.177, c_A: float = 6.036):
    """Ideal trigonal (P-3m1) framework of Li3MCl6 (M = Y, Er, ...) on hexagonal close packing.

    The anions form an ideal hcp sublattice: a 3 x 3 x 1 supercell of the two-layer hcp cell
    (a0 = a/3, anions at (1/3, 2/3, 1/4) and (2/3, 1/3, 3/4) of the small cell), 18 anions per
    cell, Z = 3. Its 18 octahedral holes lie in two layers, z = 0 and z = 1/2 (holes of the small
    cell at (0, 0, 0) and (0, 0, 1/2)). Assumed occupation (see docs/atomistic.md):

    * ``metal`` on 1a (0, 0, 0) and on 2d (1/3, 2/3, 1/2), (2/3, 1/3, 1/2): 3 sites;
    * ``cation`` on all of 6g (x = 1/3, z = 0) and 6h (x = 1/3, z = 1/2): 12 sites for the 9 Li
      of Li9M3Cl18 (25 % of them vacant; place the vacancies with :func:`ordered_configuration`);
    * the 2d holes of the z = 0 layer and 1b (0, 0, 1/2) stay empty.

    Defaults: a, c of the isotypic Li3ErCl6 (Bohnsack et al., Z. Anorg. Allg. Chem. 623, 1067
    (1997), abstract: P-3m1, Z = 3, a = 1117.7(2), c = 603.6(2) pm; Li3YCl6 is stated isotypic).
    Returns a pymatgen Structure, Li12M3Cl18, every site exact (no refined displacements); the
    6g Li are those at z = 0, the 6h Li those at z = 1/2 (no site properties are attached:
    pymatgen warns when ``replace`` drops them). (No doctest: it needs pymatgen; see
    tests/atomistic/test_prototypes.py.)
    """
    require_package("pymatgen", extra="atomistic", purpose="building frameworks")
    from pymatgen.core import Lattice, Structure

    for name, value in (("a_A", a_A), ("c_A", c_A)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{name}: expected a positive length in A, found {value}")
    species, coords = [], []
    for i in range(3):
        for j in range(3):
            species += [anion, anion]
            coords += [[(i + 1 / 3) / 3, (j + 2 / 3) / 3, 0.25],
                       [(i + 2 / 3) / 3, (j + 1 / 3) / 3, 0.75]]
            for z in (0.0, 0.5):
                # holes (0, 0) and (1/3, 2/3), (2/3, 1/3) are 1a/1b and 2d; the other six 6g/6h
                if (i, j) not in ((0, 0), (1, 2), (2, 1)):
                    occupant = cation
                elif i == j == 0:
                    occupant = metal if z == 0.0 else None
                else:
                    occupant = metal if z == 0.5 else None
                if occupant is not None:
                    species.append(occupant)
                    coords.append([i / 3, j / 3, z])
    return Structure(Lattice.hexagonal(a_A, c_A), species, coords)


def argyrodite_framework(*, a_A: float, halide: str = "Cl", p_s_bond_A: float = 2.045,
                         li_xz: tuple[float, float] | None = None, include_li: bool = True):
    """Ideal cubic (F-43m) argyrodite Li6PS5X framework, ordered anions, Li on all of 48h.

    * P on 4b (1/2, 1/2, 1/2); the four PS4 sulphurs on 16e (x, x, x) with
      x = 1/2 + d / (a sqrt 3), d = ``p_s_bond_A`` (default 2.045 A, the middle of the
      202-207 pm P-S range of [PS4]3- tetrahedra in Lange & Schleid, Z. Naturforsch. B 76,
      2021, doi:10.1515/znb-2021-0023). The other sign, x = 1/2 - d / (a sqrt 3), would point
      each PS4 corner at a 4c sulphide only a sqrt(3)/4 - d away (about 2.2 A): impossible;
    * the free S2- on 4c (1/4, 1/4, 1/4) and the halide on 4a (0, 0, 0): the ordered ideal
      (real Li6PS5Cl has partial Cl/S exchange between 4a and 4c);
    * Li on all 48 sites of 48h (x, x, z) (``include_li``); Li6PS5X fills half of them, so the
      vacancies are ordered with :func:`ordered_configuration` (Li 50 % vacant). ``li_xz`` is
      (x, z); by default the 48h point farthest from every P, S and X atom (the centre of the
      largest hole on the 48h mirror planes, found on a 0.005 grid), a geometric starting guess
      for :func:`ssblab.atomistic.potentials.relax_positions`.

    ``a_A`` must be given (no refined lattice parameter could be read offline; see
    docs/atomistic.md). Returns a pymatgen Structure (conventional cell, 4 formula units).
    """
    require_package("pymatgen", extra="atomistic", purpose="building frameworks")
    from pymatgen.core import Lattice, Structure

    if not (math.isfinite(a_A) and a_A > 0):
        raise InputError(f"a_A: expected a positive cubic lattice parameter in A, found {a_A}")
    if not (math.isfinite(p_s_bond_A) and 0 < p_s_bond_A < a_A * math.sqrt(3) / 8):
        raise InputError(f"p_s_bond_A: expected a P-S distance below a*sqrt(3)/8 = "
                         f"{a_A * math.sqrt(3) / 8:.3f} A, found {p_s_bond_A}")
    x_s = 0.5 + p_s_bond_A / (a_A * math.sqrt(3))
    lattice = Lattice.cubic(a_A)
    species = ["P", "S", "S", halide]
    coords = [[0.5, 0.5, 0.5], [x_s] * 3, [0.25] * 3, [0.0] * 3]
    framework = Structure.from_spacegroup(216, lattice, species, coords)
    if not include_li:
        return framework
    if li_xz is None:
        li_xz = _largest_hole_48h(framework)
    x, z = (float(v) for v in li_xz)
    return Structure.from_spacegroup(216, lattice, species + ["Li"], coords + [[x, x, z]])


def _largest_hole_48h(framework, step: float = 0.005) -> tuple[float, float]:
    """(x, z) of the 48h point (x, x, z) farthest from every framework atom."""
    grid = np.arange(0.0, 0.5 + step / 2, step)
    xs, zs = np.meshgrid(grid, np.arange(0.0, 1.0, step), indexing="ij")
    pts = np.stack([xs.ravel(), xs.ravel(), zs.ravel()], axis=1)
    diff = pts[:, None, :] - framework.frac_coords[None, :, :]
    diff -= np.round(diff)
    dist = np.linalg.norm(diff @ framework.lattice.matrix, axis=2).min(axis=1)
    # points on higher-symmetry sub-orbits (x = z, x = 0, ...) would give fewer than 48 sites
    generic = (np.abs(pts[:, 0] - pts[:, 2]) > 2 * step) & (pts[:, 0] > 2 * step) & (
        np.abs(pts[:, 0] - 0.25) > 2 * step) & (np.abs(pts[:, 2] - 0.5) > 2 * step) & (
        pts[:, 2] > 2 * step)
    best = np.flatnonzero(generic)[np.argmax(dist[generic])]
    return float(pts[best, 0]), float(pts[best, 2])


def ordered_configuration(framework, fractions: dict[str, float], *,
                          oxidation_states: dict[str, float], supercell=(1, 1, 1),
                          n_configurations: int = 1, rng=0):
    """The lowest-Ewald vacancy ordering of a framework: ``(Structure, VacancyConfigurations)``.

    A thin wrapper of :func:`ssblab.materials.defects.order_vacancies` that returns the
    configuration with the lowest Ewald energy among ``n_configurations`` seeds, e.g.
    ``ordered_configuration(hcp_li3mcl6_framework(), {"Li": 0.25},
    oxidation_states={"Li": 1, "Y": 3, "Cl": -1})`` gives Li9Y3Cl18.
    """
    from ssblab.materials.defects import configuration_structure, order_vacancies

    result = order_vacancies(framework, fractions, oxidation_states=oxidation_states,
                             supercell=supercell, n_configurations=n_configurations, rng=rng)
    best = int(np.argmin(result.ewald_eV))
    return configuration_structure(framework, result, best), result
