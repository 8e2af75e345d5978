"""Cycler traces for the cell-test tests, written independently of ``echem.celltests.synthetic``.

A protocol is a list of steps (duration, current, voltage law); :func:`log` samples it the way a
cycler logs: at a step's start and then every ``log_s`` (``mode="step"``, optionally with a
record at each step's end), or on a fixed clock that ignores the steps (``mode="grid"``; a record
falling on a step change belongs to the new step). Rows can then be decimated, noised and
glitched. The truths (capacities, the failing level, the short onset) follow from the protocol,
never from the analysis under test.

Voltage laws:

- symmetric Li|SE|Li: ``V = sign (j R_ohm + 2 (2RT/F) asinh(j / (2 j0)))`` (ohmic jump plus
  symmetric Butler-Volmer at two identical electrodes, alpha = 1/2), times ``1 + growth q/q_half``
  (the interface resistance grows with the charge passed in a half cycle), optionally reached
  through a slow rise ``1 - exp(-3 t / rise_s)`` from 0 V; a shorted cell reads ``j R_short``;
- full cell: ``U(s) = 3.05 + 1.05 s + 0.06 ln((s + 0.02) / (1.02 - s))`` plus/minus ``I R``,
  with the state of charge ``s`` moving linearly with the charge that reaches the electrodes; a
  hard short is a parallel leak of fraction ``f_n`` of the applied current, growing after onset.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ssblab.echem.cycler_data import CyclerData

RT_F = 8.314462618 * 298.15 / 96485.33212  # V


@dataclasses.dataclass
class Step:
    duration_s: float
    current_mA: float
    voltage: object            # callable(tau_s array) -> V array
    cycle: int = 1


def log(steps, *, log_s: float, mode: str = "step", step_end: bool = True, offset_s: float = 0.0,
        every: int = 1, noise_mV: float = 0.0, glitches=(), glitch_V: float = 0.0,
        rng=0) -> CyclerData:
    """Sample a protocol like a cycler (see the module docstring)."""
    gen = np.random.default_rng(rng)
    starts = np.r_[0.0, np.cumsum([s.duration_s for s in steps])]
    if mode == "step":
        t, k = [], []
        for n, s in enumerate(steps):
            tau = np.arange(0.0, s.duration_s, log_s)
            if step_end:
                tau = np.r_[tau, s.duration_s]
            t.append(starts[n] + tau)
            k.append(np.full(tau.size, n))
        t, k = np.concatenate(t), np.concatenate(k)
    else:
        t = np.arange(offset_s, starts[-1], log_s)
        k = np.searchsorted(starts, t, side="right") - 1
    v = np.empty(t.size)
    for n, s in enumerate(steps):
        here = k == n
        v[here] = s.voltage(t[here] - starts[n])
    rows = np.arange(0, t.size, every)
    t, k, v = t[rows], k[rows], v[rows]
    v = v + gen.normal(0.0, noise_mV * 1e-3, t.size)
    for when in glitches:
        v[np.argmin(np.abs(t - when))] = glitch_V
    current = np.array([s.current_mA for s in steps])[k]
    cycle = np.array([s.cycle for s in steps])[k]
    return CyclerData(time_s=t, voltage_V=v, current_mA=current, step=k + 1, cycle=cycle)


def bv_overpotential_V(j_mA_cm2, *, asr_ohm_cm2: float, j0_mA_cm2: float) -> float:
    """Ohmic plus two-electrode symmetric Butler-Volmer overpotential at ``j``."""
    return 1e-3 * j_mA_cm2 * asr_ohm_cm2 + 2 * 2 * RT_F * np.arcsinh(j_mA_cm2 / (2 * j0_mA_cm2))


def ccd_staircase(*, levels_mA_cm2=None, fail_level: int | None = None, fail_fraction: float = 0.6,
                  half_s: float = 1800.0, area_cm2: float = 1.0, asr_ohm_cm2: float = 8.0,
                  j0_mA_cm2: float = 1.0, growth: float = 0.15, rise_s: float = 0.0,
                  short_ohm_cm2: float = 0.3, reopen_s: float | None = None,
                  rest_s: float = 0.0, swing: bool = False) -> tuple[list[Step], dict]:
    """Plate/strip at each level for ``half_s`` until the cell shorts in level ``fail_level``
    (0-based) at ``fail_fraction`` of its first half cycle; the short stays (or reopens after
    ``reopen_s``). With ``rise_s`` the voltage rises from 0 V (or, with ``swing``, from the
    previous half cycle's opposite polarisation, through 0 V) over ``rise_s``. Returns the
    steps and the truth."""
    levels = np.round(np.arange(0.1, 3.01, 0.2), 10) if levels_mA_cm2 is None else levels_mA_cm2
    short_at = None if fail_level is None else fail_level * 2 * (half_s + rest_s) + fail_fraction * half_s
    steps, clock = [], 0.0

    def law(j, sign, t0):
        healthy = bv_overpotential_V(j, asr_ohm_cm2=asr_ohm_cm2, j0_mA_cm2=j0_mA_cm2)

        def voltage(tau):
            v = healthy * (1 + growth * tau / half_s)
            if rise_s:
                v = v * (1 - (2.0 if swing else 1.0) * np.exp(-3 * tau / rise_s))
            if short_at is not None:
                now = t0 + tau
                shorted = now >= short_at
                if reopen_s is not None:
                    shorted &= now < short_at + reopen_s
                v = np.where(shorted, 1e-3 * j * short_ohm_cm2, v)
            return sign * v
        return voltage

    for n, j in enumerate(levels):
        for sign in (1, -1):
            steps.append(Step(half_s, sign * j * area_cm2, law(j, sign, clock), cycle=n + 1))
            clock += half_s
            if rest_s:
                steps.append(Step(rest_s, 0.0, lambda tau: np.zeros_like(tau), cycle=n + 1))
                clock += rest_s
    truth = {"ccd_mA_cm2": None if fail_level is None else float(levels[fail_level]),
             "short_s": short_at}
    return steps, truth


def symmetric_cycling(*, hours: float, j_mA_cm2: float = 0.5, half_s: float = 3600.0,
                      start_mV: float = 60.0, end_mV: float = 140.0, rise_h: float | None = None,
                      short_h: float | None = None, reopen_h: float | None = None,
                      short_ohm_cm2: float = 2.0) -> tuple[list[Step], dict]:
    """Li|SE|Li cycling whose plateau overpotential drifts from ``start_mV`` to ``end_mV``
    (linearly over the whole test: it never settles; or exponentially with time constant
    ``rise_h``: it settles), optionally shorting at ``short_h`` and reopening after ``reopen_h``."""
    n_half = round(hours * 3600 / half_s)
    steps = []

    def plateau(t_h):
        if rise_h is None:
            return start_mV + (end_mV - start_mV) * t_h / hours
        return end_mV + (start_mV - end_mV) * np.exp(-t_h / rise_h)

    for n in range(n_half):
        sign = 1 if n % 2 == 0 else -1
        t0 = n * half_s

        def voltage(tau, t0=t0, sign=sign):
            t_h = (t0 + tau) / 3600
            v = 1e-3 * plateau(t_h) * (1 - 0.3 * np.exp(-tau / 120))
            if short_h is not None:
                shorted = t_h >= short_h
                if reopen_h is not None:
                    shorted &= t_h < short_h + reopen_h
                v = np.where(shorted, 1e-3 * j_mA_cm2 * short_ohm_cm2, v)
            return sign * v
        steps.append(Step(half_s, sign * j_mA_cm2, voltage, cycle=n // 2 + 1))
    return steps, {"short_h": short_h, "reopen_h": reopen_h}


def open_circuit_V(s):
    s = np.clip(s, 0.0, 1.0)
    return 3.05 + 1.05 * s + 0.06 * np.log((s + 0.02) / (1.02 - s))


def full_cell_cycles(n_cycles: int, *, capacity_mAh: float = 2.0, current_mA: float = 1.0,
                     resistance_ohm: float = 30.0, fade_per_cycle: float = 5e-4,
                     efficiency: float = 0.998, first_efficiency: float = 0.88,
                     rest_s: float = 600.0, short_cycle: int | None = None,
                     leak_first: float = 0.06, leak_growth: float = 1.6,
                     time_limit: float = 1.6, soft_cycle: int | None = None,
                     soft_drop_V: float = 0.08, soft_recovery_s: float = 300.0,
                     soft_efficiency: float = 0.85) -> tuple[list[Step], dict]:
    """Charge-first CC cycling with rests; from ``short_cycle`` a parallel leak takes a fraction
    ``leak_first * leak_growth**(n - short_cycle)`` (capped at 0.9) of the current, so the charge
    passes more charge and the discharge returns less; a charge stops at ``time_limit`` times
    its healthy duration (below the cut-off) when the leak keeps it from reaching it. From
    ``soft_cycle`` each charge shows, at 40 % of its length, a drop of ``soft_drop_V`` that
    recovers as ``exp(-t / soft_recovery_s)`` (a soft short opening and burning out), and the
    CE falls to ``soft_efficiency``."""
    steps, truth = [], {"charge_mAh": [], "discharge_mAh": [], "short_cycle": short_cycle,
                        "soft_cycle": soft_cycle}
    i, ir = current_mA, current_mA * resistance_ohm / 1e3
    for n in range(1, n_cycles + 1):
        q = capacity_mAh * (1 - fade_per_cycle * (n - 1))
        leak = 0.0 if short_cycle is None or n < short_cycle else min(
            0.9, leak_first * leak_growth ** (n - short_cycle))
        ce = first_efficiency if n == 1 else efficiency
        soft = soft_cycle is not None and n >= soft_cycle
        if soft:
            ce = soft_efficiency
        # charge: a fraction (1 - leak) of I reaches the electrodes; side reactions take 1 - ce
        needed = q / ce / (1 - leak)
        healthy = q / ce
        charge_h = min(needed, time_limit * healthy) / i
        reached = (charge_h * i * (1 - leak)) / (q / ce)   # fraction of the window charged
        discharge_h = q * reached / (i * (1 + leak))        # the leak also drains the discharge
        def charging(tau, h=charge_h * 3600, r=reached, soft=soft):
            v = open_circuit_V(r * tau / h) + ir
            if soft:
                after = tau - 0.4 * h
                v = v - np.where(after >= 0, soft_drop_V * np.exp(-np.maximum(after, 0)
                                                                   / soft_recovery_s), 0.0)
            return v
        steps.append(Step(charge_h * 3600, i, charging, cycle=n))
        steps.append(Step(rest_s, 0.0, lambda tau, r=reached:
                          open_circuit_V(r) + ir * np.exp(-tau / 60), cycle=n))
        steps.append(Step(discharge_h * 3600, -i, lambda tau, h=discharge_h * 3600, r=reached:
                          open_circuit_V(r * (1 - tau / h)) - ir, cycle=n))
        steps.append(Step(rest_s, 0.0, lambda tau: open_circuit_V(0.0) - ir * np.exp(-tau / 60),
                          cycle=n))
        truth["charge_mAh"].append(charge_h * i)
        truth["discharge_mAh"].append(discharge_h * i)
    truth = {k: np.asarray(v) if isinstance(v, list) else v for k, v in truth.items()}
    return steps, truth


def gitt_semi_infinite(*, n_pulses: int = 6, pulse_s: float = 600.0, rest_s: float = 3600.0,
                       current_mA: float = 0.1, diffusion_cm2_s: float = 1e-10,
                       length_cm: float = 1e-3, ir_V: float = 0.004, e_start_V: float = 3.6,
                       des_V: float = 0.012, relax_s: float = 300.0) -> list[Step]:
    """GITT pulses on the analytic semi-infinite planar solution: during a pulse
    ``E = E0 + IR + k sqrt(t)`` with ``k = 2 L dEs / (tau sqrt(pi D))`` (the surface
    concentration under constant flux; Crank eq. 3.25), after it an exponential relaxation to
    ``E0 + dEs``. Weppner-Huggins then returns D exactly."""
    k = 2 * length_cm * des_V / (pulse_s * np.sqrt(np.pi * diffusion_cm2_s))
    steps = [Step(rest_s, 0.0, lambda tau: np.full_like(tau, e_start_V))]
    for n in range(n_pulses):
        e0 = e_start_V + n * des_V
        steps.append(Step(pulse_s, current_mA, lambda tau, e0=e0: e0 + ir_V + k * np.sqrt(tau)))
        top = e0 + k * np.sqrt(pulse_s)
        steps.append(Step(rest_s, 0.0, lambda tau, e0=e0, top=top:
                          e0 + des_V + (top - e0 - des_V) * np.exp(-tau / relax_s)))
    return steps
