import dataclasses

import numpy as np
import pytest

from ssblab.cell.full import (
    CyclingResult,
    FullCell,
    Layer,
    ParticleModel,
    Protocol,
    RateResult,
    cycle,
    discharge,
    rate_capability,
)
from ssblab.cell.parameters import CATHODES, anode, cathode, open_circuit_voltage
from ssblab.errors import InputError


def make_cell(sigma=1e-3, **kw):
    params = dict(cathode="NCM811", loading_mg_cm2=10.0, cathode_thickness_cm=45e-4,
                  catholyte_conductivity_S_cm=sigma,
                  separator=[Layer(thickness_cm=0.04, conductivity_S_cm=sigma)])
    params.update(kw)
    return FullCell(**params)


def test_infinite_conductivity_approaches_ocv_capacity():
    fast = dataclasses.replace(CATHODES["NCM811"], diffusivity_cm2_s=1e-6, exchange_current_mA_cm2=1e3)
    cell = make_cell(1e6, cathode=fast, anode=dataclasses.replace(anode("Li"), exchange_current_mA_cm2=1e3))
    r = cycle(cell, Protocol(charge_C=0.02, discharge_C=0.02))
    assert r.discharge_capacity_mAh_g[0] == pytest.approx(fast.capacity_mAh_g, rel=0.01)
    assert r.discharge_capacity_mAh_g[0] <= fast.capacity_mAh_g


def test_charge_conservation_in_the_particle():
    cell = make_cell()
    model = ParticleModel(cell, state=0.6)
    before = model.mean_state
    dt, current = 7.0, 1.3
    for _ in range(50):
        model.step(current, dt)
    passed_mAh = current * dt * 50 / 3600
    assert before - model.mean_state == pytest.approx(passed_mAh / cell.capacity_mAh_cm2, rel=1e-10)


def test_ohms_law_between_two_conductivities():
    a, b = make_cell(1e-3), make_cell(4e-3)
    current = 2.0
    va = ParticleModel(a, state=0.5).voltage(current)
    vb = ParticleModel(b, state=0.5).voltage(current)
    delta_r = a.ohmic_resistance_ohm_cm2 - b.ohmic_resistance_ohm_cm2
    assert va - vb == pytest.approx(1e-3 * current * delta_r, rel=1e-10)
    assert a.composite_resistance_ohm_cm2 == pytest.approx(45e-4 / (3 * 1e-3 * 0.35 ** 1.5))


def test_li_in_offset_at_open_circuit():
    li = ParticleModel(make_cell(anode="Li"), state=0.4).voltage(0.0)
    li_in = ParticleModel(make_cell(anode="Li-In"), state=0.4).voltage(0.0)
    assert li - li_in == pytest.approx(0.62)
    assert li == pytest.approx(float(open_circuit_voltage("NMC811-Chen2020", 0.4)))


def test_rate_capability_falls_with_rate_and_with_resistance():
    hi = rate_capability(make_cell(4e-3), (0.1, 0.5, 1.0), steps_per_half_cycle=100)
    lo = rate_capability(make_cell(1e-3), (0.1, 0.5, 1.0), steps_per_half_cycle=100)
    assert np.all(np.diff(hi.discharge_capacity_mAh_g) < 0)
    assert np.all(lo.discharge_capacity_mAh_g[1:] < hi.discharge_capacity_mAh_g[1:])
    assert lo.capacity_at(0.1) == pytest.approx(hi.capacity_at(0.1), rel=0.02)
    back = RateResult.from_json(hi.to_json())
    np.testing.assert_array_equal(back.discharge_capacity_mAh_g, hi.discharge_capacity_mAh_g)


def test_cv_hold_adds_charge_and_tapers():
    cell = make_cell(1e-3)
    cc = cycle(cell, Protocol(charge_C=1.0, discharge_C=0.2), steps_per_half_cycle=100)
    cv = cycle(cell, Protocol(charge_C=1.0, discharge_C=0.2, cv_cutoff_C=0.05), steps_per_half_cycle=100)
    assert cv.charge_capacity_mAh_g[0] > cc.charge_capacity_mAh_g[0]
    held = cv.current_mA_cm2[cv.step == 2]
    assert held.size and np.all(np.diff(held) <= 1e-12)
    assert np.allclose(cv.voltage_V[cv.step == 2], 4.3)


def test_cycler_data_sign_convention_and_discharge_entry():
    r = cycle(make_cell(), Protocol(charge_C=0.5, discharge_C=0.5), n_cycles=2, steps_per_half_cycle=50)
    data = r.to_cycler_data()
    assert np.all(data.current_mA[data.step == 1] > 0) and np.all(data.current_mA[data.step == 3] < 0)
    assert isinstance(CyclingResult.from_json(r.to_json()), CyclingResult)
    d = discharge(make_cell(), 0.5)
    assert 150 < d.discharge_capacity_mAh_g[0] < 200


def test_with_conductivity_and_results_as_inputs():
    class Micro:
        sigma_eff_S_cm = 2e-4

    cell = make_cell(1e-3).with_conductivity(4e-3)
    assert all(layer.conductivity_S_cm == 4e-3 for layer in cell.separator)
    eff = make_cell(catholyte_effective_conductivity_S_cm=Micro())
    assert eff.catholyte_sigma_eff_S_cm == 2e-4


def test_bad_inputs():
    with pytest.raises(InputError, match="cathode"):
        cathode("NCM812")
    with pytest.raises(InputError, match="loading_mg_cm2"):
        make_cell(loading_mg_cm2=0)
    with pytest.raises(InputError, match="Protocol"):
        Protocol(voltage_max_V=2.0, voltage_min_V=3.0)
    with pytest.raises(InputError, match="c_rates"):
        rate_capability(make_cell(), (0.5, -1))
