"""``ssblab structure``: bundled structures and the BVSE fast path."""

from __future__ import annotations

import click

from ssblab.cli._common import emit, quantity_option, with_output_options


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


# --- fast path: BVSE -> site network -> KMC ------------------------------------------------------
def _fastpath_options(func):
    options = [
        quantity_option("--temperature", "temperatures", unit="K", multiple=True,
                        default=("300 K", "400 K", "500 K", "600 K", "800 K"), show_default=True,
                        help="KMC temperature (repeat the option)"),
        click.option("--supercell", nargs=3, type=int, default=None,
                     help="Repeats of the cell (default: every side >= 10 A)."),
        quantity_option("--resolution", unit="angstrom", default="0.2 angstrom",
                        show_default=True, help="BVSE grid spacing"),
        click.option("--mobile-ion", default="Li1+", show_default=True),
        click.option("--samples", type=int, default=None,
                     help="KMC samples per temperature (default: ~50 000 hops, 200-2000)."),
        click.option("--seed", type=int, default=0, show_default=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command("kmc")
@click.argument("structure")
@_fastpath_options
@click.option("--carrier-fraction", type=float, default=None,
              help="Occupancy of the structure's Li (1 - Li vacancy fraction); default 0.05.")
@click.option("--carriers", type=int, default=None, help="Number of carriers instead.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Isotropic lattice scale factor (expansion > 1).")
@with_output_options
def kmc_cmd(structure, temperatures, supercell, resolution, mobile_ion, samples, seed,
            carrier_fraction, carriers, scale, out, as_json):
    """D, sigma and Ea of STRUCTURE from KMC on its BVSE site network (seconds, no MD).

    Prints (and reports) the site network first: sites, hops, barrier histogram and the
    percolation energies beside bvlain's.
    """
    from ssblab.atomistic.bvse import bvse_network
    from ssblab.atomistic.fastpath import as_atoms, kmc_vs_temperature

    atoms = as_atoms(structure)
    if not 0.5 < scale < 2.0:
        raise click.BadParameter(f"expected 0.5..2, found {scale}", param_hint="--scale")
    atoms.set_cell(atoms.cell * scale, scale_atoms=True)
    network = bvse_network(atoms, mobile_ion=mobile_ion, resolution_A=resolution)
    result = kmc_vs_temperature(network, temperatures_K=temperatures,
                                carrier_fraction=carrier_fraction, n_carriers=carriers,
                                supercell=supercell, n_samples=samples, rng=seed)
    emit([network, result], out=out, as_json=as_json, title="KMC on the BVSE site network")


@cli.command("kmc-study")
@click.argument("structure", required=False, default="LiCl")
@_fastpath_options
@click.option("--lattice", "lattices", multiple=True, type=float,
              help="Length(s) of the first cell vector in A (repeat); LiCl default: seed 002's "
                   "5.13-5.30 A.")
@click.option("--scale", "scales", multiple=True, type=float,
              help="Isotropic lattice scale factor(s) instead of --lattice (repeat).")
@click.option("--carrier-fraction", "fractions", multiple=True, type=float,
              help="Li occupancy (repeat; 1 - vacancy fraction); default 0.05.")
@with_output_options
def kmc_study_cmd(structure, temperatures, supercell, resolution, mobile_ion, samples, seed,
                  lattices, scales, fractions, out, as_json):
    """KMC Ea, D and sigma of STRUCTURE vs lattice parameter and Li content.

    With no structure: seed 002's LiCl study beside the seed's NEB barriers. STRUCTURE
    "seed000": seed 000's pristine vs hot-pressed Li3InCl6, vacancy-ordered (two orderings each).
    """
    from ssblab.atomistic.fastpath import fastpath_study, licl_lattice_study, seed000_fastpath_study

    if structure == "seed000":
        result = seed000_fastpath_study(temperatures_K=temperatures, resolution_A=resolution,
                                        n_samples=samples, rng=seed,
                                        **({"supercell": supercell} if supercell else {}))
        emit([result], out=out, as_json=as_json, title="Seed 000 on the fast path")
        return

    options = {"temperatures_K": temperatures, "supercell": supercell,
               "resolution_A": resolution, "mobile_ion": mobile_ion, "n_samples": samples,
               "rng": seed, "carrier_fractions": fractions or (0.05,)}
    if structure == "LiCl" and not scales:
        result = licl_lattice_study(**({"lattice_A": lattices} if lattices else {}), **options)
    else:
        result = fastpath_study(structure, lattice_A=lattices or None, scales=scales or (1.0,),
                                **options)
    emit([result], out=out, as_json=as_json, title="Fast path study (BVSE -> KMC)")
