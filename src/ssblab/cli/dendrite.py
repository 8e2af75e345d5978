"""``ssblab dendrite``: phase-field Li deposition runs, seed 003's study and CCD estimates."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import click

from ssblab import reference as ref
from ssblab.backend import BackendName, Device
from ssblab.cli._common import emit, quantity_option, with_output_options
from ssblab.dendrite.phasefield import Control
from ssblab.dendrite.solver import SolverMethod
from ssblab.errors import choices_of

MAX_CELLS_PER_SIDE = 8192  # 8192 x 8192 cells already take gigabytes per field


@click.group("dendrite")
def cli():
    """Phase-field Li dendrite growth in (heterogeneous) solid electrolytes."""


def _parameter_options(func):
    options = [
        quantity_option("--exchange-current", "exchange_current_mA_cm2", unit="mA/cm^2", default=1.0,
                        show_default=True, help="Li|electrolyte exchange current density"),
        quantity_option("--mobility", "mobility_m3_Js", unit="m^3/J/s", default=2.0e-9,
                        show_default=True, help="Allen-Cahn interface mobility L_sigma"),
        click.option("--anisotropy", type=float, default=0.0, show_default=True,
                     help="anisotropy strength delta (0: off; Chen et al. used 0.044)"),
        click.option("--noise", type=float, default=0.0, show_default=True,
                     help="interface noise amplitude (1/sqrt(s))"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _parameters(exchange_current_mA_cm2, mobility_m3_Js, anisotropy, noise):
    from ssblab.dendrite.phasefield import PhaseFieldParameters

    return PhaseFieldParameters(exchange_current_density_mA_cm2=exchange_current_mA_cm2,
                                interface_mobility_m3_Js=mobility_m3_Js,
                                anisotropy_strength=anisotropy, noise_amplitude_1_sqrt_s=noise)


def _growth_report(result, out: Path | None, title: str, movie: Path | None):
    from ssblab.report import Report

    report = Report(title)
    text = "Movie of the order parameter: movie.gif beside this report." if movie else ""
    report.add(result, text=text, figures=[("front and leading tip vs time", result.plot().figure),
                                           ("order parameter, potential and current density",
                                            result.plot_fields())])
    if out is not None and movie is not None and movie.is_file():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(movie, out / "movie.gif")
    return report


@cli.command("run")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Run directory (inputs.json, checkpoint/, log.txt, result.json, movie.gif).")
@click.option("--nx", type=click.IntRange(2, MAX_CELLS_PER_SIDE), default=128, show_default=True, help="cells across")
@click.option("--ny", type=click.IntRange(2, MAX_CELLS_PER_SIDE), default=128, show_default=True, help="cells from the Li electrode to the counter electrode")
@quantity_option("--spacing", "spacing_um", unit="um", default=1.0, show_default=True, help="grid spacing")
@click.option("--map", "map_kind", type=click.Choice(["uniform", "particles", "image"]),
              default="particles", show_default=True, help="electrolyte map")
@click.option("--image", type=click.Path(exists=True, dir_okay=False), default=None,
              help="phase image (.npy labels or PNG/TIFF grey) for --map image; row 0 at the Li side")
@click.option("--fraction", type=float, default=0.2, show_default=True, help="area fraction of phase A")
@quantity_option("--radius", "radius_um", unit="um", default=6.0, show_default=True, help="particle radius")
@quantity_option("--sigma-a", "sigma_a_S_cm", unit="S/cm", default=ref.LGPS_SIGMA_S_cm.value,
                 show_default=True, help="conductivity of phase A (e.g. '5 mS/cm'; default LGPS)")
@quantity_option("--sigma-b", "sigma_b_S_cm", unit="S/cm", default=ref.LPSC_SIGMA_S_cm.value,
                 show_default=True, help="conductivity of the host B (e.g. '3 mS/cm'; default LPSC1.0)")
@click.option("--voids", type=float, default=0.0, show_default=True, help="area fraction of insulating voids")
@quantity_option("--grain-size", "grain_size_um", unit="um", default=0.0, show_default=True,
                 help="add a resistive grain-boundary network with this grain size (0: none)")
@click.option("--gb-factor", type=float, default=0.1, show_default=True,
              help="grain-boundary conductivity / host conductivity")
@click.option("--control", type=click.Choice(choices_of(Control)), default="galvanostatic",
              show_default=True)
@quantity_option("--current", "current_mA_cm2", unit="mA/cm^2", default=1.0, show_default=True,
                 help="applied current density (galvanostatic)")
@quantity_option("--voltage", "voltage_V", unit="V", default=0.05, show_default=True,
                 help="counter-electrode potential vs the deposit (potentiostatic)")
@quantity_option("--film", "film_um", unit="um", default=10.0, show_default=True, help="initial Li film")
@quantity_option("--roughness", "roughness_um", unit="um", default=0.5, show_default=True,
                 help="initial film roughness")
@click.option("--nuclei", type=click.IntRange(0), default=0, show_default=True, help="hemispherical nuclei on the film")
@click.option("--steps", type=click.IntRange(1), default=2000, show_default=True, help="time steps (adaptive dt)")
@click.option("--checkpoint-interval", type=click.IntRange(1), default=500, show_default=True)
@click.option("--snapshot-interval", type=click.IntRange(0), default=50, show_default=True, help="steps between movie frames")
@click.option("--solver", type=click.Choice(choices_of(SolverMethod)), default="auto", show_default=True,
              help="potential solver: auto = mg (geometric multigrid CG); amg (pyamg) and fft on numpy only")
@click.option("--device", type=click.Choice(choices_of(Device)), default="cpu", show_default=True,
              help="cuda or auto run on a GPU through PyTorch (the torch extra)")
@click.option("--backend", "array_backend", type=click.Choice(choices_of(BackendName)), default=None,
              help="array library (default: numpy on the CPU, torch on cuda)")
@click.option("--seed", type=int, default=0, show_default=True)
@_parameter_options
@with_output_options
def run_command(run_dir, nx, ny, spacing_um, map_kind, image, fraction, radius_um, sigma_a_S_cm,
                sigma_b_S_cm, voids, grain_size_um, gb_factor, control, current_mA_cm2, voltage_V,
                film_um, roughness_um, nuclei, steps, checkpoint_interval, snapshot_interval, solver,
                device, array_backend, seed, exchange_current_mA_cm2, mobility_m3_Js, anisotropy, noise, out, as_json):
    """Start a growth run in RUN_DIR (checkpointed; continue it with `resume`)."""
    from ssblab.dendrite import electrolyte as el
    from ssblab.dendrite.rundir import start_run
    from ssblab.errors import InputError

    # the CLI speaks S/cm like every layer; the phase-field maps hold S/m (1 S/cm = 100 S/m)
    sigma_a_S_m, sigma_b_S_m = 100.0 * sigma_a_S_cm, 100.0 * sigma_b_S_cm
    shape = (ny, nx)
    if map_kind == "uniform":
        emap = el.uniform_map(shape, spacing_um=spacing_um, conductivity_S_m=sigma_b_S_m)
    elif map_kind == "particles":
        emap = el.particle_map(shape, spacing_um=spacing_um, fraction=fraction, radius_um=radius_um,
                               conductivity_S_m=(sigma_b_S_m, sigma_a_S_m), rng=seed)
    else:
        if image is None:
            raise InputError("--map image needs --image FILE")
        emap = el.image_map(image, conductivity_S_m=(sigma_b_S_m, sigma_a_S_m), names=("B", "A"),
                            spacing_um=spacing_um)
    if voids > 0:
        emap = el.add_voids(emap, fraction=voids, radius_um=radius_um, rng=seed + 1)
    if grain_size_um > 0:
        emap = el.add_grain_boundaries(emap, grain_size_um=grain_size_um,
                                       conductivity_factor=gb_factor, rng=seed + 2)
    result = start_run(run_dir, emap, steps=steps, checkpoint_interval=checkpoint_interval,
                       parameters=_parameters(exchange_current_mA_cm2, mobility_m3_Js, anisotropy, noise),
                       control=control, current_density_mA_cm2=current_mA_cm2, voltage_V=voltage_V,
                       film_thickness_um=film_um, roughness_um=roughness_um, nuclei=nuclei,
                       solver=solver, snapshot_interval=snapshot_interval, rng=seed,
                       **({} if device == "cpu" and array_backend is None else
                          {"device": device, "backend": array_backend}))
    report = _growth_report(result, out, "Phase-field Li deposition", run_dir / "movie.gif")
    emit([result], out=out, as_json=as_json, title="Phase-field Li deposition", report=report)


@cli.command("resume")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--steps", type=click.IntRange(1), default=None, help="new total number of steps")
@with_output_options
def resume_command(run_dir, steps, out, as_json):
    """Continue the run in RUN_DIR from its last checkpoint."""
    from ssblab.dendrite.rundir import resume_run

    result = resume_run(run_dir, steps=steps)
    report = _growth_report(result, out, "Phase-field Li deposition (resumed)", run_dir / "movie.gif")
    emit([result], out=out, as_json=as_json, title="Phase-field Li deposition", report=report)


@cli.command("study")
@click.option("--ratio", "ratios", type=float, multiple=True, default=(1.0, 1.473, 5.0, 20.0),
              show_default=True, help="sigma_A/sigma_B (repeat the option; 1.473 = LGPS/LPSC)")
@click.option("--fraction", type=float, default=0.2, show_default=True)
@click.option("--size", type=int, default=96, show_default=True, help="cells per side")
@quantity_option("--duration", "duration_h", unit="h", default=5.0, show_default=True, help="plating time")
@quantity_option("--current", "current_mA_cm2", unit="mA/cm^2", default=1.0, show_default=True,
                 help="applied current density")
@click.option("--seed", type=int, default=0, show_default=True)
@_parameter_options
@with_output_options
def study_command(ratios, fraction, size, duration_h, current_mA_cm2, seed, exchange_current_mA_cm2,
                  mobility_m3_Js, anisotropy, noise, out, as_json):
    """Seed 003: preference of the deposit for the more conductive phase vs sigma_A/sigma_B."""
    from ssblab.dendrite.studies import conductivity_ratio_study
    from ssblab.report import Report

    values = tuple(ratios)
    result = conductivity_ratio_study(values, fraction=fraction, shape=(size, size),
                                      duration_h=duration_h, current_density_mA_cm2=current_mA_cm2,
                                      parameters=_parameters(exchange_current_mA_cm2, mobility_m3_Js,
                                                             anisotropy, noise), rng=seed)
    report = Report("Seed 003: dendrites and conductivity contrast",
                    intro="Preference = Li deposited in A / row-weighted area of A (1: none). The "
                          "conductivity map steers the deposit only when the ohmic field beats the "
                          "interface kinetics (Wagner number sigma*R_ct/L < ~1): with measured-scale "
                          "i0 ~ 1 mA/cm2 expect ~1 at every ratio; --exchange-current '100 mA/cm^2' "
                          "gives the ohmic-limited regime of the seed's simulations (docs/dendrite.md).")
    report.add(result, table=True, figures=[("preference for A vs conductivity ratio", result.plot().figure),
                                            ("final deposits", result.plot_deposits())])
    emit([result], out=out, as_json=as_json, title="Seed 003 study", report=report)


@cli.command("ccd")
@click.option("--width", type=int, default=64, show_default=True,
              help="cells across (the height follows from the staircase)")
@quantity_option("--step-duration", "step_duration_h", unit="h", default=1.0, show_default=True,
                 help="time at each current step")
@quantity_option("--max-current", "max_current_mA_cm2", unit="mA/cm^2", default=3.1, show_default=True,
                 help="highest step")
@click.option("--failure-fraction", type=float, default=0.1, show_default=True,
              help="fail when the tip leads the mean front by this fraction of the separator")
@quantity_option("--separator", "separator_um", unit="um", default=100.0, show_default=True,
                 help="separator thickness the failure fraction refers to")
@click.option("--seed", type=int, default=0, show_default=True)
@_parameter_options
@with_output_options
def ccd_command(width, step_duration_h, max_current_mA_cm2, failure_fraction, separator_um, seed,
                exchange_current_mA_cm2, mobility_m3_Js, anisotropy, noise, out, as_json):
    """CCD estimates (0.1 mA/cm2 start, +0.2 steps) vs contrast, fraction, voids, kinetics."""
    from ssblab.dendrite.ccd import ccd_study
    from ssblab.report import Report

    result = ccd_study(width=width, step_duration_h=step_duration_h,
                       max_current_mA_cm2=max_current_mA_cm2, failure_fraction=failure_fraction,
                       separator_thickness_um=separator_um,
                       parameters=_parameters(exchange_current_mA_cm2, mobility_m3_Js, anisotropy, noise),
                       rng=seed)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for run in result.runs:
        ax.plot(run.current_steps_mA_cm2, run.penetration_um, "o-", ms=3, label=run.label)
    ax.set_xlabel("current density of the step (mA/cm2)")
    ax.set_ylabel("tip ahead of the mean front (um)")
    ax.legend(fontsize=6)
    report = Report("CCD estimates from the phase-field model",
                    intro="A relative index: the model has no mechanics, no electronic leakage and "
                          "no interphase chemistry, which set measured CCDs (docs/dendrite.md).")
    report.add(result, table=True, figures=[("estimated CCD by scenario", result.plot().figure),
                                            ("penetration along the staircase", fig)])
    emit([result], out=out, as_json=as_json, title="CCD estimates", report=report)




@cli.command("ccd-study")
@click.option("--generator-seed", "generator_seeds", type=int, multiple=True, default=(0, 1, 2),
              show_default=True,
              help="Seed of the 3D microstructure generator (repeat the option; mean and spread reported).")
@click.option("--size", type=int, default=64, show_default=True, help="cells per side of the 3D mixtures (1 um)")
@quantity_option("--reach", "reach_um", unit="um", default=500.0, show_default=True,
                 help="depth to which an LGPS cluster spanning the volume continues (capacity; assumption)")
@click.option("--calibration", type=click.Choice(["LPSC1.0", "LPSC1.0-91", "LPSC1.0-82", "LPSC1.0-73",
                                                  "LPSC1.25-82", "LPSC1.5-82"]),
              default="LPSC1.0-82", show_default=True, help="the one seed-003 CCD the capture rate is fitted on")
@click.option("--growth-per-spacing", type=float, default=1.0, show_default=True,
              help="growth of the competing filament fronts before the race is decided, in units of their "
                   "spacing (h/lambda; assumption; 0: the ohmic current share)")
@with_output_options
def ccd_study_command(generator_seeds, size, reach_um, calibration, growth_per_spacing, out, as_json):
    """Seed 003: CCDs with dendrite capture by LGPS, one fitted and five predicted."""
    from ssblab.dendrite.capture import CaptureParameters
    from ssblab.errors import InputError
    from ssblab.report import Report
    from ssblab.workflows.multiscale import seed003_capture_study

    seeds = tuple(generator_seeds)
    if size < 16:
        raise InputError(f"--size: expected at least 16 cells per side, found {size}")
    if not (math.isfinite(growth_per_spacing) and growth_per_spacing >= 0):
        raise InputError(f"--growth-per-spacing: expected a finite value >= 0, found {growth_per_spacing}")
    result = seed003_capture_study(generator_seeds=seeds, shape=(size, size, size),
                                   parameters=CaptureParameters(reach_um=reach_um,
                                                                growth_per_spacing=growth_per_spacing),
                                   calibration=calibration)
    report = Report("Seed 003: critical current density with dendrite capture by LGPS",
                    intro="One parameter (the capture rate) is fitted on one measured CCD; the other five are "
                          "predicted. Host tolerance from seed 003's LPSC1.25 and LPSC1.5 single-phase CCDs; "
                          "attraction from the share of the plating current that filament fronts on LGPS hold "
                          "after a race of screened fronts at the anode face, capacity from the LGPS connected "
                          "to the anode, both on generated 3D mixtures (docs/dendrite.md, 'Dendrite capture'). "
                          "Trends marked WRONG are where the model fails.")
    report.add(result, table=True)
    emit([result], out=out, as_json=as_json, title="Seed 003 CCD study", report=report)
