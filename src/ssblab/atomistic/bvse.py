"""Bond-valence site-energy (BVSE) percolation barriers: the fast path where MD is too costly.

A thin, checked wrapper over bvlain (MIT; Dembitskiy et al.), which evaluates the BVSE
landscape of a mobile ion on a grid (Morse bond-valence attraction plus screened Coulomb
repulsion, softBV parameters of Chen and Adams) and finds the lowest energy at which the
accessible region percolates in 1, 2 and 3 dimensions. :func:`bvse_vs_strain` scales a cell
isotropically to follow a barrier against lattice expansion (seed 002's LiCl trend, seed 000's
larger-cell argument) in seconds instead of NEB minutes.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from ssblab.atomistic.network import SiteNetwork, network_from_grid
from ssblab.errors import InputError, require_package
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class BVSEResult(Result):
    """Percolation barriers (eV) of the mobile ion vs an isotropic lattice scale."""

    formula: str = ""
    mobile_ion: str = "Li1+"
    scale: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    lattice_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    barrier_1d_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    barrier_2d_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    barrier_3d_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    resolution_A: float = math.nan

    title = "BVSE percolation barriers"

    def summary(self):
        return [("structure", self.formula), ("mobile ion", self.mobile_ion),
                ("grid spacing (A)", self.resolution_A)] + [
            (f"a = {a:.4g} A: 1D / 2D / 3D barrier (eV)", f"{e1:.3f} / {e2:.3f} / {e3:.3f}")
            for a, e1, e2, e3 in zip(self.lattice_A, self.barrier_1d_eV, self.barrier_2d_eV,
                                     self.barrier_3d_eV)]

    def table(self):
        return [{"lattice_A": a, "scale": s, "E_1D_eV": e1, "E_2D_eV": e2, "E_3D_eV": e3}
                for a, s, e1, e2, e3 in zip(self.lattice_A, self.scale, self.barrier_1d_eV,
                                            self.barrier_2d_eV, self.barrier_3d_eV)]

    def _draw(self, ax, **kwargs):
        for label, e in (("1D", self.barrier_1d_eV), ("2D", self.barrier_2d_eV),
                         ("3D", self.barrier_3d_eV)):
            ax.plot(self.lattice_A, e, "o-", label=label)
        ax.set_xlabel("lattice parameter a (A)")
        ax.set_ylabel("BVSE percolation barrier (eV)")
        ax.legend(fontsize=8)


def bvse_vs_strain(atoms, *, scales=(1.0,), mobile_ion: str = "Li1+",
                   resolution_A: float = 0.2, r_cut_A: float = 10.0) -> BVSEResult:
    """BVSE percolation barriers of ``atoms`` (ASE Atoms) at each isotropic ``scales`` factor.

    Oxidation states are guessed by bvlain (pymatgen's bond-valence analyser); the lattice
    column reports the length of the first cell vector after scaling.
    """
    scales = np.atleast_1d(np.asarray(scales, float))
    if np.any(scales <= 0.5) or np.any(scales >= 2.0):
        raise InputError(f"scales: expected factors between 0.5 and 2, found {scales.tolist()}")
    rows = []
    for s in scales:
        scaled = atoms.copy()
        scaled.set_cell(atoms.cell * s, scale_atoms=True)
        lain = _landscape(scaled, mobile_ion=mobile_ion, resolution_A=resolution_A, r_cut_A=r_cut_A)
        e = _percolation(lain)
        rows.append((float(np.linalg.norm(scaled.cell[0])), *e))
    a, e1, e2, e3 = map(np.array, zip(*rows))
    return BVSEResult(formula=atoms.get_chemical_formula(), mobile_ion=mobile_ion, scale=scales,
                      lattice_A=a, barrier_1d_eV=e1, barrier_2d_eV=e2, barrier_3d_eV=e3,
                      resolution_A=float(resolution_A),
                      provenance=provenance(formula=atoms.get_chemical_formula(),
                                            scales=scales, mobile_ion=mobile_ion,
                                            resolution_A=resolution_A, r_cut_A=r_cut_A))


def bvse_network(atoms, *, mobile_ion: str = "Li1+", resolution_A: float = 0.2,
                 r_cut_A: float = 10.0, min_separation_A: float = 0.5,
                 energy_window_eV: float = 3.0, compare_bvlain: bool = True) -> SiteNetwork:
    """The Li site network (sites, hops, saddles) of the BVSE landscape of ``atoms``.

    bvlain evaluates the landscape; :func:`ssblab.atomistic.network.network_from_grid` cuts it
    into sites and hops. With ``compare_bvlain`` bvlain's own percolation energies are stored
    beside the network's (``reference_percolation_eV``) as a check.

    Examples
    --------
    >>> from ssblab.materials.structures import load_structure
    >>> net = bvse_network(load_structure("LiCl"), resolution_A=0.3)
    >>> len(net.sites_A), float(net.site_energy_eV.max().round(2))  # 4 octahedral + 8 tetrahedral
    (12, 0.37)
    """
    lain = _landscape(atoms, mobile_ion=mobile_ion, resolution_A=resolution_A, r_cut_A=r_cut_A)
    # bvlain's grid runs from fractional 0 to 1 inclusive: drop the repeated end points
    grid = np.asarray(lain.data)[:-1, :-1, :-1]
    element = "".join(c for c in mobile_ion if c.isalpha())
    network = network_from_grid(grid, np.array(atoms.cell), min_separation_A=min_separation_A,
                                energy_window_eV=energy_window_eV,
                                formula=atoms.get_chemical_formula(),
                                n_li_per_cell=atoms.get_chemical_symbols().count(element))
    reference = np.array(_percolation(lain)) if compare_bvlain else np.full(3, math.nan)
    return dataclasses.replace(network, reference_percolation_eV=reference,
                               provenance=provenance(formula=atoms.get_chemical_formula(),
                                                     mobile_ion=mobile_ion,
                                                     resolution_A=resolution_A, r_cut_A=r_cut_A,
                                                     min_separation_A=min_separation_A,
                                                     energy_window_eV=energy_window_eV))


def _landscape(atoms, *, mobile_ion: str, resolution_A: float, r_cut_A: float):
    """A bvlain ``Lain`` holding the BVSE grid of ``atoms`` (ASE Atoms) for ``mobile_ion``.

    Oxidation states are guessed by bvlain (pymatgen's bond-valence analyser).
    """
    require_package("bvlain", extra="atomistic", purpose="BVSE barriers")
    from bvlain import Lain

    if not 0.05 <= resolution_A <= 1.0:
        raise InputError(f"resolution_A: expected 0.05..1 A (bvlain's limit), found {resolution_A}")
    lain = Lain(verbose=False)
    with warnings.catch_warnings():
        # pymatgen deprecation notices raised inside bvlain are not ours to act on
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            lain.read_atoms(atoms)
        except Exception as exc:  # bvlain raises bare errors for unassignable valences
            raise InputError(f"BVSE: cannot assign oxidation states to "
                             f"{atoms.get_chemical_formula()} ({exc})") from exc
        lain.bvse_distribution(mobile_ion=mobile_ion, resolution=resolution_A, r_cut=r_cut_A)
    return lain


def _percolation(lain) -> tuple[float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        e = lain.percolation_barriers()
    return float(e["E_1D"]), float(e["E_2D"]), float(e["E_3D"])
