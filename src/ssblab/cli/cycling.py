"""``ssblab cycling``: per-cycle summaries and internal-short detection of cycler files."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import (
    data_warnings_to_stderr,
    emit,
    parse_column_map,
    quantity_option,
    show_notes,
    with_output_options,
)
from ssblab.echem.celltests.cycling import CYCLE_DEFINITIONS, plot_voltage_profiles, summarise
from ssblab.echem.io import CYCLER_FORMATS, read_cycler


def reader_options(func):
    """FILE, --format and --map, the options every command that reads a cycler file takes."""
    func = click.option("--map", "mapping", multiple=True, metavar="KEY=COLUMN",
                        help="Column map entry for CSV files, e.g. --map time_s=test_time "
                             "--map current_A=current (repeat).")(func)
    func = click.option("--format", "fmt", type=click.Choice(CYCLER_FORMATS), default=None,
                        help="Cycler file format (default: detected).")(func)
    return click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                  path_type=Path))(func)


def load(file: Path, fmt: str | None, mapping: tuple[str, ...] = ()):
    """Read a cycler file (``mapping``: KEY=COLUMN entries), data warnings printed to stderr."""
    with data_warnings_to_stderr():
        data = read_cycler(file, format=fmt, column_map=parse_column_map(mapping))
    show_notes(file, data)
    return data


@click.group(name="cycling")
def cli():
    """Cycle-by-cycle analysis of cycler files (capacities, CE, retention, shorts)."""


@cli.command("summary")
@reader_options
@click.option("--cycle-definition", type=click.Choice(CYCLE_DEFINITIONS), default="file",
              show_default=True, help="Cycles as the file counts them, or recounted from the current.")
@quantity_option("--mass", unit="g", default=None, help="Active-material mass, for mAh/g")
@quantity_option("--area", unit="cm^2", default=None, help="Electrode area, for mAh/cm2")
@click.option("--reference-cycle", type=int, default=None,
              help="Cycle that is 100 % retention (default: the first complete cycle).")
@click.option("--eol", type=float, default=0.8, show_default=True,
              help="End-of-life retention (fraction).")
@with_output_options
def summary(file, fmt, mapping, cycle_definition, mass, area, reference_cycle, eol, out, as_json):
    """Per-cycle capacities, Coulombic efficiency, energies, voltages and cycle life of FILE."""
    from ssblab.report import Report

    data = load(file, fmt, mapping)
    result = summarise(data, cycle_definition=cycle_definition, active_mass_g=mass,
                       area_cm2=area, reference_cycle=reference_cycle, eol_retention=eol)
    report = None
    if out is not None:
        report = Report(f"Cycling summary of {file.name}")
        report.add(result, table=True, figures=[
            ("capacity and Coulombic efficiency per cycle", result.plot().figure),
            ("voltage profiles", plot_voltage_profiles(data).figure),
            ("voltage trace", data.plot().figure)])
        if result.rate_table:
            report.add(heading="Rate capability", text="One row per run of cycles at one current.")
            report.sections[-1].table = list(result.rate_table)
            report.sections[-1].table_columns = list(result.rate_table[0])
    emit([result], out=out, as_json=as_json, title=f"Cycling summary of {file.name}", report=report)


@cli.command("short")
@reader_options
@click.option("--ce-threshold", type=float, default=0.9, show_default=True,
              help="Coulombic efficiency below which a cycle counts as leaking.")
@quantity_option("--drop", unit="V", default=0.02, help="Voltage fall while charging counted as a drop")
@click.option("--min-cycles", type=int, default=3, show_default=True,
              help="Cycles a rule needs before it fires.")
@click.option("--skip-cycles", type=int, default=2, show_default=True,
              help="Formation cycles the efficiency rules ignore.")
@click.option("--n-sigma", type=float, default=5.0, show_default=True,
              help="A call needs a change larger than this many noise widths (noise measured from the file).")
@with_output_options
def short(file, fmt, mapping, ce_threshold, drop, min_cycles, skip_cycles, n_sigma, out, as_json):
    """Look for an internal short (runaway charge, cut-off not reached, low CE, voltage drops)."""
    from ssblab.echem.celltests.short import detect_short

    data = load(file, fmt, mapping)
    result = detect_short(data, ce_threshold=ce_threshold, drop_V=drop, min_cycles=min_cycles,
                          skip_cycles=skip_cycles, n_sigma=n_sigma)
    report = None
    if out is not None:
        from ssblab.report import Report

        report = Report(f"Internal short detection in {file.name}")
        figures = [("capacity and CE per cycle; flagged cycles and onset marked",
                    result.plot().figure)]
        if result.detected:
            near = [c for c in result.cycle if abs(c - result.onset_cycle) <= 3]
            figures.append(("voltage profiles around the onset",
                            plot_voltage_profiles(data, cycles=near).figure))
        report.add(result, table=True, figures=figures)
    emit([result], out=out, as_json=as_json, title=f"Short detection in {file.name}",
         report=report)
