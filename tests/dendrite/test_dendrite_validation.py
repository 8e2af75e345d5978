"""Validation of the phase-field model against analytic truths (docs/validation.md)."""

import numpy as np
import pytest

from ssblab.dendrite.electrolyte import uniform_map
from ssblab.dendrite.metrics import front_heights_um
from ssblab.dendrite.phasefield import (
    ElectrodepositionSimulation,
    PhaseFieldParameters,
    butler_volmer_mA_cm2,
    flat_front_speed_um_h,
)


def _flat(control="galvanostatic", *, rows=48, spacing_um=1.0, sigma_S_m=0.357, **kwargs):
    emap = uniform_map((rows, 4), spacing_um=spacing_um, conductivity_S_m=sigma_S_m)
    return ElectrodepositionSimulation(emap, control=control, film_thickness_um=10.0,
                                       solver="fft", **kwargs)


def _run_until(sim, time_s):
    while sim.time_s < time_s and not sim.stop_reason:
        sim.run(1)
    return sim


def test_flat_front_speed_is_faradays_law():
    # truth: v = i V_m / F = 4.86 um/h at 1 mA/cm2; measured on the xi = 0.5 crossing
    sim = _flat(current_density_mA_cm2=1.0)
    _run_until(sim, 3600.0)  # let the profile settle
    h0, t0 = front_heights_um(sim.xi, 1.0).mean(), sim.time_s
    _run_until(sim, 4 * 3600.0)
    speed = (front_heights_um(sim.xi, 1.0).mean() - h0) / ((sim.time_s - t0) / 3600)
    assert flat_front_speed_um_h(1.0) == pytest.approx(4.858, abs=1e-3)
    assert speed == pytest.approx(flat_front_speed_um_h(1.0), rel=0.01)


def test_deposited_charge_equals_charge_passed():
    sim = _run_until(_flat(current_density_mA_cm2=2.0), 3 * 3600.0)
    assert sim.passed_charge_mAh_cm2 == pytest.approx(2.0 * sim.time_s / 3600, rel=1e-12)
    assert sim.deposited_charge_mAh_cm2 == pytest.approx(sim.passed_charge_mAh_cm2, rel=1e-6)


def test_no_growth_at_zero_overpotential():
    still = _run_until(_flat("potentiostatic", voltage_V=0.0), 5 * 3600.0)
    moving = _run_until(_flat("potentiostatic", voltage_V=0.005), 5 * 3600.0)
    moved_still = front_heights_um(still.xi, 1.0).mean() - front_heights_um(still.xi_initial, 1.0).mean()
    moved = front_heights_um(moving.xi, 1.0).mean() - front_heights_um(moving.xi_initial, 1.0).mean()
    assert abs(moved_still) < 0.01
    assert moved > 1.0


@pytest.mark.parametrize("voltage_V", [0.01, 0.04, 0.08])
def test_butler_volmer_current_on_a_flat_interface(voltage_V):
    # a very conductive electrolyte makes the ohmic drop small (and it is subtracted). The
    # thin-interface calibration of L_eta holds while the drive L_eta*B(eta) is small against
    # the profile relaxation rate L_sigma*W, hence the larger mobility here (docs/dendrite.md)
    params = PhaseFieldParameters(interface_mobility_m3_Js=2e-8)
    sim = _flat("potentiostatic", voltage_V=voltage_V, sigma_S_m=100.0, parameters=params)
    _run_until(sim, 1500.0)
    current = sim.current_history_mA_cm2[-1]
    ohmic_V = current * 10.0 * (48 - front_heights_um(sim.xi, 1.0).mean()) * 1e-6 / 100.0
    expected = butler_volmer_mA_cm2(voltage_V - ohmic_V, exchange_current_density_mA_cm2=1.0)
    assert current == pytest.approx(expected, rel=0.04)


