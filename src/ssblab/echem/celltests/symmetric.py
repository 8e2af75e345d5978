"""Galvanostatic cycling of symmetric cells (Li|SE|Li, Li-In|SE|Li-In): :func:`analyse_symmetric`.

A *half cycle* is a run of consecutive segments with current of one sign (rest between them is
skipped). Per half cycle: the overpotential ``|V|max`` (the largest |V|, what papers plot as
"overpotential"), the time-averaged |V|, and |V| at its end.

Evolution: the initial overpotential (first half cycle), the peak and when it occurred, the final
value (median of the last ``tail`` half cycles before any short) and the settling time, the end
of the last half cycle before the overpotential stays within ``settle_tolerance`` of the change
(initial - final) around the final value. Settling is judged on the time-averaged |V|, which
follows the same history as the peak but averages the noise of a half cycle instead of picking
its largest excursion.

Short circuit: the cell is called shorted from the first of ``min_half_cycles`` consecutive half
cycles whose end |V| (the median of its last three records, so one glitch decides nothing) is
below ``short_fraction`` times the highest overpotential before it (or within two noise widths
of zero), and lower than that by more than ``n_sigma`` times the voltage noise measured in the
file: a dendrite bridging the
electrolyte makes the cell an ohmic contact whose voltage is orders of magnitude below the
polarisation (seed 004: 170 mV -> 2 mV). The short time is the first record of the run of
records below that threshold that lasts to the end of the half cycle (one noisy record does not
start it). A polarisation that merely settles (Li-In: 150 -> 60 mV, 40 %)
is not a short at the default ``short_fraction = 0.1``.

Transient shorts: a short that reopens (the polarisation comes back) is reported in
``transient_shorts`` with its start, end, length and depth, whether it lasted ``min_records``
records inside one half cycle or several half cycles; ``reopened`` says whether the sustained
short (if any) reopened before the end of the data.

Settling: the overpotential is *settled* only if, after the settling time, it stays within
``settle_tolerance`` of the change around its final value (or three times its scatter, if
larger; judged on a running median over ``2 tail + 1`` half cycles) for at least ``2 tail``
half cycles, with no significant linear drift over the last quarter of the test larger than
half of ``settle_tolerance`` of the change. A curve that rises (or falls) to the end of the
test, however slowly its growth slows down (a parabolic interphase growth), is reported as
"not settled" (``settle_h`` NaN).
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.cycling import StepTable, step_table
from ssblab.echem.celltests.evidence import (
    confidence,
    median3,
    noise_floor_V,
    runs,
    step_down,
)
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


def current_rows(data: CyclerData, seg: StepTable, half: HalfCycles) -> tuple[float, list[np.ndarray]]:
    """The voltage noise floor (mV) and, per half cycle, the rows that carry its current (rests
    inside it excluded): what the CCD and symmetric-cell calls judge."""
    segment_of_row = np.repeat(np.arange(seg.n_segments, dtype=np.int32), seg.stop_row - seg.start_row)
    sigma_mV = 1e3 * noise_floor_V(data.voltage_V, segment_of_row)
    kind_of_row = seg.kind[segment_of_row]
    rows = [np.arange(seg.start_row[half.first[h]], seg.stop_row[half.last[h]])
            for h in range(half.first.size)]
    return sigma_mV, [r[kind_of_row[r] == half.sign[h]] for h, r in enumerate(rows)]


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
    reopened: bool = False               # the sustained short reopened before the data end
    short_evidence: str = ""             # size, records and noise behind the short call
    confidence: str = ""                 # of the short call: "high", "medium" or "low"
    transient_shorts: tuple = ()         # dicts: start_h, end_h, records, half_cycles, depth_mV
    noise_mV: float = math.nan           # voltage noise measured from the data (sigma)
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
                     ("overpotential after short / mV", self.shorted_mV),
                     ("short reopened", self.reopened), ("evidence", self.short_evidence),
                     ("confidence", self.confidence)]
        if self.transient_shorts:
            rows.append(("transient shorts (reopened)", "; ".join(
                f"{e['start_h']:.4g}-{e['end_h']:.4g} h ({e['records']} records, "
                f"{e['depth_mV']:.3g} mV deep)" for e in self.transient_shorts[:5])
                + (f" and {len(self.transient_shorts) - 5} more"
                   if len(self.transient_shorts) > 5 else "")))
        rows.append(("voltage noise (sigma) / mV", self.noise_mV))
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
                      tail: int = 5, min_records: int = 3, n_sigma: float = 5.0) -> SymmetricResult:
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
    min_records, n_sigma
        A transient short inside a half cycle must last ``min_records`` records; every short
        must be deeper than ``n_sigma`` times the measured voltage noise.

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
    if min_records < 1 or not n_sigma > 0 or tail < 1:
        raise InputError("analyse_symmetric: expected min_records >= 1, n_sigma > 0, tail >= 1; "
                         f"found {min_records}, {n_sigma}, {tail}")
    seg = step_table(data)
    half = half_cycles(seg)
    active = seg.kind != 0  # reduceat from one half cycle to the next also spans rests
    peak = np.maximum.reduceat(seg.abs_voltage_max_V * active, half.first) * 1e3
    duration = np.add.reduceat(seg.duration_s * active, half.first)
    weighted = np.add.reduceat(seg.abs_voltage_mean_V * seg.duration_s * active, half.first)
    mean = np.where(duration > 0, weighted / np.where(duration > 0, duration, 1), 0.0) * 1e3
    end_h = (seg.start_s[half.last] + seg.duration_s[half.last]) / 3600
    passed = np.add.reduceat((seg.charge_mAh + seg.discharge_mAh) * active, half.first)
    j = np.where(duration > 0, passed * 3600 / np.where(duration > 0, duration, 1), 0) / area_cm2
    sigma_mV, rows = current_rows(data, seg, half)
    # end of each half cycle: the median of its last records, so one glitch decides nothing
    end = np.array([1e3 * abs(float(np.median(data.voltage_V[r[-min(3, r.size):]])))
                    for r in rows])
    running = np.maximum.accumulate(peak)
    before = np.r_[0.0, running[:-1]]
    # a shorted cell reads ~0 V plus noise: "low" is below short_fraction of the peak so far or
    # within two noise widths of zero, and in any case n_sigma noise widths under that peak
    # judged on the median of the last three records or of the last third: a short late in a
    # half cycle shows in the first, a shorted half cycle whose last records happen to be noisy
    # in the second; each against the highest settled level before (the median of a third of a
    # half cycle: a level, not a noisy maximum) and its own noise (1.25 sigma / sqrt(records))
    third = [max(3, r.size // 3) for r in rows]
    settled_end = np.array([1e3 * abs(float(np.median(data.voltage_V[r[-w:]])))
                            for r, w in zip(rows, third)])
    noise_3 = 1.25 * sigma_mV / np.sqrt(np.minimum([r.size for r in rows], 3))
    noise_third = 1.25 * sigma_mV / np.sqrt(np.minimum([r.size for r in rows], third))
    # the reference is the recent healthy level (median of the last five healthy settled ends),
    # so a polarisation that declines (Li-In settling) does not leave a stale high bar; a short
    # ends only at a half cycle that is clearly healthy again (above half the reference by
    # three noise widths), not at one that noise makes ambiguous
    low = np.zeros(peak.size, bool)
    reference = np.zeros(peak.size)
    healthy_ends: list[float] = []
    shorted_now = False
    for h in range(peak.size):
        ref = float(np.median(healthy_ends[-5:])) if healthy_ends else 0.0
        reference[h] = ref
        is_low = any(level < max(short_fraction * ref, 2 * noise) and ref - level > n_sigma * noise
                     for level, noise in ((end[h], noise_3[h]), (settled_end[h], noise_third[h])))
        is_high = settled_end[h] > 0.5 * ref + 3 * noise_third[h]
        shorted_now = is_low or (shorted_now and not is_high)
        low[h] = shorted_now and h > 0
        if not shorted_now and (is_high or not healthy_ends):
            healthy_ends.append(float(settled_end[h]))
    low[0] = False
    starts, lengths = runs(low)
    sustained = np.flatnonzero(lengths >= min_half_cycles)
    shorted = sustained.size > 0
    short_h, shorted_mV, reopened = math.nan, math.nan, False
    short_evidence, call_confidence = "", ""
    healthy = peak.size
    transients = []
    def dips(h, level=None):  # records (median of three: one noisy record breaks no run) near 0 V
        x = 1e3 * data.voltage_V[rows[h]] * half.sign[h]
        smooth = median3(x)
        # the typical polarisation (not a noisy maximum): this half cycle's median, or the
        # end level of the one before when this one is mostly shorted
        if level is None:
            level = max(float(np.median(x)), float(settled_end[h - 1]) if h else 0.0)
        dip = (smooth < max(short_fraction * level, 2 * sigma_mV)) & (
            level - smooth > n_sigma * sigma_mV)
        dip[1:-1] |= dip[:-2] & dip[2:]  # one noisy record inside a dip does not end it
        return x, level, dip

    merged = set()
    for s0, n in zip(starts, lengths):
        last = s0 + n - 1
        if last + 1 < peak.size:  # the polarisation came back: a short that reopened
            level_before = float(settled_end[s0 - 1]) if s0 else None  # the level before it
            _, _, dip = dips(s0, level_before)  # it began where the dip that runs to the end began
            dip_starts, dip_lengths = runs(dip)
            ending = dip_starts[dip_starts + dip_lengths == dip.size]
            first = int(ending[0]) if ending.size else (int(np.argmax(dip)) if dip.any() else 0)
            begin = float(data.time_s[rows[s0][first]] / 3600)
            _, _, dip_last = dips(last, level_before)
            _, _, dip_after = dips(last + 1, level_before)
            if dip_last.size and not dip_last[-1] and dip_last.any():  # reopened inside the last
                reopen = int(np.flatnonzero(dip_last)[-1]) + 1
                still = 0
                finish = float(data.time_s[rows[last][reopen]] / 3600)
            else:  # it may reopen only inside the next half cycle
                after_starts, after_lengths = runs(dip_after)
                still = (int(after_starts[0] + after_lengths[0])
                         if after_starts.size and after_starts[0] <= 2 else 0)
                finish = (float(data.time_s[rows[last + 1][still]] / 3600)
                          if 0 < still < dip_after.size else float(end_h[last]))
            if still:
                merged.add(last + 1)
            transients.append({"start_h": begin, "end_h": finish,
                               "records": int(sum(rows[h].size for h in range(s0, last + 1))
                                              - first + still),
                               "half_cycles": int(n),
                               "depth_mV": float(before[s0] - np.median(end[s0:last + 1]))})
    for h in range(peak.size):  # shorts that open and close inside one half cycle
        if low[h] or h == 0 or h in merged:
            continue
        x, level, dip = dips(h)
        for s0, n in zip(*runs(dip)):
            if n >= min_records and s0 + n < x.size:
                transients.append({"start_h": float(data.time_s[rows[h][s0]] / 3600),
                                   "end_h": float(data.time_s[rows[h][s0 + n]] / 3600),
                                   "records": int(n), "half_cycles": 0,
                                   "depth_mV": float(level - np.median(x[s0:s0 + n]))})
    transients.sort(key=lambda e: e["start_h"])
    if shorted:
        run = int(starts[sustained[0]])
        stop = run + int(lengths[sustained[0]])
        reopened = stop < peak.size
        healthy = run
        # the short begins at the first record of the run that reaches the end of the half
        # cycle below the threshold (or two noise widths), so one noisy record does not start it
        threshold = max(short_fraction * running[run - 1], 2 * sigma_mV) / 1e3
        x = data.voltage_V[rows[run]] * half.sign[run]
        k = step_down(x, threshold)  # where the level fell (noise crossing it moves nothing)
        short_h = float(data.time_s[rows[run][k]] / 3600)
        below = np.arange(k, x.size)
        shorted_mV = float(np.median(end[run:stop]))
        records = int(sum(rows[h].size for h in range(run, stop))) - (int(below[0]) if below.size else 0)
        size = float(running[run - 1] - shorted_mV)
        short_evidence = (f"the end-of-half |V| fell from a peak of {running[run - 1]:.3g} mV to "
                          f"{shorted_mV:.3g} mV for {stop - run} half cycles ({records} records; "
                          f"noise {sigma_mV:.2g} mV)")
        call_confidence = confidence(size, sigma_mV, stop - run, min_records=min_half_cycles)
    elif low[-1]:  # low only in the last few half cycles: too short to call, kept as evidence
        s0 = int(starts[-1])
        r = np.concatenate(rows[s0:])
        transients.append({"start_h": float(data.time_s[r[0]] / 3600), "end_h": float(end_h[-1]),
                           "records": int(r.size), "half_cycles": int(lengths[-1]),
                           "depth_mV": float(before[s0] - np.median(end[s0:])),
                           "open_at_end": True})
    before_short = peak[:healthy]
    k = int(np.argmax(before_short))
    final = float(np.median(before_short[-tail:]))
    initial = float(before_short[0])
    # settling is judged on the time-averaged |V|: it follows the same history as the peak but
    # averages the noise over the half cycle instead of picking its largest excursion
    smooth = mean[:healthy]
    settle_h = _settling(smooth, end_h[:healthy], float(np.median(smooth[-tail:])), float(smooth[0]),
                         tolerance=settle_tolerance, window=2 * tail)
    follows = np.mean(np.sign(seg.voltage_last_V[half.last]) == half.sign)
    note = "" if follows >= 0.5 else (
        "the voltage does not change sign with the current, so this is not a symmetric cell: "
        "the 'overpotentials' reported are cell voltages")
    return SymmetricResult(
        reason=note, end_h=end_h, overpotential_mV=peak, mean_overpotential_mV=mean,
        end_overpotential_mV=end, current_density_mA_cm2=j, initial_mV=initial,
        peak_mV=float(before_short[k]), peak_h=float(end_h[k]), final_mV=final, settle_h=settle_h,
        shorted=shorted, short_h=short_h, shorted_mV=shorted_mV, reopened=reopened,
        short_evidence=short_evidence, confidence=call_confidence,
        transient_shorts=tuple(transients), noise_mV=sigma_mV, area_cm2=float(area_cm2),
        thresholds={"short_fraction": short_fraction, "min_half_cycles": min_half_cycles,
                    "settle_tolerance": settle_tolerance, "tail": tail,
                    "min_records": min_records, "n_sigma": n_sigma},
        source=data.source,
        provenance=provenance(source=data.source, area_cm2=area_cm2, short_fraction=short_fraction,
                              min_half_cycles=min_half_cycles, min_records=min_records,
                              n_sigma=n_sigma))


def _settling(eta, end_h, final, initial, *, tolerance, window) -> float:
    """End of the half cycle after which ``eta`` stays settled (module docstring), else NaN.

    The band around the final value is ``tolerance`` times the change, widened to three times
    the noise of the comparison when that is larger. The band is judged on a centred running
    median over ``window + 1`` half cycles (its scatter ``1.25 s / sqrt(window + 1)`` for a
    half-cycle scatter ``s``) against the final value of that median (the median of the last
    ``window + 1``; the noise of the comparison is then ``sqrt(2)`` times that scatter): on the
    raw curve, the last of hundreds of noisy half cycles to stray from a noise-wide band would
    decide the settling time. The settled stretch must span
    ``window`` half cycles; it is still moving if a linear drift over the last quarter of the
    test is significant (over three standard errors) and larger than half of ``tolerance``
    times the change (a curve moving that fast leaves the band before the test has run half as
    long again: a power-law growth that merely slows down never settles). A drift over the
    whole settled stretch is no test: a curve that enters the band at one edge and ends at the
    final value has drifted ``tolerance`` times the change by construction."""
    scatter = 1.4826 * float(np.median(np.abs(np.diff(eta)))) / np.sqrt(2) if eta.size > 2 else 0.0
    width = window // 2 * 2 + 1
    smooth = eta.copy()
    if eta.size >= width:
        half = width // 2
        smooth[half:-half] = np.median(np.lib.stride_tricks.sliding_window_view(eta, width), axis=1)
        scatter_smooth = 1.25 * scatter / math.sqrt(width)
        final = float(np.median(eta[-width:]))  # the end of the same running median
    else:
        scatter_smooth = scatter
    change = abs(initial - final)
    # the band holds the noise of both the running median and the final value it is held to
    band = max(tolerance * change, 3 * math.sqrt(2) * scatter_smooth)
    outside = np.flatnonzero(np.abs(smooth - final) > band)
    first = int(outside[-1]) + 1 if outside.size else 0
    if eta.size - first < min(window, eta.size):
        return math.nan

    def drifts(x, y, limit):
        if x.size < 3 or not np.ptp(x) > 0:
            return False
        (slope, _), cov = np.polyfit(x, y, 1, cov=True)
        return abs(slope) > 3 * math.sqrt(max(cov[0, 0], 0.0)) and abs(slope) * np.ptp(x) > limit

    last = end_h >= end_h[-1] - 0.25 * (end_h[-1] - end_h[0])
    if np.count_nonzero(last) >= window and drifts(end_h[last], eta[last], 0.5 * tolerance * change):
        return math.nan
    return float(end_h[first - 1]) if first else float(end_h[0])
