import numpy as np
import pytest

from ssblab.errors import InputError
from ssblab.microstructure.generate import grain_boundaries, mixture, pellet, volume_fraction


@pytest.mark.parametrize("packing", ["overlapping", "packed", "sintered"])
@pytest.mark.parametrize("density", [0.55, 0.8, 0.95])
def test_pellet_meets_the_target_density_and_is_reproducible(packing, density):
    a = pellet((24, 24, 24), relative_density=density, grain_radius_voxels=3, packing=packing, rng=7)
    b = pellet((24, 24, 24), relative_density=density, grain_radius_voxels=3, packing=packing, rng=7)
    assert abs(a.relative_density - density) <= 1 / 24**3
    np.testing.assert_array_equal(a.labels, b.labels)
    assert set(np.unique(a.labels)) <= {0, 1}
    assert np.all((a.grains >= 0) == (a.labels == 1))


def test_different_seeds_give_different_pellets():
    a = pellet((20, 20, 20), relative_density=0.7, rng=1).labels
    b = pellet((20, 20, 20), relative_density=0.7, rng=2).labels
    assert np.mean(a != b) > 0.1


def test_grain_size_follows_the_requested_radius():
    from ssblab.microstructure.analysis import equivalent_diameters

    p = pellet((64, 64, 64), relative_density=0.6, grain_radius_voxels=6, radius_spread=0.0,
               packing="packed", rng=0)
    diameters = equivalent_diameters(p.labels == 1)
    # RSA centres at >= 0.9 (r_i + r_j), grown until 60 % dense: grains ~ 12 voxels across.
    assert 9 < np.median(diameters) < 14


@pytest.mark.parametrize("thickness", [1, 2, 3, 4])
def test_grain_boundary_layer_has_the_requested_thickness(thickness):
    grains = np.zeros((20, 3, 3), int)
    grains[10:] = 1
    labels = grain_boundaries(grains, thickness_voxels=thickness)
    assert np.all(labels[:, 1, 1][(labels[:, 1, 1] == 2)].size == thickness)
    assert np.count_nonzero(labels == 2) == 9 * thickness


def test_grain_boundaries_skip_voids():
    grains = np.array([0, 0, -1, 1, 1]).reshape(5, 1, 1)
    assert grain_boundaries(grains)[:, 0, 0].tolist() == [1, 1, 0, 1, 1]


def test_mixture_meets_mass_fraction_through_densities():
    densities = (1.87, 2.04)
    labels = mixture((48, 48, 48), fraction=0.2, basis="mass", densities_g_cm3=densities,
                     radii_voxels=(5, 3), rng=3)
    v = np.mean(labels == 2) / np.mean(labels > 0)
    expected = (0.2 / 2.04) / (0.2 / 2.04 + 0.8 / 1.87)
    assert v == pytest.approx(expected, abs=0.01)  # within one particle of the target
    assert volume_fraction(0.2, densities) == pytest.approx(expected)
    porous = mixture((32, 32, 32), fraction=0.3, basis="volume", relative_density=0.8, rng=1)
    assert np.mean(porous > 0) == pytest.approx(0.8, abs=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda: pellet((10, 10), relative_density=0.5), "shape"),
    (lambda: pellet((10, 10, 10), relative_density=1.5), "relative_density"),
    (lambda: pellet((10, 10, 10), relative_density=0.5, packing="loose"), "packing"),
    (lambda: grain_boundaries(np.zeros((3, 3, 3), int), thickness_voxels=0), "thickness_voxels"),
    (lambda: mixture((8, 8, 8), fraction=2.0), "fraction"),
])
def test_generator_input_errors(call, message):
    with pytest.raises(InputError, match=message):
        call()
