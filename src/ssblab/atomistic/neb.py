"""Climbing-image nudged elastic band (ASE) for ion hops, and the rock-salt LiCl vacancy hop.

:func:`neb_barrier` relaxes the two end points at fixed cell, builds the band (linear, or
piecewise linear through a given intermediate site such as a tetrahedral interstitial),
optimises it with ASE's climbing-image NEB (Henkelman, Uberuaga and Jonsson 2000) and FIRE, and
returns the energy profile and the barrier. :func:`licl_vacancy_hop` sets up seed 002's
oct-tet-oct Li vacancy hop in rock-salt LiCl at a chosen lattice parameter.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal, get_args

import numpy as np

from ssblab.errors import InputError, require_package
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class NEBResult(Result):
    """Energy profile along a converged (or not) climbing-image band."""

    label: str = ""
    barrier_eV: float = math.nan
    reverse_barrier_eV: float = math.nan
    path_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    energies_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    max_force_eV_A: float = math.nan
    iterations: int = 0
    lattice_A: float = math.nan

    title = "NEB barrier"

    @property
    def kra_barrier_eV(self) -> float:
        """Barrier above the mean of the two end energies (kinetically resolved activation
        barrier, Van der Ven et al., Phys. Rev. B 64, 184307 (2001)): the mean of the forward and
        reverse barriers, free of the end-point energy difference."""
        return 0.5 * (self.barrier_eV + self.reverse_barrier_eV)

    def summary(self):
        return [("hop", self.label), ("lattice parameter (A)", self.lattice_A),
                ("barrier (eV)", self.barrier_eV), ("reverse barrier (eV)", self.reverse_barrier_eV),
                ("barrier above the mean end energy, KRA (eV)", self.kra_barrier_eV),
                ("images", len(self.energies_eV)), ("max force on band (eV/A)", self.max_force_eV_A),
                ("optimiser steps", self.iterations)]

    def _draw(self, ax, **kwargs):
        e = self.energies_eV - self.energies_eV[0]
        ax.plot(self.path_A, e, "o-")
        ax.set_xlabel("reaction coordinate (A)")
        ax.set_ylabel("energy relative to the initial state (eV)")
        ax.set_title(f"{self.label}: Ea = {self.barrier_eV:.3f} eV")


def neb_barrier(initial, final, *, calculator: Any, n_images: int = 5, via=None,
                fmax_eV_A: float = 0.05, max_steps: int = 300, relax_endpoints: bool = True,
                label: str = "", lattice_A: float = math.nan, device: str = "cpu") -> NEBResult:
    """Climbing-image NEB between two ASE Atoms with the same atoms in the same order.

    ``via`` (optional) is the Cartesian position (A) of an intermediate site that the moving
    atom is routed through in the starting band (the atom that moves most between the end
    points); the optimised band is free to leave it. ``calculator`` is anything
    :func:`ssblab.atomistic.potentials.get_calculator` accepts; each image gets its own.
    A band that does not reach ``fmax_eV_A`` within ``max_steps`` returns ``ok=False``.
    """
    require_package("ase", extra="atomistic", purpose="NEB")
    from ase.mep import NEB
    from ase.optimize import BFGS, FIRE

    from ssblab.atomistic.potentials import get_calculator

    if len(initial) != len(final) or initial.get_chemical_symbols() != final.get_chemical_symbols():
        raise InputError("NEB end points must hold the same atoms in the same order")
    if int(n_images) < 1:
        raise InputError(f"n_images: expected at least one intermediate image, found {n_images}")

    def calc():
        if isinstance(calculator, str):
            return get_calculator(calculator, device=device)
        return calculator  # a shared object: fine for stateless calculators such as EMT/LJ

    ends = []
    for atoms in (initial, final):
        atoms = atoms.copy()
        atoms.calc = calc()
        if relax_endpoints:
            BFGS(atoms, logfile=None).run(fmax=fmax_eV_A / 2, steps=max_steps)
        ends.append(atoms)
    moving = int(np.argmax(np.linalg.norm(ends[1].positions - ends[0].positions, axis=1)))
    images = [ends[0]] + [ends[0].copy() for _ in range(int(n_images))] + [ends[1]]
    fractions = np.linspace(0, 1, len(images))
    for img, f in zip(images[1:-1], fractions[1:-1]):
        img.positions = (1 - f) * ends[0].positions + f * ends[1].positions
        if via is not None:
            a, b, v = ends[0].positions[moving], ends[1].positions[moving], np.asarray(via, float)
            img.positions[moving] = a + 2 * f * (v - a) if f <= 0.5 else v + (2 * f - 1) * (b - v)
        img.calc = calc()
    neb = NEB(images, climb=True, method="improvedtangent",
              allow_shared_calculator=not isinstance(calculator, str))
    from ssblab.progress import progress

    opt = FIRE(neb, logfile=None)
    converged = False
    # irun yields after every step: a progress bar on a terminal instead of minutes of silence
    for converged in progress(opt.irun(fmax=fmax_eV_A, steps=max_steps), total=max_steps + 1,  # noqa: B007 (the last value is the answer)
                              desc=f"NEB {label}".strip()):
        pass
    converged = bool(converged)
    energies = np.array([im.get_potential_energy() for im in images])
    path = np.concatenate([[0.0], np.cumsum([np.linalg.norm(images[i + 1].positions
                                                            - images[i].positions)
                                             for i in range(len(images) - 1)])])
    fmax = float(np.sqrt((neb.get_forces() ** 2).sum(axis=1).max()))
    return NEBResult(
        ok=converged, reason="" if converged else f"band not converged to {fmax_eV_A} eV/A "
        f"in {max_steps} steps", label=label, lattice_A=lattice_A,
        barrier_eV=float(energies.max() - energies[0]),
        reverse_barrier_eV=float(energies.max() - energies[-1]), path_A=path,
        energies_eV=energies, max_force_eV_A=fmax, iterations=int(opt.nsteps),
        provenance=provenance(n_images=n_images, fmax_eV_A=fmax_eV_A, label=label,
                              calculator=calculator if isinstance(calculator, str)
                              else type(calculator).__name__))


def licl_vacancy_hop(lattice_A: float, *, repeat: int = 2):
    """End points and tetrahedral via-site of a Li vacancy hop in rock-salt LiCl.

    A ``repeat``^3 supercell of the conventional cell (8 LiCl per cell) loses the Li at the
    origin; the Li at (a/2, a/2, 0) hops into it through the empty tetrahedral site at
    (a/4, a/4, a/4), which shares faces with both octahedra (the oct-tet-oct path of seed 002).
    Returns ``(initial, final, via_A)``.
    """
    require_package("ase", extra="atomistic", purpose="building LiCl")
    from ase.build import bulk

    if not (math.isfinite(lattice_A) and 3.0 < lattice_A < 8.0):
        raise InputError(f"lattice_A: expected a rock-salt lattice parameter in A, found {lattice_A}")
    cell = bulk("LiCl", "rocksalt", a=lattice_A, cubic=True).repeat(int(repeat))
    li = [i for i, s in enumerate(cell.get_chemical_symbols()) if s == "Li"]
    pos = cell.positions
    vacancy = min(li, key=lambda i: np.linalg.norm(pos[i]))
    target = np.array([0.5, 0.5, 0.0]) * lattice_A
    mover = min(li, key=lambda i: np.linalg.norm(pos[i] - target))
    initial = cell.copy()
    del initial[vacancy]
    final = initial.copy()
    m = mover - (mover > vacancy)
    final.positions[m] = pos[vacancy]
    return initial, final, np.full(3, lattice_A / 4)


HopDirection = Literal["in-plane", "out-of-plane"]
HOP_DIRECTIONS = get_args(HopDirection)


def lyc_indium_hop(direction: str = "in-plane", *, framework=None, supercell=(1, 1, 2),
                   rng: int = 0):
    """End points and via-site of an In3+ hop between Li octahedra of trigonal Li3YCl6 (seed 004).

    The cell is ``framework`` (default :func:`ssblab.materials.prototypes.hcp_li3mcl6_framework`,
    Li12Y3Cl18 with every Li site filled) times ``supercell`` (default 1 x 1 x 2, as in seed 004's
    DFT). One 6h Li (z = 1/2 layer, the site seed 004 finds In3+ prefers) becomes In; the
    neighbouring Li site it hops into is emptied: for ``"in-plane"`` the nearest Li site of the
    same layer (edge-sharing octahedra, a/3 apart), routed through the tetrahedral hole that shares
    a face with both octahedra (oct-tet-oct); for ``"out-of-plane"`` the Li site straight along c
    (face-sharing octahedra, c/2 apart), a linear start. Neutrality: In3+ replaces three Li+, so
    the remaining Li vacancies (7 in the 1 x 1 x 2 cell: 24 Li sites, In + 15 Li) are placed by
    :func:`ssblab.materials.defects.order_vacancies` (lowest Ewald energy, seed ``rng``) with the
    In charge shared equally by the start and target sites, so that neither end point is favoured
    by construction; the result's ``kra_barrier_eV`` (barrier above the mean end energy) is the
    number to compare with a symmetric hop. Returns ``(initial, final, via_A)``: ASE Atoms and a
    Cartesian point (None for the straight hop; the tetrahedral hole assumes the ideal hcp
    anions of :func:`~ssblab.materials.prototypes.hcp_li3mcl6_framework`).
    """
    from ssblab.errors import check_choice
    from ssblab.materials.prototypes import hcp_li3mcl6_framework, ordered_configuration

    check_choice(direction, HOP_DIRECTIONS, name="direction")
    require_package("pymatgen", extra="atomistic", purpose="building Li3YCl6")
    from pymatgen.io.ase import AseAtomsAdaptor

    fw = hcp_li3mcl6_framework() if framework is None else framework.copy()
    big = fw * tuple(int(s) for s in supercell)
    lattice = big.lattice
    li = [i for i, site in enumerate(big) if site.specie.symbol == "Li"]
    if not li:
        raise InputError("framework: no Li sites to put In on")
    # a 6h site: z = 1/2 of the framework cell, i.e. frac (1/3, 0, 1/2) / supercell
    target = np.array([1 / 3 / supercell[0], 0.0, 0.5 / supercell[2]])
    start = min(li, key=lambda i: lattice.get_distance_and_image(big[i].frac_coords, target)[0])
    dz = np.array([abs(big[i].frac_coords[2] - big[start].frac_coords[2]) for i in li])
    same_layer = [i for i, d in zip(li, dz) if min(d, 1 - d) < 1e-6 and i != start]
    other_layer = [i for i, d in zip(li, dz) if min(d, 1 - d) > 1e-6]
    pool = same_layer if direction == "in-plane" else other_layer
    dist = [lattice.get_distance_and_image(big[start].frac_coords, big[i].frac_coords)
            for i in pool]
    end = pool[int(np.argmin([d for d, _ in dist]))]
    start_cart = big[start].coords
    _, image = lattice.get_distance_and_image(big[start].frac_coords, big[end].frac_coords)
    end_cart = lattice.get_cartesian_coords(big[end].frac_coords + image)
    # order the Li vacancies with the In charge shared by both ends (a dummy species on the two
    # sites), so that neither end point is favoured by construction
    big.replace(start, "Xe")
    big.replace(end, "Xe")
    charges = {"Li": 1, "Xe": 1.5, "Cl": -1, **{el.symbol: 3 for el in big.composition
                                                 if el.symbol not in ("Li", "Xe", "Cl")}}
    structure, _ = ordered_configuration(big, {}, oxidation_states=charges, rng=rng)
    ends = [i for i, site in enumerate(structure) if site.specie.symbol == "Xe"]
    keep_in = min(ends, key=lambda i: np.linalg.norm(structure[i].coords - start_cart))
    structure.replace(keep_in, "In")
    structure.remove_sites([i for i in ends if i != keep_in])
    initial = AseAtomsAdaptor.get_atoms(structure)
    mover = initial.get_chemical_symbols().index("In")
    initial.positions[mover] = start_cart
    final = initial.copy()
    final.positions[mover] = end_cart
    via = None
    if direction == "in-plane":
        via = _shared_tetrahedral_hole(fw, start_cart, end_cart)
    return initial, final, via


def _shared_tetrahedral_hole(framework, a_cart, b_cart):
    """The hcp tetrahedral hole closest to both octahedral sites (ideal close packing)."""
    # tetrahedral holes of the small two-layer hcp cell (anions at (1/3,2/3,1/4), (2/3,1/3,3/4))
    small = np.array([[2 / 3, 1 / 3, 1 / 8], [2 / 3, 1 / 3, 3 / 8],
                      [1 / 3, 2 / 3, 5 / 8], [1 / 3, 2 / 3, 7 / 8]])
    cells = np.array([[i, j, k] for i in range(-4, 7) for j in range(-4, 7) for k in (-1, 0, 1, 2)])
    frac = (small[None, :, :] + cells[:, None, :]).reshape(-1, 3) * [1 / 3, 1 / 3, 1]
    cart = frac @ framework.lattice.matrix
    worst = np.maximum(np.linalg.norm(cart - a_cart, axis=1), np.linalg.norm(cart - b_cart, axis=1))
    return cart[int(np.argmin(worst))]
