"""``ssblab pipeline``: bulk conductivity -> microstructure -> separator and CCD -> cell."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import emit, quantity_option, with_output_options


@click.command()
@quantity_option("--bulk-conductivity", unit="S/cm", default="4.4 mS/cm", show_default=True,
                 help="Bulk (grain) conductivity of the electrolyte")
@click.option("--relative-density", "densities", multiple=True, type=float,
              help="Relative density of a generated pellet, 0-1 (repeatable; default: seed 000's "
                   "cold- and hot-pressed pellets, 0.8029 and 0.9367).")
@click.option("--volume", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A labelled voxel volume (0 = void, 1 = electrolyte) instead of generated pellets.")
@click.option("--cycles", type=int, default=2000, show_default=True, help="Cycles of the life simulation.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the pellet generator.")
@with_output_options
def cli(bulk_conductivity, densities, volume, cycles, seed, out, as_json):
    """Run the multiscale pipeline (seed 000's cold vs hot pressing by default)."""
    from ssblab.workflows.multiscale import multiscale_pipeline, seed000_pipeline

    if volume is not None:
        from ssblab.microstructure.io import load_volume

        results = [multiscale_pipeline(bulk_conductivity, volume=load_volume(volume), n_cycles=cycles,
                                       label=volume.name, rng=seed)]
    elif densities:
        results = [multiscale_pipeline(bulk_conductivity, relative_density=d, n_cycles=cycles,
                                       label=f"relative density {d:g}", rng=seed) for d in densities]
    else:
        results = seed000_pipeline(bulk_conductivity=bulk_conductivity, n_cycles=cycles, rng=seed)
    emit(results, out=out, as_json=as_json, title="Multiscale pipeline",
         report=pipeline_report(results) if out else None)


def pipeline_report(results, report=None):
    """One section per pipeline step and run, with every intermediate's figure."""
    from ssblab.report import Report

    report = report or Report("Multiscale pipeline")
    for result in results:
        report.add(result, heading=f"{result.label}: summary", table=True, figures=[])
        conduction = result.conduction
        report.add(conduction, heading=f"{result.label}: microstructure",
                   figures=conduction.figures() if conduction.ok and hasattr(conduction, "figures")
                   else None)
        report.add(result.rate, heading=f"{result.label}: rate capability")
        report.add(result.life, heading=f"{result.label}: cycle life")
        if result.ccd is not None:
            report.add(result.ccd, heading=f"{result.label}: CCD estimate")
    return report
