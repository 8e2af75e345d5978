"""Compiled (Numba) kernels of the voxel multigrid: one pass over memory each, where NumPy's
unfused stencil makes 13-17, and the passes around them fused in (the first sweep from zero,
the prolongation before a sweep, the dots after it, the CG updates with the residual's layer
sums).

Each kernel is serial over a range of layers and releases the GIL, so the chunk threads of
``multigrid._for_chunks`` share the layers as they share NumPy's chunks (Numba's own
``parallel=True`` threads spun against the other processes of a busy 2-core box: a 128^3
solve took 0.85-3.3 s instead of 0.35 s).

Imported only by :mod:`ssblab.microstructure.multigrid` and only when Numba is installed (the
``fast`` extra); the NumPy kernels there stay the reference. :mod:`~ssblab.microstructure.solve`
takes two more through it (the percolating cluster and the output currents) and
``multigrid.lattice`` one (the lattice). Each kernel runs over the layers of axis 0 and
evaluates the 7-point product in the same order as ``multigrid._apply_chunk`` (diagonal first,
then each direction's upper and lower link); ``fastmath`` lets LLVM fuse multiply-adds and
vectorise the dots, so results agree with NumPy's to a few ulp, not bitwise. A kernel whose
input vector is computed on the fly (``w b / D``, or ``x + P e``) keeps the three layers the
7-point product needs in a ring buffer, so each layer is computed once per run of layers (twice
at a run's edges). Sums are kept per layer (``parts``) and added in a fixed order afterwards,
so results do not depend on how the layers were split among threads.
"""

from __future__ import annotations

import numba
import numpy as np

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=True)


@numba.njit(inline="always", fastmath=True)
def _row(diag, g0, g1, g2, xm, xc, xp, i, j, row):
    """``row = (A x)[i, j, :]`` from the layers ``xm, xc, xp`` = ``x[i-1], x[i], x[i+1]`` (2-d;
    the missing ones at the ends are never read); one loop per term over the contiguous row
    (each vectorises; a branch per voxel did not), in the order of ``multigrid._apply_chunk``."""
    n0 = diag.shape[0]
    n1, n2 = xc.shape
    for k in range(n2):
        row[k] = diag[i, j, k] * xc[j, k]
    if i < n0 - 1:
        for k in range(n2):
            row[k] -= g0[i, j, k] * xp[j, k]
    if i > 0:
        for k in range(n2):
            row[k] -= g0[i - 1, j, k] * xm[j, k]
    if j < n1 - 1:
        for k in range(n2):
            row[k] -= g1[i, j, k] * xc[j + 1, k]
    if j > 0:
        for k in range(n2):
            row[k] -= g1[i, j - 1, k] * xc[j - 1, k]
    for k in range(n2 - 1):
        row[k] -= g2[i, j, k] * xc[j, k + 1]
    for k in range(n2 - 1):
        row[k + 1] -= g2[i, j, k] * xc[j, k]


@numba.njit(inline="always")
def _around(x, i):
    """The layers ``x[i-1], x[i], x[i+1]`` (clamped at the ends, where :func:`_row` skips them)."""
    n0 = x.shape[0]
    return x[max(i - 1, 0)], x[i], x[min(i + 1, n0 - 1)]


@numba.njit(inline="always", fastmath=True)
def _smooth_row(diag, b, xc, row, out, i, j, w):
    """``out[i, j] = x + w (b - A x) / D`` on one row, ``row`` holding ``(A x)[i, j]``."""
    n2 = row.shape[0]
    for k in range(n2):
        out[i, j, k] = (b[i, j, k] - row[k]) / diag[i, j, k] * w + xc[j, k]


@numba.njit(**_OPTIONS)
def sweep(diag, g0, g1, g2, x, b, out, omega, smooth, i0, i1):
    """``out = x + omega (b - A x) / diag`` when ``smooth``, else ``out = b - A x``, on the
    layers ``i0 .. i1-1``."""
    n0, n1, n2 = x.shape
    w = x.dtype.type(omega)
    row = np.empty(n2, x.dtype)
    for i in range(i0, i1):
        xm, xc, xp = _around(x, i)
        for j in range(n1):
            _row(diag, g0, g1, g2, xm, xc, xp, i, j, row)
            if smooth:
                _smooth_row(diag, b, xc, row, out, i, j, w)
            else:
                for k in range(n2):
                    out[i, j, k] = b[i, j, k] - row[k]


