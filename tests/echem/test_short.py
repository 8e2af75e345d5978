"""Internal short detection: planted hard and soft shorts found at their cycle, no false alarms."""

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.celltests.cycling import summarise
from ssblab.echem.io import read_cycler
from ssblab.echem.celltests.short import ShortDetection, detect_short
from ssblab.echem.celltests.synthetic import galvanostatic_cycles, write_cycler_csv
from ssblab.errors import InputError


def test_seed_001_signature_found_at_its_cycle():
    # seed 001: stable to cycle 890, decline from 891, dead at 897
    data = galvanostatic_cycles(897, short_cycle=891, fade_per_cycle=1e-4, points_per_half=12,
                                rest_points=1, noise_V=1e-3, rng=1)
    r = detect_short(data)
    assert r.detected and r.onset_cycle == 891
    assert {"runaway-charge", "cutoff-not-reached"} <= set(r.rules)
    assert r.rule_onsets["runaway-charge"] == 891
    assert r.rule_onsets["cutoff-not-reached"] == 892  # the first charge stopped short of 4.2 V
    assert not r.flagged[:890].any()


@pytest.mark.parametrize("onset", (5, 60, 140))
def test_soft_short_found_at_its_cycle(onset):
    data = galvanostatic_cycles(150, soft_short_cycle=onset, points_per_half=150, rest_points=1,
                                noise_V=2e-3, rng=onset)
    r = detect_short(data)
    assert r.detected and r.onset_cycle == onset
    assert "voltage-drop" in r.rules
    if onset > 2:  # the efficiency rule skips the formation cycles
        assert r.rule_onsets["low-efficiency"] == onset


@pytest.mark.parametrize("seed", range(4))
def test_no_false_alarm_on_healthy_noisy_cells(seed):
    rng = np.random.default_rng(seed)
    data = galvanostatic_cycles(300, fade_per_cycle=rng.uniform(0, 1.5e-3),
                                coulombic_efficiency=rng.uniform(0.97, 0.9999),
                                first_cycle_efficiency=rng.uniform(0.7, 0.95),
                                points_per_half=60, noise_V=3e-3, rng=seed)
    r = detect_short(data)
    assert not r.detected, r.evidence


def test_summary_input_and_result_round_trip():
    data = galvanostatic_cycles(40, short_cycle=30, points_per_half=10)
    r = detect_short(summarise(data))
    assert r.onset_cycle == detect_short(data).onset_cycle == 30
    back = ShortDetection.from_json(r.to_json())
    assert back.rules == r.rules and back.rule_onsets == r.rule_onsets
    assert r.plot() is not None
    with pytest.raises(InputError, match="ce_threshold"):
        detect_short(data, ce_threshold=1.5)


@pytest.mark.parametrize("name", ("arbin_18cycles.res", "biologic_gcpl.mpr", "maccor.txt",
                                  "neware.ndax", "neware_export.csv",
                                  "ssb_ncm-lpscl-inli_chronopotentiometry.mpr"))
def test_no_false_alarm_on_real_files(real_data, name):
    if name.endswith(".res"):
        pytest.importorskip("access_parser")  # the Arbin reader's optional dependency
    r = detect_short(read_cycler(real_data / "cycling" / name))
    assert not r.detected, r.evidence


def test_cli_short(tmp_path):
    path = tmp_path / "short.csv"
    write_cycler_csv(galvanostatic_cycles(40, short_cycle=33, points_per_half=10), path)
    result = CliRunner().invoke(main, ["cycling", "short", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "onset cycle" in result.output and "33" in result.output
    assert (tmp_path / "o" / "report.html").read_text().count("<svg") == 2
