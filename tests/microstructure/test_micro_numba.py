"""The optional Numba kernels of the voxel multigrid against the NumPy reference kernels."""

from __future__ import annotations

import functools
import sys

import numpy as np
import pytest

from ssblab.microstructure import multigrid as mg

SHAPES = [(7, 5, 9), (12, 11, 13), (16, 16, 16)]


def _field(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    sigma = rng.lognormal(0.0, 1.0, shape)
    sigma[rng.random(shape) < 0.3] = 0  # absent voxels: links of exactly zero
    return mg.lattice(sigma, dtype=dtype)


def _numpy(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setenv("SSBLAB_GMG_KERNELS", "numpy")
        assert mg._compiled() is None
        return fn()


def _tol(level, x, b):
    """A few ulp of the largest term of ``b - A x`` (its entries cancel)."""
    eps = np.finfo(x.dtype).eps if x.dtype == np.float32 else 1e-12 / 8
    scale = np.max(np.abs(b)) + 2 * np.max(level.diag) * np.max(np.abs(x))
    return 8 * eps * scale


@pytest.fixture
def numba_kernels(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.delenv("SSBLAB_GMG_KERNELS", raising=False)
    monkeypatch.setattr(mg, "_CHUNK", 64)  # many runs of layers on the chunk threads
    assert mg._compiled() is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_kernels_equal_numpy(numba_kernels, monkeypatch, shape, dtype):
    level = _field(shape, dtype, seed=sum(shape))
    rng = np.random.default_rng(1)
    x = (rng.random(shape) - 0.5).astype(dtype)
    b = rng.random(shape).astype(dtype)
    tol = _tol(level, x, b)
    for omega in (None, 0.8):
        ours = mg._sweep_numpy(level, x, b, np.empty_like(x), omega=omega)
        ref = _numpy(monkeypatch, lambda w=omega: mg._sweep_numpy(level, x, b, np.empty_like(x), omega=w))
        np.testing.assert_allclose(ours, ref, rtol=0, atol=tol if omega is None else tol / level.diag.min())
    q, q_ref = np.empty_like(x), np.empty_like(x)
    dot = mg._apply_dot(level, x, q)
    dot_ref = _numpy(monkeypatch, lambda: mg._apply_dot(level, x, q_ref))
    np.testing.assert_allclose(q, q_ref, rtol=0, atol=tol)
    assert abs(dot - dot_ref) <= 4 * tol * np.abs(x).sum()
    coarse = mg._residual_restricted(level, x, b, np.empty_like(x))
    coarse_ref = _numpy(monkeypatch, lambda: mg._residual_restricted(level, x, b, np.empty_like(x)))
    assert coarse.shape == coarse_ref.shape == tuple((n + 1) // 2 for n in shape)
    np.testing.assert_allclose(coarse, coarse_ref, rtol=0, atol=8 * tol)
    # apply() is the operator product alone, against the dense sum of link currents
    ax = mg.apply(level, x.astype(np.float64) if dtype == np.float64 else x, np.empty_like(x))
    np.testing.assert_allclose(ax, q_ref, rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_solve_equal_numpy(numba_kernels, monkeypatch, dtype):
    from ssblab.microstructure.generate import pellet
    from ssblab.microstructure.solve import solve

    labels = pellet((24, 20, 22), relative_density=0.7, grain_radius_voxels=3, rng=3).labels
    flux_tol = 1e-4

    def run():
        return solve(labels, [0.0, 1.0], direction="x", flux_tol=flux_tol, keep_fields=False,
                     dtype=dtype)

    ours = run()
    ref = _numpy(monkeypatch, run)
    assert ours.ok and ref.ok and ours.flux_spread <= flux_tol
    assert abs(ours.sigma_eff_S_cm / ref.sigma_eff_S_cm - 1) <= flux_tol


def test_numpy_fallback_without_numba(monkeypatch, request):
    monkeypatch.delenv("SSBLAB_GMG_KERNELS", raising=False)
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.setitem(sys.modules, "ssblab.microstructure._mg_numba", None)
    mg._load_kernels.cache_clear()
    request.addfinalizer(mg._load_kernels.cache_clear)  # later tests load the kernels again
    assert mg._compiled() is None
    level = _field((6, 5, 7), np.float32, seed=2)
    x = np.ones(level.shape, np.float32)
    out = mg.apply(level, x, np.empty_like(x))
    # A 1 is the electrode links alone: the lattice rows sum to zero inside
    expected = np.zeros(level.shape, np.float32)
    expected[0] += level.inlet
    expected[-1] += level.outlet
    expected[~level.active] = 1  # absent voxels carry a unit diagonal
    np.testing.assert_allclose(out, expected, atol=1e-5 * float(np.max(level.diag)))


def test_import_ssblab_does_not_import_numba():
    import subprocess

    code = "import sys, ssblab, ssblab.microstructure.solve; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _unit_field(shape, seed):
    """A lattice of one conducting phase (conductivities 0 or 1): whole-number conductances,
    read by the compiled kernels as bytes."""
    rng = np.random.default_rng(seed)
    return mg.lattice((rng.random(shape) > 0.3).astype(np.float32), unit_conductivity=True)


@pytest.fixture
def three_runs(numba_kernels, monkeypatch):
    """Every compiled kernel split into three runs of layers (the ring buffers' edges)."""
    monkeypatch.setattr(mg, "_threads", lambda: 3)
    monkeypatch.setattr(mg, "_SERIAL", 128)  # threads from 128 voxels, not 2^18


@pytest.mark.parametrize("kind", ["float32", "float64", "unit"])
@pytest.mark.parametrize("shape", SHAPES)
def test_fused_kernels_equal_numpy(three_runs, monkeypatch, shape, kind):
    """Each fused kernel against the NumPy passes it replaces."""
    if kind == "unit":
        level = _unit_field(shape, seed=sum(shape))
        assert all(a.dtype == np.uint8 for a in level.kernel)
    else:
        level = _field(shape, np.dtype(kind), seed=sum(shape))
    dtype = level.diag.dtype
    rng = np.random.default_rng(4)
    x, b, q, a = ((rng.random(shape) - 0.5).astype(dtype) * level.active for _ in range(4))
    e = (rng.random(tuple((n + 1) // 2 for n in shape)) - 0.5).astype(dtype)
    tol = _tol(level, x, b)
    w = 0.8
    run = functools.partial(mg._layers, level)
    k = mg._compiled()

    # two sweeps from zero: the first iterate w b / D never stored
    ours = np.empty_like(x)
    run(lambda i0, i1: k.sweep_from_zero(*level.kernel, b, ours, w, i0, i1))
    first = b / level.diag * dtype.type(w)
    ref = _numpy(monkeypatch, lambda: mg._sweep_numpy(level, first, b, np.empty_like(x), omega=w))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2 * tol / level.diag.min())

    # prolongation inside a sweep, with the dots of the result
    y, z = np.empty_like(x), np.empty_like(x)
    zb, zq = run(lambda i0, i1, d: k.prolong_sweep(*level.kernel, x, e, level.active, b, y, q, w,
                                                   True, d, i0, i1), parts=2)

    def reference():
        moved = mg._prolong_add(level, x.copy(), e)
        mg._sweep_numpy(level, moved, b, z, omega=w)
        return mg._dots(z, b, q)

    zb_ref, zq_ref = _numpy(monkeypatch, reference)
    np.testing.assert_allclose(y, z, rtol=0, atol=2 * tol / level.diag.min())
    scale = 4 * tol / level.diag.min() * np.abs(z).sum()
    assert abs(zb - zb_ref) <= scale * np.abs(b).max() + 1e-12
    assert abs(zq - zq_ref) <= scale * np.abs(q).max() + 1e-12

    # an operator product with three dots
    out = np.empty_like(x)
    dots = run(lambda i0, i1, d: k.apply_dots(*level.kernel, x, out, a, b, d, i0, i1), parts=3)
    product = _numpy(monkeypatch, lambda: mg.apply(level, x, np.empty_like(x)))
    np.testing.assert_allclose(out, product, rtol=0, atol=tol)
    for ours_dot, other in zip(dots, (product, a, b)):
        expected = float(np.dot(x.ravel().astype(float), other.ravel().astype(float)))
        assert abs(ours_dot - expected) <= 4 * tol * np.abs(x).sum() + 1e-12

    # the CG update with the residual's layer sums
    alpha = 0.37
    xs, rs, sums = x.copy(), b.copy(), np.empty(shape[0])
    run(lambda i0, i1: k.cg_update(xs, rs, a, q, alpha, sums, i0, i1))
    x_ref = x + dtype.type(alpha) * a
    r_ref = b - dtype.type(alpha) * q
    ulp = 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(xs, x_ref, rtol=0, atol=ulp * (np.abs(x).max() + np.abs(a).max()))
    np.testing.assert_allclose(rs, r_ref, rtol=0, atol=ulp * (np.abs(b).max() + np.abs(q).max()))
    layer = r_ref.astype(float).reshape(shape[0], -1)
    np.testing.assert_allclose(sums, layer.sum(axis=1), rtol=0,
                               atol=ulp * np.abs(layer).sum(axis=1).max())


@pytest.mark.parametrize("shape", SHAPES)
def test_byte_kernels_equal_float_kernels(three_runs, shape):
    """The byte copies of whole-number conductances give the float kernels' results."""
    level = _unit_field(shape, seed=7)
    floats = (level.diag, *level.g)
    rng = np.random.default_rng(5)
    x, b = ((rng.random(shape) - 0.5).astype(np.float32) * level.active for _ in range(2))
    k = mg._compiled()
    results = []
    for arrays in (level.kernel, floats):
        out = np.empty_like(x)
        mg._layers(level, lambda i0, i1, arrays=arrays, out=out: k.sweep(*arrays, x, b, out, 0.8,
                                                                         True, i0, i1))
        results.append(out)
    np.testing.assert_allclose(results[0], results[1], rtol=0,
                               atol=4 * np.finfo(np.float32).eps * np.abs(results[1]).max())


@pytest.mark.parametrize("kind", ["float32", "float64", "unit"])
def test_fused_cycle_equal_numpy(three_runs, monkeypatch, kind):
    """A whole multigrid cycle (fused compiled kernels) against the NumPy cycle."""
    shape = (21, 18, 19)
    monkeypatch.setattr(mg, "_COARSEST", 30)  # four levels: the K-cycle on two of them
    level = _unit_field(shape, seed=3) if kind == "unit" else _field(shape, np.dtype(kind), seed=3)
    hierarchy = mg.Hierarchy(level)
    assert len(hierarchy.levels) == 4
    rng = np.random.default_rng(6)
    r, q = ((rng.random(shape) - 0.5).astype(level.diag.dtype) * level.active for _ in range(2))
    z, zr, zq = hierarchy.precondition_dots(r, q)
    z_ref, zr_ref, zq_ref = _numpy(monkeypatch, lambda: hierarchy.precondition_dots(r, q))
    rel = 1e-4 if level.diag.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(z, z_ref, rtol=0, atol=rel * np.abs(z_ref).max())
    assert zr == pytest.approx(zr_ref, rel=rel)
    assert zq == pytest.approx(zq_ref, rel=rel, abs=rel * abs(zr_ref))


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("fraction", [0.25, 0.31, 0.35, 0.6])
def test_percolating_mask_compiled_equals_labelling(numba_kernels, axis, fraction):
    """The compiled union-find against scipy's labelling, around the percolation threshold
    of random site percolation (0.31 on the cubic lattice)."""
    from scipy import ndimage

    from ssblab.microstructure.solve import percolating_mask

    rng = np.random.default_rng(int(fraction * 100) + axis)
    conducting = rng.random((23, 17, 29)) < fraction
    labels, _ = ndimage.label(conducting)
    both = np.intersect1d(np.take(labels, 0, axis=axis), np.take(labels, -1, axis=axis))
    expected = np.isin(labels, both[both > 0])
    ours = percolating_mask(conducting, axis=axis)
    assert ours.flags.c_contiguous and ours.dtype == bool
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES + [(1, 4, 5), (9, 1, 6)])
def test_lattice_compiled_equals_numpy(three_runs, monkeypatch, shape, dtype):
    """The compiled lattice gives the NumPy lattice's numbers bit for bit (no fast-math)."""
    rng = np.random.default_rng(len(shape) + shape[0])
    sigma = rng.lognormal(0.0, 1.0, shape)
    sigma[rng.random(shape) < 0.3] = 0
    ours = mg.lattice(sigma, dtype=dtype)
    ref = _numpy(monkeypatch, lambda: mg.lattice(sigma, dtype=dtype))
    for a, b in zip([ours.diag, ours.active, *ours.g], [ref.diag, ref.active, *ref.g]):
        np.testing.assert_array_equal(a, b)
    unit = (sigma > 0).astype(dtype)
    ours = mg.lattice(unit, dtype=dtype, unit_conductivity=True)
    ref = _numpy(monkeypatch, lambda: mg.lattice(unit, dtype=dtype))
    assert all(a.dtype == np.uint8 for a in ours.kernel)
    for a, b in zip(ours.kernel, [ref.diag, *ref.g]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["float32", "float64", "unit"])
@pytest.mark.parametrize("shape", SHAPES + [(1, 4, 5)])
def test_currents_compiled_equal_numpy(three_runs, monkeypatch, shape, kind):
    """Plane currents, axial and |j| fields and dissipated power of the compiled pass against
    the NumPy slabs."""
    from ssblab.microstructure.solve import _currents

    if kind == "unit":
        level = _unit_field(shape, seed=11)
        level.share_byte_links()  # the links the solver hands on: bytes
        assert level.g[0].dtype == np.uint8
    else:
        level = _field(shape, np.dtype(kind), seed=11)
    dtype = level.diag.dtype
    v = np.random.default_rng(12).random(shape).astype(dtype)
    args = (v, list(level.g), level.inlet, level.outlet)
    ours = _currents(*args)
    ref = _numpy(monkeypatch, lambda: _currents(*args))
    eps = float(np.finfo(dtype).eps)
    scale = np.abs(ref[0]).max()
    np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=8 * eps * scale * shape[1] * shape[2])
    for a, b in zip(ours[1:3], ref[1:3]):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=4 * np.finfo(b.dtype).eps * np.abs(b).max())
    assert ours[3] == pytest.approx(ref[3], rel=16 * eps)


def test_results_do_not_depend_on_the_thread_count(numba_kernels, monkeypatch):
    """Sums are kept per layer and added in layer order: one thread or three give the same
    bits (a sweep compares in-process and Dask runs exactly)."""
    from ssblab.microstructure.generate import pellet
    from ssblab.microstructure.solve import _currents, solve

    labels = pellet((20, 18, 17), relative_density=0.7, grain_radius_voxels=3, rng=5).labels
    level = _field((23, 19, 21), np.float32, seed=8)
    rng = np.random.default_rng(9)
    x, a, b = ((rng.random(level.shape) - 0.5).astype(np.float32) * level.active for _ in range(3))
    hierarchy = mg.Hierarchy(level)
    monkeypatch.setattr(mg, "_SERIAL", 128)
    results = []
    for threads in (1, 3):
        monkeypatch.setattr(mg, "_threads", lambda threads=threads: threads)
        q = np.empty_like(x)
        dots = (mg._apply_dot(level, x, q),
                *mg._layers(level, lambda i0, i1, d, q=q: mg._compiled().apply_dots(
                    *level.kernel, x, q, a, b, d, i0, i1), parts=3),
                *hierarchy.precondition_dots(a, b)[1:])
        heat = _currents(x, list(level.g), level.inlet, level.outlet)[3]
        r = solve(labels, [0.0, 1.0], direction="y", flux_tol=1e-4, keep_fields=False)
        results.append((*dots, heat, r.sigma_eff_S_cm, r.iterations, *r.plane_current_A))
    assert results[0] == results[1]
