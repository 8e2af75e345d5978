"""Fitting one circuit to a series of spectra: temperature series and in-situ EIS.

Each spectrum starts from the previous one's fitted values (warm start), which is both faster
and more consistent than independent fits; a warm fit that fails is retried from automatic
guesses. Parameters named in ``shared`` (for example an electrode CPE that the temperature does
not change) are then fitted globally: one value for all spectra, the others per spectrum, by a
single sparse least-squares problem.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
from scipy import sparse
from scipy.optimize import least_squares

from ssblab.echem.impedance.circuits import Circuit, as_circuit
from ssblab.echem.impedance.fitting import (
    CircuitFit,
    Weighting,
    _fix_nuisance,
    _policy,
    _problem,
    _result,
    _split_fixed,
    _Status,
    fit_circuit,
)
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError, check_choice
from ssblab.progress import progress
from ssblab.results import Measured, Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class BatchFit(Result):
    """Fits of one circuit to many spectra.

    ``values`` and ``stderr`` are arrays (spectrum, parameter) in the order of
    ``parameter_names``; ``fit_ok`` flags each spectrum's fit; ``fits`` holds the full
    :class:`CircuitFit` of each spectrum (with its arcs). ``ok`` is False only when no
    spectrum could be fitted; ``reason`` lists the failures.
    """

    circuit: str
    weighting: str
    parameter_names: tuple
    parameter_units: tuple
    values: np.ndarray
    stderr: np.ndarray
    chi2: np.ndarray
    fit_ok: np.ndarray
    shared: tuple = ()
    fits: tuple = ()

    title: ClassVar[str] = "Batch equivalent-circuit fit"

    @property
    def n_spectra(self) -> int:
        return len(self.fits)

    def parameter(self, name: str) -> np.ndarray:
        """One parameter's values across the spectra."""
        if name not in self.parameter_names:
            check_choice(name, self.parameter_names, name="parameter")
        return self.values[:, self.parameter_names.index(name)]

    def summary(self):
        rows = [("circuit", self.circuit), ("spectra", self.n_spectra),
                ("fits ok", int(self.fit_ok.sum()))]
        for j, name in enumerate(self.parameter_names):
            unit = f" / {self.parameter_units[j]}" if self.parameter_units[j] else ""
            good = self.values[self.fit_ok, j]
            label = f"{name}{unit}" + (" (shared)" if name in self.shared else " (median)")
            rows.append((label, float(np.median(good)) if good.size else float("nan")))
        return rows

    def table(self):
        """One row per spectrum, numbered from 0 in input order (``spectrum``): the source
        name alone does not tell the spectra of one multi-spectrum file apart."""
        return [{"spectrum": k, **row} for k, fit in enumerate(self.fits) for row in fit.table()]

    def _draw(self, ax, *, parameters: Sequence[str] | None = None, **kwargs):
        """Parameters (default: those in ohm) against spectrum index, with error bars."""
        if parameters is None:
            parameters = [n for n, u in zip(self.parameter_names, self.parameter_units)
                          if u == "ohm"]
        units = {self.parameter_units[self.parameter_names.index(n)] for n in parameters}
        index = np.arange(self.n_spectra)
        for name in parameters:
            j = self.parameter_names.index(name)
            ok = self.fit_ok
            ax.errorbar(index[ok], self.values[ok, j], yerr=self.stderr[ok, j], fmt="o-", ms=3,
                        lw=0.8, label=name)
            if (~ok).any():
                ax.plot(index[~ok], self.values[~ok, j], "x", color="red")
        ax.set_yscale("log")
        ax.set_xlabel("spectrum index")
        ax.set_ylabel(f"parameter / {', '.join(sorted(units)) or '-'}")
        ax.legend(fontsize=8)


