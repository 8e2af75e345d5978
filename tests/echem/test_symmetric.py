"""Symmetric cells: seed 004's Li short and Li-In settling recovered from planted histories."""

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.celltests.symmetric import SymmetricResult, analyse_symmetric
from ssblab.echem.celltests.synthetic import symmetric_cycling, write_cycler_csv
from ssblab.echem.io import read_cycler


@pytest.mark.parametrize("short_h", (30.25, 70.5, 120.0))
def test_li_short_time_and_peak(short_h):
    data = symmetric_cycling(short_h=short_h, points_per_half=40, noise_mV=0.3, rng=1)
    r = analyse_symmetric(data)
    record_h = 1.0 / 39
    assert r.shorted and short_h <= r.short_h <= short_h + record_h
    assert r.peak_mV == pytest.approx(170, abs=1.5) and r.peak_h == pytest.approx(24)
    assert r.shorted_mV == pytest.approx(2, abs=1)


def test_li_in_settles_without_short():
    data = symmetric_cycling(initial_mV=150, steady_mV=60, settle_h=100, hours=300)
    r = analyse_symmetric(data, settle_tolerance=0.05)
    assert not r.shorted
    eta = 60 + 90 * np.exp(-3 * np.arange(1, 301) / 100)   # the planted history
    np.testing.assert_allclose(r.overpotential_mV, eta, rtol=1e-9)
    assert r.final_mV == pytest.approx(60, abs=0.5)
    # within 5 % of the change of the final value from 3 t / settle = ln(20), i.e. ~100 h
    assert r.settle_h == pytest.approx(100 * np.log(20) / 3, abs=1.5)
    assert SymmetricResult.from_json(r.to_json()).settle_h == r.settle_h


def test_real_full_cell_is_flagged_as_not_symmetric(real_data):
    data = read_cycler(real_data / "cycling" / "ssb_ncm-lpscl-inli_chronopotentiometry.mpr")
    r = analyse_symmetric(data)
    assert not r.shorted and "not a symmetric cell" in r.reason


def test_cli(tmp_path):
    path = tmp_path / "sym.csv"
    write_cycler_csv(symmetric_cycling(hours=90, points_per_half=10), path)
    result = CliRunner().invoke(main, ["symmetric", "analyse", str(path), "--area", "1 cm^2",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "short at / h" in result.output
    assert (tmp_path / "o" / "report.html").read_text().count("<svg") == 2
