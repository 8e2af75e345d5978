"""Idealised frameworks built from close-packing geometry, for when no refinement is bundled.

A refinement gives coordinates; a *framework* only needs to say which sites each species may
occupy. Layered chlorides such as Li3InCl6 (C2/m) are ordered rock salts: a cubic close-packed
Cl sublattice whose octahedral holes are filled layer by layer along the cubic [111]. The
functions here build that geometry exactly (ideal close packing, no refined displacements), put
each species on the sites a refinement assigns to it, and scale the cell to a refined volume.
The positions relax in the first picoseconds of MD; what matters for vacancy ordering and
transport is the site topology and the density, and both are stated.

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
import warnings

import numpy as np

from ssblab.errors import InputError, require_package


def layered_rocksalt_framework(*, metal: str = "In", anion: str = "Cl", cation: str = "Li",
                               cell_volume_A3: float = 425.92, primitive: bool = True):
    """Ideal C2/m framework of a layered Li3MX6 (site topology of seed 000's Li3InCl6).

    ``cell_volume_A3`` is the volume of one conventional C2/m cell (2 formula units, 12 anion
    sites; seed 000: 425.92 A^3 cold-pressed, 429.14 A^3 hot-pressed). Returns a pymatgen
    Structure with every framework site fully occupied (6 Li, 4 M, 12 X per conventional cell;
    the primitive cell, half of it, with ``primitive=True``). Vacancies are then placed with
    :func:`ssblab.materials.defects.order_vacancies`. (No doctest: it needs pymatgen; see
    tests/atomistic/test_prototypes.py.)
    """
    require_package("pymatgen", extra="atomistic", purpose="building frameworks")
    from pymatgen.core import Lattice, Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

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
    structure = Structure(Lattice(cell), species, coords, coords_are_cartesian=True)
    with warnings.catch_warnings():
        # pymatgen drives spglib through spglib's deprecated error interface
        warnings.filterwarnings("ignore", "Set OLD_ERROR_HANDLING", DeprecationWarning)
        structure = SpacegroupAnalyzer(structure,
                                       symprec=1e-3).get_conventional_standard_structure()
    if primitive:
        structure = structure.get_primitive_structure()
    return structure
