"""MD driver: run directories, exact resume after a kill, thermostat, analysis of the output."""

import json

import numpy as np
import pytest

ase = pytest.importorskip("ase")

from ase.build import bulk  # noqa: E402
from ase.io.trajectory import Trajectory as AseTrajectory  # noqa: E402

from ssblab.atomistic import md  # noqa: E402
from ssblab.atomistic.trajectory import read_trajectory  # noqa: E402
from ssblab.atomistic.transport import diffusion  # noqa: E402
from ssblab.errors import InputError  # noqa: E402


def cu():
    return bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)  # 32 atoms


SETTINGS = dict(potential="emt", temperature_K=600.0, timestep_fs=2.0, production_steps=30,
                equilibration_steps=10, save_interval=2, checkpoint_interval=10, rng=7)


def positions(run_dir):
    with AseTrajectory(str(run_dir / "trajectory.traj")) as t:
        return np.stack([a.get_positions() for a in t])


def test_killed_run_resumes_exactly(tmp_path):
    whole = md.start(cu(), tmp_path / "whole", **SETTINGS).run_to_end()
    assert whole.step_count == 40
    ref = positions(tmp_path / "whole")
    assert ref.shape == (15, 32, 3)  # production frames only

    broken = md.start(cu(), tmp_path / "broken", **SETTINGS)
    broken.run(27)  # killed at step 27: checkpoint at 20, frames written up to 26
    broken.close()
    resumed = md.resume(tmp_path / "broken")
    assert resumed.step_count == 20
    resumed.run_to_end()
    # same trajectory to round-off (forces are recomputed at the checkpoint)
    # as the module docstring states
    np.testing.assert_allclose(positions(tmp_path / "broken"), ref, rtol=0, atol=1e-10)
    log = (tmp_path / "whole" / "log.txt").read_text().splitlines()
    assert log[0].startswith("step") and len(log) == 21
    inputs = json.loads((tmp_path / "whole" / "inputs.json").read_text())
    assert inputs["settings"]["frame_timestep_ps"] == pytest.approx(0.004)


@pytest.mark.parametrize("thermostat", ["langevin", "berendsen", "nose-hoover"])
def test_thermostat_holds_temperature(tmp_path, thermostat):
    run = md.start(cu(), tmp_path, potential="emt", temperature_K=400.0, timestep_fs=4.0,
                   production_steps=100, equilibration_steps=50, save_interval=5,
                   thermostat=thermostat, friction_per_fs=0.02, tdamp_fs=40.0, rng=1)
    temps = []
    run.attach(lambda: temps.append(run.atoms.get_temperature()), interval=1)
    run.run_to_end()
    mean = np.mean(temps[50:])
    # 32 atoms: instantaneous T fluctuates by ~T*sqrt(2/(3N)) = 58 K; the mean over 100 steps
    # is within a few tens of K of the target for any working thermostat
    assert abs(mean - 400.0) < 60.0


def test_run_analysed_as_trajectory(tmp_path):
    md.start(cu(), tmp_path, **SETTINGS).run_to_end()
    traj = read_trajectory(tmp_path / "trajectory.traj", timestep_ps=0.004)
    assert traj.n_frames == 15
    res = diffusion(traj, mobile="Cu", temperature_K=600.0, n_blocks=2, min_block_frames=5,
                    fit_window=(0.2, 0.8))
    assert res.ok and "no framework" in res.reason
    # a solid crystal: no significant diffusion
    assert res.diffusivity_cm2_s.value < 1e-5


def test_bad_inputs(tmp_path):
    md.start(cu(), tmp_path, **SETTINGS)
    with pytest.raises(InputError, match="already holds a run"):
        md.start(cu(), tmp_path, **SETTINGS)
    with pytest.raises(InputError, match="thermostat.*did you mean 'langevin'"):
        md.start(cu(), tmp_path / "x", **{**SETTINGS, "thermostat": "langevn"})
    with pytest.raises(InputError, match="multiple of save_interval"):
        md.start(cu(), tmp_path / "y", **{**SETTINGS, "checkpoint_interval": 7})
    with pytest.raises(InputError, match="not an ssblab MD run"):
        md.resume(tmp_path / "nothing")


