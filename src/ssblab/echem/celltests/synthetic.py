"""Synthetic cycler traces with a planted truth, for tests, examples and benchmarks.

Every generator returns a :class:`~ssblab.echem.cycler_data.CyclerData` built from a stated
model, so an analysis can be checked against the numbers that went in:

- :func:`galvanostatic_cycles`: constant-current cycling of a full cell with linear capacity
  fade, a set Coulombic efficiency, an ohmic overpotential and optionally a hard internal short
  (seed 001's signature) or a soft short from a known cycle;
- :func:`ccd_staircase_data`: a Li|SE|Li critical-current-density staircase that shorts at a known
  step;
- :func:`symmetric_cycling`: a Li|SE|Li or Li-In|SE|Li-In symmetric cell whose overpotential
  follows a set history and optionally shorts at a known time;
- :func:`gitt_pulses`: galvanostatic intermittent titration of a planar electrode with a known
  chemical diffusion coefficient (exact series solution of Fick's law, not the Weppner-Huggins
  formula the analysis uses).

Voltage model of :func:`galvanostatic_cycles`: with ``s`` the fraction of the half cycle passed
and ``g(s) = s - 0.1 sin(2 pi s)`` (monotone),
``OCV(s) = v_min + IR + (v_max - v_min - 2 IR) g(s)``; charge reads ``OCV + IR`` (ends exactly at
``v_max``), discharge ``OCV - IR`` (ends at ``v_min``). The average charge minus average
discharge voltage is therefore exactly ``2 I R``. Cycle ``n`` returns
``capacity_mAh (1 - fade_per_cycle (n - 1))`` and charges that divided by the Coulombic
efficiency (``first_cycle_efficiency`` for cycle 1).
"""

from __future__ import annotations

import numpy as np

from ssblab.echem.cycler_data import CyclerData
from ssblab.errors import InputError


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _shape(s):
    return s - 0.1 * np.sin(2 * np.pi * s)


