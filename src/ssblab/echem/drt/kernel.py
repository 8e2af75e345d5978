"""Linear algebra of the distribution of relaxation times: grid, analytic kernel, solver.

The model is ``Z(w) = R_inf + j w L + integral gamma(ln tau) / (1 + j w tau) d ln tau`` with
``w = 2 pi f`` and therefore ``tau = 1 / (2 pi f)``: a process with time constant ``tau``
peaks at ``f = 1 / (2 pi tau)``. ``gamma`` is piecewise linear in ``ln tau`` (hat functions
on a uniform grid), so every matrix element is a closed-form second difference of the
second antiderivative of the kernel (a dilogarithm), exact to rounding. See ``docs/drt.md``.

Everything here works on plain arrays; :mod:`ssblab.echem.drt` builds the user-facing API.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import linalg, optimize
from scipy.special import spence

from ssblab.errors import InputError

LN10 = np.log(10.0)


# --- grid and kernel -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TauGrid:
    """A uniform grid in ``ln tau``: ``ln_tau_s[j] = start + j * step``."""

    start: float
    step: float
    size: int

    @property
    def ln_tau_s(self) -> np.ndarray:
        return self.start + self.step * np.arange(self.size)

    @property
    def tau_s(self) -> np.ndarray:
        return np.exp(self.ln_tau_s)


def tau_grid(frequency_Hz: np.ndarray, *, points_per_decade: float = 10.0,
             extend_decades: float = 1.0) -> TauGrid:
    """The ``ln tau`` grid covering ``1/(2 pi f_max) .. 1/(2 pi f_min)`` plus ``extend_decades``.

    Examples
    --------
    >>> g = tau_grid(np.array([1e5, 1.0]), points_per_decade=10, extend_decades=1)
    >>> g.size, round(float(g.tau_s[0] * 2 * np.pi), 12)
    (71, 1e-06)
    """
    if not points_per_decade > 0:
        raise InputError(f"points_per_decade: expected a positive number, found {points_per_decade}")
    if not extend_decades >= 0:
        raise InputError(f"extend_decades: expected a number >= 0, found {extend_decades}")
    f = np.asarray(frequency_Hz, dtype=float)
    lo = -np.log(2 * np.pi * f.max()) - extend_decades * LN10
    hi = -np.log(2 * np.pi * f.min()) + extend_decades * LN10
    size = int(np.ceil((hi - lo) / LN10 * points_per_decade - 1e-9)) + 1
    return TauGrid(start=float(lo), step=float((hi - lo) / (size - 1)), size=size)


def _second_antiderivative_real(u: np.ndarray) -> np.ndarray:
    # G'' = 1 / (1 + e^{2u});  G = -Li2(-e^{-2u}) / 4, continued for u < 0 by the inversion
    # formula so that no exponential overflows.  Li2(z) = spence(1 - z) in scipy.
    out = np.empty_like(u)
    pos = u >= 0
    out[pos] = -0.25 * spence(1.0 + np.exp(-2.0 * u[pos]))
    v = u[~pos]
    out[~pos] = np.pi**2 / 24 + 0.5 * v**2 + 0.25 * spence(1.0 + np.exp(2.0 * v))
    return out


def _inverse_tangent_integral(x: np.ndarray) -> np.ndarray:
    # Ti2(x) = Im Li2(j x), for 0 < x <= 1 here
    return spence(1.0 - 1j * x).imag


def _second_antiderivative_imag(u: np.ndarray) -> np.ndarray:
    # G'' = -e^u / (1 + e^{2u});  G' = -arctan(e^u);  G = -Ti2(e^u), written for u >= 0 with
    # Ti2(x) = Ti2(1/x) + (pi/2) ln x so the argument stays <= 1.
    out = np.empty_like(u)
    neg = u < 0
    out[neg] = -_inverse_tangent_integral(np.exp(u[neg]))
    w = u[~neg]
    out[~neg] = -(_inverse_tangent_integral(np.exp(-w)) + 0.5 * np.pi * w)
    return out


_KERNEL_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_KERNEL_CACHE_SIZE = 64


def kernel_matrices(frequency_Hz: np.ndarray, grid: TauGrid) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts of the DRT kernel for hat functions on ``grid`` (cached).

    ``A_re[i, j] = int h_j(t) / (1 + (w_i e^t)^2) dt`` and
    ``A_im[i, j] = -int h_j(t) w_i e^t / (1 + (w_i e^t)^2) dt`` with ``h_j`` the hat function
    centred on ``ln_tau_s[j]`` of half-width ``grid.step``. The result is read-only.

    Examples
    --------
    A flat ``gamma = 1 ohm`` gives ``-Z'' = integral w tau / (1 + (w tau)^2) d ln tau = pi/2``
    at frequencies far from the grid ends:

    >>> g = tau_grid(np.array([1e3, 1.0]), points_per_decade=10, extend_decades=5)
    >>> a_re, a_im = kernel_matrices(np.array([10.0, 100.0]), g)
    >>> np.round(-a_im.sum(axis=1) / (np.pi / 2), 4).tolist()
    [1.0, 1.0]
    """
    f = np.ascontiguousarray(frequency_Hz, dtype=float)
    key = (f.tobytes(), grid)
    cached = _KERNEL_CACHE.get(key)
    if cached is not None:
        return cached
    # u = ln(w tau) at every node and one node beyond each end: the second difference over
    # neighbouring nodes is the integral against each hat function.
    nodes = grid.start + grid.step * np.arange(-1, grid.size + 1)
    u = np.log(2 * np.pi * f)[:, None] + nodes[None, :]
    mats = []
    for antiderivative in (_second_antiderivative_real, _second_antiderivative_imag):
        g = antiderivative(u.ravel()).reshape(u.shape)
        a = (g[:, 2:] - 2.0 * g[:, 1:-1] + g[:, :-2]) / grid.step
        a.flags.writeable = False
        mats.append(a)
    if len(_KERNEL_CACHE) >= _KERNEL_CACHE_SIZE:
        _KERNEL_CACHE.pop(next(iter(_KERNEL_CACHE)))
    _KERNEL_CACHE[key] = (mats[0], mats[1])
    return mats[0], mats[1]


