"""The composite resolved through its thickness (PorousElectrodeModel) against analytic truths."""

import dataclasses
import math

import numpy as np
import pytest

from ssblab.cell.full import (
    FullCell,
    Layer,
    ParticleModel,
    PorousElectrodeModel,
    Protocol,
    cycle,
    discharge,
)
from ssblab.cell.kinetics import thermal_voltage_V
from ssblab.cell.parameters import CATHODES
from ssblab.errors import InputError


def make(model="porous", sigma_eff=None, nodes=16, diffusivity=None, **kw):
    cathode = CATHODES["NCM811"]
    if diffusivity is not None:
        cathode = dataclasses.replace(cathode, diffusivity_cm2_s=diffusivity)
    params = dict(cathode=cathode, loading_mg_cm2=10, cathode_thickness_cm=45e-4,
                  catholyte_conductivity_S_cm=1e-3, catholyte_effective_conductivity_S_cm=sigma_eff,
                  composite_model=model, composite_nodes=nodes,
                  separator=[Layer(thickness_cm=0.04, conductivity_S_cm=1e-3)])
    params.update(kw)
    return FullCell(**params)


@pytest.mark.parametrize("nodes, tol", [(16, 2e-3), (64, 2e-4)])
def test_small_signal_resistance_is_the_transmission_line(nodes, tol):
    """Linear kinetics + ohmic catholyte + ideal electronic phase: Z = sqrt(rho r) coth(L sqrt(rho/r))."""
    sigma_eff, length = 1.8e-4, 45e-4
    cell = make(sigma_eff=sigma_eff, nodes=nodes, diffusivity=1e3)   # no solid diffusion drop
    model = PorousElectrodeModel(cell, state=0.5)
    current = 1e-4
    vt = thermal_voltage_V(cell.temperature_K)
    anode = 2 * vt * math.asinh(current / (2 * cell.anode.exchange_current_mA_cm2))
    z_model = 1e3 * ((model.voltage(current) - model.voltage(-current)) / 2 - anode) / current \
        - cell.separator_resistance_ohm_cm2
    r_ct = 1e3 * vt / (cell.surface_area_cm2_per_cm2 * cell.cathode.exchange_current_mA_cm2)   # ohm cm2
    rho, r = 1 / sigma_eff, r_ct * length
    z = math.sqrt(rho * r) / math.tanh(length * math.sqrt(rho / r))
    assert z_model == pytest.approx(z, rel=tol)
    assert z < r_ct + rho * length / 3          # the uniform-reaction bound is higher


def test_ideal_catholyte_gives_the_compact_model():
    porous, uniform = make(sigma_eff=1e6), make("uniform", sigma_eff=1e6)
    a = discharge(porous, 1.0).discharge_capacity_mAh_g[0]
    b = discharge(uniform, 1.0).discharge_capacity_mAh_g[0]
    assert a == pytest.approx(b, rel=1e-6)


def test_charge_is_conserved():
    cell = make(sigma_eff=1e-4)
    model = PorousElectrodeModel(cell, state=0.2)
    before = model.mean_state
    dt, current = 20.0, -3.0
    for _ in range(30):
        assert math.isfinite(model.step(current, dt))
    passed_mAh = abs(current) * dt * 30 / 3600
    assert (model.mean_state - before) * cell.capacity_mAh_cm2 == pytest.approx(passed_mAh, rel=1e-9)


def test_starved_catholyte_leaves_the_back_of_the_composite_unused():
    cell = make(sigma_eff=2e-5, cathode_thickness_cm=100e-4, loading_mg_cm2=22)
    model = PorousElectrodeModel(cell)                      # discharged
    one_c = cell.capacity_mAh_cm2
    while model.step(one_c, 3.6) < 4.3:                     # CC charge at 1 C
        pass
    profile = model.utilisation                             # current collector first
    assert profile[0] > 0.95 and profile[0] - profile[-1] > 0.2   # only the separator side charged
    assert np.all(np.diff(profile) <= 1e-12)
    # the uniform-reaction model charges the whole composite through the full L/(3 sigma_eff):
    # with the reaction free to move to the separator the resolved model gets further
    uniform = cycle(make("uniform", sigma_eff=2e-5, cathode_thickness_cm=100e-4, loading_mg_cm2=22),
                    Protocol(charge_C=1.0, discharge_C=1.0))
    charged = (1 - model.mean_state) * 200
    assert charged > uniform.charge_capacity_mAh_g[0] + 5


def test_bad_composite_model_is_refused():
    with pytest.raises(InputError, match="composite_model"):
        make("dfn")
    with pytest.raises(InputError, match="composite_nodes"):
        make(nodes=1)


def test_open_circuit_matches_the_particle_model():
    cell = make()
    assert PorousElectrodeModel(cell, state=0.4).voltage(0.0) == pytest.approx(
        ParticleModel(cell, state=0.4).voltage(0.0), abs=1e-12)


def test_cli_rate_with_the_porous_composite():
    from click.testing import CliRunner

    from ssblab.cli import main

    res = CliRunner().invoke(main, ["cell", "rate", "--composite", "porous", "--rate", "0.5", "--rate", "2",
                                    "--conductivity", "0.3 mS/cm"])
    assert res.exit_code == 0, res.output
    assert "discharge capacity at 2 C" in res.output
