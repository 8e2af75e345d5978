"""`ssblab md run/resume/analyse` and `ssblab potentials` end to end on tiny inputs."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

ase = pytest.importorskip("ase")

from ase.build import bulk  # noqa: E402
from ase.io import write  # noqa: E402

from ssblab.cli import main  # noqa: E402


def test_md_run_resume_analyse(tmp_path):
    write(tmp_path / "cu.extxyz", bulk("Cu", "fcc", a=3.61, cubic=True))
    runner = CliRunner()
    run_dir = tmp_path / "run"
    res = runner.invoke(main, ["md", "run", str(tmp_path / "cu.extxyz"), "--run-dir", str(run_dir),
                               "--potential", "emt", "--temperature", "300 K", "--timestep", "2 fs",
                               "--steps", "40", "--save-interval", "2", "--supercell", "2,2,2"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["md", "resume", str(run_dir)])
    assert res.exit_code == 0 and "resuming at step 40 of 40" in res.output
    res = runner.invoke(main, ["md", "analyse", str(run_dir), "--species", "Cu", "--blocks", "2",
                               "--json"])
    assert res.exit_code in (0, 3), res.output  # 20 frames: may be too short, never a crash
    data = json.loads(res.output)
    assert data[0]["type"] == "DiffusionResult"
    res = runner.invoke(main, ["md", "rdf", str(run_dir), "--pair", "Cu,Cu", "--r-max", "3.5",
                               "--windows", "2"])
    assert res.exit_code == 0, res.output
    assert "first peak (A)" in res.output


def test_analyse_two_temperatures_gives_arrhenius(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for temp, d in ((500, 0.02), (700, 0.1)):
        steps = rng.normal(0, np.sqrt(2 * d * 0.05), (800, 8, 3))
        pos = np.cumsum(steps, axis=0) + 5.0
        frames = [ase.Atoms("Li8", positions=p, cell=np.eye(3) * 10, pbc=True) for p in pos]
        for f in frames:
            f.wrap()
        path = tmp_path / f"li_{temp}.extxyz"
        write(path, frames)
        paths.append(path)
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(main, ["md", "analyse", str(paths[0]), "--temperature", "500",
                               "--timestep", "0.05 ps", "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["md", "analyse", *map(str, paths), "--timestep", "0.05",
                               "--temperature", "600 K", "--json"])
    # one --temperature for both files: the same T twice gives no Arrhenius fit
    assert res.exit_code == 0 and "ArrheniusResult" not in res.output
    res = runner.invoke(main, ["md", "analyse", *map(str, paths), "--timestep", "0.05",
                               "--temperature", "500", "--temperature", "700", "--json"])
    assert res.exit_code == 0, res.output
    fit = json.loads(res.output)[-1]
    assert fit["type"] == "ArrheniusResult"
    # planted: D = 0.02 and 0.1 A^2/ps at 500 and 700 K; conductivity form sigma*T
    ea = fit["activation_energy_eV"]
    truth = 8.617333262e-5 * np.log(0.1 / 0.02) / (1 / 500 - 1 / 700)  # sigma T ~ D
    assert abs(ea["value"] - truth) < 4 * ea["stderr"]
    res = runner.invoke(main, ["md", "analyse", str(paths[0]), "--timestep", "0.05"])
    assert res.exit_code == 2 and "--temperature" in res.output
    assert (out / "report.html").exists() and (out / "table.csv").exists()


def test_potentials_command():
    res = CliRunner().invoke(main, ["potentials", "--json"])
    assert res.exit_code == 0
    rows = json.loads(res.output)[0]["rows"]
    names = {r["name"] for r in rows}
    assert {"chgnet", "emt", "lj"} <= names


def test_neb_run_command(tmp_path):
    from ase.build import bulk

    a = 3.61
    cell = bulk("Cu", "fcc", a=a, cubic=True).repeat(2)
    initial = cell.copy()
    del initial[0]  # vacancy at the origin
    final = initial.copy()
    mover = int(np.argmin(np.linalg.norm(initial.positions - [0, a / 2, a / 2], axis=1)))
    final.positions[mover] = 0.0
    write(tmp_path / "a.extxyz", initial)
    write(tmp_path / "b.extxyz", final)
    out = tmp_path / "neb"
    res = CliRunner().invoke(main, ["neb", "run", str(tmp_path / "a.extxyz"),
                                    str(tmp_path / "b.extxyz"), "--potential", "emt",
                                    "--images", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "barrier (eV)" in res.output and (out / "report.html").exists()
    bad = CliRunner().invoke(main, ["neb", "run", str(tmp_path / "a.extxyz"),
                                    str(tmp_path / "b.extxyz"), "--via", "1,2"])
    assert bad.exit_code == 2 and "--via" in bad.output


def test_structure_show_and_substitute(tmp_path):
    pytest.importorskip("pymatgen")
    runner = CliRunner()
    res = runner.invoke(main, ["structure", "show", "Li10GeP2S12", "--reflections", "3"])
    assert res.exit_code == 0, res.output
    assert "P4_2/nmc (137)" in res.output and "8.69407" in res.output
    res = runner.invoke(main, ["structure", "show", "LiCl", "--wavelength", "1.2398", "--json"])
    data = json.loads(res.output)
    assert data[0]["space_group_number"] == 225
    res = runner.invoke(main, ["structure", "substitute", "LiCl", "--hkl", "1,1,1",
                               "--oxidation-states", "Li=1,Cl=-1,In=3", "--x", "0",
                               "--x", "0.25", "--supercell", "1,1,1", "--seeds", "2",
                               "--out", str(tmp_path / "sub")])
    assert res.exit_code == 0, res.output
    assert "I(111) / I(max) (%) at x = 0.25" in res.output
    assert (tmp_path / "sub" / "report.html").exists()
    res = runner.invoke(main, ["structure", "substitute", "LiCl", "--oxidation-states", "Li:1"])
    assert res.exit_code == 2 and "El=charge" in res.output


def test_structure_order_writes_ordered_cifs(tmp_path):
    pytest.importorskip("pymatgen")
    from ase.io import read

    res = CliRunner().invoke(main, ["structure", "order", "Li10GeP2S12", "--oxidation-states",
                                    "Li=1,Ge=4,P=5,S=-2", "--seeds", "2", "--sweeps", "20",
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    atoms = read(tmp_path / "configuration_1.cif")  # ordered: ASE reads it as it is
    assert atoms.get_chemical_formula() == "Ge2Li20P4S24"
    # a disordered refinement is ordered first; --host-label still finds the refined Li site
    res = CliRunner().invoke(main, ["structure", "substitute", "Li10GeP2S12", "--oxidation-states",
                                    "Li=1,Ge=4,P=5,S=-2,In=3", "--hkl", "2,0,3", "--x", "0.5",
                                    "--supercell", "1,1,1", "--host-label", "Li2", "--seeds", "1",
                                    "--sweeps", "10"])
    assert res.exit_code == 0, res.output
    assert "I(203) / I(max) (%) at x = 0.5" in res.output
    # the CIFs written by `structure order` keep the refined-site labels for --host-label
    cif = str(tmp_path / "configuration_1.cif")
    res = CliRunner().invoke(main, ["structure", "substitute", cif,
                                    "--oxidation-states", "Li=1,Ge=4,P=5,S=-2,In=3", "--hkl",
                                    "2,0,3", "--x", "0.5", "--supercell", "1,1,1", "--host-label",
                                    "Li2", "--seeds", "1", "--sweeps", "10"])
    assert res.exit_code == 0, res.output
