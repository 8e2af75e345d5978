"""Aliovalent substitution on a host sublattice, ordered by Ewald energy, and its powder XRD.

Seed 004 proposes that In3+ from a Li-In anode enters the vacant Li sites of Li3YCl6 as
Li(3-3x)In(x)YCl6 and that this makes the (302) reflection grow. The rule used here:

1. ``x`` counts dopant ions per formula unit of the host structure; a supercell with Z formula
   units receives ``round(x * Z)`` dopants (the result states the x actually realised).
2. Each dopant of charge q_d takes one host site (charge q_h) and (q_d - q_h) / q_h further host
   sites become vacant, so the cell stays neutral (In3+ for Li+: 3 Li -> 1 In + 2 vacancies).
   A charge difference that is not a whole number of host ions raises an InputError.
3. Which host sites hold the dopants and the vacancies is chosen by simulated annealing of the
   pairwise Ewald energy (the machinery of :mod:`ssblab.materials.defects`), one configuration
   per seed, as for the vacancy orderings of seed 000.

:func:`xrd_vs_substitution` then simulates Cu K-alpha (or any wavelength) powder patterns with
pymatgen's ``XRDCalculator`` and follows the relative intensity of one parent reflection.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from ssblab.errors import InputError, require_package
from ssblab.materials.defects import (
    AnnealedConfigurations,
    anneal_charges,
    unit_ewald_matrix,
)
from ssblab.progress import progress
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubstitutionConfigurations(AnnealedConfigurations):
    """Dopant and vacancy sites (indices into ``structure * supercell``) per configuration."""

    formula: str = ""
    host: str = "Li"
    dopant: str = "In"
    x_requested: float = 0.0
    x: float = 0.0
    supercell: tuple[int, int, int] = (1, 1, 1)
    dopant_sites: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0), int))
    vacant_sites: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0), int))

    title = "Aliovalent substitution"

    def summary(self):
        return [("composition", self.formula), ("x requested / realised",
                                                 f"{self.x_requested:g} / {self.x:.4g}"),
                ("supercell", "x".join(map(str, self.supercell))),
                (f"{self.dopant} on {self.host} sites", self.dopant_sites.shape[1]),
                (f"{self.host} vacancies", self.vacant_sites.shape[1]), *self.energy_rows()]


def substitute(structure, x: float, *, host: str = "Li", dopant: str = "In",
               oxidation_states: dict[str, float], supercell=(1, 1, 1),
               n_configurations: int = 3, sweeps: int = 100, host_labels=None,
               rng: int | np.random.Generator = 0) -> SubstitutionConfigurations:
    """Low-Ewald-energy configurations of ``dopant`` on the ``host`` sites of a pymatgen structure.

    ``x`` is dopants per formula unit (module rule); ``oxidation_states`` maps every element of
    the structure and the dopant to its charge. ``host_labels`` (CIF site labels, e.g. the label
    of Li3YCl6's 6h site; a trailing "_n" image number is ignored) restricts dopants and their
    vacancies to those host sites.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> licl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.1295), ["Li", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> res = substitute(licl, 0.25, oxidation_states={"Li": 1, "Cl": -1, "In": 3},
    ...                  supercell=(1, 1, 1), n_configurations=1)
    >>> res.formula, res.dopant_sites.shape[1], res.vacant_sites.shape[1]
    ('Li1 In1 Cl4', 1, 2)
    """
    require_package("pymatgen", extra="atomistic", purpose="substituted supercells")
    if not structure.is_ordered:
        raise InputError("substitute: the structure has partial occupancies; order it first "
                         "(materials.defects.order_vacancies)")
    missing = {host, dopant, *(s.specie.symbol for s in structure)} - set(oxidation_states)
    if missing:
        raise InputError(f"oxidation_states: missing {sorted(missing)}")
    q_host, q_dop = float(oxidation_states[host]), float(oxidation_states[dopant])
    extra = (q_dop - q_host) / q_host
    if extra < 0 or abs(extra - round(extra)) > 1e-9:
        raise InputError(f"a {dopant}{q_dop:+g} on a {host}{q_host:+g} site needs {extra:g} extra "
                         f"{host} vacancies; expected a whole, non-negative number")
    extra = round(extra)
    supercell = tuple(int(s) for s in supercell)
    big = structure * supercell
    symbols = np.array([s.specie.symbol for s in big])
    host_sites = np.flatnonzero(symbols == host)
    if len(host_sites) == 0:
        raise InputError(f"host {host!r} is not in the structure ({sorted(set(symbols))})")
    if host_labels is not None:
        # Structure * supercell repeats each parent site in place: site i <- parent i // n
        n_cells = len(big) // len(structure)
        # a trailing "_n" numbers the images of one refined site (pymatgen supercells, CIFs
        # written by `ssblab structure order`)
        labels = np.array([re.sub(r"_\d+$", "", structure[i // n_cells].label or "")
                           for i in range(len(big))])
        known = sorted(set(labels[host_sites]))
        unknown = set(host_labels) - set(known)
        if unknown:
            raise InputError(f"host_labels {sorted(unknown)}: not {host} site labels of the "
                             f"structure; expected some of {known}")
        host_sites = host_sites[np.isin(labels[host_sites], list(host_labels))]
    z = big.composition.get_reduced_composition_and_factor()[1]
    n_dop = round(float(x) * z)
    if x < 0 or n_dop * (1 + extra) > len(host_sites):
        raise InputError(f"x = {x}: {n_dop} {dopant} need {n_dop * (1 + extra)} of "
                         f"{len(host_sites)} available {host} sites; expected 0 <= x <= "
                         f"{len(host_sites) / (1 + extra) / z:.3g}")
    rng = np.random.default_rng(rng)
    full = np.array([float(oxidation_states[el]) for el in symbols])
    unit = unit_ewald_matrix(big, full)
    dop_sites, vac_sites, energies, starts = [], [], [], []
    for _ in range(int(n_configurations) if n_dop else 1):
        charges = full.copy()
        chosen = rng.permutation(host_sites)
        charges[chosen[:n_dop]] = q_dop
        charges[chosen[n_dop:n_dop * (1 + extra)]] = 0.0
        starts.append(float(charges @ unit @ charges))
        charges, e = anneal_charges(unit, charges, [host_sites], sweeps=sweeps, rng=rng)
        on_host = charges[host_sites]  # dopants and vacancies stay on these sites
        dop_sites.append(host_sites[on_host == q_dop] if q_dop != q_host else chosen[:n_dop])
        vac_sites.append(host_sites[on_host == 0])
        energies.append(e)
    n_host = int(np.sum(symbols == host)) - n_dop * (1 + extra)
    rest = {el: int(np.sum(symbols == el)) for el in dict.fromkeys(symbols) if el != host}
    formula = " ".join([f"{host}{n_host}", f"{dopant}{n_dop}",
                        *(f"{el}{n}" for el, n in rest.items())])
    return SubstitutionConfigurations(
        formula=formula, host=host, dopant=dopant, x_requested=float(x), x=n_dop / z,
        supercell=supercell, dopant_sites=np.array(dop_sites, int).reshape(len(energies), n_dop),
        vacant_sites=np.array(vac_sites, int).reshape(len(energies), n_dop * extra),
        ewald_eV=np.array(energies), random_ewald_eV=np.array(starts),
        provenance=provenance(x=x, host=host, dopant=dopant, oxidation_states=oxidation_states,
                              supercell=supercell, sweeps=sweeps, host_labels=host_labels,
                              n_configurations=n_configurations))


def substituted_structure(structure, result: SubstitutionConfigurations, index: int = 0):
    """The pymatgen Structure of configuration ``index`` (dopants placed, vacancies removed)."""
    big = structure * result.supercell
    for i in result.dopant_sites[index]:
        big.replace(int(i), result.dopant)
    big.remove_sites([int(i) for i in result.vacant_sites[index]])
    return big


@dataclasses.dataclass(frozen=True, kw_only=True)
class XRDSubstitution(Result):
    """Relative intensity of one parent reflection against the dopant content x."""

    hkl: tuple[int, ...] = ()
    wavelength_A: float = 0.0
    target_two_theta_deg: float = 0.0
    x_requested: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    x: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    relative_intensity: list = dataclasses.field(default_factory=list)
    two_theta_deg: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    profiles: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))

    title = "Simulated powder XRD against substitution"

    def mean_std(self):
        """Mean and standard deviation (ddof=1; 0 for one configuration) per x, in %."""
        mean = np.array([np.mean(r) for r in self.relative_intensity])
        std = np.array([np.std(r, ddof=1) if len(r) > 1 else 0.0
                        for r in self.relative_intensity])
        return mean, std

    def summary(self):
        mean, std = self.mean_std()
        label = "".join(map(str, self.hkl))
        rows = [("reflection", (f"({label}) at 2theta = {self.target_two_theta_deg:.2f} deg, "
                                f"lambda = {self.wavelength_A:.5f} A"))]
        rows += [(f"I({label}) / I(max) (%) at x = {x:.4g}", f"{m:.2f} +- {s:.2f}")
                 for x, m, s in zip(self.x, mean, std)]
        return rows

    def table(self):
        mean, std = self.mean_std()
        return [{"x_requested": xr, "x": x, "relative_intensity_percent": m,
                 "std_percent": s, "configurations": len(r)}
                for xr, x, m, s, r in zip(self.x_requested, self.x, mean, std,
                                          self.relative_intensity)]

    def _draw(self, ax, **kwargs):
        mean, _ = self.mean_std()
        step = 1.1 * float(np.max(self.profiles)) if self.profiles.size else 1.0
        for k, (x, prof) in enumerate(zip(self.x, self.profiles)):
            ax.plot(self.two_theta_deg, prof + k * step, lw=0.8,
                    label=f"x = {x:.3g}: I/Imax = {mean[k]:.1f} %")
        ax.axvline(self.target_two_theta_deg, color="k", ls=":", lw=0.8)
        ax.set_xlabel("2theta (deg)")
        ax.set_ylabel("intensity (% of strongest, offset)")
        ax.legend(fontsize=7)


def xrd_vs_substitution(structure, x_values=(0.0, 0.05, 0.1, 0.2), *, hkl, host: str = "Li",
                        dopant: str = "In", oxidation_states: dict[str, float], supercell=(1, 1, 1),
                        n_configurations: int = 3, wavelength="CuKa",
                        two_theta_range_deg=(10.0, 80.0), window_deg: float = 0.15,
                        fwhm_deg: float = 0.1, sweeps: int = 100, host_labels=None,
                        rng: int | np.random.Generator = 0) -> XRDSubstitution:
    """Powder patterns of substituted supercells and the relative intensity of reflection ``hkl``.

    ``hkl`` indexes the parent ``structure``; its Bragg angle at ``wavelength`` (a pymatgen name
    such as "CuKa" or a number in A) is the target, and the intensity of all supercell reflections
    within ``window_deg`` of it is summed, in % of the strongest reflection of the same pattern
    (pymatgen's ``scaled`` intensities). Each x gets ``n_configurations`` annealed orderings
    (one for x = 0); ``profiles`` are their mean patterns broadened by Gaussians of ``fwhm_deg``.
    """
    require_package("pymatgen", extra="atomistic", purpose="simulated powder XRD")
    from pymatgen.analysis.diffraction.xrd import WAVELENGTHS, XRDCalculator

    lam = float(WAVELENGTHS[wavelength]) if isinstance(wavelength, str) else float(wavelength)
    if isinstance(wavelength, str) and wavelength not in WAVELENGTHS:
        raise InputError(f"wavelength {wavelength!r}: expected one of {sorted(WAVELENGTHS)}")
    sin_theta = lam / (2 * structure.lattice.d_hkl(hkl))
    if not 0 < sin_theta < 1:
        raise InputError(f"reflection {hkl} is not reachable at wavelength {lam} A")
    target = float(np.degrees(2 * np.arcsin(sin_theta)))
    if not two_theta_range_deg[0] < target < two_theta_range_deg[1]:
        raise InputError(f"reflection {hkl} at 2theta = {target:.2f} deg lies outside "
                         f"two_theta_range_deg = {tuple(two_theta_range_deg)}")
    calc = XRDCalculator(wavelength=lam)
    grid = np.arange(two_theta_range_deg[0], two_theta_range_deg[1], fwhm_deg / 5)
    sigma = fwhm_deg / (2 * np.sqrt(2 * np.log(2)))
    rng = np.random.default_rng(rng)
    xs, rel, profiles = [], [], []
    for x in progress(list(x_values), desc="x"):
        conf = substitute(structure, x, host=host, dopant=dopant,
                          oxidation_states=oxidation_states, supercell=supercell,
                          n_configurations=n_configurations, sweeps=sweeps,
                          host_labels=host_labels, rng=rng)
        xs.append(conf.x)
        values, prof = [], np.zeros_like(grid)
        for k in range(len(conf.ewald_eV)):
            pattern = calc.get_pattern(substituted_structure(structure, conf, k), scaled=True,
                                       two_theta_range=tuple(two_theta_range_deg))
            tt, y = np.asarray(pattern.x), np.asarray(pattern.y)
            values.append(float(y[np.abs(tt - target) <= window_deg].sum()))
            for chunk in range(0, len(tt), 512):
                d = grid[:, None] - tt[None, chunk:chunk + 512]
                prof += (y[chunk:chunk + 512] * np.exp(-0.5 * (d / sigma) ** 2)).sum(axis=1)
        rel.append(values)
        profiles.append(prof / len(values))
    return XRDSubstitution(
        hkl=tuple(int(h) for h in hkl), wavelength_A=lam, target_two_theta_deg=target,
        x_requested=np.array(x_values, float), x=np.array(xs), relative_intensity=rel,
        two_theta_deg=grid, profiles=np.array(profiles),
        provenance=provenance(hkl=hkl, host=host, dopant=dopant, supercell=supercell,
                              n_configurations=n_configurations, wavelength=wavelength,
                              window_deg=window_deg, sweeps=sweeps))
