"""``ssblab pipeline``: bulk conductivity -> microstructure -> separator and CCD -> cell."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab import reference as ref
from ssblab.cli._common import emit, quantity_option, with_output_options


@click.command()
@quantity_option("--bulk-conductivity", unit="S/cm", default=f"{ref.LIC_HOT_SIGMA_S_cm.value * 1e3:g} mS/cm", show_default=True,
                 help="Bulk (grain) conductivity of the electrolyte")
@click.option("--relative-density", "densities", multiple=True, type=float,
              help="Relative density of a generated pellet, 0-1 (repeatable; default: seed 000's "
                   f"cold- and hot-pressed pellets, {ref.LIC_COLD_05GPA_DENSITY.value} and "
                   f"{ref.LIC_HOT_DENSITY.value}).")
@click.option("--volume", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A labelled voxel volume (0 = void, 1 = electrolyte) instead of generated pellets.")
@click.option("--cycles", type=int, default=2000, show_default=True, help="Cycles of the life simulation.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the pellet generator.")
@with_output_options
def cli(bulk_conductivity, densities, volume, cycles, seed, out, as_json):
    """Run the multiscale pipeline (seed 000's cold vs hot pressing by default)."""
    from ssblab.workflows.multiscale import multiscale_pipeline, pipeline_report, seed000_pipeline

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
