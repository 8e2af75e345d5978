"""Seed 000's rate tables predicted from generated microstructures; provenance and seed spreads."""

import numpy as np
import pytest

from ssblab.errors import InputError
from ssblab.workflows.multiscale import (
    composite_catholyte,
    multiscale_pipeline,
    seed000_rate_prediction,
)


def test_composite_catholyte_limits():
    dense = np.full((10, 10, 10), 2, dtype=np.uint8)          # catholyte only
    assert composite_catholyte(1.0, volume=dense).sigma_eff_S_cm == pytest.approx(1.0, rel=1e-4)
    slab = dense.copy()
    slab[:5] = 1                                               # half the cross-section active material
    assert composite_catholyte(1.0, volume=slab).sigma_eff_S_cm == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(InputError, match="percolate"):
        composite_catholyte(1.0, volume=np.ones((8, 8, 8), dtype=np.uint8))


def test_rate_prediction_is_labelled_and_ordered():
    r = seed000_rate_prediction(generator_seeds=(0, 1), shape=(24, 24, 24), c_rates=(0.5, 1.0, 1.5),
                                steps_per_half_cycle=60)
    cold, hot = r.routes
    assert np.all(r.mean(cold) < r.mean(hot))                  # the denser, better conductor wins
    assert r.capacity_mAh_g[cold].shape == (2, 3) and np.all(r.spread(cold) >= 0)
    share, spread = r.gap_share(1.0)
    assert 0 < share < 1 and spread >= 0
    assert all(c.status == "predicted" for c in r.seed_comparisons())
    assert "[predicted; seed 000: 35]" in str(r)
    assert r.provenance["inputs"]["generator_seeds"] == [0, 1]
    # the starved composite: a worse catholyte than Bruggeman's estimate of the same fraction
    assert np.all(r.catholyte_factor[cold] < 0.8 * 0.35 ** 1.5)


def test_pipeline_provenance_records_the_microstructure():
    run = multiscale_pipeline(1e-3, relative_density=0.9, shape=(16, 16, 16), n_cycles=5, c_rates=(0.5,),
                              grain_radius_voxels=3.0, rng=7)
    vol = run.provenance["inputs"]["volume"]
    assert vol["generator_seed"] == 7 and vol["grain_radius_voxels"] == 3.0 and vol["shape"] == [16, 16, 16]
    assert len(vol["sha256"]) == 64
    again = multiscale_pipeline(1e-3, relative_density=0.9, shape=(16, 16, 16), n_cycles=5, c_rates=(0.5,),
                                grain_radius_voxels=3.0, rng=7)
    assert again.provenance["inputs"]["volume"]["sha256"] == vol["sha256"]
    with pytest.raises(InputError, match="integer generator seed"):
        multiscale_pipeline(1e-3, relative_density=0.9, shape=(16, 16, 16), rng=np.random.default_rng(1))
