"""Symmetric cells (Li|SE|Li, Li-In|SE|Li-In) under galvanostatic cycling and the CCD staircase.

The cell voltage at current density ``i`` is found from one series-parallel circuit:

- the ionic branch: electrolyte ``L_SE / sigma_SE`` in series with the interphase on each
  electrode (``L_int / sigma_int``, thickness and conductivity from :class:`Interphase`) and
  Butler-Volmer charge transfer at both interfaces (solved exactly for the overpotential,
  ``eta = (RT / alpha F) asinh(i / 2 i0)`` for symmetric transfer coefficients);
- the electronic branch: filaments that crossed the separator (a dendrite growth law integrated
  over the current history, lognormal spread of filament lengths) with a total resistance
  ``R_short / f`` for a shorted fraction ``f``.

The current splits so both branches carry the same voltage (solved by bisection at every time).
The equilibrium potentials of the two identical electrodes cancel, so Li and Li-In cells differ
only by their kinetics and interphases. Long notes and the seed-004 parameters: docs/cell.md.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab import reference as ref
from ssblab.cell.growth import CurrentDrivenGrowth, Interphase, shorted_fraction
from ssblab.cell.kinetics import butler_volmer_overpotential, exchange_current_from_rct
from ssblab.errors import InputError
from ssblab.results import Result, conductivity_of, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class SymmetricCell:
    """Parameters of a symmetric cell (all per unit area; ``area_cm2`` only converts to ohm).

    ``conductivity_S_cm`` accepts a number or a result carrying ``sigma_eff_S_cm`` or
    ``conductivity_S_cm`` (e.g. a microstructure or impedance result); see
    :func:`ssblab.results.conductivity_of`.
    """

    electrode: str = "Li"
    thickness_cm: float
    conductivity_S_cm: float
    exchange_current_mA_cm2: float
    area_cm2: float = 1.0
    alpha: float = 0.5
    interphase: Interphase | None = None
    dendrite: CurrentDrivenGrowth | None = None
    short_resistance_ohm_cm2: float = 10.0
    short_spread: float = 0.0
    temperature_K: float = 298.15

    def __post_init__(self):
        object.__setattr__(self, "conductivity_S_cm", conductivity_of(self.conductivity_S_cm))
        for name in ("thickness_cm", "exchange_current_mA_cm2", "area_cm2", "alpha",
                     "short_resistance_ohm_cm2", "temperature_K"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise InputError(f"SymmetricCell.{name}: expected a positive number, found {value!r}")

    @property
    def electrolyte_resistance_ohm_cm2(self) -> float:
        return self.thickness_cm / self.conductivity_S_cm


@dataclasses.dataclass(frozen=True, kw_only=True)
class SymmetricSimulation(Result):
    """Voltage vs time of a symmetric cell and what made it."""

    electrode: str = ""
    time_h: np.ndarray
    current_mA_cm2: np.ndarray
    voltage_V: np.ndarray
    ohmic_resistance_ohm_cm2: np.ndarray
    exchange_current_mA_cm2: np.ndarray
    interphase_thickness_cm: np.ndarray
    dendrite_length_cm: np.ndarray
    shorted_fraction: np.ndarray
    separator_thickness_cm: float
    short_time_h: float = math.nan

    title: ClassVar[str] = "Symmetric cell"

    @property
    def overpotential_mV(self) -> np.ndarray:
        return 1e3 * np.abs(self.voltage_V)

    def summary(self):
        v = self.overpotential_mV
        k = int(np.argmax(v))
        return [("electrode", self.electrode),
                ("duration (h)", float(self.time_h[-1])),
                ("initial overpotential (mV)", float(v[1] if v.size > 1 else v[0])),
                ("peak overpotential (mV)", float(v[k])),
                ("peak time (h)", float(self.time_h[k])),
                ("final overpotential (mV)", float(v[-1])),
                ("short-circuit time (h)", float(self.short_time_h)),
                ("final interphase thickness (um)", float(1e4 * self.interphase_thickness_cm[-1]))]

    def table(self):
        return [{"time (h)": float(t), "current (mA/cm2)": float(i), "voltage (V)": float(v),
                 "ohmic ASR (ohm cm2)": float(r), "dendrite length (um)": float(1e4 * d),
                 "shorted fraction": float(f)}
                for t, i, v, r, d, f in zip(self.time_h, self.current_mA_cm2, self.voltage_V,
                                            self.ohmic_resistance_ohm_cm2, self.dendrite_length_cm,
                                            self.shorted_fraction)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.time_h, 1e3 * self.voltage_V, lw=0.7, label=kwargs.get("label", self.electrode))
        if math.isfinite(self.short_time_h):
            ax.axvline(self.short_time_h, color="0.5", ls=":", lw=0.8)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("voltage (mV)")
        ax.legend(loc="best", fontsize=8)


def simulate_symmetric(cell: SymmetricCell, time_h, current_mA_cm2) -> SymmetricSimulation:
    """Voltage of ``cell`` under a piecewise-constant current history.

    Parameters
    ----------
    cell : SymmetricCell
    time_h : array
        Non-decreasing times (h); the current at ``time_h[k]`` holds until ``time_h[k+1]``.
    current_mA_cm2 : array
        Current density at each time (positive: plating on the counter electrode).

    Examples
    --------
    >>> cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1e3)
    >>> r = simulate_symmetric(cell, [0.0, 1.0], [1.0, 1.0])
    >>> round(float(r.voltage_V[0]), 3)     # Ohm's law: 1 mA/cm2 x 50 ohm cm2
    0.05
    """
    t = np.asarray(time_h, dtype=float)
    i = np.asarray(current_mA_cm2, dtype=float)
    if t.ndim != 1 or t.shape != i.shape or t.size < 1:
        raise InputError(f"time_h and current_mA_cm2: expected equal-length 1-D arrays, found "
                         f"shapes {t.shape} and {i.shape}")
    if np.any(np.diff(t) < 0):
        raise InputError("time_h: expected non-decreasing times")
    L = cell.thickness_cm
    sigma = cell.conductivity_S_cm
    ip = cell.interphase
    if ip is None:
        thick = np.zeros_like(t)
        r_ohm = np.full_like(t, L / sigma)
        i0 = np.full_like(t, cell.exchange_current_mA_cm2)
    else:
        thick = ip.thickness_cm(t)
        remaining = np.maximum(L - 2 * thick, 0.0) if ip.consumes_electrolyte else np.full_like(t, L)
        r_ohm = remaining / sigma + 2 * thick / ip.conductivity_at(t)
        i0 = ip.exchange_current_at(t, cell.exchange_current_mA_cm2)
    if cell.dendrite is None:
        length = np.zeros_like(t)
    else:
        length = cell.dendrite.length_cm(t, i)
    f = shorted_fraction(length, L, spread=cell.short_spread)
    g_e = f / cell.short_resistance_ohm_cm2  # S/cm2

    def ionic_voltage(x):
        eta = butler_volmer_overpotential(x, i0, temperature_K=cell.temperature_K,
                                          alpha_anodic=cell.alpha, alpha_cathodic=cell.alpha)
        return 1e-3 * x * r_ohm + 2.0 * eta

    target = np.abs(i)
    lo, hi = np.zeros_like(target), target.copy()
    shorted = g_e > 0
    if np.any(shorted):
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            too_much = mid + 1e3 * g_e * ionic_voltage(mid) > target
            hi = np.where(too_much, mid, hi)
            lo = np.where(too_much, lo, mid)
    ionic = np.where(shorted, 0.5 * (lo + hi), target)
    voltage = np.sign(i) * ionic_voltage(ionic)
    crossed = np.flatnonzero(f >= 0.5)
    return SymmetricSimulation(
        electrode=cell.electrode, time_h=t, current_mA_cm2=i, voltage_V=voltage,
        ohmic_resistance_ohm_cm2=r_ohm, exchange_current_mA_cm2=i0, interphase_thickness_cm=thick,
        dendrite_length_cm=length, shorted_fraction=f, separator_thickness_cm=L,
        short_time_h=float(t[crossed[0]]) if crossed.size else math.nan,
        provenance=provenance(cell=dataclasses.asdict(cell)))


def square_wave(*, current_mA_cm2: float, half_cycle_h: float, duration_h: float,
                points_per_half_cycle: int = 8):
    """Times (h) and currents of galvanostatic cycling: +i for a half cycle, then -i.

    Each half cycle has ``points_per_half_cycle`` samples, the first just after the switch and
    the last at its end, so the square wave draws with vertical edges.

    Examples
    --------
    >>> t, i = square_wave(current_mA_cm2=0.2, half_cycle_h=1.0, duration_h=2.0, points_per_half_cycle=2)
    >>> t.tolist(), i.tolist()
    ([0.0, 1.0, 1.0, 2.0], [0.2, 0.2, -0.2, -0.2])
    """
    if current_mA_cm2 <= 0 or half_cycle_h <= 0 or duration_h <= 0 or points_per_half_cycle < 2:
        raise InputError("square_wave: expected positive current_mA_cm2, half_cycle_h, duration_h "
                         "and points_per_half_cycle >= 2")
    n_half = max(1, int(round(duration_h / half_cycle_h)))
    within = np.linspace(0.0, half_cycle_h, points_per_half_cycle)
    t = (np.arange(n_half)[:, None] * half_cycle_h + within[None, :]).ravel()
    sign = np.where(np.arange(n_half) % 2 == 0, 1.0, -1.0)
    i = np.repeat(sign * current_mA_cm2, points_per_half_cycle)
    return t, i


def galvanostatic_cycling(cell: SymmetricCell, *, current_mA_cm2: float, half_cycle_h: float = 1.0,
                          duration_h: float = 100.0, points_per_half_cycle: int = 8) -> SymmetricSimulation:
    """Plating/stripping at ``current_mA_cm2``, switching every ``half_cycle_h``.

    Examples
    --------
    >>> cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1.0)
    >>> r = galvanostatic_cycling(cell, current_mA_cm2=0.5, duration_h=4)
    >>> round(float(r.overpotential_mV.max()), 1)
    50.4
    """
    t, i = square_wave(current_mA_cm2=current_mA_cm2, half_cycle_h=half_cycle_h,
                       duration_h=duration_h, points_per_half_cycle=points_per_half_cycle)
    return simulate_symmetric(cell, t, i)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelCCD(Result):
    """Critical current density from a current staircase run on the model."""

    ccd_mA_cm2: float
    last_stable_mA_cm2: float
    criterion: str
    step_currents_mA_cm2: np.ndarray
    trace: SymmetricSimulation

    title: ClassVar[str] = "Critical current density (model staircase)"

    def summary(self):
        return [("critical current density (mA/cm2)", self.ccd_mA_cm2),
                ("last stable step (mA/cm2)", self.last_stable_mA_cm2),
                ("failure criterion", self.criterion),
                ("steps run", int(self.step_currents_mA_cm2.size))]

    def _draw(self, ax, **kwargs):
        ax.plot(self.trace.time_h, 1e3 * self.trace.voltage_V, lw=0.7)
        ax2 = ax.twinx()
        ax2.step(self.trace.time_h, np.abs(self.trace.current_mA_cm2), color="C3", lw=0.8, where="post")
        ax2.set_ylabel("|current density| (mA/cm2)", color="C3")
        ax.set_xlabel("time (h)")
        ax.set_ylabel("voltage (mV)")


def model_ccd(cell: SymmetricCell, *, start_mA_cm2: float = 0.1, step_mA_cm2: float = 0.2,
                  step_h: float = 1.0, max_mA_cm2: float = 10.0, voltage_limit_V: float = 5.0,
                  points_per_half_cycle: int = 6) -> ModelCCD:
    """Run the CCD protocol on the model: one plating/stripping cycle per current step.

    Seed 003's protocol is the default (0.1 mA/cm2 start, +0.2 mA/cm2 steps). The cell fails
    at the first step where half the filaments have crossed the separator (voltage collapse)
    or where the voltage exceeds ``voltage_limit_V``. Needs a dendrite growth law on the cell
    for a short to be possible.

    Examples
    --------
    >>> from ssblab.cell.growth import CurrentDrivenGrowth
    >>> law = CurrentDrivenGrowth(velocity_cm_h=0.05, threshold_mA_cm2=1.0)
    >>> cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1.0,
    ...                      dendrite=law)
    >>> round(model_ccd(cell).ccd_mA_cm2, 2)
    1.7
    """
    if not (0 < start_mA_cm2 <= max_mA_cm2 and step_mA_cm2 > 0 and step_h > 0):
        raise InputError("model_ccd: expected 0 < start_mA_cm2 <= max_mA_cm2, positive "
                         "step_mA_cm2 and step_h")
    steps = np.arange(start_mA_cm2, max_mA_cm2 + 1e-9, step_mA_cm2)
    half = step_h / 2
    within = np.linspace(0.0, half, points_per_half_cycle)
    t = np.concatenate([k * step_h + h * half + within for k in range(steps.size) for h in (0, 1)])
    i = np.concatenate([s * np.full(points_per_half_cycle, sign) for s in steps for sign in (1, -1)])
    trace = simulate_symmetric(cell, t, i)
    per_step = np.repeat(np.arange(steps.size), 2 * points_per_half_cycle)
    failed = (trace.shorted_fraction >= 0.5) | (np.abs(trace.voltage_V) > voltage_limit_V)
    if not failed.any():
        return ModelCCD(ok=False, reason=f"no failure up to {steps[-1]:.3g} mA/cm2",
                         ccd_mA_cm2=math.nan, last_stable_mA_cm2=float(steps[-1]),
                         criterion="none", step_currents_mA_cm2=steps, trace=trace)
    k = int(per_step[np.argmax(failed)])
    first = int(np.argmax(failed))
    criterion = "short circuit" if trace.shorted_fraction[first] >= 0.5 else "voltage limit"
    return ModelCCD(ccd_mA_cm2=float(steps[k]), last_stable_mA_cm2=float(steps[k - 1]) if k else 0.0,
                     criterion=criterion, step_currents_mA_cm2=steps[:k + 1], trace=trace,
                     provenance=provenance(cell=dataclasses.asdict(cell), start_mA_cm2=start_mA_cm2,
                                           step_mA_cm2=step_mA_cm2, step_h=step_h))


# --- seed 004 (Kim et al., Adv. Energy Mater. 2024, 2401299): Li|LYC|Li and Li-In|LYC|Li-In ----
SEED004_AREA_CM2 = ref.LYC_CELL_AREA_cm2.value
SEED004_LYC_S_CM = ref.LYC_SIGMA_S_cm.value          # Li3YCl6 at RT, seed 002's halide table
SEED004_LYC_THICKNESS_CM = ref.LYC_THICKNESS_cm.value  # assumed: seed 004 does not give it
SEED004_CURRENT_MA_CM2 = ref.LYC_CURRENT_mA_cm2.value
SEED004_HALF_CYCLE_H = ref.LYC_HALF_CYCLE_H.value


def _interface_i0(rct_cell_ohm: float) -> float:
    """i0 of one interface from a symmetric cell's total Rct in ohm (two interfaces in series)."""
    return exchange_current_from_rct(rct_cell_ohm / 2 * SEED004_AREA_CM2)


