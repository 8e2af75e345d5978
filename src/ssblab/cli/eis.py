"""``ssblab eis``: impedance spectra in; fits, Kramers-Kronig checks, conductivity, Arrhenius out."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import QuantityType, emit, quantity_option, with_output_options
from ssblab.cli._drt import drt
from ssblab.cli._eis_options import (
    column_options,
    expand_folders,
    file_format_option,
    pop_column_options,
    read_spectrum_files,
)
from ssblab.echem.impedance.arrhenius import ArrheniusForm
from ssblab.echem.impedance.fitting import WEIGHTINGS
from ssblab.errors import InputError, choices_of

DEFAULT_CIRCUIT = "auto"
BATCH_CIRCUIT = "R0-p(R1,CPE1)-CPE2"
_CIRCUIT_HELP = ("Equivalent circuit, e.g. 'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3', or 'auto': 1-3 arcs "
                 "with or without series R, inductance and an electrode CPE or Warburg, chosen "
                 "by BIC (the ranking is shown).")
_files = click.argument("files", nargs=-1, required=True,
                        type=click.Path(exists=True, path_type=Path))
_circuit = click.option("--circuit", default=DEFAULT_CIRCUIT, show_default=True, help=_CIRCUIT_HELP)
_batch_circuit = click.option("--circuit", default=BATCH_CIRCUIT, show_default=True,
                              help="Equivalent circuit fitted to every spectrum, e.g. "
                                   "'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3'.")
_noise = click.option("--noise", type=click.FloatRange(min=0, min_open=True), default=None,
                      help="Relative noise of the data (fraction of |Z| per real or imaginary "
                           "part, e.g. 0.005); default: estimated from the lin-KK residuals.")
_weighting = click.option("--weighting", type=click.Choice(WEIGHTINGS),
                          default="modulus", show_default=True, help="Residual weighting.")
_fmin = quantity_option("--min-frequency", unit="Hz", default=None, help="Drop points below this frequency")
_fmax = quantity_option("--max-frequency", unit="Hz", default=None, help="Drop points above this frequency")
_metadata = click.option("--metadata", "sample_table", default=None,
                         type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         help="CSV or YAML table with file, temperature, thickness, area (or "
                              "diameter) per file (default: metadata.csv/.yaml in a folder "
                              "given as input).")


def _sample_info(files, sample_table, paths):
    """The sample table's entry for each spectrum's file (None where it has none)."""
    from ssblab.echem.io.sample_table import read_sample_table

    table_path = sample_table or expand_folders(files)[1]
    if table_path is None:
        return [None] * len(paths), None
    table = read_sample_table(table_path)
    known = {p.name for p in paths}
    unused = sorted(set(table) - known)
    if unused:
        raise InputError(f"{table_path}: lists files that are not among the inputs: "
                         f"{', '.join(unused[:5])}")
    return [table.get(p.name) for p in paths], table_path


def _fit_figures(fit, kk=None):
    figures = [("Nyquist with fit", fit.plot().figure),
               ("Nyquist, arc region", fit.plot(zoom_arcs=True).figure),
               ("Bode", fit.plot_bode().figure),
               ("Relative residuals", fit.plot_residuals().figure)]
    if kk is not None:
        figures.append(("Kramers-Kronig (lin-KK) residuals", kk.plot().figure))
    return figures


@click.group()
def cli():
    """Impedance spectra: read, fit equivalent circuits, check Kramers-Kronig, conductivity."""


@cli.command()
@_files
@_circuit
@_weighting
@file_format_option
@column_options
@_fmin
@_fmax
@click.option("--kk/--no-kk", default=True, show_default=True,
              help="Run the lin-KK validity check on each spectrum too.")
@_noise
@with_output_options
def fit(files, circuit, weighting, file_format, min_frequency, max_frequency, kk, noise, out,
        as_json, **columns):
    """Fit an equivalent circuit to every spectrum in FILES (automatic initial guesses)."""
    from ssblab.echem.impedance.fitting import fit_circuit
    from ssblab.echem.impedance.kk import lin_kk
    from ssblab.report import Report

    spectra, _ = read_spectrum_files(files, file_format, min_frequency, max_frequency,
                                     columns=pop_column_options(columns))
    report = Report("Equivalent-circuit fits") if out else None
    results = []
    for spectrum in spectra:
        result = fit_circuit(spectrum, circuit, weighting=weighting, noise_relative=noise)
        check = lin_kk(spectrum, noise_relative=noise) if kk else None
        results.append(result)
        if check is not None:
            results.append(check)
        if report is not None:
            report.add(result, heading=f"{spectrum.source}: {result.circuit}",
                       figures=_fit_figures(result, check) if result.ok and not report.full
                       else [])
            if check is not None:
                report.add(check, heading=f"{spectrum.source}: lin-KK", figures=[])
    emit(results, out=out, as_json=as_json, title="Equivalent-circuit fits", report=report)


@cli.command()
@_files
@file_format_option
@column_options
@_noise
@with_output_options
def kk(files, file_format, noise, out, as_json, **columns):
    """Kramers-Kronig validity check (lin-KK, Schönleber et al. 2014) of every spectrum: a
    drift during the sweep (a rotated, non-KK component of Z beyond the noise), a smooth trend
    in the residuals, or (with --noise) residuals above the noise, fails."""
    from ssblab.echem.impedance.kk import lin_kk

    spectra, _ = read_spectrum_files(files, file_format, columns=pop_column_options(columns))
    emit([lin_kk(s, noise_relative=noise) for s in spectra], out=out, as_json=as_json,
         title="Kramers-Kronig checks")


@cli.command()
@_files
@_batch_circuit
@_weighting
@file_format_option
@column_options
@click.option("--shared", multiple=True, help="Parameter fitted as one value for all spectra (repeatable).")
@click.option("--warm-start/--no-warm-start", default=True, show_default=True,
              help="Start each fit from the previous one.")
@with_output_options
def batch(files, circuit, weighting, file_format, shared, warm_start, out, as_json, **columns):
    """Fit one circuit to a series of spectra (all spectra of all FILES, in order)."""
    from ssblab.echem.impedance.batch import fit_batch

    spectra, _ = read_spectrum_files(files, file_format, columns=pop_column_options(columns))
    result = fit_batch(spectra, circuit, weighting=weighting, shared=shared, warm_start=warm_start)
    emit([result], out=out, as_json=as_json, title="Batch fit")


def _geometries(files, sample_table, paths, thickness, diameter, area):
    """(thickness_cm, area_cm2) per spectrum: the sample table's entry for its file, else the
    command-line options."""
    from ssblab.echem.impedance.conductivity import pellet_area_cm2

    info, table_path = _sample_info(files, sample_table, paths)
    result = []
    for path, entry in zip(paths, info):
        t_cm = entry.thickness_cm if entry and entry.thickness_cm is not None else thickness
        a_cm2 = entry.area_cm2 if entry and entry.area_cm2 is not None else None
        if t_cm is None:
            where = f" or a thickness for {path.name} in {table_path}" if table_path else ""
            raise InputError(f"--thickness is required (e.g. --thickness '500 um'){where}")
        if a_cm2 is None:
            if area is None and diameter is None:
                where = f" or an area/diameter for {path.name} in {table_path}" if table_path else ""
                raise InputError(f"--diameter or --area is required (e.g. --diameter '10 mm'){where}")
            a_cm2 = pellet_area_cm2(area_cm2=area, diameter_cm=diameter)
        result.append((float(t_cm), float(a_cm2)))
    return result


_thickness = quantity_option("--thickness", unit="cm", default=None, help="Pellet thickness")
_diameter = quantity_option("--diameter", unit="cm", default=None, help="Pellet (electrode) diameter")
_area = quantity_option("--area", unit="cm^2", default=None, help="Electrode area (instead of --diameter)")


@cli.command()
@_files
@_thickness
@_diameter
@_area
@_circuit
@_weighting
@file_format_option
@column_options
@_metadata
@_noise
@with_output_options
def conductivity(files, thickness, diameter, area, circuit, weighting, file_format, noise, out,
                 as_json, sample_table, **columns):
    """Ionic conductivity of a pellet from each spectrum in FILES (files or folders; geometry per
    file from --metadata), bulk and grain boundary where resolved."""
    from ssblab.echem.impedance.conductivity import pellet_conductivity
    from ssblab.echem.impedance.fitting import fit_circuit
    from ssblab.report import Report

    spectra, paths = read_spectrum_files(files, file_format, columns=pop_column_options(columns))
    geometry = _geometries(files, sample_table, paths, thickness, diameter, area)
    report = Report("Pellet conductivity") if out else None
    results = []
    for spectrum, (thickness_cm, area_cm2) in zip(spectra, geometry):
        fitted = fit_circuit(spectrum, circuit, weighting=weighting, noise_relative=noise)
        result = pellet_conductivity(fitted, thickness_cm=thickness_cm, area_cm2=area_cm2)
        results.append(result)
        if report is not None:
            report.add(result, heading=f"{spectrum.source}: conductivity",
                       figures=_fit_figures(fitted) if fitted.ok else [])
    emit(results, out=out, as_json=as_json, title="Pellet conductivity", report=report)


@cli.command()
@_files
@_thickness
@_diameter
@_area
@click.option("--temperature", "temperatures", multiple=True, type=QuantityType("K"),
              help="Temperature of each spectrum, repeated in file order (e.g. '25 degC'); default: "
                   "from the --metadata table, the file, else its name (e.g. pellet_-25C.mpr, "
                   "s1-140deg.txt).")
@click.option("--form", type=click.Choice(choices_of(ArrheniusForm)), default="sigma_T", show_default=True,
              help="Fit ln(sigma*T) or ln(sigma) against 1/T.")
@_circuit
@_weighting
@file_format_option
@column_options
@_metadata
@_noise
@with_output_options
def arrhenius(files, thickness, diameter, area, temperatures, form, circuit, weighting, file_format,
              noise, out, as_json, sample_table, **columns):
    """Bulk, grain-boundary and total conductivity at each temperature and their activation
    energies and sigma(25 C) from spectra in FILES (files or folders; a folder's
    metadata.csv/.yaml gives per-file temperature and geometry, each file's conductivity from
    its own geometry, --thickness/--diameter/--area for files it does not cover; arcs
    identified by capacitance)."""
    from ssblab.echem.io.temperature import resolve_temperatures
    from ssblab.workflows.impedance import conductivity_vs_temperature

    spectra, paths = read_spectrum_files(files, file_format, columns=pop_column_options(columns))
    geometry = _geometries(files, sample_table, paths, thickness, diameter, area)
    info, _ = _sample_info(files, sample_table, paths)
    table_T = [i.temperature_K if i is not None else None for i in info]
    temperatures_K = resolve_temperatures(spectra, paths, temperatures, from_table=table_T)
    study = conductivity_vs_temperature(spectra, circuit=circuit,
                                        thickness_cm=[t for t, _ in geometry],
                                        area_cm2=[a for _, a in geometry],
                                        temperatures_K=temperatures_K,
                                        form=form, weighting=weighting, noise_relative=noise)
    report = _study_report(study) if out else None
    emit([study], out=out, as_json=as_json, title="Conductivity vs temperature", report=report)


def _study_report(study, report=None):
    from ssblab.report import Report

    report = report or Report("Conductivity vs temperature")
    report.add(study, table=True, figures=[("Arrhenius: bulk, grain boundary, total",
                                            study.plot().figure)])
    for fit in study.fits:
        report.add(fit, heading=f"{fit.source} at {fit.temperature_K:.1f} K",
                   figures=_fit_figures(fit) if fit.ok else [])
    return report


cli.add_command(drt, "drt")
