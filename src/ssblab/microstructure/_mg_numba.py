"""Compiled (Numba) kernels of the voxel multigrid: one pass over memory each, where NumPy's
unfused stencil makes 13-17.

Each kernel is serial over a range of layers and releases the GIL, so the chunk threads of
``multigrid._for_chunks`` share the layers as they share NumPy's chunks (Numba's own
``parallel=True`` threads spun against the other processes of a busy 2-core box: a 128^3
solve took 0.85-3.3 s instead of 0.35 s).

Imported only by :mod:`ssblab.microstructure.multigrid` and only when Numba is installed
(the ``fast`` extra); the NumPy kernels there stay the reference. Each kernel runs over the
layers of axis 0 and evaluates the 7-point product in the same order as
``multigrid._apply_chunk`` (diagonal first, then each direction's upper and lower link);
``fastmath`` lets LLVM fuse multiply-adds and vectorise the dot, so results agree with NumPy's
to a few ulp, not bitwise.
"""

from __future__ import annotations

import numba
import numpy as np

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=True)


@numba.njit(inline="always", fastmath=True)
def _row(diag, g0, g1, g2, x, i, j, row):
    """``row = (A x)[i, j, :]``: one loop per term over the contiguous row (each vectorises;
    a branch per voxel did not), in the order of ``multigrid._apply_chunk``."""
    n0, n1, n2 = x.shape
    for k in range(n2):
        row[k] = diag[i, j, k] * x[i, j, k]
    if i < n0 - 1:
        for k in range(n2):
            row[k] -= g0[i, j, k] * x[i + 1, j, k]
    if i > 0:
        for k in range(n2):
            row[k] -= g0[i - 1, j, k] * x[i - 1, j, k]
    if j < n1 - 1:
        for k in range(n2):
            row[k] -= g1[i, j, k] * x[i, j + 1, k]
    if j > 0:
        for k in range(n2):
            row[k] -= g1[i, j - 1, k] * x[i, j - 1, k]
    for k in range(n2 - 1):
        row[k] -= g2[i, j, k] * x[i, j, k + 1]
    for k in range(n2 - 1):
        row[k + 1] -= g2[i, j, k] * x[i, j, k]


@numba.njit(**_OPTIONS)
def sweep(diag, g0, g1, g2, x, b, out, omega, smooth, i0, i1):
    """``out = x + omega (b - A x) / diag`` when ``smooth``, else ``out = b - A x``, on the
    layers ``i0 .. i1-1``."""
    n0, n1, n2 = x.shape
    w = x.dtype.type(omega)
    row = np.empty(n2, x.dtype)
    for i in range(i0, i1):
        for j in range(n1):
            _row(diag, g0, g1, g2, x, i, j, row)
            if smooth:
                for k in range(n2):
                    out[i, j, k] = (b[i, j, k] - row[k]) / diag[i, j, k] * w + x[i, j, k]
            else:
                for k in range(n2):
                    out[i, j, k] = b[i, j, k] - row[k]


@numba.njit(**_OPTIONS)
def apply_dot(diag, g0, g1, g2, p, q, i0, i1):
    """``q = A p`` on the layers ``i0 .. i1-1``; returns their share of ``p . q`` (float64)."""
    n0, n1, n2 = p.shape
    total = 0.0
    for i in range(i0, i1):
        s = 0.0
        for j in range(n1):
            _row(diag, g0, g1, g2, p, i, j, q[i, j])
            for k in range(n2):
                s += np.float64(q[i, j, k]) * np.float64(p[i, j, k])
        total += s
    return total


@numba.njit(**_OPTIONS)
def residual_restricted(diag, g0, g1, g2, x, b, coarse, c_lo, c_hi):
    """``coarse = P^T (b - A x)`` on the coarse layers ``c_lo .. c_hi-1``: the 2 x 2 x 2 block
    sums of the residual (odd last entries stand alone); the fine residual is never stored."""
    n0, n1, n2 = x.shape
    c0, c1, c2 = coarse.shape
    zero = coarse.dtype.type(0)
    row = np.empty(n2, x.dtype)
    for c in range(c_lo, c_hi):
        for cj in range(c1):
            for ck in range(c2):
                coarse[c, cj, ck] = zero
        for i in range(2 * c, min(2 * c + 2, n0)):
            for j in range(n1):
                _row(diag, g0, g1, g2, x, i, j, row)
                for k in range(n2):
                    coarse[c, j // 2, k // 2] += b[i, j, k] - row[k]
