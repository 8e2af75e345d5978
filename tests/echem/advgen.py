"""Adversarial cycler traces for the cell-test calls, written from the equations and independent
of ``echem.celltests.synthetic`` and of ``tracegen``.

Symmetric Li|SE|Li cell (current density ``j`` in mA/cm2, overpotentials in V, 298.15 K):

- bulk: ``j R_bulk`` (ohm cm2 x mA/cm2 = mV);
- charge transfer at two electrodes, one stripping and one plating, each solving the
  *asymmetric* Butler-Volmer equation ``j = j0 (exp(a_a f eta) - exp(-a_c f eta))`` (Newton);
- interphase growth: ``R_int(Q) = R_int0 sqrt(1 + Q/Q_c)`` with ``Q`` the areal charge passed
  since the start (parabolic growth, never settles), or ``R_int0 (1 - exp(-Q/Q_c))`` (a
  self-limiting interphase, settles);
- vacancy diffusion in the stripping electrode: ``j R_d erf(sqrt(tau / tau_d))`` (rises through
  each half cycle and saturates);
- contact loss (voids) when stripping above ``j_void``: the contact fraction
  ``a = 1 - (q / q_void)^2`` of the stripped capacity ``q`` multiplies every local current by
  ``1 / a``, so the voltage runs away and the cycler stops the step at its limit;
- a short is an electronic path ``R_s(t)`` in parallel: ``j = j_cell + V / R_s`` with
  ``V = V_cell(j_cell)`` solved by bisection; ``R_s`` falls abruptly, log-linearly over
  ``soft_s``, to a value near the cell's (a partial short), or reopens after ``reopen_s``.

Full cell: a two-plateau OCV ``U(s) = 3.35 + 0.25 s + 0.08 tanh((s - 0.5) / 0.04) + 0.05
ln(s / (1 - s)) / 10`` plus ``I R``; constant current to a cut-off, optionally held at it
(CV: ``I = I0 exp(-t / tau)`` down to ``I_cut``, charge ``I0 tau (1 - I_cut / I0)``), rests.

Logging: on a fixed interval from each step's start (with or without the step-end record), on a
wall clock that ignores steps, or on voltage change (``dV`` or ``dt_max``, as Maccor and Arbin
do); then decimation, Gaussian noise, quantisation and single glitch records. Every truth (the
failing level, the short onset, the capacities) comes from the protocol and these equations.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.special import erf

from ssblab.echem.cycler_data import CyclerData

F_RT = 96485.33212 / (8.314462618 * 298.15)  # 1/V


# ------------------------------------------------------------------ symmetric-cell equations


def bv_eta(j, j0, a_a, a_c):
    """Overpotential (V, >= 0) at which asymmetric Butler-Volmer passes ``j >= 0`` (Newton)."""
    j = np.asarray(j, float)
    # from above the root (log1p(j/j0) / min(a) f bounds both the linear and the Tafel limit)
    eta = np.log1p(j / j0) / (min(a_a, a_c) * F_RT)
    for _ in range(25):
        g = j0 * (np.exp(a_a * F_RT * eta) - np.exp(-a_c * F_RT * eta)) - j
        dg = j0 * F_RT * (a_a * np.exp(a_a * F_RT * eta) + a_c * np.exp(-a_c * F_RT * eta))
        eta = np.maximum(eta - g / dg, 0.0)
    return eta


@dataclasses.dataclass
class Cell:
    r_bulk: float = 10.0        # ohm cm2
    j0: float = 1.0             # mA/cm2
    a_a: float = 0.35
    a_c: float = 0.65
    r_int0: float = 3.0         # ohm cm2
    q_c: float = 2.0            # mAh/cm2
    r_d: float = 4.0            # ohm cm2
    tau_d: float = 300.0        # s
    j_void: float = math.inf    # mA/cm2: stripping above it loses contact
    q_void: float = 0.5         # mAh/cm2 stripped at which contact vanishes at j_void
    growth: str = "parabolic"   # or "limiting": R_int0 (1 - exp(-Q / q_c))

    def healthy_V(self, j, tau, q_total, q_strip, j_applied=None):
        """|V| of the unshorted cell at current density ``j`` (>= 0), ``tau`` s into the half
        cycle, ``q_total`` mAh/cm2 passed since the start, ``q_strip`` stripped in this half
        (voids open by the applied current density, ``j_applied``, default ``j``)."""
        contact = 1.0
        rate = j if j_applied is None else j_applied
        if rate > self.j_void:
            qv = self.q_void * self.j_void / rate  # faster stripping opens voids sooner
            contact = np.clip(1 - (q_strip / qv) ** 2, 1e-4, 1.0)
        local = j / contact
        eta = 2 * 0.5 * (bv_eta(local, self.j0, self.a_a, self.a_c)
                         + bv_eta(local, self.j0, self.a_c, self.a_a))
        if self.growth == "parabolic":
            r = self.r_bulk + self.r_int0 * np.sqrt(1 + q_total / self.q_c)
        else:  # a self-limiting interphase: settles at r_bulk + r_int0
            r = self.r_bulk + self.r_int0 * (1 - np.exp(-q_total / self.q_c))
        return 1e-3 * local * r + eta + 1e-3 * local * self.r_d * erf(np.sqrt(tau / self.tau_d))

    def shorted_V(self, j, tau, q_total, q_strip, r_s):
        """|V| with a parallel path ``r_s`` (ohm cm2, array, inf = open): bisection on the share
        of the current the cell itself carries."""
        applied = float(j)
        j = np.full(np.shape(r_s), applied)
        r_s = np.asarray(r_s, float)
        lo, hi = np.zeros_like(j), j.copy()
        for _ in range(36):
            mid = 0.5 * (lo + hi)
            v = self.healthy_V(mid, tau, q_total, q_strip, applied)
            over = mid + 1e3 * v / r_s > j  # V / R_s in mA/cm2 (V in mV / ohm cm2)
            hi = np.where(over, mid, hi)
            lo = np.where(over, lo, mid)
        return self.healthy_V(0.5 * (lo + hi), tau, q_total, q_strip, applied)


@dataclasses.dataclass
class Short:
    """A parallel electronic path from ``onset_s`` (absolute time): its resistance falls from
    ``1e5`` ohm cm2 to ``r_final`` log-linearly over ``soft_s`` (0: abruptly) and the path
    opens again after ``reopen_s`` (None: never)."""

    onset_s: float
    r_final: float = 0.05
    soft_s: float = 0.0
    reopen_s: float | None = None

    def r_s(self, t):
        t = np.asarray(t, float)
        r = np.full(t.shape, np.inf)
        on = t >= self.onset_s
        if self.reopen_s is not None:
            on &= t < self.onset_s + self.reopen_s
        if self.soft_s > 0:
            x = np.clip((t - self.onset_s) / self.soft_s, 0, 1)
            r_t = np.exp(np.log(1e5) + (np.log(self.r_final) - np.log(1e5)) * x)
        else:
            r_t = np.full(t.shape, self.r_final)
        return np.where(on, r_t, r)


# ------------------------------------------------------------------ protocols -> steps


@dataclasses.dataclass
class Step:
    start_s: float
    end_s: float
    volt: object           # callable(absolute time array, s) -> cell voltage (V)
    current_mA: object     # float, or callable(absolute time array) -> mA
    level: int = -1        # CCD level (0-based), -1 for rests
    cycle: int = 1
    cut: bool = False      # ended at the voltage limit

    def current(self, t):
        return self.current_mA(t) if callable(self.current_mA) else np.full(np.shape(t), self.current_mA)


def _flat(value):
    return lambda t: np.full(np.shape(t), float(value))


def run_symmetric(cell: Cell, halves, *, area_cm2=1.0, short: Short | None = None,
                  limit_V: float | None = None, rest_s: float = 0.0, rest_between_levels_s=0.0,
                  first_sign: int = 1, stop_after_short_s: float | None = None):
    """Run half cycles ``(j, duration_s, level, cycle)`` on the cell. A step at the voltage
    limit ends there (the cycler's end condition: found on a 1 s grid, then by bisection) and
    the protocol goes on with the next step. Returns the steps."""
    steps, clock, q_total = [], 0.0, 0.0
    sign = first_sign
    for n, (j, duration, level, cycle) in enumerate(halves):
        def volt(t, t0=clock, j=j, q0=q_total, sign=sign):
            t = np.asarray(t, float)
            tau = t - t0
            q_strip = j * tau / 3600
            v = cell.healthy_V(j, tau, q0 + q_strip, q_strip)
            if short is not None:
                r_s = short.r_s(t)
                f = np.isfinite(r_s)
                if f.any():
                    v = np.array(v, float)
                    v[f] = cell.shorted_V(j, tau[f], q0 + q_strip[f], q_strip[f], r_s[f])
            if limit_V is not None:
                v = np.minimum(v, limit_V)
            return sign * v

        cut = False
        if limit_V is not None:
            grid = np.r_[np.arange(clock, clock + duration, 1.0), clock + duration]
            over = np.flatnonzero(np.abs(volt(grid)) >= limit_V)
            if over.size:
                lo, hi = (grid[over[0] - 1] if over[0] else clock), grid[over[0]]
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (lo, mid) if abs(volt(np.array([mid]))[0]) >= limit_V else (mid, hi)
                duration, cut = hi - clock, True
        stop = (short.onset_s + stop_after_short_s if stop_after_short_s is not None
                and short is not None else math.inf)
        if clock + duration > stop:  # the operator stops the test (mid-step)
            steps.append(Step(clock, stop, volt, sign * j * area_cm2, level, cycle))
            break
        steps.append(Step(clock, clock + duration, volt, sign * j * area_cm2, level, cycle, cut))
        clock += duration
        q_total += j * duration / 3600
        sign = -sign
        last_of_level = n + 1 == len(halves) or halves[n + 1][2] != level
        pause = rest_s + (rest_between_levels_s if last_of_level else 0.0)
        if pause > 0 and n + 1 < len(halves):
            steps.append(Step(clock, clock + pause, _flat(0.0), 0.0, -1, cycle))
            clock += pause
    return steps


def ccd_halves(*, start=0.1, step=0.1, geometric=None, n_levels=12, half_s=1800.0,
               capacity_mAh_cm2=None, cycles_per_level=1):
    """Half cycles of a CCD staircase: linear (``start + k step``) or geometric (``start r^k``)
    levels, fixed time or fixed areal capacity per half, ``cycles_per_level`` pairs each."""
    out = []
    for k in range(n_levels):
        j = start * geometric ** k if geometric else start + k * step
        d = 3600 * capacity_mAh_cm2 / j if capacity_mAh_cm2 else half_s
        out += [(j, d, k, k + 1), (j, d, k, k + 1)] * cycles_per_level
    return out


def onset_level(steps, onset_s):
    """CCD truth: the level of the half cycle running at ``onset_s`` (a short during a rest
    belongs to the level of the half cycle after it)."""
    for s in steps:
        if s.level >= 0 and s.end_s > onset_s:
            return s.level
    return None


# ------------------------------------------------------------------ full cell


def ocv(s):
    s = np.clip(s, 1e-6, 1 - 1e-6)
    return 3.35 + 0.25 * s + 0.08 * np.tanh((s - 0.5) / 0.04) + 0.005 * np.log(s / (1 - s))


def run_full(n_cycles, *, cap_mAh=2.0, i_mA=1.0, r_ohm=30.0, v_max=3.70, v_min=3.22, cv_tau_s=0.0,
             i_cut_mA=0.05, rest_s=600.0, discharge_first=False, partial_last=0.0,
             current_change=None):
    """Full-cell cycling; returns ``(steps, truths)`` with truths a list of per-cycle
    ``(charge_mAh, discharge_mAh)`` integrated analytically (a partial last half counts what
    ran). ``current_change=(cycle, factor)`` scales the current from that cycle on;
    ``partial_last`` is the fraction of the last half cycle run before the log ends."""
    from scipy.optimize import brentq

    steps, clock, s = [], 0.0, 0.9 if discharge_first else 0.05
    truths = []
    order = (-1, 1) if discharge_first else (1, -1)
    for c in range(n_cycles):
        i = i_mA * (current_change[1] if current_change and c + 1 >= current_change[0] else 1.0)
        got = {}
        for half, sign in enumerate(order):
            last = c + 1 == n_cycles and half == 1 and partial_last > 0
            limit = v_max if sign > 0 else v_min

            def v_cc(t, t0=clock, s0=s, sign=sign, i=i):
                return ocv(s0 + sign * i * (np.asarray(t) - t0) / 3600 / cap_mAh) + sign * i * r_ohm / 1e3

            room = 3600 * cap_mAh / i * ((1 - s) if sign > 0 else s)
            t_cc = brentq(lambda tau, c=clock, v=limit, g=sign: (v_cc(c + tau) - v) * g, 0.0,
                          room * (1 - 1e-9), xtol=1e-9)
            if last:
                t_cc *= partial_last
            steps.append(Step(clock, clock + t_cc, v_cc, sign * i, cycle=c + 1))
            q = i * t_cc / 3600
            clock += t_cc
            s += sign * q / cap_mAh
            if sign > 0 and cv_tau_s > 0 and not last:
                t_cv = cv_tau_s * math.log(i / i_cut_mA)
                steps.append(Step(clock, clock + t_cv, _flat(limit),
                                  lambda t, t0=clock, i=i: i * np.exp(-(np.asarray(t) - t0) / cv_tau_s),
                                  cycle=c + 1))
                q_cv = i * cv_tau_s * (1 - i_cut_mA / i) / 3600
                q += q_cv
                s += q_cv / cap_mAh
                clock += t_cv
            got[sign] = q
            if rest_s and not last:
                steps.append(Step(clock, clock + rest_s, _flat(ocv(s)), 0.0, cycle=c + 1))
                clock += rest_s
        truths.append((got.get(1, 0.0), got.get(-1, 0.0)))
    return steps, truths


# ------------------------------------------------------------------ GITT on a finite slab


def slab_surface(t, *, D, L, terms=200):
    """Surface concentration excess (per unit flux) of a slab ``L`` thick, flux in at one face
    and none at the other, ``t`` s after a constant flux began (Crank, eq. 4.54 at x = L):
    ``t/L + L/D (1/3 - 2/pi^2 sum exp(-n^2 pi^2 D t / L^2) / n^2)``; 0 for t <= 0."""
    t = np.maximum(np.asarray(t, float), 0.0)
    n = np.arange(1, terms + 1)[:, None]
    series = np.sum(np.exp(-(n * np.pi) ** 2 * D * t[None, :] / L**2) / n**2, axis=0)
    return np.where(t > 0, t / L + L / D * (1 / 3 - 2 / np.pi**2 * series), 0.0)


def run_gitt(*, n_pulses=5, pulse_s=600.0, rest_s=10800.0, D=1e-10, L=1e-3, current_mA=0.1,
             ir_V=0.005, dl_tau_s=0.0, des_V=0.01, e0_V=3.6, first_rest_s=1800.0):
    """GITT pulses on a linear OCV: ``E = E0 + k c_s(t)`` (superposed slab responses) plus the
    ohmic drop ``I R`` during a pulse, reached with a double-layer time constant ``dl_tau_s``.
    ``k`` makes each pulse's relaxed step ``des_V``. Weppner-Huggins returns ``D`` exactly in
    the short-time limit; the rests relax to ``2 exp(-pi^2 D rest / L^2)`` of ``des_V``."""
    k = des_V / (pulse_s / L)  # dEs = k F tau / L, F = 1
    starts = first_rest_s + np.arange(n_pulses) * (pulse_s + rest_s)

    def e(t):
        t = np.asarray(t, float)
        c = sum(slab_surface(t - t0, D=D, L=L) - slab_surface(t - t0 - pulse_s, D=D, L=L) for t0 in starts)
        return e0_V + k * c

    steps = [Step(0.0, first_rest_s, e, 0.0)]
    for t0 in starts:
        def pulse(t, t0=t0):
            t = np.asarray(t, float)
            jump = ir_V * (1 - np.exp(-(t - t0) / dl_tau_s)) if dl_tau_s > 0 else ir_V
            return e(t) + jump
        steps.append(Step(t0, t0 + pulse_s, pulse, current_mA))
        steps.append(Step(t0 + pulse_s, t0 + pulse_s + rest_s, e, 0.0))
    return steps


# ------------------------------------------------------------------ logging


def log(steps, *, mode="interval", log_s=10.0, step_end=True, dv_V=None, dt_max_s=None,
        every=1, noise_mV=0.0, quantum_mV=0.0, glitches=(), current_sign=1,
        rng=0) -> CyclerData:
    """Sample steps like a cycler (module docstring). ``mode``: ``"interval"`` (from each step's
    start, ``step_end`` adds its last record), ``"clock"`` (a wall clock, first tick at a random
    phase) or ``"dv"`` (a record when |dV| >= ``dv_V`` or ``dt_max_s`` passed, judged on a
    ``log_s`` grid, and at step ends). ``glitches``: (time_s, kind) with kind ``"zero"``,
    ``"spike+"`` or ``"spike-"``. ``current_sign=-1`` logs plating as negative current (the
    voltage follows it: a symmetric cell's V and I share their sign)."""
    gen = np.random.default_rng(rng)
    ts, vs, cs, ks = [], [], [], []
    if mode == "clock":
        grid = np.arange(gen.uniform(0, log_s), steps[-1].end_s, log_s)
    for n, s in enumerate(steps):
        if mode == "interval":
            t = np.arange(s.start_s, s.end_s, log_s)
            if step_end:
                t = np.r_[t, s.end_s]
        elif mode == "clock":
            last = n + 1 == len(steps)
            t = grid[(grid >= s.start_s) & ((grid < s.end_s) | (last & (grid <= s.end_s)))]
        else:
            fine = np.r_[np.arange(s.start_s, s.end_s, log_s), s.end_s]
            fine_v = s.volt(fine)
            keep = [0]
            for k in range(1, fine.size):
                if abs(fine_v[k] - fine_v[keep[-1]]) >= dv_V or fine[k] - fine[keep[-1]] >= dt_max_s:
                    keep.append(k)
            if keep[-1] != fine.size - 1:
                keep.append(fine.size - 1)
            t = fine[keep]
        if t.size == 0:
            continue
        ts.append(t), vs.append(s.volt(t)), cs.append(s.current(t)), ks.append(np.full(t.size, n))
    t, v, cur, k = map(np.concatenate, (ts, vs, cs, ks))
    rows = np.arange(0, t.size, every)
    t, v, cur, k = t[rows], v[rows], cur[rows], k[rows]
    v = v + gen.normal(0.0, noise_mV * 1e-3, t.size)
    if quantum_mV:
        v = np.round(v / (quantum_mV * 1e-3)) * quantum_mV * 1e-3
    for when, kind in glitches:
        r = int(np.argmin(np.abs(t - when)))
        scale = max(abs(v[r]), 0.05)
        v[r] = {"zero": 0.0, "spike+": v[r] + 3 * scale, "spike-": v[r] - 3 * scale}[kind]
    cycle = np.array([s.cycle for s in steps])[k]
    return CyclerData(time_s=t, voltage_V=current_sign * v, current_mA=current_sign * cur,
                      step=k + 1, cycle=cycle)


def write_csv(data: CyclerData, path, *, current_in="mA"):
    """The trace as a generic CSV with unit-suffixed headers, current in mA or A."""
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        cur_name = "Current(A)" if current_in == "A" else "Current(mA)"
        w.writerow(["Time(s)", "Voltage(V)", cur_name, "Step", "Cycle"])
        scale = 1e-3 if current_in == "A" else 1.0
        for row in zip(data.time_s, data.voltage_V, data.current_mA * scale, data.step, data.cycle):
            w.writerow([f"{row[0]:.3f}", f"{row[1]:.6f}", f"{row[2]:.9g}", row[3], row[4]])


# ------------------------------------------------------------------ full cell with a short


def run_full_shorted(n_cycles, *, cap_mAh=2.0, fade=0.0, i_mA=1.0, r_ohm=30.0, v_max=3.70,
                     v_min=3.22, cv_tau_s=0.0, i_cut_mA=0.05, rest_s=600.0, short_cycle=None,
                     short_at=0.3, r_short_ohm=1e3, soft_cycles=0.0, reopen_cycles=None,
                     max_charge_factor=1.5):
    """Full-cell cycling (the OCV of :func:`ocv`, ``cap_mAh (1 - fade)^(c - 1)`` in cycle c)
    with an electronic path ``R_s`` in parallel from ``short_at`` of cycle ``short_cycle``'s
    charge (None: healthy). Kirchhoff with the cell ``V = U(s) + i_cell r``: the cycler's
    current ``I = i_cell + V / R_s``, so ``i_cell = (I - U / R_s) / (1 + r / R_s)``, integrated
    (solve_ivp) to the cut-offs; a charge that cannot reach ``v_max`` ends at
    ``max_charge_factor`` times its nominal time (the cycler's safety limit). A CV hold (only
    after a reached cut-off) draws the leak too and ends when its current falls to
    ``i_cut_mA`` (or at three time constants more), its time constant shortened to what the
    cell's room allows. ``R_s`` falls log-linearly from 1e6 ohm over ``soft_cycles`` cycles of
    the healthy cycle time and opens again after ``reopen_cycles``. Returns ``(steps, truths)``: truths
    has the onset time, its cycle, and per cycle the charge and discharge the cycler passed."""
    from scipy.integrate import solve_ivp

    cycle_s = 2 * 3600 * cap_mAh / i_mA + 2 * rest_s + (cv_tau_s * math.log(i_mA / i_cut_mA)
                                                       if cv_tau_s else 0.0)
    onset = [math.inf]

    def r_s(t):
        t = np.asarray(t, float)
        x = (np.clip((t - onset[0]) / (soft_cycles * cycle_s), 0, 1) if soft_cycles
             else np.ones(t.shape))
        r = np.exp(np.log(1e6) + (np.log(r_short_ohm) - np.log(1e6)) * x)
        on = t >= onset[0]
        if reopen_cycles is not None:
            on &= t < onset[0] + reopen_cycles * cycle_s
        return np.where(on, r, np.inf)

    def i_cell(t, s, applied, cap):
        rs = r_s(t)
        return (applied - 1e3 * ocv(s) / rs) / (1 + r_ohm / rs)  # mA (V / ohm = A)

    steps, per_cycle, clock, s = [], [], 0.0, 0.05
    for c in range(1, n_cycles + 1):
        cap = cap_mAh * (1 - fade) ** (c - 1)
        if c == short_cycle:
            onset[0] = clock + short_at * 3600 * cap * 0.85 / i_mA
        passed = {}
        for sign, limit in ((1, v_max), (-1, v_min)):
            applied = sign * i_mA

            def rhs(t, y, applied=applied, cap=cap):
                ds = i_cell(t, y[0], applied, cap) / 3600 / cap
                # an empty (full) cell can give (take) no more: the leak then stops with it
                return [0.0 if (y[0] <= 1e-6 and ds < 0) or (y[0] >= 1 - 1e-6 and ds > 0) else ds]

            def hit(t, y, applied=applied, limit=limit, cap=cap):
                return ocv(y[0]) + i_cell(t, y[0], applied, cap) * r_ohm / 1e3 - limit
            hit.terminal = True
            t_max = max_charge_factor * 3600 * cap / i_mA
            if sign * hit(clock, [s]) >= 0:
                t_max = 1.0  # already past the cut-off: the cycler ends the step at once
            sol = solve_ivp(rhs, (clock, clock + t_max), [s], events=hit, dense_output=True,
                            max_step=min(60.0, t_max / 50), rtol=1e-8, atol=1e-10)
            end = float(sol.t[-1])

            def volt(t, sol=sol, applied=applied, cap=cap):
                t = np.asarray(t, float)
                y = sol.sol(t)[0]
                return ocv(y) + i_cell(t, y, applied, cap) * r_ohm / 1e3
            steps.append(Step(clock, end, volt, applied, cycle=c))
            s = float(sol.y[0, -1])
            q = i_mA * (end - clock) / 3600
            clock = end
            if sign > 0 and cv_tau_s > 0 and sol.status == 1:  # held only at a reached cut-off
                leak = 1e3 * v_max / float(r_s(np.array([clock]))[0])
                i0 = i_mA - leak  # what the cell takes at the cut-off
                # the hold decays with cv_tau_s, faster when the cell has less room than that
                tau = min(cv_tau_s, 0.95 * (1 - s) * cap * 3600 / max(i0, 1e-12))
                t_cv = (tau * math.log(i0 / (i_cut_mA - leak)) if 0 <= leak < i_cut_mA < i0
                        else tau * (math.log(i_mA / i_cut_mA) + 3))
                t_cv = max(t_cv, 1.0)
                stored = i0 * tau * (1 - math.exp(-t_cv / tau)) / 3600
                steps.append(Step(clock, clock + t_cv, _flat(v_max),
                                  lambda t, t0=clock, i0=i0, leak=leak, tau=tau:
                                  i0 * np.exp(-(np.asarray(t) - t0) / tau) + leak,
                                  cycle=c))
                q += stored + leak * t_cv / 3600
                s += stored / cap
                clock += t_cv
            passed[sign] = q
            if rest_s:
                sol = solve_ivp(lambda t, y, cap=cap: [0.0 if y[0] <= 1e-6 else
                                                       i_cell(t, y[0], 0.0, cap) / 3600 / cap],
                                (clock, clock + rest_s), [s], dense_output=True,
                                max_step=60.0, rtol=1e-8, atol=1e-10)

                def rest_v(t, sol=sol, cap=cap):
                    t = np.asarray(t, float)
                    y = sol.sol(t)[0]
                    return ocv(y) + i_cell(t, y, 0.0, cap) * r_ohm / 1e3
                steps.append(Step(clock, clock + rest_s, rest_v, 0.0, cycle=c))
                s = float(sol.y[0, -1])
                clock += rest_s
        per_cycle.append((passed[1], passed[-1]))
    truths = {"onset_s": onset[0], "onset_cycle": short_cycle, "capacities": per_cycle}
    return steps, truths
