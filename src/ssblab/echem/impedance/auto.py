"""Automatic choice of an equivalent circuit for a pellet or cell spectrum.

Candidates are series chains of 1 to 3 ``p(R, CPE)`` arcs, with or without a series
resistance, with or without a series inductance (tried only where the highest frequencies show
inductive points, ``Z'' > 0``), and with an electrode element: none, a CPE (blocking electrode)
or a semi-infinite Warburg. Each candidate is fitted by :func:`~ssblab.echem.impedance.fitting.fit_circuit`
under the same noise; the chosen circuit is the one with the lowest Bayesian information
criterion ``BIC = n ln(chi2 / n) + k ln n`` (``n = 2N`` weighted residuals, ``k`` free
parameters) among the fits that are ok (describe the data, every parameter of interest
determined). A relative rms residual below half the noise counts as half the noise: closer than
that no circuit is better than another, and the one with fewer parameters wins. The DRT of
the spectrum guides the search: arc counts far from its number of
peaks in the measured range are fitted only when the nearer ones fail.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.echem.impedance.fitting import CircuitFit, Weighting, fit_circuit
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError

ELECTRODES = ("none", "CPE", "W")


def candidate_circuit(n_arcs: int, *, series_resistance: bool = True, inductance: bool = False,
                      electrode: str = "CPE") -> str:
    """The circuit string of one candidate.

    Examples
    --------
    >>> candidate_circuit(2, electrode="CPE")
    'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3'
    >>> candidate_circuit(1, series_resistance=False, inductance=True, electrode="W")
    'L0-p(R1,CPE1)-W2'
    """
    parts = (["L0"] if inductance else []) + (["R0"] if series_resistance else [])
    parts += [f"p(R{k},CPE{k})" for k in range(1, n_arcs + 1)]
    if electrode == "CPE":
        parts.append(f"CPE{n_arcs + 1}")
    elif electrode == "W":
        parts.append(f"W{n_arcs + 1}")
    return "-".join(parts)


def drt_peak_count(spectrum: Spectrum) -> int:
    """Number of DRT peaks inside the measured time-constant range (a blocking spike is
    excluded by the DRT's default ``blocking="auto"``)."""
    from ssblab.echem.drt import drt

    try:
        result = drt(spectrum, n_bootstrap=0)
    except (InputError, np.linalg.LinAlgError, ValueError):  # only a guide: search all counts
        return 0
    return sum(p.in_measured_range for p in result.peaks)


def fit_auto(spectrum: Spectrum, *, weighting: Weighting = "modulus",
             noise_relative: float | None = None, max_arcs: int = 3,
             noise_source: str = "given") -> CircuitFit:
    """Fit the candidate circuits (module docstring) and return the chosen fit.

    The returned :class:`CircuitFit` carries the ``ranking``: every candidate tried, best
    first, with its BIC, whether it was ok and why not. When no candidate is ok the lowest-BIC
    one is returned, failed, with its reason.

    Examples
    --------
    >>> f = np.logspace(6, -1, 50)
    >>> z = 20 + 1000 / (1 + 1000 * 1e-9 * (2j * np.pi * f) ** 0.9) + 1 / (1e-6 * 2j * np.pi * f)
    >>> fit = fit_auto(Spectrum(frequency_Hz=f, impedance_ohm=z), noise_relative=0.005)
    >>> fit.circuit, round(fit.values["R1"])
    ('R0-p(R1,CPE1)-CPE2', 1000)
    """
    if not isinstance(spectrum, Spectrum):
        raise InputError(f"spectrum: expected a Spectrum, found {type(spectrum).__name__}")
    if noise_relative is None:
        from ssblab.echem.impedance.fitting import _Policy

        policy = _Policy(None, "lin-KK estimate", frozenset(), spectrum=spectrum)
        noise_relative, noise_source = policy.noise(), policy.noise_source
    z = spectrum.impedance_ohm[np.argsort(spectrum.frequency_Hz)[::-1]]
    inductive = bool(z[:3].imag.max() > 0)
    n_drt = drt_peak_count(spectrum)
    # arc counts nearest the DRT's peak count first; the rest only if nothing nearer is ok
    counts = sorted(range(1, max_arcs + 1), key=lambda k: (abs(k - max(n_drt, 1)), k))
    rows, fits = [], {}
    for tier in _tiers(counts, n_drt):
        for k in tier:
            for r0 in (True, False):
                for ind in ((False, True) if inductive else (False,)):
                    for electrode in ELECTRODES:
                        text = candidate_circuit(k, series_resistance=r0, inductance=ind,
                                                 electrode=electrode)
                        fit = fit_circuit(spectrum, text, weighting=weighting,
                                          noise_relative=noise_relative,
                                          noise_source=noise_source)
                        fits[text] = fit
                        rows.append({"circuit": text, "bic": _bic(fit, 0.5 * noise_relative),
                                     "ok": bool(fit),
                                     "reason": fit.reason if not fit else "",
                                     "rms_relative_residual": fit.rms_relative_residual})
        if any(r["ok"] for r in rows):
            break
    rows.sort(key=lambda r: (not r["ok"], r["bic"]))
    best = fits[rows[0]["circuit"]]
    note = (f"circuit chosen automatically among {len(rows)} candidates by BIC (DRT peaks in "
            f"range: {n_drt}; noise {100 * noise_relative:.2g} %, {noise_source})")
    reason = best.reason
    if not best:
        reason = f"no candidate circuit describes the data with determined parameters; best: {reason}"
    else:
        reason = "; ".join(x for x in (note, reason) if x)
    return dataclasses.replace(best, ranking=tuple(rows), reason=reason)


def _tiers(counts, n_drt):
    """Arc counts in tiers: within one of the DRT count, then the others."""
    near = [k for k in counts if abs(k - max(n_drt, 1)) <= 1]
    far = [k for k in counts if k not in near]
    return [near, far] if far else [near]


def _bic(fit: CircuitFit, resolution: float = 0.0) -> float:
    """BIC of a fit; a residual below ``resolution`` (relative rms) counts as that resolution:
    below half the noise, fitting closer is fitting the rounding of the file's digits (exact
    or noise-free data), which must not buy an extra element."""
    n = 2 * fit.frequency_Hz.size
    k = len(fit.parameters) - len(fit.fixed)
    if not (math.isfinite(fit.chi2) and fit.chi2 > 0):
        return math.inf
    chi2, rms = fit.chi2, fit.rms_relative_residual
    if 0 < rms < resolution:
        chi2 *= (resolution / rms) ** 2
    return float(n * math.log(chi2 / n) + k * math.log(n))
