"""The seed workflows: Li3InCl6 conductivity vs relative density (seed 000) and LPSC/LGPS mixtures
(seed 003).

Numbers from the seed papers (also in ``shared/reference/seed_targets.yaml``):

- Seed 000, Li et al., Li3InCl6 cold vs hot pressing: relative density and 25 degC
  conductivity of three pellets (cold 0.125 GPa, cold 0.5 GPa, hot 0.5 GPa-250 degC).
- Seed 003, Yu et al., heterogeneous LPSC + LGPS: cold-pressed Li6PS5Cl (LPSC1.0) and
  Li10GeP2S12 conductivities, mixed 9:1, 8:2 and 7:3 by mass.

The values are in :mod:`ssblab.reference`.

Phase densities are crystallographic, from the formula mass and the unit cell:
Li6PS5Cl F-43m, a = 9.85 A, Z = 4 (Deiseroth et al., Angew. Chem. Int. Ed. 47, 755 (2008))
-> 1.87 g/cm3; Li10GeP2S12 P4_2/nmc, a = 8.7177 A, c = 12.6361 A, Z = 2 (Kamaya et al., Nat.
Mater. 10, 682 (2011)) -> 2.04 g/cm3.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from ssblab import reference as ref
from ssblab.errors import InputError, check_choice
from ssblab.microstructure.generate import Packing, mixture, pellet
from ssblab.microstructure.solve import Direction, solve
from ssblab.progress import progress
from ssblab.results import Measured, Result, provenance
from ssblab.units import AVOGADRO_mol

# Seed 000 (Li et al.): relative density (%) and 25 degC conductivity (S/cm) of pressed Li3InCl6.
# The pellets: cold 0.125 GPa, cold 0.5 GPa, hot 0.5 GPa 250 degC.
SEED000_RELATIVE_DENSITY = ref.values("LIC_COLD_0125GPA_DENSITY", "LIC_COLD_05GPA_DENSITY", "LIC_HOT_DENSITY")
SEED000_CONDUCTIVITY_S_cm = ref.values("LIC_COLD_0125GPA_SIGMA_S_cm", "LIC_COLD_05GPA_SIGMA_S_cm",
                                       "LIC_HOT_SIGMA_S_cm")
# Default bulk value: the hot-pressed (0.5 GPa, 250 degC) pellet of seed 000, the densest
# measured, hence a lower bound of the true bulk.
LI3INCL6_BULK_S_cm = ref.LIC_HOT_SIGMA_S_cm.value
# Seed 003 (Yu et al.): cold-pressed conductivities (S/cm).
LPSC_S_cm = ref.LPSC_SIGMA_S_cm.value
LGPS_S_cm = ref.LGPS_SIGMA_S_cm.value


def crystal_density_g_cm3(formula_mass_g_mol: float, cell_volume_A3: float, z: int) -> float:
    """Crystallographic density ``Z M / (N_A V)``.

    Examples
    --------
    >>> round(crystal_density_g_cm3(LGPS_FORMULA_MASS, 8.7177**2 * 12.6361, 2), 2)
    2.04
    """
    return z * formula_mass_g_mol / (AVOGADRO_mol * cell_volume_A3 * 1e-24)


_MASS = {"Li": 6.94, "P": 30.974, "S": 32.06, "Cl": 35.45, "Ge": 72.630}
LPSC_FORMULA_MASS = 6 * _MASS["Li"] + _MASS["P"] + 5 * _MASS["S"] + _MASS["Cl"]
LGPS_FORMULA_MASS = 10 * _MASS["Li"] + _MASS["Ge"] + 2 * _MASS["P"] + 12 * _MASS["S"]
LPSC_DENSITY_g_cm3 = crystal_density_g_cm3(LPSC_FORMULA_MASS, 9.85**3, 4)
LGPS_DENSITY_g_cm3 = crystal_density_g_cm3(LGPS_FORMULA_MASS, 8.7177**2 * 12.6361, 2)


def fit_bruggeman(relative_density, sigma_S_cm, *, bulk_S_cm: float) -> Measured:
    """Fit ``sigma = sigma_bulk * rho**alpha`` (least squares in log space, line through 0).

    Examples
    --------
    >>> round(fit_bruggeman([0.6, 0.8, 0.9], [0.6**1.5, 0.8**1.5, 0.9**1.5], bulk_S_cm=1.0).value, 6)
    1.5
    """
    x = np.log(np.asarray(relative_density, float))
    y = np.log(np.asarray(sigma_S_cm, float) / bulk_S_cm)
    if x.size < 1 or np.any(~np.isfinite(y)):
        raise InputError("fit_bruggeman: need positive conductivities and densities")
    alpha = float(np.sum(x * y) / np.sum(x * x))
    dof = x.size - 1
    stderr = math.sqrt(np.sum((y - alpha * x) ** 2) / dof / np.sum(x * x)) if dof > 0 else math.nan
    return Measured(alpha, stderr, "")


@dataclasses.dataclass(frozen=True, kw_only=True)
class DensityStudy(Result):
    """Effective conductivity and tortuosity of generated pellets against relative density."""

    title = "Li3InCl6: conductivity vs relative density (seed 000)"

    bulk_S_cm: float = LI3INCL6_BULK_S_cm
    relative_density: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    sigma_eff_S_cm: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    tortuosity_factor: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    connected_fraction: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    measured_density: np.ndarray = dataclasses.field(
        default_factory=lambda: np.array(SEED000_RELATIVE_DENSITY))
    measured_S_cm: np.ndarray = dataclasses.field(default_factory=lambda: np.array(SEED000_CONDUCTIVITY_S_cm))
    model_at_measured_S_cm: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    bruggeman_model: Measured = Measured(math.nan)
    bruggeman_measured: Measured = Measured(math.nan)
    packing: str = "overlapping"
    shape: tuple = ()

    def summary(self):
        rows = [("bulk conductivity (S/cm)", self.bulk_S_cm),
                ("packing", self.packing),
                ("Bruggeman exponent, generated pellets (-)", str(self.bruggeman_model)),
                ("Bruggeman exponent, seed 000 measurements (-)", str(self.bruggeman_measured))]
        from ssblab.comparisons import comparison_rows

        return rows + comparison_rows(self.seed_comparisons())

    def seed_comparisons(self):
        """Model conductivity at each measured density (predicted from the bulk value)."""
        from ssblab.comparisons import PREDICTED, SeedComparison

        return [SeedComparison(seed="seed 000", quantity=f"sigma at {100 * rho:.2f} % density", unit="mS/cm",
                               model=1e3 * float(model), measured=1e3 * float(meas), status=PREDICTED,
                               note=f"generated pellets at bulk {1e3 * self.bulk_S_cm:g} mS/cm")
                for rho, meas, model in zip(self.measured_density, self.measured_S_cm,
                                            self.model_at_measured_S_cm)]

    def table(self):
        return [{"relative density (%)": round(100 * float(r), 2), "sigma_eff (S/cm)": float(s),
                 "tortuosity factor (-)": float(t), "connected fraction (-)": float(c)}
                for r, s, t, c in zip(self.relative_density, self.sigma_eff_S_cm,
                                      self.tortuosity_factor, self.connected_fraction)]

    def _draw(self, ax):
        rho = np.linspace(0.5, 1.0, 100)
        ax.semilogy(100 * self.relative_density, 1e3 * self.sigma_eff_S_cm, "o-",
                    label="generated pellets (voxel solver)")
        ax.semilogy(100 * self.measured_density, 1e3 * self.measured_S_cm, "s", ms=8,
                    label="seed 000 measured (25 °C)")
        ax.semilogy(100 * rho, 1e3 * self.bulk_S_cm * rho ** self.bruggeman_model.value, ":",
                    label=f"Bruggeman fit, alpha = {self.bruggeman_model.value:.2f}")
        ax.axhline(1e3 * self.bulk_S_cm, color="grey", lw=0.8, label="bulk value")
        ax.set_xlabel("relative density (%)")
        ax.set_ylabel("conductivity (mS/cm)")
        ax.legend(fontsize=7)


def density_study(densities: Sequence[float] = tuple(np.round(np.arange(0.55, 0.951, 0.05), 2)), *,
                  bulk_S_cm: float = LI3INCL6_BULK_S_cm, shape: tuple[int, int, int] = (64, 64, 64),
                  grain_radius_voxels: float = 4.0, radius_spread: float = 0.25,
                  packing: Packing = "overlapping", direction: Direction = "z",
                  rng: np.random.Generator | int | None = 0) -> DensityStudy:
    """sigma_eff and tortuosity of generated pellets (one per density) beside seed 000.

    Grains conduct with ``bulk_S_cm``; voids are insulating; grain boundaries are not
    resistive (seed 000 found voids, not boundaries, to dominate). The Bruggeman exponent is
    fitted to the generated pellets and, with the same bulk value, to the measured points.
    """
    check_choice(packing, Packing, name="packing")
    check_choice(direction, Direction, name="direction")
    densities = np.asarray(densities, float)
    if densities.size == 0 or np.any((densities <= 0) | (densities > 1)):
        raise InputError(f"densities: expected relative densities in (0, 1], found {densities.tolist()}")
    if not bulk_S_cm > 0:
        raise InputError(f"bulk_S_cm: expected a positive conductivity, found {bulk_S_cm!r}")
    rng = np.random.default_rng(rng)
    sigma, tau, connected = [], [], []
    for rho in progress(densities, total=densities.size, desc="density study"):
        p = pellet(shape, relative_density=float(rho), grain_radius_voxels=grain_radius_voxels,
                   radius_spread=radius_spread, packing=packing, rng=rng)
        r = solve(p.labels, [0.0, bulk_S_cm], direction=direction, keep_fields=False)
        sigma.append(r.sigma_eff_S_cm)
        tau.append(r.tortuosity_factor)
        connected.append(r.connected_fraction)
    sigma = np.array(sigma)
    conducting = sigma > 0
    model = fit_bruggeman(densities[conducting], sigma[conducting], bulk_S_cm=bulk_S_cm) \
        if conducting.any() else Measured(math.nan)
    order = np.argsort(densities)
    at_measured = np.exp(np.interp(SEED000_RELATIVE_DENSITY, densities[order],
                                   np.log(np.maximum(sigma[order], 1e-300))))
    return DensityStudy(
        bulk_S_cm=bulk_S_cm, relative_density=densities, sigma_eff_S_cm=sigma,
        tortuosity_factor=np.array(tau), connected_fraction=np.array(connected),
        model_at_measured_S_cm=at_measured, bruggeman_model=model,
        bruggeman_measured=fit_bruggeman(SEED000_RELATIVE_DENSITY, SEED000_CONDUCTIVITY_S_cm,
                                         bulk_S_cm=bulk_S_cm),
        packing=packing, shape=tuple(shape),
        provenance=provenance(densities=densities, bulk_S_cm=bulk_S_cm, shape=shape,
                              grain_radius_voxels=grain_radius_voxels, packing=packing))


@dataclasses.dataclass(frozen=True, kw_only=True)
class MixtureStudy(Result):
    """Effective conductivity and current sharing of LPSC/LGPS mixtures (seed 003)."""

    title = "LPSC/LGPS mixtures: conductivity and current sharing (seed 003)"

    mass_fraction_lgps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    volume_fraction_lgps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    sigma_eff_S_cm: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    current_share_lgps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    anode_area_share_lgps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    anode_current_share_lgps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    hot_spot_top1_share: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    parallel_share_lgps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    conductivities_S_cm: tuple = (LPSC_S_cm, LGPS_S_cm)
    densities_g_cm3: tuple = ()

    def summary(self):
        rows = [("LPSC / LGPS conductivity (mS/cm)",
                 f"{1e3 * self.conductivities_S_cm[0]:.3g} / {1e3 * self.conductivities_S_cm[1]:.3g}"),
                ("LPSC / LGPS density (g/cm3)",
                 f"{self.densities_g_cm3[0]:.3g} / {self.densities_g_cm3[1]:.3g}")]
        from ssblab.comparisons import comparison_rows

        comparisons = self.seed_comparisons()
        if not comparisons:
            for row in self.table():
                rows.append((f"{row['LGPS mass (%)']:.0f} % LGPS by mass: sigma_eff (mS/cm)",
                             row["sigma_eff (mS/cm)"]))
        return rows + comparison_rows(comparisons)

    def seed_comparisons(self):
        """Each mixture's sigma_eff beside LPSC1.0's measured conductivity (predicted).

        Seed 003 gives no number for its mixtures' conductivity, only that mixing LGPS in does
        not lower it (Fig. S5); the seed value beside each row is the host's, LPSC1.0's. With
        other conductivities than seed 003's there is nothing to compare with.
        """
        from ssblab.comparisons import PREDICTED, SeedComparison

        if not np.allclose(self.conductivities_S_cm, (LPSC_S_cm, LGPS_S_cm), rtol=1e-9, atol=0):
            return []
        return [SeedComparison(seed="seed 003", quantity=f"sigma_eff, LPSC1.0 + {100 * w:.0f} % LGPS by mass "
                                                         "(seed: no loss vs LPSC1.0)", unit="mS/cm",
                               model=1e3 * float(s), measured=1e3 * LPSC_S_cm, status=PREDICTED,
                               note="from the two phases' measured conductivities on generated mixtures; the "
                                    "seed value is LPSC1.0's own (seed 003 gives no mixture conductivity)")
                for w, s in zip(self.mass_fraction_lgps, self.sigma_eff_S_cm)]

    def table(self):
        return [{"LGPS mass (%)": 100 * float(w), "LGPS volume (%)": round(100 * float(v), 2),
                 "sigma_eff (mS/cm)": round(1e3 * float(s), 4),
                 "LGPS current share (-)": round(float(c), 4),
                 "parallel-resistor share (-)": round(float(p), 4),
                 "LGPS area at anode (-)": round(float(a), 4),
                 "LGPS current at anode (-)": round(float(i), 4),
                 "top 1 % voxels current share (-)": round(float(h), 4)}
                for w, v, s, c, p, a, i, h in zip(
                    self.mass_fraction_lgps, self.volume_fraction_lgps, self.sigma_eff_S_cm,
                    self.current_share_lgps, self.parallel_share_lgps, self.anode_area_share_lgps,
                    self.anode_current_share_lgps, self.hot_spot_top1_share)]

    def _draw(self, ax):
        x = 100 * self.mass_fraction_lgps
        bars = [(self.volume_fraction_lgps, "LGPS volume fraction"),
                (self.current_share_lgps, "LGPS share of current (bulk)"),
                (self.parallel_share_lgps, "parallel-resistor picture"),
                (self.anode_area_share_lgps, "LGPS area at anode face"),
                (self.anode_current_share_lgps, "LGPS share of current at anode face")]
        width = 1.5
        for k, (values, label) in enumerate(bars):
            ax.bar(x + (k - 2) * width, values, width, label=label)
        ax.set_xlabel("LGPS mass fraction (%)")
        ax.set_ylabel("fraction (-)")
        ax.legend(fontsize=7)


def mixture_study(mass_fractions: Sequence[float] = (0.1, 0.2, 0.3), *,
                  conductivities_S_cm: tuple[float, float] = (LPSC_S_cm, LGPS_S_cm),
                  densities_g_cm3: tuple[float, float] = (LPSC_DENSITY_g_cm3, LGPS_DENSITY_g_cm3),
                  radii_voxels: tuple[float, float] = (5.0, 3.0), relative_density: float = 1.0,
                  shape: tuple[int, int, int] = (64, 64, 64), direction: Direction = "z",
                  rng: np.random.Generator | int | None = 0) -> MixtureStudy:
    """Effective conductivity and current sharing of LPSC + LGPS mixtures at given mass fractions.

    Seed 003 reports larger LPSC than LGPS particles, hence the default radii (5 vs 3 voxels).
    The anode is the inlet face (first layer along ``direction``). The parallel-resistor
    picture gives LGPS a current share ``v sigma_B / (v sigma_B + (1 - v) sigma_A)``.
    """
    check_choice(direction, Direction, name="direction")
    fractions = np.asarray(mass_fractions, float)
    if fractions.size == 0 or np.any((fractions < 0) | (fractions > 1)):
        raise InputError(f"mass_fractions: expected fractions in [0, 1], found {fractions.tolist()}")
    rng = np.random.default_rng(rng)
    sa, sb = conductivities_S_cm
    rows = []
    for w in progress(fractions, total=fractions.size, desc="mixture study"):
        labels = mixture(shape, fraction=float(w), basis="mass", densities_g_cm3=densities_g_cm3,
                         radii_voxels=radii_voxels, relative_density=relative_density, rng=rng)
        r = solve(labels, [0.0, sa, sb], direction=direction, keep_fields=False)
        v = float(np.mean(labels == 2) / np.mean(labels > 0))
        rows.append((v, r.sigma_eff_S_cm, r.phase_current_share.get(2, 0.0),
                     r.inlet_area_share.get(2, 0.0), r.inlet_current_share.get(2, 0.0),
                     r.hot_spot_top1_share, v * sb / (v * sb + (1 - v) * sa)))
    v, s, c, a, i, h, p = (np.array(col) for col in zip(*rows))
    return MixtureStudy(
        mass_fraction_lgps=fractions, volume_fraction_lgps=v, sigma_eff_S_cm=s,
        current_share_lgps=c, anode_area_share_lgps=a, anode_current_share_lgps=i,
        hot_spot_top1_share=h, parallel_share_lgps=p, conductivities_S_cm=tuple(conductivities_S_cm),
        densities_g_cm3=tuple(densities_g_cm3),
        provenance=provenance(mass_fractions=fractions, conductivities_S_cm=conductivities_S_cm,
                              densities_g_cm3=densities_g_cm3, radii_voxels=radii_voxels,
                              relative_density=relative_density, shape=shape))
