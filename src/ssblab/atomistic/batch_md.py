"""Batched MD: many small cells advanced together, one potential call per step for all of them.

Each cell is an ordinary MD run directory of :mod:`.md` (``inputs.json``, trajectory, log,
its own checkpoint and RNG state), so :func:`~ssblab.atomistic.md.read_run`, ``ssblab md
analyse`` and even a single-cell :func:`~ssblab.atomistic.md.resume` work on it unchanged. The
batch only changes how the cells are advanced: positions and momenta of all cells live in one
flat array, the integrator is vectorised over it (NumPy), and the forces of every cell come
from one call of a *batched potential*:

- ``"chgnet"``: :class:`CHGNetBatch`, every cell's crystal graph in one CHGNet forward pass
  (``CHGNet.predict_graph`` with the whole batch); this is where batching pays on a CPU and,
  more, on a GPU;
- any other registry name (``emt``, ``lj``, ``sevennet``): :class:`CalculatorLoop`, one ASE
  calculator per cell called in turn (the same numbers as single runs, no speed-up);
- any object with ``compute(atoms_list) -> (energies_eV, forces_eV_A)``.

Integrators (``thermostat``): ``langevin`` repeats ASE's ``Langevin`` step operation for
operation (``fixcm=False``, each cell drawing its noise from its own generator in the same
order), and ``nve`` repeats ASE's ``VelocityVerlet``; a batch of N cells therefore follows the
same trajectories as N single :func:`~ssblab.atomistic.md.start` runs with the same seeds, to
round-off (tested to 1e-10 A with EMT). The cells of a batch share the protocol (time step,
thermostat, equilibration, production, save and checkpoint intervals, potential); structures,
sizes, temperatures, friction and seeds are free per cell.

Timing: ``BatchMD.seconds`` splits the wall time of the steps into the potential's share and
the driver's (integrator, bookkeeping, files); :attr:`BatchMD.driver_overhead` is the driver's
fraction.

Examples
--------
>>> from ase.build import bulk
>>> cells = [bulk("Cu", "fcc", a=3.61, cubic=True), bulk("Cu", "fcc", a=3.65, cubic=True)]
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     batch = start_batch(cells, [f"{tmp}/a", f"{tmp}/b"], potential="emt",
...                         temperatures_K=[300, 600], production_steps=4, save_interval=2,
...                         rng=[1, 2])
...     _ = batch.run_to_end()
...     [r.step_count for r in batch.runs], [r.frames for r in batch.runs]
([4, 4], [2, 2])
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import numpy as np

from ssblab.atomistic.md import MDRun, TimeStepper
from ssblab.errors import InputError, check_choice, require_package

BatchThermostat = Literal["langevin", "nve"]
BATCH_THERMOSTATS = get_args(BatchThermostat)
# what every cell of a batch must share: one time step, one integrator, one step count
SHARED_SETTINGS = ("potential", "device", "calculator_options", "thermostat", "timestep_fs",
                   "equilibration_steps", "production_steps", "save_interval",
                   "checkpoint_interval", "log_interval", "pressure_GPa")


class BatchedPotential(Protocol):
    """Energies and forces of many cells in one call."""

    def compute(self, atoms_list: Sequence[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Return the potential energy of each cell (eV) and its forces ((n_i, 3), eV/A)."""
        ...  # pragma: no cover


class CalculatorLoop:
    """One ASE calculator per cell, called in turn: any potential, no batching gain."""

    def __init__(self, calculators: Sequence[Any]):
        self.calculators = list(calculators)

    def compute(self, atoms_list):
        if len(atoms_list) != len(self.calculators):
            raise InputError(f"batch: {len(atoms_list)} cells but {len(self.calculators)} "
                             "calculators")
        energies = np.empty(len(atoms_list))
        forces = []
        for k, (atoms, calc) in enumerate(zip(atoms_list, self.calculators)):
            energies[k] = calc.get_property("energy", atoms)
            forces.append(np.array(calc.get_property("forces", atoms), dtype=float))
        return energies, forces


