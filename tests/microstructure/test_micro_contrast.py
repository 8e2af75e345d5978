"""The matrix-free multigrid solve converges at high conductivity contrast, in both precisions.

Truths: the series and parallel laminate formulas, and scipy's sparse LU on the same volume
(``method="direct"``, an independent solver of the same discretisation).
"""

import functools

import numpy as np
import pytest

from ssblab.microstructure.generate import pellet
from ssblab.microstructure.solve import solve

CONTRASTS = [1.0, 1e2, 1e4]
# float32 is refined in float64 below its floor; each dtype at a tolerance it is meant for
PRECISIONS = [("float32", 1e-5), ("float64", 1e-8)]


@pytest.mark.parametrize("dtype, flux_tol", PRECISIONS)
@pytest.mark.parametrize("contrast", CONTRASTS)
def test_laminates_match_the_series_and_parallel_formulas(contrast, dtype, flux_tol):
    rng = np.random.default_rng(3)
    layers = rng.integers(0, 2, 10)
    layers[:2] = [0, 1]  # both phases present
    sigma = np.array([1.0, contrast])
    series = np.broadcast_to(layers, (6, 5, 10)).astype(np.uint8)  # layers normal to z
    r = solve(series, sigma, direction="z", method="gmg", dtype=dtype, flux_tol=flux_tol)
    assert r.ok
    assert r.sigma_eff_S_cm == pytest.approx(1 / np.mean(1 / sigma[layers]), rel=10 * flux_tol)
    r = solve(series, sigma, direction="x", method="gmg", dtype=dtype, flux_tol=flux_tol)
    assert r.ok
    assert r.sigma_eff_S_cm == pytest.approx(np.mean(sigma[layers]), rel=10 * flux_tol)


def _edge_pellet(fraction, seed):
    """Overlapping grains of the good conductor at ``fraction`` of the volume: near 0.3 its
    clusters barely span the 24-voxel cube (the percolation edge of overlapping spheres)."""
    return pellet((24, 24, 24), relative_density=fraction, grain_radius_voxels=3, rng=seed).labels


@functools.cache
def _exact(fraction, seed, poor):
    """sigma_eff by sparse LU (about 1 s each at 24^3 with every voxel conducting)."""
    labels = _edge_pellet(fraction, seed)
    return solve(labels, [poor, 1.0], direction="x", method="direct")


@pytest.mark.parametrize("dtype, flux_tol", PRECISIONS)
@pytest.mark.parametrize("contrast", CONTRASTS[1:])
@pytest.mark.parametrize("fraction, seed", [(0.3, 1), (0.35, 0)])
def test_random_media_match_the_direct_solution_at_high_contrast(fraction, seed, contrast,
                                                                 dtype, flux_tol):
    """Before the fix, at contrast 1e4 a float64 solve of the first case reported a negative
    sigma_eff as ok (an infinite spread read as frozen) and the second stopped at a spread of
    1e-6 (the stall rule cut a slow but steady descent)."""
    labels = _edge_pellet(fraction, seed)
    exact = _exact(fraction, seed, 1.0 / contrast)
    r = solve(labels, [1.0 / contrast, 1.0], direction="x", method="gmg", dtype=dtype, flux_tol=flux_tol)
    assert r.ok, r.reason
    assert r.flux_spread <= flux_tol
    assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=flux_tol)


@pytest.mark.parametrize("dtype, flux_tol", PRECISIONS)
def test_insulating_matrix_at_the_percolation_edge(dtype, flux_tol):
    """Infinite contrast: only the barely spanning cluster of the good phase conducts."""
    labels = _edge_pellet(0.34, 0)
    exact = _exact(0.34, 0, 0.0)
    assert exact.percolates and exact.connected_fraction < 0.7  # dead ends and islands exist
    r = solve(labels, [0.0, 1.0], direction="x", method="gmg", dtype=dtype, flux_tol=flux_tol)
    assert r.ok, r.reason
    assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=flux_tol)


def test_a_negative_mean_current_is_never_ok():
    """A result whose cross-section currents average <= 0 has an infinite spread (not ok),
    whatever the tolerance."""
    labels = _edge_pellet(0.3, 1)
    r = solve(labels, [1e-4, 1.0], direction="x", method="gmg", dtype="float64",
              flux_tol=1e-8, max_iterations=3)
    assert not r.ok
    assert r.flux_spread > 1e-8


@pytest.mark.slow  # 5-10 s: torch-CPU pays a dispatch per small operation over ~70 iterations
@pytest.mark.parametrize("dtype, flux_tol", PRECISIONS)
def test_torch_matches_the_direct_solution_at_contrast_1e4(dtype, flux_tol):
    """The torch backend (CPU here; CUDA where present) takes the same stopping rules."""
    pytest.importorskip("torch")
    labels = _edge_pellet(0.35, 0)
    exact = _exact(0.35, 0, 1e-4)
    r = solve(labels, [1e-4, 1.0], direction="x", method="gmg", dtype=dtype, flux_tol=flux_tol,
              backend="torch")
    assert r.ok, r.reason
    assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=flux_tol)
