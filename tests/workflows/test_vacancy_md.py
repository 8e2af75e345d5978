"""Seed 000's vacancy-ordered MD workflow: neutral configurations, exact continuation after an
interruption, and the averaging/comparison arithmetic checked by hand."""

import json
import math
import re

import numpy as np
import pytest

pytest.importorskip("ase")
pytest.importorskip("pymatgen")

from ssblab.materials.defects import CompositionSpec  # noqa: E402
from ssblab.materials.structures import load_structure  # noqa: E402
from ssblab.results import Result  # noqa: E402
from ssblab.workflows import vacancy_md  # noqa: E402
from ssblab.workflows.vacancy_md import vacancy_md_study  # noqa: E402

SPECS = (CompositionSpec(label="A", vacancy_fractions={"Li": 0.1, "Cl": 0.1}),
         CompositionSpec(label="B", vacancy_fractions={"Li": 0.2, "Cl": 0.2},
                         cell_volume_A3=1.05 * 5.1295 ** 3))
KW = dict(oxidation_states={"Li": 1, "Cl": -1}, temperatures_K=(300.0, 500.0),
          supercell=(2, 2, 1), n_configurations=2, potential="lj", timestep_fs=1.0,
          equilibration_steps=4, production_steps=160, save_interval=1, n_blocks=4,
          md_options={"friction_per_fs": 0.5})
# LJ with ASE's default sigma = 1 A barely couples ions 2.6 A apart, so the ions are Langevin
# particles: D = kB T / (m gamma) exactly, reached after 1/gamma = 2 fs.
KB_J_K, AMU_KG = 1.380649e-23, 1.66053907e-27


def langevin_d_cm2_s(temperature_K, mass_amu=6.94, gamma_per_fs=0.5):
    return KB_J_K * temperature_K / (mass_amu * AMU_KG * gamma_per_fs * 1e15) * 1e4


def framework():
    return load_structure("LiCl", kind="pymatgen")


@pytest.mark.slow
def test_study_runs_neutral_configurations_and_fits(tmp_path):
    study = vacancy_md_study(framework(), SPECS, run_root=tmp_path, **KW)
    assert isinstance(study, Result)
    assert len(study.runs) == 2 * 2 * 2
    for row in study.runs:
        formula = row["formula"]  # e.g. "Li29 Cl29": equal counts, i.e. neutral
        counts = {el: int(n) for el, n in re.findall(r"([A-Z][a-z]?)(\d+)", formula)}
        assert counts["Li"] == counts["Cl"]
    # the cell of B was scaled to its refined volume before ordering
    b_run = next(r for r in study.runs if r["composition"] == "B")
    inputs = json.loads((tmp_path / "B" / "config0" / "T300K" / "inputs.json").read_text())
    assert inputs["settings"]["temperature_K"] == 300.0
    from ase.io import read

    atoms = read(b_run["run_dir"] + "/initial.extxyz")
    assert atoms.get_volume() == pytest.approx(4 * 1.05 * 5.1295 ** 3, rel=1e-9)
    # the configuration average and its error, recomputed by hand
    fit = study.fits[0]
    rows = [r for r in study.runs if r["composition"] == "A" and r["temperature_K"] == 300.0]
    sig = [r["sigma_S_cm"] for r in rows]
    err = [r["sigma_stderr_S_cm"] for r in rows]
    assert fit.values[0] == pytest.approx(np.mean(sig), rel=1e-12)
    assert fit.stderrs[0] == pytest.approx(math.sqrt(sum(e * e for e in err)) / 2, rel=1e-12)
    assert Result.from_json(study.to_json()).summary() == study.summary()
    # every run measures the free-particle Langevin D (a unit slip would be orders off)
    for row in study.runs:
        assert row["used"], row["excluded_because"]
        truth = langevin_d_cm2_s(row["temperature_K"])
        assert row["D_tracer_cm2_s"] == pytest.approx(truth, rel=0.25)  # 4 short blocks
    # same mass and friction in A and B: the tracer D ratio at each T is 1
    ratios = study.tracer_ratio_by_T()
    assert [t for t, _ in ratios] == [300.0, 500.0]
    for _, r in ratios:
        assert abs(r.value - 1) < 0.35 and abs(r.value - 1) < 4 * r.stderr