class CHGNetBatch:
    """CHGNet on all cells at once: graphs built per cell, one forward pass per ``batch_size``.

    ``model`` is a loaded ``chgnet.model.CHGNet`` (default: the pretrained one from the
    ``chgnet`` wheel, no download). ``batch_size=None`` puts every cell into one forward pass;
    ``batch_size=1`` calls the model cell by cell (the reference the benchmark compares with).
    ``seconds`` accumulates the time spent building graphs and in the model itself.
    """

    def __init__(self, model: Any = None, *, device: str = "cpu", batch_size: int | None = None):
        require_package("chgnet", extra="mlip",
                        purpose="the CHGNet potential (pip install torch==2.13.0 chgnet)")
        from ssblab.atomistic.potentials import resolve_device

        self.device = resolve_device(device)
        if model is None:
            from chgnet.model import CHGNet

            with contextlib.redirect_stdout(sys.stderr):  # stdout stays clean for --json
                model = CHGNet.load(verbose=False, use_device=self.device)
        self.model = model.to(self.device)
        if batch_size is not None and int(batch_size) < 1:
            raise InputError(f"batch_size: expected an integer >= 1 or None, found {batch_size}")
        self.batch_size = None if batch_size is None else int(batch_size)
        self.seconds = {"graphs": 0.0, "model": 0.0}

    def compute(self, atoms_list):
        from pymatgen.io.ase import AseAtomsAdaptor

        t0 = time.perf_counter()
        # the same conversion as chgnet's own ASE calculator, so single and batched runs agree
        graphs = [self.model.graph_converter(AseAtomsAdaptor.get_structure(a)).to(self.device)
                  for a in atoms_list]
        t1 = time.perf_counter()
        predictions = self.model.predict_graph(graphs, task="ef",
                                               batch_size=self.batch_size or len(graphs))
        if isinstance(predictions, dict):
            predictions = [predictions]
        self.seconds["graphs"] += t1 - t0
        self.seconds["model"] += time.perf_counter() - t1
        scale = [len(a) if self.model.is_intensive else 1 for a in atoms_list]
        energies = np.array([float(p["e"]) * n for p, n in zip(predictions, scale)])
        return energies, [np.asarray(p["f"], dtype=float) for p in predictions]


def batched_potential(potential: Any, n_cells: int, *, device: str = "cpu",
                      **options) -> BatchedPotential:
    """A batched potential from a registry name (``chgnet`` batched, others looped) or an object.

    Examples
    --------
    >>> type(batched_potential("emt", 3)).__name__
    'CalculatorLoop'
    """
    if not isinstance(potential, str):
        if not callable(getattr(potential, "compute", None)):
            raise InputError("potential: expected a registry name or an object with "
                             f"compute(atoms_list); found {type(potential).__name__}")
        return potential
    from ssblab.atomistic.potentials import REGISTRY, get_calculator

    if ":" not in potential:
        check_choice(potential.lower(), tuple(REGISTRY), name="potential")
        if potential.lower() == "chgnet":
            return CHGNetBatch(device=device, **options)
    return CalculatorLoop([get_calculator(potential, device=device, **options)
                           for _ in range(n_cells)])


def _batch_slot():
    """The calculator every cell carries between steps: the batch's results, nothing else.

    Asking it for anything it was not given (a single run driving a batch's atoms) raises,
    rather than quietly loading another model.
    """
    from ase.calculators.calculator import Calculator, PropertyNotImplementedError

    class BatchSlot(Calculator):
        implemented_properties = ("energy", "forces")

        def calculate(self, atoms=None, properties=None, system_changes=None):
            raise PropertyNotImplementedError(
                "this cell is advanced by a BatchMD; its energy and forces come from the batch")

    return BatchSlot()