@numba.njit(inline="always", fastmath=True)
def _scaled_layer(b, diag, w, i, dest):
    """``dest = (b[i] / diag[i]) w``: the first damped-Jacobi iterate from zero, one layer."""
    n1, n2 = dest.shape
    for j in range(n1):
        for k in range(n2):
            dest[j, k] = b[i, j, k] / diag[i, j, k] * w


@numba.njit(**_OPTIONS)
def sweep_from_zero(diag, g0, g1, g2, b, out, omega, i0, i1):
    """Two damped-Jacobi sweeps from ``x = 0`` on the layers ``i0 .. i1-1``: ``out = x1 + omega
    (b - A x1) / diag`` with ``x1 = omega b / diag`` computed on the fly (never stored)."""
    n0, n1, n2 = b.shape
    w = b.dtype.type(omega)
    ring = np.empty((3, n1, n2), b.dtype)  # x1 on layers i-1, i, i+1 at ring[(i + 2) % 3] ...
    row = np.empty(n2, b.dtype)
    if i0 > 0:
        _scaled_layer(b, diag, w, i0 - 1, ring[(i0 - 1) % 3])
    _scaled_layer(b, diag, w, i0, ring[i0 % 3])
    for i in range(i0, i1):
        if i + 1 < n0:
            _scaled_layer(b, diag, w, i + 1, ring[(i + 1) % 3])
        xm, xc, xp = ring[(i + 2) % 3], ring[i % 3], ring[(i + 1) % 3]
        for j in range(n1):
            _row(diag, g0, g1, g2, xm, xc, xp, i, j, row)
            _smooth_row(diag, b, xc, row, out, i, j, w)


