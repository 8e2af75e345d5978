"""What a call on cycler data rests on: the noise floor of the voltage and sustained runs.

Calls (a CCD failure, a short, a collapse of the polarisation) are made only on a change that is
*sustained* over several records and larger than the noise *measured in the same file*; shorter
excursions are glitches, counted and reported, never decisive. This module holds the two pieces
every analysis shares.

Noise floor: the standard deviation of record-to-record voltage noise, from the second
differences of the voltage inside segments (a run of one step and current sign). A second
difference removes any locally linear trend (a charging curve, a slowly growing polarisation),
so what is left is noise; its median absolute value is robust to steps, glitches and the knees of
a curve: ``sigma = 1.4826 median|d2 V| / sqrt(6)``. A quantised voltage (an instrument that
logs 0.1 mV steps) puts a floor of ``q / sqrt(12)`` under it.
"""

from __future__ import annotations

import numpy as np

_MAD = 1.4826  # median absolute deviation -> standard deviation for Gaussian noise
_SAMPLE = 1_000_000


def noise_floor_V(voltage_V: np.ndarray, segment_of_row: np.ndarray) -> float:
    """Record-to-record voltage noise (standard deviation, V) inside segments.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = np.linspace(3.0, 4.0, 20000) + rng.normal(0, 2e-3, 20000)
    >>> round(1e3 * noise_floor_V(v, np.zeros(20000, int)), 1)
    2.0
    """
    v = np.asarray(voltage_V, float)
    if v.size < 3:
        return 0.0
    segment_of_row = np.asarray(segment_of_row)
    if v.size > _SAMPLE:  # a million evenly spread triples pin sigma to 0.1 %; more is waste
        k = np.linspace(1, v.size - 2, _SAMPLE).astype(np.int64)
        same = (segment_of_row[k - 1] == segment_of_row[k + 1])
        d2 = (v[k + 1] - 2 * v[k] + v[k - 1])[same]
        steps = np.abs(v[k + 1] - v[k])
    else:
        same = segment_of_row[2:] == segment_of_row[:-2]
        d2 = (v[2:] - 2 * v[1:-1] + v[:-2])[same]
        steps = np.abs(np.diff(v))
    if d2.size == 0:
        return 0.0
    sigma = _MAD * float(np.median(np.abs(d2))) / np.sqrt(6.0)
    steps = steps[steps > 0]
    quantum = float(steps.min()) if steps.size else 0.0
    return float(max(sigma, quantum / np.sqrt(12.0)))


def runs(flag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of True in ``flag``.

    Examples
    --------
    >>> runs(np.array([0, 1, 1, 0, 1], bool))
    (array([1, 4]), array([2, 1]))
    """
    f = np.r_[False, np.asarray(flag, bool), False].astype(np.int8)
    edges = np.diff(f)
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def median3(x: np.ndarray) -> np.ndarray:
    """Running median of three (the ends kept): one-record spikes vanish, steps stay sharp."""
    if x.size < 3:
        return x.copy()
    out = x.copy()
    out[1:-1] = np.median(np.stack([x[:-2], x[1:-1], x[2:]]), axis=0)
    return out


def confidence(size: float, noise: float, records: int, *, min_records: int) -> str:
    """``"high"`` for a change of at least 10 noise widths over at least twice the records a
    call needs, ``"medium"`` for one that passes the thresholds only, ``"low"`` for fewer
    records than a call needs (a change at the very end of the data)."""
    if records < min_records:
        return "low"
    if size >= 10 * max(noise, 1e-300) and records >= 2 * min_records:
        return "high"
    return "medium"


def sustained_fall_V(voltage_V: np.ndarray, segment_of_row: np.ndarray, n_segments: int,
                     *, width: int = 3) -> np.ndarray:
    """Per segment, the largest fall of the voltage that lasts (all records in one segment):

    - the median of the ``width`` records before a record minus the median of that record and
      the ``width - 1`` after it; or
    - a fall between two records that the next record keeps: ``min(v[k-1] - v[k],
      2 (v[k-1] - v[k+1]))``, a drop that recovers only partly (a soft short) rather than
      springing back past the record before it (a glitch).

    One glitch record moves neither median and springs back, so it never counts.

    Examples
    --------
    >>> v = np.array([1.0, 1.1, 1.2, 0.0, 1.4, 1.5, 1.6, 1.0, 1.0, 1.0])
    >>> np.round(sustained_fall_V(v, np.zeros(10, int), 1), 3).tolist()  # 1.6 -> 1.0, not 1.2 -> 0
    [0.6]
    """
    v = np.asarray(voltage_V, float)
    n = v.size
    out = np.zeros(n_segments)
    if n < 2 * width:
        return out
    if width == 3:  # the common case, without sorting: med = max(min(a, b), min(max(a, b), c))
        a, b, c = v[:-2], v[1:-1], v[2:]
        med = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    else:
        med = np.median(np.lib.stride_tricks.sliding_window_view(v, width), axis=1)
    # med[k] = median(v[k:k + width]); k below is the first record after the "before" window,
    # and segments are contiguous, so both windows lie in one segment when their ends do
    m = n - 2 * width + 1                          # k = width .. n - width
    fall = np.zeros(n)
    fall[width:width + m] = med[:m] - med[width:width + m]
    fall[width:width + m][segment_of_row[:m] != segment_of_row[2 * width - 1:]] = 0.0
    # the kept fall: rows k-1, k, k+1 in one segment
    kept = np.minimum(v[:-2] - v[1:-1], 2 * (v[:-2] - v[2:]))
    kept[segment_of_row[:-2] != segment_of_row[2:]] = 0.0
    fall[1:-1] = np.maximum(fall[1:-1], kept)
    starts = np.r_[0, np.flatnonzero(np.diff(segment_of_row)) + 1]
    out[segment_of_row[starts]] = np.maximum.reduceat(fall, starts)
    return np.maximum(out, 0.0)
