"""Validation of the voxel conduction solver against exact and analytic truths."""

import math

import numpy as np
import pytest

from ssblab.errors import ConvergenceError, InputError
from ssblab.microstructure.solve import ConductionResult, percolating_mask, solve


def _spheres(n, radius, fraction, seed):
    """Non-overlapping balls (gap >= 2 voxels) at roughly ``fraction``; a dilute suspension."""
    rng = np.random.default_rng(seed)
    target = int(round(fraction * n**3 / (4 / 3 * np.pi * radius**3)))
    centres = []
    while len(centres) < target:
        c = rng.uniform(radius + 1, n - radius - 1, 3)
        if all(np.linalg.norm(c - d) > 2 * radius + 2 for d in centres):
            centres.append(c)
    grid = np.indices((n, n, n)).reshape(3, -1).T + 0.5
    mask = np.zeros(n**3, bool)
    for c in centres:
        mask |= np.linalg.norm(grid - c, axis=1) <= radius
    return mask.reshape(n, n, n).astype(np.uint8)


@pytest.mark.parametrize("method", ["gmg", "sa", "rs", "direct"])
def test_layers_in_series_give_the_harmonic_mean(method):
    rng = np.random.default_rng(1)
    sigma = rng.uniform(0.1, 10, 12)
    volume = np.broadcast_to(np.arange(12), (5, 4, 12)).astype(np.uint8)
    r = solve(volume, sigma, direction="z", method=method, flux_tol=1e-9)
    assert r.sigma_eff_S_cm == pytest.approx(1 / np.mean(1 / sigma), rel=1e-8)


def test_layers_in_parallel_give_the_arithmetic_mean_and_current_shares():
    sigma = np.array([0.5, 2.0, 7.0])
    volume = np.zeros((6, 5, 9), np.uint8)
    volume[2:4] = 1
    volume[4:] = 2
    r = solve(volume, sigma, direction="z", flux_tol=1e-9)
    fractions = np.array([2, 2, 2]) / 6
    assert r.sigma_eff_S_cm == pytest.approx(np.sum(fractions * sigma), rel=1e-8)
    expected_share = fractions * sigma / np.sum(fractions * sigma)
    for label, share in r.phase_current_share.items():
        assert share == pytest.approx(expected_share[label], rel=1e-7)
        assert r.inlet_current_share[label] == pytest.approx(expected_share[label], rel=1e-7)


@pytest.mark.parametrize("direction", ["x", "y", "z"])
def test_uniform_block_is_exact_in_every_direction(direction):
    r = solve(np.ones((7, 8, 9), np.uint8), [0.0, 3e-3], direction=direction, voltage_V=2.0,
              voxel_size_cm=1e-4, flux_tol=1e-10)
    assert r.sigma_eff_S_cm == pytest.approx(3e-3, rel=1e-10)
    assert r.tortuosity_factor == pytest.approx(1.0, rel=1e-10)
    n = r.shape["xyz".index(direction)]
    # Potential falls linearly from the inlet face: voxel k sits at (k + 1/2) / n of the way.
    profile = np.moveaxis(r.potential_V, "xyz".index(direction), 0)[:, 3, 3]
    assert profile == pytest.approx(2.0 * (1 - (np.arange(n) + 0.5) / n), abs=1e-9)
    # Uniform current density sigma * E = 3e-3 S/cm * 2 V / (n * 1e-4 cm).
    assert np.allclose(r.current_density_A_cm2, 3e-3 * 2.0 / (n * 1e-4), rtol=1e-8)
    assert r.hot_spot_top1_share == pytest.approx(math.ceil(0.01 * 7 * 8 * 9) / (7 * 8 * 9), rel=1e-8)


def test_straight_channel_has_tortuosity_one():
    volume = np.zeros((9, 9, 15), np.uint8)
    volume[3:6, 3:6, :] = 1
    r = solve(volume, [0, 1.0], flux_tol=1e-10)
    assert r.tortuosity_factor == pytest.approx(1.0, rel=1e-9)
    assert r.sigma_eff_S_cm == pytest.approx(9 / 81, rel=1e-9)