def fit_batch(spectra: Iterable[Spectrum], circuit: str | Circuit, *, warm_start: bool = True,
              shared: Sequence[str] = (), weighting: Weighting = "modulus", initial=None,
              bounds=None, fixed=None, noise_relative: float | None = None,
              show_progress: bool | None = None) -> BatchFit:
    """Fit ``circuit`` to each spectrum of a series.

    Parameters
    ----------
    spectra : iterable of Spectrum, in measurement order
    circuit : str or Circuit
    warm_start : bool
        Start each fit from the previous successful one (falling back to automatic guesses
        when that fit fails).
    shared : names of parameters fitted globally, one value for every spectrum
    weighting, initial, bounds, fixed, noise_relative : as :func:`ssblab.echem.impedance.fitting.fit_circuit`
        (without ``noise_relative`` each spectrum's noise is estimated from its lin-KK residuals)
    show_progress : bool, optional
        Progress bar (default: when stderr is a terminal).

    Examples
    --------
    >>> f = np.logspace(6, 0, 30)
    >>> c = Circuit("R0-p(R1,C1)")
    >>> spectra = [Spectrum(frequency_Hz=f, impedance_ohm=c.impedance([10.0, r, 1e-8], f))
    ...            for r in (100.0, 200.0, 400.0)]
    >>> batch = fit_batch(spectra, c, shared=["C1"])
    >>> np.round(batch.parameter("R1"), 6).tolist(), round(float(batch.parameter("C1")[0]), 15)
    ([100.0, 200.0, 400.0], 1e-08)
    """
    if isinstance(circuit, str) and circuit.strip().lower() == "auto":
        raise InputError("circuit: 'auto' chooses a circuit per spectrum and is not available "
                         "for a batch fit of one circuit; give a circuit such as "
                         "'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3' (conductivity_vs_temperature and "
                         "`ssblab eis arrhenius` take 'auto')")
    circuit = as_circuit(circuit)
    spectra = list(spectra)
    if not spectra:
        raise InputError("spectra: expected at least one spectrum, found none")
    for i, s in enumerate(spectra):
        if not isinstance(s, Spectrum):
            raise InputError(f"spectra[{i}]: expected a Spectrum, found {type(s).__name__}")
    shared = tuple(shared)
    for name in shared:
        if name not in circuit.parameter_names:
            check_choice(name, circuit.parameter_names, name="shared: parameter")
    fixed_values = _split_fixed(circuit, fixed, initial)[1]
    fits = []
    previous = None  # parameter vector of the last successful fit
    previous_fixed: set = set()  # the parameters it had fixed
    for spectrum in progress(spectra, total=len(spectra), desc="fitting spectra",
                             enabled=show_progress):
        fit = None
        policy = _policy(spectrum, circuit, noise_relative, None, None, lazy=True)
        if previous is not None:
            fit = _warm_fit(spectrum, circuit, previous, weighting, bounds, fixed_values, policy)
        # a warm fit that is not ok, or that had to fix a nuisance parameter the previous
        # spectrum determined, may sit in another minimum: search from guesses too, and keep
        # the cold fit unless the warm one is ok and lower
        new_fix = fit is not None and bool(set(fit.fixed) - set(fixed_values) - previous_fixed)
        if fit is None or not fit or new_fix:
            cold = fit_circuit(spectrum, circuit, weighting=weighting, initial=initial,
                               bounds=bounds, fixed=fixed, noise_relative=policy.noise(),
                               noise_source=policy.noise_source)
            if fit is None or (cold and (not fit or cold.chi2 <= fit.chi2)) or (
                    not fit and cold.chi2 <= fit.chi2):
                fit = cold
        fits.append(fit)
        if warm_start and fit:
            previous = np.array([fit.parameters[n].value for n in circuit.parameter_names])
            previous_fixed = set(fit.fixed)
    if shared:
        fits = _global_fit(spectra, circuit, fits, shared, weighting, bounds, fixed_values)
    names = circuit.parameter_names
    values = np.array([[f.parameters[n].value for n in names] for f in fits])
    stderr = np.array([[f.parameters[n].stderr for n in names] for f in fits])
    fit_ok = np.array([bool(f) for f in fits])
    failed = np.flatnonzero(~fit_ok)
    reason = ""
    if failed.size:
        first = fits[failed[0]].reason
        reason = (f"{failed.size} of {len(fits)} fits failed (spectra {failed[:10].tolist()}"
                  f"{' ...' if failed.size > 10 else ''}); first: {first}")
    return BatchFit(ok=bool(fit_ok.any()), reason=reason, circuit=circuit.text,
                    weighting=weighting, parameter_names=names,
                    parameter_units=tuple(circuit.parameter_units[n] for n in names),
                    values=values, stderr=stderr, chi2=np.array([f.chi2 for f in fits]),
                    fit_ok=fit_ok, shared=shared, fits=tuple(fits),
                    provenance=provenance(circuit=circuit.text, weighting=weighting,
                                          warm_start=warm_start, shared=shared, initial=initial,
                                          bounds=bounds, fixed=fixed, n_spectra=len(spectra)))


def _warm_fit(spectrum, circuit, start, weighting, bounds, fixed_values, policy) -> CircuitFit:
    """One fit from the previous spectrum's values: a single Levenberg-Marquardt run (the
    start is close), without the candidate search of :func:`fit_circuit`."""
    problem = _problem(spectrum, circuit, weighting, bounds, fixed_values)
    start = start.copy()
    # a nuisance fixed at zero in the previous fit starts free again, at a twentieth of the
    # high-frequency intercept (as the cold guesses' small candidate)
    zero = problem.free & (start <= 0) & (problem.lower >= 0)
    z_top = spectrum.impedance_ohm[int(np.argmax(spectrum.frequency_Hz))]
    start[zero] = max(0.05 * float(z_top.real), 1e-6 * float(np.abs(spectrum.impedance_ohm).max()))
    p, status = problem.solve(start, method="lm")
    inputs = dict(circuit=circuit.text, weighting=weighting, warm_start=True, bounds=bounds,
                  fixed=fixed_values, source=spectrum.source)
    fit = _result(spectrum, problem, p, status, weighting=weighting, policy=policy, inputs=inputs)
    return _fix_nuisance(spectrum, fit, problem, p, weighting=weighting, bounds=bounds,
                         policy=policy, inputs=inputs)


