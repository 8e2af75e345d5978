"""Distribution of relaxation times (DRT) of impedance spectra, one or a whole series.

``Z(f) = R_inf + j w L + integral gamma(ln tau) / (1 + j w tau) d ln tau`` with ``w = 2 pi f``,
so **tau = 1 / (2 pi f)**. ``gamma`` is piecewise linear on a uniform ``ln tau`` grid that
reaches ``extend_decades`` beyond the measured ``1/(2 pi f)``; the kernel matrices are
analytic (:mod:`ssblab.echem.drt.kernel`). The inversion is Tikhonov-regularised
(penalising the ``order``-th derivative of ``gamma``) and non-negative. The regularisation
strength is chosen by generalised cross validation (GCV) by default: it has a closed form for
every lambda from one eigendecomposition and needs no noise estimate; the L-curve corner is
offered too but has no statistical footing and can be ambiguous on DRT problems. See
``docs/drt.md`` for the equations and choices.

Examples
--------
A resistor-capacitor element gives one peak at ``tau = RC`` whose area is ``R``:

>>> import numpy as np
>>> from ssblab.echem.spectrum import Spectrum
>>> f = np.logspace(6, -2, 81)
>>> z = 10 + 100 / (1 + 2j * np.pi * f * 1e-3)
>>> result = drt(Spectrum(frequency_Hz=f, impedance_ohm=z), n_bootstrap=0)
>>> peak = result.peaks[0]
>>> len(result.peaks), round(peak.tau_s.value, 5), round(peak.resistance_ohm.value)
(1, 0.001, 100)
>>> round(result.r_inf_ohm, 2)
10.0
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import optimize

from ssblab.echem.drt import kernel as K
from ssblab.echem.drt.peaks import (
    blocking_spike_cutoff_Hz,
    find_peak_windows,
    merge_insignificant,
    peak_ln_tau,
    process_from_capacitance,
    suggest_process,
    track_peaks,
    window_area,
)
from ssblab.echem.drt.results import DRTPeak, DRTResult, DRTSeries
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError, check_choice
from ssblab.progress import progress
from ssblab.results import Measured, provenance

__all__ = ["drt", "drt_series", "DRTOptions", "DRTPeak", "DRTResult", "DRTSeries"]

Part = Literal["combined", "real", "imag"]
Weighting = Literal["modulus", "unit"]
LambdaMethod = Literal["gcv", "mgcv", "lcurve"]
Blocking = Literal["auto", "crop", "keep"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DRTOptions:
    """Options of one DRT fit (see :func:`drt` for their meaning)."""

    part: Part = "combined"
    regularization: float | LambdaMethod = "mgcv"
    order: int = 1
    points_per_decade: float = 10.0
    extend_decades: float = 1.0
    inductance: bool = True
    series_resistance: bool = True
    series_capacitance: bool = False
    weighting: Weighting = "modulus"
    prominence: float = 0.05
    merge_peaks: bool = True

    def __post_init__(self):
        check_choice(self.part, Part, name="part")
        check_choice(self.weighting, Weighting, name="weighting")
        if isinstance(self.regularization, str):
            check_choice(self.regularization, LambdaMethod, name="regularization")
        elif not (np.isfinite(self.regularization) and self.regularization > 0):
            raise InputError("regularization: expected 'gcv', 'lcurve' or a positive number, "
                             f"found {self.regularization!r}")
        if not 0 <= self.prominence < 1:
            raise InputError(f"prominence: expected a fraction of the highest peak in [0, 1), "
                             f"found {self.prominence}")


def _single_blas_thread():
    """Run BLAS single-threaded if threadpoolctl is installed.

    The matrices here are about 100 x 200: OpenBLAS threads cost more than they gain
    (3x slower on a shared two-core machine, measured in benchmarks/bench_drt.py).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


