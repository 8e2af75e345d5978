"""``drt``: distribution of relaxation times of impedance files (attached as ``ssblab eis drt``).

One DRT per spectrum with peaks (bootstrap uncertainties with ``--bootstrap N``), or with ``--series`` one
tau-time map of all spectra in the order given (in-situ EIS), with peaks tracked.
"""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import data_warnings_to_stderr, emit, quantity_option, with_output_options
from ssblab.cli._eis_options import (
    column_options,
    expand_folders,
    file_format_option,
    pop_column_options,
)
from ssblab.echem.drt.inversion import LambdaMethod, Part, Weighting
from ssblab.errors import InputError, check_choice, choices_of


def _regularization(value: str) -> float | str:
    try:
        number = float(value)
    except ValueError:
        return check_choice(value, LambdaMethod, name="--lambda")
    if not number > 0:
        raise InputError(f"--lambda: expected 'mgcv', 'gcv', 'lcurve' or a positive number, found {value!r}")
    return number


def _read_spectra(path: Path, file_format: str | None, columns: dict) -> list:
    """Every spectrum in ``path`` (a file may hold several sweeps)."""
    import dataclasses

    from ssblab.echem.io import read_spectra

    with data_warnings_to_stderr():
        spectra = read_spectra(path, format=file_format, **columns)
    if len(spectra) > 1 and spectra[0].metadata.get("note"):
        click.echo(f"ssblab: note: {path}: {spectra[0].metadata['note']}", err=True)
    if len(spectra) == 1:
        return spectra
    return [dataclasses.replace(s, source=f"{s.source or path} [{k}]") for k, s in enumerate(spectra)]


@click.command("drt")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@file_format_option
@column_options
@click.option("--part", type=click.Choice(choices_of(Part)), default="combined",
              show_default=True, help="Which part of Z to fit.")
@click.option("--lambda", "regularization", default="mgcv", show_default=True,
              help="Regularisation: 'mgcv' (modified GCV), 'gcv', 'lcurve' or a fixed number.")
@click.option("--order", type=click.IntRange(0, 2), default=1, show_default=True,
              help="Derivative of gamma that is penalised.")
@click.option("--points-per-decade", type=click.FloatRange(min=1), default=10.0, show_default=True,
              help="Density of the ln(tau) grid.")
@click.option("--extend-decades", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="How far the tau grid reaches beyond 1/(2 pi f) of the data, each side.")
@click.option("--inductance/--no-inductance", default=True, show_default=True,
              help="Fit a series inductance.")
@click.option("--series-resistance/--no-series-resistance", default=True, show_default=True,
              help="Fit R_inf.")
@click.option("--series-capacitance", is_flag=True,
              help="Fit a series capacitance (blocking electrodes).")
@click.option("--weighting", type=click.Choice(choices_of(Weighting)), default="modulus",
              show_default=True, help="Weight points by 1/|Z| or equally.")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=0), default=0, show_default=True,
              help="Bootstrap replicates for peak uncertainties and peak merging, on request "
                   "(e.g. 50; single spectra only; each costs about one DRT).")
@click.option("--merge-peaks/--no-merge-peaks", default=True, show_default=True,
              help="With bootstrap, merge peaks not separated by a significant valley.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@quantity_option("--min-frequency", unit="Hz", default=None, help="Drop points below this frequency")
@quantity_option("--max-frequency", unit="Hz", default=None, help="Drop points above this frequency")
@click.option("--series", "as_series", is_flag=True,
              help="Treat all spectra, in the order given, as one in-situ series: a tau-time map.")
@click.option("--blocking", type=click.Choice(["auto", "crop", "keep"]), default="auto",
              show_default=True,
              help="Blocking-electrode spike: auto excludes it where found (single spectra, "
                   "unless --series-capacitance models it), crop insists, keep fits every point.")
@quantity_option("--thickness", unit="cm", default=None,
                 help="Pellet thickness, for the peaks' labels from C = tau/R (with --area)")
@quantity_option("--area", unit="cm^2", default=None, help="Electrode area (with --thickness)")
@with_output_options
def drt(files, file_format, part, regularization, order, points_per_decade, extend_decades, inductance,
        series_resistance, series_capacitance, weighting, n_bootstrap, merge_peaks, seed, min_frequency,
        max_frequency, as_series, blocking, thickness, area, out, as_json, **columns):
    """Distribution of relaxation times (tau = 1/(2 pi f)) of impedance spectra in FILES (files
    or folders: a folder's files in name order)."""
    from ssblab.echem.drt import drt as compute_drt
    from ssblab.echem.drt import drt_series

    columns = pop_column_options(columns)
    spectra = [s for path in expand_folders(files)[0]
               for s in _read_spectra(path, file_format, columns)]
    if min_frequency is not None or max_frequency is not None:
        spectra = [s.select(min_frequency_Hz=min_frequency or 0.0,
                            max_frequency_Hz=max_frequency or float("inf")) for s in spectra]
    options = dict(part=part, regularization=_regularization(regularization), order=order,
                   points_per_decade=points_per_decade, extend_decades=extend_decades,
                   inductance=inductance, series_resistance=series_resistance,
                   series_capacitance=series_capacitance, weighting=weighting)
    if as_series:
        results = [drt_series(spectra, **options)]
    else:
        results = [compute_drt(s, n_bootstrap=n_bootstrap, merge_peaks=merge_peaks, rng=seed,
                               blocking=blocking, thickness_cm=thickness, area_cm2=area, **options)
                   for s in spectra]
    report = None
    if out is not None:
        from ssblab.report import Report

        report = Report("Distribution of relaxation times",
                        intro="tau = 1/(2 pi f). Suggested processes come from each peak's "
                              "capacitance C = tau/R in the Irvine-Sinclair-West bands (cell "
                              "constant from --thickness/--area, else 0.1 /cm); assigning peaks "
                              "to processes is the user's call.")
        for result in results:
            report.add(result, heading=f"{result.title}: {getattr(result, 'source', '') or 'series'}",
                       figures=result.figures() if result.ok else [], table=True)
    emit(results, out=out, as_json=as_json, title="Distribution of relaxation times", report=report)

