"""The `ssblab dendrite` commands end to end on tiny grids."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main


@pytest.mark.slow
def test_run_resume_and_report(tmp_path):
    runner = CliRunner()
    run_dir, out = tmp_path / "run", tmp_path / "out"
    args = ["dendrite", "run", "--run-dir", str(run_dir), "--nx", "24", "--ny", "32", "--steps", "30",
            "--checkpoint-interval", "10", "--snapshot-interval", "10", "--current", "2 mA/cm^2",
            "--sigma-a", "5.26 mS/cm", "--solver", "fft", "--out", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "passed charge (mAh/cm2)" in result.output
    for name in ("report.html", "result.json", "table.csv", "movie.gif"):
        assert (out / name).is_file(), name
    resumed = runner.invoke(main, ["dendrite", "resume", str(run_dir), "--steps", "40", "--json"])
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.output)
    assert data[0]["steps"] == 40


def test_bad_input_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["dendrite", "run", "--run-dir", str(tmp_path / "r"),
                                       "--map", "image"])
    assert result.exit_code == 2
    assert "--image" in result.output


def test_study_command_small(tmp_path):
    result = CliRunner().invoke(main, ["dendrite", "study", "--ratio", "1", "--ratio", "5", "--size", "32",
                                       "--duration", "0.3 h", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "table.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith("sigma_A_over_sigma_B")
    assert np.isfinite(float(rows[1].split(",")[1]))