@numba.njit(inline="always", fastmath=True)
def _prolonged_layer(x, e, active, i, dest, spread):
    """``dest = x[i] + P e`` on the active voxels of layer ``i`` (piecewise constant);
    ``spread`` is a row of scratch (the coarse row repeated twice along the last axis)."""
    n1, n2 = dest.shape
    zero = dest.dtype.type(0)
    for j in range(n1):
        if j % 2 == 0:
            coarse = e[i // 2, j // 2]
            for m in range(n2 // 2):
                spread[2 * m] = coarse[m]
                spread[2 * m + 1] = coarse[m]
            if n2 % 2:
                spread[n2 - 1] = coarse[n2 // 2]
        for k in range(n2):
            dest[j, k] = x[i, j, k] + (spread[k] if active[i, j, k] else zero)


@numba.njit(**_OPTIONS)
def prolong_sweep(diag, g0, g1, g2, x, e, active, b, out, q, omega, dots, parts, i0, i1):
    """``out = y + omega (b - A y) / diag`` with ``y = x + P e`` (the coarse correction, never
    stored) on the layers ``i0 .. i1-1``; with ``dots``, each layer's share of ``out . b`` and
    ``out . q`` (float64) in ``parts[i]``."""
    n0, n1, n2 = x.shape
    w = x.dtype.type(omega)
    zero = x.dtype.type(0)
    ring = np.empty((3, n1, n2), x.dtype)
    row = np.empty(n2, x.dtype)
    spread = np.empty(n2, x.dtype)
    if i0 > 0:
        _prolonged_layer(x, e, active, i0 - 1, ring[(i0 - 1) % 3], spread)
    _prolonged_layer(x, e, active, i0, ring[i0 % 3], spread)
    for i in range(i0, i1):
        zb = 0.0
        zq = 0.0
        if i + 1 < n0:
            _prolonged_layer(x, e, active, i + 1, ring[(i + 1) % 3], spread)
        xm, xc, xp = ring[(i + 2) % 3], ring[i % 3], ring[(i + 1) % 3]
        for j in range(n1):
            _row(diag, g0, g1, g2, xm, xc, xp, i, j, row)
            _smooth_row(diag, b, xc, row, out, i, j, w)
            if dots:  # a row in the working precision, the rows in float64
                sb = zero
                sq = zero
                for k in range(n2):
                    sb += out[i, j, k] * b[i, j, k]
                    sq += out[i, j, k] * q[i, j, k]
                zb += np.float64(sb)
                zq += np.float64(sq)
        if dots:
            parts[i, 0] = zb
            parts[i, 1] = zq


@numba.njit(**_OPTIONS)
def apply_dots(diag, g0, g1, g2, p, q, a, c, parts, i0, i1):
    """``q = A p`` on the layers ``i0 .. i1-1``, with each layer's share of ``p . q``, ``p . a``
    and ``p . c`` (float64) in ``parts[i]``."""
    n0, n1, n2 = p.shape
    zero = p.dtype.type(0)
    for i in range(i0, i1):
        pq = 0.0
        pa = 0.0
        pc = 0.0
        pm, pcur, pp = _around(p, i)
        for j in range(n1):
            _row(diag, g0, g1, g2, pm, pcur, pp, i, j, q[i, j])
            s0 = zero  # a row in the working precision, the rows in float64
            s1 = zero
            s2 = zero
            for k in range(n2):
                v = p[i, j, k]
                s0 += q[i, j, k] * v
                s1 += a[i, j, k] * v
                s2 += c[i, j, k] * v
            pq += np.float64(s0)
            pa += np.float64(s1)
            pc += np.float64(s2)
        parts[i, 0] = pq
        parts[i, 1] = pa
        parts[i, 2] = pc


@numba.njit(**_OPTIONS)
def apply_dot(diag, g0, g1, g2, p, q, parts, i0, i1):
    """``q = A p`` on the layers ``i0 .. i1-1``, with each layer's share of ``p . q`` (float64)
    in ``parts[i, 0]``."""
    n0, n1, n2 = p.shape
    for i in range(i0, i1):
        total = 0.0
        pm, pc, pp = _around(p, i)
        for j in range(n1):
            _row(diag, g0, g1, g2, pm, pc, pp, i, j, q[i, j])
            s = p.dtype.type(0)  # a row in the working precision, the rows in float64
            for k in range(n2):
                s += q[i, j, k] * p[i, j, k]
            total += np.float64(s)
        parts[i, 0] = total


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
            xm, xc, xp = _around(x, i)
            for j in range(n1):
                _row(diag, g0, g1, g2, xm, xc, xp, i, j, row)
                for k in range(n2):
                    row[k] = b[i, j, k] - row[k]
                target = coarse[c, j // 2]
                for m in range(n2 // 2):  # pairs along the row: an interleaved, vector load
                    target[m] += row[2 * m] + row[2 * m + 1]
                if n2 % 2:
                    target[c2 - 1] += row[n2 - 1]


@numba.njit(**_OPTIONS)
def cg_update(x, r, p, q, alpha, layer_sums, i0, i1):
    """``x += alpha p`` and ``r -= alpha q`` on the layers ``i0 .. i1-1``, with the sum of the
    new ``r`` over each layer (float64) in ``layer_sums[i]``."""
    n0, n1, n2 = x.shape
    a = x.dtype.type(alpha)
    for i in range(i0, i1):
        s = 0.0
        for j in range(n1):
            t = 0.0
            for k in range(n2):
                x[i, j, k] += p[i, j, k] * a
                v = r[i, j, k] - q[i, j, k] * a
                r[i, j, k] = v
                t += np.float64(v)
            s += t
        layer_sums[i] = s
    return 0.0


@numba.njit(inline="always")
def _find(parent, a):
    while parent[a] != a:  # path halving
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@numba.njit(inline="always")
def _union(parent, a, b):
    """Join the trees of ``a`` and ``b``; the smaller root becomes the parent (so labels
    resolve in one forward pass)."""
    a = _find(parent, a)
    b = _find(parent, b)
    if a < b:
        parent[b] = a
    elif b < a:
        parent[a] = b


@numba.njit(cache=True, nogil=True)
def percolating(conducting, mask):
    """``mask`` = the voxels of ``conducting`` in a face-connected cluster that touches both
    layer 0 and layer -1 (axis 0; no periodic sides). Two passes: runs along the last axis get
    provisional labels joined to the runs they touch in the previous row and layer
    (union-find), then each voxel takes its cluster's verdict."""
    n0, n1, n2 = conducting.shape
    runs = 0  # a first, light pass: the number of runs sizes the union-find
    for i in range(n0):
        for j in range(n1):
            before = False
            for k in range(n2):
                now = conducting[i, j, k]
                runs += now and not before
                before = now
    labels = np.zeros((n0, n1, n2), np.int32)
    parent = np.arange(runs + 1, dtype=np.int32)
    count = 0
    last_up = 0
    last_below = 0
    for i in range(n0):
        for j in range(n1):
            for k in range(n2):
                if not conducting[i, j, k]:
                    continue
                if k == 0 or not conducting[i, j, k - 1]:
                    count += 1  # a new run: joined afresh to what it touches
                    last_up = 0
                    last_below = 0
                labels[i, j, k] = count
                if j > 0:
                    up = labels[i, j - 1, k]
                    if up != 0 and up != last_up:
                        _union(parent, count, up)
                        last_up = up
                if i > 0:
                    below = labels[i - 1, j, k]
                    if below != 0 and below != last_below:
                        _union(parent, count, below)
                        last_below = below
    for a in range(1, count + 1):  # every parent has a smaller label: resolved in order
        parent[a] = parent[parent[a]]
    touches = np.zeros(count + 1, np.uint8)  # bit 1: layer 0, bit 2: layer -1
    for j in range(n1):
        for k in range(n2):
            touches[parent[labels[0, j, k]]] |= 1
            touches[parent[labels[n0 - 1, j, k]]] |= 2
    touches[0] = 0  # the background
    kept = 0
    for i in range(n0):
        for j in range(n1):
            for k in range(n2):
                on = touches[parent[labels[i, j, k]]] == 3
                mask[i, j, k] = on
                kept += on
    return kept


@numba.njit(inline="always")
def _half_resistance(s, i, h):
    """``h = 0.5 / s[i]``: inf on an absent voxel, so that each of its links is exactly 0."""
    n1, n2 = h.shape
    for j in range(n1):
        for k in range(n2):
            h[j, k] = 0.5 / s[i, j, k]  # in float64, rounded once to the working precision


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lattice(s, g0, g1, g2, diag, active, inlet, outlet, small, i0, i1):
    """Link conductances ``1 / (h_a + h_b)`` (``h = 1 / (2 sigma)``: 0 where a voxel is absent),
    the diagonal (the sum of a voxel's links and electrode contacts, in the order of
    ``multigrid._Level``; 1 on absent voxels) and the mask of present voxels, on the layers
    ``i0 .. i1-1``, in the working precision without fast-math (the same numbers as the NumPy
    lattice), a layer at a time while it is in cache. With ``small`` of shape (4, n0, n1, n2)
    (bytes: diagonal and links) the whole-number values are copied there too. Returns the
    largest diagonal."""
    n0, n1, n2 = s.shape
    one = s.dtype.type(1)
    zero = one - one
    h = np.empty((2, n1, n2), s.dtype)
    below = np.zeros((n1, n2), s.dtype)  # g0 of layer i - 1
    row = np.empty(n2, s.dtype)
    copy = small.shape[0] == 4
    _half_resistance(s, i0, h[i0 % 2])
    if i0 > 0:  # the links to layer i0 - 1 belong to another run: the same arithmetic here
        hb = h[(i0 + 1) % 2]
        _half_resistance(s, i0 - 1, hb)
        hc = h[i0 % 2]
        for j in range(n1):
            for k in range(n2):
                below[j, k] = one / (hb[j, k] + hc[j, k])
    largest = 0.0
    for i in range(i0, i1):
        hc = h[i % 2]
        hn = h[(i + 1) % 2]
        if i + 1 < n0:
            _half_resistance(s, i + 1, hn)
        for j in range(n1):
            if i + 1 < n0:
                for k in range(n2):
                    g0[i, j, k] = one / (hc[j, k] + hn[j, k])
            else:
                for k in range(n2):
                    g0[i, j, k] = zero
            if j + 1 < n1:
                for k in range(n2):
                    g1[i, j, k] = one / (hc[j, k] + hc[j + 1, k])
            else:
                for k in range(n2):
                    g1[i, j, k] = zero
            for k in range(n2 - 1):
                g2[i, j, k] = one / (hc[j, k] + hc[j, k + 1])
            g2[i, j, n2 - 1] = zero
        for j in range(n1):
            for k in range(n2):
                row[k] = g0[i, j, k]
            if i > 0:
                for k in range(n2):
                    row[k] += below[j, k]
            for k in range(n2):
                row[k] += g1[i, j, k]
            if j > 0:
                for k in range(n2):
                    row[k] += g1[i, j - 1, k]
            for k in range(n2):
                row[k] += g2[i, j, k]
            for k in range(1, n2):
                row[k] += g2[i, j, k - 1]
            if i == 0:
                for k in range(n2):
                    row[k] += inlet[j, k]
            if i == n0 - 1:
                for k in range(n2):
                    row[k] += outlet[j, k]
            for k in range(n2):
                d = row[k]
                on = d > 0
                active[i, j, k] = on
                d = d if on else one
                diag[i, j, k] = d
                largest = max(largest, np.float64(d))
                below[j, k] = g0[i, j, k]
            if copy:
                for k in range(n2):
                    small[0, i, j, k] = np.uint8(diag[i, j, k])
                    small[1, i, j, k] = np.uint8(g0[i, j, k])
                    small[2, i, j, k] = np.uint8(g1[i, j, k])
                    small[3, i, j, k] = np.uint8(g2[i, j, k])
    return largest


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=True)
def currents(v, g0, g1, g2, inlet, outlet, planes, j_axial, j_mag, heat, i0, i1):
    """The outputs of ``solve._currents`` on the layers ``i0 .. i1-1`` in one pass: the
    current through cross-section ``i`` (and ``n0`` on the last layer) into ``planes``, the
    axial current per voxel (mean of its two axial faces) into ``j_axial``, ``|j|`` from the
    face-averaged components into ``j_mag``, and the power dissipated in the links and electrode
    contacts each layer owns (each link once: the one to the next voxel along each axis) into
    ``heat[i]``.
    Products in the potential's precision, sums in float64."""
    n0, n1, n2 = v.shape
    one = v.dtype.type(1)
    half = v.dtype.type(0.5)
    lo = np.empty(n2, v.dtype)
    hi = np.empty(n2, v.dtype)
    fy = np.zeros(n2, v.dtype)
    fy_prev = np.empty(n2, v.dtype)
    fz = np.empty(n2, v.dtype)
    for i in range(i0, i1):
        layer_heat = 0.0
        plane = 0.0
        last_plane = 0.0
        for j in range(n1):
            h = 0.0
            if i == 0:
                for k in range(n2):
                    drop = one - v[i, j, k]
                    lo[k] = inlet[j, k] * drop
                    h += np.float64(lo[k] * drop)
            else:
                for k in range(n2):
                    lo[k] = g0[i - 1, j, k] * (v[i - 1, j, k] - v[i, j, k])
            if i == n0 - 1:
                for k in range(n2):
                    hi[k] = outlet[j, k] * v[i, j, k]
                    h += np.float64(hi[k] * v[i, j, k])
                for k in range(n2):
                    last_plane += np.float64(hi[k])
            else:
                for k in range(n2):
                    drop = v[i, j, k] - v[i + 1, j, k]
                    hi[k] = g0[i, j, k] * drop
                    h += np.float64(hi[k] * drop)
            for k in range(n2):
                plane += np.float64(lo[k])
            for k in range(n2):
                fy_prev[k] = fy[k] if j > 0 else 0
            if j < n1 - 1:
                for k in range(n2):
                    drop = v[i, j, k] - v[i, j + 1, k]
                    fy[k] = g1[i, j, k] * drop
                    h += np.float64(fy[k] * drop)
            else:
                for k in range(n2):
                    fy[k] = 0
            for k in range(n2 - 1):
                drop = v[i, j, k] - v[i, j, k + 1]
                fz[k] = g2[i, j, k] * drop
                h += np.float64(fz[k] * drop)
            fz[n2 - 1] = 0
            layer_heat += h
            for k in range(n2):
                axial = (hi[k] + lo[k]) * half
                j_axial[i, j, k] = axial
                cy = (fy[k] + fy_prev[k]) * half
                cz = (fz[k] + (fz[k - 1] if k > 0 else 0)) * half
                j_mag[i, j, k] = np.sqrt(axial * axial + cy * cy + cz * cz)
        planes[i] = plane
        heat[i] = layer_heat
        if i == n0 - 1:
            planes[n0] = last_plane
