"""The CCD staircase: protocol, window check and failure detection."""

import numpy as np
import pytest

from ssblab.dendrite.ccd import phasefield_ccd, staircase_currents, staircase_window_rows
from ssblab.dendrite.electrolyte import uniform_map
from ssblab.errors import InputError


def test_staircase_protocol_matches_seed_003():
    assert staircase_currents(0.1, 0.2, 2.1)[-1] == pytest.approx(2.1)
    assert len(staircase_currents(0.1, 0.2, 2.1)) == 11
    # 0.1 + 0.3 + 0.5 mAh/cm2 plate 4.37 um of Li at 4.86 um per mAh/cm2
    assert staircase_window_rows([0.1, 0.3, 0.5], step_duration_h=1.0, film_thickness_um=10.0,
                                 failure_penetration_um=5.0, spacing_um=1.0) == 30


def test_staircase_runs_and_detects_failure():
    emap = uniform_map((32, 12))
    calm = phasefield_ccd(emap, max_current_mA_cm2=0.5, step_duration_h=0.25, separator_thickness_um=100.0,
                         failure_fraction=0.1, solver="fft")
    assert calm.current_steps_mA_cm2.tolist() == pytest.approx([0.1, 0.3, 0.5])
    assert not calm.failed and np.isnan(calm.ccd_mA_cm2)
    assert np.all(calm.penetration_um < 10.0)
    # a rough film already leads by more than a 0.3 um failure threshold: fails in step one
    rough = phasefield_ccd(emap, max_current_mA_cm2=0.5, step_duration_h=0.25, roughness_um=1.5,
                          separator_thickness_um=3.0, failure_fraction=0.1, solver="fft")
    assert rough.failed and rough.ccd_mA_cm2 == pytest.approx(0.1)


def test_window_too_short_is_an_input_error():
    with pytest.raises(InputError, match="rows"):
        phasefield_ccd(uniform_map((20, 8)), max_current_mA_cm2=2.1, solver="fft")
