"""``ssblab structure``: bundled structures and the BVSE fast path."""

from __future__ import annotations

import click

from ssblab.cli._common import emit, with_output_options


@click.group()
def cli():
    """Bundled, cited crystal structures and bond-valence (BVSE) migration barriers."""


@cli.command("list")
def list_cmd():
    """Names of the bundled structures (use them wherever a structure file is asked for)."""
    from ssblab.materials.structures import list_structures, structure_path

    for name in sorted(list_structures()):
        click.echo(f"{name:10s} {structure_path(name)}")


@cli.command("bvse")
@click.argument("structure")
@click.option("--mobile-ion", default="Li1+", show_default=True)
@click.option("--scale", "scales", multiple=True, type=float, default=(1.0,), show_default=True,
              help="Isotropic lattice scale factor(s) (repeat the option).")
@click.option("--lattice", "lattices", multiple=True, type=float,
              help="Target length(s) of the first cell vector in A, instead of --scale.")
@click.option("--resolution", type=float, default=0.2, show_default=True,
              help="Grid spacing in A.")
@with_output_options
def bvse_cmd(structure, mobile_ion, scales, lattices, resolution, out, as_json):
    """BVSE percolation barriers of STRUCTURE (a bundled name or any ASE-readable file)."""
    import os

    import numpy as np
    from ase.io import read

    from ssblab.atomistic.bvse import bvse_vs_strain
    from ssblab.materials.structures import load_structure

    atoms = read(structure) if os.path.exists(structure) else load_structure(structure)
    if lattices:
        scales = tuple(np.array(lattices) / np.linalg.norm(atoms.cell[0]))
    emit([bvse_vs_strain(atoms, scales=scales, mobile_ion=mobile_ion, resolution_A=resolution)],
         out=out, as_json=as_json, title="BVSE barriers")
