"""``ssblab structure``: bundled structures, substitution XRD study and the BVSE fast path."""

from __future__ import annotations

import click

from ssblab.cli._common import emit, parse_ints, quantity_option, with_output_options


@click.group()
def cli():
    """Bundled, cited crystal structures and bond-valence (BVSE) migration barriers."""


@cli.command("list")
@with_output_options
def list_cmd(out, as_json):
    """Names of the bundled structures (use them wherever a structure file is asked for)."""
    import json

    from ssblab.materials.structures import list_structures, structure_path

    rows = [{"name": name, "path": str(structure_path(name))}
            for name in sorted(list_structures())]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
    else:
        for row in rows:
            click.echo(f"{row['name']:10s} {row['path']}")
    if out is not None:
        from ssblab.files import atomic_write, write_csv

        atomic_write(out / "result.json", json.dumps(rows, indent=1))
        write_csv(out / "table.csv", rows)


@cli.command("bvse")
@click.argument("structure")
@click.option("--mobile-ion", default="Li1+", show_default=True)
@click.option("--scale", "scales", multiple=True, type=float, default=(1.0,), show_default=True,
              help="Isotropic lattice scale factor(s) (repeat the option).")
@quantity_option("--lattice", "lattices", unit="angstrom", multiple=True,
                 help="Target length of the first cell vector, instead of --scale (repeat)")
@quantity_option("--resolution", unit="angstrom", default=0.2, show_default=True,
                 help="Grid spacing")
@with_output_options
def bvse_cmd(structure, mobile_ion, scales, lattices, resolution, out, as_json):
    """BVSE percolation barriers of STRUCTURE (a bundled name or any ASE-readable file)."""
    import os

    import numpy as np

    from ssblab.atomistic.bvse import bvse_vs_strain
    from ssblab.materials.structures import load_structure, read_atoms

    atoms = read_atoms(structure) if os.path.exists(structure) else load_structure(structure)
    if lattices:
        scales = tuple(np.array(lattices) / np.linalg.norm(atoms.cell[0]))
    emit([bvse_vs_strain(atoms, scales=scales, mobile_ion=mobile_ion, resolution_A=resolution)],
         out=out, as_json=as_json, title="BVSE barriers")


# ---- structural models (seed 000 grain boundaries and reduced density, seed 001 interface) ----

def _model_input(structure: str, supercell: str = "1,1,1"):
    """A bundled name or any file ASE reads -> pymatgen Structure, optionally repeated."""
    import os

    from ssblab.materials.structures import load_structure

    reps = parse_ints(supercell, "--supercell", 3, minimum=1)
    if os.path.exists(structure):
        from pymatgen.io.ase import AseAtomsAdaptor

        from ssblab.materials.structures import read_atoms

        bulk = AseAtomsAdaptor.get_structure(read_atoms(structure))
    else:
        bulk = load_structure(structure, kind="pymatgen")
    return bulk * reps


_MODEL_FILES = {"cif": "model.cif", "extxyz": "model.extxyz", "poscar": "POSCAR"}


def _write_model(model, out, model_format: str) -> None:
    """The model as out/model.cif (pymatgen), out/model.extxyz or out/POSCAR (ASE), atomically."""
    import io

    from ssblab.errors import InputError
    from ssblab.files import atomic_write

    if out is None:
        raise InputError("--out DIR is needed: the model is written there as "
                         f"{_MODEL_FILES[model_format]} (--model-format cif|extxyz|poscar)")
    path = out / _MODEL_FILES[model_format]
    if model_format == "cif":
        from pymatgen.io.cif import CifWriter

        atomic_write(path, str(CifWriter(model)))
    else:
        from ase.io import write
        from pymatgen.io.ase import AseAtomsAdaptor

        buffer = io.StringIO()
        write(buffer, AseAtomsAdaptor.get_atoms(model),
              format="extxyz" if model_format == "extxyz" else "vasp")
        atomic_write(path, buffer.getvalue())
    click.echo(f"wrote {path}", err=True)


