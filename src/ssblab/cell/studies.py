"""Seed comparisons run on the cell models (the numbers in docs/validation.md, "Cell models").

:func:`seed000_rate_study` asks how much of seed 000's cold- vs hot-pressed rate table the
conductivity difference (1.1 vs 4.4 mS/cm) explains. Seed 000 does not give the cell geometry;
the assumed values are in :func:`seed000_cell` and docs/cell.md. Two readings are reported:

- *nominal*: assumed geometry and literature transport, nothing fitted to the table;
- *fitted*: the particle diffusivity and the Li3InCl6 separator thickness fitted (global grid,
  then least squares) to the hot-pressed table only, then the cold-pressed table predicted by
  changing only the conductivity.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from ssblab.cell.full import FullCell, Layer, rate_capability
from ssblab.cell.parameters import CATHODES
from ssblab.results import Result, provenance

# seed 000 (Li et al.), Figure 6A/B: discharge capacity (mAh/g) of NCM83|LIC-LPSCl|Li, 2.7-4.3 V
SEED000_RATES_C = (0.5, 1.0, 1.5)
SEED000_MEASURED_MAH_G = {"cold": (112.0, 35.0, float("nan")), "hot": (156.0, 123.0, 104.0)}
SEED000_CONDUCTIVITY_S_CM = {"cold": 1.1e-3, "hot": 4.4e-3}
LPSCL_CONDUCTIVITY_S_CM = 2.95e-3  # seed 001's Li6PS5Cl at RT (seed 000 uses an LPSCl interlayer)


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
    """Model vs measured rate tables for two processing routes."""

    c_rates: np.ndarray
    measured_cold_mAh_g: np.ndarray
    measured_hot_mAh_g: np.ndarray
    nominal_cold_mAh_g: np.ndarray
    nominal_hot_mAh_g: np.ndarray
    fitted_cold_mAh_g: np.ndarray
    fitted_hot_mAh_g: np.ndarray
    fitted_diffusivity_cm2_s: float
    fitted_lic_thickness_cm: float
    note: str = ""

    title: ClassVar[str] = "Seed 000: cold- vs hot-pressed Li3InCl6 rate table"

    def explained_gap(self, which: str = "fitted", c_rate: float = 1.0) -> float:
        """Fraction of the measured hot-cold capacity gap at ``c_rate`` that the model reproduces."""
        k = int(np.argmin(np.abs(self.c_rates - c_rate)))
        model = getattr(self, f"{which}_hot_mAh_g")[k] - getattr(self, f"{which}_cold_mAh_g")[k]
        return float(model / (self.measured_hot_mAh_g[k] - self.measured_cold_mAh_g[k]))

    def summary(self):
        return [("fitted on", "hot-pressed table only; cold predicted"),
                ("fitted NCM83 diffusivity (cm2/s)", self.fitted_diffusivity_cm2_s),
                ("fitted Li3InCl6 layer thickness (um)", 1e4 * self.fitted_lic_thickness_cm),
                ("fitted Li3InCl6 layer ASR at 4.4 mS/cm (ohm cm2)",
                 self.fitted_lic_thickness_cm / SEED000_CONDUCTIVITY_S_CM["hot"]),
                ("gap explained at 0.5 C, nominal (-)", self.explained_gap("nominal", 0.5)),
                ("gap explained at 1 C, nominal (-)", self.explained_gap("nominal", 1.0)),
                ("gap explained at 0.5 C, fitted (-)", self.explained_gap("fitted", 0.5)),
                ("gap explained at 1 C, fitted (-)", self.explained_gap("fitted", 1.0))]

    def table(self):
        return [{"C-rate": float(c), "measured cold (mAh/g)": float(mc), "measured hot (mAh/g)": float(mh),
                 "nominal cold (mAh/g)": float(nc), "nominal hot (mAh/g)": float(nh),
                 "fitted cold (mAh/g)": float(fc), "fitted hot (mAh/g)": float(fh)}
                for c, mc, mh, nc, nh, fc, fh in zip(
                    self.c_rates, self.measured_cold_mAh_g, self.measured_hot_mAh_g, self.nominal_cold_mAh_g,
                    self.nominal_hot_mAh_g, self.fitted_cold_mAh_g, self.fitted_hot_mAh_g)]

    def _draw(self, ax, **kwargs):
        c = self.c_rates
        ax.plot(c, self.measured_hot_mAh_g, "s", color="C3", label="hot, seed 000")
        ax.plot(c, self.measured_cold_mAh_g, "o", color="C0", label="cold, seed 000")
        ax.plot(c, self.fitted_hot_mAh_g, "-", color="C3", label="hot, model (fitted)")
        ax.plot(c, self.fitted_cold_mAh_g, "-", color="C0", label="cold, model (predicted)")
        ax.plot(c, self.nominal_hot_mAh_g, ":", color="C3", label="hot, model (nominal)")
        ax.plot(c, self.nominal_cold_mAh_g, ":", color="C0", label="cold, model (nominal)")
        ax.set_xlabel("C-rate (1/h)")
        ax.set_ylabel("discharge capacity (mAh/g)")
        ax.legend(fontsize=7)


def _table(sigma, rates, **kw):
    r = rate_capability(seed000_cell(sigma, **kw), (0.1, *rates), steps_per_half_cycle=150)
    return r.discharge_capacity_mAh_g[1:]


def seed000_rate_study(*, grid_points: int = 6) -> RateStudy:
    """Run the nominal and the fitted comparison against seed 000's rate tables (a few seconds).

    Examples
    --------
    >>> study = seed000_rate_study(grid_points=2)   # doctest: +SKIP
    """
    from scipy.optimize import least_squares

    rates = np.array(SEED000_RATES_C)
    hot_meas = np.array(SEED000_MEASURED_MAH_G["hot"])
    cold_meas = np.array(SEED000_MEASURED_MAH_G["cold"])
    s_cold, s_hot = SEED000_CONDUCTIVITY_S_CM["cold"], SEED000_CONDUCTIVITY_S_CM["hot"]

    def residual(p):
        model = _table(s_hot, rates, diffusivity_cm2_s=float(np.exp(p[0])),
                       lic_thickness_cm=float(np.exp(p[1])))
        return (model - hot_meas) / 10.0

    grid_d = np.log(np.geomspace(1e-11, 1e-8, grid_points))
    grid_l = np.log(np.geomspace(0.01, 1.0, grid_points))
    start = min(((d, l) for d in grid_d for l in grid_l), key=lambda p: np.sum(residual(p) ** 2))
    fit = least_squares(residual, np.array(start), diff_step=1e-2)
    d_fit, l_fit = (float(v) for v in np.exp(fit.x))
    return RateStudy(
        c_rates=rates, measured_cold_mAh_g=cold_meas, measured_hot_mAh_g=hot_meas,
        nominal_cold_mAh_g=_table(s_cold, rates), nominal_hot_mAh_g=_table(s_hot, rates),
        fitted_cold_mAh_g=_table(s_cold, rates, diffusivity_cm2_s=d_fit, lic_thickness_cm=l_fit),
        fitted_hot_mAh_g=_table(s_hot, rates, diffusivity_cm2_s=d_fit, lic_thickness_cm=l_fit),
        fitted_diffusivity_cm2_s=d_fit, fitted_lic_thickness_cm=l_fit,
        note="cold 1.5 C was not reported (nan)",
        provenance=provenance(grid_points=grid_points, conductivities=SEED000_CONDUCTIVITY_S_CM))