# --- the linear system ----------------------------------------------------------------------
@dataclasses.dataclass
class _System:
    """Weighted, scaled least-squares rows for one spectrum: ``min ||a y - b||``.

    Unknowns: ``n_free`` unpenalised series elements (columns normalised to unit length)
    then ``gamma / scale_ohm`` on the grid.
    """

    a: np.ndarray
    b: np.ndarray
    names: list[str]
    column_norm: np.ndarray
    scale_ohm: float
    n_free: int
    a_re: np.ndarray
    a_im: np.ndarray
    weights: np.ndarray

    def unpack(self, y: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
        free = {name: float(y[k] / self.column_norm[k] * self.scale_ohm)
                for k, name in enumerate(self.names)}
        return free, y[self.n_free:] * self.scale_ohm


def _system(spectrum: Spectrum, grid: K.TauGrid, opts: DRTOptions) -> _System:
    f, z = spectrum.frequency_Hz, spectrum.impedance_ohm
    w = 2 * np.pi * f
    a_re, a_im = K.kernel_matrices(f, grid)
    scale = float(np.abs(z).max())
    if not scale > 0:
        raise InputError(f"{spectrum.source or 'spectrum'}: impedance is zero everywhere")
    weights = scale / np.abs(z) if opts.weighting == "modulus" else np.ones_like(f)
    if opts.weighting == "modulus" and (np.abs(z) == 0).any():
        raise InputError(f"{spectrum.source or 'spectrum'}: |Z| = 0 at some frequency; "
                         "use weighting='unit'")
    use_re, use_im = opts.part in ("combined", "real"), opts.part in ("combined", "imag")
    zero = np.zeros_like(f)
    candidates = [("r_inf_ohm", opts.series_resistance and use_re, np.ones_like(f), zero),
                  ("inductance_H", opts.inductance and use_im, zero, w),
                  ("inverse_capacitance_per_F", opts.series_capacitance and use_im, zero, -1 / w)]
    names, cols = [], []
    for name, wanted, re, im in candidates:
        if wanted:
            names.append(name)
            cols.append((re, im))
    blocks_re = [c[0] for c in cols] + list(a_re.T)
    blocks_im = [c[1] for c in cols] + list(a_im.T)
    parts = []
    if use_re:
        parts.append((np.column_stack(blocks_re), z.real))
    if use_im:
        parts.append((np.column_stack(blocks_im), z.imag))
    row_w = np.concatenate([weights] * len(parts))
    a = np.vstack([p[0] for p in parts]) * row_w[:, None]
    b = np.concatenate([p[1] for p in parts]) * row_w / scale
    norms = np.linalg.norm(a[:, :len(names)], axis=0) if names else np.zeros(0)
    norms = np.where(norms > 0, norms, 1.0)
    a[:, :len(names)] /= norms
    return _System(a=a, b=b, names=names, column_norm=norms, scale_ohm=scale, n_free=len(names),
                   a_re=a_re, a_im=a_im, weights=weights)


def _post_fit_series(spectrum, gamma_ohm, free, sys_, opts) -> dict[str, float]:
    """Series elements the chosen ``part`` cannot see, fitted to the other part's residual."""
    f, z = spectrum.frequency_Hz, spectrum.impedance_ohm
    w = 2 * np.pi * f
    out = {"r_inf_ohm": free.get("r_inf_ohm", 0.0), "inductance_H": free.get("inductance_H", 0.0),
           "inverse_capacitance_per_F": free.get("inverse_capacitance_per_F", 0.0)}
    weights = sys_.weights
    if opts.part == "imag" and opts.series_resistance:
        residual = z.real - sys_.a_re @ gamma_ohm
        out["r_inf_ohm"] = max(0.0, float(np.sum(weights**2 * residual) / np.sum(weights**2)))
    if opts.part == "real" and (opts.inductance or opts.series_capacitance):
        residual = z.imag - sys_.a_im @ gamma_ohm
        candidates = (("inductance_H", w, opts.inductance),
                      ("inverse_capacitance_per_F", -1 / w, opts.series_capacitance))
        cols = [(name, c) for name, c, on in candidates if on]
        mat = np.column_stack([c * weights for _, c in cols])
        norms = np.linalg.norm(mat, axis=0)
        coef, _ = optimize.nnls(mat / norms, residual * weights)
        for (name, _), value, norm in zip(cols, coef, norms, strict=True):
            out[name] = float(value / norm)
    return out


# --- one spectrum ---------------------------------------------------------------------------
@dataclasses.dataclass
class _Fit:
    y: np.ndarray
    lam: float
    dof: float
    at_edge: bool
    qp: K.NonNegativeQP
    penalty: np.ndarray
    scanner: K.LambdaScanner | None


def _qp(sys_: _System, penalty: np.ndarray, lam: float, warm: np.ndarray | None = None) -> K.NonNegativeQP:
    h = sys_.a.T @ sys_.a
    h[sys_.n_free:, sys_.n_free:] += lam * penalty
    return K.NonNegativeQP(h, free=warm)


def _solve(sys_: _System, grid: K.TauGrid, opts: DRTOptions, *, warm: np.ndarray | None = None,
           need_scan: bool = False) -> _Fit:
    penalty = K.penalty_matrix(grid.size, grid.step, order=opts.order)
    scanner = scan = None
    if isinstance(opts.regularization, str) or need_scan:
        scanner = K.LambdaScanner(sys_.a, penalty, sys_.n_free)
        scan = scanner.scan(sys_.b)
    if isinstance(opts.regularization, str):
        lam, at_edge = scan.best(opts.regularization)
    else:
        lam, at_edge = float(opts.regularization), False
    qp = _qp(sys_, penalty, lam, warm)
    y = qp.solve(sys_.a.T @ sys_.b)
    dof = float(np.interp(np.log(lam), np.log(scan.lambdas), scan.dof)) if scan else np.nan
    return _Fit(y=y, lam=lam, dof=dof, at_edge=at_edge, qp=qp, penalty=penalty, scanner=scanner)


def _choose_lambda(spectrum: Spectrum, grid: K.TauGrid, opts: DRTOptions) -> float:
    sys_ = _system(spectrum, grid, opts)
    penalty = K.penalty_matrix(grid.size, grid.step, order=opts.order)
    return K.LambdaScanner(sys_.a, penalty, sys_.n_free).scan(sys_.b).best(opts.regularization)[0]


def _peaks(gamma: np.ndarray, grid: K.TauGrid, spectrum: Spectrum, boot: np.ndarray | None, *,
           prominence: float, merge: bool = True,
           cell_constant_1_cm: float | None = None) -> tuple[DRTPeak, ...]:
    """Peaks of ``gamma``; with bootstrap replicates ``boot``, peaks not separated from a
    neighbour by a significant valley merge into it, and the replicates' spread is the stderr."""
    ln_tau = grid.ln_tau_s
    f = spectrum.frequency_Hz
    lo_meas, hi_meas = -np.log(2 * np.pi * f.max()), -np.log(2 * np.pi * f.min())
    peaks = []
    windows = find_peak_windows(gamma, prominence=prominence)
    if merge and boot is not None and boot.shape[0] > 1:
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)
        windows = merge_insignificant(windows, gamma, low, high)
    for win in windows:
        ln_t = peak_ln_tau(gamma, ln_tau, win)
        area = window_area(gamma, grid.step, win)
        ln_t_sd = area_sd = np.nan
        if boot is not None and boot.shape[0] > 1:
            ln_t_sd = float(np.std([peak_ln_tau(g, ln_tau, win) for g in boot], ddof=1))
            area_sd = float(np.std([window_area(g, grid.step, win) for g in boot], ddof=1))
        tau = float(np.exp(ln_t))
        tau_sd = tau * ln_t_sd  # first order in ln tau
        cap = tau / area if area > 0 else np.nan
        cap_sd = cap * np.hypot(ln_t_sd, area_sd / area) if area > 0 else np.nan
        peaks.append(DRTPeak(
            tau_s=Measured(tau, tau_sd, "s"),
            frequency_Hz=Measured(1 / (2 * np.pi * tau), tau_sd / (2 * np.pi * tau**2), "Hz"),
            resistance_ohm=Measured(area, area_sd, "ohm"),
            capacitance_F=Measured(cap, cap_sd, "F"),
            window_tau_s=(float(np.exp(ln_tau[win.lo])), float(np.exp(ln_tau[win.hi]))),
            suggested_process=process_from_capacitance(cap, cell_constant_1_cm=cell_constant_1_cm),
            in_measured_range=bool(lo_meas <= ln_t <= hi_meas)))
    return tuple(peaks)


