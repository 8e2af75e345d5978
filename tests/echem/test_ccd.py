"""Critical current density: the planted failing step and capacity are recovered."""

import csv

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.celltests.ccd import CCDAnalysis, analyse_ccd, ccd_protocol
from ssblab.echem.celltests.synthetic import ccd_staircase_data, write_cycler_csv
from ssblab.errors import InputError


@pytest.mark.parametrize("fail_step", (1, 3, 6, 11))
def test_planted_failure_step_fixed_time(fail_step):
    data = ccd_staircase_data(fail_step=fail_step, n_steps=15, area_cm2=0.785, noise_mV=0.3, rng=fail_step)
    truth = data.metadata["truth"]
    r = analyse_ccd(data, area_cm2=0.785)
    assert r.failed and r.signature == "voltage-drop"
    assert r.ccd_mA_cm2 == pytest.approx(truth["ccd_mA_cm2"], rel=1e-6)
    if fail_step > 1:
        assert r.last_stable_mA_cm2 == pytest.approx(truth["ccd_mA_cm2"] - 0.2, rel=1e-6)
    # failure is found at the first record past the planted instant: within one record
    record = 0.5 * truth["ccd_mA_cm2"] / 29
    assert truth["areal_capacity_at_failure_mAh_cm2"] <= r.areal_capacity_at_failure_mAh_cm2 \
        <= truth["areal_capacity_at_failure_mAh_cm2"] + record + 1e-12


def test_fixed_capacity_protocol_and_levels():
    data = ccd_staircase_data(fail_step=5, n_steps=8, capacity_per_half_mAh_cm2=0.5, time_per_half_h=None)
    r = analyse_ccd(data, area_cm2=1.0)
    assert r.ccd_mA_cm2 == pytest.approx(0.9)
    np.testing.assert_allclose(r.level_mA_cm2, [0.1, 0.3, 0.5, 0.7, 0.9, 1.1])
    np.testing.assert_allclose(r.level_capacity_mAh_cm2[:4], 0.5, rtol=1e-9)


def test_no_failure_and_other_signatures():
    healthy = analyse_ccd(ccd_staircase_data(fail_step=None, n_steps=6), area_cm2=1.0)
    assert not healthy.failed and np.isnan(healthy.ccd_mA_cm2)
    assert healthy.last_stable_mA_cm2 == pytest.approx(1.1)
    # shorted from the first record of the step: no drop inside the half cycle, ASR collapses
    collapse = analyse_ccd(ccd_staircase_data(fail_step=4, fail_fraction=-1.0), area_cm2=1.0)
    assert collapse.signature == "ohmic-collapse" and collapse.ccd_mA_cm2 == pytest.approx(0.7)
    # a voltage limit that the 0.9 mA/cm2 step reaches (150 ohm cm2 x 0.9 x 1.3 = 176 mV)
    limit = analyse_ccd(ccd_staircase_data(fail_step=None, n_steps=8), area_cm2=1.0,
                        voltage_limit_V=0.17)
    assert limit.signature == "voltage-limit" and limit.ccd_mA_cm2 == pytest.approx(0.9)
    back = CCDAnalysis.from_json(limit.to_json())
    assert back.signature == limit.signature
    with pytest.raises(InputError, match="area_cm2"):
        analyse_ccd(ccd_staircase_data(), area_cm2=0)


def test_protocol_table():
    p = ccd_protocol(area_cm2=2.0, start_mA_cm2=0.1, step_mA_cm2=0.2, max_mA_cm2=2.1,
                     capacity_per_half_mAh_cm2=0.5)
    levels = sorted({r["current_density_mA_cm2"] for r in p.rows})
    np.testing.assert_allclose(levels, 0.1 + 0.2 * np.arange(11))
    assert all(r["capacity_mAh"] == pytest.approx(1.0) for r in p.rows)
    assert [r["direction"] for r in p.rows[:2]] == ["plate", "strip"]
    with pytest.raises(InputError, match="max_mA_cm2"):
        ccd_protocol(area_cm2=1, max_mA_cm2=0.05)


def test_cli(tmp_path):
    path = tmp_path / "ccd.csv"
    write_cycler_csv(ccd_staircase_data(fail_step=3, area_cm2=0.5), path)
    runner = CliRunner()
    result = runner.invoke(main, ["ccd", "analyse", str(path), "--area", "50 mm^2",
                                  "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "critical current density / mA/cm2    0.5" in result.output
    result = runner.invoke(main, ["ccd", "protocol", "--area", "1 cm^2", "--max", "0.5 mA/cm^2",
                                  "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "p" / "table.csv").read_text().splitlines()))
    assert [float(r["current_mA"]) for r in rows] == [0.1, -0.1, 0.3, -0.3, 0.5, -0.5]