def _potentiostatic_speed(spacing_um, relaxation_factor):
    rows = int(round(36 / spacing_um))
    sim = _flat("potentiostatic", voltage_V=0.02, rows=rows, spacing_um=spacing_um,
                sigma_S_m=100.0)
    sim.coefficients.dt_relaxation_s *= relaxation_factor
    _run_until(sim, 900.0)
    h0, t0 = front_heights_um(sim.xi, spacing_um).mean(), sim.time_s
    _run_until(sim, 2400.0)
    return (front_heights_um(sim.xi, spacing_um).mean() - h0) / ((sim.time_s - t0) / 3600)


def test_front_speed_converges_in_time_step_and_grid():
    truth = flat_front_speed_um_h(butler_volmer_mA_cm2(0.02, exchange_current_density_mA_cm2=1.0))
    v1, v2, v4 = (_potentiostatic_speed(1.0, f) for f in (1.0, 0.5, 0.25))
    # first order in time: halving the step halves the change
    assert abs(v4 - v2) < 0.7 * abs(v2 - v1)
    assert v4 == pytest.approx(truth, rel=0.03)
    finer_grid = _potentiostatic_speed(0.5, 0.25)
    assert abs(finer_grid - truth) < abs(v4 - truth)
    assert finer_grid == pytest.approx(truth, rel=0.02)


def test_parameters_reject_bad_values():
    from ssblab.errors import InputError

    with pytest.raises(InputError, match="exchange_current_density_mA_cm2"):
        PhaseFieldParameters(exchange_current_density_mA_cm2=-1.0)
    with pytest.raises(InputError, match="control"):
        _flat("galvanostatc")
    with pytest.raises(InputError, match="film_thickness_um"):
        ElectrodepositionSimulation(uniform_map((16, 4)), film_thickness_um=15.0)


def test_three_dimensional_run_conserves_charge(tmp_path):
    from ssblab.dendrite.electrolyte import particle_map
    from ssblab.dendrite.metrics import growth_result, write_movie

    emap = particle_map((24, 8, 10), fraction=0.2, radius_um=3.0, conductivity_S_m=(0.357, 3.57), rng=1)
    sim = ElectrodepositionSimulation(emap, current_density_mA_cm2=2.0, film_thickness_um=6.0,
                                      roughness_um=0.5, snapshot_interval=5, solver="fft", rng=1)
    sim.run(15)
    assert sim.deposited_charge_mAh_cm2 == pytest.approx(sim.passed_charge_mAh_cm2, rel=1e-6)
    result = growth_result(sim)
    assert result.order_parameter.shape == (24, 8, 10)
    result.plot_fields()
    write_movie(sim.snapshots, tmp_path / "m.gif")
    assert (tmp_path / "m.gif").stat().st_size > 0


def test_lagged_potential_converges_to_solving_every_step():
    from ssblab.dendrite.electrolyte import particle_map
    from ssblab.dendrite.studies import run_for

    emap = particle_map((32, 32), fraction=0.2, radius_um=4.0, conductivity_S_m=(0.357, 7.14), rng=2)
    params = PhaseFieldParameters(exchange_current_density_mA_cm2=100.0)
    fields = []
    for interval in (1, 5):
        sim = ElectrodepositionSimulation(emap, parameters=params, current_density_mA_cm2=2.0,
                                          film_thickness_um=8.0, roughness_um=1.0, rng=1,
                                          solver="fft", potential_interval=interval)
        fields.append(run_for(sim, 0.6).xi)
    assert np.max(np.abs(fields[1] - fields[0])) < 0.01


def test_anisotropy_changes_shape_but_not_charge():
    from ssblab.dendrite.electrolyte import uniform_map

    fields = []
    for delta in (0.0, 0.044):
        params = PhaseFieldParameters(anisotropy_strength=delta, exchange_current_density_mA_cm2=100.0)
        sim = ElectrodepositionSimulation(uniform_map((32, 32)), parameters=params,
                                          current_density_mA_cm2=2.0, film_thickness_um=6.0,
                                          nuclei=2, nucleus_radius_um=5.0, solver="fft", rng=2)
        sim.run(40)
        assert sim.deposited_charge_mAh_cm2 == pytest.approx(sim.passed_charge_mAh_cm2, rel=1e-6)
        fields.append(sim.xi)
    assert 1e-4 < np.max(np.abs(fields[1] - fields[0])) < 0.5
