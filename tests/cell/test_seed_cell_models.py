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


def test_seed_constants_match_the_shared_targets(real_data):
    yaml = pytest.importorskip("yaml")
    from ssblab.cell import symmetric_model as symmetric
    from ssblab.cell.life import SEED001_DENDRITE
    from ssblab.cell.studies import SEED000_CONDUCTIVITY_S_CM

    targets = yaml.safe_load((real_data.parent / "reference" / "seed_targets.yaml").read_text())
    rate = targets["li3incl6_processing"]["full_cell_NCM83"]["rate_capacity_mAh_g"]
    assert SEED000_MEASURED_MAH_G["hot"] == (rate["hot"]["0.5C"], rate["hot"]["1.0C"], rate["hot"]["1.5C"])
    assert SEED000_MEASURED_MAH_G["cold"][:2] == (rate["cold"]["0.5C"], rate["cold"]["1.0C"])
    sigma = targets["li3incl6_processing"]["conductivity_25C_S_cm"]
    assert SEED000_CONDUCTIVITY_S_CM == {"cold": sigma["cold_0.5GPa"], "hot": sigma["hot_0.5GPa_250C"]}
    dendrite = targets["li_in_dendrites_lpscl"]["dendrite_length_um"]
    assert SEED001_DENDRITE.length_cm_at(100) == pytest.approx(1e-4 * dendrite["after_100_cycles"])
    assert SEED001_DENDRITE.length_cm_at(897) == pytest.approx(1e-4 * dendrite["after_897_cycles"])
    assert symmetric.SEED004_LYC_S_CM == pytest.approx(
        1e-3 * targets["alocl_nano_licl"]["halide_conductivities_mS_cm"]["Li3YCl6"])
    rct = targets["lyc_li_in_interphase"]["charge_transfer_resistance_ohm"]
    assert symmetric.seed004_li_cell().exchange_current_mA_cm2 == pytest.approx(
        symmetric._interface_i0(rct["li_initial"]))
    li_in = symmetric.seed004_li_in_cell()
    assert li_in.exchange_current_mA_cm2 == pytest.approx(symmetric._interface_i0(rct["li_in_initial"]))
    assert li_in.interphase.final_exchange_current_mA_cm2 == pytest.approx(
        symmetric._interface_i0(rct["li_in_after_50_cycles"]))


def test_seed004_full_cell_half_c_capacity_nominal():
    # seed 004: 145 mAh/g at 0.5 C (1 C = 200 mAh/g, 3.0-4.3 V vs Li); nothing fitted, geometry assumed
    from ssblab.cell.full import rate_capability
    from ssblab.cell.studies import seed004_full_cell

    r = rate_capability(seed004_full_cell(), (0.1, 0.5), voltage_max_V=4.3 - 0.62, voltage_min_V=3.0 - 0.62,
                        one_C_mAh_g=200, steps_per_half_cycle=150)
    assert r.capacity_at(0.5) == pytest.approx(145, rel=0.15)