def galvanostatic_cycles(n_cycles: int, *, capacity_mAh: float = 1.0,
                         current_mA: float | np.ndarray | None = None,
                         fade_per_cycle: float = 2e-4, coulombic_efficiency: float = 0.999,
                         first_cycle_efficiency: float = 0.9, v_min: float = 3.0,
                         v_max: float = 4.2, resistance_ohm: float = 20.0,
                         rate_loss: float = 0.0, points_per_half: int = 40,
                         rest_points: int = 3, rest_s: float = 600.0,
                         short_cycle: int | None = None, soft_short_cycle: int | None = None,
                         soft_short_drop_V: float = 0.06, soft_short_efficiency: float = 0.85,
                         noise_V: float = 0.0, rng=None) -> CyclerData:
    """Charge-first constant-current cycling with a planted fade, efficiency and failure.

    Parameters
    ----------
    n_cycles
        Number of cycles.
    capacity_mAh
        Returned (discharge) capacity of cycle 1 at the reference current.
    current_mA
        Current magnitude, one value or one per cycle; None is 1C (``capacity_mAh`` per hour).
    fade_per_cycle
        Linear capacity loss per cycle as a fraction of ``capacity_mAh``.
    coulombic_efficiency, first_cycle_efficiency
        Discharge over charge capacity for cycles 2.. and for cycle 1.
    resistance_ohm
        Ohmic resistance; overpotential (avg charge - avg discharge voltage) is ``2 I R``.
    rate_loss
        Capacity falls by ``rate_loss * log10(I / I_min)`` at higher currents.
    short_cycle
        From this cycle on a growing internal short: each charge passes more charge than the
        one before (+25 % of the healthy charge per cycle), discharge capacity falls by 20 % of
        the healthy one per cycle, and from the cycle after onset the charge stops (time limit)
        below ``v_max``, 30 mV lower each cycle (seed 001).
    soft_short_cycle
        From this cycle on every charge shows one sudden voltage drop of ``soft_short_drop_V``
        that recovers over a few points, and the Coulombic efficiency is
        ``soft_short_efficiency``.
    noise_V
        Standard deviation of Gaussian voltage noise.
    rng
        Seed or Generator for the noise and the soft-short drop positions.

    Examples
    --------
    >>> d = galvanostatic_cycles(3, points_per_half=5, rest_points=0)
    >>> d.n_rows, int(d.cycle.max()), float(d.voltage_V.max())
    (30, 3, 4.2)
    """
    if n_cycles < 1 or points_per_half < 3:
        raise InputError(f"n_cycles >= 1 and points_per_half >= 3 expected, found {n_cycles}, "
                         f"{points_per_half}")
    gen = _rng(rng)
    n = np.arange(1, n_cycles + 1)
    current = np.broadcast_to(np.asarray(capacity_mAh if current_mA is None else current_mA,
                                         dtype=float), (n_cycles,)).copy()
    if np.any(current <= 0):
        raise InputError("current_mA: expected positive current magnitude(s)")
    ir = current * resistance_ohm / 1000.0
    if np.any(v_max - v_min <= 2 * ir):
        raise InputError("resistance_ohm: the ohmic drop 2 I R exceeds the voltage window")
    returned = capacity_mAh * (1 - fade_per_cycle * (n - 1))
    returned = returned * (1 - rate_loss * np.log10(current / current.min()))
    efficiency = np.where(n == 1, first_cycle_efficiency, coulombic_efficiency)
    top = np.full(n_cycles, v_max)
    if soft_short_cycle is not None:
        efficiency = np.where(n >= soft_short_cycle, soft_short_efficiency, efficiency)
    charged = returned / efficiency
    discharged = returned.copy()
    if short_cycle is not None:
        s = np.maximum(n - short_cycle + 1, 0)
        healthy_charge = charged.copy()
        charged = healthy_charge * (1 + 0.25 * s)
        discharged = np.where(s > 0, returned * np.clip(1 - 0.2 * s, 0.01, None), returned)
        top = np.where(s > 1, v_max - 0.03 * (s - 1), v_max)
    p, r = points_per_half, rest_points
    f = np.linspace(0.0, 1.0, p)
    low = v_min + 2 * ir
    v_charge = low[:, None] + (top - low)[:, None] * _shape(f)[None, :]
    v_discharge = (top - 2 * ir)[:, None] + (v_min - top + 2 * ir)[:, None] * _shape(f)[None, :]
    t_charge = charged / current * 3600.0
    t_discharge = discharged / current * 3600.0
    # a rest is logged from its start (as cyclers do), so no interval straddles a current change
    rest_t = np.linspace(0, rest_s, r) if r > 1 else np.zeros(r)
    # One cycle's rows: charge, rest, discharge, rest, as (cycle, row) blocks.
    times = np.concatenate([f[None, :] * t_charge[:, None],
                            t_charge[:, None] + rest_t[None, :],
                            (t_charge + rest_s * (r > 0))[:, None] + f[None, :] * t_discharge[:, None],
                            (t_charge + t_discharge + rest_s * (r > 0))[:, None] + rest_t[None, :]],
                           axis=1)
    cycle_length = t_charge + t_discharge + 2 * rest_s * (r > 0)
    offsets = np.r_[0.0, np.cumsum(cycle_length)[:-1]]
    time = (times + offsets[:, None]).ravel()
    voltage = np.concatenate([v_charge, np.repeat(v_charge[:, -1:] - ir[:, None], r, axis=1),
                              v_discharge, np.repeat(v_discharge[:, -1:] + ir[:, None], r, axis=1)],
                             axis=1)
    if soft_short_cycle is not None:
        rows = np.flatnonzero(n >= soft_short_cycle)
        where = gen.integers(p // 4, p - 6, size=rows.size)
        recovery = soft_short_drop_V * np.array([1.0, 0.6, 0.3, 0.1])
        for k, offset in enumerate(range(4)):
            voltage[rows, where + offset] -= recovery[k]
    ones = np.ones((n_cycles, p))
    zeros = np.zeros((n_cycles, r))
    current_rows = np.concatenate([ones * current[:, None], zeros, -ones * current[:, None], zeros],
                                  axis=1).ravel()
    step = np.concatenate([np.full(p, 1), np.full(r, 2), np.full(p, 3), np.full(r, 4)])
    voltage = voltage.ravel()
    if noise_V:
        voltage = voltage + gen.normal(0.0, noise_V, voltage.size)
    return CyclerData(time_s=time, voltage_V=voltage, current_mA=current_rows,
                      step=np.tile(step, n_cycles), cycle=np.repeat(n, 2 * (p + r)),
                      source="synthetic: galvanostatic_cycles", cycle_definition="charge-first",
                      metadata={"truth": {"returned_mAh": returned, "short_cycle": short_cycle,
                                          "soft_short_cycle": soft_short_cycle,
                                          "overpotential_V": 2 * ir}})


def _symmetric_rows(v_rows_V: np.ndarray, half_s: np.ndarray, current_mA: np.ndarray) -> tuple:
    """Rows of alternating half cycles (+ then -), |V| given as (half cycle, point) rows."""
    n_half, p = v_rows_V.shape
    f = np.linspace(0.0, 1.0, p)
    sign = np.where(np.arange(n_half) % 2 == 0, 1.0, -1.0)
    offsets = np.r_[0.0, np.cumsum(half_s)[:-1]]
    time = (offsets[:, None] + f[None, :] * half_s[:, None]).ravel()
    voltage = (sign[:, None] * v_rows_V).ravel()
    current = np.repeat(sign * current_mA, p)
    step = np.repeat(np.arange(1, n_half + 1), p)
    cycle = np.repeat(np.arange(n_half) // 2 + 1, p)
    return time, voltage, current, step, cycle


def symmetric_cycling(*, hours: float = 150.0, current_density_mA_cm2: float = 0.2,
                      area_cm2: float = 1.0, half_cycle_h: float = 1.0,
                      initial_mV: float = 100.0, peak_mV: float = 170.0, peak_h: float = 24.0,
                      steady_mV: float | None = None, settle_h: float = 100.0,
                      short_h: float | None = 70.0, shorted_mV: float = 2.0,
                      points_per_half: int = 20, noise_mV: float = 0.0, rng=None) -> CyclerData:
    """Galvanostatic Li|SE|Li (default, seed 004's Li cell) or Li-In|SE|Li-In cycling.

    History of the half-cycle overpotential ``eta(t)`` (the largest |V| of each half cycle):

    - ``steady_mV`` None (Li): linear rise from ``initial_mV`` to ``peak_mV`` at ``peak_h``,
      then a linear decline to 60 % of the peak at ``short_h``; from ``short_h`` on the cell is
      shorted and |V| is ``shorted_mV``;
    - ``steady_mV`` given (Li-In): ``steady + (initial - steady) exp(-3 t / settle_h)``, i.e.
      within 5 % of the change of its steady value at ``settle_h``.

    Within a half cycle |V| rises as ``eta (0.8 + 0.2 (1 - exp(-5 s)) / (1 - exp(-5)))``.

    Examples
    --------
    >>> d = symmetric_cycling(hours=4, points_per_half=5)
    >>> d.n_rows, sorted(set(np.sign(d.current_mA).tolist()))
    (20, [-1.0, 1.0])
    """
    n_half = int(round(hours / half_cycle_h))
    if n_half < 2:
        raise InputError(f"hours: expected at least two half cycles, found {hours} h")
    t_end = (np.arange(n_half) + 1) * half_cycle_h
    if steady_mV is None:
        short = np.inf if short_h is None else short_h
        rise = initial_mV + (peak_mV - initial_mV) * np.minimum(t_end / peak_h, 1.0)
        fall = peak_mV * (1 - 0.4 * np.clip((t_end - peak_h) / (short - peak_h), 0, 1))
        eta = np.where(t_end <= peak_h, rise, fall)
    else:
        short = np.inf
        eta = steady_mV + (initial_mV - steady_mV) * np.exp(-3 * t_end / settle_h)
    f = np.linspace(0.0, 1.0, points_per_half)
    shape = 0.8 + 0.2 * (1 - np.exp(-5 * f)) / (1 - np.exp(-5))
    eta_rows = eta[:, None] * shape[None, :]
    t_rows = (t_end - half_cycle_h)[:, None] + f[None, :] * half_cycle_h
    eta_rows = np.where(t_rows >= short, shorted_mV, eta_rows)
    current_mA = current_density_mA_cm2 * area_cm2
    time, voltage, current, step, cycle = _symmetric_rows(
        eta_rows / 1000.0, np.full(n_half, half_cycle_h * 3600), np.full(n_half, current_mA))
    if noise_mV:
        voltage = voltage + _rng(rng).normal(0.0, noise_mV / 1000, voltage.size)
    return CyclerData(time_s=time, voltage_V=voltage, current_mA=current, step=step,
                      cycle=cycle, source="synthetic: symmetric_cycling",
                      cycle_definition="charge-first",
                      metadata={"truth": {"short_h": short_h if steady_mV is None else None,
                                          "eta_mV": eta, "half_end_h": t_end}})


def ccd_staircase_data(*, area_cm2: float = 1.0, start_mA_cm2: float = 0.1, step_mA_cm2: float = 0.2,
                  n_steps: int = 10, time_per_half_h: float | None = 0.5,
                  capacity_per_half_mAh_cm2: float | None = None, fail_step: int | None = 4,
                  fail_fraction: float = 0.5, asr_ohm_cm2: float = 150.0,
                  shorted_ohm_cm2: float = 1.0, points_per_half: int = 30,
                  noise_mV: float = 0.0, rng=None) -> CyclerData:
    """A Li|SE|Li critical-current-density staircase (seed 003's protocol).

    Step ``k`` (from 1) cycles once (plating then stripping) at ``start + (k - 1) step``
    mA/cm2 for ``time_per_half_h`` per half cycle, or for ``capacity_per_half_mAh_cm2`` (wins if given). The
    cell polarises as ``|V| = j ASR (1 + 0.3 s)`` (``s`` the fraction of the half cycle) until
    ``fail_fraction`` into the first half cycle of ``fail_step``, where it shorts: from then on
    ``|V| = j shorted_ohm_cm2``. The staircase runs one step past the failure and stops. The
    planted critical current density is the failing step's current density.

    Examples
    --------
    >>> d = ccd_staircase_data(n_steps=3, fail_step=None, points_per_half=4)
    >>> np.unique(np.abs(d.current_mA)).round(3).tolist()
    [0.1, 0.3, 0.5]
    """
    if time_per_half_h is None and capacity_per_half_mAh_cm2 is None:
        raise InputError("ccd_staircase_data: give time_per_half_h or capacity_per_half_mAh_cm2")
    last = n_steps if fail_step is None else min(n_steps, fail_step + 1)
    j = start_mA_cm2 + step_mA_cm2 * np.arange(last)
    j_half = np.repeat(j, 2)
    if capacity_per_half_mAh_cm2 is not None:
        half_h = capacity_per_half_mAh_cm2 / j_half
    else:
        half_h = np.full(j_half.size, float(time_per_half_h))
    p = points_per_half
    f = np.linspace(0.0, 1.0, p)
    v = j_half[:, None] * asr_ohm_cm2 / 1000.0 * (1 + 0.3 * f[None, :])
    if fail_step is not None:
        fail_half = 2 * (fail_step - 1)
        after = np.arange(j_half.size)[:, None] > fail_half
        after = after | ((np.arange(j_half.size)[:, None] == fail_half) & (f[None, :] > fail_fraction))
        v = np.where(after, j_half[:, None] * shorted_ohm_cm2 / 1000.0, v)
    time, voltage, current, step, cycle = _symmetric_rows(v, half_h * 3600, j_half * area_cm2)
    if noise_mV:
        voltage = voltage + _rng(rng).normal(0.0, noise_mV / 1000, voltage.size)
    truth = {"ccd_mA_cm2": None if fail_step is None else float(j[fail_step - 1]),
             "areal_capacity_at_failure_mAh_cm2":
                 None if fail_step is None else float(j[fail_step - 1] * half_h[2 * fail_step - 2]
                                                      * fail_fraction)}
    return CyclerData(time_s=time, voltage_V=voltage, current_mA=current, step=step, cycle=cycle,
                      source="synthetic: ccd_staircase_data", cycle_definition="charge-first",
                      metadata={"truth": truth, "area_cm2": area_cm2})


def gitt_surface_fraction(t_s: np.ndarray, *, rate_per_s: float, length_cm: float,
                          diffusion_cm2_s: float, n_terms: int = 800) -> np.ndarray:
    """Rise of the surface stoichiometry of a slab (thickness ``length_cm``, sealed at the back)
    under a constant flux that raises its mean stoichiometry by ``rate_per_s``, from ``t = 0``.

    Crank, *The Mathematics of Diffusion*, eq. 4.54 at the surface:
    ``dx_s = r t + r L^2/D [1/3 - 2/pi^2 sum_n exp(-n^2 pi^2 D t / L^2) / n^2]``; zero for t <= 0.
    """
    t = np.maximum(np.asarray(t_s, dtype=float), 0.0)
    tau = diffusion_cm2_s * t / length_cm**2
    k = np.arange(1, n_terms + 1)
    series = (np.exp(-np.outer(tau, k**2 * np.pi**2)) / k**2).sum(axis=1)
    rise = rate_per_s * t + rate_per_s * length_cm**2 / diffusion_cm2_s * (1 / 3 - 2 / np.pi**2 * series)
    return np.where(t > 0, rise, 0.0)


def default_ocv(x):
    """A smooth cathode-like open-circuit voltage (V) vs stoichiometry change ``x`` in [0, 1]."""
    x = np.clip(x, 1e-4, 1 - 1e-4)
    return 3.7 + 0.5 * x + 0.05 * np.log(x / (1 - x))


def gitt_pulses(*, diffusion_cm2_s: float = 1e-10, diffusion_length_cm: float = 1e-3,
                capacity_mAh: float = 1.0, current_mA: float = 0.1, pulse_s: float = 600.0,
                rest_s: float = 7200.0, n_pulses: int = 20, start_fraction: float = 0.1,
                resistance_ohm: float = 50.0, points_per_pulse: int = 40,
                points_per_rest: int = 40, ocv=default_ocv) -> CyclerData:
    """A GITT charge of a planar electrode with a known chemical diffusion coefficient.

    After an initial rest, each pulse passes ``current_mA`` for ``pulse_s`` and rests
    ``rest_s``. The surface
    stoichiometry follows the exact finite-slab solution (:func:`gitt_surface_fraction`,
    superposed for every pulse start and stop); the voltage is ``ocv(x_surface) + I R``. The
    Weppner-Huggins analysis recovers ``diffusion_cm2_s`` only as far as its assumptions hold
    (``pulse_s << L^2 / D``, small stoichiometry change per pulse).

    Examples
    --------
    >>> d = gitt_pulses(n_pulses=2, points_per_pulse=5, points_per_rest=5)
    >>> d.n_rows, round(float(d.current_mA.max()), 3)
    (25, 0.1)
    """
    rate = current_mA / (capacity_mAh * 3600.0)
    period = pulse_s + rest_s
    tp = np.linspace(0.0, pulse_s, points_per_pulse)
    # the rest is logged from its start (as cyclers do): no interval straddles a current change
    tr = pulse_s + np.linspace(0.0, rest_s, points_per_rest)
    local = np.r_[tp, tr]
    starts = rest_s + np.arange(n_pulses) * period  # an initial rest gives the first E0
    time = np.r_[np.linspace(0.0, rest_s, points_per_rest, endpoint=False),
                 (starts[:, None] + local[None, :]).ravel()]
    x = np.full(time.size, start_fraction)
    for t0 in starts:
        x += gitt_surface_fraction(time - t0, rate_per_s=rate, length_cm=diffusion_length_cm,
                                   diffusion_cm2_s=diffusion_cm2_s)
        x -= gitt_surface_fraction(time - t0 - pulse_s, rate_per_s=rate,
                                   length_cm=diffusion_length_cm, diffusion_cm2_s=diffusion_cm2_s)
    on = np.r_[np.zeros(points_per_rest),
               np.tile(np.r_[np.ones(points_per_pulse), np.zeros(points_per_rest)], n_pulses)]
    current = current_mA * on
    voltage = ocv(x) + current * resistance_ohm / 1000.0
    step = np.tile(np.r_[np.full(points_per_pulse, 1), np.full(points_per_rest, 2)], n_pulses)
    step = np.r_[np.zeros(points_per_rest, int),
                 step + 2 * np.repeat(np.arange(n_pulses), points_per_pulse + points_per_rest)]
    return CyclerData(time_s=time, voltage_V=voltage, current_mA=current, step=step,
                      cycle=np.ones(time.size, int), source="synthetic: gitt_pulses",
                      metadata={"truth": {"diffusion_cm2_s": diffusion_cm2_s,
                                          "diffusion_length_cm": diffusion_length_cm,
                                          "capacity_mAh": capacity_mAh}})


def write_cycler_csv(data: CyclerData, path) -> None:
    """Write a cycler table as a generic CSV (``time/s, voltage/V, current/mA, step, cycle``)
    that :func:`ssblab.echem.io.read_cycler` reads back, e.g. to try the CLI on a synthetic trace.
    """
    import io

    from ssblab.files import atomic_write

    buffer = io.StringIO()
    buffer.write("time/s,voltage/V,current/mA,step,cycle\n")
    np.savetxt(buffer, np.column_stack([data.time_s, data.voltage_V, data.current_mA,
                                        data.step, data.cycle]),
               delimiter=",", fmt=["%.6f", "%.7g", "%.7g", "%d", "%d"])
    atomic_write(path, buffer.getvalue())
