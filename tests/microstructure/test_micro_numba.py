"""The optional Numba kernels of the voxel multigrid against the NumPy reference kernels."""

from __future__ import annotations

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