def test_staircase_channel_has_tortuosity_four():
    """A 1-voxel staircase whose path holds 2 n voxels over n layers: tau = (2n / n)^2 = 4.

    In a 1-voxel-wide path every voxel adds exactly one voxel resistance (two half-links), so
    the path resistance is N_p / sigma and sigma_eff = sigma n / (A N_p), while eps = N_p /
    (A n); tau = eps sigma / sigma_eff = (N_p / n)^2. The first and last layers hold a single
    voxel (no shortcut to an electrode) and the staircase climbs monotonically, so no two
    non-consecutive path voxels touch (no shortcut inside). N_p = 10 + 10 = 20 over n = 10.
    """
    n = 10
    runs = [0, 1, 2, 1, 1, 2, 1, 1, 1, 0]  # lateral steps in each layer, 10 in all
    volume = np.zeros((12, 1, n), np.uint8)
    x = 0
    for z, run in enumerate(runs):
        volume[x:x + run + 1, 0, z] = 1
        x += run
    assert volume.sum() == 2 * n
    r = solve(volume, [0, 1.0], flux_tol=1e-10)
    assert r.tortuosity_factor == pytest.approx(4.0, rel=1e-9)


def test_dead_ends_and_isolated_clusters_carry_nothing():
    channel = np.zeros((11, 11, 12), np.uint8)
    channel[5, 5, :] = 1
    decorated = channel.copy()
    decorated[0:5, 5, 6] = 1   # a dead-end branch
    decorated[5, 6:10, 3] = 1  # another one
    decorated[8:10, 8:10, 2:5] = 1  # an isolated cluster
    decorated[0:3, 0:3, 0:4] = 1  # touches the inlet only
    a = solve(channel, [0, 1.0], flux_tol=1e-10)
    b = solve(decorated, [0, 1.0], flux_tol=1e-10)
    assert b.sigma_eff_S_cm == pytest.approx(a.sigma_eff_S_cm, rel=1e-10)
    assert b.connected_fraction == pytest.approx((12 + 5 + 4) / decorated.sum())
    assert b.tortuosity_factor > a.tortuosity_factor  # eps counts dead ends, as in TauFactor


def test_dilute_spheres_follow_maxwell_garnett():
    """Balls at f ~ 8 %; Maxwell-Garnett is exact to O(f^2) for dilute, well separated balls.

    Conducting balls (10x the matrix) agree to 0.5 %. Insulating balls come out ~2 % below:
    a voxelised ball's staircase surface blocks more than a smooth one (the first-order
    discretisation error measured in the grid-refinement test), hence 3 %.
    """
    volume = _spheres(48, 4, 0.08, seed=0)
    f = volume.mean()
    for inside, tol in ((10.0, 0.005), (0.0, 0.03)):
        mg = (inside + 2 + 2 * f * (inside - 1)) / (inside + 2 - f * (inside - 1))
        sigma = np.mean([solve(volume, [1.0, inside], direction=d, keep_fields=False).sigma_eff_S_cm
                         for d in "xz"])
        assert sigma == pytest.approx(mg, rel=tol)


def _hashin_shtrikman(f2, s1, s2):
    f1 = 1 - f2
    lower = s1 + f2 / (1 / (s2 - s1) + f1 / (3 * s1))
    upper = s2 + f1 / (1 / (s1 - s2) + f2 / (3 * s2))
    return lower, upper


@pytest.mark.parametrize("fraction", [0.3, 0.6])
def test_random_two_phase_media_lie_inside_hashin_shtrikman(fraction):
    from scipy import ndimage

    rng = np.random.default_rng(3)
    field = ndimage.gaussian_filter(rng.standard_normal((40, 40, 40)), 2.0)
    volume = (field > np.quantile(field, 1 - fraction)).astype(np.uint8)
    lower, upper = _hashin_shtrikman(volume.mean(), 1.0, 20.0)
    for d in "xyz":
        r = solve(volume, [1.0, 20.0], direction=d, keep_fields=False)
        assert lower < r.sigma_eff_S_cm < upper


