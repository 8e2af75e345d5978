"""Galvanostatic intermittent titration (GITT): :func:`analyse_gitt`.

Segmentation: every current pulse (a half cycle, :func:`ssblab.echem.celltests.symmetric.half_cycles`)
followed by a rest is one titration step. Per step:

- ``E0``: the relaxed voltage at the end of the rest before the pulse (the median of the
  records in its last 10 %; a pulse at the very start of the file gets NaN);
- ``Es``: the relaxed voltage at the end of the rest after it (the same median); ``dEs = Es -
  E0``. A rest cut short before the voltage settled has what remains of its relaxation added,
  extrapolated from the drifts of its last two quarters as one exponential (the slowest
  diffusion mode); a remainder over a tenth of ``dEs``, or a decay that is no clear
  exponential, gives no D for that pulse (what remains biases D by twice its fraction of
  ``dEs``), marks it in ``relaxed`` and says so in ``reason``;
- the pulse voltage is fitted as ``E(t) = a + b sqrt(t - t0)`` over its records; ``a`` is the
  voltage after the ohmic jump, so ``dEt = E(tau) - a`` is the transient change without the IR
  drop, and ``IR = a - E0``. The start ``t0`` is the instant between the last rest record and
  the first pulse record that fits best (a log whose first pulse record is 1 s late otherwise
  loses the steepest part of the transient: +5 to +7 % in D). Leading records that the fit to
  the records after them puts below the law by four noise widths (logged before the ohmic
  jump, or while the double layer charges) are left out, up to 5 % of the pulse. When the log
  has no record at the pulse's end, the end is the instant between its last record and the
  rest's first that the rest's first voltage gives under the same semi-infinite law
  (``E = E0 + b (sqrt(t - t0) - sqrt(t - t0 - tau))``); placing it at the rest's first record
  made D up to twice one record over tau low (-1.7 % on a 10 s clock, -4.9 % on 30 s).
  ``E(tau)`` is the last pulse record carried to that end by the fit;
- Weppner-Huggins (Weppner & Huggins, J. Electrochem. Soc. 124, 1569 (1977), eq. 34)::

      D = 4 / (pi tau) * (L)^2 * (dEs / dEt)^2,    L = V_M m_B / (M_B S)

  with ``tau`` the pulse length and ``L`` the diffusion length (electrode thickness for a film;
  for particles it is commonly taken as ``r / 3``), given by the caller as
  ``diffusion_length_cm``.

Assumptions (the result reports the checks): one-dimensional diffusion into a semi-infinite
medium during the pulse, i.e. ``tau << L^2 / D`` (reported as ``tau D / L^2``, should be well
below 1); a small stoichiometry change per pulse so that ``dE/dx`` is constant (E linear in
sqrt(t): the fit's R^2 near 1); negligible side reactions and a fully relaxed rest. The OCV
curve is ``Es`` against state of charge (charge passed over ``capacity_mAh``, or over the total
passed if not given); the overpotential is ``E(tau) - Es`` per pulse.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab.echem.celltests.cycling import step_table
from ssblab.echem.celltests.evidence import noise_floor_V
from ssblab.echem.celltests.symmetric import half_cycles
from ssblab.echem.cycler_data import CyclerData
from ssblab.errors import InputError
from ssblab.results import Result, new_axes, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class GITTResult(Result):
    """Per-pulse GITT quantities: diffusion coefficient, OCV, overpotential, checks."""

    soc: np.ndarray                  # state of charge after the pulse (fraction)
    pulse_s: np.ndarray
    current_mA: np.ndarray
    ocv_V: np.ndarray                # relaxed voltage after the pulse
    delta_es_V: np.ndarray
    delta_et_V: np.ndarray
    ir_drop_V: np.ndarray
    overpotential_V: np.ndarray      # end-of-pulse voltage minus the relaxed voltage after it
    diffusion_cm2_s: np.ndarray
    sqrt_fit_r2: np.ndarray
    semi_infinite_ratio: np.ndarray  # tau D / L^2 (should be << 1)
    diffusion_length_cm: float
    relaxed: np.ndarray = None       # per pulse: the rest after it had relaxed (else no D)
    source: str = ""

    title: ClassVar[str] = "GITT (Weppner-Huggins)"

    def summary(self):
        good = np.isfinite(self.diffusion_cm2_s)
        rows = [("source", self.source or "-"), ("pulses", int(self.soc.size)),
                ("diffusion length / cm", self.diffusion_length_cm)]
        if good.any():
            d = self.diffusion_cm2_s[good]
            rows += [("D median / cm2/s", float(np.median(d))),
                     ("D range / cm2/s", f"{d.min():.3g} .. {d.max():.3g}"),
                     ("OCV range / V", f"{np.nanmin(self.ocv_V):.4g} .. {np.nanmax(self.ocv_V):.4g}"),
                     ("largest tau D / L^2", float(np.nanmax(self.semi_infinite_ratio))),
                     ("smallest sqrt(t) fit R^2", float(np.nanmin(self.sqrt_fit_r2)))]
        return rows

    def table(self):
        names = ("soc", "pulse_s", "current_mA", "ocv_V", "delta_es_V", "delta_et_V", "ir_drop_V",
                 "overpotential_V", "diffusion_cm2_s", "sqrt_fit_r2", "semi_infinite_ratio")
        return [{n: float(getattr(self, n)[k]) for n in names} for k in range(self.soc.size)]

    def _draw(self, ax, **kwargs):
        ax.semilogy(100 * self.soc, self.diffusion_cm2_s, "o-", ms=3)
        ax.set_xlabel("state of charge / %")
        ax.set_ylabel("D (Weppner-Huggins) / cm2/s")
        twin = ax.twinx()
        twin.plot(100 * self.soc, self.ocv_V, "k.", ms=3)
        twin.set_ylabel("OCV / V (dots)")

    def plot_overpotential(self, ax=None):
        """Overpotential (end of pulse minus relaxed voltage) and IR drop against state of
        charge; returns the axes."""
        ax = new_axes(ax)
        ax.plot(100 * self.soc, 1e3 * self.overpotential_V, "o-", ms=3, label="overpotential")
        ax.plot(100 * self.soc, 1e3 * self.ir_drop_V, "s--", ms=3, label="IR drop")
        ax.set_xlabel("state of charge / %")
        ax.set_ylabel("voltage / mV")
        ax.legend(fontsize=8)
        return ax


def analyse_gitt(data: CyclerData, *, diffusion_length_cm: float,
                 capacity_mAh: float | None = None, min_rest_fraction: float = 1.0) -> GITTResult:
    """Segment a GITT test into pulses and apply Weppner-Huggins to each.

    Parameters
    ----------
    data
        The cycler table (pulses separated by rests).
    diffusion_length_cm
        ``L = V_M m_B / (M_B S)``: film thickness, or the particle's volume-to-surface ratio.
    capacity_mAh
        Capacity for the state of charge; None uses the total charge passed.
    min_rest_fraction
        A pulse needs a following rest at least this many times its length to count as
        relaxed; pulses without one get NaN.

    Examples
    --------
    >>> from ssblab.echem.celltests.synthetic import gitt_pulses
    >>> trace = gitt_pulses(diffusion_cm2_s=1e-10, n_pulses=5, ocv=lambda x: 3.7 + 0.5 * x)
    >>> r = analyse_gitt(trace, diffusion_length_cm=1e-3)
    >>> np.round(r.diffusion_cm2_s / 1e-10, 2).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    if not diffusion_length_cm > 0:
        raise InputError(f"diffusion_length_cm: expected a positive length, found {diffusion_length_cm}")
    seg = step_table(data)
    half = half_cycles(seg, split_at_rest=True)
    n = half.first.size
    t, v = data.time_s, data.voltage_V
    out = {k: np.full(n, np.nan) for k in ("pulse_s", "current_mA", "ocv_V", "delta_es_V",
                                           "delta_et_V", "ir_drop_V", "overpotential_V",
                                           "diffusion_cm2_s", "sqrt_fit_r2")}
    passed = np.zeros(n)
    segment_of_row = np.repeat(np.arange(seg.n_segments), seg.stop_row - seg.start_row)
    sigma = noise_floor_V(v, segment_of_row)
    unrelaxed = []
    rest_start = 0
    for h in range(n):
        if h:
            rest_start = int(seg.stop_row[half.last[h - 1]])
        lo, hi = seg.start_row[half.first[h]], seg.stop_row[half.last[h]]
        rest_end = seg.stop_row[half.first[h + 1] - 1] if h + 1 < n else data.n_rows
        # the pulse ends where the step table says (its last current held until the rest's
        # first record, as cyclers log step starts); it begins at its first record or earlier
        end = seg.start_s[half.last[h]] + seg.duration_s[half.last[h]]
        tau = end - t[lo]
        rest_s = t[rest_end - 1] - t[hi - 1]
        charge = np.add.reduce((seg.charge_mAh - seg.discharge_mAh)[half.first[h]:half.last[h] + 1])
        passed[h] = charge
        out["pulse_s"][h] = tau
        out["current_mA"][h] = charge * 3600 / tau if tau > 0 else np.nan
        if tau <= 0 or hi - lo < 3:
            continue
        if lo == 0:  # no relaxed record before the first pulse
            continue
        e0, e0_left = _relaxed(t[rest_start:lo], v[rest_start:lo], sigma)
        if not math.isfinite(e0_left):
            e0 = float(v[lo - 1])
        first, t0, a, b = _sqrt_fit(t, v, lo, hi, e0)
        root = np.sqrt(t[first:hi] - t0)
        if hi < data.n_rows and t[hi] > t[hi - 1]:
            end = _pulse_end(t[hi - 1], t[hi], v[hi], t0=t0, e0=e0, b=b)
        tau = end - t0
        out["pulse_s"][h] = tau
        fitted = a + b * root
        resid = v[first:hi] - fitted
        spread = np.sum((v[first:hi] - v[first:hi].mean()) ** 2)
        out["sqrt_fit_r2"][h] = 1 - np.sum(resid**2) / spread if spread > 0 else np.nan
        # the last record, carried by the fit over any unlogged end of the pulse
        d_et = v[hi - 1] - a + b * (math.sqrt(tau) - root[-1])
        out["delta_et_V"][h] = d_et
        out["ir_drop_V"][h] = a - e0
        if rest_s < min_rest_fraction * tau or rest_end <= hi:
            continue
        es, left = _relaxed(t[hi:rest_end], v[hi:rest_end], sigma)
        # a rest cut short: its remaining relaxation is added (one exponential, see
        # _relaxed) unless it is over a tenth of dEs or no clear exponential decay
        if not abs(left) <= 0.1 * abs(es - e0):
            unrelaxed.append((h, left, es - e0))
            out["ocv_V"][h] = es
            out["delta_es_V"][h] = es - e0
            continue
        out["ocv_V"][h] = es
        out["delta_es_V"][h] = es - e0
        out["overpotential_V"][h] = v[hi - 1] - es
        out["diffusion_cm2_s"][h] = 4 / (math.pi * tau) * diffusion_length_cm**2 * ((es - e0) / d_et) ** 2
    total = capacity_mAh if capacity_mAh else float(np.abs(passed).sum())
    soc = np.cumsum(passed) / total if total else np.full(n, np.nan)
    ratio = out["pulse_s"] * out["diffusion_cm2_s"] / diffusion_length_cm**2
    reason = ""
    if unrelaxed:
        h, left, des = unrelaxed[0]
        how = ("its decay was no clear exponential, so what remained is unknown"
               if not math.isfinite(left) else
               f"{1e3 * abs(left):.3g} mV, {100 * abs(left / des):.2g} % of its dEs, remained")
        reason = (f"{len(unrelaxed)} of {n} rests had not relaxed (after pulse {h + 1}: {how}): "
                  "no D for those pulses; rest longer")
    return GITTResult(ok=not unrelaxed or bool(np.isfinite(out["diffusion_cm2_s"]).any()),
                      reason=reason, relaxed=np.array([h not in {u[0] for u in unrelaxed}
                                                       for h in range(n)]),
                      soc=soc, semi_infinite_ratio=ratio, diffusion_length_cm=float(diffusion_length_cm),
                      source=data.source,
                      provenance=provenance(source=data.source, diffusion_length_cm=diffusion_length_cm,
                                            capacity_mAh=capacity_mAh),
                      **out)