def seed004_li_cell(**overrides) -> SymmetricCell:
    """Li|Li3YCl6|Li as in seed 004; see docs/cell.md for which values are measured or fitted.

    Measured: area, current, LYC conductivity (seed 002), Rct = 49 ohm -> i0, LiCl conductivity
    1e-8 S/cm (seed 002), the post-short voltage (2 mV -> R_short = 10 ohm cm2).
    Fitted to seed 004's curve (peak ~170 mV at ~24 h, ~2 mV at ~70 h): the LiCl parabolic
    rate, the dendrite speed and the filament spread.
    """
    params = dict(
        electrode="Li", thickness_cm=SEED004_LYC_THICKNESS_CM, conductivity_S_cm=SEED004_LYC_S_CM,
        exchange_current_mA_cm2=_interface_i0(ref.LYC_LI_RCT_ohm.value), area_cm2=SEED004_AREA_CM2,
        interphase=Interphase(name="LiCl", conductivity_S_cm=ref.LICL_SIGMA_S_cm.value, growth="parabolic",
                              parabolic_rate_cm2_h=LI_LICL_PARABOLIC_RATE_CM2_H),
        dendrite=CurrentDrivenGrowth(velocity_cm_h=LI_DENDRITE_VELOCITY_CM_H,
                                     reference_current_mA_cm2=SEED004_CURRENT_MA_CM2),
        short_resistance_ohm_cm2=ref.LYC_LI_SHORTED_V.value / (SEED004_CURRENT_MA_CM2 * 1e-3),
        short_spread=LI_FILAMENT_SPREAD)
    params.update(overrides)
    return SymmetricCell(**params)