def drt(spectrum: Spectrum, *, part: Part = "combined", regularization: float | LambdaMethod = "mgcv",
        order: int = 1, points_per_decade: float = 10.0, extend_decades: float = 1.0,
        inductance: bool = True, series_resistance: bool = True, series_capacitance: bool = False,
        weighting: Weighting = "modulus", prominence: float = 0.05, n_bootstrap: int = 50,
        merge_peaks: bool = True, rng: np.random.Generator | int | None = 0,
        blocking: Blocking = "auto", thickness_cm: float | None = None,
        area_cm2: float | None = None) -> DRTResult:
    """Distribution of relaxation times of one impedance spectrum, with its peaks.

    Parameters
    ----------
    spectrum
        The measured spectrum (``Z'' < 0`` for capacitive arcs).
    part
        Fit the real part, the imaginary part or both (``combined``). A series element the
        chosen part cannot see (``R_inf`` for ``imag``, ``L`` for ``real``) is fitted to the
        other part's residual afterwards.
    regularization
        ``"mgcv"`` (modified generalised cross validation, default), ``"gcv"``, ``"lcurve"``
        (maximum curvature of the L-curve) or a fixed positive lambda (dimensionless; the
        system is scaled by ``max |Z|``).
    order
        Derivative of ``gamma`` (0, 1 or 2) whose squared integral is penalised.
    points_per_decade, extend_decades
        The ``ln tau`` grid: density, and how far it reaches beyond ``1/(2 pi f)`` of the
        measured frequencies on each side.
    inductance, series_resistance, series_capacitance
        Include ``j w L``, ``R_inf`` and a series ``1/(j w C)`` (blocking electrodes) as
        non-negative unknowns.
    weighting
        ``"modulus"`` weights each point by ``1/|Z|`` (noise proportional to ``|Z|``);
        ``"unit"`` weights all points alike.
    prominence
        A peak must rise this fraction of the highest peak above its surroundings.
    n_bootstrap
        Residual-bootstrap replicates (each choosing its own lambda by the same rule) for the
        peaks' standard errors and the 95 % band of ``gamma``; 0 skips it.
    merge_peaks
        With bootstrap, merge neighbouring peaks whose dividing valley is not significant in
        the 95 % band (removes noise ripples, but can also absorb a weak genuine peak that the
        data cannot separate; set False to keep every prominent peak).
    rng
        Seed or generator for the bootstrap.
    blocking
        A blocking-electrode spike (phase below -45 degrees and ``-Z''`` rising at the lowest
        frequencies) dominates the DRT and pushes the bulk and grain-boundary peaks under the
        prominence threshold. ``"auto"`` (default) detects it
        (:func:`~ssblab.echem.drt.peaks.blocking_spike_cutoff_Hz`), drops the points below the
        minimum of ``-Z''`` before it and fits a series capacitance for what remains of it
        (with ``series_capacitance=True`` the spike is modelled instead and every point kept);
        ``"crop"`` insists on a spike (error without one); ``"keep"`` fits every point.
    thickness_cm, area_cm2
        Pellet geometry for the peaks' process labels from ``C = tau / R`` (normalised
        capacitance bands of :mod:`ssblab.echem.impedance.conductivity`); without it a cell
        constant of 0.1 /cm is assumed.
    """
    check_choice(blocking, ("auto", "crop", "keep"), name="blocking")
    cell_constant = None
    if (thickness_cm is None) != (area_cm2 is None):
        raise InputError("thickness_cm and area_cm2: give both (for the process labels) or neither")
    if thickness_cm is not None:
        if not (thickness_cm > 0 and area_cm2 > 0):
            raise InputError(f"thickness_cm and area_cm2 must be positive, found {thickness_cm}, {area_cm2}")
        cell_constant = thickness_cm / area_cm2
    cutoff = None
    # a spike the caller models with a series capacitance stays, unless cropping is asked for
    if blocking == "crop" or (blocking == "auto" and not series_capacitance):
        cutoff = blocking_spike_cutoff_Hz(spectrum.frequency_Hz, spectrum.impedance_ohm)
        if cutoff is None and blocking == "crop":
            raise InputError(f"{spectrum.source or 'spectrum'}: blocking='crop' but no "
                             "blocking-electrode spike was found at the lowest frequencies")
    if cutoff is not None:
        spectrum = spectrum.select(min_frequency_Hz=cutoff, max_frequency_Hz=float("inf"))
        series_capacitance = True
    opts = DRTOptions(part=part, regularization=regularization, order=order,
                      points_per_decade=points_per_decade, extend_decades=extend_decades,
                      inductance=inductance, series_resistance=series_resistance,
                      series_capacitance=series_capacitance, weighting=weighting, prominence=prominence,
                      merge_peaks=merge_peaks)
    if int(n_bootstrap) < 0:
        raise InputError(f"n_bootstrap: expected a count >= 0, found {n_bootstrap}")
    grid = K.tau_grid(spectrum.frequency_Hz, points_per_decade=points_per_decade,
                      extend_decades=extend_decades)
    with _single_blas_thread():
        result, _ = _fit_spectrum(spectrum, grid, opts, n_bootstrap=int(n_bootstrap),
                                  rng=np.random.default_rng(rng), cell_constant_1_cm=cell_constant)
    extra = {}
    if cutoff is not None:
        note = (f"blocking-electrode spike below {cutoff:.3g} Hz excluded and a series "
                "capacitance fitted (blocking='keep' fits every point)")
        extra = dict(cropped_below_Hz=cutoff,
                     reason="; ".join(x for x in (note, result.reason) if x))
    return dataclasses.replace(result, **extra, provenance=provenance(
        source=spectrum.source, n_bootstrap=n_bootstrap, rng=rng if isinstance(rng, int) else None,
        blocking=blocking, cropped_below_Hz=cutoff, thickness_cm=thickness_cm, area_cm2=area_cm2,
        **dataclasses.asdict(opts)))


