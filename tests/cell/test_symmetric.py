import numpy as np
import pytest

from ssblab.cell.growth import CurrentDrivenGrowth, Interphase, PowerLawGrowth, shorted_fraction
from ssblab.cell.kinetics import butler_volmer_overpotential
from ssblab.cell.symmetric_model import (
    SymmetricCell,
    SymmetricSimulation,
    galvanostatic_cycling,
    model_ccd,
    seed004_li_cell,
    seed004_li_in_cell,
    simulate_symmetric,
    square_wave,
)
from ssblab.errors import InputError
from ssblab.results import conductivity_of


def test_ohms_law_with_fast_kinetics():
    cell = SymmetricCell(thickness_cm=0.08, conductivity_S_cm=2e-3, exchange_current_mA_cm2=1e6)
    r = galvanostatic_cycling(cell, current_mA_cm2=0.7, duration_h=2)
    np.testing.assert_allclose(np.abs(r.voltage_V), 0.7e-3 * 0.08 / 2e-3, rtol=1e-5)
    assert np.all(np.sign(r.voltage_V) == np.sign(r.current_mA_cm2))


def test_voltage_is_ohmic_plus_two_exact_bv_overpotentials():
    cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=0.1)
    r = simulate_symmetric(cell, [0.0, 1.0], [0.5, 0.5])
    eta = butler_volmer_overpotential(0.5, 0.1)
    assert r.voltage_V[0] == pytest.approx(0.5e-3 * 50 + 2 * eta, rel=1e-12)


def test_current_conservation_when_shorted():
    # fully shorted: ionic + electronic currents add up to the applied current
    cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=0.3,
                         dendrite=CurrentDrivenGrowth(velocity_cm_h=1.0), short_resistance_ohm_cm2=20.0)
    r = simulate_symmetric(cell, [0.0, 1.0, 2.0], [1.0, 1.0, 1.0])
    assert r.shorted_fraction[-1] == 1.0
    v = r.voltage_V[-1]
    leak = 1e3 * v / 20.0
    ionic = 1.0 - leak
    eta = butler_volmer_overpotential(ionic, 0.3)
    assert v == pytest.approx(1e-3 * ionic * 50 + 2 * eta, rel=1e-9)
    # a perfect short (R -> 0) takes the whole current: V -> 0
    hard = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=0.3,
                         dendrite=CurrentDrivenGrowth(velocity_cm_h=1.0), short_resistance_ohm_cm2=1e-9)
    assert abs(simulate_symmetric(hard, [0.0, 1.0, 2.0], [1.0] * 3).voltage_V[-1]) < 1e-11


def test_parabolic_interphase_quadruple_time_doubles_thickness():
    ip = Interphase(conductivity_S_cm=1e-8, parabolic_rate_cm2_h=1e-12)
    assert ip.thickness_cm(40.0) / ip.thickness_cm(10.0) == pytest.approx(2.0)
    cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1e6,
                         interphase=ip)
    r = galvanostatic_cycling(cell, current_mA_cm2=0.2, duration_h=40)
    expected = 0.05 / 1e-3 + 2 * ip.thickness_cm(r.time_h) / 1e-8
    np.testing.assert_allclose(r.ohmic_resistance_ohm_cm2, expected)


def test_saturating_interphase_converts_electrolyte():
    ip = Interphase(conductivity_S_cm=1e-3, growth="saturating", saturated_thickness_cm=0.01,
                    time_constant_h=1.0, consumes_electrolyte=True)
    cell = SymmetricCell(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1.0,
                         interphase=ip)
    r = galvanostatic_cycling(cell, current_mA_cm2=0.2, duration_h=50)
    # same conductivity: converting electrolyte to interphase leaves the ohmic resistance unchanged
    np.testing.assert_allclose(r.ohmic_resistance_ohm_cm2, 50.0)
    assert r.interphase_thickness_cm[-1] == pytest.approx(0.01, rel=1e-6)