def seed004_li_in_cell(**overrides) -> SymmetricCell:
    """Li-In|Li3YCl6|Li-In as in seed 004.

    Measured: Rct 1260 ohm (as assembled) -> 235 ohm (after 50 cycles) -> initial and final i0;
    the AEI saturating at ~50 um. Fitted: the maturation time (overpotential settled by ~100 h)
    and the thickness time constant (to the 2.5/5/50/50 um SEM thicknesses). The AEI
    conductivity is not measured; it is set to that of LYC.
    """
    params = dict(
        electrode="Li-In", thickness_cm=SEED004_LYC_THICKNESS_CM, conductivity_S_cm=SEED004_LYC_S_CM,
        exchange_current_mA_cm2=_interface_i0(ref.LYC_LIIN_RCT_ohm.value), area_cm2=SEED004_AREA_CM2,
        interphase=Interphase(name="Li(3-3x)In(x)YCl6", conductivity_S_cm=SEED004_LYC_S_CM,
                              growth="saturating", saturated_thickness_cm=ref.LYC_AEI_SATURATED_cm.value,
                              time_constant_h=LI_IN_AEI_TIME_CONSTANT_H,
                              final_exchange_current_mA_cm2=_interface_i0(ref.LYC_LIIN_RCT_50_ohm.value),
                              maturation_time_h=LI_IN_MATURATION_TIME_H, consumes_electrolyte=True))
    params.update(overrides)
    return SymmetricCell(**params)


