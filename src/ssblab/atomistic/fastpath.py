"""The fast path: BVSE landscape -> site network -> KMC -> D, sigma and Ea, in seconds.

:func:`kmc_vs_temperature` builds the Li site network of a structure from its bond-valence
site-energy landscape (:func:`ssblab.atomistic.bvse.bvse_network`), replicates it into a
supercell, runs rejection-free KMC with site exclusion at each temperature
(:func:`ssblab.atomistic.kmc.kmc`, rates nu exp(-(E_saddle - E_site) / kB T)), analyses each
trajectory with :func:`ssblab.atomistic.transport.diffusion` and fits Arrhenius lines with
:func:`ssblab.atomistic.transport.arrhenius`. The KMC cost does not grow as T falls (every step
is a hop), so 300 K is simulated directly as well as extrapolated.

Conductivity (Nernst-Einstein with the collective D) uses the carrier density of the KMC cell:
the real Li density of the structure times the occupancy (carriers / Li of the structure), i.e.
the carriers are the structure's own Li, a fraction of which is mobile (or present).

:func:`fastpath_study` repeats this over lattice scales and carrier fractions (seed 002: LiCl's
barrier vs lattice parameter; seed 000: vacancies and a larger cell).
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from ssblab import reference as ref
from ssblab.atomistic.kmc import kmc
from ssblab.atomistic.network import SiteNetwork, lowest, replicate
from ssblab.atomistic.transport import ArrheniusResult, Trajectory, arrhenius, diffusion
from ssblab.errors import InputError
from ssblab.results import Measured, Result, provenance

DEFAULT_TEMPERATURES_K = (300.0, 400.0, 500.0, 600.0, 800.0)


def as_atoms(structure):
    """ASE Atoms from Atoms (copied), a pymatgen Structure, a file path or a bundled name."""
    from ase import Atoms

    if isinstance(structure, Atoms):
        return structure.copy()
    if isinstance(structure, (str, os.PathLike)):
        if os.path.exists(structure):
            from ssblab.materials.structures import read_atoms

            return read_atoms(structure)
        from ssblab.materials.structures import load_structure

        return load_structure(str(structure))
    if hasattr(structure, "lattice") and hasattr(structure, "species"):
        from pymatgen.io.ase import AseAtomsAdaptor

        return AseAtomsAdaptor.get_atoms(structure)
    raise InputError(f"structure: expected ASE Atoms, a pymatgen Structure, a file or a bundled "
                     f"name; found {type(structure).__name__}")


def default_supercell(network: SiteNetwork, *, min_length_A: float = 10.0) -> tuple[int, int, int]:
    """Repeats giving every cell vector at least ``min_length_A``, and enough of them that a hop
    from a site to its own image joins two distinct sites of the supercell."""
    lengths = np.linalg.norm(np.asarray(network.cell_A, float), axis=1)
    reps = np.array([max(1, math.ceil(min_length_A / v)) for v in lengths])
    own_image = network.shifts[network.src == network.dst]
    while True:
        landing_home = own_image[np.all(own_image % reps == 0, axis=1)]
        if not len(landing_home):
            return tuple(int(r) for r in reps)
        reps[int(np.argmax(np.abs(landing_home[0])))] += 1


def network_kmc(network: SiteNetwork, *, n_carriers: int, temperature_K: float,
                supercell=None, n_samples: int = 1000, sample_interval_ps: float | None = None,
                attempt_frequency_THz: float = 10.0,
                rng: int | np.random.Generator = 0) -> Trajectory:
    """KMC of ``n_carriers`` on the ``supercell`` replica of ``network`` (default: >= 10 A).

    Rates obey detailed balance with the network's site energies; see :func:`kmc`.
    """
    big = replicate(network, supercell or default_supercell(network))
    return kmc(big.sites_A, big.cell_A, n_carriers=n_carriers, temperature_K=temperature_K,
               edges=(big.src, big.dst, big.hop_vectors_A), saddle_eV=big.saddle_eV,
               site_energy_eV=big.site_energy_eV, n_samples=n_samples,
               sample_interval_ps=sample_interval_ps,
               attempt_frequency_THz=attempt_frequency_THz, rng=rng)


@dataclasses.dataclass(frozen=True, kw_only=True)
class KMCArrheniusResult(Result):
    """D and sigma from KMC on a BVSE site network vs temperature, with Arrhenius fits."""

    formula: str = ""
    lattice_A: float = math.nan  # length of the first cell vector
    supercell: tuple[int, int, int] = (1, 1, 1)
    n_carriers: int = 0
    n_li: int = 0  # Li of the structure in the supercell
    n_sites: int = 0  # network sites in the supercell (Li sites and interstitials)
    temperatures_K: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    diffusivity_cm2_s: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    diffusivity_stderr_cm2_s: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    conductivity_S_cm: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    conductivity_stderr_S_cm: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    network_barrier_eV: float = math.nan  # lowest percolation energy of the network
    bvlain_barrier_eV: float = math.nan   # bvlain's lowest percolation energy
    diffusivity_fit: ArrheniusResult | None = None
    conductivity_fit: ArrheniusResult | None = None

    title = "KMC on the BVSE site network"

    @property
    def occupancy(self) -> float:
        return self.n_carriers / self.n_li if self.n_li else math.nan

    @property
    def activation_energy_eV(self) -> Measured:
        fit = self.diffusivity_fit
        return fit.activation_energy_eV if fit is not None else Measured(math.nan, math.nan, "eV")

    def summary(self):
        rows = [("structure", self.formula), ("lattice a (A)", self.lattice_A),
                ("supercell", "x".join(map(str, self.supercell))),
                ("carriers / Li of the structure", f"{self.n_carriers} / {self.n_li}"),
                ("network sites", self.n_sites),
                ("network percolation barrier (eV)", self.network_barrier_eV),
                ("bvlain percolation barrier (eV)", self.bvlain_barrier_eV)]
        rows += [(f"D at {t:g} K (cm^2/s)", Measured(d, s, "cm^2/s")) for t, d, s in
                 zip(self.temperatures_K, self.diffusivity_cm2_s, self.diffusivity_stderr_cm2_s)]
        for name, fit in (("D", self.diffusivity_fit), ("sigma", self.conductivity_fit)):
            if fit is not None and fit.ok:
                rows += [(f"Ea from {name} (eV)", fit.activation_energy_eV),
                         (f"{name} at {fit.target_K:g} K, Arrhenius ({fit.unit})",
                          fit.extrapolated)]
        return rows

    def table(self):
        return [{"temperature_K": t, "D_cm2_s": d, "D_stderr_cm2_s": ds, "sigma_S_cm": s,
                 "sigma_stderr_S_cm": ss, "lattice_A": self.lattice_A,
                 "occupancy": self.occupancy}
                for t, d, ds, s, ss in zip(self.temperatures_K, self.diffusivity_cm2_s,
                                           self.diffusivity_stderr_cm2_s, self.conductivity_S_cm,
                                           self.conductivity_stderr_S_cm)]

    def _draw(self, ax, **kwargs):
        if self.diffusivity_fit is not None and self.diffusivity_fit.ok:
            self.diffusivity_fit._draw(ax)
            ax.set_title(f"{self.formula}, a = {self.lattice_A:.4g} A: KMC tracer D")
        else:
            super()._draw(ax)


def kmc_vs_temperature(structure, *, temperatures_K=DEFAULT_TEMPERATURES_K,
                       carrier_fraction: float | None = None, n_carriers: int | None = None,
                       supercell=None, lattice_scale: float = 1.0, resolution_A: float = 0.2,
                       mobile_ion: str = "Li1+", n_samples: int | None = None,
                       attempt_frequency_THz: float = 10.0, target_K: float = 300.0,
                       rng: int | np.random.Generator = 0) -> KMCArrheniusResult:
    """BVSE -> network -> KMC -> D, sigma at each temperature, and their Arrhenius fits.

    Parameters
    ----------
    structure
        ASE Atoms, pymatgen Structure, a file, a bundled name, or a ready :class:`SiteNetwork`.
    temperatures_K
        KMC temperatures (at least two); the cost of a run does not depend on T.
    carrier_fraction, n_carriers
        Occupancy of the structure's Li (carriers = round(fraction x Li in the supercell);
        1 - fraction is a Li vacancy fraction), or the carrier count itself. Default 0.05
        (dilute: D then follows the network's percolation barrier).
    supercell
        Repeats of the cell (default: every side at least 10 A).
    lattice_scale
        Isotropic scale of the cell before BVSE (lattice expansion).
    n_samples
        KMC samples per temperature (about 5 hops per carrier each). Default: a budget of
        about 50 000 hops, 200 to 2000 samples (many carriers average well in fewer samples).

    Examples
    --------
    A synthetic network with one site per cubic cell (a = 2.5 A) and 0.3 eV hops to its six
    neighbours: D(T) is Gamma a^2 with Gamma = 10 THz exp(-0.3 eV / kB T), so Ea = 0.3 eV.

    >>> steps = np.vstack([np.eye(3, dtype=int), -np.eye(3, dtype=int)])
    >>> cubic = SiteNetwork(cell_A=np.eye(3) * 2.5, sites_A=np.zeros((1, 3)),
    ...                     site_energy_eV=np.zeros(1), src=np.zeros(6, int), dst=np.zeros(6, int),
    ...                     shifts=steps, saddle_eV=np.full(6, 0.3), n_li_per_cell=1)
    >>> res = kmc_vs_temperature(cubic, temperatures_K=(400, 600, 900), n_carriers=1,
    ...                          n_samples=1500)
    >>> ea = res.activation_energy_eV
    >>> bool(abs(ea.value - 0.3) < 3 * ea.stderr)
    True
    """
    from ssblab.atomistic.bvse import bvse_network

    temps = np.atleast_1d(np.asarray(temperatures_K, float))
    if temps.size < 2 or np.any(~np.isfinite(temps)) or np.any(temps <= 0):
        raise InputError(f"temperatures_K: expected two or more positive temperatures, found "
                         f"{temps.tolist()}")
    if isinstance(structure, SiteNetwork):
        network = structure
        if lattice_scale != 1.0:
            raise InputError("lattice_scale: only for a structure, not a ready network")
    else:
        atoms = as_atoms(structure)
        if not 0.5 < lattice_scale < 2.0:
            raise InputError(f"lattice_scale: expected 0.5..2, found {lattice_scale}")
        atoms.set_cell(atoms.cell * lattice_scale, scale_atoms=True)
        network = bvse_network(atoms, mobile_ion=mobile_ion, resolution_A=resolution_A)
    reps = tuple(int(r) for r in (supercell or default_supercell(network)))
    n_cells = int(np.prod(reps))
    n_li = network.n_li_per_cell * n_cells
    n_sites = len(network.sites_A) * n_cells
    if n_carriers is None:
        fraction = 0.05 if carrier_fraction is None else float(carrier_fraction)
        if not 0 < fraction <= 1 or n_li == 0:
            raise InputError(f"carrier_fraction: expected 0 < fraction <= 1 of the structure's "
                             f"{n_li} Li; found {carrier_fraction}")
        n_carriers = max(1, round(fraction * n_li))
    elif carrier_fraction is not None:
        raise InputError("give carrier_fraction or n_carriers, not both")
    if n_samples is None:
        n_samples = int(np.clip(50_000 // (5 * n_carriers), 200, 2000))
    rng = np.random.default_rng(rng)
    d, ds, s, ss = (np.full(temps.size, math.nan) for _ in range(4))
    for k, t in enumerate(temps):
        traj = network_kmc(network, n_carriers=n_carriers, temperature_K=float(t),
                           supercell=reps, n_samples=n_samples,
                           attempt_frequency_THz=attempt_frequency_THz, rng=rng)
        res = diffusion(traj, temperature_K=float(t), drift_correction="none")
        if res.ok:
            d[k], ds[k] = res.diffusivity_cm2_s.value, res.diffusivity_cm2_s.stderr
            s[k], ss[k] = res.conductivity_S_cm.value, res.conductivity_S_cm.stderr
    done = np.isfinite(d)  # a run too short for diffusion() stays out of the fits
    base_fit = {"target_K": target_K}
    return KMCArrheniusResult(
        formula=network.formula, lattice_A=float(np.linalg.norm(network.cell_A[0])),
        supercell=reps, n_carriers=int(n_carriers), n_li=n_li, n_sites=n_sites,
        temperatures_K=temps, diffusivity_cm2_s=d, diffusivity_stderr_cm2_s=ds,
        conductivity_S_cm=s, conductivity_stderr_S_cm=ss,
        network_barrier_eV=network.effective_barrier_eV,
        bvlain_barrier_eV=lowest(network.reference_percolation_eV),
        diffusivity_fit=arrhenius(temps[done], d[done], ds[done], quantity="diffusivity",
                                  **base_fit),
        conductivity_fit=arrhenius(temps[done], s[done], ss[done], quantity="conductivity",
                                   **base_fit),
        provenance=provenance(formula=network.formula, temperatures_K=temps,
                              n_carriers=n_carriers, supercell=reps, lattice_scale=lattice_scale,
                              resolution_A=resolution_A, n_samples=n_samples,
                              attempt_frequency_THz=attempt_frequency_THz))


# --- studies -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class FastPathStudy(Result):
    """KMC activation energy, D and sigma vs lattice scale and carrier (Li) fraction."""

    formula: str = ""
    runs: tuple = ()  # KMCArrheniusResult per (scale, carrier fraction)
    scales: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    carrier_fractions: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    reference_label: str = ""  # e.g. "seed 002 NEB (DFT)"
    reference_lattice_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    reference_barrier_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    labels: tuple = ()  # one per run, for studies over compositions / configurations

    title = "Fast path study: KMC barrier vs lattice and Li content"

    def table(self):
        rows = []
        for run in self.runs:
            fit_d, fit_s = run.diffusivity_fit, run.conductivity_fit
            ea = run.activation_energy_eV
            rows.append({
                "lattice_A": run.lattice_A, "occupancy": run.occupancy,
                "network_barrier_eV": run.network_barrier_eV,
                "bvlain_barrier_eV": run.bvlain_barrier_eV,
                "kmc_Ea_eV": ea.value, "kmc_Ea_stderr_eV": ea.stderr,
                f"D_{fit_d.target_K:g}K_cm2_s": fit_d.extrapolated.value,
                f"D_{fit_d.target_K:g}K_stderr_cm2_s": fit_d.extrapolated.stderr,
                f"sigma_{fit_s.target_K:g}K_S_cm": fit_s.extrapolated.value,
                f"sigma_{fit_s.target_K:g}K_stderr_S_cm": fit_s.extrapolated.stderr})
        return rows

    def summary(self):
        rows = [("structure", self.formula)]
        for k, run in enumerate(self.runs):
            fit = run.conductivity_fit
            what = (self.labels[k] if self.labels else
                    f"a = {run.lattice_A:.4g} A, occupancy {run.occupancy:.3g}")
            label = (f"{what}: "
                     f"KMC Ea (eV) | network | bvlain | sigma({fit.target_K:g} K) (S/cm)")
            value = (f"{run.activation_energy_eV} | {run.network_barrier_eV:.3f} | "
                     f"{run.bvlain_barrier_eV:.3f} | {fit.extrapolated}")
            rows.append((label, value))
        from ssblab.comparisons import comparison_rows

        compared = self.seed_comparisons()
        for a, e in zip(self.reference_lattice_A, self.reference_barrier_eV):
            if not any(f"a = {a:g} A" in c.quantity for c in compared):
                rows.append((f"{self.reference_label} at a = {a:g} A (eV), no model run at this lattice", e))
        return rows + comparison_rows(compared)

    def seed_comparisons(self):
        """KMC activation energy at each reference lattice that was run (predicted, nothing fitted)."""
        from ssblab.comparisons import PREDICTED, SeedComparison

        seed = self.reference_label.split(" NEB")[0] if self.reference_label.startswith("seed") else ""
        out = []
        for a, e in zip(self.reference_lattice_A, self.reference_barrier_eV):
            runs = [r for r in self.runs if abs(r.lattice_A - a) < 1e-3]
            if seed and runs:
                out.append(SeedComparison(
                    seed=seed, quantity=f"KMC Ea (BVSE landscape) at a = {a:g} A vs {self.reference_label}",
                    unit="eV", model=float(runs[0].activation_energy_eV.value), measured=float(e),
                    status=PREDICTED, note="BVSE energies are not NEB barriers"))
        return out

    def _draw(self, ax, **kwargs):
        if self.labels:
            x = np.arange(len(self.runs))
            ea = [r.activation_energy_eV for r in self.runs]
            ax.errorbar(x, [e.value for e in ea], yerr=[e.stderr for e in ea], fmt="o",
                        label="KMC Ea")
            ax.plot(x, [r.network_barrier_eV for r in self.runs], "k_", ms=14,
                    label="network percolation")
            ax.set_xticks(x, self.labels, rotation=20, fontsize=7, ha="right")
            ax.set_ylabel("barrier / activation energy (eV)")
            ax.legend(fontsize=8)
            return
        for k, f in enumerate(self.carrier_fractions):
            runs = self.runs[k::len(self.carrier_fractions)]
            a = [r.lattice_A for r in runs]
            ax.errorbar(a, [r.activation_energy_eV.value for r in runs],
                        yerr=[r.activation_energy_eV.stderr for r in runs], fmt="o-",
                        color=f"C{k}", label=f"KMC Ea, Li occupancy {f:g}")
        runs = self.runs[::len(self.carrier_fractions)]
        a = [r.lattice_A for r in runs]
        ax.plot(a, [r.network_barrier_eV for r in runs], "k--", label="network percolation")
        ax.plot(a, [r.bvlain_barrier_eV for r in runs], "k:", label="bvlain percolation")
        if self.reference_lattice_A.size:
            ax.plot(self.reference_lattice_A, self.reference_barrier_eV, "s", color="C3",
                    label=self.reference_label)
        ax.set_xlabel("lattice parameter a (A)")
        ax.set_ylabel("barrier / activation energy (eV)")
        ax.set_title(self.formula)
        ax.legend(fontsize=8)


def fastpath_study(structure, *, scales=(1.0,), lattice_A=None, carrier_fractions=(0.05,),
                   temperatures_K=DEFAULT_TEMPERATURES_K, supercell=None,
                   resolution_A: float = 0.2, mobile_ion: str = "Li1+",
                   n_samples: int | None = None, target_K: float = 300.0,
                   rng: int | np.random.Generator = 0, reference=None) -> FastPathStudy:
    """:func:`kmc_vs_temperature` at each lattice scale x carrier fraction of ``structure``.

    ``lattice_A`` (lengths of the first cell vector) replaces ``scales``. A carrier fraction
    below 1 is a Li vacancy fraction (seed 000: 24.1 % pristine, 28.6 % hot-pressed);
    ``reference = (label, lattice_A, barrier_eV)`` is drawn beside the results (e.g. NEB).
    The BVSE network is built once per scale.
    """
    from ssblab.atomistic.bvse import bvse_network
    from ssblab.progress import progress

    atoms = as_atoms(structure)
    if lattice_A is not None:
        scales = np.atleast_1d(np.asarray(lattice_A, float)) / np.linalg.norm(atoms.cell[0])
    scales = np.atleast_1d(np.asarray(scales, float))
    fractions = np.atleast_1d(np.asarray(carrier_fractions, float))
    if np.any(scales <= 0.5) or np.any(scales >= 2.0):
        raise InputError(f"scales: expected factors between 0.5 and 2, found {scales.tolist()}")
    rng = np.random.default_rng(rng)
    runs = []
    for s in progress(scales, total=len(scales), desc="lattice scales"):
        scaled = atoms.copy()
        scaled.set_cell(atoms.cell * s, scale_atoms=True)
        network = bvse_network(scaled, mobile_ion=mobile_ion, resolution_A=resolution_A)
        for f in fractions:
            runs.append(kmc_vs_temperature(
                network, temperatures_K=temperatures_K, carrier_fraction=float(f),
                supercell=supercell, n_samples=n_samples, target_K=target_K, rng=rng))
    label, ref_a, ref_e = reference if reference is not None else ("", (), ())
    return FastPathStudy(
        formula=atoms.get_chemical_formula(), runs=tuple(runs), scales=scales,
        carrier_fractions=fractions, reference_label=label,
        reference_lattice_A=np.asarray(ref_a, float), reference_barrier_eV=np.asarray(ref_e, float),
        provenance=provenance(formula=atoms.get_chemical_formula(), scales=scales,
                              carrier_fractions=fractions, temperatures_K=temperatures_K,
                              supercell=supercell, resolution_A=resolution_A,
                              n_samples=n_samples))


# seed 002: DFT oct-tet-oct vacancy-hop barrier in LiCl against the lattice parameter
SEED002_NEB = ("seed 002 NEB (DFT)", ref.LICL_NEB_LATTICE_A.value, ref.LICL_NEB_BARRIER_eV.value)


#: the seed's two lattice parameters and three more around them
LICL_LATTICE_GRID_A = tuple(sorted({5.13, 5.20, 5.25, *ref.LICL_NEB_LATTICE_A.value}))


def licl_lattice_study(*, lattice_A=LICL_LATTICE_GRID_A, **options) -> FastPathStudy:
    """Seed 002's question on the fast path: LiCl's barrier and D as the lattice expands.

    The seed's NEB barriers are drawn beside the KMC activation energies as a cross-check
    (nothing is fitted to them).
    """
    return fastpath_study("LiCl", lattice_A=lattice_A, reference=SEED002_NEB, **options)


# seed 000 (Rietveld, C2/m Li3InCl6): Li vacancy fraction and cell volume (A^3) of the pristine
# and the hot-pressed (0.5 GPa, 250 C) powder
SEED000_REFINEMENT = {"pristine": ref.values("LIC_PRISTINE_LI_VACANCY", "LIC_PRISTINE_VOLUME_A3"),
                      "hot-pressed": ref.values("LIC_HOT_LI_VACANCY", "LIC_HOT_VOLUME_A3")}


def vacancy_expansion_study(structure, **options) -> FastPathStudy:
    """Seed 000's argument on the fast path: more Li vacancies and a larger cell.

    Runs :func:`fastpath_study` on ``structure`` at the pristine and the hot-pressed Li
    occupancy (1 - refined Li vacancy fraction) and cell scale ((V_hot / V_pristine)^(1/3),
    from the refined volumes), all four combinations, so the two effects can be told apart.
    The structure's own Li count is the reference for the occupancy.
    """
    (vac_p, vol_p), (vac_h, vol_h) = SEED000_REFINEMENT.values()
    return fastpath_study(structure, scales=(1.0, (vol_h / vol_p) ** (1 / 3)),
                          carrier_fractions=(1 - vac_p, 1 - vac_h), **options)


def seed000_fastpath_study(*, supercell=(2, 1, 2), n_configurations: int = 2,
                           temperatures_K=DEFAULT_TEMPERATURES_K, resolution_A: float = 0.3,
                           n_samples: int | None = None,
                           rng: int | np.random.Generator = 0) -> FastPathStudy:
    """Seed 000 on the fast path: pristine vs hot-pressed Li3InCl6, vacancy-ordered.

    For each of seed 000's refined compositions (``materials.defects.SEED000_COMPOSITIONS``:
    Li, In and Cl vacancy fractions and cell volume) the ideal C2/m framework
    (``materials.prototypes.layered_rocksalt_framework``) is scaled to the refined volume,
    ``n_configurations`` neutral, low-Ewald-energy vacancy orderings are drawn on the
    ``supercell`` of the conventional cell (``materials.defects.order_vacancies``), and each
    goes through BVSE -> network -> KMC with every Li of the configuration as a carrier.
    """
    from ssblab.atomistic.bvse import bvse_network
    from ssblab.materials.defects import SEED000_COMPOSITIONS, configuration_structure, order_vacancies
    from ssblab.materials.prototypes import layered_rocksalt_framework
    from ssblab.progress import progress

    rng = np.random.default_rng(rng)
    framework = layered_rocksalt_framework(primitive=False)
    jobs = []
    for spec in SEED000_COMPOSITIONS:
        cell = framework.copy()
        cell.scale_lattice(float(spec.cell_volume_A3))
        configs = order_vacancies(cell, dict(spec.vacancy_fractions),
                                  oxidation_states={"Li": 1, "In": 3, "Cl": -1},
                                  supercell=supercell, n_configurations=n_configurations,
                                  rng=rng)
        jobs += [(f"{spec.label} #{c} {configs.formula}", configuration_structure(cell, configs, c))
                 for c in range(n_configurations)]
    runs, labels = [], []
    for label, structure in progress(jobs, total=len(jobs), desc="configurations"):
        network = bvse_network(as_atoms(structure), resolution_A=resolution_A,
                               compare_bvlain=False)
        runs.append(kmc_vs_temperature(network, temperatures_K=temperatures_K,
                                       carrier_fraction=1.0, n_samples=n_samples, rng=rng))
        labels.append(label)
    return FastPathStudy(
        formula="Li3InCl6 (C2/m framework, vacancy-ordered)", runs=tuple(runs),
        scales=np.ones(len(runs)), carrier_fractions=np.ones(1), labels=tuple(labels),
        provenance=provenance(supercell=supercell, n_configurations=n_configurations,
                              temperatures_K=temperatures_K, resolution_A=resolution_A,
                              n_samples=n_samples))