@pytest.mark.slow
def test_interrupted_study_continues_to_the_same_numbers(tmp_path):
    whole = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "whole", **KW)
    # interrupt: the second configuration's hot run stops after 60 of its 164 steps
    from ssblab.atomistic import md

    original_start = md.start
    calls = []

    def start_then_die(*args, **kwargs):
        run = original_start(*args, **kwargs)
        calls.append(run)
        if len(calls) == 4:
            run.run(60)
            run.checkpoint()
            run.close()
            raise KeyboardInterrupt
        return run

    md.start = start_then_die
    try:
        with pytest.raises(KeyboardInterrupt):
            vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "cut", **KW)
    finally:
        md.start = original_start
    again = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "cut", **KW)
    for a, b in zip(whole.runs, again.runs):
        assert a["sigma_S_cm"] == pytest.approx(b["sigma_S_cm"], rel=1e-6)
    primitive = framework().get_primitive_structure()  # 1/4 of the cubic cell's volume
    with pytest.raises(vacancy_md.InputError, match="the cell the refined volume refers to"):
        vacancy_md_study(primitive, SPECS[1:], run_root=tmp_path / "p", **KW)
    shorter = dict(KW, production_steps=100)
    with pytest.raises(vacancy_md.InputError, match="production_steps"):
        vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "cut", **shorter)
    other_step = dict(KW, timestep_fs=2.0)
    with pytest.raises(vacancy_md.InputError, match="timestep_fs"):
        vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "whole", **other_step)
    # the stored potential is never silently kept when another one is asked for
    other_potential = dict(KW, potential="emt")
    with pytest.raises(vacancy_md.InputError, match="potential = 'lj' stored, 'emt' asked"):
        vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "whole", **other_potential)


@pytest.mark.slow
def test_extended_study_continues_the_same_trajectories(tmp_path):
    from ssblab.atomistic import md

    short = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "a", **KW)
    longer = dict(KW, production_steps=240)
    extended = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "a", **longer)
    direct = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "b", **longer)
    for r_ext, r_dir, r_short in zip(extended.runs, direct.runs, short.runs):
        a = md.read_run(r_ext["run_dir"]).positions_A
        b = md.read_run(r_dir["run_dir"]).positions_A
        assert a.shape[0] == 240 and r_short["sigma_S_cm"] != r_ext["sigma_S_cm"]
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-8)


def test_comparison_is_only_claimed_when_significant():
    from ssblab.atomistic.transport import arrhenius
    from ssblab.units import BOLTZMANN_eV_K

    t = np.array([600.0, 700.0, 800.0])

    def fit(ea, prefactor, rel):
        s = prefactor / t * np.exp(-ea / (BOLTZMANN_eV_K * t))
        return arrhenius(t, s, rel * s, quantity="conductivity")

    delta, ratio, verdict = vacancy_md._compare(["a", "b"], [fit(0.33, 1e3, 0.02),
                                                            fit(0.30, 1e3, 0.02)])
    assert delta.value == pytest.approx(-0.03, abs=1e-9)
    assert ratio.value == pytest.approx(math.exp(0.03 / (BOLTZMANN_eV_K * 300)), rel=1e-6)
    assert "b is more conductive" in verdict and "a lower activation" in verdict
    _, _, flat = vacancy_md._compare(["a", "b"], [fit(0.33, 1e3, 0.02), fit(-0.05, 1e3, 0.02)])
    assert "not compared at 300 K: b has no significant positive activation energy" in flat
    _, _, vague = vacancy_md._compare(["a", "b"], [fit(0.33, 1e3, 0.5), fit(0.32, 1e3, 0.5)])
    assert "not significantly" in vague and "no significantly different" in vague