# Fitted values (docs/cell.md, "Seed 004"; the fit script is reproduced there).
# Li: least squares on three features of seed 004's curve (peak 170 mV, peak at 24 h, ~2 mV at
# 70 h) with three free parameters, i.e. a calibration, not a test.
LI_LICL_PARABOLIC_RATE_CM2_H = ref.LYC_LICL_PARABOLIC_RATE_cm2_h.value  # ~36 nm per side at 24 h
LI_DENDRITE_VELOCITY_CM_H = ref.LYC_LI_DENDRITE_VELOCITY_cm_h.value     # both fronts, at 0.2 mA/cm2
LI_FILAMENT_SPREAD = ref.LYC_LI_FILAMENT_SPREAD.value                   # log-sd of filament lengths
# Li-In: AEI thickness 2.5/5/50/50 um after 50/100/500/1000 full-cell cycles at 0.5 C (~4 h
# per cycle) fitted with L = 50 um (1 - exp(-t/tau)) in log space; the form undershoots the
# 500-cycle point (26 vs 50 um). Maturation: 95 % settled at ~100 h -> tau = 100/3 h.
LI_IN_AEI_TIME_CONSTANT_H = ref.LYC_AEI_TIME_CONSTANT_H.value
LI_IN_MATURATION_TIME_H = ref.LYC_LIIN_MATURATION_H.value
