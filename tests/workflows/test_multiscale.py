import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.errors import InputError
from ssblab.results import conductivity_of
from ssblab.workflows.multiscale import multiscale_pipeline

SMALL = dict(shape=(24, 24, 24), n_cycles=20, c_rates=(0.5, 1.0))


def test_dense_pellet_conducts_like_the_bulk():
    run = multiscale_pipeline(2e-3, volume=np.ones((12, 12, 12), dtype=np.int8), **SMALL)
    assert run.conduction.sigma_eff_S_cm == pytest.approx(2e-3, rel=1e-4)
    assert run.conduction.tortuosity_factor == pytest.approx(1.0, rel=1e-4)


def test_density_orders_every_downstream_number():
    low, high = (multiscale_pipeline(4.4e-3, relative_density=d, rng=1, **SMALL) for d in (0.7, 0.95))
    assert low.conduction.sigma_eff_S_cm < high.conduction.sigma_eff_S_cm < 4.4e-3
    assert low.separator_resistance_ohm_cm2 > high.separator_resistance_ohm_cm2
    assert low.rate.capacity_at(1.0) < high.rate.capacity_at(1.0)
    # The separator ASR is the layer stack: the Li3InCl6 layer at sigma_eff, the Li6PS5Cl
    # interlayer at its own 2.95 mS/cm (seed 001), L/sigma summed over layers.
    assert high.separator_resistance_ohm_cm2 == pytest.approx(
        0.04 / high.conduction.sigma_eff_S_cm + 0.02 / 2.95e-3, rel=1e-6)


def test_results_of_other_layers_are_accepted():
    from ssblab.echem.impedance.arrhenius import fit_arrhenius

    t = np.array([280.0, 300.0, 320.0])
    fit = fit_arrhenius(t, 1e-3 * np.exp(-0.3 / 8.617333262e-5 * (1 / t - 1 / 298.15)), form="sigma")
    assert conductivity_of(fit) == pytest.approx(1e-3, rel=1e-9)


def test_bad_requests_are_clear():
    with pytest.raises(InputError, match="exactly one"):
        multiscale_pipeline(1e-3, **SMALL)
    with pytest.raises(InputError, match="does not conduct"):
        multiscale_pipeline(1e-3, volume=np.zeros((8, 8, 8), dtype=np.int8), **SMALL)


def test_json_round_trip():
    run = multiscale_pipeline(1e-3, relative_density=0.9, **SMALL)
    back = type(run).from_json(run.to_json())
    assert back.conduction.sigma_eff_S_cm == run.conduction.sigma_eff_S_cm
    np.testing.assert_array_equal(back.rate.discharge_capacity_mAh_g, run.rate.discharge_capacity_mAh_g)


def test_cli_pipeline(tmp_path):
    result = CliRunner().invoke(main, ["pipeline", "--relative-density", "0.9", "--cycles", "10",
                                       "--bulk-conductivity", "1 mS/cm", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "effective conductivity" in result.output
    assert (tmp_path / "report.html").read_text().count("<svg") >= 3


def test_effective_conductivity_scales_with_the_bulk_value():
    """sigma_eff / sigma_bulk is a property of the geometry alone (was broken in float32)."""
    from ssblab.microstructure.generate import pellet
    from ssblab.microstructure.solve import solve

    labels = pellet((32, 32, 32), relative_density=0.85, rng=3).labels
    ratios = [solve(labels, {0: 0.0, 1: s}).sigma_eff_S_cm / s for s in (1e-8, 1e-3, 10.0)]
    assert np.ptp(ratios) < 1e-3 * ratios[0]


def test_anode_focusing_is_one_for_a_dense_electrolyte_and_grows_with_voids():
    dense = multiscale_pipeline(1e-3, volume=np.ones((16, 16, 16), dtype=np.int8),
                                local_critical_current_mA_cm2=2.0, **SMALL)
    assert dense.anode_focusing == pytest.approx(1.0, rel=1e-6)
    assert dense.ccd_focusing_mA_cm2 == pytest.approx(2.0, rel=1e-6)
    porous = multiscale_pipeline(1e-3, relative_density=0.75, rng=2,
                                 local_critical_current_mA_cm2=2.0, **SMALL)
    assert porous.anode_focusing > 1.2
    assert porous.ccd_focusing_mA_cm2 == pytest.approx(2.0 / porous.anode_focusing)


def test_focusing_of_a_half_blocked_face():
    """Half the anode face insulated by a one-voxel layer: the open half carries twice the
    applied current density, so the top 1 % of the face is at 2x the mean."""
    from ssblab.workflows.multiscale import anode_face_focusing

    j = np.ones((20, 20, 6))
    j[:10, :, 0] = 0.0
    j[10:, :, 0] = 2.0
    assert anode_face_focusing(j, axis=2) == pytest.approx(2.0)
