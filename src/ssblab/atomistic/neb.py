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
from typing import Any

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

    def summary(self):
        return [("hop", self.label), ("lattice parameter (A)", self.lattice_A),
                ("barrier (eV)", self.barrier_eV), ("reverse barrier (eV)", self.reverse_barrier_eV),
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
    opt = FIRE(neb, logfile=None)
    converged = bool(opt.run(fmax=fmax_eV_A, steps=max_steps))
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