def _fit_spectrum(spectrum, grid, opts, *, n_bootstrap=0, rng=None, warm=None,
                  cell_constant_1_cm=None):
    sys_ = _system(spectrum, grid, opts)
    if sys_.b.size <= sys_.n_free + 1:
        raise InputError(f"{spectrum.source or 'spectrum'}: {spectrum.n_points} points are too few "
                         f"for part={opts.part!r}")
    fit = _solve(sys_, grid, opts, warm=warm, need_scan=n_bootstrap > 0)
    free, gamma = sys_.unpack(fit.y)
    series = _post_fit_series(spectrum, gamma, free, sys_, opts)
    boot = None
    low = high = np.zeros(0)
    if n_bootstrap:
        boot = _bootstrap(sys_, fit, n_bootstrap, rng, opts.regularization)
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    w = 2 * np.pi * spectrum.frequency_Hz
    inv_c = series["inverse_capacitance_per_F"]
    fitted = (series["r_inf_ohm"] + 1j * w * series["inductance_H"] - 1j * inv_c / w
              + (sys_.a_re + 1j * sys_.a_im) @ gamma)
    reason = ""
    if fit.at_edge:
        reason = (f"the {opts.regularization} optimum lies at the end of the scanned lambda range "
                  f"({fit.lam:.1e}); check the DRT or give a fixed regularization")
    result = DRTResult(
        tau_s=grid.tau_s, gamma_ohm=gamma, gamma_low_ohm=low, gamma_high_ohm=high,
        r_inf_ohm=series["r_inf_ohm"], inductance_H=series["inductance_H"],
        series_capacitance_F=1 / inv_c if inv_c > 0 else np.inf if opts.series_capacitance else np.nan,
        regularization=fit.lam,
        regularization_method=opts.regularization if isinstance(opts.regularization, str) else "fixed",
        part=opts.part, order=opts.order, weighting=opts.weighting,
        frequency_Hz=np.array(spectrum.frequency_Hz), impedance_ohm=np.array(spectrum.impedance_ohm),
        fitted_ohm=fitted, peaks=_peaks(gamma, grid, spectrum, boot, prominence=opts.prominence,
                                        merge=opts.merge_peaks, cell_constant_1_cm=cell_constant_1_cm),
        n_bootstrap=n_bootstrap, source=spectrum.source, reason=reason)
    return result, fit