_model_format = click.option("--model-format", type=click.Choice(sorted(_MODEL_FILES)),
                             default="cif", show_default=True,
                             help="Model file written into --out: model.cif (pymatgen), "
                                  "model.extxyz or POSCAR.")


@cli.command("gb")
@click.argument("structure")
@click.option("--plane", required=True, help="Boundary plane (hkl), e.g. 3,1,0.")
@click.option("--method", type=click.Choice(["csl", "mirror"]), default="csl", show_default=True,
              help="csl: pymatgen's coincidence-site-lattice tilt boundary (cubic, tetragonal, "
                   "orthorhombic, hexagonal lattices); mirror: grain 2 = mirror of grain 1 "
                   "(any lattice, e.g. monoclinic Li3InCl6).")
@click.option("--sigma", type=int, default=None, help="Sigma of the CSL (csl method).")
@click.option("--axis", default=None, help="Tilt axis [uvw], e.g. 0,0,1 (csl method).")
@click.option("--expand", type=int, default=2, show_default=True,
              help="Grain thickness in repeats of the boundary cell.")
@quantity_option("--gap", unit="angstrom", default=0.0, show_default=True,
                 help="Extra space between the grains")
@quantity_option("--min-distance", unit="angstrom", default=None,
                 help="Remove one atom of each closer pair (default 0.7 x bulk shortest distance)")
@click.option("--supercell", default="1,1,1", show_default=True, help="Repeat the input first.")
@_model_format
@with_output_options
def gb_cmd(structure, plane, method, sigma, axis, expand, gap, min_distance, supercell,
           model_format, out, as_json):
    """Charge-neutral symmetric grain boundary of STRUCTURE (bundled name or file)."""
    from ssblab.errors import InputError
    from ssblab.materials.models import mirror_grain_boundary, tilt_grain_boundary

    bulk = _model_input(structure, supercell)
    plane = parse_ints(plane, "--plane", 3)
    if method == "mirror":
        model, result = mirror_grain_boundary(bulk, plane=plane, expand_times=expand, gap_A=gap,
                                              min_distance_A=min_distance)
    else:
        if sigma is None or axis is None:
            raise InputError("--sigma and --axis are needed by --method csl")
        model, result = tilt_grain_boundary(
            bulk, sigma=sigma, rotation_axis=parse_ints(axis, "--axis", 3), plane=plane,
            expand_times=expand, gap_A=gap, min_distance_A=min_distance)
    _write_model(model, out, model_format)
    emit([result], out=out, as_json=as_json, title="Grain boundary model")


@cli.command("density")
@click.argument("structure")
@click.option("--relative-density", type=float, required=True,
              help="Target mass density as a fraction of the input's, e.g. 0.78.")
@click.option("--supercell", default="1,1,1", show_default=True, help="Repeat the input first.")
@click.option("--voids", type=int, default=1, show_default=True, help="Number of void centres.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the void centres.")
@_model_format
@with_output_options
def density_cmd(structure, relative_density, supercell, voids, seed, model_format, out, as_json):
    """Reduced-density model: whole cation-centred units removed around voids, kept neutral."""
    from ssblab.materials.models import reduced_density_model

    model, result = reduced_density_model(_model_input(structure, supercell), relative_density,
                                          n_voids=voids, rng=seed)
    _write_model(model, out, model_format)
    emit([result], out=out, as_json=as_json, title="Reduced-density model")


@cli.command("interface")
@click.argument("metal")
@click.argument("electrolyte")
@click.option("--metal-miller", default="0,0,1", show_default=True)
@click.option("--electrolyte-miller", default="0,0,1", show_default=True)
@click.option("--metal-layers", type=int, default=3, show_default=True,
              help="Metal thickness in (hkl) unit planes.")
@click.option("--electrolyte-layers", type=int, default=3, show_default=True,
              help="Electrolyte thickness in (hkl) unit planes.")
