"""``ssblab symmetric``: overpotential evolution and short time of symmetric cells."""

from __future__ import annotations

import click

from ssblab.cli._common import electrode_area_cm2, electrode_area_options, emit, with_output_options
from ssblab.cli.cycling import load, reader_options


@click.group(name="symmetric")
def cli():
    """Li|SE|Li and Li-In|SE|Li-In galvanostatic cycling."""


@cli.command("analyse")
@reader_options
@electrode_area_options
@click.option("--short-fraction", type=float, default=0.1, show_default=True,
              help="End-of-half |V| below this fraction of the peak so far counts as shorted.")
@click.option("--min-half-cycles", type=int, default=3, show_default=True,
              help="Consecutive low half cycles needed to call a short.")
@click.option("--min-records", type=int, default=3, show_default=True,
              help="Consecutive records a change must last; shorter ones are reported as glitches.")
@click.option("--n-sigma", type=float, default=5.0, show_default=True,
              help="A call needs a change larger than this many noise widths (noise measured from the file).")
@with_output_options
def analyse(file, fmt, mapping, area, diameter, short_fraction, min_half_cycles, min_records,
            n_sigma, out, as_json):
    """Overpotential per half cycle against time, its evolution and the short-circuit time."""
    from ssblab.echem.celltests.symmetric import analyse_symmetric

    area = electrode_area_cm2(area, diameter)
    data = load(file, fmt, mapping)
    result = analyse_symmetric(data, area_cm2=area, short_fraction=short_fraction,
                               min_half_cycles=min_half_cycles, min_records=min_records,
                               n_sigma=n_sigma)
    report = None
    if out is not None:
        from ssblab.report import Report

        report = Report(f"Symmetric cell {file.name}")
        report.add(result, table=True, figures=[
            ("overpotential per half cycle", result.plot().figure),
            ("voltage trace", data.plot().figure)])
    emit([result], out=out, as_json=as_json, title=f"Symmetric cell {file.name}", report=report)
