import math

import numpy as np
import pytest

from ssblab.cell.full import FullCell, Layer, Protocol
from ssblab.cell.life import (
    SEED001_DENDRITE,
    SEED001_SEPARATOR_CM,
    Degradation,
    LifeResult,
    cycles_to_short,
    simulate_life,
)
from ssblab.echem.cycler_data import CyclerData
from ssblab.errors import InputError

PROTOCOL = Protocol(charge_C=0.5, discharge_C=0.5)


@pytest.fixture(scope="module")
def cell():
    return FullCell(cathode="NCM811", loading_mg_cm2=10.0, cathode_thickness_cm=45e-4,
                    catholyte_conductivity_S_cm=4e-3,
                    separator=[Layer(thickness_cm=0.05, conductivity_S_cm=4e-3)])


def run(cell, n=300, **deg):
    return simulate_life(cell, PROTOCOL, n_cycles=n, degradation=Degradation(**deg), grid_points=6,
                         steps_per_half_cycle=60)


def test_no_degradation_keeps_capacity(cell):
    life = run(cell, 200)
    np.testing.assert_allclose(life.discharge_capacity_mAh_g, life.discharge_capacity_mAh_g[0])
    np.testing.assert_allclose(life.coulombic_efficiency, 1.0)


def test_parabolic_interphase_growth_in_time(cell):
    life = run(cell, 300, interphase_growth_ohm_cm2_sqrt_h=2.0)
    prior = np.concatenate([[0.0], life.time_h[:-1]])
    np.testing.assert_allclose(life.interphase_resistance_ohm_cm2, 2.0 * np.sqrt(prior))
    assert np.all(np.diff(life.discharge_capacity_mAh_g) <= 1e-9)
    assert life.retention_at(300) < 0.99


def test_li_inventory_runs_out_when_the_excess_is_spent(cell):
    loss, excess = 0.01, 0.5
    life = run(cell, 200, li_loss_per_cycle=loss, li_excess_mAh_cm2=excess)
    stored = life.discharge_capacity_mAh_g[0] * cell.loading_mg_cm2 * 1e-3
    expected = excess / (loss * stored)          # cycles until the buffer is gone
    first_drop = int(np.argmax(life.discharge_capacity_mAh_g < life.discharge_capacity_mAh_g[0] - 1e-9)) + 1
    assert abs(first_drop - expected) <= 2


def test_dendrite_short_signature(cell):
    # seed 001's signature: charge capacity grows, discharge and CE fall to ~0, charge misses the cut-off
    law = SEED001_DENDRITE
    gap = 300e-4
    n_short = law.cycles_to_length(gap)
    life = run(cell, int(n_short * 1.2), dendrite=law, separator_thickness_cm=gap)
    before = int(n_short * 0.8)
    assert life.reached_cutoff[:before].all()
    assert life.discharge_capacity_mAh_g[-1] < 0.05 * life.discharge_capacity_mAh_g[0]
    assert life.charge_capacity_mAh_g[-1] > life.charge_capacity_mAh_g[0]
    assert life.coulombic_efficiency[-1] < 0.05
    assert not life.reached_cutoff[-1]
    assert life.short_cycle == pytest.approx(n_short)


def test_seed001_calibration_and_prediction():
    assert cycles_to_short(500e-4) == pytest.approx(897)
    assert SEED001_DENDRITE.length_cm_at(100) == pytest.approx(20e-4)
    # 80 mg Li6PS5Cl in a 10 mm die: 621 um if fully dense; the median front needs ~1040 cycles
    assert SEED001_SEPARATOR_CM == pytest.approx(0.0621, abs=1e-4)
    assert 1000 < cycles_to_short(SEED001_SEPARATOR_CM) < 1100
    with pytest.raises(InputError):
        cycles_to_short(0.0)


def test_cycler_table_round_trip(cell):
    life = run(cell, 50, dendrite=SEED001_DENDRITE, separator_thickness_cm=30e-4)
    data = life.to_cycler_data()
    assert isinstance(data, CyclerData)
    assert np.unique(data.cycle).size == 50
    assert np.all(data.current_mA[data.step == 1] > 0) and np.all(data.current_mA[data.step == 2] < 0)
    assert np.all(np.diff(data.time_s) >= 0)
    # capacity recovered from the table equals the model's per-cycle capacity
    k = data.cycle == 1
    on = k & (data.step == 1)
    q = data.current_mA[on][0] * (data.time_s[on][-1] - data.time_s[on][0]) / 3600
    assert q / (1e-3 * life.loading_mg_cm2) == pytest.approx(life.charge_capacity_mAh_g[0], rel=1e-9)
    back = CyclerData.from_json(data.to_json())
    np.testing.assert_array_equal(back.voltage_V, data.voltage_V)
    assert isinstance(LifeResult.from_json(life.to_json()), LifeResult)


def test_short_detection_reads_the_model_table(cell):
    """The lab-data layer's detector, run on the model's cycler table, finds the planted short."""
    from ssblab.echem.celltests.short import detect_short

    life = run(cell, 200, dendrite=SEED001_DENDRITE, separator_thickness_cm=30e-4)
    assert math.isfinite(life.short_cycle) and life.short_cycle < 190
    found = detect_short(life.to_cycler_data())
    assert found.detected
    # The detector must not fire before filaments start to cross, nor long after the median does.
    first_leak = int(life.cycle_number[np.argmax(life.shorted_fraction > 0)])
    assert first_leak <= found.onset_cycle <= math.ceil(life.short_cycle) + 3


def test_two_thousand_cycles_and_bad_input(cell):
    life = simulate_life(cell, PROTOCOL, n_cycles=2000, grid_points=6, steps_per_half_cycle=60,
                         degradation=Degradation(interphase_growth_ohm_cm2_sqrt_h=0.3))
    assert life.cycle_number[-1] == 2000 and life.plot().get_xlabel() == "cycle number"
    with pytest.raises(InputError):
        simulate_life(cell, n_cycles=0)
    with pytest.raises(InputError):
        Degradation(li_loss_per_cycle=1.5)
