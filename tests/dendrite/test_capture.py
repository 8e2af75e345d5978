"""Dendrite capture by LGPS: stoichiometry, the staircase's limits, the one-number fit, labels."""

import math

import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.dendrite.capture import (
    SEED003_ELECTROLYTES,
    CaptureParameters,
    Electrolyte,
    lgps_capacity_mAh_cm3,
    staircase_ccd,
)
from ssblab.errors import InputError


def test_lgps_capacity_from_the_reduction_stoichiometry():
    # Li10GeP2S12: 588.7 g/mol by hand (Li 6.94, Ge 72.63, P 30.974, S 32.06); 23.75 Li per formula unit
    molar_mass = 10 * 6.94 + 72.63 + 2 * 30.974 + 12 * 32.06
    expected = 2.04 / molar_mass * 23.75 * 96485.33212 / 3.6
    assert lgps_capacity_mAh_cm3(2.04) == pytest.approx(expected, rel=1e-6)
    # about one volume of Li metal (0.534 g/cm3, 6.94 g/mol -> 2062 mAh/cm3) per volume of LGPS
    assert lgps_capacity_mAh_cm3(2.04) / (0.534 / 6.94 * 96485.33212 / 3.6) == pytest.approx(1.07, abs=0.01)


def test_host_alone_fails_at_its_own_tolerance():
    p = CaptureParameters(host_ccd_per_conductivity=0.14)
    host = Electrolyte(name="host", host_S_cm=3.57e-3)          # 0.14 * 3.57 = 0.4998 mA/cm2
    ccd, mode, _ = staircase_ccd(host, (0.0, 0.0, 0.0), p)
    assert ccd == pytest.approx(0.5) and mode == "host tolerance"


def test_capture_rate_and_capacity_limits():
    host = Electrolyte(name="mix", host_S_cm=3.57e-3, lgps_mass_fraction=0.2)
    p = CaptureParameters(host_ccd_per_conductivity=0.1, capture_rate_mA_cm2=10.0, reach_um=1e5)
    # no attraction (s = a): host tolerance unchanged at 0.357; capture up to 10 * 0.2 = 2 mA/cm2 more
    ccd, mode, _ = staircase_ccd(host, (0.2, 0.2, 0.2), p)
    assert ccd == pytest.approx(2.5) and mode == "filaments outrun capture"     # first step above 2.357
    # a thin reachable layer runs out of LGPS first: a particle that has reacted stops capturing
    ccd_thin, mode_thin, reacted = staircase_ccd(host, (0.2, 0.2, 0.2), CaptureParameters(
        host_ccd_per_conductivity=0.1, capture_rate_mA_cm2=10.0, reach_um=2.0))
    assert ccd_thin < ccd and mode_thin == "reachable LGPS used up" and reacted == 1.0


def test_shares_must_name_the_captured_path_share():
    host = Electrolyte(name="mix", host_S_cm=3.57e-3, lgps_mass_fraction=0.2)
    with pytest.raises(InputError, match="captured path share"):
        staircase_ccd(host, (0.2, 0.2), CaptureParameters())


def test_filament_paths_enter_lgps_more_when_it_conducts_better():
    from ssblab.workflows.multiscale import lgps_face_shares

    # same 24^3 mixture (20 % LGPS by mass), the host below, at and above LGPS's 5.26 mS/cm
    attracted, equal, repelled = (lgps_face_shares(host, 0.2, lgps_S_cm=5.26e-3, shape=(24, 24, 24), rng=0)
                                  for host in (3.57e-3, 5.26e-3, 6.75e-3))
    assert attracted[0] == equal[0] == repelled[0]                           # same face
    assert equal[1] == pytest.approx(equal[0], abs=1e-6)                     # ohmic share: the area's
    assert attracted[1] > equal[1] > repelled[1]
    # paths (dielectric breakdown rule): graded by the contrast, beyond their sampling errors
    for high, low in ((attracted, equal), (equal, repelled)):
        assert high[2] - low[2] > 3 * math.hypot(high[3], low[3])


def test_one_fitted_four_predicted_and_labelled():
    from ssblab.workflows.multiscale import seed003_capture_study

    r = seed003_capture_study(generator_seeds=(0, 1), shape=(24, 24, 24))
    comparisons = {c.quantity: c for c in r.seed_comparisons()}
    assert comparisons["CCD LPSC1.0-82"].fitted
    assert sum(c.fitted for c in comparisons.values()) == 1
    assert comparisons["CCD LPSC1.0-82"].model == pytest.approx(2.1, abs=0.25)
    assert set(r.trends()) and "[predicted; seed 003: 1.1]" in str(r)
    assert r.provenance["inputs"]["generator_seeds"] == [0, 1]
    assert len(SEED003_ELECTROLYTES) == 5 and math.isfinite(r.capture_rate_mA_cm2)


def test_cli_ccd_study(tmp_path):
    res = CliRunner().invoke(main, ["dendrite", "ccd-study", "--generator-seed", "0", "--size", "20",
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "fitted to seed 003's LPSC1.0-82 CCD" in res.output
    assert (tmp_path / "report.html").exists()
    bad = CliRunner().invoke(main, ["dendrite", "ccd-study", "--generator-seed", "a"])
    assert bad.exit_code == 2 and "--generator-seed" in bad.output
    bad_eta = CliRunner().invoke(main, ["dendrite", "ccd-study", "--eta", "0", "--size", "16"])
    assert bad_eta.exit_code == 2 and "--eta" in bad_eta.output


def test_reactive_phase_in_the_phase_field_conserves_li_and_runs_out():
    import numpy as np

    from ssblab.dendrite.capture import ReactivePhase
    from ssblab.dendrite.electrolyte import particle_map
    from ssblab.dendrite.phasefield import (
        ElectrodepositionSimulation,
        PhaseFieldParameters,
    )

    emap = particle_map((32, 16), fraction=0.25, radius_um=3.0, rng=0)
    sim = ElectrodepositionSimulation(emap, current_density_mA_cm2=2.0, film_thickness_um=8.0, solver="fft",
                                      parameters=PhaseFieldParameters(exchange_current_density_mA_cm2=100),
                                      rng=0)
    sim.chemistry = ReactivePhase(sim, phase="A", rate_1_s=1e-2, capacity_mAh_cm3=200.0)
    sigma_a = sim.coefficients.sigma_e[np.asarray(emap.labels) == 1].max()
    while sim.time_s < 1800:
        sim.run(1)
    captured = sim.chemistry.captured_charge_mAh_cm2(sim)
    # Li conservation: what the metal holds plus what the reaction consumed is what was passed
    assert sim.deposited_charge_mAh_cm2 + captured == pytest.approx(sim.passed_charge_mAh_cm2, rel=1e-8)
    assert captured > 0
    p = sim.chemistry.reacted_fraction
    assert p.max() == pytest.approx(1.0) and p.min() >= 0
    # a cell that has reacted fully stops capturing and conducts like the product
    full = p >= 1 - 1e-12
    assert np.all(sim.chemistry.remaining[full] <= 1e-12)
    assert np.all(sim.coefficients.sigma_e[full] < 1e-3 * sigma_a)
    # the capacity bound: no cell gave more than its capacity
    assert np.all(sim.chemistry.remaining >= -1e-12)
    with pytest.raises(Exception, match="phase"):
        ReactivePhase(sim, phase="LGPS")
