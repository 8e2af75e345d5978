"""Matrix-free conjugate gradients preconditioned by aggregation multigrid on the voxel grid.

The conductance matrix of a voxel image is a weighted graph Laplacian on a regular grid (plus
the electrode links on the diagonal), stored here as three arrays of face conductances, so it
never has to be assembled. Coarse levels aggregate 2 x 2 x 2 voxels: with piecewise-constant
prolongation the Galerkin product ``P^T A P`` is again a 7-point conductance lattice whose
face conductances are the sums of the fine ones across each block face, so every level is
built with a few slices and sums. Unsmoothed aggregation needs help on the coarse levels: each
coarse problem is solved by two Krylov-accelerated cycles (Notay's K-cycle, Numer. Linear
Algebra Appl. 15, 473 (2008)), with damped-Jacobi sweeps around each coarse correction (see
``_SMOOTHING``; the first sweep from a zero start is free); as the K-cycle is not a
fixed linear operator, the outer iteration is flexible (Polak-Ribiere) CG. Arrays are float32
unless the caller asks for float64; the cross-section currents are accumulated in float64, and
when float32 rounding stops the iteration short of the flux criterion the solution is refined
in float64 (see :func:`solve_potential`).

The arrays are NumPy arrays or PyTorch tensors (CPU or CUDA), whichever :func:`lattice` was
given (see :mod:`ssblab.backend`); the few kernels that differ (the operator product, the
smoother, the prolongation, the coarsest solve) have one branch each. On the torch path the
scalars of the iteration stay on the device: the only host transfer per outer iteration is
the convergence check (a vector of ``n + 2`` numbers). With Numba installed (the ``fast``
extra) the NumPy path runs its passes as compiled kernels (:mod:`._mg_numba`), each fusing several
NumPy passes (sweeps with the first iterate, the prolongation or the dots; the CG update with
the flux estimate), and a lattice of whole-number conductances (one conducting phase) is read
as bytes; ``SSBLAB_GMG_KERNELS=numpy`` keeps the NumPy kernels, which stay the reference.

This is the default kernel of :func:`ssblab.microstructure.solve.solve` for no-flux sides
(``method="gmg"``); pyamg's algebraic multigrid remains available (``"sa"``, ``"rs"``).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import os

import numpy as np

#: damped-Jacobi smoothing per working precision: (sweeps before the coarse correction besides
#: the free first one, sweeps after, omega). The spectrum of D^-1 A lies in (0, 2], so any
#: omega < 1 converges. float32 solves stop at loose tolerances, where the cheaper cycle won
#: (pellets at 128^3 and 256^3: 7 and 8 cycles either way, 20 % less time); float64 solves aim
#: at tight ones, where hard media (contrast 1e3) needed 65 cycles with the stronger smoothing
#: and 96, with stalls, with the cheaper one.
_SMOOTHING = {"float32": (1, 1, 0.8), "float64": (1, 2, 2.0 / 3.0)}
_COARSEST = 1000     # unknowns below which the coarse problem is factorised
_DENSE = 1500        # torch: coarsest problems up to this size are solved by a dense inverse
#: (iterations, factor): the best cross-section spread must fall by ``factor`` within that many
#: iterations, else the working precision counts as exhausted. float32 only restarts
#: (refinement in float64), so it may give up early; in float64 a stall ends the solve, and
#: rounding only limits it near 1e-12, so the rule there only catches a spread that stopped
#: falling at all: near the percolation threshold at contrast 1e4 the spread falls 2x per
#: 10-15 iterations, rising and falling on the way (the old float64 rule, halving in 12,
#: ended such solves at a spread of 5e-3).
_STALL = {"float32": (5, 0.5), "float64": (40, 0.9)}
_SLAB = 16           # layers per slab in the float64 residual and plane sums
_CHUNK = 1 << 17     # voxels per chunk of the operator product (a few hundred kB per array)
_MAX_THREADS = 8     # NumPy path: threads that share the chunks of a sweep
_SERIAL = 2 * _CHUNK  # compiled kernels: grids below this many voxels run in the calling thread


def _compiled():
    """The Numba kernels (:mod:`._mg_numba`), or None: Numba is not installed, or
    ``SSBLAB_GMG_KERNELS=numpy`` asks for the NumPy reference kernels."""
    if os.environ.get("SSBLAB_GMG_KERNELS", "").lower() == "numpy":
        return None
    return _load_kernels()


@functools.cache
def _load_kernels():
    try:
        import ssblab.microstructure._mg_numba as kernels
    except (ImportError, RuntimeError):  # no Numba, or no writable cache for it
        return None
    return kernels


def _layers(level, kernel, *, n=None, parts: int = 0):
    """Run a compiled ``kernel(i0, i1)`` over the ``n`` layers (axis 0; the level's by default),
    one contiguous run per chunk thread (as :func:`_for_chunks` shares its chunks; a kernel
    streams its layers, and one run per thread halves the layers that the kernels with a ring
    buffer compute twice); grids below ``_SERIAL`` voxels run in the calling thread.

    With ``parts`` the kernel is ``kernel(i0, i1, sums)`` and writes each layer's float64
    partial sums into ``sums[i, :parts]``; they are added in layer order, so the result does not
    depend on the thread count. Returns a float (``parts == 1``), a tuple, or None."""
    n0 = level.shape[0] if n is None else n
    per = n0 if level.size < _SERIAL else -(-n0 // _threads())
    sums = np.zeros((n0, parts)) if parts else None

    def body(a, b, _):
        if parts:
            kernel(a, b, sums)
        else:
            kernel(a, b)

    if n0 <= per:
        body(0, n0, None)
    else:
        _for_chunks(n0, np.float32, body, chunk=per)
    if not parts:
        return None
    total = sums.sum(axis=0)
    return float(total[0]) if parts == 1 else tuple(float(v) for v in total)


def _is_torch(a) -> bool:
    return type(a).__module__.startswith("torch")


def _dtype_name(a) -> str:
    return str(a.dtype).removeprefix("torch.")


def _sum64(a, axes):
    """Sum over ``axes`` accumulated in float64 (either array library)."""
    if _is_torch(a):
        import torch

        return a.sum(dim=axes, dtype=torch.float64)
    return a.sum(axis=axes, dtype=np.float64)


def _cat(arrays, axis=0):
    if _is_torch(arrays[0]):
        import torch

        return torch.cat(arrays, dim=axis)
    return np.concatenate(arrays, axis=axis)


def _copy(a):
    return a.clone() if _is_torch(a) else a.copy()


def _dot(a, b):
    """``a . b``: a float for NumPy, a 0-d tensor (no host sync) for torch.

    NumPy: a chunk at a time on the chunk threads, the chunks' sums added in float64; not with
    BLAS, whose own threads spin against ours on a busy machine (1.8 ms instead of 0.05 ms for
    a 32^3 float64 dot at load 8).
    """
    if _is_torch(a):
        import torch

        return torch.dot(a.reshape(-1), b.reshape(-1))
    af, bf = a.reshape(-1), b.reshape(-1)
    if af.size <= _CHUNK:
        return _partial_dot(af, bf)
    parts = np.zeros(-(-af.size // _CHUNK))

    def body(i, j, t):
        parts[i // _CHUNK] = _partial_dot(af[i:j], bf[i:j])

    _for_chunks(af.size, a.dtype, body)
    return float(parts.sum())


def _apply_dot(level: _Level, p, q):
    """``q = A p`` and ``p . q``; NumPy: the dot of each chunk while it is in cache."""
    if level.torch:
        apply(level, p, q)
        return _dot(p, q)
    kernels = _compiled()
    if kernels is not None:
        return _layers(level, lambda i0, i1, d: kernels.apply_dot(*level.kernel, p, q, d, i0, i1),
                       parts=1)
    pf, qf = p.reshape(-1), q.reshape(-1)
    parts = np.zeros(-(-pf.size // _CHUNK))

    def body(a, b, t):
        _apply_chunk(level, pf, qf, t, a, b)
        parts[a // _CHUNK] = _partial_dot(pf[a:b], qf[a:b])

    _for_chunks(pf.size, p.dtype, body)
    return float(parts.sum())


def _dots(z, a, b):
    """``(z . a, z . b)``: one pass over ``z`` (NumPy)."""
    if _is_torch(z):
        return _dot(z, a), _dot(z, b)
    zf, af, bf = z.reshape(-1), a.reshape(-1), b.reshape(-1)
    parts = np.zeros((2, -(-zf.size // _CHUNK)))

    def body(i, j, t):
        parts[0, i // _CHUNK] = _partial_dot(zf[i:j], af[i:j])
        parts[1, i // _CHUNK] = _partial_dot(zf[i:j], bf[i:j])

    _for_chunks(zf.size, z.dtype, body)
    return float(parts[0].sum()), float(parts[1].sum())


def _partial_dot(a, b):
    """One chunk's dot: einsum's SIMD loop (no BLAS threads; the chunk is small enough that
    accumulating in the working precision costs ~1e-8 relative), returned as a float."""
    return float(np.einsum("i,i->", a, b))


def _ratio(num, den):
    """``num / den`` where ``den > 0``, else 0 (a vanished direction adds nothing)."""
    if _is_torch(den):
        import torch

        return torch.where(den > 0, num / den, torch.zeros_like(den))
    return num / den if den > 0 else 0.0


def _host(*parts) -> np.ndarray:
    """Concatenate small float64 vectors and scalars into one host array: one sync on CUDA."""
    if _is_torch(parts[0]):
        import torch

        return torch.cat([p.reshape(-1).double() for p in parts]).cpu().numpy()
    return np.concatenate([np.ravel(p).astype(np.float64) for p in parts])


@dataclasses.dataclass
class _Level:
    """One lattice. ``g[ax]`` has the full grid shape: ``g[ax][i]`` joins voxel i to its
    neighbour at i + 1 along ``ax`` (0 on the last layer), so every product runs over one
    contiguous run of the flattened arrays.

    ``integral``: every conductance is a whole number (one conducting phase: links of 0 or 1 on
    the finest level, their block sums below). The compiled kernels then read the diagonal and
    the links as bytes where they fit (``kernel``: 4 bytes a voxel instead of 16; the kernels
    are bound by memory traffic), which is exact."""

    g: list
    inlet: np.ndarray  # electrode conductance of layer 0, shape (n1, n2)
    outlet: np.ndarray
    diag: np.ndarray = None  # 1 on absent voxels, where every vector is 0 (saves a mask)
    active: np.ndarray = None
    direct: object = None
    index: np.ndarray = None
    integral: bool = False
    kernel: tuple = None  # (diagonal, g0, g1, g2) as the compiled kernels read them


    def __post_init__(self):
        self.shape = tuple(self.g[0].shape)
        n0, n1, n2 = self.shape
        self.size = n0 * n1 * n2
        self.strides = (n1 * n2, n2, 1)
        self.torch = _is_torch(self.inlet)
        if self.diag is None:  # else the compiled lattice gave diagonal, mask and byte copies
            d = self.g[0].new_zeros(self.size) if self.torch else np.zeros(self.size, self.inlet.dtype)
            for s, g in zip(self.strides, self.g):
                flat = g.reshape(-1)[: self.size - s]
                d[: self.size - s] += flat
                d[s:] += flat
            d = d.reshape(self.shape)
            d[0] += self.inlet
            d[-1] += self.outlet
            self.active = d > 0
            d[~self.active] = 1
            self.diag = d
            if (self.integral and not self.torch and _compiled() is not None
                    and float(d.max()) <= np.iinfo(np.uint8).max):
                self.kernel = tuple(a.astype(np.uint8) for a in (d, *self.g))
        d = self.diag
        self.links = [g.reshape(-1)[: self.size - s] for s, g in zip(self.strides, self.g)]
        if self.kernel is None:
            self.kernel = (d, *self.g)
        # torch prolongs with a fused multiply-add by the mask (NumPy uses ``where=``)
        self.mask = self.active.to(d.dtype) if self.torch else None

    def share_byte_links(self):
        """Once coarsened, keep the links only as the compiled kernels' bytes (when they are
        bytes): every other use multiplies them into a float array. 12 bytes a voxel less
        (1.6 GB at 512^3)."""
        if self.kernel[1] is not self.g[0]:
            self.g = list(self.kernel[1:])
            self.links = [g.reshape(-1)[: self.size - s] for s, g in zip(self.strides, self.g)]


def apply(level: _Level, x, out):
    """``out = A x`` for the lattice of ``level``."""
    n = level.size
    xf, of = x.reshape(-1), out.reshape(-1)
    diag = level.diag.reshape(-1)
    if level.torch:
        # fused multiply-adds over the whole grid: one pass per link direction and side
        import torch

        torch.mul(diag, xf, out=of)
        for s, g in zip(level.strides, level.links):
            of[: n - s].addcmul_(g, xf[s:], value=-1)
            of[s:].addcmul_(g, xf[: n - s], value=-1)
        return out
    kernels = _compiled()
    if kernels is not None:
        _layers(level, lambda i0, i1, d: kernels.apply_dot(*level.kernel, x, out, d, i0, i1),
                parts=1)
        return out
    # NumPy: cache-sized chunks of the flattened grid (the scratch is one chunk, not a grid:
    # 4 bytes a voxel less at 512^3)
    _for_chunks(n, out.dtype, lambda a, b, t: _apply_chunk(level, xf, of, t, a, b))
    return out


def _threads() -> int:
    """Threads for the NumPy path: one per usable core, at most ``_MAX_THREADS``, and never more
    than ``OMP_NUM_THREADS`` when it is set (a sweep pins its workers' threads with it, so N
    points on N cores do not oversubscribe)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity call on this platform
        cores = os.cpu_count() or 1
    pinned = os.environ.get("OMP_NUM_THREADS", "")
    if pinned.isdigit() and int(pinned) > 0:
        cores = min(cores, int(pinned))
    return max(1, min(_MAX_THREADS, cores))