def test_shorted_fraction_and_power_law():
    assert shorted_fraction(2.0, 1.0, spread=0.5) > 0.5 > shorted_fraction(0.5, 1.0, spread=0.5)
    law = PowerLawGrowth.from_points(10, 1.0, 100, 10.0)
    assert law.exponent == pytest.approx(1.0)
    assert law.cycles_to_length(5.0) == pytest.approx(50.0)
    with pytest.raises(InputError):
        PowerLawGrowth.from_points(100, 1.0, 10, 2.0)


def test_seed004_li_curve_is_reproduced_by_its_calibration():
    # calibrated on these three features (docs/cell.md): a check that the stored fit holds
    r = galvanostatic_cycling(seed004_li_cell(), current_mA_cm2=0.2, duration_h=120)
    v = r.overpotential_mV
    k = int(np.argmax(v))
    assert v[k] == pytest.approx(170, rel=0.05)
    assert r.time_h[k] == pytest.approx(24, abs=2)
    assert v[np.argmin(np.abs(r.time_h - 70))] < 5.0
    assert 40 < r.short_time_h < 70


def test_seed004_li_in_from_measured_rct_is_not_fitted():
    # inputs are measured Rct values (1260 -> 235 ohm); seed 004: ~150 mV -> ~60 mV
    r = galvanostatic_cycling(seed004_li_in_cell(), current_mA_cm2=0.2, duration_h=300)
    v = r.overpotential_mV
    early, late = v[1], v[-1]
    assert 150 <= early <= 250
    assert 50 <= late <= 90
    assert early / late > 2
    assert np.isnan(r.short_time_h)


def test_ccd_staircase_respects_threshold():
    slow = CurrentDrivenGrowth(velocity_cm_h=0.05, threshold_mA_cm2=1.0)
    fast = CurrentDrivenGrowth(velocity_cm_h=0.05, threshold_mA_cm2=0.3)
    base = dict(thickness_cm=0.05, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1.0)
    ccd_slow = model_ccd(SymmetricCell(dendrite=slow, **base))
    ccd_fast = model_ccd(SymmetricCell(dendrite=fast, **base))
    assert ccd_slow.ccd_mA_cm2 > 1.0
    assert ccd_fast.ccd_mA_cm2 < ccd_slow.ccd_mA_cm2
    assert ccd_slow.criterion == "short circuit"
    none = model_ccd(SymmetricCell(**base), max_mA_cm2=1.0)
    assert not none.ok


def test_conductivity_from_other_layer_results():
    class Micro:
        sigma_eff_S_cm = 2e-3

    assert conductivity_of(Micro()) == 2e-3
    with pytest.raises(InputError, match="conductivity"):
        conductivity_of(-1.0)


def test_result_round_trip_and_plot():
    r = galvanostatic_cycling(seed004_li_in_cell(), current_mA_cm2=0.2, duration_h=4)
    back = SymmetricSimulation.from_json(r.to_json())
    np.testing.assert_array_equal(back.voltage_V, r.voltage_V)
    assert r.plot().get_ylabel() == "voltage (mV)"


def test_bad_inputs():
    with pytest.raises(InputError, match="thickness_cm"):
        SymmetricCell(thickness_cm=-1, conductivity_S_cm=1e-3, exchange_current_mA_cm2=1)
    with pytest.raises(InputError, match="non-decreasing"):
        simulate_symmetric(SymmetricCell(thickness_cm=1, conductivity_S_cm=1, exchange_current_mA_cm2=1),
                           [1.0, 0.0], [1.0, 1.0])
    with pytest.raises(InputError):
        square_wave(current_mA_cm2=0, half_cycle_h=1, duration_h=1)
    with pytest.raises(InputError, match="growth"):
        Interphase(conductivity_S_cm=1.0, growth="parabolc")


def test_growth_law_from_another_layers_result():
    class PhaseField:
        time_h = np.linspace(0, 2, 5)
        max_front_um = 3.0 + 12.0 * np.linspace(0, 2, 5)
        current_density_mA_cm2 = np.full(5, -1.5)

    law = CurrentDrivenGrowth.from_growth_result(PhaseField())
    assert law.velocity_cm_h == pytest.approx(12e-4)
    assert law.reference_current_mA_cm2 == 1.5
    with pytest.raises(InputError, match="max_front_um"):
        CurrentDrivenGrowth.from_growth_result(object())
