"""Galvanostatic cycling of symmetric cells (Li|SE|Li, Li-In|SE|Li-In): :func:`analyse_symmetric`.

A *half cycle* is a run of consecutive segments with current of one sign (rest between them is
skipped). Per half cycle: the overpotential ``|V|max`` (the largest |V|, what papers plot as
"overpotential"), the time-averaged |V|, and |V| at its end.

Evolution: the initial overpotential (first half cycle), the peak and when it occurred, the final
value (median of the last ``tail`` half cycles before any short) and the settling time, the end
of the first half cycle after which the overpotential stays within ``settle_tolerance`` of the
change (initial - final) around the final value.

Short circuit: the cell is called shorted from the first of ``min_half_cycles`` consecutive half
cycles whose end-of-half |V| is below ``short_fraction`` times the highest overpotential before
it: a dendrite bridging the electrolyte makes the cell an ohmic contact whose voltage is orders
of magnitude below the polarisation (seed 004: 170 mV -> 2 mV). The short time is the first
record in that half cycle whose |V| is below the threshold. A polarisation that merely settles
(Li-In: 150 -> 60 mV, 40 %) is not a short at the default ``short_fraction = 0.1``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.cycling import StepTable, first_run, step_table
from ssblab.echem.cycler_data import CyclerData
from ssblab.errors import InputError
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class HalfCycles:
    """Half cycles as index arrays into a step table: ``first``/``last`` segment of each."""

    first: np.ndarray
    last: np.ndarray
    sign: np.ndarray


def half_cycles(seg: StepTable, *, split_at_rest: bool = False) -> HalfCycles:
    """Group consecutive same-sign active segments of a step table into half cycles (with
    ``split_at_rest`` a rest also ends one, as between GITT pulses)."""
    active = np.flatnonzero(seg.kind != 0)
    if active.size == 0:
        raise InputError(f"{seg.source or 'cycler data'}: no current flows; expected half cycles "
                         "of alternating current")
    sign = seg.kind[active]
    new = np.r_[True, sign[1:] != sign[:-1]]
    if split_at_rest:
        new[1:] |= np.diff(active) > 1
    group = np.cumsum(new) - 1
    first = active[new]
    last = np.zeros(first.size, int)
    np.maximum.at(last, group, active)
    return HalfCycles(first=first, last=last, sign=sign[new])


@dataclasses.dataclass(frozen=True, kw_only=True)
class SymmetricResult(Result):
    """Overpotential per half cycle of a symmetric cell, its evolution and any short."""

    end_h: np.ndarray                  # end of each half cycle
    overpotential_mV: np.ndarray       # largest |V| in the half cycle
    mean_overpotential_mV: np.ndarray  # time-averaged |V|
    end_overpotential_mV: np.ndarray   # |V| at the end of the half cycle
    current_density_mA_cm2: np.ndarray
    initial_mV: float
    peak_mV: float
    peak_h: float
    final_mV: float
    settle_h: float
    shorted: bool
    short_h: float
    shorted_mV: float
    area_cm2: float = 1.0
    thresholds: dict = dataclasses.field(default_factory=dict)
    source: str = ""

    title: ClassVar[str] = "Symmetric cell cycling"

    def summary(self):
        rows = [("source", self.source or "-"), ("half cycles", int(self.end_h.size)),
                ("current density / mA/cm2", float(np.median(self.current_density_mA_cm2))),
                ("initial overpotential / mV", self.initial_mV),
                ("peak overpotential / mV", self.peak_mV), ("peak at / h", self.peak_h),
                ("final overpotential (before any short) / mV", self.final_mV),
                ("settled after / h", self.settle_h if math.isfinite(self.settle_h) else "not settled"),
                ("short circuit", self.shorted)]
        if self.shorted:
            rows += [("short at / h", self.short_h),
                     ("overpotential after short / mV", self.shorted_mV)]
        return rows

    def table(self):
        return [{"end_h": float(t), "overpotential_mV": float(a), "mean_overpotential_mV": float(m),
                 "end_overpotential_mV": float(e), "current_density_mA_cm2": float(j)}
                for t, a, m, e, j in zip(self.end_h, self.overpotential_mV,
                                         self.mean_overpotential_mV, self.end_overpotential_mV,
                                         self.current_density_mA_cm2)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.end_h, self.overpotential_mV, ".-", ms=3, lw=0.8, label="|V| max per half cycle")
        if self.shorted:
            ax.axvline(self.short_h, color="r", ls="--", lw=1, label=f"short at {self.short_h:.1f} h")
        ax.set_xlabel("time / h")
        ax.set_ylabel("overpotential / mV")
        ax.legend(fontsize=8)


def analyse_symmetric(data: CyclerData, *, area_cm2: float = 1.0, short_fraction: float = 0.1,
                      min_half_cycles: int = 3, settle_tolerance: float = 0.1,
                      tail: int = 5) -> SymmetricResult:
    """Overpotential evolution and short-circuit time of a symmetric-cell cycling test.

    Parameters
    ----------
    data
        The cycler table (current alternating in sign).
    area_cm2
        Electrode area, for current densities.
    short_fraction, min_half_cycles
        Short criterion (module docstring).
    settle_tolerance
        Fraction of the initial-to-final change that counts as settled.
    tail
        Half cycles whose median is the final overpotential.

    Examples
    --------
    >>> from ssblab.echem.celltests.synthetic import symmetric_cycling
    >>> r = analyse_symmetric(symmetric_cycling(short_h=70.5, points_per_half=40))
    >>> r.shorted, round(r.short_h, 1), round(r.peak_mV)
    (True, 70.5, 170)
    """
    if not 0 < short_fraction < 1 or min_half_cycles < 1 or not area_cm2 > 0:
        raise InputError("analyse_symmetric: expected 0 < short_fraction < 1, min_half_cycles "
                         f">= 1, area_cm2 > 0; found {short_fraction}, {min_half_cycles}, {area_cm2}")
    seg = step_table(data)
    half = half_cycles(seg)
    active = seg.kind != 0  # reduceat from one half cycle to the next also spans rests
    peak = np.maximum.reduceat(seg.abs_voltage_max_V * active, half.first) * 1e3
    duration = np.add.reduceat(seg.duration_s * active, half.first)
    weighted = np.add.reduceat(seg.abs_voltage_mean_V * seg.duration_s * active, half.first)
    mean = np.where(duration > 0, weighted / np.where(duration > 0, duration, 1), 0.0) * 1e3
    end = np.abs(seg.voltage_last_V[half.last]) * 1e3
    end_h = (seg.start_s[half.last] + seg.duration_s[half.last]) / 3600
    passed = np.add.reduceat((seg.charge_mAh + seg.discharge_mAh) * active, half.first)
    j = np.where(duration > 0, passed * 3600 / np.where(duration > 0, duration, 1), 0) / area_cm2
    running = np.maximum.accumulate(peak)
    low = np.r_[False, end[1:] < short_fraction * running[:-1]]
    run = first_run(low, min_half_cycles)
    shorted = run is not None
    short_h, shorted_mV = math.nan, math.nan
    healthy = peak.size
    if shorted:
        healthy = run
        lo, hi = seg.start_row[half.first[run]], seg.stop_row[half.last[run]]
        threshold = short_fraction * running[run - 1] / 1e3
        below = np.flatnonzero(np.abs(data.voltage_V[lo:hi]) < threshold)
        short_h = float(data.time_s[lo + below[0]] / 3600) if below.size else float(end_h[run])
        shorted_mV = float(np.median(end[run:]))
    before = peak[:healthy]
    k = int(np.argmax(before))
    final = float(np.median(before[-tail:]))
    initial = float(before[0])
    change = abs(initial - final)
    outside = np.flatnonzero(np.abs(before - final) > settle_tolerance * change) if change else []
    settle_h = float(end_h[outside[-1] + 1]) if len(outside) and outside[-1] + 1 < healthy else \
        (float(end_h[0]) if not len(outside) else math.nan)
    follows = np.mean(np.sign(seg.voltage_last_V[half.last]) == half.sign)
    note = "" if follows >= 0.5 else (
        "the voltage does not change sign with the current, so this is not a symmetric cell: "
        "the 'overpotentials' reported are cell voltages")
    return SymmetricResult(
        reason=note, end_h=end_h, overpotential_mV=peak, mean_overpotential_mV=mean, end_overpotential_mV=end,
        current_density_mA_cm2=j, initial_mV=initial, peak_mV=float(before[k]),
        peak_h=float(end_h[k]), final_mV=final, settle_h=settle_h, shorted=shorted,
        short_h=short_h, shorted_mV=shorted_mV, area_cm2=float(area_cm2),
        thresholds={"short_fraction": short_fraction, "min_half_cycles": min_half_cycles,
                    "settle_tolerance": settle_tolerance, "tail": tail},
        source=data.source,
        provenance=provenance(source=data.source, area_cm2=area_cm2, short_fraction=short_fraction,
                              min_half_cycles=min_half_cycles))