@pytest.mark.slow
def test_cli_study(tmp_path):
    from click.testing import CliRunner

    from ssblab.cli import main

    args = ["md", "study", "LiCl", "--run-dir", str(tmp_path / "runs"),
            "--composition", "A:Li=0.1,Cl=0.1", "--composition", "B:Li=0.2,Cl=0.2,volume=142",
            "--oxidation-states", "Li=1,Cl=-1", "--temperature", "300 K",
            "--temperature", "227 degC", "--supercell", "2,2,1", "--configurations", "1",
            "--potential", "lj", "--timestep", "1 fs", "--equilibration", "2", "--steps", "200",
            "--save-interval", "1", "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "report.html").exists()
    data = json.loads((tmp_path / "out" / "result.json").read_text())
    assert "verdict" in json.dumps(data)
    seed000 = CliRunner().invoke(main, [
        "md", "study", "ideal-Li3InCl6", "--preset", "seed000", "--run-dir", str(tmp_path / "s"),
        "--temperature", "300 K", "--temperature", "400 K", "--configurations", "1",
        "--potential", "lj", "--timestep", "1 fs", "--equilibration", "2", "--steps", "200",
        "--save-interval", "1", "--json"])
    assert seed000.exit_code == 0, seed000.output
    # one C2/m cell (6 Li, 4 In, 12 Cl sites), the rule by hand: cold rounds to 1 Li, 2 In and
    # 0 Cl vacancies (charge -1, so one Li vacancy less); hot to 2, 2, 1 (charge -1: 1 Li less)
    formulas = set(re.findall(r'"formula": "([^"]+)"', seed000.output))
    assert formulas == {"Li6 In2 Cl12", "Li5 In2 Cl11"}
    assert (tmp_path / "s" / "cold_pressed__pristine" / "config0" / "T300K").is_dir()
    bad = CliRunner().invoke(main, ["md", "study", "LiCl", "--run-dir", str(tmp_path / "x"),
                                    "--composition", "A:Li0.1"])
    assert bad.exit_code != 0 and "element=fraction" in bad.output


@pytest.mark.slow
def test_runs_collected_saved_and_reloaded_give_the_same_analysis(tmp_path):
    study = vacancy_md_study(framework(), SPECS, run_root=tmp_path / "runs", **KW)
    records = vacancy_md.collect_runs(tmp_path / "runs", SPECS)
    assert len(records) == len(study.runs)
    again = vacancy_md.analyse_vacancy_md(records, SPECS, n_blocks=KW["n_blocks"])
    key = lambda r: (r["composition"], r["configuration"], r["temperature_K"])  # noqa: E731
    for a, b in zip(sorted(study.runs, key=key), sorted(again.runs, key=key)):
        assert a["sigma_S_cm"] == pytest.approx(b["sigma_S_cm"], rel=1e-12)
    path = vacancy_md.save_runs(records, SPECS, tmp_path / "study.npz")
    loaded, specs = vacancy_md.load_runs(path)
    assert specs == SPECS
    reloaded = vacancy_md.analyse_vacancy_md(loaded, specs, n_blocks=KW["n_blocks"])
    for a, b in zip(again.runs, reloaded.runs):  # float32 positions: 1e-7 A on ~10 A
        assert a["sigma_S_cm"] == pytest.approx(b["sigma_S_cm"], rel=1e-4)
    thin, _ = vacancy_md.load_runs(vacancy_md.save_runs(records, SPECS, tmp_path / "t.npz",
                                                         stride=2))
    assert thin[0].trajectory.timestep_ps == pytest.approx(2 * records[0].trajectory.timestep_ps)
    np.testing.assert_allclose(thin[0].trajectory.positions_A,
                               records[0].trajectory.positions_A[::2], atol=1e-5)
    with pytest.raises(vacancy_md.InputError, match="not an ssblab MD study"):
        np.savez(tmp_path / "other.npz", x=np.zeros(2))
        vacancy_md.load_runs(tmp_path / "other.npz")


@pytest.mark.slow
def test_batched_study_gives_the_numbers_of_the_one_by_one_study(tmp_path):
    """batch_size only changes how the runs advance: same trajectories, same numbers; a batched
    study cut short continues (its unfinished runs resumed together) to the same numbers."""
    from ssblab.atomistic import batch_md

    one_by_one = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "one", **KW)
    batched = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "all", batch_size=3,
                               **KW)
    for a, b in zip(one_by_one.runs, batched.runs):
        assert b["sigma_S_cm"] == pytest.approx(a["sigma_S_cm"], rel=1e-9)
    original = batch_md.BatchMD.run_to_end

    def die_halfway(self):
        self.run(60)
        self.checkpoint()
        self.close()
        raise KeyboardInterrupt

    batch_md.BatchMD.run_to_end = die_halfway
    try:
        with pytest.raises(KeyboardInterrupt):
            vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "cut", batch_size=3,
                             **KW)
    finally:
        batch_md.BatchMD.run_to_end = original
    again = vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "cut", batch_size=3,
                             **KW)
    for a, b in zip(one_by_one.runs, again.runs):
        assert b["sigma_S_cm"] == pytest.approx(a["sigma_S_cm"], rel=1e-9)
    with pytest.raises(vacancy_md.InputError, match="batch_size: batched runs use thermostat"):
        vacancy_md_study(framework(), SPECS[:1], run_root=tmp_path / "nh", batch_size=2,
                         **dict(KW, thermostat="nose-hoover"))
