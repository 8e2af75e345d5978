"""Matrix-free conjugate gradients preconditioned by aggregation multigrid on the voxel grid.

The conductance matrix of a voxel image is a weighted graph Laplacian on a regular grid (plus
the electrode links on the diagonal), stored here as three arrays of face conductances, so it
never has to be assembled. Coarse levels aggregate 2 x 2 x 2 voxels: with piecewise-constant
prolongation the Galerkin product ``P^T A P`` is again a 7-point conductance lattice whose
face conductances are the sums of the fine ones across each block face, so every level is
built with a few slices and sums. Unsmoothed aggregation needs help on the coarse levels:
each coarse problem is solved by two Krylov-accelerated cycles (Notay's K-cycle, Numer. Linear
Algebra Appl. 15, 473 (2008)), with two damped-Jacobi sweeps before and after each coarse
correction; as the K-cycle is not a fixed linear operator, the outer iteration is flexible
(Polak-Ribiere) CG. Arrays are float32 unless the caller asks for float64; dot products and
the cross-section currents are accumulated in float64, and when float32 rounding stops the
iteration short of the flux criterion the solution is refined in float64 (see
:func:`solve_potential`).

This is the default kernel of :func:`ssblab.microstructure.solve.solve` for no-flux sides
(``method="gmg"``); pyamg's algebraic multigrid remains available (``"sa"``, ``"rs"``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

_OMEGA = 2.0 / 3.0   # damped Jacobi on D^-1 A whose spectrum lies in (0, 2]
_SWEEPS = 2          # Jacobi sweeps before and after each coarse correction
_COARSEST = 1000     # unknowns below which the coarse problem is factorised
_STALL = {np.dtype(np.float32): 5, np.dtype(np.float64): 12}  # iterations without halving the
# best cross-section spread that count as a stall: float32 only restarts (refinement), so it
# can afford to give up early; in float64 a stall ends the solve
_SLAB = 16           # layers per slab in the float64 residual and plane sums
_CHUNK = 1 << 17     # voxels per chunk of the operator product (a few hundred kB per array)


@dataclasses.dataclass
class _Level:
    """One lattice. ``g[ax]`` has the full grid shape: ``g[ax][i]`` joins voxel i to its
    neighbour at i + 1 along ``ax`` (0 on the last layer), so every product runs over one
    contiguous run of the flattened arrays."""

    g: list
    inlet: np.ndarray  # electrode conductance of layer 0, shape (n1, n2)
    outlet: np.ndarray
    diag: np.ndarray = None  # 1 on absent voxels, where every vector is 0 (saves a mask)
    active: np.ndarray = None
    direct: object = None
    index: np.ndarray = None

    def __post_init__(self):
        self.shape = self.g[0].shape
        n0, n1, n2 = self.shape
        self.size = n0 * n1 * n2
        self.strides = (n1 * n2, n2, 1)
        d = np.zeros(self.size, self.inlet.dtype)
        for s, g in zip(self.strides, self.g):
            flat = g.ravel()[: self.size - s]
            d[: self.size - s] += flat
            d[s:] += flat
        d = d.reshape(self.shape)
        d[0] += self.inlet
        d[-1] += self.outlet
        self.active = d > 0
        d[~self.active] = 1
        self.diag = d
        self.links = [g.ravel()[: self.size - s] for s, g in zip(self.strides, self.g)]


def apply(level: _Level, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = A x`` for the lattice of ``level``, in cache-sized chunks of the flattened grid
    (the scratch is one chunk, not a grid: 4 bytes a voxel less at 512^3)."""
    n = level.size
    xf, of = x.reshape(-1), out.reshape(-1)
    diag = level.diag.reshape(-1)
    t = np.empty(min(n, _CHUNK), x.dtype if x.dtype == out.dtype else out.dtype)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        np.multiply(diag[a:b], xf[a:b], out=of[a:b])
        for s, g in zip(level.strides, level.links):
            hi = min(b, n - s)  # links to i + s
            if hi > a:
                np.multiply(g[a:hi], xf[a + s:hi + s], out=t[: hi - a])
                of[a:hi] -= t[: hi - a]
            lo = max(a, s)  # links to i - s
            if b > lo:
                np.multiply(g[lo - s:b - s], xf[lo - s:b - s], out=t[: b - lo])
                of[lo:b] -= t[: b - lo]
    return out


