"""GITT: Weppner-Huggins recovers the diffusion coefficient of an exact Fickian simulation
where its assumptions hold, and reports where they do not."""

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.celltests.gitt import GITTResult, analyse_gitt
from ssblab.echem.celltests.synthetic import gitt_pulses, gitt_surface_fraction, write_cycler_csv
from ssblab.errors import InputError


def linear(x):
    return 3.6 + 0.8 * x


@pytest.mark.parametrize(("d", "rest_s"), ((1e-10, 7200.0), (3e-11, 20000.0)))
def test_diffusion_recovered_when_assumptions_hold(d, rest_s):
    data = gitt_pulses(diffusion_cm2_s=d, rest_s=rest_s, n_pulses=8, ocv=linear)
    r = analyse_gitt(data, diffusion_length_cm=1e-3, capacity_mAh=1.0)
    np.testing.assert_allclose(r.diffusion_cm2_s, d, rtol=0.01)
    assert np.all(r.semi_infinite_ratio < 0.1) and np.all(r.sqrt_fit_r2 > 0.999)
    # IR drop and state of charge follow from the inputs: 0.1 mA x 50 ohm; 0.1 mA x 600 s
    np.testing.assert_allclose(r.ir_drop_V, 0.005, atol=3e-4)
    np.testing.assert_allclose(np.diff(r.soc), 0.1 * 600 / 3600, rtol=1e-6)
    np.testing.assert_allclose(r.ocv_V, linear(0.1 + r.soc), atol=2e-4)


def test_curved_ocv_error_shrinks_with_smaller_pulses():
    """Weppner-Huggins assumes dE/dx constant over the pulse's surface excursion; on a curved
    OCV its error must shrink as the pulses shrink (and be small where the OCV is flatter)."""
    errors = []
    for pulse_s in (600.0, 150.0, 37.5):
        data = gitt_pulses(pulse_s=pulse_s, n_pulses=1, start_fraction=0.1)
        errors.append(abs(analyse_gitt(data, diffusion_length_cm=1e-3).diffusion_cm2_s[0] / 1e-10 - 1))
    assert errors[0] > errors[1] > errors[2] and errors[2] < errors[0] / 2
    flatter = analyse_gitt(gitt_pulses(n_pulses=1, start_fraction=0.3), diffusion_length_cm=1e-3)
    assert abs(flatter.diffusion_cm2_s[0] / 1e-10 - 1) < 0.05


def test_surface_solution_limits():
    t = np.array([1.0, 10.0, 100.0])
    # short times: the semi-infinite 2 r L sqrt(t / (pi D)); long times: mean + r L^2 / (3 D)
    short = gitt_surface_fraction(t, rate_per_s=1e-5, length_cm=1e-3, diffusion_cm2_s=1e-10)
    np.testing.assert_allclose(short, 2 * 1e-5 * 1e-3 * np.sqrt(t / (np.pi * 1e-10)), rtol=1e-6)
    late = gitt_surface_fraction(np.array([1e6]), rate_per_s=1e-5, length_cm=1e-3,
                                 diffusion_cm2_s=1e-10)
    assert late[0] == pytest.approx(1e-5 * 1e6 + 1e-5 * 1e-6 / (3 * 1e-10), rel=1e-9)


def test_bad_input_and_round_trip():
    data = gitt_pulses(n_pulses=2)
    with pytest.raises(InputError, match="diffusion_length_cm"):
        analyse_gitt(data, diffusion_length_cm=0)
    r = analyse_gitt(data, diffusion_length_cm=1e-3)
    np.testing.assert_array_equal(GITTResult.from_json(r.to_json()).diffusion_cm2_s,
                                  r.diffusion_cm2_s)


def test_cli(tmp_path):
    path = tmp_path / "gitt.csv"
    write_cycler_csv(gitt_pulses(n_pulses=4, ocv=linear), path)
    result = CliRunner().invoke(main, ["gitt", "analyse", str(path), "--length", "10 um",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "D median / cm2/s" in result.output and "1e-10" in result.output
    assert (tmp_path / "o" / "report.html").read_text().count("<svg") == 3
