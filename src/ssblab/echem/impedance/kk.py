"""Kramers-Kronig validity check of an impedance spectrum by the lin-KK method.

Schönleber, Klotz and Ivers-Tiffée, Electrochim. Acta 131 (2014) 20-27: the spectrum is fitted,
by *linear* least squares weighted by 1/|Z|, with a series resistance, an inductance, optionally
a series capacitance, and M RC elements ``R_k / (1 + j omega tau_k)`` whose time constants are
log-spaced from ``1/omega_max`` to ``1/omega_min``. Every such model obeys the Kramers-Kronig
relations, so a spectrum that it cannot follow to within the noise (drift, non-linearity,
non-stationarity) is not KK-consistent. M grows until the overfitting measure
``mu = 1 - sum(|R_k|, R_k < 0) / sum(|R_k|, R_k >= 0)`` drops to ``mu_criterion`` or below.

The verdict is judged against the noise, not a fixed percentage (docs/eis.md). A spectrum
that drifts during the sweep, ``Z_measured = g(t) Z`` with a slowly changing real factor
``g``, is to first order a KK-consistent function times ``1 - j H[ln g]`` (``H`` the Hilbert
transform along ln omega): its non-KK part is ``Z`` rotated by 90 degrees and scaled by a smooth
function of frequency, which the RC model cannot follow but mostly absorbs into a worse fit.
The drift test therefore refits with that part added, ``j P_k(x) Z/|Z|`` for Legendre
polynomials ``P_0, P_1`` of the scaled ``x = ln omega``, and asks whether it explains more of
the residual than noise would (F-test against the refit's own residual, or chi-square with a
given ``noise_relative``; p < 3e-3 and a component above 0.1 % of ``|Z|``, the accuracy of a
good analyser). Residuals that follow a smooth trend along the frequency axis (lag-1
autocorrelation of the real or the imaginary residuals more than ``max_trend_z`` standard
errors above zero) fail too; with a given ``noise_relative``, so do residuals whose
chi-square is improbable for that noise (p < 1e-3) with every M tried. Without a given noise
the residual rms, corrected for the degrees of freedom the RC model takes, is the noise
estimate (``noise_relative``), which :func:`~ssblab.echem.impedance.fitting.fit_circuit` uses
to judge circuit fits.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
from numpy.polynomial import legendre
from scipy import stats

from ssblab.echem.impedance.fitting import NOISE_FLOOR
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError
from ssblab.results import Result, provenance

_RMS_FLOOR = 2e-4  # rms residuals below 0.02 % count as settled whatever the best one is
_SETTLED = 1.2  # M whose rms is within this factor of the best reaches the noise floor
_CHI2_P = 1e-3  # residuals less probable than this under the given noise fail
_MIN_DOF = 10  # residual degrees of freedom below which no noise is estimated (nan)
#: Smooth residuals below this rms are within an analyser's systematic accuracy (fitting's
#: NOISE_FLOOR; e.g. cable effects in the MHz decade) and the RC model's own discretisation
#: error on CPE-like arcs, not evidence of drift.
_TREND_FLOOR = NOISE_FLOOR
#: Legendre degrees 0 .. _DRIFT_DEGREES - 1 of the rotated component that the drift test adds
#: (a constant catches a linear drift's rotation; the slope one that relaxes as it goes).
_DRIFT_DEGREES = 2
_DRIFT_P = 3e-3  # the added component explains more than noise with p below this: drift
#: A non-KK component below 0.1 % of |Z| (rms) is within the accuracy of a good analyser and
#: of the RC model's own discretisation (at most 0.02 % on the test circuits), not drift.
_DRIFT_FLOOR = 1e-3


@dataclasses.dataclass(frozen=True, kw_only=True)
class KKResult(Result):
    """A lin-KK test: the RC model, its residuals and the verdict (``ok``).

    ``residuals`` are complex ``(Z - Z_KK) / |Z|``; ``rms_residual`` is their root mean square
    over real and imaginary parts, an estimate of the relative noise of a valid spectrum.
    """

    frequency_Hz: np.ndarray
    impedance_ohm: np.ndarray
    model_impedance_ohm: np.ndarray
    residuals: np.ndarray
    n_rc: int
    mu: float
    time_constants_s: np.ndarray
    resistances_ohm: np.ndarray
    series_resistance_ohm: float
    inductance_H: float
    inverse_capacitance_1_F: float
    rms_residual: float
    max_rms_residual: float = float("nan")
    noise_relative: float = float("nan")
    noise_given: bool = False
    trend_z: float = float("nan")
    chi2_p: float = float("nan")
    drift_p: float = float("nan")
    drift_rms: float = float("nan")
    source: str = ""

    title: ClassVar[str] = "Kramers-Kronig test (lin-KK)"

    def summary(self):
        return [("source", self.source or "-"), ("RC elements M", self.n_rc), ("mu", self.mu),
                ("rms residual / %", 100 * self.rms_residual),
                ("max |residual| / %", 100 * float(np.max(np.abs(np.concatenate(
                    [self.residuals.real, self.residuals.imag]))))),
                ("noise / %" + (" (given)" if self.noise_given else " (estimated)"),
                 100 * self.noise_relative),
                ("trend z (lag-1 autocorrelation)", self.trend_z),
                ("drift: non-KK component / %", 100 * self.drift_rms),
                ("drift p-value", self.drift_p),
                ("chi2 p-value", self.chi2_p)]

    def _draw(self, ax, **kwargs):
        """Residuals (real and imaginary, %) against frequency, as in Schönleber et al."""
        from ssblab.echem.impedance.fitting import _plot_relative_residuals

        _plot_relative_residuals(ax, self.frequency_Hz, self.residuals)
        ax.set_ylabel("(Z - Z_KK) / |Z| / %")
        ax.set_title(f"lin-KK, M = {self.n_rc}, rms {100 * self.rms_residual:.2g} %", fontsize=9)


def _design(w: np.ndarray, taus: np.ndarray, modulus: np.ndarray, capacitance: bool) -> np.ndarray:
    """Weighted design matrix, rows = [real parts; imaginary parts], columns =
    [R_ohm, R_1..R_M, L, (1/C)]."""
    rc = 1 / (1 + 1j * np.outer(w, taus))
    cols = [np.ones_like(w, dtype=complex)[:, None], rc, (1j * w)[:, None]]
    if capacitance:
        cols.append((1 / (1j * w))[:, None])
    a = np.hstack(cols) / modulus[:, None]
    return np.vstack([a.real, a.imag])


def _fit(w, b, modulus, m, capacitance):
    """(taus, coefficients, mu, rms residual) of the lin-KK model with ``m`` RC elements."""
    taus = np.geomspace(1 / w.max(), 1 / w.min(), m) if m > 1 else np.array([1 / w.max()])
    a = _design(w, taus, modulus, capacitance)
    coef = np.linalg.lstsq(a, b, rcond=None)[0]
    rms = float(np.sqrt(np.mean((a @ coef - b) ** 2)))
    return taus, coef, _mu(coef[1:m + 1]), rms


def _mu(resistances: np.ndarray) -> float:
    positive = np.abs(resistances[resistances >= 0]).sum()
    negative = np.abs(resistances[resistances < 0]).sum()
    return 1.0 - negative / positive if positive > 0 else -np.inf


def lin_kk(spectrum: Spectrum, *, n_rc: int | None = None, mu_criterion: float = 0.85,
           max_n_rc: int | None = None, capacitance: bool = True,
           noise_relative: float | None = None, max_trend_z: float = 3.5,
           max_rms_residual: float | None = None) -> KKResult:
    """Test ``spectrum`` for Kramers-Kronig consistency with the lin-KK method.

    Parameters
    ----------
    spectrum : Spectrum
    n_rc : int, optional
        Number of RC elements; by default chosen by the ``mu`` criterion.
    mu_criterion : float
        Stop adding RC elements when ``mu <= mu_criterion`` (0.85 as Schönleber et al.).
    max_n_rc : int, optional
        Upper limit for the automatic M (default: the number of points, at most 100).
    capacitance : bool
        Add a series capacitance (needed for blocking electrodes' low-frequency spike).
    noise_relative : float, optional
        The relative noise of the measurement (standard deviation of the real and of the
        imaginary part over ``|Z|``), e.g. from repeated sweeps. Given, the residuals are
        tested against it by chi-square; otherwise it is estimated from them (nan with fewer
        than 10 residual degrees of freedom).
    max_trend_z : float
        Residuals whose lag-1 autocorrelation (real or imaginary) exceeds this many standard
        errors ``1/sqrt(N)`` follow a smooth trend: drift, not noise.
    max_rms_residual : float, optional
        An explicit limit on the rms relative residual, checked in addition.

    Examples
    --------
    >>> f = np.logspace(5, -1, 40)
    >>> z = 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3)
    >>> kk = lin_kk(Spectrum(frequency_Hz=f, impedance_ohm=z))
    >>> bool(kk), kk.rms_residual < 1e-4
    (True, True)
    """
    if not isinstance(spectrum, Spectrum):
        raise InputError(f"spectrum: expected a Spectrum, found {type(spectrum).__name__}")
    if noise_relative is not None and not (np.isfinite(noise_relative) and noise_relative > 0):
        raise InputError(f"noise_relative: expected a positive fraction of |Z|, found {noise_relative}")
    w = spectrum.angular_frequency_rad_s
    z = spectrum.impedance_ohm
    modulus = np.abs(z)
    b = np.concatenate([z.real / modulus, z.imag / modulus])
    n_extra = 3 if capacitance else 2
    most = 2 * spectrum.n_points - n_extra - 1
    if n_rc is not None:
        if not 1 <= n_rc <= most:
            raise InputError(f"n_rc: expected 1 to {most} for {spectrum.n_points} points, "
                             f"found {n_rc}")
        candidates = [int(n_rc)]
    else:
        limit = min(spectrum.n_points // 2, 100) if max_n_rc is None else int(max_n_rc)
        candidates = range(1, max(min(limit, most), 1) + 1)
    fits = [_fit(w, b, modulus, m, capacitance) for m in candidates]
    rms_all = np.array([f[3] for f in fits])
    # mu only measures over-fitting; with too few RC elements negative R_k also appear, so mu
    # is read only among the M that already reach the noise floor (close to the best rms)
    settled = rms_all <= max(_SETTLED * rms_all.min(), _RMS_FLOOR)
    chosen = next((f for f, ok in zip(fits, settled) if ok and f[2] <= mu_criterion),
                  fits[int(np.argmax(settled))])
    taus, coef, mu, _ = chosen
    model = _evaluate(w, taus, coef, capacitance)
    residuals = (z - model) / modulus
    flat = np.concatenate([residuals.real, residuals.imag])
    rms = float(np.sqrt(np.mean(flat**2)))
    dof = max(flat.size - len(taus) - n_extra, 1)
    # with few residual degrees of freedom the estimate is too uncertain to judge anything by
    estimate = rms * float(np.sqrt(flat.size / dof)) if dof >= _MIN_DOF else float("nan")
    trend = max(_trend_z(residuals.real), _trend_z(residuals.imag))
    drift_p, drift_rms = _drift_test(_design(w, taus, modulus, capacitance), b, w,
                                     float(flat @ flat), noise_relative)
    reasons = []
    if drift_p < _DRIFT_P and drift_rms > _DRIFT_FLOOR:
        reasons.append(f"a rotated component of Z that varies smoothly with frequency, "
                       f"{100 * drift_rms:.2g} % of |Z|, explains the residuals beyond the "
                       f"noise (p = {drift_p:.1e}): drift or non-stationarity during the sweep")
    if trend > max_trend_z and rms > _TREND_FLOOR:
        reasons.append(f"the residuals follow a smooth trend (lag-1 autocorrelation "
                       f"{trend:.1f} standard errors above zero): drift or non-stationarity")
    p_value = float("nan")
    if noise_relative is not None:
        # the most favourable M: a fixed tau grid leaves up to 0.2 % of |Z| on an ideal RC arc
        # whose tau falls between grid points, a KK-consistent shape, not a violation
        dofs = np.maximum(flat.size - np.array([len(f[0]) for f in fits]) - n_extra, 1)
        p_value = float(np.max(stats.chi2.sf(flat.size * rms_all**2 / noise_relative**2, dofs)))
        if p_value < _CHI2_P:
            reasons.append(f"rms residual {100 * estimate:.2g} % (dof-corrected) is above the "
                           f"given noise {100 * noise_relative:.2g} % (chi-square p = {p_value:.1e})")
    if max_rms_residual is not None and rms > max_rms_residual:
        reasons.append(f"rms residual {100 * rms:.2g} % exceeds {100 * max_rms_residual:.2g} %")
    reason = ("not Kramers-Kronig consistent: " + "; ".join(reasons)) if reasons else ""
    return KKResult(ok=not reasons, reason=reason, frequency_Hz=spectrum.frequency_Hz,
                    impedance_ohm=z, model_impedance_ohm=model, residuals=residuals,
                    n_rc=len(taus), mu=float(mu), time_constants_s=taus,
                    resistances_ohm=coef[1:len(taus) + 1], series_resistance_ohm=float(coef[0]),
                    inductance_H=float(coef[len(taus) + 1]),
                    inverse_capacitance_1_F=float(coef[-1]) if capacitance else 0.0,
                    rms_residual=rms,
                    max_rms_residual=float("nan") if max_rms_residual is None else max_rms_residual,
                    noise_relative=float(noise_relative) if noise_relative is not None else estimate,
                    noise_given=noise_relative is not None, trend_z=float(trend), chi2_p=p_value,
                    drift_p=drift_p, drift_rms=drift_rms,
                    source=spectrum.source,
                    provenance=provenance(n_rc=n_rc, mu_criterion=mu_criterion,
                                          capacitance=capacitance, noise_relative=noise_relative,
                                          max_trend_z=max_trend_z, source=spectrum.source))


def _drift_test(a: np.ndarray, b: np.ndarray, w: np.ndarray, rss: float,
                noise_relative: float | None) -> tuple[float, float]:
    """(p-value, rms) of the drift component: the lin-KK design ``a`` (residual sum of squares
    ``rss``) refitted with ``j P_k(x) Z/|Z|`` added (module docstring). The p-value is the
    nested-model F-test, or chi-square with a given noise; nan with too few degrees of freedom."""
    n = w.size
    unit = b[:n] + 1j * b[n:]  # Z / |Z|
    x = np.log(w)
    span = x.max() - x.min()
    x = 2 * (x - x.min()) / span - 1 if span > 0 else np.zeros_like(x)
    added = 1j * unit[:, None] * legendre.legvander(x, _DRIFT_DEGREES - 1)
    full = np.hstack([a, np.vstack([added.real, added.imag])])
    dof = b.size - full.shape[1]
    if dof < _MIN_DOF:
        return float("nan"), float("nan")
    coef = np.linalg.lstsq(full, b, rcond=None)[0]
    remaining = b - full @ coef
    rss_full = float(remaining @ remaining)
    explained = max(rss - rss_full, 0.0)
    if noise_relative is not None:
        p = stats.chi2.sf(explained / noise_relative**2, _DRIFT_DEGREES)
    elif rss_full > 0:
        p = stats.f.sf(explained / _DRIFT_DEGREES / (rss_full / dof), _DRIFT_DEGREES, dof)
    else:
        p = 1.0
    return float(p), float(np.sqrt(explained / b.size))


def _trend_z(residual: np.ndarray) -> float:
    """Lag-1 autocorrelation of a residual sequence in units of its standard error 1/sqrt(N)."""
    power = float(residual @ residual)
    if residual.size < 3 or power == 0:
        return 0.0
    return float(residual[1:] @ residual[:-1]) / power * np.sqrt(residual.size)


def _evaluate(w, taus, coef, capacitance) -> np.ndarray:
    m = len(taus)
    z = coef[0] + (coef[1:m + 1] / (1 + 1j * np.outer(w, taus))).sum(axis=1) + 1j * w * coef[m + 1]
    if capacitance:
        z = z + coef[m + 2] / (1j * w)
    return z