@pytest.mark.slow
def test_npt_pressure_compresses(tmp_path):
    volumes = {}
    for p in (0.0, 10.0):
        run = md.start(cu(), tmp_path / f"p{p}", potential="emt", temperature_K=300.0,
                       timestep_fs=2.0, production_steps=80, save_interval=10,
                       pressure_GPa=p, pdamp_fs=100.0, compressibility_per_GPa=0.007, rng=0)
        run.run_to_end()
        volumes[p] = run.atoms.get_volume()
    # 10 GPa on copper (bulk modulus ~140 GPa) shrinks the cell; the Berendsen barostat
    # relaxes towards it within a few pdamp
    assert volumes[10.0] < 0.98 * volumes[0.0]


def test_run_folder_is_data_never_code(tmp_path):
    """A crafted inputs.json naming 'os:system' cannot run anything on resume (issue #17)."""
    from click.testing import CliRunner

    from ssblab.cli import main

    run_dir = tmp_path / "run"
    run = md.start(cu(), run_dir, **SETTINGS)
    run.close()
    inputs = json.loads((run_dir / "inputs.json").read_text())
    marker = tmp_path / "pwned"
    inputs["settings"]["potential"] = "os:system"
    inputs["settings"]["calculator_options"] = {"command": f"touch {marker}"}
    (run_dir / "inputs.json").write_text(json.dumps(inputs))
    with pytest.raises(InputError, match="'os:system' is not a registry name"):
        md.resume(run_dir)
    res = CliRunner().invoke(main, ["md", "resume", str(run_dir)])
    assert res.exit_code == 2 and "never imported" in res.output
    # asking for a registry potential that differs from the stored one is refused, naming both
    res = CliRunner().invoke(main, ["md", "resume", str(run_dir), "--potential", "emt"])
    assert res.exit_code == 2 and "'os:system'" in res.output and "'emt'" in res.output
    assert not marker.exists()
    # a nested option value (not plain data) is refused before any calculator is built
    inputs["settings"]["potential"] = "emt"
    inputs["settings"]["calculator_options"] = {"x": {"__class__": "os.system"}}
    (run_dir / "inputs.json").write_text(json.dumps(inputs))
    with pytest.raises(InputError, match="not a plain number"):
        md.resume(run_dir)


@pytest.mark.parametrize("text", ["", "{", '{"settings": 3}', '{"settings": {"potential": 1}}',
                                  '{"settings": {"potential": "emt", "temperature_K": "hot"}}',
                                  '{"settings": {"potential": "emt"}}', "\udcff"])
def test_damaged_inputs_json_is_an_input_error(tmp_path, text):
    run_dir = tmp_path / "run"
    md.start(cu(), run_dir, **SETTINGS).run_to_end()
    (run_dir / "inputs.json").write_text(text, errors="surrogateescape")
    for call in (md.resume, md.read_run):
        with pytest.raises(InputError, match="inputs.json"):
            call(run_dir)


def test_exploding_md_stops_without_checkpointing(tmp_path):
    """A state driven to 1e5 K stops with ConvergenceError; the last checkpoint stays good."""
    from ssblab.errors import ConvergenceError

    run = md.start(cu(), tmp_path, **SETTINGS)
    run.run(12)  # checkpoint at step 10
    good = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    run.atoms.set_momenta(run.atoms.get_momenta() * 50.0)  # 2500x the kinetic energy
    with pytest.raises(ConvergenceError, match="temperature_K left"):
        run.run(20)
    run.close()
    assert json.loads((tmp_path / "checkpoint" / "state.json").read_text()) == good
    resumed = md.resume(tmp_path)
    assert resumed.step_count == 10
    resumed.close()
    # a NaN position (a potential that returned NaN forces) stops the run too
    run = md.resume(tmp_path)
    run.atoms.positions[3, 0] = np.nan
    with pytest.raises(ConvergenceError, match="not finite"):
        run.run(5)
    run.close()
    assert json.loads((tmp_path / "checkpoint" / "state.json").read_text()) == good