def penalty_matrix(size: int, step: float, *, order: int) -> np.ndarray:
    """``D^T D`` approximating ``int (d^k gamma / d(ln tau)^k)^2 d ln tau`` on the grid.

    A ridge of ``1e-10`` of the mean diagonal keeps it positive definite (needed for the
    generalised eigenproblem) without changing any solution noticeably.
    """
    if order not in (0, 1, 2):
        raise InputError(f"order: expected 0, 1 or 2 (derivative penalised), found {order!r}")
    d = np.eye(size)
    for _ in range(order):
        d = np.diff(d, axis=0) / step
    p = d.T @ d * step
    p[np.diag_indices(size)] += 1e-10 * np.trace(p) / size
    return p


# --- regularisation strength ---------------------------------------------------------------
LAMBDA_GRID = np.logspace(-10, 2, 241)
MGCV_FACTOR = 1.4


@dataclasses.dataclass(frozen=True)
class LambdaScan:
    """GCV score, residual, seminorm and degrees of freedom (trace of the influence matrix)
    of the unconstrained solution on ``LAMBDA_GRID``."""

    lambdas: np.ndarray
    gcv: np.ndarray
    residual_norm: np.ndarray
    solution_seminorm: np.ndarray
    dof: np.ndarray
    mgcv: np.ndarray

    def best(self, method: str) -> tuple[float, bool]:
        """The chosen lambda and whether it sits at an end of the scanned range."""
        if method == "gcv":
            i = int(np.argmin(self.gcv))
        elif method == "mgcv":
            i = int(np.argmin(self.mgcv))
        else:
            i = _lcurve_corner(np.log(self.residual_norm), np.log(self.solution_seminorm))
        return float(self.lambdas[i]), i in (0, self.lambdas.size - 1)


def _lcurve_corner(x: np.ndarray, y: np.ndarray) -> int:
    t = np.log(LAMBDA_GRID)
    dx, dy = np.gradient(x, t), np.gradient(y, t)
    ddx, ddy = np.gradient(dx, t), np.gradient(dy, t)
    curvature = (dx * ddy - ddx * dy) / np.maximum((dx**2 + dy**2) ** 1.5, 1e-300)
    return int(np.argmax(curvature[1:-1])) + 1