def _sqrt_fit(t, v, lo, hi, e0):
    """Fit ``E = a + b sqrt(t - t0)`` over the pulse rows ``lo:hi``; returns the first row used,
    ``t0``, ``a`` and ``b``. A leading record is dropped (up to 5 % of the pulse) while the fit
    to the records after it puts it below the law (toward ``e0``) by more than four times the
    scatter of those records: a record logged before the ohmic jump, or while the double layer
    charges, is not on the sqrt(t) law, and a fit that includes it bends ``t0`` and ``a``
    (the IR drop) to reach it."""

    def fit(k):
        t0 = _pulse_start(t[k:hi], v[k:hi], earliest=t[lo - 1], latest=t[lo])
        b, a = np.polyfit(np.sqrt(t[k:hi] - t0), v[k:hi], 1)
        return t0, a, b

    first = lo
    limit = t[lo] + 0.05 * (t[hi - 1] - t[lo])
    side = 1.0 if _direction(v[lo:hi], e0) >= 0 else -1.0
    while hi - first > 5 and t[first + 1] <= limit:
        t0, a, b = fit(first + 1)
        resid = (v[first:hi] - a - b * np.sqrt(np.maximum(t[first:hi] - t0, 0.0))) * side
        scale = 1.4826 * float(np.median(np.abs(resid[1:] - np.median(resid[1:]))))
        if not resid[0] < -4 * max(scale, 1e-7):
            break
        first += 1
    return (first, *fit(first))


