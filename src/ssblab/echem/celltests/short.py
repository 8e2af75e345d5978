"""Internal short-circuit detection from a cycling test: :func:`detect_short`.

Rules (each judged on complete cycles after the first ``skip_cycles`` formation cycles, except
the cut-off rule, which also looks at the last, possibly incomplete, charge):

``runaway-charge`` (hard short, seed 001)
    The charge capacity grows in ``min_cycles`` consecutive cycles, each by more than
    ``growth`` relative to the cycle before, while the Coulombic efficiency falls in each of
    them. A short drains part of the charging current, so the charge needs ever more charge to
    reach its cut-off, while less comes back on discharge. Onset: the first cycle of the run.
``cutoff-not-reached`` (hard short, seed 001)
    A charge that passed at least the cell's median charge capacity but whose highest voltage
    stayed more than ``cutoff_margin_V`` below the cell's usual end-of-charge voltage (the median
    over complete cycles). A test merely stopped mid-charge passes less charge, so does not fire.
``low-efficiency`` (soft short)
    Coulombic efficiency below ``ce_threshold`` in ``min_cycles`` consecutive cycles.
``voltage-drop`` (soft short)
    A fall of the voltage by more than ``drop_V`` between two records of one charging step
    (under charging current the voltage can only fall if charge leaks), in ``min_cycles``
    cycles (not necessarily consecutive). Onset: the first of them.

The onset is the earliest onset among the rules that fired. Healthy cells fire none: the
thresholds sit well outside what ageing alone does (fade slows, never reverses, the charge
capacity; CE stays near 1 after formation; instrument noise is millivolts).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.cycling import CycleSummary, first_run, summarise
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
    source: str = ""

    title: ClassVar[str] = "Internal short detection"

    def summary(self):
        rows = [("source", self.source or "-"), ("short detected", self.detected)]
        if self.detected:
            rows += [("onset cycle", self.onset_cycle), ("rules fired", ", ".join(self.rules))]
            rows += [(f"evidence ({rule})", text) for rule, text in zip(self.rules, self.evidence)]
        rows.append(("cycles examined", int(self.cycle.size)))
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
                 cutoff_margin_V: float = 0.02) -> ShortDetection:
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
        How far below its usual end-of-charge voltage a full-length charge must stay.

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
    judged = done & (np.arange(cyc.size) >= skip_cycles)
    flags: dict[str, np.ndarray] = {}
    evidence: dict[str, str] = {}

    rising = np.zeros(cyc.size, bool)
    rising[1:] = (charge[1:] > charge[:-1] * (1 + growth)) & (ce[1:] < ce[:-1]) & judged[1:]
    run = first_run(rising, min_cycles)
    if run is not None:
        flags["runaway-charge"] = rising
        k = run
        stop = k + np.flatnonzero(~rising[k:])[0] if (~rising[k:]).any() else cyc.size
        evidence["runaway-charge"] = (
            f"charge capacity rose {stop - k} cycles running from cycle {cyc[k]} "
            f"({charge[k - 1]:.4g} -> {charge[stop - 1]:.4g} mAh) while CE fell "
            f"{100 * ce[k - 1]:.1f} -> {100 * ce[stop - 1]:.1f} %")

    if done.sum() >= 3:
        usual_top = float(np.median(summary.max_charge_V[done]))
        usual_charge = float(np.median(charge[done]))
        short_of = (summary.max_charge_V < usual_top - cutoff_margin_V) & (charge >= usual_charge)
        short_of &= np.arange(cyc.size) >= skip_cycles
        if short_of.any():
            flags["cutoff-not-reached"] = short_of
            k = int(np.flatnonzero(short_of)[0])
            evidence["cutoff-not-reached"] = (
                f"{int(short_of.sum())} charge(s) from cycle {cyc[k]} passed at least the usual "
                f"{usual_charge:.4g} mAh yet stayed below the usual end-of-charge "
                f"{usual_top:.3f} V (highest {summary.max_charge_V[k]:.3f} V)")

    leaking = judged & (ce < ce_threshold)
    run = first_run(leaking, min_cycles)
    if run is not None:
        flags["low-efficiency"] = leaking
        evidence["low-efficiency"] = (
            f"CE below {100 * ce_threshold:.0f} % in {min_cycles}+ consecutive cycles from cycle "
            f"{cyc[run]} (CE {100 * ce[run]:.1f} %); {int(leaking.sum())} such cycles in all")

    dropping = summary.max_charge_drop_V > drop_V
    if dropping.sum() >= min_cycles:
        flags["voltage-drop"] = dropping
        k = int(np.flatnonzero(dropping)[0])
        evidence["voltage-drop"] = (
            f"voltage fell by more than {1e3 * drop_V:.0f} mV while charging in "
            f"{int(dropping.sum())} cycles from cycle {cyc[k]} (largest "
            f"{1e3 * summary.max_charge_drop_V.max():.0f} mV)")

    onsets = {}
    for rule, flag in flags.items():
        k = first_run(flag, min_cycles) if rule in ("runaway-charge", "low-efficiency") else None
        onsets[rule] = int(cyc[k if k is not None else np.flatnonzero(flag)[0]])
    fired = tuple(r for r in RULES if r in flags)
    flagged = np.zeros(cyc.size, bool)
    for flag in flags.values():
        flagged |= flag
    thresholds = {"skip_cycles": skip_cycles, "min_cycles": min_cycles, "growth": growth,
                  "ce_threshold": ce_threshold, "drop_V": drop_V,
                  "cutoff_margin_V": cutoff_margin_V}
    return ShortDetection(
        detected=bool(fired), onset_cycle=min(onsets.values()) if onsets else -1, rules=fired,
        evidence=tuple(evidence[r] for r in fired), rule_onsets=onsets, cycle=cyc,
        charge_mAh=charge, discharge_mAh=summary.discharge_mAh, coulombic_efficiency=ce,
        max_charge_V=summary.max_charge_V, max_charge_drop_V=summary.max_charge_drop_V,
        flagged=flagged, thresholds=thresholds, source=summary.source,
        provenance=provenance(source=summary.source, **thresholds))

