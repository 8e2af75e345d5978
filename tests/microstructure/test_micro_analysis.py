import math

import numpy as np
import pytest

from ssblab.microstructure.analysis import (
    MicrostructureAnalysis,
    analyse,
    equivalent_diameters,
    surface_area_voxels2,
)


@pytest.mark.parametrize("radius, tol", [(10, 0.01), (15, 0.01), (5, 0.06)])
def test_surface_area_of_a_ball(radius, tol):
    n = 2 * radius + 11
    ball = np.linalg.norm(np.indices((n, n, n)) - n // 2, axis=0) <= radius
    assert surface_area_voxels2(ball) == pytest.approx(4 * math.pi * radius**2, rel=tol)


def test_box_faces_are_not_counted():
    slab = np.zeros((10, 10, 10), bool)
    slab[:, :, :5] = True  # one internal interface of 10 x 10 voxel faces
    assert surface_area_voxels2(slab) == pytest.approx(100, rel=0.02)


def test_analyse_reports_fractions_area_and_sizes():
    n, radius = 40, 6
    grid = np.indices((n, n, n))
    balls = np.zeros((n, n, n), np.uint8)
    for c in ((10, 10, 10), (30, 30, 10), (10, 30, 30), (30, 10, 30)):
        balls[np.linalg.norm(grid - np.reshape(c, (3, 1, 1, 1)), axis=0) <= radius] = 1
    a = analyse(balls, voxel_size_cm=1e-4)
    f = balls.mean()
    assert a.porosity == pytest.approx(1 - f) and a.phase_fractions[1] == pytest.approx(f)
    area_cm2 = 4 * 4 * math.pi * radius**2 * 1e-8
    assert a.specific_surface_area_1_cm[1] == pytest.approx(area_cm2 / (n**3 * 1e-12), rel=0.02)
    # four separate balls: four grains of equivalent diameter ~ 12 voxels = 1.2 um
    assert a.grain_diameters_um.size == 4
    diameter_um = (6 * balls.sum() / 4 / math.pi) ** (1 / 3) * 1e-4 * 1e4
    assert a.grain_diameters_um == pytest.approx(np.full(4, diameter_um))
    back = MicrostructureAnalysis.from_json(a.to_json())
    assert back.porosity == a.porosity
    assert a.plot() is not None


def test_equivalent_diameters_split_touching_balls():
    n = 40
    grid = np.indices((n, n, n))
    pair = (np.linalg.norm(grid - np.reshape((20, 20, 13), (3, 1, 1, 1)), axis=0) <= 7) | \
           (np.linalg.norm(grid - np.reshape((20, 20, 26), (3, 1, 1, 1)), axis=0) <= 7)
    d = equivalent_diameters(pair)
    assert d.size == 2
    assert d == pytest.approx([14, 14], rel=0.1)
