"""``ssblab neb``: climbing-image NEB barriers for ion hops."""

from __future__ import annotations

import click

from ssblab import reference as ref
from ssblab.atomistic.neb import HOP_DIRECTIONS
from ssblab.atomistic.potentials import DEVICES
from ssblab.cli._common import emit, quantity_option, with_output_options
from ssblab.errors import InputError


@click.group()
def cli():
    """Climbing-image nudged elastic band (ASE) with any registered potential."""


_common_options = [
    click.option("--potential", default="chgnet", show_default=True,
                 help="Registry name (see `ssblab potentials`) or 'module:factory'."),
    click.option("--device", type=click.Choice(DEVICES), default="cpu",
                 show_default=True),
    click.option("--images", type=int, default=5, show_default=True,
                 help="Intermediate images."),
    quantity_option("--fmax", unit="eV/angstrom", default=0.05, show_default=True,
                    help="Force convergence on the band"),
    click.option("--max-steps", type=int, default=300, show_default=True),
]


def _with_common(func):
    for option in reversed(_common_options):
        func = option(func)
    return with_output_options(func)


def _emit(results, out, as_json, title):
    report = None
    if out is not None:
        from ssblab.report import Report

        report = Report(title)
        for r in results:
            report.add(r, figures=[(r.title, r.plot().figure)], table=True)
    emit(results, out=out, as_json=as_json, title=title, report=report)


def _banded(k: int, n: int, label: str, compute):
    """Run one NEB band, saying on stderr which and how it went (bands take minutes)."""
    import time

    click.echo(f"[neb] band {k}/{n}: {label} ...", err=True)
    start = time.perf_counter()
    result = compute()
    state = f"Ea = {result.barrier_eV:.3f} eV" if result.ok else "NOT converged"
    click.echo(f"[neb] band {k}/{n}: {state} after {result.iterations} steps, "
               f"{time.perf_counter() - start:.0f} s", err=True)
    return result


@cli.command("licl")
@quantity_option("--lattice", "lattices", unit="angstrom", multiple=True,
                 default=ref.LICL_NEB_LATTICE_A.value, show_default=True,
                 help="Rock-salt lattice parameter (repeat the option)")
@_with_common
def licl_cmd(lattices, potential, device, images, fmax, max_steps, out, as_json):
    """Li vacancy oct-tet-oct hop in rock-salt LiCl vs lattice parameter (seed 002)."""
    from ssblab.atomistic.neb import licl_vacancy_hop, neb_barrier

    results = []
    for k, a in enumerate(lattices, 1):
        initial, final, via = licl_vacancy_hop(a)
        results.append(_banded(k, len(lattices), f"LiCl a = {a:g} A", lambda: neb_barrier(
            initial, final, calculator=potential, device=device, via=via, n_images=images,
            fmax_eV_A=fmax, max_steps=max_steps, label="LiCl V_Li oct-tet-oct", lattice_A=a)))
    _emit(results, out, as_json, "LiCl vacancy hop barrier")


@cli.command("lyc-indium")
@click.option("--direction", "directions", multiple=True, type=click.Choice(HOP_DIRECTIONS),
              default=HOP_DIRECTIONS, show_default=True,
              help="Hop(s) to compute (repeat the option).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the Li vacancy ordering.")
@_with_common
def lyc_indium_cmd(directions, seed, potential, device, images, fmax, max_steps, out, as_json):
    """In3+ hop between Li octahedra of trigonal Li3YCl6 (ideal hcp framework; seed 004)."""
    from ssblab.atomistic.neb import lyc_indium_hop, neb_barrier

    results = []
    for k, direction in enumerate(directions, 1):
        initial, final, via = lyc_indium_hop(direction, rng=seed)
        results.append(_banded(k, len(directions), f"In3+ {direction}", lambda: neb_barrier(
            initial, final, calculator=potential, device=device, via=via, n_images=images,
            fmax_eV_A=fmax, max_steps=max_steps, label=f"Li3YCl6 In3+ {direction}")))
    _emit(results, out, as_json, "In3+ hop in Li3YCl6")


@cli.command("run")
@click.argument("initial", type=click.Path(exists=True, dir_okay=False))
@click.argument("final", type=click.Path(exists=True, dir_okay=False))
@click.option("--via", default=None, help="Cartesian x,y,z (A) of an intermediate site for the "
              "starting band, e.g. a tetrahedral interstitial.")
@_with_common
def run_cmd(initial, final, via, potential, device, images, fmax, max_steps, out, as_json):
    """Barrier between two structure files (same atoms, same order; any ASE format)."""
    from ssblab.atomistic.neb import neb_barrier
    from ssblab.materials.structures import read_atoms

    point = None
    if via is not None:
        try:
            point = [float(v) for v in via.split(",")]
        except ValueError:
            point = []
        if len(point) != 3:
            raise InputError(f"--via: expected three numbers x,y,z in A, found {via!r}")
    res = _banded(1, 1, f"{initial} -> {final}", lambda: neb_barrier(
        read_atoms(initial), read_atoms(final), calculator=potential, device=device, via=point,
        n_images=images, fmax_eV_A=fmax, max_steps=max_steps, label=f"{initial} -> {final}"))
    _emit([res], out, as_json, "NEB barrier")
