"""``ssblab md``: run, resume and analyse molecular dynamics."""

from __future__ import annotations

import math
from pathlib import Path

import click

from ssblab.atomistic.md import THERMOSTATS
from ssblab.atomistic.potentials import DEVICES
from ssblab.cli._common import emit, parse_ints, quantity_option, with_output_options
from ssblab.errors import InputError

MAX_MD_ATOMS = 1_000_000  # far beyond what any calculator here runs; catches typos (1000,1000,1000)


@click.group()
def cli():
    """Molecular dynamics over ASE calculators, and transport analysis of any trajectory."""


def _run_summary(run, run_dir: Path):
    """The state of a finished (or stopped) run directory as a result."""
    from ssblab.atomistic.md import MDRunSummary

    s = run.settings
    return MDRunSummary(run_dir=str(run_dir), steps_done=int(run.step_count),
                        total_steps=int(run.total_steps), frames=int(run.frames),
                        temperature_K=float(s["temperature_K"]),
                        timestep_fs=float(s["timestep_fs"]),
                        potential=str(s.get("potential", "")),
                        trajectory=str(run_dir / "trajectory.traj"),
                        ok=run.step_count >= run.total_steps,
                        reason="" if run.step_count >= run.total_steps else
                        "stopped before the last step; continue with `ssblab md resume`")


@cli.command("run")
@click.argument("structure", type=click.Path(exists=True, dir_okay=False))
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="New folder for inputs, trajectory, log and checkpoints.")
@click.option("--potential", default="chgnet", show_default=True,
              help="Registry name (see `ssblab potentials`) or 'module:factory'.")
@click.option("--device", type=click.Choice(DEVICES), default="cpu",
              show_default=True)
@quantity_option("--temperature", unit="K", required=True, help="Thermostat temperature")
@quantity_option("--timestep", unit="fs", default=2.0, show_default=True, help="MD time step")
@click.option("--steps", type=click.IntRange(1), required=True, help="Production steps.")
@click.option("--equilibration", type=click.IntRange(0), default=0, show_default=True,
              help="Steps before production (not written to the trajectory).")
@click.option("--save-interval", type=click.IntRange(1), default=10, show_default=True)
@click.option("--checkpoint-interval", type=click.IntRange(1), default=None,
              help="Steps between checkpoints (multiple of --save-interval; default 100 saves).")
@click.option("--thermostat", type=click.Choice(THERMOSTATS),
              default="langevin", show_default=True)
@quantity_option("--pressure", unit="GPa", default=None, help="Run NPT (Berendsen) at this pressure")
@click.option("--supercell", default="1,1,1", show_default=True, help="Repeat, e.g. 2,2,2.")
@click.option("--seed", type=int, default=0, show_default=True)
@with_output_options
def run_cmd(structure, run_dir, potential, device, temperature, timestep, steps, equilibration,
            save_interval, checkpoint_interval, thermostat, pressure, supercell, seed, out,
            as_json):
    """Start an MD run from STRUCTURE (any ASE-readable file: CIF, POSCAR, extxyz)."""
    from ssblab.atomistic import md
    from ssblab.materials.structures import read_atoms

    reps = parse_ints(supercell, "--supercell", 3, minimum=1)
    atoms = read_atoms(structure)
    if len(atoms) * math.prod(reps) > MAX_MD_ATOMS:
        raise InputError(f"--supercell {supercell}: {len(atoms) * math.prod(reps)} atoms is above "
                         f"{MAX_MD_ATOMS}")
    atoms = atoms.repeat(reps)
    run = md.start(atoms, run_dir, potential=potential, device=device, temperature_K=temperature,
                   timestep_fs=timestep, production_steps=steps, equilibration_steps=equilibration,
                   save_interval=save_interval, checkpoint_interval=checkpoint_interval,
                   thermostat=thermostat, pressure_GPa=pressure, rng=seed)
    run.run_to_end()
    emit([_run_summary(run, run_dir)], out=out, as_json=as_json, title="MD run")


@cli.command("resume")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--potential", default=None,
              help="The run's potential, named again: needed for a 'module:factory' entry point "
                   "(never imported from the run folder); must match the stored one.")
@with_output_options
def resume_cmd(run_dir, potential, out, as_json):
    """Continue RUN_DIR from its last checkpoint."""
    from ssblab.atomistic import md

    run = md.resume(run_dir, potential=potential)
    click.echo(f"resuming at step {run.step_count} of {run.total_steps}", err=as_json)
    run.run_to_end()
    emit([_run_summary(run, run_dir)], out=out, as_json=as_json, title="MD run")


