"""``ssblab micro``: generate, solve and analyse voxel microstructures; the seed studies."""

from __future__ import annotations

import dataclasses
import io
import time
from pathlib import Path

import click
import numpy as np

from ssblab import reference as ref
from ssblab.backend import BackendName, Device
from ssblab.cli._common import emit, quantity_option, with_output_options
from ssblab.errors import InputError, choices_of
from ssblab.files import atomic_write
from ssblab.microstructure.generate import Basis, Packing
from ssblab.microstructure.solve import Boundary, Direction, SolveMethod
from ssblab.units import parse_quantity

MAX_GENERATED_VOXELS = 600**3  # the generators hold several float arrays of this size


@click.group()
def cli():
    """Microstructure transport: voxel volumes -> effective conductivity, tortuosity, currents."""


def _volume_options(func):
    options = [
        click.argument("volume", type=click.Path(exists=True, path_type=Path)),
        click.option("--shape", default=None, help="nx,ny,nz for raw files."),
        click.option("--dtype", default=None, help="NumPy dtype for raw files, e.g. uint8."),
        click.option("--dataset", default=None, help="Dataset name inside an HDF5 file."),
        click.option("--threshold", "thresholds", default=None,
                     help="Grey-value threshold(s) 't1,t2,...' or 'otsu' to make phase labels."),
        click.option("--label-map", default=None, help="Rename labels, e.g. '255=1,128=2'."),
        quantity_option("--voxel-size", unit="cm", required=True, help="Edge of a cubic voxel"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _load(volume, shape, dtype, dataset, thresholds, label_map):
    from ssblab.microstructure.io import load_volume, segment

    data = load_volume(volume, shape=_ints(shape, "--shape") if shape else None, dtype=dtype,
                       dataset=dataset)
    if thresholds is not None and thresholds != "otsu":
        thresholds = [_number(t, "--threshold") for t in thresholds.split(",")]
    mapping = dict(_pair(item, "--label-map", int) for item in label_map.split(",")) if label_map else None
    return segment(data, thresholds=thresholds, label_map=mapping)


@cli.command()
@click.option("--kind", type=click.Choice(["pellet", "grain-boundaries", "mixture"]), default="pellet",
              show_default=True)
@click.option("--shape", default="64,64,64", show_default=True, help="nx,ny,nz in voxels.")
@click.option("--relative-density", type=float, default=0.8, show_default=True)
@click.option("--grain-radius-voxels", type=float, default=4.0, show_default=True)
@click.option("--radius-spread", type=float, default=0.25, show_default=True, help="Log-normal width.")
@click.option("--packing", type=click.Choice(choices_of(Packing)), default="overlapping",
              show_default=True)
@click.option("--gb-thickness-voxels", type=int, default=1, show_default=True)
@click.option("--fraction", type=float, default=0.2, show_default=True, help="Mixture: fraction of phase 2.")
@click.option("--basis", type=click.Choice(choices_of(Basis)), default="mass", show_default=True)
@click.option("--densities", default="1.87,2.04", show_default=True, help="Mixture: rho_A,rho_B in g/cm3.")
@click.option("--radii-voxels", default="5,3", show_default=True, help="Mixture: r_A,r_B.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--volume-format", type=click.Choice(["npy", "tif"]), default="npy",
              show_default=True, help="The label volume is written as --out DIR/volume.npy or .tif.")
@quantity_option("--voxel-size", unit="cm", default="0.5 um", show_default=True, help="Edge of a voxel")
@with_output_options
def generate(kind, shape, relative_density, grain_radius_voxels, radius_spread, packing,
             gb_thickness_voxels, fraction, basis, densities, radii_voxels, seed, volume_format,
             voxel_size, out, as_json):
    """Generate a seeded label volume: 0 void, 1 solid (2 grain boundary or second phase)."""
    from ssblab.microstructure import generate as gen
    from ssblab.microstructure.analysis import analyse
    from ssblab.microstructure.io import save_volume

    if out is None:
        raise InputError(f"--out DIR is needed: the volume is written there as "
                         f"volume.{volume_format}")
    dims = _ints(shape, "--shape")
    if np.prod(dims, dtype=float) > MAX_GENERATED_VOXELS:
        raise InputError(f"--shape {shape}: {np.prod(dims, dtype=float):.3g} voxels is above the "
                         f"{MAX_GENERATED_VOXELS:.3g} this generator handles in memory")
    if kind == "mixture":
        labels = gen.mixture(dims, fraction=fraction, basis=basis,
                             densities_g_cm3=tuple(_floats(densities, "--densities")),
                             radii_voxels=tuple(_floats(radii_voxels, "--radii-voxels")),
                             relative_density=relative_density, rng=seed)
    else:
        p = gen.pellet(dims, relative_density=relative_density, grain_radius_voxels=grain_radius_voxels,
                       radius_spread=radius_spread, packing=packing, rng=seed)
        labels = p.labels if kind == "pellet" else gen.grain_boundaries(
            p.grains, thickness_voxels=gb_thickness_voxels)
    output = save_volume(out / f"volume.{volume_format}", labels)
    click.echo(f"wrote {output}", err=True)
    emit([analyse(labels, voxel_size_cm=voxel_size)], out=out, as_json=as_json,
         title=f"Generated {kind}")


@cli.command()
@_volume_options
@click.option("--conductivity", "conductivities", multiple=True, required=True,
              help="LABEL=VALUE per conducting phase (repeat the option), e.g. '1=2 mS/cm' (missing labels are "
                   "insulating).")
@click.option("--direction", type=click.Choice([*choices_of(Direction), "all"]), default="z", show_default=True)
@click.option("--boundary", type=click.Choice(choices_of(Boundary)), default="no-flux", show_default=True)
@click.option("--method", type=click.Choice(choices_of(SolveMethod)), default="auto", show_default=True,
              help="auto: matrix-free multigrid (gmg) with no-flux sides, pyamg (sa) with periodic ones.")
@click.option("--flux-tol", type=float, default=1e-4, show_default=True,
              help="Required agreement of the current through every cross-section.")
@click.option("--device", type=click.Choice(choices_of(Device)), default="cpu", show_default=True,
              help="Where the gmg solver runs; cuda needs PyTorch and a GPU, auto takes one if present.")
@click.option("--backend", type=click.Choice(choices_of(BackendName)), default=None,
              help="Array library of the gmg solver [default: numpy on the CPU, torch on CUDA].")
@quantity_option("--voltage", unit="V", default="1 V", show_default=True, help="Applied potential difference")
@click.option("--save-fields", is_flag=True, help="Write potential and current fields (fields_<dir>.npz) to --out.")
@with_output_options
def solve(volume, shape, dtype, dataset, thresholds, label_map, voxel_size, conductivities, direction,
          boundary, method, flux_tol, device, backend, voltage, save_fields, out, as_json):
    """Solve steady conduction through VOLUME: sigma_eff (S/cm), tortuosity, current fields."""
    from ssblab.microstructure.solve import solve as run_solve
    from ssblab.report import Report

    labels = _load(volume, shape, dtype, dataset, thresholds, label_map)
    table = {label: 0.0 for label in np.unique(labels).tolist()}
    given = set()
    for item in conductivities:
        label, value = _pair(item, "--conductivity", str)
        table[int(label)] = parse_quantity(value, "S/cm", name="--conductivity")
        given.add(int(label))
    unlisted = [label for label in table if label not in given and label != 0]
    if unlisted:
        click.echo(f"ssblab: warning: {volume}: label(s) {', '.join(map(str, unlisted))} have no "
                   "--conductivity and are treated as insulating", err=True)
    results = []
    report = Report(f"Conduction through {volume.name}")
    axes = ("x", "y", "z") if direction == "all" else (direction,)
    for k, axis in enumerate(axes, 1):
        # large volumes take minutes: say what is being solved and how it went, on stderr
        click.echo(f"[micro solve] {k}/{len(axes)}: along {axis}, {labels.size:,} voxels ...",
                   err=True)
        start = time.perf_counter()
        result = run_solve(labels, table, direction=axis, voxel_size_cm=voxel_size, voltage_V=voltage,
                           boundary=boundary, method=method, flux_tol=flux_tol, device=device,
                           backend=backend)
        click.echo(f"[micro solve] {k}/{len(axes)}: along {axis} "
                   f"{'done' if result.ok else 'FAILED'} in {time.perf_counter() - start:.1f} s",
                   err=True)
        if out is not None and save_fields and result.potential_V is not None:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, potential_V=result.potential_V,
                                current_density_A_cm2=result.current_density_A_cm2)
            atomic_write(Path(out) / f"fields_{axis}.npz", buffer.getvalue())
        result = dataclasses.replace(result, potential_V=None, current_density_A_cm2=None)
        report.add(result, heading=f"transport along {axis}", table=False,
                   figures=result.figures() if result.ok else [])
        results.append(result)
    emit(results, out=out, as_json=as_json, title=report.title, report=report)


@cli.command()
@_volume_options
@click.option("--pore-label", type=int, default=0, show_default=True)
@with_output_options
def analyse(volume, shape, dtype, dataset, thresholds, label_map, voxel_size, pore_label, out, as_json):
    """Porosity, phase fractions, specific surface area, pore and grain sizes of VOLUME."""
    from ssblab.microstructure.analysis import analyse as run_analyse

    labels = _load(volume, shape, dtype, dataset, thresholds, label_map)
    emit([run_analyse(labels, voxel_size_cm=voxel_size, pore_label=pore_label)], out=out,
         as_json=as_json, title=f"Analysis of {volume.name}")


@cli.command("density-study")
@quantity_option("--bulk", unit="S/cm", default=f"{ref.LIC_HOT_SIGMA_S_cm.value * 1e3:g} mS/cm", show_default=True,
                 help="Bulk conductivity of the grains (default: seed 000 hot-pressed pellet)")
@click.option("--density", "densities", type=float, multiple=True,
              default=(0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95), show_default=True,
              help="Relative density of a pellet (repeat the option).")
@click.option("--size", type=click.IntRange(4, 600), default=64, show_default=True, help="Cube edge in voxels.")
@click.option("--grain-radius-voxels", type=float, default=4.0, show_default=True)
@click.option("--packing", type=click.Choice(choices_of(Packing)), default="overlapping",
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@with_output_options
def density_study(bulk, densities, size, grain_radius_voxels, packing, seed, out, as_json):
    """sigma_eff and tortuosity of generated Li3InCl6 pellets vs relative density (seed 000)."""
    from ssblab.microstructure.studies import density_study as run

    result = run(tuple(densities), bulk_S_cm=bulk, shape=(size,) * 3,
                 grain_radius_voxels=grain_radius_voxels, packing=packing, rng=seed)
    emit([result], out=out, as_json=as_json, title="Li3InCl6 density study")


@cli.command("mixture-study")
@click.option("--fraction", "fractions", type=float, multiple=True, default=(0.1, 0.2, 0.3),
              show_default=True, help="LGPS mass fraction (repeat the option).")
@quantity_option("--host", unit="S/cm", default=f"{ref.LPSC_SIGMA_S_cm.value * 1e3:g} mS/cm", show_default=True,
                 help="Host (LPSC) conductivity")
@quantity_option("--guest", unit="S/cm", default=f"{ref.LGPS_SIGMA_S_cm.value * 1e3:g} mS/cm", show_default=True,
                 help="Guest (LGPS) conductivity")
@click.option("--size", type=click.IntRange(4, 600), default=64, show_default=True, help="Cube edge in voxels.")
@click.option("--radii-voxels", default="5,3", show_default=True, help="Host,guest particle radii.")
@click.option("--relative-density", type=float, default=1.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@with_output_options
def mixture_study(fractions, host, guest, size, radii_voxels, relative_density, seed, out, as_json):
    """LPSC/LGPS mixtures (seed 003): sigma_eff and current sharing, bulk and at the anode."""
    from ssblab.microstructure.studies import mixture_study as run

    result = run(tuple(fractions), conductivities_S_cm=(host, guest),
                 radii_voxels=tuple(_floats(radii_voxels, "--radii-voxels")),
                 relative_density=relative_density, shape=(size,) * 3, rng=seed)
    emit([result], out=out, as_json=as_json, title="LPSC/LGPS mixture study")


def _floats(text, name):
    return [_number(t, name) for t in str(text).split(",")]


def _number(text, name):
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{name}: expected a number, found {text!r}") from None


def _ints(text, name):
    values = _floats(text, name)
    if len(values) == 1:
        values = values * 3
    if len(values) != 3 or any(v != int(v) or v < 1 for v in values):
        raise InputError(f"{name}: expected three positive integers 'nx,ny,nz', found {text!r}")
    return tuple(int(v) for v in values)


def _pair(item, name, cast):
    key, sep, value = item.partition("=")
    if not sep:
        raise InputError(f"{name}: expected LABEL=VALUE, found {item!r}")
    try:
        return int(key), cast(value.strip())
    except ValueError:
        raise InputError(f"{name}: expected an integer label before '=', found {item!r}") from None