def test_grid_refinement_converges_to_rayleigh_simple_cubic_array():
    """One insulating ball centred in a cell with insulating sides = a simple cubic array
    (mirror symmetry). Rayleigh's formula, sigma/sigma_m = 1 + 3f / (-2 - f + 0.979 f^(10/3)),
    is accurate to < 0.1 % at f = 0.2. The voxel error halves with each refinement."""
    errors = []
    for n in (16, 32, 64):
        radius = (0.2 * 3 / (4 * np.pi)) ** (1 / 3) * n
        centre = np.indices((n, n, n)) + 0.5 - n / 2
        ball = (np.linalg.norm(centre, axis=0) <= radius).astype(np.uint8)
        f = ball.mean()
        exact = 1 + 3 * f / (-2 - f + 0.979 * f ** (10 / 3))
        errors.append(abs(solve(ball, [1.0, 0.0], keep_fields=False).sigma_eff_S_cm / exact - 1))
    assert errors[1] < 0.6 * errors[0] and errors[2] < 0.6 * errors[1]
    assert errors[2] < 0.012


def test_current_is_conserved_through_every_cross_section():
    from ssblab.microstructure.generate import pellet

    volume = pellet((32, 32, 32), relative_density=0.7, rng=5).labels
    for flux_tol in (1e-4, 1e-8):
        r = solve(volume, [0.0, 1e-3], flux_tol=flux_tol, rtol=1e-1, voxel_size_cm=1e-4)
        planes = r.plane_current_A
        assert planes.size == 33
        assert np.max(np.abs(planes / planes.mean() - 1)) <= flux_tol
        assert r.flux_spread <= flux_tol and r.inlet_outlet_mismatch <= 2 * flux_tol
        # sigma_eff = I L / (A dV): the current from the dissipated power agrees with the
        # plane currents within their spread
        area, length = (32e-4) ** 2, 32e-4
        assert r.sigma_eff_S_cm == pytest.approx(planes.mean() * length / area, rel=flux_tol)
        assert sum(r.phase_current_share.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigma_eff_from_the_power_is_an_upper_bound_that_falls_every_iteration(dtype):
    """Dirichlet's principle: the power dissipated by any potential with the electrode values
    is at least the true one, and each conjugate-gradient step minimises it along its
    direction, so unconverged solves approach the exact value from above, monotonically, with
    an error far below the cross-section spread (quadratic in the potential's error)."""
    from ssblab.microstructure.generate import pellet

    volume = pellet((24, 24, 24), relative_density=0.6, rng=2).labels
    exact = solve(volume, [0.0, 1.0], direction="x", method="direct").sigma_eff_S_cm
    previous = math.inf
    for iterations in range(1, 6):
        r = solve(volume, [0.0, 1.0], direction="x", dtype=dtype, flux_tol=1e-12,
                  max_iterations=iterations)
        assert exact * (1 - 1e-6) <= r.sigma_eff_S_cm <= previous * (1 + 1e-6)
        previous = r.sigma_eff_S_cm
        error = r.sigma_eff_S_cm / exact - 1
        assert error < r.flux_spread  # the spread is the linear error, the power's is quadratic
    assert error < 1e-4


def test_periodic_sides_join_a_wrapped_path():
    volume = np.zeros((6, 6, 8), np.uint8)
    volume[0:3, 2, 0:4] = 1
    volume[0, 2, 3] = 1
    volume[5, 2, 3:8] = 1  # continues across the x = 0 / x = 5 faces only when periodic
    closed = solve(volume, [0, 1.0])
    assert not closed.ok and "nothing percolates" in closed.reason and closed.sigma_eff_S_cm == 0.0
    wrapped = solve(volume, [0, 1.0], boundary="periodic", flux_tol=1e-10)
    assert wrapped.ok and wrapped.sigma_eff_S_cm > 0
    assert percolating_mask(volume.astype(bool), axis=2, periodic=True).sum() == 3 * 4 + 5


@pytest.mark.slow
def test_direction_rotation_gives_the_same_answer():
    from ssblab.microstructure.generate import pellet

    volume = pellet((20, 24, 28), relative_density=0.75, rng=2).labels
    along_z = solve(volume, [0, 1.0], direction="z", flux_tol=1e-9)
    along_x = solve(np.transpose(volume, (2, 1, 0)), [0, 1.0], direction="x", flux_tol=1e-9)
    assert along_x.sigma_eff_S_cm == pytest.approx(along_z.sigma_eff_S_cm, rel=1e-7)


def test_result_round_trips_and_plots():
    volume = np.ones((4, 5, 6), np.uint8)
    volume[1, 1, :3] = 0
    r = solve(volume, {0: 0.0, 1: 2.0}, keep_fields=False)
    back = ConductionResult.from_json(r.to_json())
    assert back.to_json() == r.to_json() and back.potential_V is None
    assert back.sigma_eff_S_cm == r.sigma_eff_S_cm
    np.testing.assert_array_equal(back.potential_slice_V, r.potential_slice_V)
    assert len(r.figures()) == 2


@pytest.mark.parametrize("volume, conductivities, message", [
    (np.ones((4, 4)), [0, 1], "3D label array"),
    (np.ones((3, 3, 3)) * 0.5, [0, 1], "integer phase labels"),
    (np.full((3, 3, 3), 2), [0, 1], r"label\(s\) \[2\]"),
    (np.ones((3, 3, 3), int), [0, -1], ">= 0"),
    (-np.ones((3, 3, 3), int), [0, 1], "labels >= 0"),
])
def test_bad_volumes_raise_input_errors(volume, conductivities, message):
    with pytest.raises(InputError, match=message):
        solve(volume, conductivities)


def test_bad_options_raise_input_errors():
    with pytest.raises(InputError, match="did you mean 'z'"):
        solve(np.ones((3, 3, 3), int), [0, 1], direction="zz")
    with pytest.raises(InputError, match="voxel_size_cm"):
        solve(np.ones((3, 3, 3), int), [0, 1], voxel_size_cm=-1)


def test_empty_and_non_percolating_volumes_fail_cleanly_without_nan():
    empty = solve(np.zeros((4, 4, 4), int), [0.0, 1.0])
    assert not empty.ok and "no conducting voxel" in empty.reason
    blocked = np.ones((4, 4, 6), int)
    blocked[:, :, 3] = 0
    r = solve(blocked, [0.0, 1.0])
    assert not r.ok and "nothing percolates" in r.reason
    assert r.sigma_eff_S_cm == 0.0 and r.tortuosity_factor == math.inf and r.connected_fraction == 0.0
    assert "nan" not in str(r).lower()
    with pytest.raises(ConvergenceError, match="nothing percolates"):
        solve(blocked, [0.0, 1.0], raise_on_failure=True)


@pytest.mark.parametrize("shape", [(17, 23, 9), pytest.param((32, 31, 33), marks=pytest.mark.slow),
                                   (5, 40, 3)])
def test_matrix_free_multigrid_matches_the_direct_solution(shape):
    """Odd sizes exercise the aggregation's padding; three phases, one insulating."""
    rng = np.random.default_rng(sum(shape))
    volume = rng.choice(3, size=shape, p=[0.25, 0.5, 0.25]).astype(np.uint8)
    conductivities = [0.0, 1.0, 30.0]
    exact = solve(volume, conductivities, method="direct", direction="x")
    for dtype, tol in (("float64", 1e-9), ("float32", 1e-4)):
        r = solve(volume, conductivities, method="gmg", direction="x", flux_tol=tol, dtype=dtype)
        assert r.ok
        assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=10 * tol)
        np.testing.assert_allclose(np.nan_to_num(r.potential_V), np.nan_to_num(exact.potential_V),
                                   atol=100 * tol)


def test_periodic_needs_an_algebraic_method():
    with pytest.raises(InputError, match="no-flux sides only"):
        solve(np.ones((4, 4, 4), int), [0, 1], method="gmg", boundary="periodic")


@pytest.mark.parametrize("shape", [(32, 32, 32), (31, 24, 17)])
def test_float32_refines_in_float64_when_rounding_stalls(shape):
    """Below float32's floor the solve does not run to its cap: it refines in float64 and
    reaches the direct solution to the asked tolerance (even and odd sizes: both prolongations)."""
    rng = np.random.default_rng(7)
    volume = rng.choice(3, size=shape, p=[0.2, 0.5, 0.3]).astype(np.uint8)
    conductivities = [0.0, 1.0, 100.0]
    exact = solve(volume, conductivities, method="direct", direction="x")
    r = solve(volume, conductivities, method="gmg", direction="x", flux_tol=1e-7, dtype="float32",
              max_iterations=300)
    assert r.ok and r.precision.startswith("float32+float64 refinement")
    assert r.flux_spread <= 1e-7 and r.iterations < 300
    assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=1e-7)
    np.testing.assert_allclose(np.nan_to_num(r.potential_V), np.nan_to_num(exact.potential_V), atol=1e-5)
