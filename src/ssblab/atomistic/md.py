"""Molecular dynamics over ASE with a run directory, checkpoints and exact resume.

A run directory holds::

    inputs.json            every setting, the potential and the seed
    initial.extxyz         the starting structure
    trajectory.traj        production frames (ASE trajectory, positions never wrapped)
    log.txt                step, time, energies and temperature
    checkpoint/state.json  step reached, frames written, RNG state, thermostat state
    checkpoint/atoms.traj  positions, momenta and cell at that step

Thermostats (NVT): ``langevin`` (ASE Langevin, friction in 1/fs; the default: robust and exactly
resumable because the RNG state is checkpointed), ``nose-hoover`` (ASE Nose-Hoover chain,
damping time ``tdamp_fs``; its chain variables are checkpointed too), ``berendsen`` (ASE
NVTBerendsen, relaxation time ``tdamp_fs``; fast equilibration, not a canonical ensemble).
``nve`` is ASE velocity Verlet (no thermostat; ``temperature_K`` sets only the starting velocities).
With ``pressure_GPa`` the run is NPT with ASE's Berendsen barostat. The first
``equilibration_steps`` are not written to the trajectory.

A checkpoint is written every ``checkpoint_interval`` steps (a multiple of the save interval)
and at the end. :func:`resume` reloads it, drops trajectory frames written after it and carries
on from that step, so a killed run loses no steps. The continued run is the run that was never
interrupted to round-off, not bit for bit: forces are recomputed from the checkpointed positions,
and positions agree within 1e-10 A after the resume (tested with Langevin; about 1e-13 A
typical). The potential in ``inputs.json`` is data: only a registry name is used from it (see
:func:`resume`).

A run stops with :class:`~ssblab.errors.ConvergenceError` when its state diverges (a temperature
above ``max_temperature_factor`` times the target, a non-finite energy or position); no
checkpoint of such a state is written, so the last checkpoint stays a good one.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import numpy as np

from ssblab.dynamics import Dynamics
from ssblab.errors import InputError, check_choice, require_package
from ssblab.files import atomic_write
from ssblab.results import Result, provenance

Thermostat = Literal["langevin", "nose-hoover", "berendsen", "nve"]
THERMOSTATS = get_args(Thermostat)
MAX_TIMESTEP_FS = 50.0  # no integrator here is stable beyond a few fs; 50 catches unit slips
MAX_TEMPERATURE_FACTOR = 10.0  # an NVT run hotter than 10x its target has blown up


class TimeStepper(Dynamics):
    """The MD driver's stepper: observers fire after steps only (``start`` writes frame 0).

    Examples
    --------
    >>> class Counter(TimeStepper):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.n = 0
    ...     def step(self):
    ...         self.n += 1
    >>> seen = []
    >>> c = Counter()
    >>> c.attach(lambda: seen.append(c.n), interval=2)
    >>> _ = c.run(5)
    >>> seen
    [2, 4]
    """

    observe_initial = False


def _make_dynamics(atoms, settings: dict, rng: np.random.Generator):
    from ase import units

    dt = settings["timestep_fs"] * units.fs
    temp = settings["temperature_K"]
    thermostat = settings["thermostat"]
    if settings.get("pressure_GPa") is not None:
        from ase.md.nptberendsen import NPTBerendsen

        return NPTBerendsen(atoms, dt, temperature_K=temp, taut=settings["tdamp_fs"] * units.fs,
                            pressure_au=settings["pressure_GPa"] * units.GPa,
                            taup=settings["pdamp_fs"] * units.fs,
                            compressibility_au=settings["compressibility_per_GPa"] / units.GPa)
    if thermostat == "langevin":
        from ase.md.langevin import Langevin

        return Langevin(atoms, dt, temperature_K=temp,
                        friction=settings["friction_per_fs"] / units.fs, fixcm=False, rng=rng)
    if thermostat == "berendsen":
        from ase.md.nvtberendsen import NVTBerendsen

        return NVTBerendsen(atoms, dt, temperature_K=temp, taut=settings["tdamp_fs"] * units.fs)
    if thermostat == "nve":
        from ase.md.verlet import VelocityVerlet

        return VelocityVerlet(atoms, dt)
    from ase.md.nose_hoover_chain import NoseHooverChainNVT

    return NoseHooverChainNVT(atoms, dt, temperature_K=temp, tdamp=settings["tdamp_fs"] * units.fs)


class MDRun(TimeStepper):
    """An MD run in a directory; create with :func:`start` or :func:`resume`."""

    def __init__(self, atoms, run_dir: Path, settings: dict, rng: np.random.Generator,
                 *, step: int = 0, frames: int = 0):
        super().__init__()
        self.atoms, self.run_dir, self.settings, self.rng = atoms, Path(run_dir), settings, rng
        self.step_count, self.frames = step, frames
        self.dyn = _make_dynamics(atoms, settings, rng)
        self._forces = None
        self._traj = None
        self._log = None

    # -- the time step -------------------------------------------------------------------
    def step(self) -> None:
        try:
            out = self.dyn.step() if self._forces is None else self.dyn.step(self._forces)
        except (ValueError, FloatingPointError):
            self.check_diverged()  # a blown-up state is what broke the calculator: say so
            raise
        self._forces = out if isinstance(out, np.ndarray) else None
        self.step_count += 1
        self.check_diverged()
        self.write_due()

    def write_due(self) -> None:
        """Write what falls due at ``step_count``: a frame, a log line, a checkpoint."""
        s = self.settings
        if self.step_count > s["equilibration_steps"] and self.step_count % s["save_interval"] == 0:
            self._writer().write(self.atoms)
            self.frames += 1
        if self.step_count % s["log_interval"] == 0:
            self._write_log()
        if self.step_count % s["checkpoint_interval"] == 0:
            self.checkpoint()

    def check_diverged(self) -> None:
        """Raise ConvergenceError on a non-finite or overheated state (before any write)."""
        from ssblab.dynamics import check_state

        target = self.settings["temperature_K"]
        limit = self.settings.get("max_temperature_factor", MAX_TEMPERATURE_FACTOR) * target
        check_state(f"MD in {self.run_dir}", self.step_count,
                    positions=self.atoms.positions, momenta=self.atoms.get_momenta(),
                    cell=self.atoms.cell.array,
                    temperature_K=(self.atoms.get_temperature(), 0.0, limit))
        if self.step_count % self.settings["log_interval"] == 0 or \
                self.step_count % self.settings["checkpoint_interval"] == 0:
            check_state(f"MD in {self.run_dir}", self.step_count,
                        potential_energy_eV=self.atoms.get_potential_energy())

    @property
    def total_steps(self) -> int:
        return self.settings["equilibration_steps"] + self.settings["production_steps"]

    def run_to_end(self) -> MDRun:
        """Run the remaining steps, checkpoint and close the files."""
        remaining = self.total_steps - self.step_count
        try:
            self.run(remaining, desc=f"MD {self.settings['temperature_K']:g} K")
            self.checkpoint()
        finally:
            self.close()
        return self

    # -- files -----------------------------------------------------------------------------
    def _writer(self):
        if self._traj is None:
            from ase.io.trajectory import Trajectory as AseTrajectory

            self._traj = AseTrajectory(str(self.run_dir / "trajectory.traj"), "a")
        return self._traj

    def _write_log(self) -> None:
        if self._log is None:
            new = not (self.run_dir / "log.txt").exists()
            self._log = open(self.run_dir / "log.txt", "a", encoding="utf-8")
            if new:
                self._log.write("step time_ps epot_eV ekin_eV temperature_K wall_s\n")
        a = self.atoms
        t_ps = self.step_count * self.settings["timestep_fs"] / 1000.0
        self._log.write(f"{self.step_count} {t_ps:.4f} {a.get_potential_energy():.6f} "
                        f"{a.get_kinetic_energy():.6f} {a.get_temperature():.2f} "
                        f"{time.time():.1f}\n")
        self._log.flush()

    def checkpoint(self) -> None:
        """Write the state atomically: atoms with momenta, RNG and thermostat state."""
        from ase.io import write

        if self._traj is not None:
            self._traj.close()  # flush frames before the state that counts them
            self._traj = None
        ck = self.run_dir / "checkpoint"
        ck.mkdir(exist_ok=True)
        tmp = ck / "atoms.tmp.traj"
        write(tmp, self.atoms, format="traj")
        os.replace(tmp, ck / "atoms.traj")
        state = {"step": self.step_count, "frames": self.frames,
                 "rng": self.rng.bit_generator.state,
                 "thermostat": _thermostat_state(self.dyn)}
        atomic_write(ck / "state.json", json.dumps(state, default=_json_default))

    def close(self) -> None:
        for handle in (self._traj, self._log):
            if handle is not None:
                handle.close()
        self._traj = self._log = None


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    raise TypeError(type(obj).__name__)


def _thermostat_state(dyn) -> dict:
    inner = getattr(dyn, "_thermostat", None)  # Nose-Hoover chain variables
    if inner is None:
        return {}
    return {k: np.asarray(getattr(inner, k)).tolist() for k in ("_eta", "_p_eta")
            if hasattr(inner, k)}


def _restore_thermostat(dyn, state: dict) -> None:
    inner = getattr(dyn, "_thermostat", None)
    for key, value in state.items():
        setattr(inner, key, np.asarray(value, float))


def start(atoms, run_dir: str | os.PathLike, *, potential: Any = "chgnet", device: str = "cpu",
          temperature_K: float, timestep_fs: float = 2.0, production_steps: int,
          equilibration_steps: int = 0, save_interval: int = 10, log_interval: int | None = None,
          checkpoint_interval: int | None = None,
          thermostat: Thermostat = "langevin",
          friction_per_fs: float = 0.01, tdamp_fs: float = 100.0,
          pressure_GPa: float | None = None, pdamp_fs: float = 1000.0,
          compressibility_per_GPa: float = 0.04, rng: int | np.random.Generator = 0,
          calculator_options: dict | None = None, calculator: Any = None) -> MDRun:
    """Set up a new run directory and return the :class:`MDRun` (call ``run_to_end()``).

    ``potential`` is a registry name (see :mod:`.potentials`), a ``"module:factory"`` string
    or an ASE calculator object (then ``resume`` needs the same calculator passed again).
    ``calculator``, when given, is attached instead of building one for ``potential`` (which is
    still what ``inputs.json`` records); the batch driver passes its own.
    Velocities start from a Maxwell-Boltzmann distribution at ``temperature_K`` (seeded).
    """
    require_package("ase", extra="atomistic", purpose="molecular dynamics")
    from ase.io import write
    from ase.md.velocitydistribution import Stationary, thermalize_momenta

    from ssblab.atomistic.potentials import get_calculator

    thermostat = check_choice(thermostat, THERMOSTATS, name="thermostat")
    run_dir = Path(run_dir)
    if (run_dir / "inputs.json").exists():
        raise InputError(f"{run_dir}: already holds a run; resume it or choose another folder")
    for name, value, most in (("temperature_K", temperature_K, 1e5),
                              ("timestep_fs", timestep_fs, MAX_TIMESTEP_FS)):
        if not (math.isfinite(value) and 0 < value <= most):
            raise InputError(f"{name}: expected a number above 0 and at most {most:g}, "
                             f"found {value}")
    if len(atoms) == 0:
        raise InputError("atoms: the structure has no atoms")
    if int(production_steps) < 1 or int(equilibration_steps) < 0 or int(save_interval) < 1:
        raise InputError("production_steps and save_interval must be positive and "
                         "equilibration_steps not negative")
    checkpoint_interval = int(checkpoint_interval or max(save_interval, 100 * save_interval))
    if checkpoint_interval % int(save_interval):
        raise InputError(f"checkpoint_interval ({checkpoint_interval}) must be a multiple of "
                         f"save_interval ({save_interval})")
    seed = rng if isinstance(rng, int) else int(np.random.default_rng(rng).integers(2**63))
    generator = np.random.default_rng(seed)
    settings = dict(potential=potential if isinstance(potential, str) else type(potential).__name__,
                    device=device, temperature_K=float(temperature_K),
                    timestep_fs=float(timestep_fs), production_steps=int(production_steps),
                    equilibration_steps=int(equilibration_steps), save_interval=int(save_interval),
                    log_interval=int(log_interval or save_interval),
                    checkpoint_interval=checkpoint_interval, thermostat=thermostat,
                    friction_per_fs=float(friction_per_fs), tdamp_fs=float(tdamp_fs),
                    pressure_GPa=None if pressure_GPa is None else float(pressure_GPa),
                    pdamp_fs=float(pdamp_fs), compressibility_per_GPa=float(compressibility_per_GPa),
                    seed=seed, calculator_options=calculator_options or {},
                    frame_timestep_ps=float(timestep_fs) * int(save_interval) / 1000.0)
    atoms = atoms.copy()
    atoms.calc = calculator if calculator is not None else get_calculator(
        potential, device=device, **settings["calculator_options"])
    thermalize_momenta(atoms, temperature_K=temperature_K, rng=generator)
    Stationary(atoms)
    run_dir.mkdir(parents=True, exist_ok=True)
    write(run_dir / "initial.extxyz", atoms)
    atomic_write(run_dir / "inputs.json", json.dumps(
        {"settings": settings, "provenance": provenance(**settings)}, indent=1,
        default=_json_default))
    run = MDRun(atoms, run_dir, settings, generator)
    run.checkpoint()
    return run


def read_settings(run_dir: str | os.PathLike) -> dict:
    """The ``settings`` of a run directory's ``inputs.json``, checked as data.

    A missing, damaged or edited file raises :class:`InputError` naming it; nothing read here
    is ever imported or run (see :func:`check_stored_potential`).
    """
    path = Path(run_dir) / "inputs.json"
    if not path.is_file():
        raise InputError(f"{run_dir}: not an ssblab MD run directory (inputs.json missing)")
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))["settings"]
    except (ValueError, KeyError, TypeError) as exc:  # JSON, UTF-8, or a missing "settings"
        raise InputError(f"{path}: not a readable ssblab inputs.json ({type(exc).__name__}: "
                         f"{exc})") from None
    if not isinstance(settings, dict):
        raise InputError(f"{path}: 'settings' must be an object, found {type(settings).__name__}")
    for key, kind in _SETTING_TYPES.items():
        value = settings.get(key)
        if key in settings and not isinstance(value, kind) or isinstance(value, bool) \
                and kind is not bool:
            raise InputError(f"{path}: setting {key!r} must be {_kind_name(kind)}, "
                             f"found {value!r}")
        if key in settings and isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{path}: setting {key!r} must be finite, found {value!r}")
    missing = [k for k in ("potential", "temperature_K", "timestep_fs", "production_steps",
                           "frame_timestep_ps") if k not in settings]
    if missing:
        raise InputError(f"{path}: settings lack {', '.join(missing)}")
    return settings


_SETTING_TYPES = {
    "potential": str, "device": str, "thermostat": str, "temperature_K": (int, float),
    "timestep_fs": (int, float), "production_steps": int, "equilibration_steps": int,
    "save_interval": int, "log_interval": int, "checkpoint_interval": int,
    "friction_per_fs": (int, float), "tdamp_fs": (int, float), "pdamp_fs": (int, float),
    "pressure_GPa": (int, float, type(None)), "compressibility_per_GPa": (int, float),
    "seed": int, "calculator_options": dict, "frame_timestep_ps": (int, float),
    "max_temperature_factor": (int, float)}


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "a string", "int": "an integer", "float": "a number",
                        "dict": "an object", "NoneType": "null"}[k.__name__] for k in kinds)


def check_stored_potential(stored: str, requested: str | None, *, where) -> str:
    """The potential to resume with: a registry name from the file, or the user's own choice.

    A run folder is data: a ``"module:factory"`` entry point read from it is never imported.
    Such a run resumes only when the user names the same entry point again (``--potential``),
    and a requested potential that differs from the stored one is refused, saying both.
    """
    from ssblab.atomistic.potentials import REGISTRY

    if requested is not None and requested != stored:
        raise InputError(f"{where}: the run was made with potential {stored!r} but "
                         f"{requested!r} was asked for; resume with the same potential or start "
                         "a new run")
    if requested is None and stored.lower() not in REGISTRY:
        raise InputError(
            f"{where}: stored potential {stored!r} is not a registry name "
            f"({', '.join(REGISTRY)}); an entry point read from a file is never imported. "
            "If you trust it, name it yourself on the command line (--potential).")
    return stored


def _check_calculator_options(options: dict, where) -> dict:
    """Calculator options from a file: plain numbers, strings and flags only."""
    for key, value in options.items():
        if not (isinstance(key, str) and key.isidentifier()) or not isinstance(
                value, (int, float, str, bool, type(None))):
            raise InputError(f"{where}: calculator option {key!r} = {value!r} is not a plain "
                             "number, string or flag")
    return options


def resume(run_dir: str | os.PathLike, *, calculator: Any = None, potential: str | None = None,
           production_steps: int | None = None) -> MDRun:
    """Reopen a run at its last checkpoint; frames written after it are dropped and redone.

    The potential is the registry name stored in ``inputs.json``; a run made with a
    ``"module:factory"`` entry point (or a calculator object) resumes only when the caller
    passes it again as ``potential`` (or ``calculator``): nothing read from the folder is
    imported. A ``potential`` that differs from the stored one is refused.
    ``production_steps`` larger than the run's own extends it: the same trajectory continues
    (``inputs.json`` is rewritten atomically with the new length); a smaller one is refused.
    """
    require_package("ase", extra="atomistic", purpose="molecular dynamics")
    from ase.io import write
    from ase.io.trajectory import Trajectory as AseTrajectory

    from ssblab.atomistic.potentials import get_calculator

    run_dir = Path(run_dir)
    settings = read_settings(run_dir)
    where = run_dir / "inputs.json"
    options = _check_calculator_options(settings.get("calculator_options", {}), where)
    if calculator is None:
        potential = check_stored_potential(settings["potential"], potential, where=where)
    state_path = run_dir / "checkpoint" / "state.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        step, frames = int(state["step"]), int(state["frames"])
    except FileNotFoundError:
        raise InputError(f"{run_dir}: not an ssblab MD run directory ({state_path} missing)") \
            from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{state_path}: damaged checkpoint state ({type(exc).__name__}: "
                         f"{exc})") from None
    if production_steps is not None and int(production_steps) != settings["production_steps"]:
        if int(production_steps) < settings["production_steps"]:
            raise InputError(f"{run_dir}: production_steps {production_steps} is shorter than the "
                             f"run's {settings['production_steps']}; a run is only extended")
        settings["production_steps"] = int(production_steps)
        inputs = json.loads((run_dir / "inputs.json").read_text())
        inputs["settings"] = settings
        atomic_write(run_dir / "inputs.json", json.dumps(inputs, indent=1, default=_json_default))
    atoms = _read_checkpoint_atoms(run_dir / "checkpoint" / "atoms.traj")
    atoms.calc = get_calculator(calculator if calculator is not None else potential,
                                device=settings.get("device", "cpu"), **options)
    traj_path = run_dir / "trajectory.traj"
    if traj_path.exists():
        with AseTrajectory(str(traj_path)) as t:
            n = len(t)
            kept = [t[i] for i in range(min(n, frames))] if n > frames else None
        if kept is not None:
            tmp = run_dir / "trajectory.tmp.traj"
            write(tmp, kept, format="traj") if kept else tmp.write_bytes(b"")
            os.replace(tmp, traj_path)
            if not kept:
                traj_path.unlink()
    rng = np.random.default_rng()
    try:
        rng.bit_generator.state = state["rng"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{state_path}: damaged RNG state ({exc})") from None
    run = MDRun(atoms, run_dir, settings, rng, step=step, frames=frames)
    _restore_thermostat(run.dyn, state.get("thermostat", {}))
    return run


def _read_checkpoint_atoms(path: Path):
    from ase.io import read

    if not path.is_file():
        raise InputError(f"{path}: checkpoint missing")
    try:
        return read(path)
    except Exception as exc:  # ASE raises anything from a damaged .traj
        raise InputError(f"{path}: damaged checkpoint ({type(exc).__name__}: {exc})") from None


def read_run(run_dir: str | os.PathLike):
    """The production trajectory of a run directory as an unwrapped :class:`Trajectory`."""
    from ssblab.atomistic.trajectory import read_trajectory

    run_dir = Path(run_dir)
    settings = read_settings(run_dir)
    if not (run_dir / "trajectory.traj").exists():
        raise InputError(f"{run_dir}: no production frames written yet")
    return read_trajectory(run_dir / "trajectory.traj",
                           timestep_ps=settings["frame_timestep_ps"])


@dataclasses.dataclass(frozen=True, kw_only=True)
class MDRunSummary(Result):
    """Where an MD run directory stands: steps, frames, conditions, trajectory path."""

    run_dir: str
    steps_done: int
    total_steps: int
    frames: int
    temperature_K: float
    timestep_fs: float
    potential: str = ""
    trajectory: str = ""

    title: ClassVar[str] = "MD run"

    def summary(self):
        return [("run directory", self.run_dir),
                ("steps done / total", f"{self.steps_done} / {self.total_steps}"),
                ("frames stored", self.frames), ("temperature / K", self.temperature_K),
                ("time step / fs", self.timestep_fs), ("potential", self.potential or "-"),
                ("trajectory", self.trajectory)]