def _pair_sum(a, axis):
    """Sum neighbouring pairs along ``axis`` (an odd last entry stands alone)."""
    even = a[(slice(None),) * axis + (slice(0, None, 2),)]
    odd = a[(slice(None),) * axis + (slice(1, None, 2),)]
    if odd.shape[axis] == even.shape[axis]:
        return even + odd
    out = even.copy()
    out[(slice(None),) * axis + (slice(0, odd.shape[axis]),)] += odd
    return out


def _block_sum(a, axes):
    for axis in axes:
        a = _pair_sum(a, axis)
    return a


def _coarsen(level: _Level) -> _Level:
    coarse_shape = tuple((n + 1) // 2 for n in level.shape)
    g = []
    for ax, fine in enumerate(level.g):
        across = fine[(slice(None),) * ax + (slice(1, None, 2),)]
        missing = coarse_shape[ax] - across.shape[ax]
        if missing:
            pad = np.zeros_like(across[(slice(None),) * ax + (slice(0, missing),)])
            across = np.concatenate([across, pad], axis=ax)
        g.append(_block_sum(across, [i for i in range(3) if i != ax]))
    return _Level(g=g, inlet=_block_sum(level.inlet, [0, 1]), outlet=_block_sum(level.outlet, [0, 1]))


def _restrict(r):
    n0, n1, n2 = r.shape
    if n0 % 2 == 0 and n1 % 2 == 0 and n2 % 2 == 0:  # one pass, no half-size intermediates
        return r.reshape(n0 // 2, 2, n1 // 2, 2, n2 // 2, 2).sum(axis=(1, 3, 5))
    return _block_sum(r, [0, 1, 2])


def _prolong_add(x, e, active):
    """``x += P e`` on the active voxels (piecewise-constant prolongation), in place when the
    fine shape is even (no full-size temporary)."""
    n0, n1, n2 = e.shape
    if x.shape == (2 * n0, 2 * n1, 2 * n2):
        np.add(x.reshape(n0, 2, n1, 2, n2, 2), e[:, None, :, None, :, None],
               out=x.reshape(n0, 2, n1, 2, n2, 2), where=active.reshape(n0, 2, n1, 2, n2, 2))
        return x
    full = np.broadcast_to(e[:, None, :, None, :, None], (n0, 2, n1, 2, n2, 2))
    full = full.reshape(2 * n0, 2 * n1, 2 * n2)[: x.shape[0], : x.shape[1], : x.shape[2]]
    np.add(x, full, out=x, where=active)
    return x


def _factorise(level: _Level):
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    active = level.active
    n = int(active.sum())
    index = np.full(level.shape, -1, dtype=np.int64)
    index[active] = np.arange(n)
    rows, cols, vals = [np.arange(n)], [np.arange(n)], [level.diag[active].astype(float)]
    flat_index = index.ravel()
    for s, g in zip(level.strides, level.links):
        link = g > 0
        a, b = flat_index[: level.size - s][link], flat_index[s:][link]
        rows += [a, b]
        cols += [b, a]
        vals += [-g[link].astype(float)] * 2
    matrix = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    level.index = index
    level.direct = splu(matrix) if n else None


class Hierarchy:
    """The multigrid levels for one conductance lattice; ``precondition(r)`` is one V-cycle."""

    def __init__(self, finest: _Level):
        self.levels = [finest]
        while np.prod(self.levels[-1].shape) > _COARSEST and min(self.levels[-1].shape) > 2:
            self.levels.append(_coarsen(self.levels[-1]))
        _factorise(self.levels[-1])
        self._tmp = [np.empty(lv.shape, lv.diag.dtype) for lv in self.levels]
        #: the finest-level work array, shared with the outer iteration (never used at once)
        self.scratch = self._tmp[0]

    def precondition(self, r: np.ndarray, depth: int = 0, *, out: np.ndarray | None = None) -> np.ndarray:
        level = self.levels[depth]
        if depth == len(self.levels) - 1:
            x = np.zeros_like(r)
            if level.direct is not None:
                x[level.index >= 0] = level.direct.solve(r[level.index >= 0].astype(float))
            return x
        ax = self._tmp[depth]
        x = np.divide(r, level.diag, out=out)  # the first sweep from zero costs no product
        x *= _OMEGA
        for _ in range(_SWEEPS - 1):
            self._jacobi(level, x, r, ax)
        apply(level, x, ax)
        np.subtract(r, ax, out=ax)
        correction = self._coarse_solve(_restrict(ax), depth + 1)
        _prolong_add(x, correction, level.active)
        for _ in range(_SWEEPS):
            self._jacobi(level, x, r, ax)
        return x

    def _coarse_solve(self, rc, depth):
        """Two Krylov-accelerated coarse cycles (Notay's K-cycle); one plain one on the coarsest."""
        if depth == len(self.levels) - 1:
            return self.precondition(rc, depth)
        level = self.levels[depth]
        ax = self._tmp[depth]
        v1 = self.precondition(rc, depth)
        w1 = apply(level, v1, np.empty_like(v1))
        rho1 = float(np.vdot(v1, w1))
        if rho1 <= 0:
            return v1
        a1 = float(np.vdot(v1, rc)) / rho1
        r2 = rc - a1 * w1
        v2 = self.precondition(r2, depth)
        w2 = apply(level, v2, ax)
        gamma = float(np.vdot(v2, w1))
        beta = float(np.vdot(v2, w2)) - gamma * gamma / rho1
        if beta <= 0:
            return a1 * v1
        a2 = float(np.vdot(v2, r2)) / beta
        return (a1 - gamma * a2 / rho1) * v1 + a2 * v2

    @staticmethod
    def _jacobi(level, x, b, ax):
        apply(level, x, ax)
        np.subtract(b, ax, out=ax)
        np.divide(ax, level.diag, out=ax)
        _axpy(_OMEGA, ax, x)


def lattice(sigma: np.ndarray, *, dtype=np.float32) -> _Level:
    """The finest level for a conductivity array (axis 0 is the transport direction).

    Voxels with conductivity 0 are absent; the electrodes hold the faces of layers 0 and -1.
    """
    s = np.ascontiguousarray(sigma, dtype=dtype)
    g = []
    for ax in range(3):
        lo = s[(slice(None),) * ax + (slice(None, -1),)]
        hi = s[(slice(None),) * ax + (slice(1, None),)]
        total = lo + hi
        full = np.zeros_like(s)
        np.divide(2 * lo * hi, total, out=full[(slice(None),) * ax + (slice(None, -1),)], where=total > 0)
        g.append(full)
    return _Level(g=g, inlet=2 * s[0], outlet=2 * s[-1])


def plane_currents(level: _Level, x: np.ndarray, *, electrode: bool = True) -> np.ndarray:
    """Current through each of the n0+1 cross-sections for electrode potentials 1 and 0.

    ``electrode=False`` gives the currents of a correction ``x`` (both electrodes at 0). Sums
    run in float64, a slab of layers at a time, so a float64 ``x`` costs no full-size temporary.
    """
    n0 = level.shape[0]
    inner = np.empty(n0 - 1)
    g0 = level.g[0]
    for i0 in range(0, n0 - 1, _SLAB):
        i1 = min(n0 - 1, i0 + _SLAB)
        inner[i0:i1] = (g0[i0:i1] * (x[i0:i1] - x[i0 + 1:i1 + 1])).sum(axis=(1, 2), dtype=np.float64)
    first = (level.inlet * ((1 - x[0]) if electrode else -x[0])).sum(dtype=np.float64)
    last = (level.outlet * x[-1]).sum(dtype=np.float64)
    return np.concatenate([[first], inner, [last]])


def _residual(level: _Level, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = b - A x`` for a float64 ``x`` (electrode at 1 on layer 0), in float64 a slab of
    layers at a time, stored in ``out`` (the working precision).

    Written as a sum of link currents ``g (x_i - x_j)``, not with the stored diagonal: a
    float32 diagonal is the rounded sum of its links, and that rounding acts as a leak at
    every voxel that caps how well the cross-section currents can agree (the float32 floor).
    """
    n0 = level.shape[0]
    g0, g1, g2 = level.g
    for i0 in range(0, n0, _SLAB):
        i1 = min(n0, i0 + _SLAB)
        xs = x[i0:i1]
        ax = np.zeros(xs.shape)
        hi = min(i1, n0 - 1)  # links to the next layer exist below the last layer only
        ax[: hi - i0] += g0[i0:hi] * (x[i0:hi] - x[i0 + 1:hi + 1])
        lo = max(i0, 1)
        ax[lo - i0:] += g0[lo - 1:i1 - 1] * (x[lo:i1] - x[lo - 1:i1 - 1])
        d = g1[i0:i1, :-1] * (xs[:, :-1] - xs[:, 1:])
        ax[:, :-1] += d
        ax[:, 1:] -= d
        d = g2[i0:i1, :, :-1] * (xs[:, :, :-1] - xs[:, :, 1:])
        ax[:, :, :-1] += d
        ax[:, :, 1:] -= d
        if i0 == 0:
            ax[0] -= level.inlet * (1.0 - x[0])
        if i1 == n0:
            ax[-1] += level.outlet * x[-1]
        np.negative(ax, out=out[i0:i1], casting="same_kind")
    return out


def _pcg(level, hierarchy, r, x, *, flux_tol, max_iterations, base=None):
    """Flexible PCG on ``A x = b`` from ``x`` with residual ``r = b - A x`` (updated in place),
    stopping on the flux criterion of ``base + x``
    (``base``: the plane currents of an accumulated float64 solution, or None), or when the
    cross-section spread stops falling (the working precision is exhausted).

    Returns ``(x, iterations, r, planes, converged)``.
    """
    def planes_of(v):
        if base is None:
            return plane_currents(level, v)
        return base + plane_currents(level, v, electrode=False)

    z = hierarchy.precondition(r)
    p = z.copy()
    q = np.empty_like(p)
    rz = float(np.vdot(r, z))
    previous = np.nan
    planes = planes_of(x)
    spreads: list[float] = []
    converged = False
    iterations = 0
    while iterations < max_iterations:
        apply(level, p, q)
        curvature = float(np.vdot(p, q))
        if not curvature > 0:  # the search direction vanished: nothing left to gain in this precision
            break
        alpha = rz / curvature
        _axpy(alpha, p, x)
        _axpy(-alpha, q, r)
        iterations += 1
        planes = planes_of(x)
        mean = planes.mean()
        spread = np.max(np.abs(planes - mean)) / mean if mean > 0 else np.inf
        if spread <= flux_tol and abs(mean - previous) <= flux_tol * mean:
            converged = True
            break
        previous = mean
        spreads.append(spread)
        if _stalled(spreads, _STALL[x.dtype]):
            break  # rounding, not the preconditioner, limits the iteration now
        # Flexible (Polak-Ribiere) CG, as the K-cycle is not a fixed linear operator:
        # beta = z_new . (r_new - r_old) / (z_old . r_old), with r_new - r_old = -alpha q.
        z = hierarchy.precondition(r, out=z)
        rz_new = float(np.vdot(r, z))
        p *= -alpha * float(np.vdot(z, q)) / rz
        p += z
        rz = rz_new
    return x, iterations, r, planes, converged


def _stalled(spreads: list[float], patience: int) -> bool:
    """The potential froze (the spread repeats to 0.1 % twice: updates below rounding), or
    the best spread did not halve in ``patience`` iterations. Hard media (high contrast) make
    the spread rise and fall for a few iterations, hence the second, patient rule."""
    if len(spreads) >= 3 and all(abs(spreads[-1] - v) <= 1e-3 * spreads[-1] for v in spreads[-3:-1]):
        return True
    return len(spreads) > patience and not min(spreads[-patience:]) < 0.5 * min(spreads[:-patience])


def _axpy(a, x, y):
    """``y += a x`` in place, a chunk at a time (no grid-sized temporary; BLAS axpy was
    slower here, its threads contending with everything else on a shared machine)."""
    if not (y.flags.c_contiguous and x.flags.c_contiguous):
        y += a * x
        return
    xf, yf = x.reshape(-1), y.reshape(-1)
    t = np.empty(min(xf.size, _CHUNK), y.dtype)
    for i in range(0, xf.size, _CHUNK):
        j = min(xf.size, i + _CHUNK)
        np.multiply(xf[i:j], a, out=t[: j - i])
        yf[i:j] += t[: j - i]


def solve_potential(level: _Level, *, flux_tol: float, max_iterations: int, x0=None):
    """PCG on ``A x = b`` (electrode at 1 on layer 0); stop on the flux criterion.

    Converged when the current through every cross-section agrees with the mean to
    ``flux_tol`` and the mean moved by less than ``flux_tol`` (relative) in the last iteration.

    Precision policy: in float32 the potential's rounding limits how well the cross-section
    currents can agree (about 1e-6 at 128^3, above 1e-4 at 384^3). When the spread stops
    falling before ``flux_tol`` holds, the solution is carried in float64 and refined:
    the float64 residual is solved for a correction in float32, with the same float32
    multigrid, which gains the working precision again per round (iterative refinement).
    Only the solution and the residual evaluation are float64 (8 bytes a voxel more).

    Returns ``(x, iterations, relative_residual, plane_currents, converged, refinements)``.
    """
    hierarchy = Hierarchy(level)
    dtype = level.diag.dtype
    n0 = level.shape[0]
    if x0 is None:
        profile = (1 - (np.arange(n0) + 0.5) / n0).astype(dtype)
        x = profile[:, None, None] * level.active
    else:
        x = x0.astype(dtype)
    r = apply(level, x, np.empty_like(x))  # b - A x with b the electrode column of layer 0
    np.negative(r, out=r)
    r[0] += level.inlet
    norm_b = float(np.linalg.norm(level.inlet.astype(np.float64)))
    x, iterations, r, planes, converged = _pcg(level, hierarchy, r, x, flux_tol=flux_tol,
                                               max_iterations=max_iterations)
    refinements = 0
    if not converged and dtype != np.float64 and iterations < max_iterations:
        total = x.astype(np.float64)
        while not converged and iterations < max_iterations:
            refinements += 1
            _residual(level, total, r)
            base = plane_currents(level, total)
            x.fill(0)
            x, its, r, planes, converged = _pcg(level, hierarchy, r, x, flux_tol=flux_tol,
                                                max_iterations=max_iterations - iterations, base=base)
            iterations += its
            total += x
            if its == 0:
                break
        del x
        r = _residual(level, total, r)
        x = total
    flat = r.reshape(-1)
    residual = float(np.sqrt(np.einsum("i,i->", flat, flat, dtype=np.float64)) / norm_b)
    return x, iterations, residual, planes, converged, refinements