class LambdaScanner:
    """Closed-form GCV and L-curve quantities for every lambda, for any data vector ``b``.

    ``a`` has the ``n_free`` unpenalised columns first, then the penalised ones. The
    unpenalised columns are projected out; with ``P = L L^T`` the SVD of ``A L^-T`` makes
    every regularised solve diagonal, so the residual, the seminorm and the trace of the
    influence matrix are sums over singular values for any ``lam`` (no cancellation). The SVD
    depends on ``a`` only, so bootstrap replicates rescan for the cost of a matrix-vector
    product.
    """

    def __init__(self, a: np.ndarray, penalty: np.ndarray, n_free: int):
        self.n, self.n_free = a.shape[0], n_free
        self._q = np.linalg.qr(a[:, :n_free])[0] if n_free else None
        a_pen = a[:, n_free:]
        if n_free:
            a_pen = a_pen - self._q @ (self._q.T @ a_pen)
        chol = linalg.cholesky(penalty, lower=True, check_finite=False)
        a_std = linalg.solve_triangular(chol, a_pen.T, lower=True, check_finite=False).T
        self._u, self._sigma, _ = linalg.svd(a_std, full_matrices=False, check_finite=False)

    def scan(self, b: np.ndarray) -> LambdaScan:
        b_pen = b - self._q @ (self._q.T @ b) if self.n_free else b
        beta = self._u.T @ b_pen
        outside = b_pen - self._u @ beta  # the part of b no solution can reach
        lam = LAMBDA_GRID[:, None]
        sigma = self._sigma[None, :]
        s2 = sigma**2
        rss = (outside @ outside) + (((lam / (s2 + lam)) * beta[None, :]) ** 2).sum(axis=1)
        trace = (s2 / (s2 + lam)).sum(axis=1)
        free_dof = self.n - self.n_free
        gcv = self.n * rss / np.maximum(free_dof - trace, 1e-12) ** 2
        mgcv = self.n * rss / np.maximum(free_dof - MGCV_FACTOR * trace, 1e-12) ** 2
        seminorm = np.sqrt((((sigma / (s2 + lam)) * beta[None, :]) ** 2).sum(axis=1))
        return LambdaScan(LAMBDA_GRID, gcv, np.sqrt(rss), np.maximum(seminorm, 1e-300),
                          trace + self.n_free, mgcv)


# --- non-negative quadratic program ---------------------------------------------------------
class NonNegativeQP:
    """``min 1/2 x^T H x - g^T x`` subject to ``x >= 0`` for one positive definite ``H``.

    Many right-hand sides ``g`` share one ``H`` (bootstrap replicates) or a similar one
    (neighbouring spectra of a series). Each solve first tries a warm start: the previous
    solution's positive set, shrunk until its unconstrained solution is positive (a few
    small Cholesky solves). It keeps that point only if the KKT conditions hold, which for a
    convex QP proves optimality; otherwise Lawson-Hanson NNLS (:func:`scipy.optimize.nnls`)
    solves ``min ||R x - R^-T g||`` with ``H = R^T R`` from scratch. A warm start therefore
    changes the speed, never the answer.
    """

    def __init__(self, h: np.ndarray, *, free: np.ndarray | None = None):
        self.h = np.asarray(h, dtype=float)
        self._free = None if free is None else np.asarray(free, dtype=bool).copy()
        self._chol = None
        self.warm_hits = 0
        self.cold_solves = 0

    def solve(self, g: np.ndarray, *, warm: bool = True) -> np.ndarray:
        x = self._warm(g, self._free) if warm and self._free is not None else None
        if x is None:
            x = self._nnls(g)
            self.cold_solves += 1
        else:
            self.warm_hits += 1
        self._free = x > 0
        return x

    def _warm(self, g: np.ndarray, free: np.ndarray) -> np.ndarray | None:
        free = free.copy()
        x = np.zeros(g.size)
        for _ in range(5):
            if not free.any():
                return None
            try:
                z = linalg.solve(self.h[np.ix_(free, free)], g[free], assume_a="pos",
                                 check_finite=False)
            except (linalg.LinAlgError, ValueError):
                return None
            if (z > 0).all():
                x[free] = z
                break
            free[np.flatnonzero(free)[z <= 0]] = False
        else:
            return None
        gradient = self.h @ x - g
        tol = 1e-9 * max(float(np.abs(g).max()), 1e-300)
        return x if (gradient[~free] >= -tol).all() else None

    def _nnls(self, g: np.ndarray) -> np.ndarray:
        if self._chol is None:
            try:
                self._chol = linalg.cholesky(self.h, lower=False, check_finite=False)
            except linalg.LinAlgError:
                ridge = 1e-12 * np.trace(self.h) / self.h.shape[0]
                self._chol = linalg.cholesky(self.h + ridge * np.eye(self.h.shape[0]),
                                             lower=False, check_finite=False)
        rhs = linalg.solve_triangular(self._chol, g, trans="T", check_finite=False)
        x, _ = optimize.nnls(self._chol, rhs, maxiter=50 * g.size)
        return x