def _direction(v, e0) -> float:
    """Direction of the pulse's voltage change (+1 up, -1 down) from the relaxed ``e0``."""
    return float(np.sign(np.median(v) - e0))


def _pulse_end(t_last: float, t_next: float, v_next: float, *, t0: float, e0: float, b: float) -> float:
    """When a pulse ended that the log did not mark (its last record at ``t_last``, the rest's
    first at ``t_next``): the instant the rest's first voltage gives under the semi-infinite
    law the fit rests on, ``E = e0 + b (sqrt(t - t0) - sqrt(t - t0 - tau))`` (no IR drop once
    the current stops), bounded by the two records. Placing it at the rest's first record
    instead makes tau up to one record long too long and D up to twice that fraction low."""
    if b == 0:
        return t_next
    root = math.sqrt(max(t_next - t0, 0.0)) - (v_next - e0) / b
    if not root >= 0:
        return t_next
    return float(min(max(t0 + (t_next - t0) - root**2, t_last), t_next))


def _relaxed(t: np.ndarray, v: np.ndarray, sigma: float) -> tuple[float, float]:
    """The relaxed voltage a rest tends to, and what was left of its relaxation at its end.

    The end level is the median of the records in the last 10 % of the rest (its last record
    when that is all there is), so one record's noise does not set ``E0`` or ``Es``. What is
    left follows from the drifts over the third and the last quarters, ``d1`` and ``d2``:
    the late relaxation of a finite diffusion domain is one exponential, whose quarter-on-
    quarter ratio ``r = d2 / d1`` leaves ``d2 r / (1 - r)`` to come. A last-quarter drift
    within three noise widths counts as relaxed (nothing left); a ratio that is no clear
    exponential decay (``r`` not below 0.8: still in the power-law tail of the early
    relaxation) leaves an unknown remainder (``inf``)."""
    if t.size == 0:
        return math.nan, math.nan
    end = float(np.median(v[t >= t[-1] - 0.1 * (t[-1] - t[0])]))
    if t.size < 8:
        return end, 0.0
    span = t[-1] - t[0]

    def at(when):  # median of up to three records from the first at or after ``when``
        k = min(int(np.searchsorted(t, when)), t.size - 3)
        return float(np.median(v[k:k + 3]))

    d1 = at(t[-1] - 0.25 * span) - at(t[-1] - 0.5 * span)
    d2 = float(np.median(v[-3:])) - at(t[-1] - 0.25 * span)
    if abs(d2) <= 3 * sigma:
        return end, 0.0
    r = d2 / d1 if d1 != 0 else math.inf
    if not 0 < r < 0.8:
        return end, math.inf
    left = d2 * r / (1 - r)
    return end + left, left


