"""``ssblab gitt``: Weppner-Huggins diffusion coefficients, OCV and overpotential from GITT."""

from __future__ import annotations

import click

from ssblab.cli._common import emit, quantity_option, with_output_options
from ssblab.cli.cycling import load, reader_options


@click.group(name="gitt")
def cli():
    """Galvanostatic intermittent titration."""


@cli.command("analyse")
@reader_options
@quantity_option("--length", unit="cm", required=True,
                 help="Diffusion length L = V_M m / (M S): film thickness or particle r/3")
@quantity_option("--capacity", unit="mAh", default=None,
                 help="Capacity for the state of charge (default: the total charge passed)")
@with_output_options
def analyse(file, fmt, mapping, length, capacity, out, as_json):
    """Per pulse: D (Weppner-Huggins), relaxed OCV, overpotential, and the assumption checks."""
    from ssblab.echem.celltests.gitt import analyse_gitt

    data = load(file, fmt, mapping)
    result = analyse_gitt(data, diffusion_length_cm=length, capacity_mAh=capacity)
    report = None
    if out is not None:
        from ssblab.report import Report

        report = Report(f"GITT of {file.name}")
        report.add(result, table=True, figures=[
            ("diffusion coefficient and OCV against state of charge", result.plot().figure),
            ("overpotential against state of charge", result.plot_overpotential().figure),
            ("voltage trace", data.plot().figure)])
    emit([result], out=out, as_json=as_json, title=f"GITT of {file.name}", report=report)