class BatchMD(TimeStepper):
    """Advance the :class:`~ssblab.atomistic.md.MDRun` of every cell together.

    Create with :func:`start_batch` or :func:`resume_batch`. ``runs[k]`` is cell ``k``'s run
    (attach per-cell observers there: ``batch.runs[k].attach(fn, interval)``); observers
    attached to the batch itself fire after the whole batch has stepped.
    """

    def __init__(self, runs: Sequence[MDRun], potential: BatchedPotential):
        super().__init__()
        self.runs = list(runs)
        self.potential = potential
        if not self.runs:
            raise InputError("batch: no cells")
        _check_shared(self.runs)
        first = self.runs[0].settings
        if first["thermostat"] not in BATCH_THERMOSTATS or first.get("pressure_GPa") is not None:
            raise InputError(f"thermostat: the batch driver runs {', '.join(BATCH_THERMOSTATS)} "
                             f"at constant volume; found {first['thermostat']!r}"
                             + (" with pressure_GPa" if first.get("pressure_GPa") is not None
                                else "") + " (use md.start for one cell at a time)")
        steps = {r.step_count for r in self.runs}
        if len(steps) > 1:
            raise InputError("batch: the cells stand at different steps ("
                             + ", ".join(f"{r.run_dir}: {r.step_count}" for r in self.runs)
                             + "); resume them one by one with md.resume")
        for r in self.runs:
            if r.atoms.constraints:
                raise InputError(f"{r.run_dir}: the batch driver does not apply constraints; "
                                 "run constrained cells with md.start")
        from ase import units

        sizes = [len(r.atoms) for r in self.runs]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)])
        self.masses = np.concatenate([r.atoms.get_masses() for r in self.runs])[:, None]
        self.positions = np.concatenate([r.atoms.get_positions() for r in self.runs])
        self.momenta = np.concatenate([r.atoms.get_momenta() for r in self.runs])
        self.dt = first["timestep_fs"] * units.fs
        self.thermostat = first["thermostat"]
        if self.thermostat == "langevin":
            # ASE Langevin's coefficients, per atom (temperature and friction are per cell)
            def per_atom(values):
                return np.repeat(np.asarray(values, float), sizes)[:, None]

            temp = per_atom([units.kB * r.settings["temperature_K"] for r in self.runs])
            fr = per_atom([r.settings["friction_per_fs"] / units.fs for r in self.runs])
            dt, masses = self.dt, self.masses
            sigma = np.sqrt(2 * temp * fr / masses)
            self.c1 = dt / 2.0 - dt * dt * fr / 8.0
            self.c2 = dt * fr / 2 - dt * dt * fr * fr / 8.0
            self.c3 = np.sqrt(dt) * sigma / 2.0 - dt**1.5 * fr * sigma / 8.0
            self.c5 = dt**1.5 * sigma / (2 * np.sqrt(3))
            self.c4 = fr / 2.0 * self.c5
        self.forces: np.ndarray | None = None
        self.energies: np.ndarray | None = None
        self.seconds = {"potential": 0.0, "steps": 0.0}

    # -- the time step -------------------------------------------------------------------
    def evaluate(self) -> None:
        """Energies and forces of every cell at the current positions (one potential call)."""
        from ase.calculators.singlepoint import SinglePointCalculator

        t0 = time.perf_counter()
        energies, forces = self.potential.compute([r.atoms for r in self.runs])
        self.seconds["potential"] += time.perf_counter() - t0
        forces = [np.asarray(f, dtype=float) for f in forces]
        if len(forces) != len(self.runs) or any(
                f.shape != (len(r.atoms), 3) for f, r in zip(forces, self.runs)):
            raise InputError("batched potential: expected one (n_atoms, 3) force array per cell, "
                             f"found shapes {[np.shape(f) for f in forces]}")
        self.energies = np.asarray(energies, dtype=float).reshape(-1)
        if len(self.energies) != len(self.runs):
            raise InputError(f"batched potential: expected {len(self.runs)} energies, found "
                             f"{len(self.energies)}")
        self.forces = np.concatenate(forces)
        for r, e, f in zip(self.runs, self.energies, forces):
            r.atoms.calc = SinglePointCalculator(r.atoms, energy=float(e), free_energy=float(e),
                                                 forces=f)

    def step(self) -> None:
        t0 = time.perf_counter()
        if self.forces is None:
            self.evaluate()
        try:
            if self.thermostat == "langevin":
                self._langevin_step()
            else:
                self._verlet_step()
        except (ValueError, FloatingPointError):
            for r in self.runs:  # a blown-up cell is what broke the potential: say which
                r.check_diverged()
            raise
        for r in self.runs:
            r.step_count += 1
        for r in self.runs:  # every cell is checked before any of them writes
            r.check_diverged()
        for r in self.runs:
            r.write_due()
            r.nsteps += 1
            r.call_observers()
        self.seconds["steps"] += time.perf_counter() - t0

    def _scatter(self, *, momenta: bool) -> None:
        """Copy the flat positions (and momenta) back into each cell's Atoms."""
        for r, a, b in zip(self.runs, self.bounds[:-1], self.bounds[1:]):
            r.atoms.positions[:] = self.positions[a:b]
            if momenta:
                r.atoms.set_momenta(self.momenta[a:b], apply_constraint=False)

    def _langevin_step(self) -> None:
        # ASE's Langevin.step, operation for operation, over the flat arrays
        masses, dt = self.masses, self.dt
        v = self.momenta / masses
        noise = [(r.rng.standard_normal(size=(len(r.atoms), 3)),
                  r.rng.standard_normal(size=(len(r.atoms), 3))) for r in self.runs]
        xi = np.concatenate([n[0] for n in noise])
        eta = np.concatenate([n[1] for n in noise])
        rnd_pos = self.c5 * eta
        rnd_vel = self.c3 * xi - self.c4 * eta
        v += self.c1 * self.forces / masses - self.c2 * v + rnd_vel
        x = self.positions
        self.positions = x + dt * v + rnd_pos
        v = (self.positions - x - rnd_pos) / dt
        self._scatter(momenta=False)
        self.evaluate()
        v += self.c1 * self.forces / masses - self.c2 * v + rnd_vel
        self.momenta = v * masses
        self._scatter(momenta=True)

    def _verlet_step(self) -> None:
        # ASE's VelocityVerlet.step (no constraints), over the flat arrays
        p = self.momenta + 0.5 * self.dt * self.forces
        self.positions = self.positions + self.dt * p / self.masses
        self.momenta = p
        self._scatter(momenta=False)
        self.evaluate()
        self.momenta = self.momenta + 0.5 * self.dt * self.forces
        self._scatter(momenta=True)

    # -- running and files ---------------------------------------------------------------
    @property
    def driver_overhead(self) -> float:
        """Fraction of the steps' wall time spent outside the potential (NaN before a step)."""
        steps = self.seconds["steps"]
        return 1.0 - self.seconds["potential"] / steps if steps > 0 else float("nan")

    @property
    def step_count(self) -> int:
        return self.runs[0].step_count

    @property
    def total_steps(self) -> int:
        return self.runs[0].total_steps

    def run_to_end(self) -> BatchMD:
        """Run the remaining steps, checkpoint every cell and close the files."""
        try:
            self.run(self.total_steps - self.step_count, desc=f"MD batch of {len(self.runs)}")
            self.checkpoint()
        finally:
            self.close()
        return self

    def checkpoint(self) -> None:
        for r in self.runs:
            r.checkpoint()

    def close(self) -> None:
        for r in self.runs:
            r.close()


