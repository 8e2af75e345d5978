import json

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main


@pytest.mark.slow
def test_generate_solve_analyse_round_trip(tmp_path):
    runner = CliRunner()
    volume = tmp_path / "pellet" / "volume.npy"
    r = runner.invoke(main, ["micro", "generate", "--shape", "20", "--relative-density", "0.8",
                             "--grain-radius-voxels", "3", "--out", str(tmp_path / "pellet")])
    assert r.exit_code == 0, r.output
    assert np.load(volume).mean() == np.float64(round(0.8 * 20**3) / 20**3)
    out = tmp_path / "solve"
    r = runner.invoke(main, ["micro", "solve", str(volume), "--voxel-size", "0.5 um",
                             "--conductivity", "1=4.4 mS/cm", "--direction", "all",
                             "--out", str(out), "--save-fields"])
    assert r.exit_code == 0, r.output
    results = json.loads((out / "result.json").read_text())
    assert [x["direction"] for x in results] == ["x", "y", "z"]
    assert all(0 < x["sigma_eff_S_cm"] < 4.4e-3 for x in results)
    assert (out / "report.html").read_text().count("<svg") >= 6
    fields = np.load(out / "fields_z.npz")
    assert fields["potential_V"].shape == (20, 20, 20)
    r = runner.invoke(main, ["micro", "analyse", str(volume), "--voxel-size", "0.5 um", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)[0]["porosity"] > 0.19


def test_raw_volume_with_threshold(tmp_path):
    grey = np.full((6, 6, 8), 200, np.uint8)
    grey[:, :, 4] = 10  # an insulating layer: nothing percolates
    grey.tofile(tmp_path / "scan.raw")
    r = CliRunner().invoke(main, ["micro", "solve", str(tmp_path / "scan.raw"), "--shape", "6,6,8",
                                  "--dtype", "uint8", "--threshold", "100", "--voxel-size", "1 um",
                                  "--conductivity", "1=1 mS/cm"])
    assert r.exit_code == 3 and "nothing percolates" in r.output


def test_bad_input_exits_2(tmp_path):
    np.save(tmp_path / "v.npy", np.ones((4, 4, 4), np.uint8))
    r = CliRunner().invoke(main, ["micro", "solve", str(tmp_path / "v.npy"), "--voxel-size", "1 um",
                                  "--conductivity", "one=1 mS/cm"])
    assert r.exit_code == 2 and "--conductivity" in r.output


def test_studies_from_the_cli(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["micro", "density-study", "--size", "20", "--density", "0.7", "--density", "0.9",
                             "--grain-radius-voxels", "3", "--out", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    assert "Bruggeman exponent" in r.output and (tmp_path / "d" / "table.csv").exists()
    r = runner.invoke(main, ["micro", "mixture-study", "--size", "24", "--fraction", "0.2",
                             "--radii-voxels", "3,2", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["mass_fraction_lgps"] == [0.2]


def test_labels_left_out_of_conductivity_are_named(tmp_path):
    """Label 2 has no --conductivity: it is insulating, and a warning says so (label 0 is void)."""
    labels = np.ones((6, 6, 6), dtype=np.uint8)
    labels[:, :, 2] = 2
    labels[0, 0, :] = 0
    np.save(tmp_path / "v.npy", labels)
    r = CliRunner().invoke(main, ["micro", "solve", str(tmp_path / "v.npy"), "--voxel-size",
                                  "1 um", "--conductivity", "1=1 mS/cm", "--json"])
    assert "label(s) 2 have no --conductivity and are treated as insulating" in r.output
    r = CliRunner().invoke(main, ["micro", "solve", str(tmp_path / "v.npy"), "--voxel-size",
                                  "1 um", "--conductivity", "1=1 mS/cm", "--conductivity",
                                  "2=1 mS/cm", "--json"])
    assert r.exit_code == 0 and "insulating" not in r.output


def test_solve_on_the_torch_backend_and_a_missing_gpu(tmp_path):
    pytest.importorskip("torch")
    from ssblab.backend import cuda_available

    volume = tmp_path / "block.npy"
    np.save(volume, np.ones((6, 6, 8), np.uint8))
    args = ["micro", "solve", str(volume), "--voxel-size", "1 um", "--conductivity", "1=2 mS/cm", "--json"]
    r = CliRunner().invoke(main, [*args, "--backend", "torch"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["sigma_eff_S_cm"] == pytest.approx(2e-3, rel=1e-6)
    if not cuda_available():
        r = CliRunner().invoke(main, [*args, "--device", "cuda"])
        assert r.exit_code == 3 and "no CUDA GPU" in r.output  # a missing resource, not bad input
