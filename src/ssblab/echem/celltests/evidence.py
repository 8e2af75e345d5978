"""What a call on cycler data rests on: the noise floor of the voltage and sustained runs.

Calls (a CCD failure, a short, a collapse of the polarisation) are made only on a change that is
*sustained* over several records and larger than the noise *measured in the same file*; shorter
excursions are glitches, counted and reported, never decisive. This module holds the two pieces
every analysis shares.

Noise floor: the standard deviation of record-to-record voltage noise, from the second and
third differences of the voltage inside segments (a run of one step and current sign). A second
difference removes a locally linear trend (a charging curve, a slowly growing polarisation), a
third one a curved trend (a sparsely logged charge curve), so what is left is noise; the median
absolute value is robust to steps, glitches and knees: ``sigma = 1.4826 min(median|d2 V| /
sqrt(6), median|d3 V| / sqrt(20))``. A quantised voltage (an instrument that
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
    if v.size < 4:
        return 0.0
    # a million evenly spread quadruples pin sigma to 0.1 %; more is waste
    k = (np.linspace(1, v.size - 3, _SAMPLE).astype(np.int64) if v.size > _SAMPLE
         else np.arange(1, v.size - 2))
    triple = segment_of_row[k - 1] == segment_of_row[k + 1]
    same = triple & (segment_of_row[k - 1] == segment_of_row[k + 2])
    d2 = (v[k + 1] - 2 * v[k] + v[k - 1])[triple]
    d3 = (v[k + 2] - 3 * v[k + 1] + 3 * v[k] - v[k - 1])[same]
    steps = np.abs(v[k + 1] - v[k])
    if d2.size == 0:
        # segments of one or two records: only first differences, which keep any trend and
        # so overstate the noise (the cautious side: a call then needs a larger change)
        d1 = (v[k + 1] - v[k])[segment_of_row[k] == segment_of_row[k + 1]]
        return _MAD * float(np.median(np.abs(d1))) / np.sqrt(2.0) if d1.size else 0.0
    # second differences remove a straight trend, third differences a curved one (a sparse log
    # of a charge curve): for pure noise both give sigma, a trend only raises them; segments
    # of three records give second differences only
    sigma = _MAD * float(np.median(np.abs(d2))) / np.sqrt(6.0)
    if d3.size:
        sigma = min(sigma, _MAD * float(np.median(np.abs(d3))) / np.sqrt(20.0))
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


def step_down(x: np.ndarray, low: float) -> int:
    """Index where a trace that ends low (below ``low``) stepped down: the change point of a
    two-level least-squares fit (0 if the part before it is low too), which neither noise that
    crosses ``low`` now and then nor a slow rise at the start moves.

    Examples
    --------
    >>> step_down(np.r_[np.full(30, 50.0), np.full(20, 1.0)], 10.0)
    30
    """
    if x.size < 3:
        return 0
    c1, c2 = np.cumsum(x), np.cumsum(x * x)
    k = np.arange(1, x.size)
    left = c2[k - 1] - c1[k - 1] ** 2 / k
    right = (c2[-1] - c2[k - 1]) - (c1[-1] - c1[k - 1]) ** 2 / (x.size - k)
    step = int(k[np.argmin(left + right)])
    if np.median(x[:step]) < low:  # low from the start: the fit split noise
        return 0
    mid = 0.5 * (np.median(x[:step]) + np.median(x[step:]))
    while step < x.size - 1 and x[step] > mid:  # the fit may straddle the last high record
        step += 1
    return step


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
                     *, width: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Per segment, the largest falls of the voltage that last (all records in one segment):

    - ``median``: the median of the ``width`` records before a record minus the median of that
      record and the ``width - 1`` after it (noise about ``sigma``, see ``FALL_NOISE``);
    - ``kept``: a fall between two records that the next record keeps and the record before
      led up to, ``min(v[k-1] - v[k], 2 (v[k-1] - v[k+1]), 2 (v[k-2] - v[k]))``: a drop that
      recovers only partly (a soft short) rather than springing back past the record before it
      (a low glitch) or falling from one record above its neighbours (a high glitch); noisier
      (about ``2.8 sigma``).

    One glitch record, low or high, moves neither median and is one record, so it counts in
    neither.

    Examples
    --------
    >>> v = np.array([1.0, 1.1, 1.2, 0.0, 1.4, 1.5, 1.6, 1.0, 1.0, 1.0])
    >>> median, kept = sustained_fall_V(v, np.zeros(10, int), 1)  # 1.6 -> 1.0, not 1.2 -> 0
    >>> np.round(median, 3).tolist(), np.round(kept, 3).tolist()
    ([0.5], [0.6])
    """
    v = np.asarray(voltage_V, float)
    n = v.size
    median_out, kept_out = np.zeros(n_segments), np.zeros(n_segments)
    if n < 2 * width:
        return median_out, kept_out
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
    kept = np.zeros(n)  # rows k-2 .. k+1 in one segment
    kept[2:-1] = np.minimum(np.minimum(v[1:-2] - v[2:-1], 2 * (v[1:-2] - v[3:])),
                            2 * (v[:-3] - v[2:-1]))
    kept[2:-1][segment_of_row[:-3] != segment_of_row[3:]] = 0.0
    starts = np.r_[0, np.flatnonzero(np.diff(segment_of_row)) + 1]
    median_out[segment_of_row[starts]] = np.maximum.reduceat(fall, starts)
    kept_out[segment_of_row[starts]] = np.maximum.reduceat(kept, starts)
    return np.maximum(median_out, 0.0), np.maximum(kept_out, 0.0)


# standard deviation of the two falls for white noise sigma: the difference of two medians of
# three (0.67 sigma each), and 2 (v[k-1] - v[k+1]) (2 sqrt(2) sigma)
FALL_NOISE = {"median": 0.95, "kept": 2.83}
