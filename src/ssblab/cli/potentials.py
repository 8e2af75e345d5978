"""``ssblab potentials``: which interatomic potentials work here, and on which device."""

from __future__ import annotations

import click

from ssblab.cli._common import emit, with_output_options


@click.command()
@click.option("--load", is_flag=True, help="Load each installed MLIP (offline) to prove it works.")
@with_output_options
def cli(load, out, as_json):
    """List the registry of offline potentials with whether each is usable here."""
    from ssblab.atomistic.potentials import available_potentials

    emit([available_potentials(check_load=load)], out=out, as_json=as_json, title="Potentials")