def _check_shared(runs: Sequence[MDRun]) -> None:
    first = runs[0]
    for r in runs[1:]:
        differ = [f"{key} {first.settings.get(key)!r} vs {r.settings.get(key)!r}"
                  for key in SHARED_SETTINGS if first.settings.get(key) != r.settings.get(key)]
        if differ:
            raise InputError(f"batch: {r.run_dir} and {first.run_dir} differ in "
                             + "; ".join(differ) + "; the cells of a batch share these settings")


def _per_cell(name: str, value, n: int) -> list:
    values = [value] * n if np.ndim(value) == 0 else list(value)
    if len(values) != n:
        raise InputError(f"{name}: expected one value or one per cell ({n}), found {len(values)}")
    return values


def start_batch(structures: Sequence[Any], run_dirs: Sequence[str | os.PathLike], *,
                temperatures_K: float | Sequence[float], potential: Any = "chgnet",
                device: str = "cpu", thermostat: BatchThermostat = "langevin",
                friction_per_fs: float | Sequence[float] = 0.01,
                rng: int | Sequence[int] = 0, calculator_options: dict | None = None,
                **settings) -> BatchMD:
    """Start one MD run directory per structure and return the :class:`BatchMD` over them.

    ``temperatures_K``, ``friction_per_fs`` and ``rng`` take one value for all cells or one
    per cell; an integer ``rng`` gives cell ``k`` the seed ``rng + k``. Every other keyword
    (``timestep_fs``, ``production_steps``, ``equilibration_steps``, ``save_interval``,
    ``log_interval``, ``checkpoint_interval``) goes to :func:`~ssblab.atomistic.md.start`
    for every cell, so cell ``k`` starts exactly as ``md.start(structures[k], run_dirs[k],
    temperature_K=temperatures_K[k], rng=seed_k, ...)`` would. ``potential`` is a registry
    name or a batched-potential object (then :func:`resume_batch` needs it passed again).
    Everything is checked, and the potential loaded, before any folder is written.
    """
    require_package("ase", extra="atomistic", purpose="molecular dynamics")
    from ssblab.atomistic import md
    from ssblab.errors import check_choice

    thermostat = check_choice(thermostat, BATCH_THERMOSTATS, name="thermostat")
    if settings.get("pressure_GPa") is not None:
        raise InputError("pressure_GPa: the batch driver runs at constant volume; use md.start "
                         "for NPT")
    n = len(structures)
    if n == 0:
        raise InputError("structures: give at least one cell")
    dirs = [Path(d) for d in run_dirs]
    if len(dirs) != n:
        raise InputError(f"run_dirs: expected one per structure ({n}), found {len(dirs)}")
    if len({d.resolve() for d in dirs}) != n:
        raise InputError("run_dirs: every cell needs its own folder")
    for d in dirs:
        if (d / "inputs.json").exists():
            raise InputError(f"{d}: already holds a run; resume it or choose another folder")
    temps = [float(t) for t in _per_cell("temperatures_K", temperatures_K, n)]
    frictions = [float(f) for f in _per_cell("friction_per_fs", friction_per_fs, n)]
    seeds = [rng + k for k in range(n)] if isinstance(rng, (int, np.integer)) \
        else [int(s) for s in _per_cell("rng", rng, n)]
    for k, (atoms, t) in enumerate(zip(structures, temps)):
        if not (np.isfinite(t) and 0 < t <= 1e5):
            raise InputError(f"temperatures_K: cell {k}: expected a number above 0 and at most "
                             f"1e5, found {t}")
        if len(atoms) == 0:
            raise InputError(f"structures: cell {k} has no atoms")
        if atoms.constraints:
            raise InputError(f"structures: cell {k} has constraints, which the batch driver "
                             "does not apply")
    options = dict(calculator_options or {})
    engine = batched_potential(potential, n, device=device, **options)
    name = potential if isinstance(potential, str) else type(potential).__name__
    runs = []
    try:
        for k in range(n):
            runs.append(md.start(structures[k], dirs[k], potential=name, device=device,
                                 temperature_K=temps[k], thermostat=thermostat,
                                 friction_per_fs=frictions[k], rng=seeds[k],
                                 calculator_options=options, calculator=_batch_slot(),
                                 **settings))
    except BaseException:
        for r in runs:
            r.close()
        raise
    return BatchMD(runs, engine)


