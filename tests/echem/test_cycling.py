"""Per-cycle summaries against planted truths, instrument counters and the real files."""

import functools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.celltests.cycling import CycleSummary, step_table, summarise
from ssblab.echem.celltests.synthetic import galvanostatic_cycles
from ssblab.echem.cycler_data import CyclerData
from ssblab.echem.io import read_cycler
from ssblab.errors import InputError

_cached = functools.lru_cache(maxsize=None)(read_cycler)  # the Arbin file takes seconds to read


def read(path):
    if path.suffix == ".res":
        pytest.importorskip("access_parser")  # the Arbin reader's optional dependency (echem extra)
    return _cached(path)


CYCLER_FILES = ("arbin_18cycles.res", "biologic_gcpl.mpr", "maccor.txt", "neware.ndax",
                "neware_export.csv", "ssb_ncm-lpscl-inli_chronopotentiometry.mpr",
                "ssb_ncm-lpscl-inli_chronopotentiometry.mpt")


def test_planted_capacities_efficiency_and_voltages():
    fade, ce, ce1, r_ohm, current = 1e-3, 0.995, 0.85, 30.0, 0.5
    data = galvanostatic_cycles(60, capacity_mAh=1.5, current_mA=current, fade_per_cycle=fade,
                                coulombic_efficiency=ce, first_cycle_efficiency=ce1,
                                resistance_ohm=r_ohm, v_min=2.8, v_max=4.3)
    s = summarise(data, active_mass_g=0.01, area_cm2=2.0)
    n = np.arange(1, 61)
    returned = 1.5 * (1 - fade * (n - 1))
    np.testing.assert_allclose(s.discharge_mAh, returned, rtol=1e-9)
    np.testing.assert_allclose(s.charge_mAh, returned / np.where(n == 1, ce1, ce), rtol=1e-9)
    np.testing.assert_allclose(s.coulombic_efficiency, np.where(n == 1, ce1, ce), rtol=1e-9)
    assert s.initial_coulombic_efficiency == pytest.approx(ce1)
    ir = current * r_ohm / 1000
    # Voltage model: average charge voltage (v_min + v_max)/2 + IR, discharge the same - IR.
    np.testing.assert_allclose(s.avg_charge_V, (2.8 + 4.3) / 2 + ir, rtol=1e-9)
    np.testing.assert_allclose(s.overpotential_V, 2 * ir, rtol=1e-6)
    np.testing.assert_allclose(s.charge_energy_mWh, s.charge_mAh * s.avg_charge_V, rtol=1e-12)
    np.testing.assert_allclose(s.table()[3]["discharge_mAh_g"], returned[3] / 0.01)
    np.testing.assert_allclose(s.table()[3]["discharge_mAh_cm2"], returned[3] / 2.0)
    np.testing.assert_allclose(s.discharge_current_mA, -current, rtol=1e-9)
    assert s.max_charge_V.max() == pytest.approx(4.3)


def test_cycle_life_fade_and_end_of_life():
    fade = 0.0045  # crosses 80 % between cycles, not on one
    s = summarise(galvanostatic_cycles(80, fade_per_cycle=fade))
    assert s.fade_percent_per_cycle.value == pytest.approx(-100 * fade, rel=1e-6)
    n = np.arange(1, 81)
    assert s.cycles_to_eol == n[1 - fade * (n - 1) < 0.8][0]
    assert "end of life at cycle" in s.end_of_life
    healthy = summarise(galvanostatic_cycles(30, fade_per_cycle=1e-3))
    assert healthy.cycles_to_eol == -1 and "not reached" in healthy.end_of_life
    ref = summarise(galvanostatic_cycles(30, fade_per_cycle=1e-3), reference_cycle=11)
    assert ref.retention[10] == 1.0 and ref.retention[0] > 1


def test_rate_table_when_current_changes():
    current = np.repeat([0.5, 1.0, 2.0, 0.5], 3)
    data = galvanostatic_cycles(12, current_mA=current, fade_per_cycle=0.0, rate_loss=0.1)
    s = summarise(data, area_cm2=0.5)
    rows = s.rate_table
    assert [r["current_mA"] for r in rows] == pytest.approx([0.5, 1.0, 2.0, 0.5])
    assert [r["relative_capacity"] for r in rows] == pytest.approx(
        [1, 1 - 0.1 * np.log10(2), 1 - 0.1 * np.log10(4), 1])
    assert rows[1]["current_density_mA_cm2"] == pytest.approx(2.0)
    assert summarise(galvanostatic_cycles(5)).rate_table == ()


def test_cycle_definition_recount():
    data = galvanostatic_cycles(10, coulombic_efficiency=0.99, fade_per_cycle=0)
    s = summarise(data, cycle_definition="discharge-first")
    assert s.cycle_definition == "discharge-first" and s.first_half == "discharge"
    assert s.n_cycles == 11 and not s.complete[0] and not s.complete[-1]
    # discharge n, then charge n + 1: CE = charge / discharge = 1 / 0.99
    assert s.coulombic_efficiency[2] == pytest.approx(1 / 0.99)
    with pytest.raises(InputError, match="did you mean 'charge-first'"):
        summarise(data, cycle_definition="charge-frist")
    with pytest.raises(InputError, match="reference_cycle"):
        summarise(data, reference_cycle=99)


