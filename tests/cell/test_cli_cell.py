import json

import pytest
from click.testing import CliRunner

from ssblab.cli import main


@pytest.fixture()
def runner():
    return CliRunner()


def test_symmetric_writes_report(runner, tmp_path):
    res = runner.invoke(main, ["cell", "symmetric", "--electrode", "li", "--duration", "30 h",
                               "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "peak overpotential (mV)" in res.output
    assert (tmp_path / "report.html").read_text().count("<svg") >= 1


def test_symmetric_custom_needs_parameters(runner):
    res = runner.invoke(main, ["cell", "symmetric", "--electrode", "custom", "--thickness", "1 mm"])
    assert res.exit_code == 2
    assert "--conductivity" in res.output


def test_rate_json_and_units(runner):
    res = runner.invoke(main, ["cell", "rate", "--conductivity", "1.1 mS/cm",
                               "--separator-thickness", "0.4 mm", "--rate", "0.2", "--rate", "1",
                               "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data[0]["type"] == "RateResult"
    bad = runner.invoke(main, ["cell", "rate", "--conductivity", "3 kg"])
    assert bad.exit_code == 2


def test_life_and_cycler_csv(runner, tmp_path):
    res = runner.invoke(main, ["cell", "life", "--cycles", "50", "--dendrite", "seed001",
                               "--separator-thickness", "40 um", "--out", str(tmp_path), "--cycler-csv"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cycler.csv").read_text().startswith("time_s,voltage_V,current_mA,step,cycle")


def test_materials(runner):
    pytest.importorskip("periodictable")
    res = runner.invoke(main, ["cell", "materials", "--formula", "Li3InCl6", "--price", "In=300",
                               "--cell-volume", "425.92 angstrom^3", "--formula-units", "2"])
    assert res.exit_code == 0, res.output
    assert "X-ray density / (g/cm3)  2.716" in res.output
    bad = runner.invoke(main, ["cell", "materials", "--formula", "Li3InCl6", "--price", "In"])
    assert bad.exit_code == 2
    # the seed electrolytes without a dated price for In, Y, P or S: the masses and densities
    # still come, the cost says which price is missing (it used to fail for all three)
    for formula, missing in (("Li3InCl6", "In"), ("Li3YCl6", "Y"), ("Li6PS5Cl", "P, S")):
        res = runner.invoke(main, ["cell", "materials", "--formula", formula, "--json"])
        assert res.exit_code == 0, res.output
        (data,) = json.loads(res.output)
        assert data["cost"] is None and data["missing_prices"] == missing.split(", ")
        assert data["molar_mass_g_mol"] > 200
