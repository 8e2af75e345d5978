"""``ssblab ccd``: critical current density from a stepped-current test, and its protocol."""

from __future__ import annotations

import click

from ssblab.cli._common import (
    electrode_area_cm2,
    electrode_area_options,
    emit,
    quantity_option,
    with_output_options,
)
from ssblab.cli.cycling import load, reader_options


@click.group(name="ccd")
def cli():
    """Critical current density of symmetric cells (stepped-current protocol)."""


@cli.command("analyse")
@reader_options
@electrode_area_options
@quantity_option("--voltage-limit", unit="V", default=None,
                 help="|V| that counts as failure (contact loss); default none")
@click.option("--drop-fraction", type=float, default=0.5, show_default=True,
              help="Fall of |V| within a half cycle, as a fraction of its maximum, that is a short.")
@click.option("--min-records", type=int, default=3, show_default=True,
              help="Consecutive records a change must last; shorter ones are reported as glitches.")
@click.option("--n-sigma", type=float, default=5.0, show_default=True,
              help="A call needs a change larger than this many noise widths (noise measured from the file).")
@with_output_options
def analyse(file, fmt, mapping, area, diameter, voltage_limit, drop_fraction, min_records, n_sigma,
            out, as_json):
    """Critical current density, areal capacity at failure and the failure signature."""
    from ssblab.echem.celltests.ccd import analyse_ccd

    result = analyse_ccd(load(file, fmt, mapping), area_cm2=electrode_area_cm2(area, diameter),
                         voltage_limit_V=voltage_limit, drop_fraction=drop_fraction,
                         min_records=min_records, n_sigma=n_sigma)
    emit([result], out=out, as_json=as_json, title=f"Critical current density of {file.name}")


@cli.command("protocol")
@electrode_area_options
@quantity_option("--start", unit="mA/cm^2", default=0.1, show_default=True,
                 help="First current density")
@quantity_option("--step", unit="mA/cm^2", default=0.2, show_default=True,
                 help="Current-density increment")
@quantity_option("--max", "max_", unit="mA/cm^2", default=3.0, show_default=True,
                 help="Largest current density")
@quantity_option("--time-per-half", unit="h", default=0.5, show_default=True,
                 help="Duration of each plating/stripping half cycle")
@quantity_option("--capacity-per-half", unit="mAh/cm^2", default=None,
                 help="Areal capacity per half cycle instead of a fixed time")
@click.option("--cycles-per-step", type=int, default=1, show_default=True)
@quantity_option("--voltage-limit", unit="V", default=5.0, show_default=True,
                 help="Safety limit ending each step")
@with_output_options
def protocol(area, diameter, start, step, max_, time_per_half, capacity_per_half, cycles_per_step,
             voltage_limit, out, as_json):
    """The CCD step table (one row per half cycle) to load into a cycler.

    With --out DIR the step table is DIR/table.csv.
    """
    from ssblab.echem.celltests.ccd import ccd_protocol

    result = ccd_protocol(area_cm2=electrode_area_cm2(area, diameter), start_mA_cm2=start,
                          step_mA_cm2=step, max_mA_cm2=max_, time_per_half_h=time_per_half,
                          capacity_per_half_mAh_cm2=capacity_per_half,
                          cycles_per_step=cycles_per_step, voltage_limit_V=voltage_limit)
    emit([result], out=out, as_json=as_json, title="CCD protocol")
