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

        run = multiscale_pipeline(bulk_conductivity, volume=load_volume(volume), n_cycles=cycles,
                                  label=volume.name, rng=seed)
        run.provenance["inputs"]["volume"].update(file=str(volume), file_sha256=_file_hash(volume))
        results = [run]
    elif densities:
        results = [multiscale_pipeline(bulk_conductivity, relative_density=d, n_cycles=cycles,
                                       label=f"relative density {d:g}", rng=seed) for d in densities]
    else:
        from ssblab.workflows.multiscale import seed000_rate_prediction

        results = seed000_pipeline(bulk_conductivity=bulk_conductivity, n_cycles=cycles, rng=seed)
        results.append(seed000_rate_prediction(generator_seeds=results[0].generator_seeds))
    emit(results, out=out, as_json=as_json, title="Multiscale pipeline",
         report=pipeline_report(results) if out else None)


def _file_hash(path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pipeline_report(results, report=None):
    """One section per pipeline step and run, with every intermediate's figure."""
    from ssblab.report import Report

    report = report or Report("Multiscale pipeline")
    for result in results:
        if not hasattr(result, "conduction"):      # the rate-table prediction
            report.add(result, table=True)
            continue
        report.add(result, heading=f"{result.label}: summary", table=True, figures=[])
        report.add(result.conduction, heading=f"{result.label}: microstructure")
        report.add(result.rate, heading=f"{result.label}: rate capability")
        report.add(result.life, heading=f"{result.label}: cycle life")
        if result.ccd is not None:
            report.add(result.ccd, heading=f"{result.label}: CCD estimate")
    return report