@quantity_option("--gap", unit="angstrom", default=2.0, show_default=True,
                 help="Metal-electrolyte spacing")
@quantity_option("--vacuum", unit="angstrom", default=0.0, show_default=True,
                 help="Vacuum over the metal (0: periodic stack)")
@click.option("--max-strain", type=float, default=0.05, show_default=True,
              help="Largest principal in-plane strain allowed on the metal (fraction).")
@quantity_option("--max-area", unit="angstrom^2", default=200.0, show_default=True,
                 help="Largest interface supercell area searched")
@_model_format
@with_output_options
def interface_cmd(metal, electrolyte, metal_miller, electrolyte_miller, metal_layers,
                  electrolyte_layers, gap, vacuum, max_strain, max_area, model_format, out,
                  as_json):
    """METAL slab on ELECTROLYTE slab (bundled names or files), lattice matched (Zur-McGill)."""
    from ssblab.materials.models import interface_model

    model, result = interface_model(
        _model_input(metal), _model_input(electrolyte),
        metal_miller=parse_ints(metal_miller, "--metal-miller", 3),
        electrolyte_miller=parse_ints(electrolyte_miller, "--electrolyte-miller", 3),
        metal_layers=metal_layers, electrolyte_layers=electrolyte_layers, gap_A=gap,
        vacuum_A=vacuum, max_strain=max_strain, max_area_A2=max_area)
    _write_model(model, out, model_format)
    emit([result], out=out, as_json=as_json, title="Interface model")
def _wavelength(value: str):
    """A pymatgen radiation name ("CuKa") or a wavelength in A."""
    try:
        return float(value)
    except ValueError:
        return value


def _charges(text: str) -> dict[str, float]:
    from ssblab.errors import InputError

    out = {}
    for item in filter(None, text.replace(" ", "").split(",")):
        el, sep, q = item.partition("=")
        try:
            out[el] = float(q)
        except ValueError:
            raise InputError(f"--oxidation-states: expected El=charge pairs such as "
                             f"'Li=1,Cl=-1', found {item!r}") from None
        if not sep or not el:
            raise InputError(f"--oxidation-states: expected El=charge, found {item!r}")
    return out


@cli.command("show")
@click.argument("structure")
@click.option("--wavelength", default="CuKa", show_default=True,
              help="X-ray radiation (pymatgen name, e.g. CuKa, MoKa) or wavelength in A.")
@click.option("--reflections", "n_reflections", type=int, default=8, show_default=True,
              help="How many of the strongest reflections to list.")
@click.option("--symprec", type=float, default=0.1, show_default=True,
              help="Symmetry tolerance in A for the space-group search.")
@with_output_options
def show_cmd(structure, wavelength, n_reflections, symprec, out, as_json):
    """Lattice, density, space group and strongest reflections of STRUCTURE (name or file)."""
    from ssblab.materials.structures import describe_structure

    emit([describe_structure(structure, wavelength=_wavelength(wavelength),
                             n_reflections=n_reflections, symprec=symprec)],
         out=out, as_json=as_json, title=f"Structure {structure}")


@cli.command("substitute")
@click.argument("structure")
@click.option("--host", default="Li", show_default=True, help="Element whose sites take dopants.")
@click.option("--host-label", "host_labels", multiple=True,
              help="Restrict dopants and vacancies to host sites with this CIF label (repeat).")
@click.option("--dopant", default="In", show_default=True)
@click.option("--x", "x_values", type=float, multiple=True, default=(0.0, 0.05, 0.1, 0.2),
              show_default=True, help="Dopants per formula unit (repeat the option).")
@click.option("--oxidation-states", required=True,
              help="Charges of every element and the dopant, e.g. 'Li=1,Y=3,Cl=-1,In=3'.")
@click.option("--hkl", default="3,0,2", show_default=True,
              help="Parent reflection to follow, e.g. 3,0,2 (seed 004's LYC peak).")
