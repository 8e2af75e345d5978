"""Field-guided paths: exact invariants of the growth rules.

Dielectric breakdown rule ("dbm"): in a uniform field every voxel ahead is equally likely, so
the tip does an unbiased random walk (no drift, lateral variance 2/3 per step and axis) and,
with insulating (mirror) side walls, the tips stay uniformly spread over the face, so a target
one layer thick captures its footprint share in expectation. Steepest rule: straight paths.
"""

import numpy as np
import pytest

from ssblab.errors import InputError
from ssblab.microstructure.paths import field_paths
from ssblab.microstructure.solve import solve


def _within(value, expected, error, k=4.0):
    return abs(value - expected) <= k * error


def test_uniform_field_is_an_unbiased_random_walk():
    block = np.ones((24, 24, 7), dtype=np.uint8)
    paths = field_paths(solve(block, [0.0, 2.0], method="direct"), block, paths_per_start=32, rng=3)
    assert set(paths.end) == {"far electrode"} and np.all(paths.steps == 6)
    assert np.allclose(paths.weight, paths.weight[0])                        # uniform inlet current
    # starts at least 6 voxels from a side wall never feel it in 6 steps: a free walk
    free = np.all((paths.start >= 6) & (paths.start < 18), axis=1)
    shift = (paths.end_position[free, :2] - paths.start[free]).astype(float)
    n = shift.shape[0]
    for d in shift.T:
        assert _within(d.mean(), 0.0, d.std() / np.sqrt(n))                  # no drift
        assert _within((d**2).mean(), 6 * 2 / 3, (d**2).std() / np.sqrt(n))  # 2/3 per step
    # along x the same walk runs across y and z
    across = field_paths(solve(block, [0.0, 2.0], direction="x", method="direct"), block,
                         paths_per_start=2, rng=3)
    assert across.weight.size == 2 * 24 * 7 and np.all(across.end_position[:, 0] == 23)


def test_a_thin_target_at_equal_conductivity_captures_its_footprint_share():
    volume = np.ones((12, 12, 10), dtype=np.uint8)
    volume[2:7, 3:9, 5] = 2                     # one layer thick: 30 of 144 face positions
    paths = field_paths(solve(volume, [0.0, 1.0, 1.0], method="direct"), volume, start_labels=[1],
                        target_labels=[2], paths_per_start=64, rng=0)
    error = paths.captured_share_error()
    assert 0 < error < 0.01
    assert _within(paths.captured_share(), 30 / 144, error)
    assert np.all(paths.captured_layer[paths.captured_layer >= 0] == 5)


def test_entry_at_the_first_meeting_with_one_voxel_is_one_in_nine():
    volume = np.ones((13, 13, 8), dtype=np.uint8)
    volume[6, 6, 5] = 2                         # one target voxel, far from the walls, same conductivity
    paths = field_paths(solve(volume, [0.0, 1.0, 1.0], method="direct"), volume, start_labels=[1],
                        target_labels=[2], paths_per_start=256, rng=1)
    met = int(np.sum(paths.met_layer >= 0))
    assert met > 1000 and np.all(paths.met_layer[paths.met_layer >= 0] == 5)
    assert _within(paths.entry_at_first_meeting(), 1 / 9, np.sqrt(1 / 9 * 8 / 9 / met))


def test_a_target_layer_captures_every_path_at_its_depth():
    layered = np.ones((5, 5, 10), dtype=np.uint8)
    layered[:, :, 4:6] = 2
    paths = field_paths(solve(layered, [0.0, 1.0, 3.0], method="direct"), layered, target_labels=[2], rng=0)
    assert set(paths.end) == {"captured"} and np.all(paths.captured_layer == 4)
    assert paths.captured_share(4.0) == 0.0 and paths.captured_share(5.0) == pytest.approx(1.0)
    assert paths.entry_at_first_meeting() == pytest.approx(1.0) and paths.captured_share_error() == 0.0


def test_attraction_is_graded_by_the_inclusions_contrast():
    volume = np.ones((12, 12, 16), dtype=np.uint8)
    volume[4:8, 4:8, 6:10] = 2

    def captured(sigma_target):
        r = solve(volume, [0.0, 1.0, sigma_target], method="direct")
        p = field_paths(r, volume, start_labels=[1], target_labels=[2], paths_per_start=64, rng=0)
        return p.captured_share(), p.captured_share_error()

    shares = [captured(k) for k in (0.2, 0.5, 1.0, 2.0, 5.0)]
    # each step up in contrast draws more paths, beyond the sampling error of both
    for (q0, e0), (q1, e1) in zip(shares, shares[1:]):
        assert q1 - q0 > 3 * np.hypot(e0, e1)


def test_steepest_rule_runs_straight_and_switches_at_contrast_one():
    block = np.ones((6, 5, 9), dtype=np.uint8)
    paths = field_paths(solve(block, [0.0, 2.0], method="direct"), block, rule="steepest")
    assert paths.weight.size == 30 and np.all(paths.steps == 8)
    assert np.all(paths.end_position[:, :2] == paths.start)                # no sideways step
    volume = np.ones((12, 12, 16), dtype=np.uint8)
    volume[4:8, 4:8, 6:10] = 2

    def share(sigma_target):
        r = solve(volume, [0.0, 1.0, sigma_target], method="direct")
        return field_paths(r, volume, start_labels=[1], target_labels=[2], rule="steepest").captured_share()

    assert share(1.0) == pytest.approx(16 / 144, abs=1e-12)                # straight: the footprint share
    assert share(5.0) > 16 / 144 > share(0.2)


def test_same_seed_same_paths_and_the_error_is_the_spread_over_seeds():
    volume = np.ones((10, 10, 12), dtype=np.uint8)
    volume[3:7, 3:7, 5:8] = 2
    r = solve(volume, [0.0, 1.0, 2.0], method="direct")

    def run(seed):
        return field_paths(r, volume, start_labels=[1], target_labels=[2], paths_per_start=8, rng=seed)

    a, b = run(5), run(5)
    assert np.array_equal(a.end_position, b.end_position) and a.captured_share() == b.captured_share()
    assert not np.array_equal(a.end_position, run(6).end_position)
    runs = [run(seed) for seed in range(40)]
    shares = np.array([p.captured_share() for p in runs])
    error = np.mean([p.captured_share_error() for p in runs])
    # 40 seeds: the sample sd is within about +-35 % (3 sigma) of the true one
    assert 0.65 < shares.std(ddof=1) / error < 1.35


def test_bad_input():
    block = np.ones((4, 4, 4), dtype=np.uint8)
    with pytest.raises(InputError, match="keep_fields"):
        field_paths(solve(block, [0.0, 1.0], method="direct", keep_fields=False), block)
    r = solve(block, [0.0, 1.0], method="direct")
    with pytest.raises(InputError, match="did you mean 'steepest'"):
        field_paths(r, block, rule="steep")
    with pytest.raises(InputError, match="eta"):
        field_paths(r, block, eta=0.0)
    with pytest.raises(InputError, match="paths_per_start"):
        field_paths(r, block, paths_per_start=0)