def _bootstrap(sys_: _System, fit: _Fit, n: int, rng: np.random.Generator,
               method: float | str) -> np.ndarray:
    """``gamma`` (ohm) of ``n`` residual-bootstrap replicates.

    Residuals are inflated by ``sqrt(m / (m - dof))`` because the regularised fit absorbs
    part of the noise (dof: trace of the influence matrix at the chosen lambda). With an
    automatic lambda, each replicate chooses its own (the scan reuses the fit's SVD), so the
    spread includes the uncertainty of lambda itself.
    """
    model = sys_.a @ fit.y
    m = sys_.b.size
    residual = (sys_.b - model) * np.sqrt(m / max(m - fit.dof, 1.0))
    residual -= residual.mean()
    out = np.empty((n, sys_.a.shape[1] - sys_.n_free))
    solvers = {fit.lam: fit.qp}
    for k in range(n):
        b_star = model + rng.choice(residual, size=m, replace=True)
        lam = fit.lam
        if isinstance(method, str):
            lam = fit.scanner.scan(b_star).best(method)[0]
        qp = solvers.get(lam)
        if qp is None:
            qp = solvers[lam] = _qp(sys_, fit.penalty, lam)
        # replicates rarely share the fit's positive set, so a warm start would only cost time
        out[k] = qp.solve(sys_.a.T @ b_star, warm=False)[sys_.n_free:] * sys_.scale_ohm
    return out


