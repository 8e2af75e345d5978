"""Critical current density (CCD) of a symmetric cell from a stepped-current test, and the step
table that runs one: :func:`analyse_ccd`, :func:`ccd_protocol`.

Protocol (seed 003): plate/strip at ``start`` mA/cm2, then ``start + step``, ``start + 2 step``
... for a fixed time or a fixed areal capacity per half cycle, until the cell fails.

The half cycles (see :mod:`ssblab.echem.celltests.symmetric`) are grouped into current levels (a new level
when the current density changes by more than ``level_tolerance``). A half cycle fails on the
first of these signatures:

``voltage-drop``
    |V| falls below ``(1 - drop_fraction)`` of its running maximum within the half cycle: under
    constant current the polarisation only rises or plateaus, unless a dendrite short-circuits
    the cell.
``ohmic-collapse``
    the half cycle ends with an area-specific resistance ``|V| / j`` below ``collapse_fraction``
    times the smallest ASR of the healthy half cycles before it: the cell conducts electronically.
``voltage-limit``
    |V| reaches ``voltage_limit_V`` (if given): the stripping electrode lost contact (voids).

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
from ssblab.echem.celltests.symmetric import half_cycles
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
                     ("evidence", self.evidence)]
        else:
            rows.append(("critical current density / mA/cm2",
                         f"> {self.level_mA_cm2.max():.3g} (no failure)"))
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
                level_tolerance: float = 0.05) -> CCDAnalysis:
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
    seg = step_table(data)
    half = half_cycles(seg)
    active = seg.kind != 0
    duration = np.add.reduceat(seg.duration_s * active, half.first)
    passed = np.add.reduceat((seg.charge_mAh + seg.discharge_mAh) * active, half.first)
    j = passed * 3600 / np.where(duration > 0, duration, np.inf) / area_cm2
    new_level = np.r_[True, np.abs(j[1:] - j[:-1]) > level_tolerance * np.maximum(j[:-1], 1e-300)]
    level = np.cumsum(new_level) - 1
    rows_lo, rows_hi = seg.start_row[half.first], seg.stop_row[half.last]
    v_abs = np.abs(data.voltage_V)
    failure = None
    healthy_asr = math.inf
    for h in range(half.first.size):
        if duration[h] <= 0:
            continue
        v = v_abs[rows_lo[h]:rows_hi[h]]
        running = np.maximum.accumulate(v)
        dropped = np.flatnonzero(v < (1 - drop_fraction) * running)
        asr_end = 1e3 * v[-1] / j[h] if j[h] > 0 else math.inf  # ohm cm2
        limit = (np.flatnonzero(v >= voltage_limit_V) if voltage_limit_V is not None
                 else np.zeros(0, int))
        found = []
        if dropped.size:
            k = int(dropped[0])
            found.append((k, "voltage-drop", f"|V| fell from {1e3 * running[k]:.3g} to "
                          f"{1e3 * v[k]:.3g} mV within one half cycle at {j[h]:.3g} mA/cm2"))
        if math.isfinite(healthy_asr) and asr_end < collapse_fraction * healthy_asr:
            found.append((v.size - 1, "ohmic-collapse",
                          f"ASR {asr_end:.3g} ohm cm2 at the end of the half cycle vs "
                          f"{healthy_asr:.3g} before"))
        if limit.size:
            found.append((int(limit[0]), "voltage-limit",
                          f"|V| reached the {voltage_limit_V:.3g} V limit"))
        if found:
            k, signature, evidence = min(found, key=lambda item: item[0])
            failure = (h, k, signature, evidence)
            break
        healthy_asr = min(healthy_asr, asr_end)
    n_levels = int(level[-1]) + 1
    level_j = np.bincount(level, weights=j * duration) / np.maximum(
        np.bincount(level, weights=duration), 1e-300)
    first_of_level = np.flatnonzero(new_level)
    level_q = passed[first_of_level] / area_cm2
    level_v = np.zeros(n_levels)
    np.maximum.at(level_v, level, np.maximum.reduceat(seg.abs_voltage_max_V * active, half.first))
    stride = max(1, data.n_rows // 20000)
    common = dict(level_mA_cm2=level_j, level_capacity_mAh_cm2=level_q, level_max_V=level_v,
                  level_half_cycles=np.bincount(level), time_h=data.time_s[::stride] / 3600,
                  voltage_V=data.voltage_V[::stride], area_cm2=float(area_cm2),
                  thresholds={"drop_fraction": drop_fraction, "collapse_fraction": collapse_fraction,
                              "voltage_limit_V": voltage_limit_V,
                              "level_tolerance": level_tolerance},
                  source=data.source,
                  provenance=provenance(source=data.source, area_cm2=area_cm2,
                                        drop_fraction=drop_fraction,
                                        collapse_fraction=collapse_fraction,
                                        voltage_limit_V=voltage_limit_V))
    if failure is None:
        return CCDAnalysis(failed=False, ccd_mA_cm2=math.nan, last_stable_mA_cm2=float(level_j[-1]),
                         areal_capacity_at_failure_mAh_cm2=math.nan, failure_h=math.nan,
                         signature="", evidence="no failure signature in any half cycle",
                         **common)
    h, k, signature, evidence = failure
    row = rows_lo[h] + k
    t, i = data.time_s[rows_lo[h]:row + 1], np.abs(data.current_mA[rows_lo[h]:row + 1])
    charge = float(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t)) / 3600) if t.size > 1 else 0.0
    lv = int(level[h])
    return CCDAnalysis(failed=True, ccd_mA_cm2=float(level_j[lv]),
                     last_stable_mA_cm2=float(level_j[lv - 1]) if lv else math.nan,
                     areal_capacity_at_failure_mAh_cm2=charge / area_cm2,
                     failure_h=float(data.time_s[row] / 3600), signature=signature,
                     evidence=evidence, **common)


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
