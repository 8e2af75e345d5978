"""The potential solve: a finite-volume operator for div(sigma grad psi) and its fast solvers.

Cell-centred grid, axis 0 normal to the electrode (row 0 at the Li metal), the other axes
periodic. The bottom face is blocking (zero ionic flux); the top face is either a Dirichlet
face (potentiostatic) or carries a given flux (galvanostatic). Face conductances are harmonic
means of the two cells, which is exact for a layered medium and keeps sharp phase contrasts.

The operator solved is the symmetric positive definite

    A psi = - sum_faces s_f (psi_nb - psi) + c psi       (units: sigma / sigma_ref)

with ``c >= 0`` the linearised reaction sink. Three solvers, all conjugate gradients warm
started from the previous potential: preconditioned by one geometric multigrid V-cycle
(``"mg"``, the default: no extra dependency, and the only one that also runs on PyTorch, see
:mod:`ssblab.dendrite.multigrid`), by pyamg's smoothed-aggregation AMG (``"amg"``, the default
before, needs the ``dendrite`` extra), or by the exact inverse of the constant-coefficient
operator through DCT/FFT (``"fft"``; diagonal scaling keeps it useful for smooth
conductivity fields).

Examples
--------
>>> import numpy as np
>>> op = PotentialOperator(np.ones((8, 6)), dirichlet_top=True)
>>> psi = np.linspace(0, 1, 48).reshape(8, 6)
>>> bool(np.allclose(op.matrix() @ psi.ravel(), op.matvec(psi).ravel()))
True
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.fft
import scipy.sparse
import scipy.sparse.linalg

from ssblab.errors import ConvergenceError, InputError, check_choice

SolverMethod = Literal["auto", "mg", "amg", "fft"]


def harmonic_faces(sigma) -> list:
    """Face conductances between each cell and its + neighbour along every axis.

    Along axis 0 the array has ``n0 - 1`` rows (no face beyond the ends); along periodic axes
    the last face wraps to the first cell; a face between two insulating cells is 0. NumPy or
    PyTorch arrays.
    """
    from ssblab.dendrite.multigrid import roll_back

    if isinstance(sigma, np.ndarray):
        xp = np
    else:
        import torch as xp
    faces = []
    for axis in range(sigma.ndim):
        if axis == 0:
            low, high = sigma[:-1], sigma[1:]
        else:
            low, high = sigma, roll_back(sigma, axis)
        total = low + high
        with np.errstate(divide="ignore", invalid="ignore"):
            faces.append(xp.where(total > 0, 2.0 * low * high / total, 0.0))
    return faces


class PotentialOperator:
    """``A psi`` for a conductivity field ``sigma`` (already divided by a reference value).

    ``top`` is the conductance of the top boundary half-cell for a Dirichlet top (twice the
    top row's conductivity); ``shift`` is the diagonal reaction term ``c``. The operator is
    built from NumPy or PyTorch arrays; :meth:`matvec` and :meth:`matrix` (the AMG and FFT
    solvers) take NumPy arrays.
    """

    def __init__(self, sigma, *, dirichlet_top: bool, shift=None):
        self.shape = tuple(sigma.shape)
        self.sigma = sigma
        self.dirichlet_top = dirichlet_top
        self.faces = harmonic_faces(sigma)
        self.top = 2.0 * sigma[-1] if dirichlet_top else 0.0 * sigma[-1]
        self.shift = 0.0 * sigma if shift is None else shift

    def diagonal(self) -> np.ndarray:
        d = self.shift.copy()
        for axis, f in enumerate(self.faces):
            if axis == 0:
                d[:-1] += f
                d[1:] += f
            else:
                d += f + np.roll(f, 1, axis=axis)
        d[-1] += self.top
        return d

    def matvec(self, psi: np.ndarray) -> np.ndarray:
        out = self.diagonal() * psi
        for axis, f in enumerate(self.faces):
            if axis == 0:
                out[:-1] -= f * psi[1:]
                out[1:] -= f * psi[:-1]
            else:
                out -= f * np.roll(psi, -1, axis=axis)
                out -= np.roll(f * psi, 1, axis=axis)
        return out

    def matrix(self) -> scipy.sparse.csr_matrix:
        from ssblab.dendrite.multigrid import conductance_matrix

        return conductance_matrix(self.faces, self.diagonal())


def laplacian_eigenvalues(shape: tuple[int, ...], *, dirichlet_top: bool) -> np.ndarray:
    """Eigenvalues of the unit-coefficient ``-Laplacian`` (grid units) in the DCT/FFT basis.

    Axis 0: DCT-II (Neumann-Neumann) or DCT-IV (Neumann bottom, Dirichlet top face); other
    axes: the real FFT along the last axis, the full FFT along middle axes.
    """
    n0 = shape[0]
    k0 = np.arange(n0) + (0.5 if dirichlet_top else 0.0)
    lam = 2.0 - 2.0 * np.cos(np.pi * k0 / n0)
    total = lam.reshape((n0,) + (1,) * (len(shape) - 1))
    for axis in range(1, len(shape)):
        n = shape[axis]
        k = np.arange(n // 2 + 1) if axis == len(shape) - 1 else np.arange(n)
        lam = 2.0 - 2.0 * np.cos(2.0 * np.pi * k / n)
        total = total + lam.reshape((1,) * axis + (-1,) + (1,) * (len(shape) - axis - 1))
    return total


def spectral_solve(rhs: np.ndarray, denominator: np.ndarray, *, dirichlet_top: bool) -> np.ndarray:
    """Solve ``denominator(k) * u_hat = rhs_hat`` in the DCT (axis 0) x FFT (other axes) basis."""
    dct_type = 4 if dirichlet_top else 2
    axes = tuple(range(1, rhs.ndim))
    u = scipy.fft.dct(rhs, type=dct_type, axis=0, norm="ortho")
    u = scipy.fft.rfftn(u, axes=axes)
    u = u / denominator
    u = scipy.fft.irfftn(u, s=[rhs.shape[a] for a in axes], axes=axes)
    return scipy.fft.idct(u, type=dct_type, axis=0, norm="ortho")


class PotentialSolver:
    """Preconditioned CG for :class:`PotentialOperator`.

    ``method="auto"`` is ``"mg"``. The multigrid hierarchy is built afresh for every solve
    (a few elementwise passes); the AMG hierarchy is rebuilt only when :meth:`refresh` is
    called (the caller does so on a fixed step schedule, so a resumed run rebuilds at the same
    steps as an uninterrupted one). ``backend`` (:func:`ssblab.backend.select_backend`) is
    where the arrays live; AMG and FFT run on NumPy only. ``precondition_dtype`` is the
    precision of the multigrid V-cycle (CG itself runs in the dtype of the fields).
    """

    def __init__(self, method: SolverMethod = "auto", *, rtol: float | None = None,
                 maxiter: int = 2000, backend=None, precondition_dtype: str = "float32"):
        from ssblab.backend import select_backend

        check_choice(method, SolverMethod, name="solver")
        self.method = "mg" if method == "auto" else method
        self.backend = backend or select_backend()
        if self.backend.name != "numpy" and self.method != "mg":
            raise InputError(f"solver {self.method!r} runs on the NumPy backend only; use solver "
                             f"'mg' (or 'auto') with backend {self.backend.name!r}")
        # the multigrid default, 1e-4 of the right-hand side: the solver's share of the deposit
        # error is then below 1e-3 of the lag of the potential between refreshes
        # (tests/dendrite/test_dendrite_backend.py); amg and fft keep their earlier 1e-6
        self.rtol = rtol if rtol is not None else (1e-4 if self.method == "mg" else 1e-6)
        self.maxiter = maxiter
        self.precondition_dtype = precondition_dtype
        self._amg = None
        self.iterations = 0

    def refresh(self) -> None:
        """Forget the AMG hierarchy; the next solve builds a new one."""
        self._amg = None

    def _preconditioner(self, op: PotentialOperator, matrix):
        n = matrix.shape[0]
        if self.method == "amg":
            if self._amg is None or self._amg.levels[0].A.shape[0] != n:
                from ssblab.errors import require_package

                pyamg = require_package("pyamg", extra="dendrite", purpose="the AMG potential solver")
                # pyamg estimates spectral radii from np.random's global state: fix it for
                # the build, so runs with the same seed repeat bit for bit (thread count fixed)
                saved = np.random.get_state()
                np.random.seed(0)
                try:
                    self._amg = pyamg.smoothed_aggregation_solver(matrix, symmetry="symmetric",
                                                                  max_coarse=50)
                finally:
                    np.random.set_state(saved)
            return self._amg.aspreconditioner(cycle="V")
        dirichlet = op.dirichlet_top
        scale = 1.0 / np.sqrt(np.maximum(op.sigma, 1e-12))
        denom = laplacian_eigenvalues(op.shape, dirichlet_top=dirichlet)
        shift = float(np.mean(op.shift / np.maximum(op.sigma, 1e-12)))
        denom = denom + max(shift, 1e-12)

        def apply(r):
            r = r.reshape(op.shape) * scale
            return (spectral_solve(r, denom, dirichlet_top=dirichlet) * scale).ravel()

        return scipy.sparse.linalg.LinearOperator((n, n), matvec=apply, dtype=float)

    def solve(self, op: PotentialOperator, rhs, x0):
        if self.method == "mg":
            from ssblab.dendrite.multigrid import mg_cg

            x, self.iterations = mg_cg(self.backend, op.faces, op.shift,
                                       op.top if op.dirichlet_top else None, rhs, x0,
                                       rtol=self.rtol, maxiter=self.maxiter,
                                       precondition_dtype=self.precondition_dtype)
            return x
        matrix = op.matrix()
        m = self._preconditioner(op, matrix)
        count = [0]

        def tick(_):
            count[0] += 1

        x, info = scipy.sparse.linalg.cg(matrix, rhs.ravel(), x0=x0.ravel(), rtol=self.rtol,
                                         atol=0.0, maxiter=self.maxiter, M=m, callback=tick)
        self.iterations = count[0]
        if info != 0:
            raise ConvergenceError(f"potential solve: CG ({self.method}) did not reach "
                                   f"rtol={self.rtol} in {self.maxiter} iterations")
        return x.reshape(op.shape)
