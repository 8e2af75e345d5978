"""``ssblab eis``: impedance spectra in; fits, Kramers-Kronig checks, conductivity, Arrhenius out."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import QuantityType, emit, quantity_option, with_output_options
from ssblab.cli._drt import drt
from ssblab.errors import InputError

DEFAULT_CIRCUIT = "R0-p(R1,CPE1)-CPE2"
_CIRCUIT_HELP = (f"Equivalent circuit, e.g. 'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3' (default "
                 f"{DEFAULT_CIRCUIT}: one arc and a blocking-electrode spike).")
_files = click.argument("files", nargs=-1, required=True,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path))
_circuit = click.option("--circuit", default=DEFAULT_CIRCUIT, show_default=True, help=_CIRCUIT_HELP)
_weighting = click.option("--weighting", type=click.Choice(["modulus", "proportional", "unit"]),
                          default="modulus", show_default=True, help="Residual weighting.")
_format = click.option("--format", "file_format", default=None,
                       help="File format (default: detected from the content and extension).")
_fmin = quantity_option("--min-frequency", unit="Hz", default=None, help="Drop points below this frequency")
_fmax = quantity_option("--max-frequency", unit="Hz", default=None, help="Drop points above this frequency")


def _read(files, file_format, min_frequency=None, max_frequency=None):
    from ssblab.echem.io import read_spectra

    spectra, paths = [], []
    for path in files:
        for spectrum in read_spectra(path, format=file_format):
            if min_frequency is not None or max_frequency is not None:
                spectrum = spectrum.select(min_frequency_Hz=min_frequency or 0.0,
                                           max_frequency_Hz=max_frequency or float("inf"))
            spectra.append(spectrum)
            paths.append(path)
    return spectra, paths


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
@_format
@_fmin
@_fmax
@click.option("--kk/--no-kk", default=True, show_default=True,
              help="Run the lin-KK validity check on each spectrum too.")
@with_output_options
def fit(files, circuit, weighting, file_format, min_frequency, max_frequency, kk, out, as_json):
    """Fit an equivalent circuit to every spectrum in FILES (automatic initial guesses)."""
    from ssblab.echem.impedance.fitting import fit_circuit
    from ssblab.echem.impedance.kk import lin_kk
    from ssblab.report import Report

    spectra, _ = _read(files, file_format, min_frequency, max_frequency)
    report = Report("Equivalent-circuit fits") if out else None
    results = []
    for spectrum in spectra:
        result = fit_circuit(spectrum, circuit, weighting=weighting)
        check = lin_kk(spectrum) if kk else None
        results.append(result)
        if check is not None:
            results.append(check)
        if report is not None:
            report.add(result, heading=f"{spectrum.source}: {circuit}",
                       figures=_fit_figures(result, check) if result.ok else [])
            if check is not None:
                report.add(check, heading=f"{spectrum.source}: lin-KK", figures=[])
    emit(results, out=out, as_json=as_json, title="Equivalent-circuit fits", report=report)


@cli.command()
@_files
@_format
@with_output_options
def kk(files, file_format, out, as_json):
    """Kramers-Kronig validity check (lin-KK, Schönleber et al. 2014) of every spectrum."""
    from ssblab.echem.impedance.kk import lin_kk

    spectra, _ = _read(files, file_format)
    emit([lin_kk(s) for s in spectra], out=out, as_json=as_json, title="Kramers-Kronig checks")


@cli.command()
@_files
@_circuit
@_weighting
@_format
@click.option("--shared", multiple=True, help="Parameter fitted as one value for all spectra (repeatable).")
@click.option("--warm-start/--no-warm-start", default=True, show_default=True,
              help="Start each fit from the previous one.")
@with_output_options
def batch(files, circuit, weighting, file_format, shared, warm_start, out, as_json):
    """Fit one circuit to a series of spectra (all spectra of all FILES, in order)."""
    from ssblab.echem.impedance.batch import fit_batch

    spectra, _ = _read(files, file_format)
    result = fit_batch(spectra, circuit, weighting=weighting, shared=shared, warm_start=warm_start)
    emit([result], out=out, as_json=as_json, title="Batch fit")


def _geometry(thickness, diameter, area):
    from ssblab.echem.impedance.conductivity import pellet_area_cm2

    if thickness is None:
        raise InputError("--thickness is required (e.g. --thickness '500 um')")
    return pellet_area_cm2(area_cm2=area, diameter_cm=diameter)


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
@_format
@with_output_options
def conductivity(files, thickness, diameter, area, circuit, weighting, file_format, out, as_json):
    """Ionic conductivity of a pellet from each spectrum (bulk and grain boundary where resolved)."""
    from ssblab.echem.impedance.conductivity import pellet_conductivity
    from ssblab.echem.impedance.fitting import fit_circuit
    from ssblab.report import Report

    area_cm2 = _geometry(thickness, diameter, area)
    spectra, _ = _read(files, file_format)
    report = Report("Pellet conductivity") if out else None
    results = []
    for spectrum in spectra:
        fitted = fit_circuit(spectrum, circuit, weighting=weighting)
        result = pellet_conductivity(fitted, thickness_cm=thickness, area_cm2=area_cm2)
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
              help="Temperature of each spectrum, repeated in file order (e.g. '25 degC'); default: from "
                   "the file, else from its name (e.g. pellet_-25C.mpr).")
@click.option("--form", type=click.Choice(["sigma_T", "sigma"]), default="sigma_T", show_default=True,
              help="Fit ln(sigma*T) or ln(sigma) against 1/T.")
@_circuit
@_weighting
@_format
@with_output_options
def arrhenius(files, thickness, diameter, area, temperatures, form, circuit, weighting, file_format,
              out, as_json):
    """Conductivity at each temperature and the activation energy from spectra in FILES."""
    from ssblab.echem.io.temperature import resolve_temperatures
    from ssblab.workflows.impedance import conductivity_vs_temperature

    area_cm2 = _geometry(thickness, diameter, area)
    spectra, paths = _read(files, file_format)
    temperatures_K = resolve_temperatures(spectra, paths, temperatures)
    study = conductivity_vs_temperature(spectra, circuit=circuit, thickness_cm=thickness,
                                        area_cm2=area_cm2, temperatures_K=temperatures_K,
                                        form=form, weighting=weighting)
    report = _study_report(study) if out else None
    emit([study], out=out, as_json=as_json, title="Conductivity vs temperature", report=report)


def _study_report(study, report=None):
    from ssblab.report import Report

    report = report or Report("Conductivity vs temperature")
    report.add(study, table=True)
    for fit in study.fits:
        report.add(fit, heading=f"{fit.source} at {fit.temperature_K:.1f} K",
                   figures=_fit_figures(fit) if fit.ok else [])
    return report


cli.add_command(drt, "drt")
