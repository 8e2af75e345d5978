"""Field-guided paths: straight in a uniform field, captured where the target starts, bent by contrast."""

import numpy as np
import pytest

from ssblab.errors import InputError
from ssblab.microstructure.paths import field_paths
from ssblab.microstructure.solve import solve


def test_uniform_block_paths_run_straight_to_the_far_electrode():
    block = np.ones((6, 5, 9), dtype=np.uint8)
    paths = field_paths(solve(block, [0.0, 2.0], method="direct"), block)
    assert np.all(paths.end_position[:, 2] == 8)
    across = field_paths(solve(block, [0.0, 2.0], direction="x", method="direct"), block)   # paths along x
    assert across.weight.size == 45 and np.all(across.end_position[:, 0] == 5)
    assert paths.weight.size == 30 and np.allclose(paths.weight, paths.weight[0])     # uniform inlet current
    assert set(paths.end) == {"far electrode"} and np.all(paths.steps == 8)            # no sideways step
    assert paths.captured_share() == 0.0


def test_a_target_layer_captures_every_path_at_its_depth():
    layered = np.ones((5, 5, 10), dtype=np.uint8)
    layered[:, :, 4:6] = 2
    conductivities = [0.0, 1.0, 3.0]
    paths = field_paths(solve(layered, conductivities, method="direct"), layered, target_labels=[2])
    assert set(paths.end) == {"captured"} and np.all(paths.captured_layer == 4)
    assert np.all(paths.end_position[:, 2] == 4) and np.all(paths.end_position[:, :2] == paths.start)
    assert paths.captured_share(4.0) == 0.0 and paths.captured_share(5.0) == pytest.approx(1.0)


@pytest.mark.parametrize("ratio", [5.0, 0.2])
def test_a_better_conductor_draws_paths_in_a_worse_one_turns_them_away(ratio):
    volume = np.ones((12, 12, 16), dtype=np.uint8)
    volume[4:8, 4:8, 6:10] = 2          # an inclusion off the face: 16 of 144 face voxels below it
    footprint = 16 / 144

    def share(sigma_target):
        conductivities = [0.0, 1.0, sigma_target]
        r = solve(volume, conductivities, method="direct")
        return field_paths(r, volume, start_labels=[1], target_labels=[2]).captured_share()

    # same conductivity: the field is uniform, paths are straight, the share is the footprint's
    assert share(1.0) == pytest.approx(footprint, abs=1e-12)
    assert share(ratio) > footprint if ratio > 1 else share(ratio) < footprint


def test_needs_the_potential_field():
    block = np.ones((4, 4, 4), dtype=np.uint8)
    with pytest.raises(InputError, match="keep_fields"):
        field_paths(solve(block, [0.0, 1.0], method="direct", keep_fields=False), block)