@click.option("--supercell", default="2,2,2", show_default=True)
@click.option("--seeds", type=int, default=3, show_default=True,
              help="Configurations (annealing seeds) per x.")
@click.option("--sweeps", type=int, default=100, show_default=True)
@click.option("--wavelength", default="CuKa", show_default=True,
              help="X-ray radiation (pymatgen name) or wavelength in A (seed 004: 1.2398).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@with_output_options
def substitute_cmd(structure, host, host_labels, dopant, x_values, oxidation_states, hkl,
                   supercell, seeds, sweeps, wavelength, seed, out, as_json):
    """Seed 004's study: DOPANT on HOST sites of STRUCTURE and the XRD of reflection --hkl vs x."""
    from ssblab.materials.structures import read_structure
    from ssblab.materials.substitution import xrd_vs_substitution

    parent = read_structure(structure)
    charges = _charges(oxidation_states)
    if not parent.is_ordered:
        from ssblab.materials.defects import (
            occupancy_structure,
            order_partial_occupancies,
        )

        # a refinement with partial occupancies: one low-Ewald ordering of the parent cell first
        ordering = order_partial_occupancies(parent, oxidation_states=charges,
                                             n_configurations=1, sweeps=sweeps, rng=seed)
        click.echo(f"{structure} has partial occupancies; ordered first as {ordering.formula} "
                   f"(Ewald {ordering.ewald_eV[0]:.2f} eV)", err=True)
        parent = occupancy_structure(parent, ordering, 0)
    emit([xrd_vs_substitution(parent, x_values, hkl=parse_ints(hkl, "--hkl"),
                              host=host, dopant=dopant,
                              oxidation_states=charges,
                              supercell=parse_ints(supercell, "--supercell", 3, minimum=1),
                              n_configurations=seeds, sweeps=sweeps,
                              host_labels=list(host_labels) or None,
                              wavelength=_wavelength(wavelength), rng=seed)],
         out=out, as_json=as_json, title=f"{dopant} on {host} sites of {structure}")


@cli.command("order")
@click.argument("structure")
@click.option("--oxidation-states", required=True,
              help="Charges of every element, e.g. 'Li=1,Ge=4,P=5,S=-2'.")
@click.option("--supercell", default="1,1,1", show_default=True)
@click.option("--seeds", type=int, default=3, show_default=True,
              help="Configurations (annealing seeds).")
@click.option("--sweeps", type=int, default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@with_output_options
def order_cmd(structure, oxidation_states, supercell, seeds, sweeps, seed, out, as_json):
    """Neutral, low-Ewald orderings of a partially occupied STRUCTURE (with --out: one CIF each)."""
    from ssblab.files import atomic_write
    from ssblab.materials.defects import occupancy_structure, order_partial_occupancies
    from ssblab.materials.structures import read_structure

    parent = read_structure(structure)
    result = order_partial_occupancies(parent, oxidation_states=_charges(oxidation_states),
                                       supercell=parse_ints(supercell, "--supercell", 3, minimum=1),
                                       n_configurations=seeds, sweeps=sweeps, rng=seed)
    if out is not None:
        from pymatgen.io.cif import CifWriter

        out.mkdir(parents=True, exist_ok=True)
        for k in range(len(result.ewald_eV)):
            ordered = occupancy_structure(parent, result, k)
            seen = {}
            for site in ordered:  # unique CIF labels: refined-site label + "_n"
                seen[site.label] = seen.get(site.label, 0) + 1
                site.label = f"{site.label}_{seen[site.label]}"
            atomic_write(out / f"configuration_{k}.cif", str(CifWriter(ordered)))
    emit([result], out=out, as_json=as_json, title=f"Ordered {structure}")
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
@quantity_option("--lattice", "lattices", unit="angstrom", multiple=True,
                 help="Length of the first cell vector (repeat); LiCl default: seed 002's "
                      "5.13-5.30 angstrom")
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
