"""Seed comparisons run on the cell models (the numbers in docs/validation.md, "Cell models").

:func:`seed000_rate_study` asks how much of seed 000's cold- vs hot-pressed rate table the
conductivity difference (cold 0.5 GPa vs hot-pressed film, ``ssblab.reference``) explains.
Seed 000 does not give the cell geometry; the assumed values are in :func:`seed000_cell` and
docs/cell.md. Two readings are reported:

- *nominal*: assumed geometry and literature transport, nothing fitted to the table;
- *profile fit*: for each of a few fixed particle diffusivities, the Li3InCl6-limited
  resistance (as a layer thickness) is fitted to the hot-pressed table only, and the
  cold-pressed table is predicted by changing only the conductivity. The hot table alone does
  not separate diffusion-limited from ohmic-limited rate loss, so the spread of the
  predictions over the profile is reported, not one number.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

import numpy as np

from ssblab import reference as ref
from ssblab.cell.full import FullCell, Layer, rate_capability
from ssblab.cell.parameters import CATHODES
from ssblab.comparisons import PREDICTED, SeedComparison, SeedComparisons, comparison_rows
from ssblab.errors import check_choice
from ssblab.results import Result, provenance

#: the two readings of the rate study: assumed geometry only, or the best fit to the hot table
Reading = Literal["nominal", "fitted"]

# seed 000 (Li et al.), Figure 6A/B: discharge capacity (mAh/g) of NCM83|LIC-LPSCl|Li, 2.7-4.3 V
# (the cold film is the optimised 0.5 GPa one; the cold cell was not run at 1.5 C)
SEED000_RATES_C = ref.NCM83_RATES_C.value
SEED000_MEASURED_MAH_G = {"cold": (*ref.NCM83_COLD_MAH_G.value, float("nan")),
                          "hot": ref.NCM83_HOT_MAH_G.value}
SEED000_CONDUCTIVITY_S_CM = {"cold": ref.LIC_COLD_05GPA_SIGMA_S_cm.value,
                             "hot": ref.LIC_HOT_SIGMA_S_cm.value}
# seed 001's Li6PS5Cl (seed 000 uses an LPSCl interlayer)
LPSCL_CONDUCTIVITY_S_CM = ref.LPSCL_SIGMA_S_cm.value


def seed000_cell(conductivity_S_cm: float, *, lic_thickness_cm: float = 0.04,
                 diffusivity_cm2_s: float | None = None, **overrides) -> FullCell:
    """NCM83 | Li3InCl6 + Li6PS5Cl interlayer | Li with Li3InCl6 as catholyte.

    Assumed (seed 000 gives none of these): 10 mg/cm2 NCM83 (~2 mAh/cm2), NCM83:LIC 70:30 by
    mass in a 45 um composite (catholyte volume fraction 0.37 from the X-ray densities 4.78
    and 2.72 g/cm3 at 15 % porosity), a 400 um LIC layer and a 200 um LPSCl interlayer.
    """
    cathode = CATHODES["NCM83"]
    if diffusivity_cm2_s is not None:
        cathode = dataclasses.replace(cathode, diffusivity_cm2_s=diffusivity_cm2_s)
    params = dict(cathode=cathode, anode="Li", loading_mg_cm2=10.0, cathode_thickness_cm=45e-4,
                  catholyte_conductivity_S_cm=conductivity_S_cm, catholyte_volume_fraction=0.37,
                  separator=(Layer(name="Li3InCl6", thickness_cm=lic_thickness_cm,
                                   conductivity_S_cm=conductivity_S_cm),
                             Layer(name="Li6PS5Cl", thickness_cm=0.02,
                                   conductivity_S_cm=LPSCL_CONDUCTIVITY_S_CM)))
    params.update(overrides)
    return FullCell(**params)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RateStudy(Result):
    """Model vs measured rate tables for two processing routes.

    ``profile_*`` arrays have one row per fixed particle diffusivity: for each, the Li3InCl6
    layer thickness is fitted to the hot-pressed table and the cold-pressed table predicted.
    """

    c_rates: np.ndarray
    measured_cold_mAh_g: np.ndarray
    measured_hot_mAh_g: np.ndarray
    nominal_cold_mAh_g: np.ndarray
    nominal_hot_mAh_g: np.ndarray
    profile_diffusivity_cm2_s: np.ndarray
    profile_lic_thickness_cm: np.ndarray
    profile_hot_mAh_g: np.ndarray
    profile_cold_mAh_g: np.ndarray
    profile_rms_hot_mAh_g: np.ndarray
    note: str = ""

    title: ClassVar[str] = "Seed 000: cold- vs hot-pressed Li3InCl6 rate table"

    @property
    def best(self) -> int:
        return int(np.argmin(self.profile_rms_hot_mAh_g))

    @property
    def fitted_hot_mAh_g(self) -> np.ndarray:
        return self.profile_hot_mAh_g[self.best]

    @property
    def fitted_cold_mAh_g(self) -> np.ndarray:
        return self.profile_cold_mAh_g[self.best]

    def explained_gap(self, which: Reading = "fitted", c_rate: float = 1.0) -> float:
        """Fraction of the measured hot-cold capacity gap at ``c_rate`` that the model reproduces."""
        check_choice(which, Reading, name="which")
        k = int(np.argmin(np.abs(self.c_rates - c_rate)))
        hot, cold = ((self.fitted_hot_mAh_g, self.fitted_cold_mAh_g) if which == "fitted"
                     else (self.nominal_hot_mAh_g, self.nominal_cold_mAh_g))
        model = hot[k] - cold[k]
        return float(model / (self.measured_hot_mAh_g[k] - self.measured_cold_mAh_g[k]))

    def seed_comparisons(self) -> list[SeedComparison]:
        """Nominal (predicted), best profile fit (hot: fitted to the hot table; cold: predicted)."""
        out = []
        fit = "fitted to seed 000's hot-pressed rate table (Li3InCl6-limited resistance)"
        for k, c in enumerate(self.c_rates):
            for route, measured in (("cold", self.measured_cold_mAh_g), ("hot", self.measured_hot_mAh_g)):
                if not np.isfinite(measured[k]):
                    continue
                out.append(SeedComparison(seed="seed 000", quantity=f"{route} {c:g} C, nominal", unit="mAh/g",
                                          model=float(getattr(self, f"nominal_{route}_mAh_g")[k]),
                                          measured=float(measured[k]), status=PREDICTED))
                out.append(SeedComparison(seed="seed 000", quantity=f"{route} {c:g} C, best profile fit",
                                          unit="mAh/g",
                                          model=float(getattr(self, f"fitted_{route}_mAh_g")[k]),
                                          measured=float(measured[k]),
                                          status=fit if route == "hot" else PREDICTED))
        return out

    def summary(self):
        b = self.best
        return [("fitted on", "hot-pressed table only; cold predicted"),
                ("gap explained at 0.5 C, nominal (-)", self.explained_gap("nominal", 0.5)),
                ("gap explained at 1 C, nominal (-)", self.explained_gap("nominal", 1.0)),
                ("best fit: NCM83 diffusivity (cm2/s)", float(self.profile_diffusivity_cm2_s[b])),
                (f"best fit: Li3InCl6-limited ASR at {SEED000_CONDUCTIVITY_S_CM['hot'] * 1e3:g} mS/cm "
                 "(ohm cm2)",
                 float(self.profile_lic_thickness_cm[b] / SEED000_CONDUCTIVITY_S_CM["hot"])),
                ("best fit: RMS error on hot table (mAh/g)", float(self.profile_rms_hot_mAh_g[b])),
                ("gap explained at 1 C, best fit (-)", self.explained_gap("fitted", 1.0)),
                ("predicted cold 0.5 C over the profile (mAh/g)",
                 f"{self.profile_cold_mAh_g[:, 0].min():.0f}-{self.profile_cold_mAh_g[:, 0].max():.0f}"),
                ("predicted cold 1 C over the profile (mAh/g)",
                 f"{self.profile_cold_mAh_g[:, 1].min():.0f}-{self.profile_cold_mAh_g[:, 1].max():.0f}"),
                *comparison_rows(self.seed_comparisons())]

    def table(self):
        rows = [{"model": "measured (seed 000)", **{f"cold {c:g} C": float(v) for c, v in
                                                     zip(self.c_rates, self.measured_cold_mAh_g)},
                 **{f"hot {c:g} C": float(v) for c, v in zip(self.c_rates, self.measured_hot_mAh_g)}},
                {"model": "nominal (nothing fitted)",
                 **{f"cold {c:g} C": float(v) for c, v in zip(self.c_rates, self.nominal_cold_mAh_g)},
                 **{f"hot {c:g} C": float(v) for c, v in zip(self.c_rates, self.nominal_hot_mAh_g)}}]
        for d, L, hot, cold, rms in zip(self.profile_diffusivity_cm2_s, self.profile_lic_thickness_cm,
                                        self.profile_hot_mAh_g, self.profile_cold_mAh_g,
                                        self.profile_rms_hot_mAh_g):
            asr = L / SEED000_CONDUCTIVITY_S_CM["hot"]
            rows.append({"model": f"D = {d:.2g} cm2/s, LIC ASR(hot) {asr:.0f} ohm cm2 (fit RMS {rms:.1f})",
                         **{f"cold {c:g} C": float(v) for c, v in zip(self.c_rates, cold)},
                         **{f"hot {c:g} C": float(v) for c, v in zip(self.c_rates, hot)}})
        return rows

    def _draw(self, ax, **kwargs):
        c = self.c_rates
        ax.plot(c, self.measured_hot_mAh_g, "s", color="C3", label="hot, seed 000")
        ax.plot(c, self.measured_cold_mAh_g, "o", color="C0", label="cold, seed 000")
        ax.fill_between(c, self.profile_cold_mAh_g.min(axis=0), self.profile_cold_mAh_g.max(axis=0),
                        color="C0", alpha=0.2, label="cold, predicted (profile)")
        ax.plot(c, self.fitted_hot_mAh_g, "-", color="C3", label="hot, best fit")
        ax.plot(c, self.fitted_cold_mAh_g, "-", color="C0", label="cold, best fit predicted")
        ax.plot(c, self.nominal_hot_mAh_g, ":", color="C3", label="hot, nominal")
        ax.plot(c, self.nominal_cold_mAh_g, ":", color="C0", label="cold, nominal")
        ax.set_xlabel("C-rate (1/h)")
        ax.set_ylabel("discharge capacity (mAh/g)")
        ax.legend(fontsize=7)


def _table(sigma, rates, **kw):
    r = rate_capability(seed000_cell(sigma, **kw), (0.1, *rates), steps_per_half_cycle=150)
    return r.discharge_capacity_mAh_g[1:]


def seed000_rate_study(*, diffusivities_cm2_s=(4e-11, 1.5e-10, 1e-9, 1e-8)) -> RateStudy:
    """Nominal and profile-fitted comparison against seed 000's rate tables (a few seconds).

    For each fixed NCM83 diffusivity the Li3InCl6 layer thickness (i.e. every resistance that
    scales with 1/sigma_LIC) is fitted to the hot-pressed table; the cold-pressed table is then
    predicted with the conductivity changed to the cold film's and nothing else.
    """
    from scipy.optimize import least_squares

    rates = np.array(SEED000_RATES_C)
    hot_meas = np.array(SEED000_MEASURED_MAH_G["hot"])
    cold_meas = np.array(SEED000_MEASURED_MAH_G["cold"])
    s_cold, s_hot = SEED000_CONDUCTIVITY_S_CM["cold"], SEED000_CONDUCTIVITY_S_CM["hot"]
    thick, hot, cold, rms = [], [], [], []
    for d in diffusivities_cm2_s:
        def residual(p, d=d):
            model = _table(s_hot, rates, diffusivity_cm2_s=d, lic_thickness_cm=float(np.exp(p[0])))
            return (model - hot_meas) / 10

        starts = np.log([0.02, 0.1, 0.4])
        start = min(starts, key=lambda p: np.sum(residual([p]) ** 2))
        fit = least_squares(residual, [start], diff_step=1e-2)
        L = float(np.exp(fit.x[0]))
        thick.append(L)
        hot.append(_table(s_hot, rates, diffusivity_cm2_s=d, lic_thickness_cm=L))
        cold.append(_table(s_cold, rates, diffusivity_cm2_s=d, lic_thickness_cm=L))
        rms.append(float(np.sqrt(np.mean((hot[-1] - hot_meas) ** 2))))
    return RateStudy(
        c_rates=rates, measured_cold_mAh_g=cold_meas, measured_hot_mAh_g=hot_meas,
        nominal_cold_mAh_g=_table(s_cold, rates), nominal_hot_mAh_g=_table(s_hot, rates),
        profile_diffusivity_cm2_s=np.array(diffusivities_cm2_s, float),
        profile_lic_thickness_cm=np.array(thick), profile_hot_mAh_g=np.array(hot),
        profile_cold_mAh_g=np.array(cold), profile_rms_hot_mAh_g=np.array(rms),
        note="cold 1.5 C was not reported (nan); model capacities at 0.5/1/1.5 C after a 0.1 C cycle",
        provenance=provenance(diffusivities_cm2_s=diffusivities_cm2_s,
                              conductivities=SEED000_CONDUCTIVITY_S_CM))


@dataclasses.dataclass(frozen=True, kw_only=True)
class LifeStudy(Result):
    """Interphase growth fitted to one retention figure of seed 000, tested on the other."""

    fitted_growth_ohm_cm2_sqrt_h: float
    fit_retention: float
    fit_cycles: int
    fit_c_rate: float
    test_retention_model: float
    test_retention_measured: float
    test_cycles: int
    test_c_rate: float
    life_fit: object = None

    title: ClassVar[str] = "Seed 000: capacity retention from interphase growth"

    def seed_comparisons(self) -> list[SeedComparison]:
        fit_model = self.life_fit.retention_at(self.fit_cycles) if self.life_fit is not None else math.nan
        return [SeedComparison(seed="seed 000", unit="-", model=float(fit_model), measured=self.fit_retention,
                               quantity=f"retention after {self.fit_cycles} cycles at {self.fit_c_rate:g} C",
                               status="fitted to seed 000's retention at this rate (interphase growth k)"),
                SeedComparison(seed="seed 000", unit="-", model=self.test_retention_model,
                               measured=self.test_retention_measured, status=PREDICTED,
                               quantity=f"retention after {self.test_cycles} cycles "
                                        f"at {self.test_c_rate:g} C")]

    def summary(self):
        return [("fitted growth k in R = k sqrt(t) (ohm cm2 / sqrt(h))", self.fitted_growth_ohm_cm2_sqrt_h),
                *comparison_rows(self.seed_comparisons())]

    def _draw(self, ax, **kwargs):
        if self.life_fit is not None:
            self.life_fit._draw(ax)


def seed000_life_study() -> LifeStudy:
    """Fit ``R_int = k sqrt(t)`` to seed 000's retention at 0.5 C; predict its 0.1 C retention.

    The numbers are ``ssblab.reference.NCM83_HOT_RETENTION_05C`` (and ``_CYCLES_``) and
    ``NCM83_HOT_RETENTION_01C``.
    """
    from scipy.optimize import brentq

    from ssblab.cell.full import Protocol
    from ssblab.cell.life import Degradation, simulate_life

    cell = seed000_cell(SEED000_CONDUCTIVITY_S_CM["hot"])

    def life(k, rate, n):
        return simulate_life(cell, Protocol(charge_C=rate, discharge_C=rate), n_cycles=n,
                             degradation=Degradation(interphase_growth_ohm_cm2_sqrt_h=k), grid_points=10,
                             steps_per_half_cycle=100)

    fit_n, fit_q = int(ref.NCM83_HOT_CYCLES_05C.value), ref.NCM83_HOT_RETENTION_05C.value
    test_n, test_q = int(ref.NCM83_HOT_CYCLES_01C.value), ref.NCM83_HOT_RETENTION_01C.value
    k = brentq(lambda k: life(k, 0.5, fit_n).retention_at(fit_n) - fit_q, 1e-3, 10.0, xtol=1e-4)
    fitted = life(k, 0.5, fit_n)
    test = life(k, 0.1, test_n)
    return LifeStudy(fitted_growth_ohm_cm2_sqrt_h=float(k), fit_retention=fit_q, fit_cycles=fit_n,
                     fit_c_rate=0.5, test_retention_model=test.retention_at(test_n),
                     test_retention_measured=test_q, test_cycles=test_n, test_c_rate=0.1, life_fit=fitted,
                     provenance=provenance(study="seed000_life"))


def seed004_full_cell(*, separator_thickness_cm: float = 0.05, **overrides) -> FullCell:
    """SC-NMC811 | Li3YCl6 | Li-In as in seed 004 (57:40.5:2.5 composite, 3.0-4.3 V vs Li).

    Assumed (not in seed 004): 10 mg/cm2 NMC811 in a 50 um composite with a LYC volume fraction
    of 0.5 (from the mass ratio and the densities 4.78 / ~2.4 g/cm3), a 500 um LYC separator.
    Measured: LYC 0.51 mS/cm (seed 002), Li-In at 0.62 V with the cycled Li-In|LYC exchange
    current (seed 004). Use with ``one_C_mAh_g=200`` and the window shifted by 0.62 V.
    """
    params = dict(cathode="NCM811", anode="Li-In", loading_mg_cm2=10.0, cathode_thickness_cm=50e-4,
                  catholyte_conductivity_S_cm=ref.LYC_SIGMA_S_cm.value, catholyte_volume_fraction=0.5,
                  separator=(Layer(name="Li3YCl6", thickness_cm=separator_thickness_cm,
                                   conductivity_S_cm=ref.LYC_SIGMA_S_cm.value),))
    params.update(overrides)
    return FullCell(**params)


def seed004_symmetric_comparisons(li=None, li_in=None) -> SeedComparisons:
    """Seed 004's symmetric-cell features beside the model runs of the two presets.

    ``li`` and ``li_in`` are :class:`~ssblab.cell.symmetric_model.SymmetricSimulation` runs of
    :func:`~ssblab.cell.symmetric_model.seed004_li_cell` and ``seed004_li_in_cell`` at seed 004's
    protocol (0.2 mA/cm2, 1 h steps, long enough to pass 70 h). The Li curve is a calibration
    (three parameters on its three features); the Li-In overpotentials are predicted from the
    measured Rct values (only their settling time is fitted).
    """
    from ssblab import reference as ref

    items = []
    fit = "fitted to seed 004's Li curve (3 parameters on 3 features)"
    if li is not None:
        v = li.overpotential_mV
        k = int(np.argmax(v))
        after = int(np.argmin(np.abs(li.time_h - 70.0)))
        items += [SeedComparison(seed="seed 004", quantity="Li peak overpotential", unit="mV",
                                 model=float(v[k]),
                                 measured=1e3 * ref.LYC_LI_PEAK_V.value, status=fit),
                  SeedComparison(seed="seed 004", quantity="Li peak time", unit="h",
                                 model=float(li.time_h[k]),
                                 measured=ref.LYC_LI_PEAK_H.value, status=fit),
                  SeedComparison(seed="seed 004", quantity="Li overpotential at 70 h (after the short)",
                                 unit="mV",
                                 model=float(v[after]), measured=1e3 * ref.LYC_LI_SHORTED_V.value,
                                 status=fit)]
    if li_in is not None:
        v = li_in.overpotential_mV
        items += [SeedComparison(seed="seed 004", quantity="Li-In initial overpotential", unit="mV",
                                 model=float(v[1]), measured=1e3 * ref.LYC_LIIN_INITIAL_V.value,
                                 status=PREDICTED, note="from the as-made Rct; LYC thickness assumed"),
                  SeedComparison(seed="seed 004", quantity="Li-In settled overpotential", unit="mV",
                                 model=float(v[-1]), measured=1e3 * ref.LYC_LIIN_STEADY_V.value,
                                 status=PREDICTED,
                                 note="from the cycled Rct; its settling time is fitted")]
    return SeedComparisons(items=tuple(items), heading="seed 004 symmetric cells, 0.2 mA/cm2, 1 h steps")
