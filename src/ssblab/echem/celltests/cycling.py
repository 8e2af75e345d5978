"""Cycle-by-cycle analysis of galvanostatic cycler data: :func:`step_table`, :func:`summarise`.

The kernel is :func:`step_table`: the table is cut into *segments*, runs of rows with the same
step, cycle and current sign, and every per-segment quantity (charge passed, energy, duration,
voltage extremes, largest voltage drop while charging) comes from one ``np.add.reduceat`` /
``np.maximum.reduceat`` pass over the rows. Everything after that (cycles, rate table, cycle
life, short detection, CCD, symmetric cells, GITT) works on the few segments, not the rows, so a
2000-cycle, multi-million-row file is summarised in about a second with memory a small multiple
of the table itself.

Charge passed in the interval between rows ``i`` and ``i + 1`` of one segment is the trapezoid
``(I_i + I_{i+1}) / 2 * (t_{i+1} - t_i)``; energy uses the mid-interval voltage. The interval
that *straddles* a segment change (last record of one segment to the first of the next) belongs
to the earlier segment at its last current: cyclers log a record when a step starts, so the
current recorded last holds until the next step's first record (exact for step-start logging,
unbiased for a fixed logging clock that ignores the steps, within one interval either way). It
is counted for at most the segment's own mean logging interval, so a pause in the log (a gap
of hours) adds no charge. Charge is positive current (``CyclerData``'s convention).

Cycle definition (``cycle_definition``): ``"file"`` keeps the instrument's cycle index;
``"charge-first"`` / ``"discharge-first"`` recount cycles from the current (a cycle starts at a
charge after a discharge, or the reverse). Coulombic efficiency is the second half cycle's
capacity over the first's: discharge/charge for a charge-first cell, charge/discharge for a
discharge-first one (e.g. an anode half cell that lithiates first); with ``"file"`` the order is
read from the first active segment. Retention follows the same "returned" capacity.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.evidence import noise_floor_V, sustained_fall_V
from ssblab.echem.cycler_data import CYCLE_DEFINITIONS, CycleDefinition, CyclerData
from ssblab.errors import InputError, check_choice
from ssblab.results import Measured, Result, new_axes, provenance

_REST_FRACTION = 1e-3  # |I| below this fraction of the largest |I| is rest


@dataclasses.dataclass(frozen=True, kw_only=True)
class StepTable(Result):
    """Per-segment quantities (a segment is a run of rows with the same step, cycle and current
    sign). Arrays are indexed by segment; ``kind`` is +1 charge, -1 discharge, 0 rest."""

    start_row: np.ndarray
    stop_row: np.ndarray           # one past the last row
    step: np.ndarray
    cycle: np.ndarray
    kind: np.ndarray
    start_s: np.ndarray
    duration_s: np.ndarray
    charge_mAh: np.ndarray         # charge passed with positive current
    discharge_mAh: np.ndarray      # charge passed with negative current (positive number)
    charge_energy_mWh: np.ndarray
    discharge_energy_mWh: np.ndarray
    current_mA: np.ndarray         # time-averaged current
    voltage_first_V: np.ndarray
    voltage_last_V: np.ndarray
    voltage_min_V: np.ndarray
    voltage_max_V: np.ndarray
    abs_voltage_max_V: np.ndarray
    abs_voltage_mean_V: np.ndarray  # time-averaged |V|
    max_drop_V: np.ndarray         # largest fall of voltage between rows while charging
    edge_gap_s: np.ndarray = None  # unlogged time at the segment's edges (see step_table)
    end_gap_s: np.ndarray = None   # ... at its end (0 when a record marks the step change)
    source: str = ""

    title: ClassVar[str] = "Step table"

    @property
    def n_segments(self) -> int:
        return self.kind.size

    def summary(self):
        return [("segments", self.n_segments), ("charge segments", int((self.kind > 0).sum())),
                ("discharge segments", int((self.kind < 0).sum())),
                ("rest segments", int((self.kind == 0).sum()))]

    def table(self):
        names = ("step", "cycle", "kind", "start_s", "duration_s", "current_mA", "charge_mAh",
                 "discharge_mAh", "voltage_first_V", "voltage_last_V", "voltage_min_V",
                 "voltage_max_V", "max_drop_V")
        return [{n: getattr(self, n)[i].item() for n in names} for i in range(self.n_segments)]

    def _draw(self, ax, **kwargs):
        ax.step(self.start_s / 3600, self.current_mA, where="post")
        ax.set_xlabel("time / h")
        ax.set_ylabel("segment current / mA")


def step_table(data: CyclerData) -> StepTable:
    """Cut ``data`` into segments and reduce every row quantity per segment (vectorised).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.r_[0:3601:600, 3600:7201:600.0]     # a point every 10 min
    >>> i = np.repeat([1.0, -1.0], 7)               # 1 mA charge for 1 h, then discharge
    >>> d = CyclerData(time_s=t, voltage_V=np.full(t.size, 3.7), current_mA=i,
    ...                step=np.repeat([1, 2], 7), cycle=np.ones(t.size, int))
    >>> s = step_table(d)
    >>> s.kind.tolist(), np.round(s.charge_mAh, 6).tolist(), np.round(s.discharge_mAh, 6).tolist()
    ([1, -1], [1.0, 0.0], [0.0, 1.0])
    """
    t, v, i = data.time_s, data.voltage_V, data.current_mA
    n = t.size
    scale = float(np.abs(i).max(initial=0.0))
    sign = np.sign(i) * (np.abs(i) > _REST_FRACTION * scale)
    change = (np.diff(data.step) != 0) | (np.diff(data.cycle) != 0) | (np.diff(sign) != 0)
    starts = np.r_[0, np.flatnonzero(change) + 1]
    stops = np.r_[starts[1:], n]
    # Interval k joins rows k and k+1; it belongs to row k's segment unless it crosses a
    # boundary. Padding to n rows lets reduceat use the segment starts directly.
    inside = np.r_[~change, False]
    gap = np.r_[np.diff(t), 0.0]
    dt = gap * inside
    rows = np.diff(np.r_[starts, n])
    internal = np.add.reduceat(dt, starts)
    typical = np.where(rows > 1, internal / np.maximum(rows - 1, 1),
                       float(np.median(gap[:-1])) if n > 1 else 0.0)
    # the straddling interval: the earlier segment's last current, held for at most its
    # own typical logging interval (module docstring)
    last = stops - 1
    held = np.zeros(n)
    held[last[:-1]] = np.minimum(gap[last[:-1]], typical[:-1])
    # how far each segment's true edges may lie from where they were counted: the larger of
    # the two straddling intervals (0 when the log has records at every step change)
    edge = np.zeros(starts.size)
    end_gap = np.zeros(starts.size)
    if starts.size > 1:
        straddle = np.minimum(gap[last[:-1]], typical[:-1])
        end_gap[:-1] = straddle
        edge[:-1] = straddle
        edge[1:] = np.maximum(edge[1:], straddle)
    dt = dt + held
    i_mid = np.where(inside, 0.5 * (i + np.r_[i[1:], 0.0]), i)
    v_mid = np.where(inside, 0.5 * (v + np.r_[v[1:], 0.0]), v)
    dq = i_mid * dt / 3600.0
    positive = np.maximum(dq, 0.0)
    negative = np.maximum(-dq, 0.0)
    duration = np.add.reduceat(dt, starts)
    charge = np.add.reduceat(positive, starts)
    discharge = np.add.reduceat(negative, starts)
    e_charge = np.add.reduceat(positive * v_mid, starts)
    e_discharge = np.add.reduceat(negative * v_mid, starts)
    drop = np.r_[-np.diff(v), 0.0] * (inside & (i_mid > 0))
    seg_sign = sign[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        current = np.where(duration > 0, (charge - discharge) * 3600.0 / duration,
                           i[starts])
    return StepTable(
        start_row=starts, stop_row=stops, step=data.step[starts], cycle=data.cycle[starts],
        kind=seg_sign.astype(int), start_s=t[starts], duration_s=duration, charge_mAh=charge,
        discharge_mAh=discharge, charge_energy_mWh=e_charge, discharge_energy_mWh=e_discharge,
        current_mA=current, voltage_first_V=v[starts], voltage_last_V=v[stops - 1],
        voltage_min_V=np.minimum.reduceat(v, starts), voltage_max_V=np.maximum.reduceat(v, starts),
        abs_voltage_max_V=np.maximum.reduceat(np.abs(v), starts),
        abs_voltage_mean_V=np.where(duration > 0, np.add.reduceat(np.abs(v_mid) * dt, starts)
                                    / np.where(duration > 0, duration, 1.0), np.abs(v[starts])),
        max_drop_V=np.maximum(np.maximum.reduceat(drop, starts), 0.0), edge_gap_s=edge,
        end_gap_s=end_gap,
        source=data.source)


def recount_cycles(data: CyclerData, cycle_definition: CycleDefinition) -> CyclerData:
    """``data`` with its cycles counted as ``cycle_definition`` says (unchanged for "file")."""
    check_choice(cycle_definition, CYCLE_DEFINITIONS, name="cycle_definition")
    if cycle_definition == "file" or cycle_definition == data.cycle_definition:
        return data
    from ssblab.echem.io.cycler import cycles_from_current

    first = "charge" if cycle_definition == "charge-first" else "discharge"
    cycle = cycles_from_current(data.current_mA, first=first, step=data.step, time_s=data.time_s)
    return dataclasses.replace(data, cycle=cycle, cycle_definition=cycle_definition)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CycleSummary(Result):
    """Per-cycle capacities, efficiencies, energies and voltages, plus cycle-life numbers.

    Arrays are indexed by cycle (``cycle`` holds the cycle numbers). Capacities in mAh; the
    ``*_mAh_g`` / ``*_mAh_cm2`` properties need ``active_mass_g`` / ``area_cm2``.
    """

    cycle: np.ndarray
    charge_mAh: np.ndarray
    discharge_mAh: np.ndarray
    coulombic_efficiency: np.ndarray      # second half / first half (see module docstring)
    charge_energy_mWh: np.ndarray
    discharge_energy_mWh: np.ndarray
    avg_charge_V: np.ndarray
    avg_discharge_V: np.ndarray
    max_charge_V: np.ndarray              # highest voltage while charging
    min_discharge_V: np.ndarray
    charge_current_mA: np.ndarray         # time-averaged over the charge segments
    discharge_current_mA: np.ndarray      # (negative)
    charge_time_h: np.ndarray
    discharge_time_h: np.ndarray
    max_charge_drop_V: np.ndarray         # largest voltage fall between rows while charging
    start_h: np.ndarray
    capacity_resolution_mAh: np.ndarray = None  # per half cycle: charge the log cannot place
    sustained_charge_drop_V: np.ndarray = None  # per cycle: largest lasting fall while charging
    kept_charge_drop_V: np.ndarray = None       # ... largest fall the next record keeps
    charge_top_uncertainty_V: np.ndarray = None  # how far the logged top may miss the real one
    noise_mV: float = math.nan            # voltage noise measured from the data (sigma)
    warnings: tuple = ()                  # what makes this file not (only) a cycling test
    complete: np.ndarray                  # both half cycles present
    retention: np.ndarray                 # returned capacity / that of the reference cycle
    cycle_definition: str = "file"
    first_half: str = "charge"            # which half cycle comes first
    reference_cycle: int = 1
    active_mass_g: float = math.nan
    area_cm2: float = math.nan
    eol_retention: float = 0.8
    initial_coulombic_efficiency: float = math.nan
    cycles_to_eol: int = -1               # first cycle below eol_retention, -1 if none
    fade_percent_per_cycle: Measured = Measured(math.nan)
    end_of_life: str = ""
    rate_table: tuple = ()                # rows (dicts) when the current changes
    source: str = ""

    title: ClassVar[str] = "Cycling summary"

    @property
    def n_cycles(self) -> int:
        return self.cycle.size

    @property
    def returned_mAh(self) -> np.ndarray:
        """The capacity that comes back: discharge for charge-first cells, else charge."""
        return self.discharge_mAh if self.first_half == "charge" else self.charge_mAh

    @property
    def overpotential_V(self) -> np.ndarray:
        """Average charge minus average discharge voltage (polarisation), per cycle."""
        return self.avg_charge_V - self.avg_discharge_V

    @property
    def energy_efficiency(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.first_half == "charge":
                return self.discharge_energy_mWh / self.charge_energy_mWh
            return self.charge_energy_mWh / self.discharge_energy_mWh

    def specific(self, capacity_mAh: np.ndarray) -> np.ndarray:
        """Capacity per gram of active material (mAh/g)."""
        return capacity_mAh / self.active_mass_g

    def areal(self, capacity_mAh: np.ndarray) -> np.ndarray:
        """Capacity per cm2 of electrode (mAh/cm2)."""
        return capacity_mAh / self.area_cm2

    def summary(self):
        done = self.complete
        rows = [("source", self.source or "-"), ("cycles", self.n_cycles),
                ("complete cycles", int(done.sum())),
                ("cycle definition", self.cycle_definition)]
        if self.warnings:  # numbers that would mislead are not summarised (see table())
            return rows + [("not summarised as cycling", w) for w in self.warnings]
        rows += [
                ("Coulombic efficiency", "discharge/charge" if self.first_half == "charge"
                 else "charge/discharge"),
                ("initial Coulombic efficiency / %", 100 * self.initial_coulombic_efficiency)]
        if done.any():
            first, last = np.flatnonzero(done)[[0, -1]]
            cap = self.returned_mAh
            rows.append((f"capacity cycle {self.cycle[first]} / mAh", float(cap[first])))
            if last != first:
                rows.append((f"capacity cycle {self.cycle[last]} / mAh", float(cap[last])))
            if math.isfinite(self.active_mass_g):
                rows.append((f"capacity cycle {self.cycle[first]} / mAh/g",
                             float(cap[first] / self.active_mass_g)))
            if math.isfinite(self.area_cm2):
                rows.append((f"capacity cycle {self.cycle[first]} / mAh/cm2",
                             float(cap[first] / self.area_cm2)))
            rows += [(f"retention vs cycle {self.reference_cycle} / %",
                      100 * float(self.retention[last])),
                     ("mean Coulombic efficiency / %",
                      100 * float(np.nanmean(self.coulombic_efficiency[done]))),
                     (f"overpotential cycle {self.cycle[first]} / mV",
                      1e3 * float(self.overpotential_V[first])),
                     ("fade / %/cycle", self.fade_percent_per_cycle
                      if math.isfinite(self.fade_percent_per_cycle.value) else
                      "not determined (a line needs 3 complete cycles from the reference)"),
                     (f"cycles to {100 * self.eol_retention:.0f} % retention",
                      self.cycles_to_eol if self.cycles_to_eol > 0 else "not reached"),
                     ("end of life", self.end_of_life)]
        if self.rate_table:
            rows.append(("current steps (rate table)", len(self.rate_table)))
        return rows

    def table(self):
        columns = {"cycle": self.cycle, "charge_mAh": self.charge_mAh,
                   "discharge_mAh": self.discharge_mAh,
                   "coulombic_efficiency": self.coulombic_efficiency,
                   "retention": self.retention,
                   "charge_energy_mWh": self.charge_energy_mWh,
                   "discharge_energy_mWh": self.discharge_energy_mWh,
                   "avg_charge_V": self.avg_charge_V, "avg_discharge_V": self.avg_discharge_V,
                   "overpotential_V": self.overpotential_V,
                   "max_charge_V": self.max_charge_V, "min_discharge_V": self.min_discharge_V,
                   "charge_current_mA": self.charge_current_mA,
                   "discharge_current_mA": self.discharge_current_mA,
                   "charge_time_h": self.charge_time_h, "discharge_time_h": self.discharge_time_h,
                   "max_charge_drop_V": self.max_charge_drop_V, "complete": self.complete}
        if math.isfinite(self.active_mass_g):
            columns["charge_mAh_g"] = self.specific(self.charge_mAh)
            columns["discharge_mAh_g"] = self.specific(self.discharge_mAh)
        if math.isfinite(self.area_cm2):
            columns["charge_mAh_cm2"] = self.areal(self.charge_mAh)
            columns["discharge_mAh_cm2"] = self.areal(self.discharge_mAh)
        return [{k: v[j].item() for k, v in columns.items()} for j in range(self.n_cycles)]

    def _draw(self, ax, **kwargs):
        from matplotlib.ticker import MaxNLocator

        # complete cycles only: an unfinished last cycle is not a capacity loss
        done = np.asarray(self.complete, dtype=bool)
        ax.plot(self.cycle[done], self.charge_mAh[done], "o", ms=3, label="charge")
        ax.plot(self.cycle[done], self.discharge_mAh[done], "s", ms=3, label="discharge")
        ax.set_xlabel("cycle" + ("" if done.all() else
                                 f" (complete cycles; {int((~done).sum())} incomplete left out)"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("capacity / mAh")
        twin = ax.twinx()
        twin.plot(self.cycle[done], 100 * self.coulombic_efficiency[done], "k.", ms=2, label="CE")
        twin.set_ylabel("Coulombic efficiency / % (dots)")
        twin.set_ylim(0, max(105.0, 100 * np.nanmax(self.coulombic_efficiency, initial=0) + 5))
        ax.legend(loc="lower left", fontsize=8)


def summarise(data: CyclerData, *, cycle_definition: CycleDefinition = "file",
              active_mass_g: float | None = None, area_cm2: float | None = None,
              reference_cycle: int | None = None, eol_retention: float = 0.8,
              rate_tolerance: float = 0.05) -> CycleSummary:
    """Per-cycle summary of a cycler table, with cycle-life and rate-capability numbers.

    Parameters
    ----------
    data
        The tidy cycler table (``ssblab.echem.io.read_cycler``).
    cycle_definition
        ``"file"`` (the instrument's cycle index), ``"charge-first"`` or ``"discharge-first"``.
    active_mass_g, area_cm2
        Active-material mass and electrode area for mAh/g and mAh/cm2 columns.
    reference_cycle
        Cycle whose returned capacity is 100 % retention; None takes the first complete cycle.
    eol_retention
        End-of-life retention (fraction, default 0.8).
    rate_tolerance
        Relative change of the discharge current that starts a new rate step.

    Examples
    --------
    >>> from ssblab.echem.celltests.synthetic import galvanostatic_cycles
    >>> data = galvanostatic_cycles(50, capacity_mAh=2.0, fade_per_cycle=0.0045, rng=0)
    >>> s = summarise(data, active_mass_g=0.01)
    >>> s.n_cycles, s.cycles_to_eol
    (50, 46)
    >>> round(float(s.discharge_mAh[0]), 3), round(float(s.fade_percent_per_cycle.value), 2)
    (2.0, -0.45)
    """
    check_choice(cycle_definition, CYCLE_DEFINITIONS, name="cycle_definition")
    if not 0 < eol_retention < 1:
        raise InputError(f"eol_retention: expected a fraction between 0 and 1, found {eol_retention}")
    for name, value in (("active_mass_g", active_mass_g), ("area_cm2", area_cm2)):
        if value is not None and not value > 0:
            raise InputError(f"{name}: expected a positive number, found {value}")
    data = recount_cycles(data, cycle_definition)
    seg = step_table(data)
    cycles, index = np.unique(seg.cycle, return_inverse=True)
    m = cycles.size

    def per_cycle(values, where=None):
        weights = values if where is None else values * where
        return np.bincount(index, weights=weights, minlength=m)

    def extreme(values, where, ufunc, fill):
        out = np.full(m, fill)
        ufunc.at(out, index[where], values[where])
        return out

    charging, discharging = seg.kind > 0, seg.kind < 0
    segment_of_row = np.repeat(np.arange(seg.n_segments, dtype=np.int32), seg.stop_row - seg.start_row)
    noise_mV = 1e3 * noise_floor_V(data.voltage_V, segment_of_row)
    falls, kept_falls = sustained_fall_V(data.voltage_V, segment_of_row, seg.n_segments)
    # how far a charge's logged top may sit below the voltage it reached: its last rise, when
    # the log has no record at the segment's end (a record there, edge gap 0, is the top)
    before_last = data.voltage_V[np.maximum(seg.stop_row - 2, seg.start_row)]
    unlogged_top = np.where(seg.end_gap_s > 0,
                            np.maximum(seg.voltage_last_V - before_last, 0.0), 0.0)
    unplaced = np.abs(seg.current_mA) * seg.edge_gap_s / 3600  # mAh the log cannot place
    charge = per_cycle(seg.charge_mAh)
    discharge = per_cycle(seg.discharge_mAh)
    e_charge = per_cycle(seg.charge_energy_mWh)
    e_discharge = per_cycle(seg.discharge_energy_mWh)
    t_charge = per_cycle(seg.duration_s, charging)
    t_discharge = per_cycle(seg.duration_s, discharging)
    first_half = (cycle_definition.split("-")[0] if cycle_definition != "file"
                  else _first_half(seg, index, m))
    largest = max(charge.max(initial=0.0), discharge.max(initial=0.0))
    complete = (charge > 0.01 * largest) & (discharge > 0.01 * largest)
    with np.errstate(invalid="ignore", divide="ignore"):
        ce = discharge / charge if first_half == "charge" else charge / discharge
        ce = np.where(complete, ce, np.nan)
        avg_charge = e_charge / charge
        avg_discharge = e_discharge / discharge
        i_charge = charge * 3600 / t_charge
        i_discharge = -discharge * 3600 / t_discharge
    returned = discharge if first_half == "charge" else charge
    done = np.flatnonzero(complete)
    if reference_cycle is None:
        ref = int(done[0]) if done.size else 0
    else:
        where = np.flatnonzero(cycles == reference_cycle)
        if where.size == 0:
            raise InputError(f"reference_cycle: cycle {reference_cycle} is not in the data "
                             f"(cycles {cycles[0]}..{cycles[-1]})")
        ref = int(where[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        retention = np.where(complete, returned / returned[ref], np.nan)
    life = _cycle_life(cycles, retention, complete, ref, eol_retention)
    rate = _rate_table(cycles, i_discharge if first_half == "charge" else i_charge, returned,
                       complete, tolerance=rate_tolerance, area_cm2=area_cm2,
                       reference_mAh=returned[ref])
    warnings = _voltammetry(data) + _not_cycling(seg, index, ce, complete)
    return CycleSummary(
        ok=not warnings, reason="; ".join(warnings), warnings=tuple(warnings),
        cycle=cycles, charge_mAh=charge, discharge_mAh=discharge, coulombic_efficiency=ce,
        charge_energy_mWh=e_charge, discharge_energy_mWh=e_discharge, avg_charge_V=avg_charge,
        avg_discharge_V=avg_discharge,
        max_charge_V=extreme(seg.voltage_max_V, charging, np.maximum, -np.inf),
        min_discharge_V=extreme(seg.voltage_min_V, discharging, np.minimum, np.inf),
        charge_current_mA=i_charge, discharge_current_mA=i_discharge,
        charge_time_h=t_charge / 3600, discharge_time_h=t_discharge / 3600,
        max_charge_drop_V=extreme(seg.max_drop_V, charging, np.maximum, 0.0),
        start_h=extreme(seg.start_s, np.ones(seg.n_segments, bool), np.minimum, np.inf) / 3600,
        capacity_resolution_mAh=np.maximum(per_cycle(unplaced, charging),
                                           per_cycle(unplaced, discharging)),
        sustained_charge_drop_V=extreme(falls, charging, np.maximum, 0.0),
        kept_charge_drop_V=extreme(kept_falls, charging, np.maximum, 0.0), noise_mV=noise_mV,
        charge_top_uncertainty_V=extreme(unlogged_top, charging, np.maximum, 0.0),
        complete=complete, retention=retention, cycle_definition=data.cycle_definition,
        first_half=first_half, reference_cycle=int(cycles[ref]),
        active_mass_g=math.nan if active_mass_g is None else float(active_mass_g),
        area_cm2=math.nan if area_cm2 is None else float(area_cm2),
        eol_retention=eol_retention,
        initial_coulombic_efficiency=float(ce[done[0]]) if done.size else math.nan,
        rate_table=tuple(rate), source=data.source,
        provenance=provenance(source=data.source, cycle_definition=cycle_definition,
                              active_mass_g=active_mass_g, area_cm2=area_cm2,
                              reference_cycle=reference_cycle, eol_retention=eol_retention),
        **life)


CE_LIMIT = 1.5          # a Coulombic efficiency above this is no charge/discharge pair
PULSES_PER_CYCLE = 3    # same-sign pulses between rests in a typical cycle: a pulse protocol
MIN_HALF_CYCLE_S = 60.0  # shorter typical half cycles are pulses or an impedance measurement
MIN_VOLTAGE_SPAN_mV = 5.0  # a file whose voltage moves less cycled nothing


# Techniques whose current follows a potential sweep (EC-Lab .mpr/.mpt names, Gamry tags)
_VOLTAMMETRY = re.compile(r"^(CV|CVA|LSV|CYCLIC VOLTAMMETRY.*|LINEAR SWEEP VOLTAMMETRY.*)$",
                          re.IGNORECASE)


def _voltammetry(data: CyclerData) -> list:
    """A voltammetry record (its technique, as the file names it) is not cycling, however its
    current happens to split into positive and negative runs."""
    technique = str(data.metadata.get("technique", "")).strip()
    if not _VOLTAMMETRY.match(technique):
        return []
    return [f"a voltammetry record (technique {technique!r}): the current follows a potential "
            "sweep, so charges per cycle are not charge/discharge capacities"]


def _not_cycling(seg: StepTable, index: np.ndarray, ce: np.ndarray, complete: np.ndarray) -> list:
    """Why a table should not be summarised as charge/discharge cycling (empty if it should)."""
    active = np.flatnonzero(seg.kind != 0)
    if active.size == 0:
        return [("no current flows in this file: not a cycling test (an open-circuit or "
                 "impedance record?)")]
    warnings = []
    span_mV = 1e3 * float(seg.voltage_max_V.max() - seg.voltage_min_V.min())
    if span_mV < MIN_VOLTAGE_SPAN_mV:
        warnings.append(f"the voltage spans only {span_mV:.3g} mV over the whole file: no state "
                        "of charge was cycled (an impedance measurement or a rest record?)")
    sign = seg.kind[active]
    new = np.r_[True, (sign[1:] != sign[:-1]) | (np.diff(active) > 1)]  # pulses end at rests
    group = np.cumsum(new) - 1
    pulse_s = np.bincount(group, weights=seg.duration_s[active])
    # a pulse is a run shorter than the rest after it (GITT, HPPC); a CC step finished at a
    # lower current after a short rest is not
    last = np.minimum(np.maximum.reduceat(active, np.flatnonzero(new)) + 1, seg.n_segments - 1)
    rest_after = np.where(seg.kind[last] == 0, seg.duration_s[last], 0.0)
    pulse = pulse_s < rest_after
    cycle_of_pulse = index[active[new]]
    per_cycle = np.zeros((index.max() + 1, 2), int)
    np.add.at(per_cycle, (cycle_of_pulse[pulse], (sign[new][pulse] < 0).astype(int)), 1)
    typical = float(np.median(per_cycle.max(axis=1)[np.unique(cycle_of_pulse)]))
    if typical >= PULSES_PER_CYCLE:
        warnings.append(f"a pulse protocol (GITT, HPPC, pulses): a typical cycle holds "
                        f"{typical:.0f} pulses of one sign, each shorter than the rest after "
                        "it, so capacities and CE per cycle are not those of charge/discharge "
                        "cycles")
    elif float(np.median(pulse_s)) < MIN_HALF_CYCLE_S:
        warnings.append(f"half cycles last {float(np.median(pulse_s)):.3g} s (median): pulses or "
                        "an impedance measurement, not charge/discharge cycling")
    high = complete & (ce > CE_LIMIT)
    if high.any():
        warnings.append(f"Coulombic efficiency far above 100 % ({100 * float(np.nanmax(ce[high])):.0f} "
                        f"% in {int(high.sum())} cycle(s)): the half cycles paired into a cycle do "
                        "not belong together (pulses, a partial first half cycle, or a cycle "
                        "definition that does not fit this protocol; try --cycle-definition)")
    return warnings


def _first_half(seg: StepTable, index: np.ndarray, m: int) -> str:
    """Which half cycle most cycles start with (small segments, e.g. pulses, ignored)."""
    passed = seg.charge_mAh + seg.discharge_mAh
    big = passed > 0.01 * passed.max(initial=0.0)
    first = {}
    for kind in (1, -1):
        start = np.full(m, np.inf)
        where = big & (seg.kind == kind)
        np.minimum.at(start, index[where], seg.start_s[where])
        first[kind] = start
    both = np.isfinite(first[1]) & np.isfinite(first[-1])
    discharge_first = int((first[-1][both] < first[1][both]).sum())
    return "discharge" if discharge_first > both.sum() - discharge_first else "charge"


def _cycle_life(cycles, retention, complete, ref, eol) -> dict:
    """Cycles to end of life, linear fade per cycle and the end-of-life call."""
    after = np.flatnonzero(complete & (np.arange(cycles.size) >= ref))
    below = after[retention[after] < eol]
    to_eol = int(cycles[below[0]]) if below.size else -1
    fade = Measured(math.nan, math.nan, "%/cycle")
    if after.size >= 3:
        x, y = cycles[after].astype(float), 100 * retention[after]
        coef, cov = np.polyfit(x, y, 1, cov=True)
        fade = Measured(float(coef[0]), float(math.sqrt(max(cov[0, 0], 0.0))), "%/cycle")
    if to_eol > 0:
        call = f"end of life at cycle {to_eol} (retention below {100 * eol:.0f} %)"
    elif after.size < 3:
        call = "too few complete cycles to judge"
    elif fade.value < 0 and -fade.value > 2 * fade.stderr:
        remaining = (100 * retention[after[-1]] - 100 * eol) / -fade.value
        call = (f"not reached after {after.size} cycles; linear fade reaches "
                f"{100 * eol:.0f} % near cycle {int(cycles[after[-1]] + remaining)}")
    else:
        call = f"not reached after {after.size} cycles; no significant fade"
    return {"cycles_to_eol": to_eol, "fade_percent_per_cycle": fade, "end_of_life": call}


def _rate_table(cycles, current_mA, returned, complete, *, tolerance, area_cm2, reference_mAh):
    """Rows per run of cycles at one current; empty when the current never changes."""
    done = np.flatnonzero(complete & np.isfinite(current_mA))
    if done.size < 2:
        return []
    magnitude = np.abs(current_mA[done])
    groups, start = [], 0
    for k in range(1, done.size + 1):
        if k == done.size or abs(magnitude[k] - magnitude[start]) > tolerance * magnitude[start]:
            groups.append(done[start:k])
            start = k
    if len(groups) < 2:
        return []
    first = float(np.mean(returned[groups[0]]))
    rows = []
    for g in groups:
        current = float(np.mean(np.abs(current_mA[g])))
        capacity = float(np.mean(returned[g]))
        row = {"first_cycle": int(cycles[g[0]]), "last_cycle": int(cycles[g[-1]]),
               "current_mA": current, "c_rate_per_h": float(current / reference_mAh),
               "capacity_mAh": capacity, "relative_capacity": capacity / first}
        if area_cm2:
            row["current_density_mA_cm2"] = current / area_cm2
        rows.append(row)
    return rows


def first_run(flag: np.ndarray, length: int) -> int | None:
    """Index where the first run of at least ``length`` True values starts, else None.

    Examples
    --------
    >>> first_run(np.array([1, 0, 1, 1, 1, 0], bool), 3)
    2
    """
    if flag.size < length:
        return None
    windows = np.convolve(flag.astype(int), np.ones(length, int), mode="valid")
    hits = np.flatnonzero(windows == length)
    return int(hits[0]) if hits.size else None


def plot_voltage_profiles(data: CyclerData, *, cycles=None, ax=None):
    """Voltage against capacity passed within each half cycle, for a few cycles.

    ``cycles`` defaults to up to five cycles spread over the test (first and last included).
    Returns the axes.
    """
    ax = new_axes(ax)
    present = np.unique(data.cycle)
    if cycles is None:
        cycles = present[np.unique(np.linspace(0, present.size - 1, min(5, present.size)).astype(int))]
    import matplotlib

    colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(cycles)))
    for colour, c in zip(colours, cycles):
        rows = np.flatnonzero(data.cycle == c)
        if rows.size < 2:
            continue
        t, i, v = data.time_s[rows], data.current_mA[rows], data.voltage_V[rows]
        dq = np.r_[0.0, 0.5 * (i[1:] + i[:-1]) * np.diff(t) / 3600]
        label = f"cycle {c}"
        for sign in (1, -1):
            half = np.sign(i) == sign
            if half.sum() > 1:
                ax.plot(np.cumsum(np.abs(dq) * half)[half], v[half], color=colour, lw=1,
                        label=label)
                label = None
    ax.set_xlabel("capacity / mAh")
    ax.set_ylabel("voltage / V")
    ax.legend(fontsize=7)
    return ax
