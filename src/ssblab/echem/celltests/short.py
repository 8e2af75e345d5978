"""Internal short-circuit detection from a cycling test: :func:`detect_short`.

Every rule is judged against what the file can resolve: the voltage noise measured from the
data (:func:`~ssblab.echem.celltests.evidence.noise_floor_V`) and the capacity resolution of the
log (``CycleSummary.capacity_resolution_mAh``: charge at segment edges that a log without
records at the step changes cannot place). Rules (each judged on complete cycles after the
first ``skip_cycles`` formation cycles, except the cut-off rule, which also looks at the last,
possibly incomplete, charge):

``runaway-charge`` (hard short, seed 001)
    The charge capacity grows in ``min_cycles`` consecutive cycles, each by more than
    ``growth`` relative to the cycle before plus the resolution of both, while the Coulombic
    efficiency falls in each of them. A short drains part of the charging current, so the
    charge needs ever more charge to reach its cut-off, while less comes back on discharge.
``cutoff-not-reached`` (hard short, seed 001)
    A charge that passed at least the cell's median charge capacity but whose highest voltage
    stayed more than ``cutoff_margin_V`` plus five times the scatter of the end-of-charge
    voltage below the cell's usual end-of-charge voltage (medians over complete cycles; a log
    without a record at the cut-off, or a noisy one, scatters its highest voltage). A test
    merely stopped mid-charge passes less charge, so does not fire.
``low-efficiency`` (soft short)
    Coulombic efficiency below ``ce_threshold`` in ``min_cycles`` consecutive cycles, each by
    more than the CE the log cannot resolve (the capacity resolution over the charge); earlier
    dips it could not resolve are not the onset.
``voltage-drop`` (soft short)
    A lasting fall of the voltage within one charging step, larger than ``drop_V`` and
    ``n_sigma`` noise widths (:func:`~ssblab.echem.celltests.evidence.sustained_fall_V`: the
    median of three records below the median of the three before, or a fall that the next
    record keeps; under charging current the voltage can only fall if charge leaks), in
    ``min_cycles`` cycles (not necessarily consecutive). One-record glitches, which spring back,
    are listed in ``glitch_cycles`` and ignored.

A charge that came back as (almost) nothing, between complete cycles, is a cycle of CE ~ 0 for
these rules (a hard short empties the cell, so its discharge ends at once), not a missing one.

The onset is the earliest onset among the rules that fired, walked back over earlier cycles in
which the charge already exceeded the healthy baseline and the CE fell below it (a sparse log
can hide the first cycles of a leak from the cycle-on-cycle rules). Healthy cells fire none:
the thresholds sit outside what ageing, noise and sampling do (fade slows, never reverses, the
charge capacity; CE stays near 1 after formation). Every fired rule carries its evidence and a
confidence.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.cycling import CycleSummary, first_run, summarise
from ssblab.echem.celltests.evidence import FALL_NOISE, confidence
from ssblab.echem.cycler_data import CyclerData
from ssblab.errors import InputError
from ssblab.results import Result, provenance

RULES = ("runaway-charge", "cutoff-not-reached", "low-efficiency", "voltage-drop")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShortDetection(Result):
    """Whether and where an internal short began, which rules fired and their evidence."""

    detected: bool
    onset_cycle: int                # -1 when nothing was detected
    rules: tuple                    # names of the rules that fired
    evidence: tuple                 # one sentence per fired rule
    rule_onsets: dict               # rule -> first cycle it flags
    cycle: np.ndarray
    charge_mAh: np.ndarray
    discharge_mAh: np.ndarray
    coulombic_efficiency: np.ndarray
    max_charge_V: np.ndarray
    max_charge_drop_V: np.ndarray
    flagged: np.ndarray             # per cycle: any rule flags it
    thresholds: dict
    confidence: tuple = ()          # per fired rule: "high", "medium" or "low"
    noise_mV: float = float("nan")  # voltage noise measured from the data (sigma)
    glitch_cycles: tuple = ()       # cycles with a one-record drop that was ignored
    source: str = ""

    title: ClassVar[str] = "Internal short detection"

    def summary(self):
        rows = [("source", self.source or "-"), ("short detected", self.detected)]
        if self.detected:
            rows += [("onset cycle", self.onset_cycle), ("rules fired", ", ".join(self.rules))]
            rows += [(f"evidence ({rule}, {conf} confidence)", text)
                     for rule, text, conf in zip(self.rules, self.evidence,
                                                 self.confidence or ("",) * len(self.rules))]
        rows.append(("cycles examined", int(self.cycle.size)))
        rows.append(("voltage noise (sigma) / mV", self.noise_mV))
        if self.glitch_cycles:
            rows.append(("one-record glitches ignored (cycles)",
                         ", ".join(map(str, self.glitch_cycles[:10]))
                         + (f" and {len(self.glitch_cycles) - 10} more"
                            if len(self.glitch_cycles) > 10 else "")))
        return rows

    def table(self):
        return [{"cycle": int(c), "charge_mAh": float(q), "discharge_mAh": float(d),
                 "coulombic_efficiency": float(e), "max_charge_V": float(v),
                 "max_charge_drop_V": float(x), "flagged": bool(f)}
                for c, q, d, e, v, x, f in zip(self.cycle, self.charge_mAh, self.discharge_mAh,
                                                self.coulombic_efficiency, self.max_charge_V,
                                                self.max_charge_drop_V, self.flagged)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.cycle, self.charge_mAh, "o", ms=3, label="charge")
        ax.plot(self.cycle, self.discharge_mAh, "s", ms=3, label="discharge")
        if self.flagged.any():
            ax.plot(self.cycle[self.flagged], self.charge_mAh[self.flagged], "rx", ms=6,
                    label="flagged")
        if self.detected:
            ax.axvline(self.onset_cycle, color="r", ls="--", lw=1,
                       label=f"onset: cycle {self.onset_cycle}")
        from matplotlib.ticker import MaxNLocator

        ax.set_xlabel("cycle")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("capacity / mAh")
        twin = ax.twinx()
        twin.plot(self.cycle, 100 * self.coulombic_efficiency, "k.", ms=2)
        twin.set_ylabel("Coulombic efficiency / % (dots)")
        twin.set_ylim(0, max(110.0, 100 * np.nanmax(self.coulombic_efficiency, initial=0) + 5))
        ax.legend(loc="lower left", fontsize=8)


def detect_short(data: CyclerData | CycleSummary, *, skip_cycles: int = 2, min_cycles: int = 3,
                 growth: float = 0.02, ce_threshold: float = 0.9, drop_V: float = 0.02,
                 cutoff_margin_V: float = 0.02, n_sigma: float = 5.0) -> ShortDetection:
    """Look for a hard or soft internal short in a cycling test (rules in the module docstring).

    Parameters
    ----------
    data
        A cycler table or its :func:`~ssblab.echem.celltests.cycling.summarise` result (a table is
        summarised with the file's cycle definition).
    skip_cycles
        Formation cycles ignored by the efficiency rules.
    min_cycles
        Cycles a soft-short or runaway rule needs before it fires.
    growth
        Relative cycle-on-cycle rise of the charge capacity counted as runaway.
    ce_threshold
        Coulombic efficiency below which a cycle counts as leaking.
    drop_V
        Voltage fall between consecutive records while charging counted as a drop.
    cutoff_margin_V
        How far below its usual end-of-charge voltage a full-length charge must stay (widened
        by five times the scatter of the end-of-charge voltage over the complete cycles).
    n_sigma
        A voltage drop must exceed this many standard deviations of the measured noise.

    Examples
    --------
    >>> from ssblab.echem.celltests.synthetic import galvanostatic_cycles
    >>> detect_short(galvanostatic_cycles(40, short_cycle=33)).onset_cycle
    33
    >>> detect_short(galvanostatic_cycles(40)).detected
    False
    """
    if min_cycles < 1 or not 0 < ce_threshold < 1 or growth <= 0 or drop_V <= 0:
        raise InputError("detect_short: expected min_cycles >= 1, 0 < ce_threshold < 1, "
                         f"growth > 0, drop_V > 0; found {min_cycles}, {ce_threshold}, "
                         f"{growth}, {drop_V}")
    summary = data if isinstance(data, CycleSummary) else summarise(data)
    cyc, done = summary.cycle, summary.complete
    ce = summary.coulombic_efficiency
    charge = summary.charge_mAh
    m = cyc.size
    emptied = _emptied(summary)
    if emptied.any():  # a full charge that came back as nothing: CE ~ 0, not a missing cycle
        done = done | emptied
        ce = np.where(emptied, summary.discharge_mAh / np.maximum(charge, 1e-300), ce)
    resolution = (np.zeros(m) if summary.capacity_resolution_mAh is None
                  else np.nan_to_num(summary.capacity_resolution_mAh))
    sigma_V = 0.0 if not np.isfinite(summary.noise_mV) else summary.noise_mV / 1e3
    judged = done & (np.arange(m) >= skip_cycles)
    flags: dict[str, np.ndarray] = {}
    evidence: dict[str, str] = {}
    confidences: dict[str, str] = {}

    def walk_back(k: int) -> int:
        """The first cycle of the leak: step back from cycle index ``k`` over cycles whose
        charge already exceeds the healthy baseline (median of the eight judged cycles before
        them) by more than ``growth`` and the log's resolution while their CE is below the
        baseline's; a sparse log can hide these from the cycle-on-cycle rules."""
        while k - 1 >= skip_cycles and judged[k - 1]:
            base = np.flatnonzero(judged[:k - 1])[-8:]
            if base.size < 3:
                break
            q0, ce0 = float(np.median(charge[base])), float(np.median(ce[base]))
            if not (charge[k - 1] > q0 * (1 + growth) + resolution[k - 1]
                    and ce[k - 1] < ce0 - 2 * resolution[k - 1] / max(charge[k - 1], 1e-300)):
                break
            k -= 1
        return k

    # runaway: a rise beyond what the log can resolve (the charge it cannot place at the edges)
    rising = np.zeros(m, bool)
    rising[1:] = ((charge[1:] > charge[:-1] * (1 + growth) + resolution[1:] + resolution[:-1])
                  & (ce[1:] < ce[:-1]) & judged[1:])
    run = first_run(rising, min_cycles)
    if run is not None:
        stop = run + np.flatnonzero(~rising[run:])[0] if (~rising[run:]).any() else m
        k = walk_back(run)
        rising[k:run] = True
        flags["runaway-charge"] = rising
        size = charge[stop - 1] / charge[k - 1] - 1
        confidences["runaway-charge"] = confidence(size, float(resolution[k] / max(charge[k], 1e-300)
                                                               + growth), stop - k,
                                                   min_records=min_cycles)
        evidence["runaway-charge"] = (
            f"charge capacity rose {stop - k} cycles running from cycle {cyc[k]} "
            f"({charge[k - 1]:.4g} -> {charge[stop - 1]:.4g} mAh; log resolution "
            f"{resolution[k]:.2g} mAh) while CE fell "
            f"{100 * ce[k - 1]:.1f} -> {100 * ce[stop - 1]:.1f} %")

    if done.sum() >= 3:
        tops = summary.max_charge_V[done]
        usual_top = float(np.median(tops))
        # the highest recorded voltage scatters with the noise and, without a record at the
        # cut-off, with the sampling: the margin grows with that scatter
        scatter = 1.4826 * float(np.median(np.abs(tops - usual_top)))
        margin = cutoff_margin_V + 5 * scatter
        usual_charge = float(np.median(charge[done]))
        unlogged = (np.zeros(m) if summary.charge_top_uncertainty_V is None
                    else 1.5 * summary.charge_top_uncertainty_V)  # the curve steepens at the top
        short_of = ((summary.max_charge_V + unlogged < usual_top - margin)
                    & (charge >= usual_charge))
        short_of &= np.arange(m) >= skip_cycles
        if short_of.any():
            flags["cutoff-not-reached"] = short_of
            k = int(np.flatnonzero(short_of)[0])
            confidences["cutoff-not-reached"] = confidence(
                usual_top - summary.max_charge_V[k], max(scatter, sigma_V), int(short_of.sum()),
                min_records=1)
            evidence["cutoff-not-reached"] = (
                f"{int(short_of.sum())} charge(s) from cycle {cyc[k]} passed at least the usual "
                f"{usual_charge:.4g} mAh yet stayed below the usual end-of-charge "
                f"{usual_top:.3f} V by more than {1e3 * margin:.0f} mV (highest "
                f"{summary.max_charge_V[k]:.3f} V; scatter of the end-of-charge voltage "
                f"{1e3 * scatter:.2g} mV)")

    # CE below the threshold in min_cycles consecutive cycles, each by more than what the log
    # cannot place (each half cycle's charge is known to about one record: resolution / charge)
    with np.errstate(invalid="ignore", divide="ignore"):
        ce_error = np.where(charge > 0, 2 * resolution / charge, np.inf)
    leaking = judged & (ce < ce_threshold)
    run = None
    for start in np.flatnonzero(leaking[:m - min_cycles + 1] if m >= min_cycles else []):
        window = slice(start, start + min_cycles)
        if (leaking[window].all() and np.all(ce[window] + 0.5 * ce_error[window] < ce_threshold)):
            run = int(start)
            break
    if run is not None:
        leaking[:run] = False  # earlier dips the log could not resolve are not the onset
        flags["low-efficiency"] = leaking
        confidences["low-efficiency"] = confidence(ce_threshold - ce[run], 0.01,
                                                   int(leaking.sum()), min_records=min_cycles)
        evidence["low-efficiency"] = (
            f"CE below {100 * ce_threshold:.0f} % in {min_cycles}+ consecutive cycles from cycle "
            f"{cyc[run]} (CE {100 * ce[run]:.1f} %); {int(leaking.sum())} such cycles in all")

    # voltage drops: lasting (medians of three records either side), above n_sigma noise
    # each fall against drop_V and n_sigma of its own noise (evidence.FALL_NOISE)
    if summary.sustained_charge_drop_V is None:  # a summary from before these fields
        fall, dropping = summary.max_charge_drop_V, summary.max_charge_drop_V > drop_V
    else:
        kept = np.nan_to_num(summary.kept_charge_drop_V)
        fall = np.maximum(summary.sustained_charge_drop_V, kept)
        dropping = ((summary.sustained_charge_drop_V
                     > max(drop_V, n_sigma * FALL_NOISE["median"] * sigma_V))
                    | (kept > max(drop_V, n_sigma * FALL_NOISE["kept"] * sigma_V)))
    threshold = max(drop_V, n_sigma * FALL_NOISE["median"] * sigma_V)
    glitchy = (summary.max_charge_drop_V > threshold) & ~dropping
    if dropping.sum() >= min_cycles:
        flags["voltage-drop"] = dropping
        k = int(np.flatnonzero(dropping)[0])
        confidences["voltage-drop"] = confidence(float(fall[k]), sigma_V, int(dropping.sum()),
                                                 min_records=min_cycles)
        evidence["voltage-drop"] = (
            f"voltage fell by more than {1e3 * threshold:.0f} mV for 3+ records while charging "
            f"in {int(dropping.sum())} cycles from cycle {cyc[k]} (largest "
            f"{1e3 * fall.max():.0f} mV; noise {1e3 * sigma_V:.2g} mV)")

    onsets = {}
    earlier = first = 0
    for rule, flag in flags.items():
        k = first_run(flag, min_cycles) if rule in ("runaway-charge", "low-efficiency") else None
        onsets[rule] = int(cyc[k if k is not None else np.flatnonzero(flag)[0]])
    if onsets and ("runaway-charge" in flags or "low-efficiency" in flags):
        # the leak may have begun before the capacity rules could resolve it
        first = int(np.flatnonzero(cyc == min(onsets.values()))[0])
        earlier = walk_back(first)
        if earlier < first:
            onsets["leak onset"] = int(cyc[earlier])
            evidence_note = (f"; the charge already exceeded the healthy baseline (and CE fell "
                             f"below it) from cycle {cyc[earlier]}")
            for rule in ("runaway-charge", "low-efficiency"):
                if rule in evidence:
                    evidence[rule] += evidence_note
                    break
    fired = tuple(r for r in RULES if r in flags)
    flagged = np.zeros(cyc.size, bool)
    for flag in flags.values():
        flagged |= flag
    flagged[earlier:first] = True
    thresholds = {"skip_cycles": skip_cycles, "min_cycles": min_cycles, "growth": growth,
                  "ce_threshold": ce_threshold, "drop_V": drop_V,
                  "cutoff_margin_V": cutoff_margin_V, "n_sigma": n_sigma}
    # rules on a file that is not cycling (pulses, impedance) mean nothing: say so
    not_cycling = tuple(summary.warnings or ())
    return ShortDetection(
        ok=not not_cycling, reason="; ".join(f"not a cycling test: {w}" for w in not_cycling),
        detected=bool(fired), onset_cycle=min(onsets.values()) if onsets else -1, rules=fired,
        evidence=tuple(evidence[r] for r in fired), rule_onsets=onsets, cycle=cyc,
        charge_mAh=charge, discharge_mAh=summary.discharge_mAh, coulombic_efficiency=ce,
        max_charge_V=summary.max_charge_V, max_charge_drop_V=summary.max_charge_drop_V,
        flagged=flagged, confidence=tuple(confidences[r] for r in fired),
        noise_mV=1e3 * sigma_V, glitch_cycles=tuple(int(c) for c in cyc[glitchy]),
        thresholds=thresholds, source=summary.source,
        provenance=provenance(source=summary.source, **thresholds))


def _emptied(summary: CycleSummary) -> np.ndarray:
    """Cycles whose charge passed at least half the usual charge and whose discharge returned
    (almost) nothing, with a later cycle to show that discharge was over and three complete
    cycles before it to show the cell cycled: a hard short empties the cell (the discharge
    ends at once), which the summary leaves incomplete. Only for charge-first cycles (a
    discharge-first file's charge-only cycle is its formation)."""
    m = summary.cycle.size
    out = np.zeros(m, bool)
    if summary.first_half != "charge" or summary.complete.sum() < 3:
        return out
    usual = float(np.median(summary.charge_mAh[summary.complete]))
    largest = max(summary.charge_mAh.max(initial=0.0), summary.discharge_mAh.max(initial=0.0))
    before = np.cumsum(summary.complete) - summary.complete  # complete cycles before each
    out = ((~summary.complete) & (summary.charge_mAh >= 0.5 * usual)
           & (summary.discharge_mAh <= 0.01 * largest) & (before >= 3))
    out[-1] = False  # the last cycle may have been stopped before its discharge
    return out