_POOL: dict = {}


def _for_chunks(n: int, dtype, body, *, chunk: int = _CHUNK) -> None:
    """Call ``body(a, b, scratch)`` for the cache-sized chunks ``[a, b)`` of ``range(n)``.

    NumPy's ufuncs release the GIL, so on a grid of several chunks the runs of chunks go to a
    small thread pool, one contiguous run per core (NumPy itself uses one core). Every body
    here writes only its own chunk of the output and reads the input, so the runs are
    independent.
    """
    threads = _threads()
    chunks = -(-n // chunk)
    if threads == 1 or chunks < 2:
        t = np.empty(min(n, chunk), dtype)
        for a in range(0, n, chunk):
            body(a, min(n, a + chunk), t)
        return
    per = -(-chunks // threads)

    def run(k):
        t = np.empty(chunk, dtype)
        for c in range(k * per, min(chunks, (k + 1) * per)):
            body(c * chunk, min(n, (c + 1) * chunk), t)

    key = (os.getpid(), threads)  # a forked child must not reuse its parent's threads
    if key not in _POOL:
        _POOL.clear()
        _POOL[key] = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="ssblab-gmg")
    list(_POOL[key].map(run, range(min(threads, chunks))))


def _apply_chunk(level, xf, of, t, a, b):
    """``of[a:b] = (A x)[a:b]`` on flat arrays, ``t`` a scratch of at least ``b - a``."""
    n = level.size
    np.multiply(level.diag.reshape(-1)[a:b], xf[a:b], out=of[a:b])
    for s, g in zip(level.strides, level.links):
        hi = min(b, n - s)  # links to i + s
        if hi > a:
            np.multiply(g[a:hi], xf[a + s:hi + s], out=t[: hi - a])
            of[a:hi] -= t[: hi - a]
        lo = max(a, s)  # links to i - s
        if b > lo:
            np.multiply(g[lo - s:b - s], xf[lo - s:b - s], out=t[: b - lo])
            of[lo:b] -= t[: b - lo]


def _sweep_numpy(level, x, b, out, *, omega=None):
    """``out = x + omega D^-1 (b - A x)`` (one damped-Jacobi sweep) or, without ``omega``,
    ``out = b - A x``: every step of a chunk while it is in cache."""
    kernels = _compiled()
    if kernels is not None:
        w, smooth = (0.0, False) if omega is None else (omega, True)
        _layers(level, lambda i0, i1: kernels.sweep(*level.kernel, x, b, out, w, smooth,
                                                    i0, i1))
        return out
    xf, bf, of = x.reshape(-1), b.reshape(-1), out.reshape(-1)
    diag = level.diag.reshape(-1)

    def body(a, e, t):
        o = of[a:e]
        _apply_chunk(level, xf, of, t, a, e)
        np.subtract(bf[a:e], o, out=o)
        if omega is not None:
            np.divide(o, diag[a:e], out=o)
            o *= omega
            o += xf[a:e]

    _for_chunks(level.size, x.dtype, body)
    return out


def _residual_restricted(level, x, b, out):
    """``P^T (b - A x)`` (NumPy), with ``out`` as the fine residual's scratch: a slab of layer
    pairs at a time on the chunk threads, each slab restricted while it is in cache (the
    fine residual is never read back from memory)."""
    f0, f1, f2 = level.shape
    plane = f1 * f2
    coarse = np.empty(tuple((n + 1) // 2 for n in level.shape), x.dtype)
    kernels = _compiled()
    if kernels is not None:
        _layers(level, lambda c0, c1: kernels.residual_restricted(*level.kernel, x, b,
                                                                  coarse, c0, c1),
                n=coarse.shape[0])
        return coarse
    xf, bf, of = x.reshape(-1), b.reshape(-1), out.reshape(-1)

    def layers(c0, c1, _):
        a, e = 2 * c0 * plane, min(2 * c1, f0) * plane
        t = np.empty(min(_CHUNK, e - a), x.dtype)
        for i in range(a, e, _CHUNK):
            j = min(e, i + _CHUNK)
            _apply_chunk(level, xf, of, t, i, j)
            np.subtract(bf[i:j], of[i:j], out=of[i:j])
        coarse[c0:c1] = _restrict(out[2 * c0:min(2 * c1, f0)])

    _for_chunks(coarse.shape[0], x.dtype, layers, chunk=max(1, _CHUNK // (2 * plane)))
    return coarse


def _pair_sum(a, axis):
    """Sum neighbouring pairs along ``axis`` (an odd last entry stands alone)."""
    even = a[(slice(None),) * axis + (slice(0, None, 2),)]
    odd = a[(slice(None),) * axis + (slice(1, None, 2),)]
    if odd.shape[axis] == even.shape[axis]:
        return even + odd
    out = _copy(even)
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
        if fine.dtype != level.inlet.dtype:  # byte links (shared): block sums overflow bytes
            fine = fine.astype(level.inlet.dtype)
        across = fine[(slice(None),) * ax + (slice(1, None, 2),)]
        missing = coarse_shape[ax] - across.shape[ax]
        if missing:
            pad = across[(slice(None),) * ax + (slice(0, missing),)] * 0
            across = _cat([across, pad], axis=ax)
        g.append(_block_sum(across, [i for i in range(3) if i != ax]))
    return _Level(g=g, inlet=_block_sum(level.inlet, [0, 1]), outlet=_block_sum(level.outlet, [0, 1]),
                  integral=level.integral)


def _restrict(r):
    """``P^T r``: sums over 2 x 2 x 2 blocks as pairwise sums, axis 0 first (contiguous halves;
    a strided 6-d reduction was 30x slower in NumPy)."""
    return _block_sum(r, [0, 1, 2])


def _prolong_add(level: _Level, x, e, *, slab: int = 8):
    """``x += P e`` on the active voxels of ``level`` (piecewise-constant prolongation).

    NumPy: a slab of coarse layers at a time (the block values expanded, masked by
    multiplication, added: a masked ``where=`` ufunc was 4x slower); torch: one fused
    multiply-add with the mask when the fine shape is even."""
    n0, n1, n2 = e.shape
    f0, f1, f2 = x.shape
    if level.torch:
        spread = e[:, None, :, None, :, None]
        if (f0, f1, f2) == (2 * n0, 2 * n1, 2 * n2):
            x.view(n0, 2, n1, 2, n2, 2).addcmul_(spread, level.mask.view(n0, 2, n1, 2, n2, 2))
            return x
        full = spread.expand(n0, 2, n1, 2, n2, 2).reshape(2 * n0, 2 * n1, 2 * n2)
        x.addcmul_(full[:f0, :f1, :f2], level.mask)
        return x
    def layers(c0, c1, _):
        rows = min(2 * c1, f0) - 2 * c0
        along = np.repeat(e[c0:c1], 2, axis=2)[:, :, :f2]
        full = np.empty((c1 - c0, 2, n1, 2, f2), x.dtype)
        full[...] = along[:, None, :, None, :]
        full = full.reshape(2 * (c1 - c0), 2 * n1, f2)[:rows, :f1]
        full *= level.active[2 * c0:2 * c0 + rows]
        x[2 * c0:2 * c0 + rows] += full

    _for_chunks(n0, x.dtype, layers, chunk=slab)  # slabs of coarse layers
    return x


def _factorise(level: _Level):
    """The coarsest problem: sparse LU on the host; on torch a dense inverse on the device
    when it is small (no host round trip per cycle)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    active = _to_numpy(level.active)
    diag = _to_numpy(level.diag)
    links = [_to_numpy(g) for g in level.links]
    n = int(active.sum())
    index = np.full(level.shape, -1, dtype=np.int64)
    index[active] = np.arange(n)
    rows, cols, vals = [np.arange(n)], [np.arange(n)], [diag[active].astype(float)]
    flat_index = index.ravel()
    for s, g in zip(level.strides, links):
        link = g > 0
        a, b = flat_index[: level.size - s][link], flat_index[s:][link]
        rows += [a, b]
        cols += [b, a]
        vals += [-g[link].astype(float)] * 2
    matrix = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    level.index = index
    level.direct = splu(matrix) if n else None
    level.dense = None
    if level.torch and 0 < n <= _DENSE:
        import torch

        inverse = np.linalg.inv(matrix.toarray())
        level.dense = torch.as_tensor(inverse, dtype=level.diag.dtype, device=level.diag.device)
        level.flat_active = torch.as_tensor(np.flatnonzero(active), device=level.diag.device)


def _to_numpy(a) -> np.ndarray:
    return a.detach().cpu().numpy() if _is_torch(a) else np.asarray(a)


class Hierarchy:
    """The multigrid levels for one conductance lattice; ``precondition(r)`` is one V-cycle."""

    def __init__(self, finest: _Level):
        self.levels = [finest]
        while np.prod(self.levels[-1].shape) > _COARSEST and min(self.levels[-1].shape) > 2:
            self.levels.append(_coarsen(self.levels[-1]))
        for level in self.levels[:-1]:
            level.share_byte_links()
        _factorise(self.levels[-1])
        self.pre, self.post, self.omega = _SMOOTHING[_dtype_name(finest.diag)]
        self._tmp = [_empty_like(lv.diag) for lv in self.levels]  # one work array per level

    def precondition(self, r, depth: int = 0, *, out=None):
        level = self.levels[depth]
        if depth == len(self.levels) - 1:
            return _coarsest_solve(level, r)
        ax = self._tmp[depth]
        if not level.torch:
            return self._cycle_numpy(level, r, depth, out)[0]
        # the first sweep from zero costs no product
        import torch

        x = torch.div(r, level.diag, out=out) if out is not None else r / level.diag
        x *= self.omega
        for _ in range(self.pre):
            self._jacobi(level, x, r, ax)
        apply(level, x, ax)
        torch.sub(r, ax, out=ax)
        correction = self._coarse_solve(_restrict(ax), depth + 1)
        _prolong_add(level, x, correction)
        for _ in range(self.post):
            self._jacobi(level, x, r, ax)
        return x

    def precondition_dots(self, r, q, *, out=None):
        """``(z, z . r, z . q)`` with ``z`` the finest cycle on ``r``; the compiled kernels take
        both dots in the cycle's last sweep (no pass of their own)."""
        dots = None
        if len(self.levels) > 1 and not self.levels[0].torch:
            z, dots = self._cycle_numpy(self.levels[0], r, 0, out, q)
        else:
            z = self.precondition(r, out=out)
        return (z, *(_dots(z, r, q) if dots is None else dots))

    def _cycle_numpy(self, level, r, depth, out, q=None):
        """The same cycle with fused, chunked sweeps that alternate between two buffers;
        the first one is chosen so that the last sweep lands in ``out``. Returns the result
        and, when the compiled kernels took them, ``(z . r, z . q)`` (else None)."""
        x = np.empty_like(r) if out is None else out
        buffers = [x, self._tmp[depth]]
        cur = 1 if (self.pre + self.post) % 2 else 0  # the first sweep from zero costs no product
        kernels = _compiled()
        if kernels is not None and self.pre >= 1 and self.post >= 1:
            return self._cycle_compiled(kernels, level, r, depth, buffers, cur, q)
        rf, df, first = r.reshape(-1), level.diag.reshape(-1), buffers[cur].reshape(-1)

        def scaled(a, b, t):
            np.divide(rf[a:b], df[a:b], out=first[a:b])
            first[a:b] *= self.omega

        _for_chunks(level.size, r.dtype, scaled)
        for _ in range(self.pre):
            _sweep_numpy(level, buffers[cur], r, buffers[1 - cur], omega=self.omega)
            cur = 1 - cur
        coarse = _residual_restricted(level, buffers[cur], r, buffers[1 - cur])
        correction = self._coarse_solve(coarse, depth + 1)
        _prolong_add(level, buffers[cur], correction)
        for _ in range(self.post):
            _sweep_numpy(level, buffers[cur], r, buffers[1 - cur], omega=self.omega)
            cur = 1 - cur
        return buffers[cur], None

    def _cycle_compiled(self, kernels, level, r, depth, buffers, cur, q):
        """:meth:`_cycle_numpy` in compiled kernels: the free sweep and the first pre-sweep in
        one pass, the prolongation inside the first post-sweep, and (with ``q``, when that is
        the last sweep) the dots of the result with ``r`` and ``q`` inside it too."""
        w = self.omega
        x = buffers[1 - cur]
        _layers(level, lambda i0, i1: kernels.sweep_from_zero(*level.kernel, r, x, w, i0, i1))
        cur = 1 - cur
        for _ in range(self.pre - 1):
            _sweep_numpy(level, buffers[cur], r, buffers[1 - cur], omega=w)
            cur = 1 - cur
        coarse = _residual_restricted(level, buffers[cur], r, None)
        e = self._coarse_solve(coarse, depth + 1)
        fused = q is not None and self.post == 1
        x, y = buffers[cur], buffers[1 - cur]
        dots = _layers(level, lambda i0, i1, d: kernels.prolong_sweep(
            *level.kernel, x, e, level.active, r, y, q if fused else r, w, fused, d, i0, i1),
            parts=2)
        cur = 1 - cur
        for _ in range(self.post - 1):
            _sweep_numpy(level, buffers[cur], r, buffers[1 - cur], omega=w)
            cur = 1 - cur
        return buffers[cur], (dots if fused else None)

    def _coarse_solve(self, rc, depth):
        """Two Krylov-accelerated coarse cycles (Notay's K-cycle); one plain one on the coarsest.

        Written without branches on the scalars, so a GPU never waits for the host here."""
        if depth == len(self.levels) - 1:
            return self.precondition(rc, depth)
        level = self.levels[depth]
        ax = self._tmp[depth]
        kernels = None if level.torch else _compiled()
        if kernels is not None:
            return self._coarse_solve_compiled(kernels, level, rc, depth, ax)
        v1 = self.precondition(rc, depth)
        w1 = apply(level, v1, _empty_like(v1))
        rho1 = _dot(v1, w1)
        a1 = _ratio(_dot(v1, rc), rho1)
        r2 = w1 * -a1  # rc - a1 w1 with one temporary, not two
        r2 += rc
        v2 = self.precondition(r2, depth)
        w2 = apply(level, v2, ax)
        gamma = _dot(v2, w1)
        beta = _dot(v2, w2) - _ratio(gamma * gamma, rho1)
        a2 = _ratio(_dot(v2, r2), beta)
        v1 *= a1 - _ratio(gamma * a2, rho1)  # v1 is this call's own (a new array)
        _axpy(a2, v2, v1)
        return v1

    def _coarse_solve_compiled(self, kernels, level, rc, depth, ax):
        """:meth:`_coarse_solve` with every dot taken in the pass of an operator product."""
        v1 = self.precondition(rc, depth)
        w1 = np.empty_like(v1)
        rho1, v1_rc, _ = _layers(level, lambda i0, i1, d: kernels.apply_dots(
            *level.kernel, v1, w1, rc, rc, d, i0, i1), parts=3)
        a1 = _ratio(v1_rc, rho1)
        r2 = w1 * -a1
        r2 += rc
        v2 = self.precondition(r2, depth)
        v2_w2, gamma, v2_r2 = _layers(level, lambda i0, i1, d: kernels.apply_dots(
            *level.kernel, v2, ax, w1, r2, d, i0, i1), parts=3)
        beta = v2_w2 - _ratio(gamma * gamma, rho1)
        a2 = _ratio(v2_r2, beta)
        v1 *= a1 - _ratio(gamma * a2, rho1)
        _axpy(a2, v2, v1)
        return v1

    def _jacobi(self, level, x, b, ax):
        import torch

        apply(level, x, ax)
        torch.sub(b, ax, out=ax)
        x.addcdiv_(ax, level.diag, value=self.omega)


def _empty_like(a):
    return a.new_empty(a.shape) if _is_torch(a) else np.empty_like(a)


def _coarsest_solve(level, r):
    x = r * 0
    if level.direct is None:
        return x
    if level.torch and level.dense is not None:
        x.view(-1)[level.flat_active] = level.dense @ r.reshape(-1)[level.flat_active]
        return x
    on = level.index >= 0
    solution = level.direct.solve(_to_numpy(r)[on].astype(float))
    if level.torch:
        import torch

        host = np.zeros(level.shape, _dtype_name(r))
        host[on] = solution
        return torch.as_tensor(host, device=r.device)
    x[on] = solution
    return x


def lattice(sigma: np.ndarray, *, dtype=np.float32, backend=None,
            unit_conductivity: bool = False) -> _Level:
    """The finest level for a conductivity array (axis 0 is the transport direction).

    Voxels with conductivity 0 are absent; the electrodes hold the faces of layers 0 and -1.
    ``backend`` (a :class:`ssblab.backend.Backend`; NumPy when omitted) says where the
    arrays live. ``unit_conductivity`` says that every conductivity is 0 or 1 (one conducting
    phase, scaled), so that every conductance is a whole number (see :class:`_Level`).
    """
    if backend is not None and backend.name == "torch":
        import torch

        s = backend.asarray(np.ascontiguousarray(sigma), dtype=np.dtype(dtype).name)
        g = []
        for ax in range(3):
            lo = s[(slice(None),) * ax + (slice(None, -1),)]
            hi = s[(slice(None),) * ax + (slice(1, None),)]
            total = lo + hi
            full = torch.zeros_like(s)
            full[(slice(None),) * ax + (slice(None, -1),)] = torch.where(
                total > 0, 2 * lo * hi / torch.where(total > 0, total, 1), 0)
            g.append(full)
        return _Level(g=g, inlet=2 * s[0], outlet=2 * s[-1])
    s = np.ascontiguousarray(sigma, dtype=dtype)
    n0 = s.shape[0]
    g = [np.empty_like(s) for _ in range(3)]
    kernels = _compiled()
    if kernels is not None:
        return _lattice_compiled(kernels, s, g, unit_conductivity)

    # 2 a b / (a + b) = 1 / (h_a + h_b) with h = 1 / (2 sigma): two passes per direction
    # instead of five; h = inf on an absent voxel gives a link of exactly 0
    def layers(i0, i1, _):  # links of layers i0 .. i1-1 (to the next layer: below the last)
        last = min(i1, n0 - 1)
        with np.errstate(divide="ignore"):  # per thread: errstate is thread-local
            h = np.divide(0.5, s[i0:last + 1])
            if last > i0:
                np.add(h[: last - i0], h[1:last - i0 + 1], out=g[0][i0:last])
                np.divide(1.0, g[0][i0:last], out=g[0][i0:last])
            if i1 == n0:
                g[0][-1] = 0
            h = h[: i1 - i0]
            for ax, lo, hi in ((1, np.s_[:, :-1], np.s_[:, 1:]),
                               (2, np.s_[:, :, :-1], np.s_[:, :, 1:])):
                out = g[ax][i0:i1][lo]
                np.add(h[lo], h[hi], out=out)
                np.divide(1.0, out, out=out)
            g[1][i0:i1, -1] = 0
            g[2][i0:i1, :, -1] = 0

    _for_chunks(n0, s.dtype, layers, chunk=_SLAB)
    return _Level(g=g, inlet=2 * s[0], outlet=2 * s[-1], integral=unit_conductivity)


def _lattice_compiled(kernels, s, g, unit_conductivity):
    """:func:`lattice` in one compiled pass (links, diagonal, mask, and the byte copies of
    whole-number conductances), one run of layers per chunk thread."""
    diag, active = np.empty_like(s), np.empty(s.shape, bool)
    small = np.empty((4, *s.shape) if unit_conductivity else (0, 1, 1, 1), np.uint8)
    inlet, outlet = 2 * s[0], 2 * s[-1]
    n0 = s.shape[0]
    largest = []

    def run(i0, i1, _):
        largest.append(kernels.lattice(s, *g, diag, active, inlet, outlet, small, i0, i1))

    _for_chunks(n0, s.dtype, run, chunk=n0 if s.size < _SERIAL else -(-n0 // _threads()))
    fits = unit_conductivity and max(largest) <= np.iinfo(np.uint8).max
    return _Level(g=g, inlet=inlet, outlet=outlet, diag=diag, active=active,
                  integral=unit_conductivity, kernel=tuple(small) if fits else None)


def plane_currents(level: _Level, x, *, electrode: bool = True):
    """Current through each of the n0+1 cross-sections for electrode potentials 1 and 0.

    ``electrode=False`` gives the currents of a correction ``x`` (both electrodes at 0). Sums
    run in float64, a slab of layers at a time, so a float64 ``x`` costs no full-size temporary.
    """
    n0 = level.shape[0]
    g0 = level.g[0]
    inner = []
    for i0 in range(0, n0 - 1, _SLAB):
        i1 = min(n0 - 1, i0 + _SLAB)
        inner.append(_sum64(g0[i0:i1] * (x[i0:i1] - x[i0 + 1:i1 + 1]), (1, 2)))
    first = _sum64(level.inlet * ((1 - x[0]) if electrode else -x[0]), (0, 1))
    last = _sum64(level.outlet * x[-1], (0, 1))
    return _cat([first.reshape(1), *inner, last.reshape(1)])


def _plane_estimate(level: _Level, x, r, electrode: bool):
    """The cross-section currents read from the residual, without a pass over the links.

    Lateral links cancel in the sum of ``A x`` over a layer, so the residual summed over
    layer k is the current entering it minus the current leaving it: ``J[k+1] = J[k] -
    sum_k r``. With the inlet current ``J[0]`` (one layer) every plane follows. ``r`` is the
    recursively updated residual; it drifts from ``b - A x`` by rounding, so a converged
    estimate is confirmed with :func:`plane_currents` before the solve stops.
    Returns the device vector ``[J0, sum_0 r, ..., sum_{n0-1} r]``.
    """
    first = _sum64(level.inlet * ((1 - x[0]) if electrode else -x[0]), (0, 1))
    layers = r.reshape(r.shape[0], -1)
    # NumPy: pairwise sums in the working precision (4x faster than a float64 accumulation;
    # error ~log2(n) ulp of sum |r|, far below any flux_tol, and the stop is confirmed in float64)
    sums = _sum64(layers, (1,)) if level.torch else layers.sum(axis=1).astype(np.float64)
    return _cat([first.reshape(1), sums])


def _update(level: _Level, alpha, p, q, x, r, electrode: bool):
    """The CG step ``x += alpha p``, ``r -= alpha q``; returns :func:`_plane_estimate` of the new
    ``x`` and ``r`` (the compiled kernel sums the layers of ``r`` in the same pass)."""
    kernels = None if level.torch else _compiled()
    if kernels is None or not (x.flags.c_contiguous and r.flags.c_contiguous):
        _axpy(alpha, p, x)
        _axpy(-alpha, q, r)
        return _plane_estimate(level, x, r, electrode)
    sums = np.empty(level.shape[0])
    _layers(level, lambda i0, i1: kernels.cg_update(x, r, p, q, alpha, sums, i0, i1))
    first = _sum64(level.inlet * ((1 - x[0]) if electrode else -x[0]), (0, 1))
    return np.concatenate([np.reshape(first, 1), sums])


def _planes_from_estimate(packed: np.ndarray, base) -> np.ndarray:
    j0, layer_sums = packed[0], packed[1:]
    planes = j0 - np.concatenate([[0.0], np.cumsum(layer_sums)])
    return planes if base is None else planes + base[0]


def _residual(level: _Level, x, out):
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
        ax = xs * 0
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
        if level.torch:
            out[i0:i1] = -ax
        else:
            np.negative(ax, out=out[i0:i1], casting="same_kind")
    return out


def _pcg(level, hierarchy, r, x, *, flux_tol, max_iterations, base=None):
    """Flexible PCG on ``A x = b`` from ``x`` with residual ``r = b - A x`` (updated in place),
    stopping on the flux criterion of ``base + x``
    (``base``: the plane currents of an accumulated float64 solution, or None), or when the
    cross-section spread stops falling (the working precision is exhausted).

    The spread is estimated every iteration from the residual's layer sums (one pass, one
    host transfer) and confirmed from the links once the estimate meets ``flux_tol``.

    Returns ``(x, iterations, r, planes, converged)``.
    """
    def planes_of(v):
        if base is None:
            return _host(plane_currents(level, v))
        return base + _host(plane_currents(level, v, electrode=False))

    z = hierarchy.precondition(r)
    p = _copy(z)
    q = _empty_like(p)
    rz = _dot(r, z)
    previous = np.nan
    planes = None
    spreads: list[float] = []
    converged = False
    iterations = 0
    single = _dtype_name(x) == "float32"
    while iterations < max_iterations:
        curvature = _apply_dot(level, p, q)
        alpha = _ratio(rz, curvature)  # 0 when the search direction vanished
        estimate = _update(level, alpha, p, q, x, r, base is None)
        packed = _host(estimate, curvature)  # the one sync
        if not packed[-1] > 0:  # nothing left to gain in this precision (x was not moved)
            break
        iterations += 1
        planes = _planes_from_estimate(packed[:-1], base)
        mean = planes.mean()
        spread = np.max(np.abs(planes - mean)) / mean if mean > 0 else np.inf
        if spread <= flux_tol and abs(mean - previous) <= flux_tol * mean:
            planes = planes_of(x)
            mean = planes.mean()
            if mean > 0 and np.max(np.abs(planes - mean)) / mean <= flux_tol:
                converged = True
                break
            if single:
                break  # the recursive residual left the true one: rounding limits float32 now
        previous = mean
        spreads.append(spread)
        if _stalled(spreads, *_STALL[_dtype_name(x)]):
            break  # rounding, not the preconditioner, limits the iteration now
        # Flexible (Polak-Ribiere) CG, as the K-cycle is not a fixed linear operator:
        # beta = z_new . (r_new - r_old) / (z_old . r_old), with r_new - r_old = -alpha q.
        z, rz_new, zq = hierarchy.precondition_dots(r, q, out=z)
        _scale_add(p, -alpha * _ratio(zq, rz), z)
        rz = rz_new
    if planes is None:
        planes = planes_of(x)
    return x, iterations, r, planes, converged


def _stalled(spreads: list[float], patience: int, factor: float) -> bool:
    """The potential froze (the spread repeats to 0.1 % twice: updates below rounding), or
    the best spread did not fall by ``factor`` in ``patience`` iterations. Hard media (high
    contrast) make the spread rise and fall for a few iterations, hence the second, patient
    rule. An infinite spread (a plane-current mean <= 0, which early iterates of hard media
    can have) is progress still to come, never a freeze."""
    last = spreads[-3:]
    if len(last) == 3 and np.isfinite(last[-1]) and all(
            abs(last[-1] - v) <= 1e-3 * last[-1] for v in last[:-1]):
        return True
    return len(spreads) > patience and not (
        min(spreads[-patience:]) < factor * min(spreads[:-patience]))


def _axpy(a, x, y):
    """``y += a x`` in place. NumPy: a chunk at a time (no grid-sized temporary; BLAS axpy was
    slower here, its threads contending with everything else on a shared machine); torch: one
    fused multiply-add, ``a`` may be a 0-d tensor on the device."""
    if _is_torch(y):
        if _is_torch(a):
            y.addcmul_(x, a.to(y.dtype))
        else:
            y.add_(x, alpha=a)
        return
    if not (y.flags.c_contiguous and x.flags.c_contiguous):
        y += a * x
        return
    xf, yf = x.reshape(-1), y.reshape(-1)

    def body(i, j, t):
        np.multiply(xf[i:j], a, out=t[: j - i])
        yf[i:j] += t[: j - i]

    _for_chunks(xf.size, y.dtype, body)


def _scale_add(p, beta, z):
    """``p = beta p + z`` in place (the new search direction)."""
    if _is_torch(p):
        p.mul_(beta).add_(z)
        return
    pf, zf = p.reshape(-1), z.reshape(-1)

    def body(i, j, t):
        pf[i:j] *= beta
        pf[i:j] += zf[i:j]

    _for_chunks(pf.size, p.dtype, body)


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

    Returns ``(x, iterations, relative_residual, plane_currents, converged, refinements)``;
    ``x`` is an array of the level's library (NumPy or torch).
    """
    hierarchy = Hierarchy(level)
    n0 = level.shape[0]
    if x0 is None:
        steps = np.arange(n0, dtype=_dtype_name(level.diag))
        if level.torch:
            import torch

            steps = torch.as_tensor(steps, device=level.diag.device)
        profile = 1 - (steps + 0.5) / n0
        x = profile[:, None, None] * level.active
    else:
        x = x0.astype(level.diag.dtype)
    r = apply(level, x, _empty_like(x))  # b - A x with b the electrode column of layer 0
    r *= -1
    r[0] += level.inlet
    norm_b = float(_sum64(level.inlet * level.inlet, (0, 1))) ** 0.5
    x, iterations, r, planes, converged = _pcg(level, hierarchy, r, x, flux_tol=flux_tol,
                                               max_iterations=max_iterations)
    refinements = 0
    if not converged and _dtype_name(x) != "float64" and iterations < max_iterations:
        total = x.double() if level.torch else x.astype(np.float64)
        while not converged and iterations < max_iterations:
            refinements += 1
            _residual(level, total, r)
            base = _host(plane_currents(level, total))
            x[...] = 0
            x, its, r, planes, converged = _pcg(level, hierarchy, r, x, flux_tol=flux_tol,
                                                max_iterations=max_iterations - iterations, base=base)
            iterations += its
            total += x
            if its == 0:
                break
        del x
        r = _residual(level, total, r)
        x = total
    if level.torch:
        import torch

        residual = float(torch.linalg.vector_norm(r, dtype=torch.float64)) / norm_b
    else:
        residual = float(np.sqrt(_dot(r, r)) / norm_b)
    return x, iterations, residual, planes, converged, refinements
