"""Run directories: checkpoint and resume reproduce the uninterrupted trajectory exactly."""

import json

import numpy as np
import pytest

from ssblab.dendrite.electrolyte import particle_map
from ssblab.dendrite.metrics import GrowthResult
from ssblab.dendrite.phasefield import PhaseFieldParameters
from ssblab.dendrite.rundir import load_simulation, resume_run, start_run
from ssblab.errors import InputError

OPTIONS = dict(current_density_mA_cm2=2.0, film_thickness_um=8.0, roughness_um=0.5,
               snapshot_interval=10, solver="fft", rng=3)


def _map():
    return particle_map((40, 24), fraction=0.2, radius_um=4.0, conductivity_S_m=(0.357, 3.57), rng=5)


def test_resume_gives_the_identical_trajectory(tmp_path):
    params = PhaseFieldParameters(noise_amplitude_1_sqrt_s=0.01, exchange_current_density_mA_cm2=10.0)
    straight = start_run(tmp_path / "a", _map(), steps=60, checkpoint_interval=20,
                         parameters=params, movie=False, **OPTIONS)
    start_run(tmp_path / "b", _map(), steps=40, checkpoint_interval=20, parameters=params,
              movie=False, **OPTIONS)
    resumed = resume_run(tmp_path / "b", steps=60)
    assert resumed.steps == straight.steps == 60
    np.testing.assert_array_equal(resumed.order_parameter, straight.order_parameter)
    np.testing.assert_array_equal(resumed.time_h, straight.time_h)
    np.testing.assert_array_equal(resumed.mean_front_um, straight.mean_front_um)
    sim, _ = load_simulation(tmp_path / "b")
    assert sim.nsteps == 60 and len(sim.snapshots) == 6


def test_checkpoint_keys_come_from_the_state_and_histories_from_observers():
    import dataclasses

    from ssblab.dendrite.phasefield import ElectrodepositionSimulation, PhaseFieldState

    sim = ElectrodepositionSimulation(_map(), **OPTIONS)
    seen = []
    sim.attach(lambda: seen.append(len(sim.time_history_s)))  # runs after the history observer
    sim.run(20)
    fields = {f.name for f in dataclasses.fields(PhaseFieldState)}
    assert set(sim.state()) == fields | {"nsteps", "rng_state", "stop_reason"}
    assert seen == list(range(21)) and len(sim.snapshots) == 2
    copy = ElectrodepositionSimulation(_map(), **OPTIONS)
    copy.restore(dict(np.load(_save(sim.state()))))
    for name in fields:
        np.testing.assert_array_equal(np.asarray(getattr(copy, name)), np.asarray(getattr(sim, name)))


def test_checkpoints_of_the_previous_layout_resume():
    from ssblab.dendrite.phasefield import ElectrodepositionSimulation

    sim = ElectrodepositionSimulation(_map(), **OPTIONS).run(12)
    old = dict(sim.state())
    old["scalars"] = np.array([old.pop("time_s"), old.pop("dt_s"), old.pop("passed_charge_C_m2"),
                               old.pop("nsteps")])
    del old["step_current_A_m2"]
    copy = ElectrodepositionSimulation(_map(), **OPTIONS)
    copy.restore(old)
    sim.run(8)
    copy.run(8)
    np.testing.assert_array_equal(copy.xi, sim.xi)
    assert copy.nsteps == 20 and copy.current_history_mA_cm2 == sim.current_history_mA_cm2


def _save(state):
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    return buffer


def test_run_directory_files_and_result_round_trip(tmp_path):
    result = start_run(tmp_path / "r", _map(), steps=20, checkpoint_interval=10, **OPTIONS)
    for name in ("inputs.json", "electrolyte.npz", "checkpoint/state.npz", "log.txt",
                 "result.json", "movie.gif"):
        assert (tmp_path / "r" / name).is_file(), name
    inputs = json.loads((tmp_path / "r" / "inputs.json").read_text())
    assert inputs["simulation"]["current_density_mA_cm2"] == 2.0
    again = GrowthResult.from_json((tmp_path / "r" / "result.json").read_text())
    np.testing.assert_array_equal(again.order_parameter, result.order_parameter)
    assert (tmp_path / "r" / "movie.gif").read_bytes()[:3] == b"GIF"
    with pytest.raises(InputError, match="already holds a run"):
        start_run(tmp_path / "r", _map(), steps=5, **OPTIONS)
    with pytest.raises(InputError, match="not a run directory"):
        resume_run(tmp_path / "missing")


def test_amg_runs_repeat_bit_for_bit_whatever_the_global_rng(tmp_path):
    """The default (AMG) solver: the same seed gives the same trajectory bit for bit, even when
    numpy's global RNG (which pyamg's setup draws from) is in another state, and a resumed AMG
    run repeats the uninterrupted one bit for bit (docs/dendrite.md states exactly this)."""
    params = PhaseFieldParameters(noise_amplitude_1_sqrt_s=0.01, exchange_current_density_mA_cm2=10.0)
    options = dict(OPTIONS, solver="amg")
    runs = []
    for k, name in enumerate("ab"):
        np.random.seed(k + 1)
        runs.append(start_run(tmp_path / name, _map(), steps=60, checkpoint_interval=20,
                              parameters=params, movie=False, **options))
    np.random.seed(7)
    start_run(tmp_path / "c", _map(), steps=40, checkpoint_interval=20, parameters=params,
              movie=False, **options)
    runs.append(resume_run(tmp_path / "c", steps=60))
    for other in runs[1:]:
        np.testing.assert_array_equal(other.order_parameter, runs[0].order_parameter)
        np.testing.assert_array_equal(other.time_h, runs[0].time_h)


def test_diverging_run_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    from ssblab.dendrite.phasefield import ElectrodepositionSimulation
    from ssblab.errors import ConvergenceError

    start_run(tmp_path / "r", _map(), steps=20, checkpoint_interval=10, movie=False, **OPTIONS)
    checkpoint = tmp_path / "r" / "checkpoint" / "state.npz"
    good = checkpoint.read_bytes()
    original = ElectrodepositionSimulation._advance

    def blow_up(self, *args):
        original(self, *args)
        if self.nsteps >= 24:
            self.xi[1, 1] = np.nan if self.nsteps % 2 else 5.0

    monkeypatch.setattr(ElectrodepositionSimulation, "_advance", blow_up)
    with pytest.raises(ConvergenceError, match="phase field diverged at step 25: xi left"):
        resume_run(tmp_path / "r", steps=60)
    assert checkpoint.read_bytes() == good  # the step-30 checkpoint was never written
    sim, _ = load_simulation(tmp_path / "r")
    assert sim.nsteps == 20 and np.isfinite(sim.xi).all()
    monkeypatch.setattr(ElectrodepositionSimulation, "_advance", lambda self, *a: (
        original(self, *a), self.xi.__setitem__((1, 1), np.nan)))
    with pytest.raises(ConvergenceError, match="diverged at step 21: xi is not finite"):
        resume_run(tmp_path / "r")
    assert checkpoint.read_bytes() == good


@pytest.mark.parametrize("damage", ["{", '{"electrolyte": 1}', "[]", "\udcff"])
def test_damaged_run_directory_is_an_input_error(tmp_path, damage):
    start_run(tmp_path / "r", _map(), steps=2, checkpoint_interval=1, movie=False, **OPTIONS)
    (tmp_path / "r" / "inputs.json").write_text(damage, errors="surrogateescape")
    with pytest.raises(InputError, match="r: "):
        load_simulation(tmp_path / "r")