def test_step_table_conserves_charge():
    rng = np.random.default_rng(5)
    t = np.cumsum(rng.uniform(1, 10, 500))
    i = np.repeat([1.0, 0.0, -2.0, 0.0, 0.5], 100)
    d = CyclerData(time_s=t, voltage_V=np.full(500, 3.0), current_mA=i,
                   step=np.repeat(np.arange(5), 100), cycle=np.ones(500, int))
    s = step_table(d)
    # a constant current held from a step's first record to the next step's first record (the
    # straddling interval counted for at most the step's mean logging interval)
    spans = np.array([t[k * 100 + 99] - t[k * 100] for k in range(5)])
    spans[:4] += np.minimum(t[100::100] - t[99:499:100], spans[:4] / 99)
    np.testing.assert_allclose(s.charge_mAh - s.discharge_mAh, i[::100] * spans / 3600, atol=1e-12)
    assert s.kind.tolist() == [1, 0, -1, 0, 1]


def test_summary_round_trips_through_json():
    s = summarise(galvanostatic_cycles(6))
    back = CycleSummary.from_json(s.to_json())
    np.testing.assert_array_equal(back.discharge_mAh, s.discharge_mAh)
    assert back.rate_table == s.rate_table and back.end_of_life == s.end_of_life


def test_large_table_summarised():
    s = summarise(galvanostatic_cycles(2000, points_per_half=6, rest_points=1))
    assert s.n_cycles == 2000 and s.complete.all()


@pytest.mark.parametrize("name", ("maccor.txt", "neware_export.csv", "biologic_gcpl.mpr",
                                  "neware.ndax"))
def test_segment_charge_matches_instrument_counter(real_data, name):
    """The instrument's own capacity counter is an independent measure of each step's charge.
    (Arbin's counter is charge minus discharge over the cycle; cellpy checks it in the benchmark.)"""
    data = read(real_data / "cycling" / name)
    s = step_table(data)
    counter = np.abs(data.extra["capacity_mAh"])
    instrument = np.maximum.reduceat(counter, s.start_row) - np.minimum.reduceat(counter, s.start_row)
    ours = s.charge_mAh + s.discharge_mAh
    big = ours > 0.05 * ours.max()
    error = np.abs(instrument[big] / ours[big] - 1)
    assert np.quantile(error, 0.9) < 1e-3


@pytest.mark.parametrize("name", CYCLER_FILES)
def test_real_files_summarised(real_data, name):
    s = summarise(read(real_data / "cycling" / name))
    assert s.n_cycles >= 1 and np.all(np.isfinite(s.charge_mAh))
    assert np.all(s.charge_mAh + s.discharge_mAh > 0)


def test_cli_summary_writes_report(real_data, tmp_path):
    result = CliRunner().invoke(main, ["cycling", "summary",
                                       str(real_data / "cycling" / "maccor.txt"),
                                       "--mass", "10 mg", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "initial Coulombic efficiency" in result.output
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") >= 3
    rows = json.loads((tmp_path / "result.json").read_text())
    assert rows[0]["__result__"].endswith(":CycleSummary")
    assert "charge_mAh_g" in (tmp_path / "table.csv").read_text().splitlines()[0]


def test_cli_column_map_and_clear_error(real_data):
    path = str(real_data / "bad" / "custom_good_small.csv")
    runner = CliRunner()
    bare = runner.invoke(main, ["cycling", "summary", path])
    assert bare.exit_code == 2 and "--map current_A=current" in bare.output
    mapped = runner.invoke(main, ["cycling", "summary", path, "--map", "time_s=test_time",
                                  "--map", "voltage_V=voltage", "--map", "current_A=current"])
    # read through the map; its current column is all zeros, which the summary flags (exit 3)
    assert mapped.exit_code == 3 and "no current flows" in mapped.output, mapped.output
    bad = runner.invoke(main, ["cycling", "summary", path, "--map", "time_s"])
    assert bad.exit_code == 2 and "KEY=COLUMN" in bad.output


@pytest.mark.parametrize("n_cycles", [1, 2, 3])
def test_summary_of_few_cycles_states_what_is_not_determined(n_cycles):
    """One complete cycle is one capacity row, not the same row twice; a fade line needs three
    complete cycles, and below that the summary says so instead of printing nan."""
    summary = summarise(galvanostatic_cycles(n_cycles, capacity_mAh=2.0, rng=0))
    rows = dict(summary.summary())
    labels = [label for label, _ in summary.summary()]
    assert len(labels) == len(set(labels))
    capacity_rows = [label for label in labels if label.startswith("capacity cycle")
                     and label.endswith("/ mAh")]
    assert len(capacity_rows) == (1 if int(summary.complete.sum()) == 1 else 2)
    fade = rows["fade / %/cycle"]
    if int(summary.complete.sum()) < 3:
        assert isinstance(fade, str) and "not determined" in fade
    else:
        assert np.isfinite(fade.value)