def resume_batch(run_dirs: Sequence[str | os.PathLike], *, potential: Any = None,
                 production_steps: int | None = None) -> BatchMD:
    """Reopen the cells of a batch at their last checkpoints and return the :class:`BatchMD`.

    Each folder is resumed as :func:`~ssblab.atomistic.md.resume` would (frames after the
    checkpoint dropped, RNG restored; ``production_steps`` extends every cell). The potential is
    the registry name the folders store (never anything imported from them); a batch started
    with a potential object needs that object passed again as ``potential``.
    """
    require_package("ase", extra="atomistic", purpose="molecular dynamics")
    from ssblab.atomistic import md

    dirs = [Path(d) for d in run_dirs]
    if not dirs:
        raise InputError("run_dirs: give at least one run folder")
    stored = [md.read_settings(d) for d in dirs]
    for d, s in zip(dirs[1:], stored[1:]):
        for key in ("potential", "device", "calculator_options"):
            if s.get(key) != stored[0].get(key):
                raise InputError(f"batch: {d} and {dirs[0]} differ in {key} ({s.get(key)!r} vs "
                                 f"{stored[0].get(key)!r})")
    if potential is None or isinstance(potential, str):
        name = md.check_stored_potential(stored[0]["potential"], potential,
                                         where=dirs[0] / "inputs.json")
        options = md._check_calculator_options(stored[0].get("calculator_options", {}),
                                               dirs[0] / "inputs.json")
        engine = batched_potential(name, len(dirs), device=stored[0].get("device", "cpu"),
                                   **options)
    else:
        engine = batched_potential(potential, len(dirs))
    runs = []
    try:
        for d in dirs:
            runs.append(md.resume(d, calculator=_batch_slot(), production_steps=production_steps))
    except BaseException:
        for r in runs:
            r.close()
        raise
    return BatchMD(runs, engine)
