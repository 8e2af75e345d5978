"""Seed comparisons of the cell models (docs/validation.md, "Cell models")."""

import numpy as np
import pytest

from ssblab.cell.studies import SEED000_MEASURED_MAH_G, RateStudy, seed000_rate_study


@pytest.fixture(scope="module")
def study():
    return seed000_rate_study(diffusivities_cm2_s=(4e-11, 1e-8))


def test_seed000_conductivity_alone_predicts_the_trend(study):
    # nothing fitted: the lower conductivity gives less capacity at every rate
    assert np.all(study.nominal_cold_mAh_g < study.nominal_hot_mAh_g)
    # but the nominal geometry explains only a minor part of the measured 1 C gap (88 mAh/g)
    assert 0.05 < study.explained_gap("nominal", 1.0) < 0.5


def test_seed000_fit_on_hot_then_predict_cold(study):
    assert study.profile_rms_hot_mAh_g.min() < 15          # 1 fitted parameter per row, 3 points
    cold = np.array(SEED000_MEASURED_MAH_G["cold"][:2])
    lo = study.profile_cold_mAh_g[:, :2].min(axis=0)
    hi = study.profile_cold_mAh_g[:, :2].max(axis=0)
    # the predicted range (diffusion-limited ... ohmic-limited readings) brackets the measurement
    assert np.all(lo <= cold) and np.all(cold <= hi)
    assert isinstance(RateStudy.from_json(study.to_json()), RateStudy)