@cli.command("analyse")
@click.argument("trajectories", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--species", default="Li", show_default=True, help="Mobile species.")
@quantity_option("--temperature", unit="K", multiple=True,
                 help="Temperature: once for all trajectories or repeated once per trajectory, in order "
                      "(read from ssblab run directories when omitted)")
@quantity_option("--timestep", unit="ps", default=None,
                 help="Time between stored frames (read from an ssblab run when omitted)")
@click.option("--charge", type=float, default=1.0, show_default=True, help="Ion charge (e).")
@click.option("--blocks", type=click.IntRange(2), default=8, show_default=True,
              help="Independent blocks for the error bars.")
@click.option("--format", "fmt", default=None, help="ASE format name if not guessed.")
@quantity_option("--extrapolate-to", unit="K", default=300.0, show_default=True,
                 help="Arrhenius extrapolation temperature (several trajectories)")
@with_output_options
def analyse_cmd(trajectories, species, temperature, timestep, charge, blocks, fmt,
                extrapolate_to, out, as_json):
    """Diffusion, conductivity and Haven ratio of each trajectory (ssblab run folders or any
    ASE-readable file); with several temperatures also the Arrhenius fit."""
    from ssblab.atomistic.trajectory import read_trajectory
    from ssblab.atomistic.transport import arrhenius, diffusion

    if len(temperature) not in (0, 1, len(trajectories)):
        raise InputError(f"--temperature: give it once or once per trajectory "
                         f"({len(trajectories)}); found {len(temperature)}")
    temps = list(temperature) * len(trajectories) if len(temperature) == 1 else list(temperature)
    results = []
    for k, item in enumerate(trajectories):
        path, temp, dt = _locate(Path(item), temps[k] if temps else None, timestep)
        traj = read_trajectory(path, timestep_ps=dt, format=fmt)
        results.append(diffusion(traj, mobile=species, temperature_K=temp, charge_e=charge,
                                 n_blocks=blocks))
    good = [r for r in results if r.ok and r.conductivity_S_cm.value > 0]
    if len({r.temperature_K for r in good}) >= 2:
        results.append(arrhenius([r.temperature_K for r in good],
                                 [r.conductivity_S_cm.value for r in good],
                                 [r.conductivity_S_cm.stderr for r in good],
                                 quantity="conductivity", target_K=extrapolate_to))
    emit(results, out=out, as_json=as_json, title="Atomistic transport")


def _locate(path: Path, temperature, timestep):
    """The trajectory file, temperature and frame time step, from an ssblab run if possible."""
    settings = {}
    if path.is_dir():
        inputs = path / "inputs.json"
        if not inputs.exists():
            raise InputError(f"{path}: a folder must be an ssblab run directory (no inputs.json)")
        from ssblab.atomistic.md import read_settings

        settings = read_settings(path)
        path = path / "trajectory.traj"
    temp = temperature if temperature is not None else settings.get("temperature_K")
    dt = timestep if timestep is not None else settings.get("frame_timestep_ps")
    if temp is None or dt is None:
        raise InputError(f"{path}: give --temperature and --timestep (time between stored "
                         "frames); they are only read automatically from ssblab run folders")
    return path, float(temp), float(dt)


@cli.command("rdf")
@click.argument("trajectory", type=click.Path(exists=True))
@click.option("--pair", "pairs", multiple=True, required=True,
              help="Species pair such as In,S (repeat the option for more pairs).")
@quantity_option("--r-max", unit="angstrom", default=6.0, show_default=True,
                 help="Largest distance")
@click.option("--bins", type=click.IntRange(1), default=120, show_default=True)
@click.option("--windows", type=click.IntRange(1), default=1, show_default=True,
              help="Consecutive time windows (time-resolved RDF).")
@quantity_option("--timestep", unit="ps", default=None,
                 help="Time between stored frames (read from an ssblab run when omitted)")
@click.option("--format", "fmt", default=None, help="ASE format name if not guessed.")
@with_output_options
def rdf_cmd(trajectory, pairs, r_max, bins, windows, timestep, fmt, out, as_json):
    """Partial RDFs and coordination numbers, optionally per time window."""
    from ssblab.atomistic.structure_analysis import rdf
    from ssblab.atomistic.trajectory import read_trajectory

    path = Path(trajectory)
    dt = timestep
    if path.is_dir():
        path, _, dt = _locate(path, 1.0, timestep)
    traj = read_trajectory(path, timestep_ps=dt if dt is not None else 1.0, format=fmt)
    results = []
    for pair in pairs:
        names = tuple(p.strip() for p in pair.split(","))
        if len(names) != 2:
            raise InputError(f"--pair: expected two symbols like In,S, found {pair!r}")
        results.append(rdf(traj, names, r_max_A=r_max, n_bins=bins, n_windows=windows))
    emit(results, out=out, as_json=as_json, title="Radial distribution functions")


IDEAL_LI3INCL6 = "ideal-Li3InCl6"  # materials.prototypes.layered_rocksalt_framework, C2/m cell


def _parse_composition(text: str):
    """``label:Li=0.25,In=0.4[,volume=430]`` -> CompositionSpec."""
    from ssblab.materials.defects import CompositionSpec

    label, sep, body = text.partition(":")
    if not sep or not label.strip():
        raise InputError(f"--composition: expected 'label:Li=0.24,In=0.38[,volume=425.9]', "
                         f"found {text!r}")
    fractions, volume = {}, None
    for item in filter(None, (p.strip() for p in body.split(","))):
        key, eq, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"--composition {label}: {item!r} is not element=fraction") from None
        if not eq:
            raise InputError(f"--composition {label}: {item!r} is not element=fraction")
        if key.strip().lower() in ("volume", "volume_a3"):
            volume = number
        else:
            fractions[key.strip()] = number
    return CompositionSpec(label=label.strip(), vacancy_fractions=fractions, cell_volume_A3=volume)


