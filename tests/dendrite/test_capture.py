"""Dendrite capture by LGPS: stoichiometry, the race, connectivity, the staircase, the one-number fit."""

import math

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.dendrite.capture import (
    SEED003_ELECTROLYTES,
    CaptureParameters,
    Electrolyte,
    anode_connected_lgps_um,
    lgps_capacity_mAh_cm3,
    screened_share,
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
    ccd, mode, _ = staircase_ccd(host, (0.0, 0.0, 0.0, 0.0), p)
    assert ccd == pytest.approx(0.5) and mode == "host tolerance"


def test_capture_rate_and_capacity_limits():
    host = Electrolyte(name="mix", host_S_cm=3.57e-3, lgps_mass_fraction=0.2)
    p = CaptureParameters(host_ccd_per_conductivity=0.1, capture_rate_mA_cm2=10.0)
    # no attraction (s = a = phi): host tolerance unchanged at 0.357; capture up to 10 * 0.2 = 2 mA/cm2 more
    ccd, mode, _ = staircase_ccd(host, (0.2, 0.2, 0.2, 1e4), p)
    assert ccd == pytest.approx(2.5) and mode == "filaments outrun capture"     # first step above 2.357
    # little connected LGPS (an isolated cluster at the anode): used up first; a reacted grain stops capturing
    ccd_thin, mode_thin, reacted = staircase_ccd(host, (0.2, 0.2, 0.2, 0.5), p)
    assert ccd_thin < ccd and mode_thin == "connected LGPS used up" and reacted == 1.0
    # 0.5 um of LGPS holds 0.5e-4 * 2206 = 0.110 mAh/cm2: at 0.5 h per step the excess flux
    # 0.143 (0.5 mA/cm2) and 0.343 (0.7) add 0.243 mAh/cm2 of Li, more than it holds
    assert ccd_thin == pytest.approx(0.7)
    # no attraction at all: the host's own tolerance
    assert staircase_ccd(host, (0.2, 0.2, 0.0, 1e4), p)[:2] == (pytest.approx(0.5), "host tolerance")


def test_shares_must_name_the_attracted_share():
    host = Electrolyte(name="mix", host_S_cm=3.57e-3, lgps_mass_fraction=0.2)
    with pytest.raises(InputError, match="attracted share"):
        staircase_ccd(host, (0.2, 0.2, 0.5), CaptureParameters())
    with pytest.raises(InputError, match="growth_per_spacing"):
        screened_share([1.0, 2.0], [True, False], growth_per_spacing=-1.0)


def test_screened_share_against_hand_values():
    # two fronts fed 1 and 3: weights 1 and 3^N, N = 1 + 2 pi h / lambda
    for growth in (0.0, 0.5, 1.0, 2.0):
        n = 1 + 2 * math.pi * growth
        assert screened_share([1.0, 3.0], [False, True], growth_per_spacing=growth) == pytest.approx(
            3**n / (1 + 3**n), rel=1e-12)
    # a uniform face: every front equal, the share is the area's whatever the race
    face = np.ones((6, 5))
    mask = np.zeros((6, 5), bool)
    mask[:2] = True
    assert screened_share(face, mask, growth_per_spacing=3.0) == pytest.approx(10 / 30, rel=1e-12)
    # voxels that carry no current (pores) take no part; no current at all: no share
    assert screened_share([0.0, np.nan, 1.0, 1.0], [True, True, True, False]) == pytest.approx(0.5)
    assert screened_share([0.0, 0.0], [True, False]) == 0.0
    # a long race on a contrasted face neither overflows nor loses the leader
    assert screened_share([1.0, 1e3], [False, True], growth_per_spacing=100.0) == pytest.approx(1.0)


def test_anode_connected_lgps_counts_what_a_reaction_can_reach():
    v = np.zeros((4, 4, 8), int)
    v[0, 0, :3] = 2                        # touches the anode, ends inside: its own volume, 3 voxels / 16
    v[2, 2, 4] = 2                         # isolated, not at the anode: nothing
    assert anode_connected_lgps_um(v, 2, voxel_um=2.0, reach_um=500.0) == (pytest.approx(3 / 16 * 2.0), False)
    v[1, 1, 3] = 2                         # corner contact only (voxel-grid artefact): not connected
    assert anode_connected_lgps_um(v, 2, voxel_um=1.0, reach_um=500.0)[0] == pytest.approx(3 / 16)
    v[1, 1, 3] = 0
    v[1, 0, 3] = 2                         # edge contact with the grain at the anode: connected
    assert anode_connected_lgps_um(v, 2, voxel_um=1.0, reach_um=500.0)[0] == pytest.approx(4 / 16)
    v[1, 0, 3:] = 2                        # now it reaches the far face: continued to the reach
    thickness, spans = anode_connected_lgps_um(v, 2, voxel_um=1.0, reach_um=80.0)
    assert spans and thickness == pytest.approx((3 + 5) / 16 * 80.0 / 8)


def test_race_invariants_on_a_mixture():
    from ssblab.workflows.multiscale import lgps_face_shares

    # one 24^3 mixture (20 % LGPS by mass), the host's conductivity swept across LGPS's 5.26 mS/cm
    contrasts = (0.5, 0.78, 1.0, 1.08, 1.47, 2.0)
    runs = [lgps_face_shares(5.26e-3 / k, 0.2, lgps_S_cm=5.26e-3, shape=(24, 24, 24), rng=0)
            for k in contrasts]
    a = runs[0][0]
    assert all(r[0] == a for r in runs) and all(r[3:] == runs[0][3:] for r in runs)   # same face, same LGPS
    at_one = runs[contrasts.index(1.0)]
    # contrast 1: no attraction beyond the area share (the solve's flux tolerance is 1e-4)
    assert at_one[1] == pytest.approx(a, abs=1e-3) and at_one[2] == pytest.approx(a, abs=1e-3)
    # a better conductor draws more current and more of the race; the race sharpens the ohmic share
    s = np.array([r[1] for r in runs])
    phi = np.array([r[2] for r in runs])
    assert np.all(np.diff(s) > 0) and np.all(np.diff(phi) > 0)
    away = np.array(contrasts) != 1.0
    assert np.all(np.abs(phi - a)[away] > np.abs(s - a)[away])
    # the same seed gives the same shares; no race (h = 0): the attracted share is the ohmic one
    assert lgps_face_shares(3.57e-3, 0.2, shape=(24, 24, 24), rng=0) == lgps_face_shares(
        3.57e-3, 0.2, shape=(24, 24, 24), rng=0)
    ohmic = lgps_face_shares(3.57e-3, 0.2, shape=(24, 24, 24), growth_per_spacing=0.0, rng=0)
    assert ohmic[2] == pytest.approx(ohmic[1], abs=0.01)     # face layer's current vs the solve's inlet flux


def test_one_fitted_five_predicted_and_labelled():
    from ssblab.workflows.multiscale import seed003_capture_study

    r = seed003_capture_study(generator_seeds=(0,), shape=(32, 32, 32))
    comparisons = {c.quantity: c for c in r.seed_comparisons()}
    assert comparisons["CCD LPSC1.0-82"].fitted
    assert sum(c.fitted for c in comparisons.values()) == 1
    assert comparisons["CCD LPSC1.0-82"].model == pytest.approx(2.1, abs=0.25)
    assert set(r.trends()) and "[predicted; seed 003: 1.1]" in str(r)
    assert r.provenance["inputs"]["generator_seeds"] == [0]
    assert len(SEED003_ELECTROLYTES) == 6 and math.isfinite(r.capture_rate_mA_cm2)
    # deterministic for given generator seeds (no path sampling), and it survives a JSON round trip
    from ssblab.results import Result

    assert seed003_capture_study(generator_seeds=(0,), shape=(32, 32, 32)) == r
    assert Result.from_json(r.to_json()) == r


def test_cli_ccd_study(tmp_path):
    res = CliRunner().invoke(main, ["dendrite", "ccd-study", "--generator-seed", "0", "--size", "32",
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "fitted to seed 003's LPSC1.0-82 CCD" in res.output
    assert (tmp_path / "report.html").exists()
    bad = CliRunner().invoke(main, ["dendrite", "ccd-study", "--generator-seed", "a"])
    assert bad.exit_code == 2 and "--generator-seed" in bad.output
    bad_growth = CliRunner().invoke(main, ["dendrite", "ccd-study", "--growth-per-spacing", "-1",
                                           "--size", "16"])
    assert bad_growth.exit_code == 2 and "--growth-per-spacing" in bad_growth.output


def test_reactive_phase_in_the_phase_field_conserves_li_and_runs_out():
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


def test_cli_says_why_a_small_volume_cannot_be_fitted():
    # a 20^3 box: the 20 % mixture's LGPS does not span it, so its capacity is a few tenths of a mAh/cm2
    res = CliRunner().invoke(main, ["dendrite", "ccd-study", "--generator-seed", "0", "--size", "20"])
    assert res.exit_code == 2 and "spans the volume in 0 of 1 draws" in res.output
