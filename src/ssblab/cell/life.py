"""Cycle life: capacity fade from interphase growth and Li inventory loss, and dendrite shorts.

A 2000-cycle run takes well under a second because the expensive part, the full-cell model,
runs once per value on a grid of added interphase resistance (:func:`~ssblab.cell.full.cycle`
at the protocol's rates); each cycle then reads its capacity from that grid:

- interphase: an added resistance ``R_int = k sqrt(t)`` (parabolic growth in time, in ohm cm2
  after ``t`` hours of cycling), which lowers the capacity at the protocol's rate;
- Li inventory: a fraction of each cycle's charge is lost; the anode's excess Li (mAh/cm2)
  buffers it, and once it is spent the capacity falls with the inventory;
- dendrites: a :class:`~ssblab.cell.growth.PowerLawGrowth` length vs cycle number; the
  shorted fraction of filaments (lognormal spread) opens an electronic leak ``R_short / f``
  in parallel. A leak larger than the charge current means the charge never reaches its
  cut-off and runs to the time limit; the discharge loses the leak's share. This gives seed
  001's signature: charge capacity grows while discharge capacity and CE fall to ~0.

The output is a cycler-like table (:meth:`LifeResult.to_cycler_data`) that the lab-data
layer's cycling analysis reads like an instrument file.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab import reference as ref
from ssblab.cell.full import FullCell, Protocol, cycle
from ssblab.cell.growth import PowerLawGrowth, shorted_fraction
from ssblab.errors import InputError
from ssblab.progress import progress
from ssblab.results import Result, provenance

# Seed 001 (Luo et al.): Li-In dendrite lengths at two cycle counts (the second: cell dead) in a
# LNO@NCM622 | Li6PS5Cl | Li-In cell at 1 C, 4 mAh/cm2.
SEED001_DENDRITE = PowerLawGrowth.from_points(
    ref.LIIN_DENDRITE_CYCLES.value[0], ref.LIIN_DENDRITE_LENGTH_cm.value[0],
    ref.LIIN_DENDRITE_CYCLES.value[1], ref.LIIN_DENDRITE_LENGTH_cm.value[1])
# the Li6PS5Cl powder of seed 001's cells pressed in its die, at the assumed density
SEED001_SEPARATOR_CM = ref.LPSCL_SEPARATOR_MASS_g.value / (
    ref.LPSCL_DENSITY_g_cm3.value * math.pi * (ref.LPSCL_SEPARATOR_DIAMETER_cm.value / 2) ** 2)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Degradation:
    """Degradation parameters of a life simulation.

    Parameters
    ----------
    interphase_growth_ohm_cm2_sqrt_h : float
        ``k`` in ``R_int = k sqrt(t_h)``.
    li_loss_per_cycle : float
        Fraction of each cycle's charge lost from the Li inventory (1 - CE of the anode side).
    li_excess_mAh_cm2 : float
        Anode Li beyond what the cathode can hold; ``inf`` for a thick Li or Li-In foil.
    dendrite : PowerLawGrowth or None
    separator_thickness_cm : float or None
        Gap the dendrites must cross; None takes the cell's separator layers.
    short_spread : float
        Log-standard deviation of filament lengths around the median.
    short_resistance_ohm_cm2 : float
        Electronic resistance once every filament has crossed.
    """

    interphase_growth_ohm_cm2_sqrt_h: float = 0.0
    li_loss_per_cycle: float = 0.0
    li_excess_mAh_cm2: float = math.inf
    dendrite: PowerLawGrowth | None = None
    separator_thickness_cm: float | None = None
    short_spread: float = 0.02
    short_resistance_ohm_cm2: float = 10.0

    def __post_init__(self):
        if self.interphase_growth_ohm_cm2_sqrt_h < 0 or not 0 <= self.li_loss_per_cycle < 1:
            raise InputError("Degradation: expected interphase_growth_ohm_cm2_sqrt_h >= 0 and "
                             f"0 <= li_loss_per_cycle < 1, found {self.interphase_growth_ohm_cm2_sqrt_h}, "
                             f"{self.li_loss_per_cycle}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class LifeResult(Result):
    """Per-cycle capacities of a life simulation, with what limited them."""

    cycle_number: np.ndarray
    charge_capacity_mAh_g: np.ndarray
    discharge_capacity_mAh_g: np.ndarray
    time_h: np.ndarray
    interphase_resistance_ohm_cm2: np.ndarray
    dendrite_length_cm: np.ndarray
    shorted_fraction: np.ndarray
    reached_cutoff: np.ndarray
    separator_thickness_cm: float
    short_cycle: float = math.nan
    loading_mg_cm2: float = 1.0
    area_cm2: float = 1.0
    charge_current_mA_cm2: float = 0.0
    discharge_current_mA_cm2: float = 0.0
    voltage_max_V: float = 4.3
    voltage_min_V: float = 2.7
    profile_charge_V: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    profile_discharge_V: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    title: ClassVar[str] = "Cycle life (compact model)"

    @property
    def coulombic_efficiency(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.charge_capacity_mAh_g > 0,
                            self.discharge_capacity_mAh_g / self.charge_capacity_mAh_g, 0.0)

    def retention_at(self, cycle_number: int) -> float:
        k = int(np.clip(cycle_number, 1, self.cycle_number[-1])) - 1
        return float(self.discharge_capacity_mAh_g[k] / self.discharge_capacity_mAh_g[0])

    def summary(self):
        n = int(self.cycle_number[-1])
        return [("cycles", n),
                ("first discharge capacity (mAh/g)", float(self.discharge_capacity_mAh_g[0])),
                ("last discharge capacity (mAh/g)", float(self.discharge_capacity_mAh_g[-1])),
                (f"retention after {n} cycles (-)", self.retention_at(n)),
                ("final interphase ASR (ohm cm2)", float(self.interphase_resistance_ohm_cm2[-1])),
                ("dendrite length at end (um)", float(1e4 * self.dendrite_length_cm[-1])),
                ("separator thickness (um)", 1e4 * self.separator_thickness_cm),
                ("cycle of short (median front crosses)", self.short_cycle),
                ("total time (h)", float(self.time_h[-1]))]

    def table(self):
        ce = self.coulombic_efficiency
        return [{"cycle": int(n), "charge capacity (mAh/g)": float(c), "discharge capacity (mAh/g)": float(d),
                 "coulombic efficiency (-)": float(e), "interphase ASR (ohm cm2)": float(r),
                 "dendrite length (um)": float(1e4 * L), "shorted fraction": float(f)}
                for n, c, d, e, r, L, f in zip(self.cycle_number, self.charge_capacity_mAh_g,
                                               self.discharge_capacity_mAh_g, ce,
                                               self.interphase_resistance_ohm_cm2,
                                               self.dendrite_length_cm, self.shorted_fraction)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.cycle_number, self.discharge_capacity_mAh_g, lw=1, label="discharge")
        ax.plot(self.cycle_number, self.charge_capacity_mAh_g, lw=0.8, ls="--", label="charge")
        if math.isfinite(self.short_cycle):
            ax.axvline(self.short_cycle, color="0.5", ls=":", lw=0.8, label="median dendrite crosses")
        ax.set_xlabel("cycle number")
        ax.set_ylabel("capacity (mAh/g)")
        ax.legend(fontsize=8)

    def to_cycler_data(self, *, points_per_step: int = 12, source: str = "ssblab.cell.life"):
        """A cycler-like table: charge (step 1) and discharge (step 2) of every cycle.

        Current in mA (charge positive), voltage from the model's profile at this protocol,
        stretched to each cycle's capacity; a charge that never reached its cut-off stops below
        it, as an instrument's time limit would.
        """
        from ssblab.echem.cycler_data import CyclerData

        grams = self.loading_mg_cm2 * 1e-3 * self.area_cm2
        n = self.cycle_number.size
        frac = np.linspace(0.0, 1.0, points_per_step)
        grid = np.linspace(0.0, 1.0, self.profile_charge_V.size)
        times, volts, amps, steps, cycles = [], [], [], [], []
        clock = 0.0
        for k in range(n):
            for step_id, cap, current, profile in (
                    (1, self.charge_capacity_mAh_g[k], self.charge_current_mA_cm2, self.profile_charge_V),
                    (2, self.discharge_capacity_mAh_g[k], -self.discharge_current_mA_cm2,
                     self.profile_discharge_V)):
                amps_cell = current * self.area_cm2
                duration = cap * grams / abs(amps_cell) * 3600.0 if cap > 0 else 1.0
                reach = 1.0 if step_id == 2 or self.reached_cutoff[k] else 0.9
                shape = np.interp(frac * reach, grid, profile)
                if step_id == 1 and not self.reached_cutoff[k]:
                    leak = self.shorted_fraction[k]
                    shape = shape[0] + (shape - shape[0]) * (1.0 - min(leak, 1.0))
                times.append(clock + frac * duration)
                volts.append(shape)
                amps.append(np.full(points_per_step, amps_cell))
                steps.append(np.full(points_per_step, step_id))
                cycles.append(np.full(points_per_step, k + 1))
                clock += duration + 1.0
        return CyclerData(time_s=np.concatenate(times), voltage_V=np.concatenate(volts),
                          current_mA=np.concatenate(amps), step=np.concatenate(steps),
                          cycle=np.concatenate(cycles), source=source, cycle_definition="charge-first",
                          extra={}, metadata={"model": "ssblab.cell.life"})


def _resistance_grid(cell: FullCell, protocol: Protocol, max_extra_ohm_cm2: float, points: int,
                     steps_per_half_cycle: int, show_progress: bool | None):
    extras = np.concatenate([[0.0], np.geomspace(0.5, max(max_extra_ohm_cm2, 1.0), points - 1)])
    charge, discharge, hours = [], [], []
    profile_c = profile_d = None
    for extra in progress(extras, total=extras.size, desc="life: rate grid", enabled=show_progress):
        trial = dataclasses.replace(cell, extra_resistance_ohm_cm2=cell.extra_resistance_ohm_cm2 + extra)
        run = cycle(trial, protocol, n_cycles=2, steps_per_half_cycle=steps_per_half_cycle)
        charge.append(run.charge_capacity_mAh_g[-1])
        discharge.append(run.discharge_capacity_mAh_g[-1])
        last = run.cycle == 2
        hours.append((run.time_s[last][-1] - run.time_s[last][0]) / 3600.0)
        if profile_c is None:
            on = last & (run.step == 1)
            off = last & (run.step == 3)
            profile_c = np.interp(np.linspace(0, 1, 50), np.linspace(0, 1, on.sum()), run.voltage_V[on])
            profile_d = np.interp(np.linspace(0, 1, 50), np.linspace(0, 1, off.sum()), run.voltage_V[off])
    return extras, np.array(charge), np.array(discharge), np.array(hours), profile_c, profile_d


def simulate_life(cell: FullCell, protocol: Protocol = Protocol(), *, n_cycles: int = 2000,
                  degradation: Degradation = Degradation(), grid_points: int = 12,
                  steps_per_half_cycle: int = 150, charge_time_limit: float = 1.5,
                  show_progress: bool | None = None) -> LifeResult:
    """Capacity, CE and dendrite length over ``n_cycles`` cycles of ``protocol``.

    ``charge_time_limit`` caps each charge at that multiple of its nominal duration (as a
    cycler's safety limit does), which is where a leaking cell's charge ends.

    Examples
    --------
    >>> from ssblab.cell.full import Layer
    >>> cell = FullCell(cathode="NCM811", loading_mg_cm2=10, cathode_thickness_cm=50e-4,
    ...                 catholyte_conductivity_S_cm=3e-3, separator=[Layer(thickness_cm=0.05,
    ...                 conductivity_S_cm=3e-3)])
    >>> life = simulate_life(cell, n_cycles=100, degradation=Degradation(
    ...     interphase_growth_ohm_cm2_sqrt_h=1.0), grid_points=6, steps_per_half_cycle=60)
    >>> bool(life.retention_at(100) < 1.0)
    True
    """
    if n_cycles < 1:
        raise InputError(f"n_cycles: expected >= 1, found {n_cycles}")
    deg = degradation
    one_c = (protocol.one_C_mAh_g or cell.cathode.capacity_mAh_g) * cell.loading_mg_cm2 * 1e-3
    grams = cell.loading_mg_cm2 * 1e-3
    i_ch, i_dis = protocol.charge_C * one_c, protocol.discharge_C * one_c
    nominal_h = 1.0 / protocol.charge_C + 1.0 / protocol.discharge_C + 2 * protocol.rest_h
    # bound the grid by the resistance reached in the time the cell could run at full capacity
    max_extra = deg.interphase_growth_ohm_cm2_sqrt_h * math.sqrt(n_cycles * nominal_h)
    extras, q_ch, q_dis, hours, prof_c, prof_d = _resistance_grid(
        cell, protocol, max_extra, grid_points, steps_per_half_cycle, show_progress)

    n = np.arange(1, n_cycles + 1)
    gap = deg.separator_thickness_cm
    if gap is None:
        gap = sum(layer.thickness_cm for layer in cell.separator)
    if deg.dendrite is not None:
        length = deg.dendrite.length_cm_at(n)
        frac = shorted_fraction(length, gap, spread=deg.short_spread)
        short_cycle = deg.dendrite.cycles_to_length(gap)
    else:
        length, frac, short_cycle = np.zeros(n_cycles), np.zeros(n_cycles), math.nan
    with np.errstate(divide="ignore"):
        leak_S_cm2 = frac / deg.short_resistance_ohm_cm2

    charge, discharge, r_int, clock, reached = (np.zeros(n_cycles) for _ in range(5))
    inventory = deg.li_excess_mAh_cm2
    elapsed = 0.0
    v_ch, v_dis = float(np.mean(prof_c)), float(np.mean(prof_d))
    for k in range(n_cycles):
        r = deg.interphase_growth_ohm_cm2_sqrt_h * math.sqrt(elapsed)
        r_int[k] = r
        stored = float(np.interp(r, extras, q_dis)) * grams            # mAh/cm2 the rate allows
        stored = min(stored, one_c * cell.cathode.capacity_mAh_g / (protocol.one_C_mAh_g or
                                                                     cell.cathode.capacity_mAh_g))
        if math.isfinite(inventory):
            stored = max(min(stored, stored + inventory), 0.0)
        leak_ch = 1e3 * leak_S_cm2[k] * v_ch                          # mA/cm2
        leak_dis = 1e3 * leak_S_cm2[k] * v_dis
        limit_h = charge_time_limit / protocol.charge_C
        net = i_ch - leak_ch
        t_ch = stored / net if net > 0 else math.inf
        reached[k] = t_ch <= limit_h
        t_ch = min(t_ch, limit_h)
        into_cathode = max(net, 0.0) * t_ch
        charge[k] = i_ch * t_ch / grams
        discharge[k] = into_cathode * i_dis / (i_dis + leak_dis) / grams
        t_dis = into_cathode / (i_dis + leak_dis)
        lost = deg.li_loss_per_cycle * into_cathode
        inventory -= lost
        elapsed += t_ch + t_dis + 2 * protocol.rest_h
        clock[k] = elapsed
    return LifeResult(
        cycle_number=n, charge_capacity_mAh_g=charge, discharge_capacity_mAh_g=discharge, time_h=clock,
        interphase_resistance_ohm_cm2=r_int, dendrite_length_cm=np.asarray(length, float),
        shorted_fraction=np.asarray(frac, float), reached_cutoff=reached.astype(bool),
        separator_thickness_cm=float(gap), short_cycle=float(short_cycle),
        loading_mg_cm2=cell.loading_mg_cm2, area_cm2=cell.area_cm2, charge_current_mA_cm2=i_ch,
        discharge_current_mA_cm2=i_dis, voltage_max_V=protocol.voltage_max_V,
        voltage_min_V=protocol.voltage_min_V, profile_charge_V=prof_c, profile_discharge_V=prof_d,
        provenance=provenance(cell=dataclasses.asdict(cell), protocol=dataclasses.asdict(protocol),
                              degradation=dataclasses.asdict(deg), n_cycles=n_cycles))


def cycles_to_short(separator_thickness_cm: float, law: PowerLawGrowth = SEED001_DENDRITE) -> float:
    """Cycle at which the median dendrite front crosses a separator of the given thickness.

    Examples
    --------
    >>> length, cycles = ref.LIIN_DENDRITE_LENGTH_cm.value[1], ref.LIIN_DENDRITE_CYCLES.value[1]
    >>> round(cycles_to_short(length)) == cycles      # seed 001's calibration point
    True
    >>> round(cycles_to_short(1000e-4))     # twice as thick
    1439
    """
    if not separator_thickness_cm > 0:
        raise InputError(f"separator_thickness_cm: expected > 0, found {separator_thickness_cm}")
    return law.cycles_to_length(separator_thickness_cm)


def seed001_comparisons(separator_thickness_cm: float | None = None):
    """Seed 001's cell death beside the dendrite law's crossing cycles.

    The law passes through the imaged length at the death cycle by construction (fitted); at
    seed 001's own pellet (621 um if fully dense) the crossing cycle is a prediction.
    ``separator_thickness_cm`` is accepted for symmetry with the CLI and not compared (no seed
    value of its own).
    """
    from ssblab import reference as ref
    from ssblab.comparisons import PREDICTED, SeedComparison, SeedComparisons

    death = ref.LIIN_DENDRITE_CYCLES.value[1]
    (first, last), (short, long) = ref.LIIN_DENDRITE_CYCLES.value, ref.LIIN_DENDRITE_LENGTH_cm.value

    items = [SeedComparison(seed="seed 001",
                            quantity=f"cycle the median dendrite crosses {1e4 * long:.0f} um",
                            model=cycles_to_short(long), measured=death,
                            status=f"fitted to seed 001 ({1e4 * short:.0f} um at cycle {first:.0f}, "
                                   f"{1e4 * long:.0f} um at cycle {last:.0f})"),
             SeedComparison(seed="seed 001", model=cycles_to_short(SEED001_SEPARATOR_CM),
                            quantity=f"cycle the median dendrite crosses seed 001's pellet "
                                     f"({1e4 * SEED001_SEPARATOR_CM:.0f} um)",
                            measured=death, status=PREDICTED,
                            note="the cell dies when the deepest filaments cross; "
                                 "the spread is not in seed 001")]
    return SeedComparisons(items=tuple(items), heading="seed 001: Li-In dendrite growth law vs cell death")
