"""Growth laws: interphases that thicken with time and dendrites that advance into a separator.

Each law is a small frozen dataclass (plain numbers, JSON-friendly) with one job:

- :class:`Interphase`: thickness and conductivity of an anode-electrolyte interphase vs time,
  ``parabolic`` (diffusion-limited reaction layer, ``L^2 = L0^2 + k t``, e.g. LiCl from
  Li + Li3YCl6) or ``saturating`` (self-limiting, ``L = Lsat (1 - exp(-t/tau))``, e.g. seed
  004's Li(3-3x)In(x)YCl6). A *maturation* time constant moves its conductivity and the
  interface exchange current from their initial to their final values.
- :class:`CurrentDrivenGrowth`: a dendrite front whose speed depends on the current density,
  ``v = v_ref ((|i| - i_th)+ / i_ref)^n``; integrated over a current history it gives the
  length, and a current staircase gives a critical current density.
- :class:`PowerLawGrowth`: a dendrite length vs cycle number, ``L = L_ref (N/N_ref)^n``,
  calibrated from two observations (seed 001's two dendrite lengths, ``ssblab.reference``).

A spread of filament lengths turns a single front into a gradually shorting area:
:func:`shorted_fraction` is the lognormal fraction of filaments longer than the gap.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np
from scipy.special import ndtr

from ssblab.errors import InputError, check_choice

GrowthKind = Literal["parabolic", "saturating", "none"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Interphase:
    """An interphase on each electrode of a cell.

    Parameters
    ----------
    name : str
        Label, e.g. ``"LiCl"``.
    conductivity_S_cm : float
        Ionic conductivity once matured (the only value if ``initial_conductivity_S_cm`` is None).
    growth : {"parabolic", "saturating", "none"}
    initial_thickness_cm : float
    parabolic_rate_cm2_h : float
        ``k`` in ``L^2 = L0^2 + k t`` (parabolic growth).
    saturated_thickness_cm, time_constant_h : float
        ``Lsat`` and ``tau`` of the saturating law.
    initial_conductivity_S_cm : float or None
        Conductivity at t = 0; it relaxes to ``conductivity_S_cm`` with ``maturation_time_h``.
    final_exchange_current_mA_cm2 : float or None
        Exchange current the interface reaches as the interphase matures (None: unchanged).
    maturation_time_h : float
        Time constant of the maturation (conductivity and exchange current).
    consumes_electrolyte : bool
        True when the interphase forms from the separator (the separator thins by its thickness).
    """

    name: str = "interphase"
    conductivity_S_cm: float
    growth: GrowthKind = "parabolic"
    initial_thickness_cm: float = 0.0
    parabolic_rate_cm2_h: float = 0.0
    saturated_thickness_cm: float = 0.0
    time_constant_h: float = 1.0
    initial_conductivity_S_cm: float | None = None
    final_exchange_current_mA_cm2: float | None = None
    maturation_time_h: float = 1.0
    consumes_electrolyte: bool = False

    def __post_init__(self):
        check_choice(self.growth, GrowthKind, name="growth")
        for field in ("conductivity_S_cm", "time_constant_h", "maturation_time_h"):
            if not getattr(self, field) > 0:
                raise InputError(f"Interphase.{field}: expected > 0, found {getattr(self, field)}")
        for field in ("initial_thickness_cm", "parabolic_rate_cm2_h", "saturated_thickness_cm"):
            if getattr(self, field) < 0:
                raise InputError(f"Interphase.{field}: expected >= 0, found {getattr(self, field)}")

    def thickness_cm(self, time_h):
        """Thickness (cm) at ``time_h`` (array).

        Examples
        --------
        >>> float(Interphase(conductivity_S_cm=1e-8, parabolic_rate_cm2_h=1e-12).thickness_cm(4.0))
        2e-06
        """
        t = np.maximum(np.asarray(time_h, dtype=float), 0.0)
        if self.growth == "parabolic":
            return np.sqrt(self.initial_thickness_cm**2 + self.parabolic_rate_cm2_h * t)
        if self.growth == "saturating":
            grown = self.saturated_thickness_cm * (1.0 - np.exp(-t / self.time_constant_h))
            return np.maximum(grown, self.initial_thickness_cm)
        return np.full_like(t, self.initial_thickness_cm)

    def maturity(self, time_h):
        """Fraction (0..1) of the way from initial to final properties."""
        return 1.0 - np.exp(-np.maximum(np.asarray(time_h, dtype=float), 0.0) / self.maturation_time_h)

    def conductivity_at(self, time_h):
        """Conductivity (S/cm) at ``time_h``, interpolated in log between initial and final."""
        start = self.initial_conductivity_S_cm or self.conductivity_S_cm
        m = self.maturity(time_h)
        return np.exp((1 - m) * math.log(start) + m * math.log(self.conductivity_S_cm))

    def exchange_current_at(self, time_h, initial_mA_cm2: float):
        """Exchange current (mA/cm2) of the interface at ``time_h``, starting at ``initial_mA_cm2``."""
        if self.final_exchange_current_mA_cm2 is None:
            return np.full_like(np.asarray(time_h, dtype=float), initial_mA_cm2)
        m = self.maturity(time_h)
        return np.exp((1 - m) * math.log(initial_mA_cm2)
                      + m * math.log(self.final_exchange_current_mA_cm2))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CurrentDrivenGrowth:
    """Dendrite front speed ``v = v_ref ((|i| - i_th)+ / i_ref)^n`` (cm/h); both fronts summed.

    Examples
    --------
    >>> law = CurrentDrivenGrowth(velocity_cm_h=1e-3, reference_current_mA_cm2=1.0)
    >>> law.length_cm(np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 1.0]))
    array([0.   , 0.001, 0.002])
    """

    velocity_cm_h: float
    reference_current_mA_cm2: float = 1.0
    exponent: float = 1.0
    threshold_mA_cm2: float = 0.0

    def __post_init__(self):
        if self.velocity_cm_h < 0 or self.reference_current_mA_cm2 <= 0 or self.exponent <= 0:
            raise InputError("CurrentDrivenGrowth: expected velocity_cm_h >= 0, "
                             "reference_current_mA_cm2 > 0 and exponent > 0, found "
                             f"{self.velocity_cm_h}, {self.reference_current_mA_cm2}, {self.exponent}")

    @classmethod
    def from_growth_result(cls, result, *, exponent: float = 1.0,
                           threshold_mA_cm2: float = 0.0) -> CurrentDrivenGrowth:
        """The tip speed of a simulated or measured growth history as a growth law.

        ``result`` needs ``time_h``, ``max_front_um`` (leading tip) and ``current_density_mA_cm2``
        arrays, e.g. the dendrite layer's phase-field ``GrowthResult``. The speed is the
        least-squares slope of the tip position vs time, referred to the mean |current density|.

        Examples
        --------
        >>> class Run:
        ...     time_h = np.array([0.0, 1.0, 2.0]); max_front_um = np.array([0.0, 5.0, 10.0])
        ...     current_density_mA_cm2 = np.array([2.0, 2.0, 2.0])
        >>> law = CurrentDrivenGrowth.from_growth_result(Run())
        >>> round(law.velocity_cm_h, 6), law.reference_current_mA_cm2
        (0.0005, 2.0)
        """
        try:
            t = np.asarray(result.time_h, float)
            tip_cm = 1e-4 * np.asarray(result.max_front_um, float)
            current = float(np.mean(np.abs(np.asarray(result.current_density_mA_cm2, float))))
        except AttributeError as exc:
            raise InputError(f"from_growth_result: expected time_h, max_front_um and "
                             f"current_density_mA_cm2 on the result ({exc})") from None
        if t.size < 2 or np.ptp(t) <= 0 or not current > 0:
            raise InputError("from_growth_result: need at least two times and a non-zero current")
        slope = float(np.polyfit(t, tip_cm, 1)[0])
        return cls(velocity_cm_h=max(slope, 0.0), reference_current_mA_cm2=current, exponent=exponent,
                   threshold_mA_cm2=threshold_mA_cm2)

    def velocity_cm_h_at(self, current_mA_cm2):
        drive = np.maximum(np.abs(np.asarray(current_mA_cm2, float)) - self.threshold_mA_cm2, 0.0)
        return self.velocity_cm_h * (drive / self.reference_current_mA_cm2) ** self.exponent

    def length_cm(self, time_h, current_mA_cm2):
        """Length after a piecewise-constant current history (the current holds until the next time)."""
        t = np.asarray(time_h, float)
        v = self.velocity_cm_h_at(current_mA_cm2)
        return np.concatenate([[0.0], np.cumsum(v[:-1] * np.diff(t))])


@dataclasses.dataclass(frozen=True, kw_only=True)
class PowerLawGrowth:
    """Dendrite length ``L = L_ref (N / N_ref)^n`` vs cycle number ``N``.

    Examples
    --------
    >>> law = PowerLawGrowth.from_points(100, 20e-4, 900, 500e-4)
    >>> round(law.exponent, 3)
    1.465
    >>> round(law.cycles_to_length(500e-4))
    900
    """

    length_ref_cm: float
    cycle_ref: float
    exponent: float

    def __post_init__(self):
        if not (self.length_ref_cm > 0 and self.cycle_ref > 0 and self.exponent > 0):
            raise InputError("PowerLawGrowth: expected positive length_ref_cm, cycle_ref and "
                             f"exponent, found {self.length_ref_cm}, {self.cycle_ref}, {self.exponent}")

    @classmethod
    def from_points(cls, cycle_1: float, length_1_cm: float, cycle_2: float,
                    length_2_cm: float) -> PowerLawGrowth:
        """The power law through two observations (an exact two-parameter fit, not a test)."""
        if not (0 < cycle_1 < cycle_2 and 0 < length_1_cm < length_2_cm):
            raise InputError("PowerLawGrowth.from_points: expected 0 < cycle_1 < cycle_2 and "
                             f"0 < length_1 < length_2, found {cycle_1}, {cycle_2}, "
                             f"{length_1_cm}, {length_2_cm}")
        exponent = math.log(length_2_cm / length_1_cm) / math.log(cycle_2 / cycle_1)
        return cls(length_ref_cm=length_1_cm, cycle_ref=cycle_1, exponent=exponent)

    def length_cm_at(self, cycle):
        return self.length_ref_cm * (np.asarray(cycle, float) / self.cycle_ref) ** self.exponent

    def cycles_to_length(self, length_cm: float) -> float:
        """Cycle at which the median front reaches ``length_cm`` (e.g. the separator thickness)."""
        return self.cycle_ref * (length_cm / self.length_ref_cm) ** (1.0 / self.exponent)


def shorted_fraction(length_cm, gap_cm: float, *, spread: float = 0.0):
    """Fraction of filaments that have crossed ``gap_cm`` when the median front is at ``length_cm``.

    Filament lengths are lognormal around the median with log-standard deviation ``spread``;
    ``spread=0`` is a sharp front (0 before, 1 after crossing).

    Examples
    --------
    >>> shorted_fraction(np.array([0.5, 1.0, 2.0]), 1.0, spread=0.0)
    array([0., 1., 1.])
    >>> float(shorted_fraction(1.0, 1.0, spread=0.3))
    0.5
    """
    length = np.asarray(length_cm, float)
    if spread <= 0:
        return (length >= gap_cm).astype(float)
    with np.errstate(divide="ignore"):
        return ndtr(np.log(np.maximum(length, 0.0) / gap_cm) / spread)
