"""Peaks of a distribution of relaxation times: detection, integration, labels, tracking.

A peak's resistance is the area of ``gamma`` over its window in ``ln tau`` (windows split at
the minimum between neighbouring peaks); its time constant is the maximum, refined by a
parabola through the three nodes around it; ``f = 1 / (2 pi tau)`` and ``C = tau / R``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, signal

#: Suggested processes by time constant (upper bounds in s). Taken from seed 002 (Duan et
#: al.): bulk ~1e-7 s, SEI ~1e-4 s, charge transfer 0.1-10 s; the grain-boundary band between
#: bulk and interphase is the usual place for it in sulfide and halide electrolytes at room
#: temperature. These are suggestions only: time constants move with temperature, geometry
#: and material, and the mapping to processes is the user's call.
PROCESS_RANGES_S: tuple[tuple[float, str], ...] = (
    (1e-6, "bulk electrolyte"),
    (1e-5, "grain boundary"),
    (1e-2, "interphase (SEI/CEI)"),
    (1e1, "charge transfer"),
    (np.inf, "diffusion / low-frequency process"),
)


#: Cell constant L/A assumed for capacitance labels when the geometry is not given: a pellet
#: of about 1 mm thickness and 1 cm^2 area.
DEFAULT_CELL_CONSTANT_1_cm = 0.1


def process_from_capacitance(capacitance_F: float, *, cell_constant_1_cm: float | None = None) -> str:
    """A process label from a peak's capacitance ``C = tau / R`` by the Irvine-Sinclair-West
    bands of :mod:`ssblab.echem.impedance.conductivity` (``C' = C L / A`` in F/cm).

    Examples
    --------
    >>> process_from_capacitance(5e-11, cell_constant_1_cm=0.1)
    'bulk'
    >>> process_from_capacitance(5e-9, cell_constant_1_cm=0.1)
    'grain boundary'
    """
    from ssblab.echem.impedance.conductivity import classify_capacitance

    if not (capacitance_F > 0):
        return ""
    k = DEFAULT_CELL_CONSTANT_1_cm if cell_constant_1_cm is None else cell_constant_1_cm
    return classify_capacitance(capacitance_F * k)


_MIN_POINTS_KEPT = 10  # a crop must leave enough points for a DRT


def blocking_spike_cutoff_Hz(frequency_Hz: np.ndarray, impedance_ohm: np.ndarray) -> float | None:
    """The frequency below which a blocking-electrode spike rises, or None without one.

    A spike: at the lowest frequencies the phase is below -45 degrees and ``-Z''`` rises
    steadily (at least three points, to at least twice its value) as the frequency falls from
    the minimum of ``-Z''`` that separates it from the arcs. Returns that minimum's frequency.

    Examples
    --------
    >>> f = np.logspace(6, -2, 60)
    >>> z = 100 / (1 + 2j * np.pi * f * 1e-6) + 1 / (2j * np.pi * f * 1e-5)
    >>> 10 < blocking_spike_cutoff_Hz(f, z) < 1e4
    True
    """
    order = np.argsort(frequency_Hz)  # lowest frequency first
    f, z = np.asarray(frequency_Hz)[order], np.asarray(impedance_ohm)[order]
    y = -z.imag
    if f.size < 6 or not (np.angle(z[0], deg=True) < -45):
        return None
    k = 0
    while k + 1 < y.size and y[k + 1] < y[k]:
        k += 1
    if k < 3 or not (y[0] >= 2 * y[k]) or y.size - k < _MIN_POINTS_KEPT:
        return None
    return float(f[k])


def suggest_process(tau_s: float, ranges=PROCESS_RANGES_S) -> str:
    """A suggested process for a time constant (a suggestion, not an identification).

    Examples
    --------
    >>> suggest_process(1e-7), suggest_process(1e-4), suggest_process(1.0)
    ('bulk electrolyte', 'interphase (SEI/CEI)', 'charge transfer')
    """
    for upper, label in ranges:
        if tau_s < upper:
            return label
    return ranges[-1][1]


@dataclasses.dataclass(frozen=True)
class PeakWindow:
    """Node indices of one peak: its maximum and the window ``[lo, hi]`` it integrates."""

    index: int
    lo: int
    hi: int


def find_peak_windows(gamma: np.ndarray, *, prominence: float = 0.05) -> list[PeakWindow]:
    """Peaks of ``gamma`` with prominence above ``prominence * max(gamma)`` and their windows.

    Examples
    --------
    >>> g = np.exp(-0.5 * ((np.arange(60) - 15) / 3) ** 2) + np.exp(-0.5 * ((np.arange(60) - 40) / 3) ** 2)
    >>> [(w.index, w.lo, w.hi) for w in find_peak_windows(g)]
    [(15, 0, 27), (40, 27, 59)]
    """
    top = float(np.max(gamma)) if gamma.size else 0.0
    if top <= 0:
        return []
    padded = np.concatenate([[0.0], gamma, [0.0]])  # a peak at a grid end still counts
    idx, _ = signal.find_peaks(padded, prominence=prominence * top)
    idx = idx - 1
    windows = []
    for k, i in enumerate(idx):
        lo = 0 if k == 0 else idx[k - 1] + int(np.argmin(gamma[idx[k - 1]:i + 1]))
        hi = gamma.size - 1 if k == len(idx) - 1 else i + int(np.argmin(gamma[i:idx[k + 1] + 1]))
        windows.append(PeakWindow(int(i), int(lo), int(hi)))
    return windows


def merge_insignificant(windows: list[PeakWindow], gamma: np.ndarray, low: np.ndarray,
                        high: np.ndarray) -> list[PeakWindow]:
    """Merge neighbouring peaks whose dividing valley is not significant in the band ``low..high``.

    The valley between two peaks is significant when the smaller peak's lower bound lies above
    the valley's upper bound; otherwise the smaller peak may be a ripple of noise and the two
    windows become one, keeping the larger peak's maximum.

    Examples
    --------
    >>> g = np.array([0, 1, 3, 1, 1.2, 0.5, 0.0])
    >>> w = find_peak_windows(g)
    >>> [(v.index, v.lo, v.hi) for v in merge_insignificant(w, g, g - 0.3, g + 0.3)]
    [(2, 0, 6)]
    >>> len(merge_insignificant(w, g, g - 0.05, g + 0.05))
    2
    """
    windows = list(windows)
    merged = True
    while merged and len(windows) > 1:
        merged = False
        for k in range(len(windows) - 1):
            a, b = windows[k], windows[k + 1]
            small = a if gamma[a.index] < gamma[b.index] else b
            big = b if small is a else a
            if low[small.index] <= high[a.hi]:
                windows[k:k + 2] = [PeakWindow(big.index, a.lo, b.hi)]
                merged = True
                break
    return windows


def window_area(gamma: np.ndarray, step: float, window: PeakWindow) -> float:
    """Integral of the piecewise-linear ``gamma`` over the window (exact for hat functions).

    The outermost windows include the half hats beyond the grid ends.
    """
    seg = gamma[window.lo:window.hi + 1]
    area = step * (seg.sum() - 0.5 * (seg[0] + seg[-1]))
    if window.lo == 0:
        area += 0.5 * step * gamma[0]
    if window.hi == gamma.size - 1:
        area += 0.5 * step * gamma[-1]
    return float(area)


def peak_ln_tau(gamma: np.ndarray, ln_tau: np.ndarray, window: PeakWindow) -> float:
    """``ln tau`` of the maximum inside the window, refined by a three-point parabola."""
    seg = gamma[window.lo:window.hi + 1]
    i = window.lo + int(np.argmax(seg))
    if 0 < i < gamma.size - 1:
        y0, y1, y2 = gamma[i - 1], gamma[i], gamma[i + 1]
        curvature = y0 - 2 * y1 + y2
        if curvature < 0:
            shift = 0.5 * (y0 - y2) / curvature
            return float(ln_tau[i] + np.clip(shift, -0.5, 0.5) * (ln_tau[1] - ln_tau[0]))
    return float(ln_tau[i])


def track_peaks(peak_ln_taus: list[np.ndarray], *, max_jump_decades: float = 0.5) -> np.ndarray:
    """Link peaks across a series into tracks; returns ``(n_tracks, n_spectra)`` peak indices.

    Each spectrum's peaks are matched to the tracks' last known positions by a minimum-cost
    assignment (:func:`scipy.optimize.linear_sum_assignment`) on the distance in
    ``log10 tau``; a peak further than ``max_jump_decades`` from every track starts a new one.
    Entries are -1 where a track has no peak in that spectrum.

    Examples
    --------
    >>> ln10 = np.log(10)
    >>> spectra = [np.array([-7, -4]), np.array([-6.9]), np.array([-7, -4.1, 0])]
    >>> track_peaks([s * ln10 for s in spectra]).tolist()
    [[0, 0, 0], [1, -1, 1], [-1, -1, 2]]
    """
    last: list[float] = []
    rows: list[list[int]] = []
    n = len(peak_ln_taus)
    for s, positions in enumerate(peak_ln_taus):
        positions = np.asarray(positions, dtype=float) / np.log(10)
        matched = set()
        if last and positions.size:
            cost = np.abs(positions[:, None] - np.asarray(last)[None, :])
            pi, ti = optimize.linear_sum_assignment(cost)
            for p, t in zip(pi, ti, strict=True):
                if cost[p, t] <= max_jump_decades:
                    rows[t][s] = int(p)
                    last[t] = float(positions[p])
                    matched.add(int(p))
        for p in range(positions.size):
            if p not in matched:
                rows.append([-1] * n)
                rows[-1][s] = p
                last.append(float(positions[p]))
    return np.array(rows, dtype=int).reshape(len(rows), n)
