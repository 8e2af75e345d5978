"""Run directories: long phase-field runs that checkpoint and resume.

A run directory holds ``inputs.json`` (everything needed to rebuild the simulation),
``electrolyte.npz`` (the phase map), ``checkpoint/state.npz`` (written atomically every
``checkpoint_interval`` steps), ``log.txt`` and, at the end, ``result.json`` and
``movie.gif``. ``resume_run`` continues from the last checkpoint and gives the same trajectory
as an uninterrupted run (the potential solver's preconditioner is rebuilt at every checkpoint
in both, so nothing depends on where a run was stopped).
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
import zipfile
from pathlib import Path

import numpy as np

from ssblab.dendrite.electrolyte import ElectrolyteMap
from ssblab.dendrite.metrics import GrowthResult, growth_result, write_movie
from ssblab.dendrite.phasefield import ElectrodepositionSimulation, PhaseFieldParameters
from ssblab.errors import InputError
from ssblab.files import atomic_write
from ssblab.progress import progress


def _save_npz(path: Path, arrays: dict) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


def start_run(run_dir, electrolyte: ElectrolyteMap, *, steps: int, checkpoint_interval: int = 500,
              parameters: PhaseFieldParameters | None = None, movie: bool = True,
              **simulation_options) -> GrowthResult:
    """Start a run in ``run_dir`` (which must not hold a run yet) and drive it to the end.

    ``simulation_options`` are the keyword options of
    :class:`~ssblab.dendrite.phasefield.ElectrodepositionSimulation` (plain values only, the
    seed as an int) and are stored in ``inputs.json``.
    """
    run_dir = Path(run_dir)
    if (run_dir / "inputs.json").exists():
        raise InputError(f"run directory {str(run_dir)!r} already holds a run; use resume")
    rng = simulation_options.get("rng")
    if rng is not None and not isinstance(rng, (int, np.integer)):
        raise InputError("rng: a run directory needs an integer seed so it can be resumed")
    parameters = parameters or PhaseFieldParameters()
    inputs = {"steps": int(steps), "checkpoint_interval": int(checkpoint_interval),
              "movie": bool(movie), "parameters": dataclasses.asdict(parameters),
              "simulation": simulation_options,
              "electrolyte": {"names": list(electrolyte.names),
                              "conductivity_S_m": list(electrolyte.conductivity_S_m),
                              "spacing_um": electrolyte.spacing_um}}
    sim = ElectrodepositionSimulation(electrolyte, parameters=parameters, **simulation_options)
    run_dir.mkdir(parents=True, exist_ok=True)
    _save_npz(run_dir / "electrolyte.npz", {"labels": np.asarray(electrolyte.labels)})
    atomic_write(run_dir / "inputs.json", json.dumps(inputs, indent=1))
    return _drive(sim, run_dir, inputs)


def load_simulation(run_dir) -> tuple[ElectrodepositionSimulation, dict]:
    """Rebuild the simulation of ``run_dir`` at its last checkpoint (or its start)."""
    run_dir = Path(run_dir)
    path = run_dir / "inputs.json"
    if not path.is_file():
        raise InputError(f"{str(run_dir)!r} is not a run directory (no inputs.json)")
    checkpoint = run_dir / "checkpoint" / "state.npz"
    try:
        inputs = json.loads(path.read_text(encoding="utf-8"))
        # own handles: numpy leaves its file open when a zip directory is damaged
        with open(run_dir / "electrolyte.npz", "rb") as handle, np.load(handle) as data:
            labels = data["labels"]
        e = inputs["electrolyte"]
        electrolyte = ElectrolyteMap(labels, tuple(e["conductivity_S_m"]), tuple(e["names"]),
                                     e["spacing_um"])
        sim = ElectrodepositionSimulation(
            electrolyte, parameters=PhaseFieldParameters(**inputs["parameters"]),
            **inputs["simulation"])
        if checkpoint.is_file():
            with open(checkpoint, "rb") as handle, np.load(handle) as state:
                sim.restore(state)
    except InputError as exc:
        raise InputError(f"{run_dir}: {exc}") from None
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
        # a damaged or edited inputs.json, electrolyte.npz or checkpoint
        raise InputError(f"{run_dir}: not a readable run directory ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]})") from None
    return sim, inputs


def resume_run(run_dir, *, steps: int | None = None) -> GrowthResult:
    """Continue the run in ``run_dir`` from its last checkpoint; ``steps`` raises the total."""
    sim, inputs = load_simulation(run_dir)
    if steps is not None:
        inputs["steps"] = int(steps)
        atomic_write(Path(run_dir) / "inputs.json", json.dumps(inputs, indent=1))
    return _drive(sim, Path(run_dir), inputs)


def _drive(sim: ElectrodepositionSimulation, run_dir: Path, inputs: dict) -> GrowthResult:
    total, interval = inputs["steps"], max(1, inputs["checkpoint_interval"])
    log = run_dir / "log.txt"

    def checkpoint():
        _save_npz(run_dir / "checkpoint" / "state.npz", sim.state())
        sim.solver.refresh()
        front_um = sim.mean_front_history_um[-1] if sim.mean_front_history_um else 0
        line = (f"{time.strftime('%Y-%m-%dT%H:%M:%S')} step {sim.nsteps} t={sim.time_s / 3600:.4g} h "
                f"dt={sim.dt_s:.3g} s front={front_um:.4g} um\n")
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(line)

    sim.attach(lambda: checkpoint() if sim.nsteps % interval == 0 and sim.nsteps else None)
    remaining = max(0, total - sim.nsteps)
    for _ in progress(sim.irun(remaining), total=remaining, desc="phase field"):
        pass
    if sim.nsteps % interval:
        checkpoint()
    result = growth_result(sim)
    atomic_write(run_dir / "result.json", result.to_json())
    if inputs.get("movie") and sim.snapshots:
        write_movie(sim.snapshots, run_dir / "movie.gif",
                    times_h=[t / 3600 for t in sim.snapshot_times_s],
                    spacing_um=sim.electrolyte.spacing_um, labels=np.asarray(sim.electrolyte.labels))
    return result