def _pulse_start(t: np.ndarray, v: np.ndarray, *, earliest: float, latest: float | None = None) -> float:
    """When the pulse began: the ``t0`` in ``[earliest, t[0]]`` (between the last rest record
    and the first pulse record) whose fit ``E = a + b sqrt(t - t0)`` leaves the least squares.
    A log whose first pulse record comes a second after the current was switched on otherwise
    misses the steepest part of the sqrt(t) transient (+7 % in D for 1 s of a 600 s pulse)."""
    latest = float(t[0]) if latest is None else min(float(latest), float(t[0]))
    if not latest > earliest:
        return latest
    best = latest
    lo, hi = earliest, latest
    for _ in range(3):  # grid, then two refinements around the best point
        grid = np.linspace(lo, hi, 41)
        root = np.sqrt(np.maximum(t[None, :] - grid[:, None], 0.0))
        x_mean = root.mean(axis=1, keepdims=True)
        dx = root - x_mean
        dv = v - v.mean()
        slope = (dx * dv).sum(axis=1) / np.maximum((dx * dx).sum(axis=1), 1e-300)
        sse = ((dv[None, :] - slope[:, None] * dx) ** 2).sum(axis=1)
        k = int(np.argmin(sse))
        best = float(grid[k])
        width = (hi - lo) / 40
        lo, hi = max(earliest, best - width), min(latest, best + width)
    return best

