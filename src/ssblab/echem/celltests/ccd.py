"""Critical current density (CCD) of a symmetric cell from a stepped-current test, and the step
table that runs one: :func:`analyse_ccd`, :func:`ccd_protocol`.

Protocol (seed 003): plate/strip at ``start`` mA/cm2, then ``start + step``, ``start + 2 step``
... for a fixed time or a fixed areal capacity per half cycle, until the cell fails.

The half cycles (see :mod:`ssblab.echem.celltests.symmetric`) are grouped into current levels (a new level
when the current density changes by more than ``level_tolerance``). The voltage is read as the
*signed polarisation* ``x = V sign(I)`` in mV (positive when the voltage follows the current),
so a voltage that swings through 0 V after the current reverses, or rises slowly from 0 V, is
a rise, never a drop. The noise ``sigma`` is measured from the data
(:func:`~ssblab.echem.celltests.evidence.noise_floor_V`). A half cycle fails on the first of:

``voltage-drop``
    ``x`` falls below its running maximum (of a trailing running median over 3-15 records, so
    neither one spike nor the extremes of a long noisy half cycle raise it) by more than
    ``drop_fraction`` of that maximum *and* more than ``n_sigma`` sigma, from a maximum that is
    itself above ``n_sigma`` sigma, and stays there for ``min_records`` consecutive records
    (counting on into the next half cycle when the drop comes at the end of one and that half
    cycle is low as a whole). Under
    constant current the polarisation only rises or plateaus, unless a dendrite short-circuits
    the cell. Shorter excursions are *glitches*: ignored and listed in ``glitches``.
``ohmic-collapse``
    the second half of the half cycle (median, at least ``min_records`` records) has an
    area-specific resistance ``x / j`` below ``collapse_fraction`` times the smallest ASR of the
    healthy half cycles before it (those whose polarisation is resolved: above ``n_sigma`` times
    the noise of that median, ``1.25 sigma / sqrt(records)``; each taken two noise widths low),
    by more than the same, with at least ``min_records`` records that low (two glitch records
    in a short half cycle are not a collapse): the cell conducts electronically. A file in which
    no half cycle is resolved gives ``ok=False``: a short could not have been seen.
    The same collapse is also called when two half cycles in a row end nearer 0 V than the
    typical healthy polarisation (median ASR of the last four half cycles times ``j``), with
    the midpoint three noise widths clear of both: a short at a level whose polarisation is
    too close to the noise for the cautious bar above. A collapse is then walked back over the
    unresolved half cycles just before it that were already nearer 0 V than the healthy
    polarisation; if noise hid them, the evidence says the failure may have begun there and
    the confidence is ``"low"``.
``voltage-limit``
    ``x`` reaches ``voltage_limit_V`` (if given; within three noise widths) for
    ``min_records`` records or at the end of the half cycle (where the cycler's limit ends the
    step); or, with no limit given, the half cycle ended before the protocol's time (a
    fixed-time test) or charge (a fixed-capacity one) by more than two records, at its highest
    |V| (risen ``n_sigma`` noise widths above its median): the cycler's limit cut it off. A
    polarisation failure (contact loss, voids), reported as such and never as a short; the CCD
    is the level it happens at.

Every call carries its evidence: time, records it lasted (``failure_records``), size
(``change_mV``), the noise (``noise_mV``) and a confidence (``"high"``: at least 10 sigma over
at least twice ``min_records``; ``"medium"``; ``"low"``: fewer records than a call needs, which
happens only when the drop is the last thing in the file).

The critical current density is the current density of the level in which the first failure
occurs (the convention of seed 003 and most solid-electrolyte papers); ``last_stable_mA_cm2`` is
the level before it. The areal capacity at failure is the charge passed in the failing half
cycle up to the failing record, per area.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.cycling import step_table
from ssblab.echem.celltests.evidence import confidence, runs, step_down
from ssblab.echem.celltests.symmetric import current_rows, half_cycles
from ssblab.echem.cycler_data import CyclerData
from ssblab.errors import InputError
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class CCDAnalysis(Result):
    """Critical current density, the failing half cycle and the per-level table."""

    failed: bool
    ccd_mA_cm2: float
    last_stable_mA_cm2: float
    areal_capacity_at_failure_mAh_cm2: float
    failure_h: float
    signature: str
    evidence: str
    level_mA_cm2: np.ndarray           # per level
    level_capacity_mAh_cm2: np.ndarray  # areal capacity of the level's first half cycle
    level_max_V: np.ndarray            # largest |V| in the level
    level_half_cycles: np.ndarray
    time_h: np.ndarray                 # trace for plotting (decimated)
    voltage_V: np.ndarray
    area_cm2: float = 1.0
    failure_records: int = 0           # records the failure lasted (sustained change)
    change_mV: float = math.nan        # size of the drop / collapse
    confidence: str = ""               # "high", "medium" or "low" (evidence.confidence)
    noise_mV: float = math.nan         # voltage noise measured from the data (sigma)
    glitches: tuple = ()               # ignored short excursions: dicts with time, records, size
    thresholds: dict = dataclasses.field(default_factory=dict)
    source: str = ""

    title: ClassVar[str] = "Critical current density"

    def summary(self):
        rows = [("source", self.source or "-"), ("area / cm2", self.area_cm2),
                ("current levels", int(self.level_mA_cm2.size)),
                ("levels / mA/cm2", ", ".join(f"{j:.3g}" for j in self.level_mA_cm2))]
        if self.failed:
            rows += [("critical current density / mA/cm2", self.ccd_mA_cm2),
                     ("last stable level / mA/cm2", self.last_stable_mA_cm2),
                     ("areal capacity at failure / mAh/cm2", self.areal_capacity_at_failure_mAh_cm2),
                     ("failure at / h", self.failure_h), ("failure signature", self.signature),
                     ("evidence", self.evidence),
                     ("change / mV (records)", f"{self.change_mV:.3g} ({self.failure_records})"),
                     ("confidence", self.confidence)]
        else:
            rows.append(("critical current density / mA/cm2",
                         f"> {self.level_mA_cm2.max():.3g} (no failure)"))
        rows.append(("voltage noise (sigma) / mV", self.noise_mV))
        if self.glitches:
            where = ", ".join(f"{g['time_h']:.3g} h ({g['records']} rec.)" for g in self.glitches[:5])
            more = f" and {len(self.glitches) - 5} more" if len(self.glitches) > 5 else ""
            rows.append(("glitches ignored", f"{len(self.glitches)}: {where}{more}"))
        return rows

    def table(self):
        return [{"current_density_mA_cm2": float(j), "half_cycles": int(n),
                 "areal_capacity_mAh_cm2": float(q), "max_abs_voltage_V": float(v)}
                for j, n, q, v in zip(self.level_mA_cm2, self.level_half_cycles,
                                      self.level_capacity_mAh_cm2, self.level_max_V)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.time_h, self.voltage_V * 1e3, lw=0.7)
        if self.failed:
            ax.axvline(self.failure_h, color="r", ls="--", lw=1,
                       label=f"{self.signature}: CCD {self.ccd_mA_cm2:.3g} mA/cm2")
            ax.legend(fontsize=8)
        ax.set_xlabel("time / h")
        ax.set_ylabel("voltage / mV")


def analyse_ccd(data: CyclerData, *, area_cm2: float, drop_fraction: float = 0.5,
                collapse_fraction: float = 0.2, voltage_limit_V: float | None = None,
                level_tolerance: float = 0.05, min_records: int = 3,
                n_sigma: float = 5.0) -> CCDAnalysis:
    """Critical current density of a stepped-current symmetric-cell test.

    Parameters
    ----------
    data
        The cycler table of the CCD test.
    area_cm2
        Electrode area.
    drop_fraction, collapse_fraction, voltage_limit_V
        Failure signatures (module docstring).
    level_tolerance
        Relative change of current density that starts a new level.
    min_records
        Consecutive records a change must last to count; shorter ones are glitches.
    n_sigma
        A drop or collapse must exceed this many standard deviations of the voltage noise
        (measured from the data, :func:`~ssblab.echem.celltests.evidence.noise_floor_V`).

    Examples
    --------
    >>> from ssblab.echem.celltests.synthetic import ccd_staircase_data
    >>> r = analyse_ccd(ccd_staircase_data(fail_step=4), area_cm2=1.0)
    >>> round(r.ccd_mA_cm2, 3), r.signature, round(r.areal_capacity_at_failure_mAh_cm2, 3)
    (0.7, 'voltage-drop', 0.181)
    """
    if not area_cm2 > 0 or not 0 < drop_fraction < 1 or not 0 < collapse_fraction < 1:
        raise InputError("analyse_ccd: expected area_cm2 > 0, 0 < drop_fraction < 1, "
                         f"0 < collapse_fraction < 1; found {area_cm2}, {drop_fraction}, "
                         f"{collapse_fraction}")
    if min_records < 1 or not n_sigma > 0:
        raise InputError("analyse_ccd: expected min_records >= 1 and n_sigma > 0; found "
                         f"{min_records}, {n_sigma}")
    seg = step_table(data)
    half = half_cycles(seg)
    active = seg.kind != 0
    duration = np.add.reduceat(seg.duration_s * active, half.first)
    passed = np.add.reduceat((seg.charge_mAh + seg.discharge_mAh) * active, half.first)
    j = passed * 3600 / np.where(duration > 0, duration, np.inf) / area_cm2
    new_level = np.r_[True, np.abs(j[1:] - j[:-1]) > level_tolerance * np.maximum(j[:-1], 1e-300)]
    level = np.cumsum(new_level) - 1
    sigma_mV, rows = current_rows(data, seg, half)
    polar = [1e3 * data.voltage_V[r] * half.sign[h] for h, r in enumerate(rows)]  # mV, signed
    failure, glitches = None, []
    healthy_asr, quiet, asr_recent = math.inf, [], []
    previous_near_zero, half_way_before, previous_near_count = False, math.nan, 0
    for h in range(half.first.size):
        x = polar[h]
        if duration[h] <= 0 or x.size == 0:
            continue
        found = []
        # voltage-drop: below the running maximum of a trailing running median (so neither one
        # spike nor the extremes of a long noisy half cycle raise it) by more than
        # drop_fraction of it and n_sigma noise widths
        level_before = np.r_[-np.inf, np.maximum.accumulate(_trailing_median(x))[:-1]]
        threshold = np.maximum(drop_fraction * level_before, n_sigma * sigma_mV)
        low = (level_before > n_sigma * sigma_mV) & (x < level_before - threshold)
        for s, length in zip(*runs(low)):
            later = 0
            if s + length == x.size:  # the run reaches the end: does it go on in what follows?
                later = _continues(polar[h + 1:], level_before[s] - threshold[s], min_records - length)
            total = length + later
            drop = float(level_before[s] - np.median(x[s:s + length]))
            if total >= min_records or (s + length == x.size and h + 1 == len(polar) and total >= 2):
                found.append((int(s), "voltage-drop", total, drop,
                              (f"|V| fell from {level_before[s]:.3g} to "
                               f"{np.median(x[s:s + length]):.3g} mV and stayed there for "
                               f"{total} records at {j[h]:.3g} mA/cm2")))
                break
            glitches.append({"time_h": float(data.time_s[rows[h][s]] / 3600), "records": int(length),
                             "voltage_mV": float(np.min(x[s:s + length])),
                             "level_mV": float(level_before[s]), "current_density_mA_cm2": float(j[h])})
        # ohmic-collapse: the half cycle ends far below the smallest healthy ASR times j
        # the end level is the median of the second half (at least min_records records), whose
        # noise is ~1.25 sigma / sqrt(w): polarisations below one sigma are still resolved
        w = min(max(min_records, x.size // 2), x.size)
        end_mV = float(np.median(x[-w:]))
        end_noise = 1.25 * sigma_mV / math.sqrt(w)
        asr_end = end_mV / j[h] if j[h] > 0 else math.inf  # ohm cm2 (mV / (mA/cm2))
        expected = healthy_asr * j[h]
        # a call rests on min_records records however short the half cycle: a log with one or
        # two records a half cycle cannot tell a collapse from a record in the swing
        lasting = np.count_nonzero(x[-w:] < collapse_fraction * expected) >= min_records
        if (math.isfinite(healthy_asr) and asr_end < collapse_fraction * healthy_asr
                and expected - end_mV > n_sigma * end_noise and lasting):
            k = step_down(x, collapse_fraction * expected)
            found.append((k, "ohmic-collapse", x.size - k, expected - end_mV,
                          (f"ASR {asr_end:.3g} ohm cm2 at the end of the half cycle vs "
                           f"{healthy_asr:.3g} before")))
        # the same collapse, judged against the typical ASR of the last half cycles (median,
        # unbiased, where the bar above is a cautious lower bound): a half cycle whose end is
        # nearer 0 V than that polarisation, with the midpoint three noise widths clear, and
        # the half cycle before it too, is a short that began there
        recent = [a for a in asr_recent[-4:] if math.isfinite(a)]
        typical_asr = float(np.median(recent)) if len(recent) >= 2 else math.inf
        half_way = 0.5 * typical_asr * j[h]
        near_count = int(np.count_nonzero(x[-w:] < half_way))
        near_zero = (math.isfinite(half_way) and half_way > 3 * end_noise and end_mV < half_way
                     and near_count >= min(min_records, w))
        if (near_zero and previous_near_zero and not found
                and near_count + previous_near_count >= min_records):
            g = h - 1
            k = step_down(polar[g], 0.5 * typical_asr * j[g])
            found.append((-1, "ohmic-collapse", polar[g].size - k + x.size,
                          0.5 * typical_asr * j[g] * 2 - end_mV,
                          (f"two half cycles in a row end nearer 0 V ({end_mV:.3g} mV) than the "
                           f"typical healthy polarisation ({typical_asr * j[h]:.3g} mV)")))
        cut = _cut_off(h, x, duration, passed, rows, data.time_s, sigma_mV, n_sigma, len(polar))
        if cut is not None:
            found.append(cut)
        if voltage_limit_V is not None:
            over = x >= 1e3 * voltage_limit_V - 3 * sigma_mV
            for s, length in zip(*runs(over)):
                if length >= min_records or s + length >= x.size - 1:
                    found.append((int(s), "voltage-limit", int(length),
                                  float(x[s] - np.median(x[:max(s, 1)])),
                                  f"|V| reached the {voltage_limit_V:.3g} V limit"))
                    break
        if found:
            failure = (h, *min(found, key=lambda item: item[0]))
            if failure[1] == -1:  # began in the half cycle before
                failure = (h - 1, step_down(polar[h - 1], half_way_before), *failure[2:])
                quiet = [q for q in quiet if q[0] < h - 1]
            if failure[2] == "ohmic-collapse":
                failure = _walk_back(failure, quiet, typical_asr, j, polar)
            break
        previous_near_zero, half_way_before, previous_near_count = near_zero, half_way, near_count
        asr_recent.append(asr_end)
        if end_mV > n_sigma * end_noise:  # an ASR only where the polarisation is resolved,
            # and its lower bound: a level that noise pushed up must not set the bar
            healthy_asr = min(healthy_asr, (end_mV - 2 * end_noise) / j[h])
            quiet = []
        else:  # too small to judge alone: kept in case a collapse later shows where it began
            quiet.append((h, end_mV, end_noise))
    n_levels = int(level[-1]) + 1
    level_j = np.bincount(level, weights=j * duration) / np.maximum(
        np.bincount(level, weights=duration), 1e-300)
    first_of_level = np.flatnonzero(new_level)
    level_q = passed[first_of_level] / area_cm2
    level_v = np.zeros(n_levels)
    np.maximum.at(level_v, level, np.maximum.reduceat(seg.abs_voltage_max_V * active, half.first))
    stride = max(1, data.n_rows // 20000)
    thresholds = {"drop_fraction": drop_fraction, "collapse_fraction": collapse_fraction,
                  "voltage_limit_V": voltage_limit_V, "level_tolerance": level_tolerance,
                  "min_records": min_records, "n_sigma": n_sigma}
    common = dict(level_mA_cm2=level_j, level_capacity_mAh_cm2=level_q, level_max_V=level_v,
                  level_half_cycles=np.bincount(level), time_h=data.time_s[::stride] / 3600,
                  voltage_V=data.voltage_V[::stride], area_cm2=float(area_cm2),
                  noise_mV=sigma_mV, glitches=tuple(glitches), thresholds=thresholds,
                  source=data.source, provenance=provenance(source=data.source, area_cm2=area_cm2,
                                                            **thresholds))
    if failure is None:
        blind = not math.isfinite(healthy_asr)
        if blind:  # the polarisation never rose above the noise: a short could not be seen
            common.update(ok=False, reason=(
                f"the polarisation never rose above {n_sigma:g} noise widths "
                f"({sigma_mV:.3g} mV per record) in any half cycle, so no failure could be seen"))
        return CCDAnalysis(failed=False, ccd_mA_cm2=math.nan, last_stable_mA_cm2=float(level_j[-1]),
                           areal_capacity_at_failure_mAh_cm2=math.nan, failure_h=math.nan,
                           signature="", evidence="no sustained failure signature in any half cycle",
                           **common)
    h, k, signature, records, size, evidence = failure
    row = int(rows[h][k])
    lo = int(rows[h][0])
    t, i = data.time_s[lo:row + 1], np.abs(data.current_mA[lo:row + 1])
    charge = float(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t)) / 3600) if t.size > 1 else 0.0
    lv = int(level[h])
    return CCDAnalysis(failed=True, ccd_mA_cm2=float(level_j[lv]),
                       last_stable_mA_cm2=float(level_j[lv - 1]) if lv else math.nan,
                       areal_capacity_at_failure_mAh_cm2=charge / area_cm2,
                       failure_h=float(data.time_s[row] / 3600), signature=signature,
                       evidence=evidence, failure_records=int(records), change_mV=float(size),
                       confidence=("low" if "low confidence" in evidence else
                                   confidence(size, sigma_mV, records, min_records=min_records)),
                       **common)


def _cut_off(h, x, duration, passed, rows, time_s, sigma_mV, n_sigma, n_half):
    """A half cycle that the cycler's voltage limit ended: a polarisation failure (contact
    loss, voids), not a short. ``None`` when there is none.

    The protocol sets either the time (fixed-time: the half cycles so far share a duration,
    to a record or 2 %) or the charge (fixed-capacity: they share a charge) of a half cycle;
    the half cycle ended early when it fell short of that plan (the median so far) by more
    than two records and a tenth, or of both where both held so far (a single level) or
    neither. It must also end at its highest |V|, risen
    above its median by ``n_sigma`` noise widths, or fall short in both time and charge (a
    log too sparse to show the rise). The last half cycle of a file is never one: a test
    stopped by hand ends early too."""
    if h == 0 or h + 1 >= n_half or x.size < 2:
        return None
    before = np.flatnonzero(duration[:h] > 0)
    if before.size == 0:
        return None
    planned_s = float(np.median(duration[before]))
    planned_q = float(np.median(passed[before]))
    t = time_s[rows[h]]
    record_s = float(np.median(np.diff(t))) if t.size > 2 else planned_s
    record_q = passed[h] / max(duration[h], 1e-300) * record_s
    short_t = planned_s - duration[h] > max(0.1 * planned_s, 2 * record_s)
    short_q = planned_q - passed[h] > max(0.1 * planned_q, 2 * record_q)

    def held(values, record):  # the same in every half cycle so far, to a record or 2 %
        scatter = float(np.max(np.abs(values - np.median(values))))
        return scatter <= max(0.02 * float(np.median(values)), record)

    fixed_time = held(duration[before], record_s)
    fixed_charge = held(passed[before], record_q)
    # both held (one level so far) or neither: only a shortfall in both says "cut off"
    early = (short_t and short_q) or (fixed_time and not fixed_charge and short_t) or (
        fixed_charge and not fixed_time and short_q)
    if not early:
        return None
    tail = x[-min(3, x.size):]
    rise = float(np.median(tail) - np.median(x))
    risen = rise > n_sigma * sigma_mV and x[-1] >= np.max(x[:-1]) - 2 * sigma_mV
    if not risen and not (short_t and short_q):
        return None
    note = ("" if risen else "; no record shows the rise that ended it (low confidence)")
    # records of the rise; the cycler ending the step is itself a lasting change, so a
    # visible rise counts as sustained however few records the log kept of it
    above = x > np.median(x) + n_sigma * sigma_mV
    trailing = int(np.argmin(above[::-1])) if not above.all() else x.size
    records = max(trailing, 3) if risen else trailing
    return (x.size - 1, "voltage-limit", records, rise,
            (f"the half cycle ended after {duration[h] / 3600:.3g} h and "
             f"{passed[h]:.3g} mAh, short of the {planned_s / 3600:.3g} h and {planned_q:.3g} mAh "
             f"of the half cycles before, |V| rising {rise:.3g} mV to {x[-1]:.3g} mV: the "
             f"cycler's voltage limit ended it, a polarisation failure (contact loss), not a "
             f"short{note}"))


def _walk_back(failure, quiet, typical_asr, j, polar):
    """A collapse seen at one half cycle may have begun in the unresolved half cycles just
    before it (a short at a level whose polarisation is near the noise shows only once the
    current grows): step back while their end level is nearer 0 (shorted) than the typical
    healthy ``ASR j`` (below half of it), where half of it is at least three noise widths of
    their median; where it is not, say so and call the result low confidence."""
    h, k, signature, records, size, evidence = failure
    first = h
    for g, end_mV, end_noise in reversed(quiet):
        if g != first - 1:
            break
        half_way = 0.5 * typical_asr * j[g]
        if not (half_way > 3 * end_noise and end_mV < half_way):
            break
        first = g
    unclear = [g for g, _, _ in quiet if g < first]
    if unclear and unclear[-1] == first - 1:  # noise hid the half cycles just before
        evidence += (f"; the half cycles before (from {j[unclear[0]]:.3g} mA/cm2) were too noisy "
                     "to judge, so the failure may have begun there (low confidence)")
    if first == h:
        return h, k, signature, records, size, evidence
    k = step_down(polar[first], 0.5 * typical_asr * j[first])
    records += sum(polar[g].size for g in range(first, h)) - k
    evidence += (f"; the half cycles from {j[first]:.3g} mA/cm2 on were already nearer 0 V than "
                 "the healthy polarisation")
    return first, k, signature, records, size, evidence


def _trailing_median(x: np.ndarray) -> np.ndarray:
    """Median of the last ``m`` records at each record, ``m`` = 3 .. 15 (a twentieth of the
    half cycle): its running maximum over n records sits ~1.25 sigma sqrt(2 ln n / m) above
    the level, not the ~3 sigma a single-record maximum reaches over a long half cycle."""
    m = int(np.clip(x.size // 20, 3, 15)) | 1
    if x.size < m:
        return np.r_[np.full(min(2, x.size), -np.inf), [np.median(x[:i + 1]) for i in range(2, x.size)]]
    out = np.full(x.size, -np.inf)  # one or two records set no level
    out[2:m - 1] = [np.median(x[:i + 1]) for i in range(2, m - 1)]  # growing window at first
    out[m - 1:] = np.median(np.lib.stride_tricks.sliding_window_view(x, m), axis=1)
    return out


def _continues(following: list, below_mV: float, needed: int) -> int:
    """How many of the next records (up to ``needed``, over the following half cycles' signed
    polarisations) stay below ``below_mV``. A following half cycle counts only if it is low as a
    whole (its median): the first records after a current reversal may still carry the old
    polarity (a swing through 0 V), which is not a short."""
    count = 0
    for x in following:
        if x.size == 0 or not np.median(x) < below_mV:
            return count
        for value in x:
            if count >= needed or not value < below_mV:
                return count
            count += 1
    return count


@dataclasses.dataclass(frozen=True, kw_only=True)
class CCDProtocol(Result):
    """The step table of a CCD test, one row per half cycle, ready to load into a cycler."""

    rows: tuple
    area_cm2: float
    title: ClassVar[str] = "CCD protocol"

    def summary(self):
        levels = sorted({r["current_density_mA_cm2"] for r in self.rows})
        hours = sum(r["duration_s"] for r in self.rows) / 3600
        return [("area / cm2", self.area_cm2), ("levels", len(levels)),
                ("current densities / mA/cm2", ", ".join(f"{j:.3g}" for j in levels)),
                ("half cycles", len(self.rows)), ("total time if no failure / h", hours)]

    def table(self):
        return list(self.rows)

    def _draw(self, ax, **kwargs):
        t = np.cumsum([0.0] + [r["duration_s"] / 3600 for r in self.rows])
        j = [r["current_density_mA_cm2"] * (1 if r["direction"] == "plate" else -1)
             for r in self.rows]
        ax.stairs(j, t)
        ax.set_xlabel("time / h")
        ax.set_ylabel("current density / mA/cm2")


def ccd_protocol(*, area_cm2: float, start_mA_cm2: float = 0.1, step_mA_cm2: float = 0.2,
                 max_mA_cm2: float = 3.0, time_per_half_h: float | None = 0.5,
                 capacity_per_half_mAh_cm2: float | None = None, cycles_per_step: int = 1,
                 rest_s: float = 0.0, voltage_limit_V: float = 5.0) -> CCDProtocol:
    """The stepped-current CCD protocol as a step table (one row per half cycle).

    Give either ``time_per_half_h`` (fixed time) or ``capacity_per_half_mAh_cm2`` (fixed areal
    capacity; the time then shrinks as the current grows). ``voltage_limit_V`` is the safety
    limit each step ends at. Write it with ``ssblab.files.write_csv(path, protocol.table())``.

    Examples
    --------
    >>> p = ccd_protocol(area_cm2=0.785, max_mA_cm2=0.5)
    >>> [(r["current_density_mA_cm2"], r["direction"]) for r in p.rows][:3]
    [(0.1, 'plate'), (0.1, 'strip'), (0.3, 'plate')]
    >>> round(p.rows[0]["current_mA"], 4), p.rows[0]["duration_s"]
    (0.0785, 1800.0)
    """
    if not area_cm2 > 0 or not start_mA_cm2 > 0 or not step_mA_cm2 > 0 or max_mA_cm2 < start_mA_cm2:
        raise InputError("ccd_protocol: expected area_cm2, start_mA_cm2, step_mA_cm2 > 0 and "
                         f"max_mA_cm2 >= start_mA_cm2; found {area_cm2}, {start_mA_cm2}, "
                         f"{step_mA_cm2}, {max_mA_cm2}")
    if capacity_per_half_mAh_cm2 is not None:
        time_per_half_h = None
    elif time_per_half_h is None or not time_per_half_h > 0:
        raise InputError("ccd_protocol: give time_per_half_h > 0 or capacity_per_half_mAh_cm2 > 0")
    n = int(math.floor((max_mA_cm2 - start_mA_cm2) / step_mA_cm2 + 1e-9)) + 1
    rows = []
    for k in range(n):
        j = round(start_mA_cm2 + k * step_mA_cm2, 10)
        hours = (capacity_per_half_mAh_cm2 / j if capacity_per_half_mAh_cm2 is not None
                 else time_per_half_h)
        for c in range(cycles_per_step):
            for direction, sign in (("plate", 1), ("strip", -1)):
                rows.append({"row": len(rows) + 1, "level": k + 1, "cycle": c + 1,
                             "direction": direction, "current_density_mA_cm2": j,
                             "current_mA": round(sign * j * area_cm2, 10), "duration_s": hours * 3600,
                             "capacity_mAh": round(j * area_cm2 * hours, 10),
                             "end_condition": f"t >= {hours * 3600:g} s or |V| >= {voltage_limit_V:g} V",
                             "rest_after_s": rest_s})
    return CCDProtocol(rows=tuple(rows), area_cm2=float(area_cm2),
                       provenance=provenance(area_cm2=area_cm2, start_mA_cm2=start_mA_cm2,
                                             step_mA_cm2=step_mA_cm2, max_mA_cm2=max_mA_cm2,
                                             time_per_half_h=time_per_half_h,
                                             capacity_per_half_mAh_cm2=capacity_per_half_mAh_cm2))