# --- a series of spectra ------------------------------------------------------------------
def drt_series(spectra: Sequence[Spectrum], *, time_s: Sequence[float] | None = None,
               part: Part = "combined", regularization: float | LambdaMethod = "mgcv",
               common_regularization: bool = True, order: int = 1, points_per_decade: float = 10.0,
               extend_decades: float = 1.0, inductance: bool = True, series_resistance: bool = True,
               series_capacitance: bool = False, weighting: Weighting = "modulus",
               prominence: float = 0.05, max_jump_decades: float = 0.5,
               min_track_fraction: float = 0.2, show_progress: bool | None = None) -> DRTSeries:
    """DRTs of a series of spectra (e.g. in-situ EIS while cycling) as a tau-time map.

    All spectra share one ``tau`` grid spanning every spectrum's frequencies. Kernel matrices
    are cached per frequency set; each solve starts from the previous spectrum's positive set.
    With ``common_regularization`` (default) lambda is chosen for every spectrum and the
    median is used for all of them, so peak heights along the series are comparable (a
    lambda that changes from spectrum to spectrum changes peak heights by itself).

    Peaks inside the measured range are linked into tracks across spectra
    (:func:`ssblab.echem.drt.peaks.track_peaks`); tracks present in fewer than
    ``min_track_fraction`` of the spectra are dropped as noise. Other options are those of
    :func:`drt` (no bootstrap here); ``time_s`` labels each spectrum (default: its index).

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(6, -1, 50)
    >>> spectra = [Spectrum(frequency_Hz=f, impedance_ohm=5 + r / (1 + 2j * np.pi * f * 1e-4))
    ...            for r in (50, 60, 70)]
    >>> series = drt_series(spectra)
    >>> np.round(series.track_resistance_ohm[0]).tolist()
    [50.0, 60.0, 70.0]
    """
    spectra = list(spectra)
    if not spectra:
        raise InputError("spectra: expected at least one spectrum, found none")
    if time_s is None:
        time = np.arange(len(spectra), dtype=float)
    else:
        time = np.asarray(time_s, dtype=float)
        if time.shape != (len(spectra),):
            raise InputError(f"time_s: expected {len(spectra)} values (one per spectrum), "
                             f"found {time.size}")
    if not 0 <= min_track_fraction <= 1:
        raise InputError(f"min_track_fraction: expected a fraction in [0, 1], found {min_track_fraction}")
    opts = DRTOptions(part=part, regularization=regularization, order=order,
                      points_per_decade=points_per_decade, extend_decades=extend_decades,
                      inductance=inductance, series_resistance=series_resistance,
                      series_capacitance=series_capacitance, weighting=weighting, prominence=prominence)
    all_f = np.concatenate([s.frequency_Hz for s in spectra])
    grid = K.tau_grid(np.array([all_f.min(), all_f.max()]), points_per_decade=points_per_decade,
                      extend_decades=extend_decades)
    method = opts.regularization if isinstance(opts.regularization, str) else "fixed"
    results, warm = [], None
    with _single_blas_thread():
        if common_regularization and method != "fixed":
            lams = [_choose_lambda(s, grid, opts)
                    for s in progress(spectra, total=len(spectra), desc="DRT lambda", enabled=show_progress)]
            opts = dataclasses.replace(opts, regularization=float(np.median(lams)))
            method = f"{method} (series median)"
        for spectrum in progress(spectra, total=len(spectra), desc="DRT", enabled=show_progress):
            result, fit = _fit_spectrum(spectrum, grid, opts, warm=warm)
            warm = fit.y > 0
            results.append(result)
    track_tau, track_r = _tracks(results, max_jump_decades, min_track_fraction)
    at_edge = sum(bool(r.reason) for r in results)
    return DRTSeries(
        tau_s=grid.tau_s, time_s=time, gamma_ohm=np.array([r.gamma_ohm for r in results]),
        r_inf_ohm=np.array([r.r_inf_ohm for r in results]),
        regularization=np.array([r.regularization for r in results]),
        residual_rms=np.array([r.residual_rms for r in results]),
        track_tau_s=track_tau, track_resistance_ohm=track_r,
        track_process=tuple(suggest_process(float(np.nanmedian(t))) for t in track_tau),
        sources=tuple(s.source for s in spectra), part=opts.part, regularization_method=method,
        reason=f"lambda at the end of the scanned range for {at_edge} spectra" if at_edge else "",
        provenance=provenance(n_spectra=len(spectra), min_track_fraction=min_track_fraction,
                              max_jump_decades=max_jump_decades, **dataclasses.asdict(opts)))