@cli.command("study")
@click.argument("framework")
@click.option("--run-dir", "run_root", type=click.Path(file_okay=False, path_type=Path),
              required=True,
              help="Run folder of the study: one run directory per composition, configuration "
                   "and T inside; calling again with the same folder continues the study.")
@click.option("--preset", type=click.Choice(["seed000"]), default=None,
              help="seed000: cold- vs hot-pressed Li3InCl6 vacancy fractions and cell volumes.")
@click.option("--composition", "compositions", multiple=True,
              help="label:Li=0.25,In=0.4,Cl=0[,volume=430] (vacancy fraction per element "
                   "of the framework's sites; volume of one framework cell in A^3). Repeat.")
@click.option("--oxidation-states", default="Li=1,In=3,Cl=-1", show_default=True)
@quantity_option("--temperature", unit="K", multiple=True, help="MD temperature (repeat)")
@click.option("--supercell", default="1,1,1", show_default=True)
@click.option("--configurations", type=click.IntRange(1), default=2, show_default=True,
              help="Vacancy configurations (seeds) per composition.")
@click.option("--potential", default="chgnet", show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="cpu",
              show_default=True)
@quantity_option("--timestep", unit="fs", default=2.0, show_default=True, help="MD time step")
@click.option("--equilibration", type=click.IntRange(0), default=500, show_default=True)
@click.option("--steps", type=click.IntRange(1), default=5000, show_default=True, help="Production steps.")
@click.option("--save-interval", type=click.IntRange(1), default=10, show_default=True)
@quantity_option("--pressure", unit="GPa", default=None, help="Run NPT at this pressure")
@click.option("--batch-size", type=click.IntRange(1), default=1, show_default=True,
              help="Advance up to this many runs together (one CHGNet call per step for all; "
                   "Langevin at constant volume).")
@click.option("--seed", type=int, default=0, show_default=True)
@with_output_options
def study_cmd(framework, run_root, preset, compositions, oxidation_states, temperature,
              supercell, configurations, potential, device, timestep, equilibration, steps,
              save_interval, pressure, batch_size, seed, out, as_json):
    """Vacancy-ordered MD of refined compositions on FRAMEWORK (bundled name, CIF in the cell the
    refined volumes refer to, or ideal-Li3InCl6 for the idealised C2/m framework) at several
    temperatures, Arrhenius to 300 K, and the comparison (seed 000: hot- vs cold-pressed)."""
    from ssblab.materials.defects import SEED000_COMPOSITIONS
    from ssblab.materials.structures import read_structure
    from ssblab.workflows.vacancy_md import vacancy_md_study

    specs = list(SEED000_COMPOSITIONS if preset == "seed000" else ())
    specs += [_parse_composition(c) for c in compositions]
    if not specs:
        raise InputError("give --preset seed000 or at least one --composition")
    states = {}
    for item in oxidation_states.split(","):
        key, _, value = item.partition("=")
        try:
            states[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"--oxidation-states: expected El=charge items, found {item!r}") \
                from None
    reps = parse_ints(supercell, "--supercell", 3, minimum=1)
    if framework == IDEAL_LI3INCL6:
        from ssblab.materials.prototypes import layered_rocksalt_framework

        structure = layered_rocksalt_framework(primitive=False)
    else:
        structure = read_structure(framework)
    result = vacancy_md_study(structure, specs, oxidation_states=states, run_root=run_root,
                              temperatures_K=temperature or (600.0, 700.0, 800.0),
                              supercell=reps, n_configurations=configurations,
                              potential=potential, device=device, timestep_fs=timestep,
                              equilibration_steps=equilibration, production_steps=steps,
                              save_interval=save_interval, pressure_GPa=pressure,
                              batch_size=batch_size, rng=seed)
    emit([result] + [f for f in result.fits if f.ok], out=out, as_json=as_json,
         title="Vacancy-ordered MD study")