def _global_fit(spectra, circuit, fits, shared, weighting, bounds,
                fixed_values) -> list[CircuitFit]:
    """Refit all spectra at once with ``shared`` parameters common; start from ``fits``."""
    overlap = set(shared) & set(fixed_values)
    if overlap:
        raise InputError(f"shared: {sorted(overlap)} are also fixed; a parameter is either "
                         "shared or fixed")
    problems = [_problem(s, circuit, weighting, bounds, fixed_values) for s in spectra]
    free_names = np.array(circuit.parameter_names)[problems[0].free].tolist()
    sh = np.array([free_names.index(n) for n in shared])
    loc = np.array([i for i in range(len(free_names)) if free_names[i] not in shared], dtype=int)
    k, n_loc, n_spec = sh.size, loc.size, len(spectra)
    good = [f for f in fits if f] or fits
    p_shared = np.median([[f.values[n] for n in shared] for f in good], axis=0)
    u_parts = []
    for prob, fit in zip(problems, fits):
        p = np.array([fit.values[n] for n in circuit.parameter_names])
        p[[circuit.parameter_names.index(n) for n in shared]] = p_shared
        u_parts.append(prob.to_u(p))
    x0 = np.concatenate([u_parts[0][sh]] + [u[loc] for u in u_parts])
    lower = np.concatenate([problems[0].u_lower[sh]] + [p.u_lower[loc] for p in problems])
    upper = np.concatenate([problems[0].u_upper[sh]] + [p.u_upper[loc] for p in problems])
    n_rows = [2 * s.n_points for s in spectra]
    row0 = np.concatenate([[0], np.cumsum(n_rows)])
    rows, cols = [], []
    for i in range(n_spec):
        r = np.arange(row0[i], row0[i + 1])
        c = np.concatenate([np.arange(k), k + i * n_loc + np.arange(n_loc)])
        rows.append(np.repeat(r, c.size))
        cols.append(np.tile(c, r.size))
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    shape = (row0[-1], k + n_spec * n_loc)
    order = np.concatenate([sh, loc])

    def u_of(x, i):
        u = np.empty(k + n_loc)
        u[sh] = x[:k]
        u[loc] = x[k + i * n_loc:k + (i + 1) * n_loc]
        return u

    def fun(x):
        return np.concatenate([prob.residuals(u_of(x, i)) for i, prob in enumerate(problems)])

    def jac(x):
        data = np.concatenate([prob.jacobian(u_of(x, i))[:, order].ravel()
                               for i, prob in enumerate(problems)])
        return sparse.csr_matrix((data, (rows, cols)), shape=shape)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        sol = least_squares(fun, np.clip(x0, lower, upper), jac=jac, bounds=(lower, upper),
                            method="trf", tr_solver="lsmr", x_scale="jac")
    status = _Status(sol.cost, sol.status, sol.nfev, sol.message)
    chi2 = 2 * sol.cost
    dof = max(shape[0] - shape[1], 1)
    # covariance of the shared parameters: Schur complement of the block-arrow J^T J
    a = np.zeros((k, k))
    for i, prob in enumerate(problems):
        j = prob.jacobian(u_of(sol.x, i))
        js, jl = j[:, sh], j[:, loc]
        d = jl.T @ jl
        b = js.T @ jl
        a += js.T @ js - b @ np.linalg.pinv(d) @ b.T
    cov_u = np.linalg.pinv(a) * chi2 / dof
    p_sh = np.where(problems[0].log[sh], np.exp(sol.x[:k]), sol.x[:k])
    scale = np.where(problems[0].log[sh], p_sh, 1.0)
    sh_err = np.sqrt(np.clip(np.diag(cov_u), 0, None)) * scale
    out = []
    for i, (spectrum, prob) in enumerate(zip(spectra, problems)):
        p = prob.to_p(u_of(sol.x, i))
        local = _problem(spectrum, circuit, weighting, bounds,
                         {**fixed_values, **dict(zip(shared, p_sh))})
        fit = _result(spectrum, local, p, status, weighting=weighting,
                      policy=_policy(spectrum, circuit, None, None, None, lazy=True)
                      if not np.isfinite(fits[i].noise_relative) else
                      _policy(spectrum, circuit, fits[i].noise_relative, None, None,
                              fits[i].noise_source),
                      inputs=dict(circuit=circuit.text, weighting=weighting, shared=shared,
                                  source=spectrum.source))
        params = dict(fit.parameters)
        for name, err in zip(shared, sh_err):
            params[name] = Measured(params[name].value, float(err), params[name].unit)
        out.append(dataclasses.replace(fit, parameters=params,
                                       fixed=tuple(n for n in fit.fixed if n not in shared)))
    return out