def _tracks(results: list[DRTResult], max_jump_decades: float, min_fraction: float):
    """``(tau, R)`` arrays ``(n_tracks, n_spectra)`` of the in-range peaks, sorted by tau."""
    peaks = [[p for p in r.peaks if p.in_measured_range] for r in results]
    links = track_peaks([np.log([p.tau_s.value for p in ps]) for ps in peaks],
                        max_jump_decades=max_jump_decades)
    track_tau = np.full((links.shape[0], len(results)), np.nan)
    track_r = np.full_like(track_tau, np.nan)
    for k, row in enumerate(links):
        for i, p in enumerate(row):
            if p >= 0:
                track_tau[k, i] = peaks[i][p].tau_s.value
                track_r[k, i] = peaks[i][p].resistance_ohm.value
    track_tau, track_r = _merge_tracks(track_tau, track_r, max_jump_decades)
    keep = np.isfinite(track_tau).sum(axis=1) >= max(1, min_fraction * len(results))
    track_tau, track_r = track_tau[keep], track_r[keep]
    order = np.argsort(np.nanmedian(track_tau, axis=1)) if track_tau.shape[0] else np.zeros(0, int)
    return track_tau[order], track_r[order]


def _merge_tracks(tau: np.ndarray, r: np.ndarray, max_jump_decades: float):
    """Merge tracks that follow one process but alternate (a split peak spawns a second track).

    Two tracks merge when their median positions lie within ``max_jump_decades`` and they
    share at most 5 % of their spectra; where both have a peak, the larger one stays.
    """
    tau, r = tau.copy(), r.copy()
    alive = list(range(tau.shape[0]))
    merged = True
    while merged:
        merged = False
        alive.sort(key=lambda k: -np.isfinite(tau[k]).sum())
        for a_pos, a in enumerate(alive):
            for b in alive[a_pos + 1:]:
                seen_a, seen_b = np.isfinite(tau[a]), np.isfinite(tau[b])
                shared = (seen_a & seen_b).sum()
                distance = abs(np.log10(np.nanmedian(tau[a]) / np.nanmedian(tau[b])))
                if distance <= max_jump_decades and shared <= 0.05 * min(seen_a.sum(), seen_b.sum()):
                    take = seen_b & (~seen_a | (np.nan_to_num(r[b]) > np.nan_to_num(r[a])))
                    tau[a, take], r[a, take] = tau[b, take], r[b, take]
                    alive.remove(b)
                    merged = True
                    break
            if merged:
                break
    return tau[sorted(alive)], r[sorted(alive)]
