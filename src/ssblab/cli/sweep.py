"""``ssblab sweep SPEC``: run a declarative sweep (or finish one) on any executor."""

from __future__ import annotations

import dataclasses
import json

import click

from ssblab.cli._common import OutputFolderType
from ssblab.errors import InputError


@click.command()
@click.argument("spec", required=False)
@click.option("--store", default=None,
              help="Run store folder (default: the spec's, else $SSBLAB_STORE, else ./ssblab-runs).")
@click.option("--executor", type=click.Choice(["inprocess", "pool", "dask"]), default=None,
              help="Where points run (default: the spec's, else a local process pool).")
@click.option("--cluster", default=None, help="local:N starts a local Dask cluster of N workers.")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler (tcp://host:8786).")
@click.option("--workers", type=int, default=None, help="Processes of the pool or local cluster.")
@click.option("--threads-per-task", type=int, default=None,
              help="BLAS/OpenMP/torch threads per point (default 1).")
@click.option("--retries", type=int, default=None, help="Tries again for a failed point.")
@click.option("--recompute", is_flag=True, help="Run every point even if the store has it.")
@click.option("--studies", "list_studies", is_flag=True, help="List the studies a spec may name.")
@click.option("--specs", "list_specs", is_flag=True, help="List the specs shipped with ssblab.")
@click.option("--out", type=OutputFolderType(), default=None,
              help="Also write table.csv, result.json and report.html here.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def cli(spec, store, executor, cluster, scheduler, workers, threads_per_task, retries, recompute,
        list_studies, list_specs, out, as_json):
    """Run SPEC (a YAML file or a shipped spec's name) and print its table.

    Points already in the store are not run again; a failed point is recorded with its
    error. Exit code 3 when any point failed. See docs/sweeps.md.
    """
    from ssblab.sweep import load_spec, run_sweep, shipped_specs
    from ssblab.sweep.registry import REGISTRY, get_study

    if list_studies:
        get_study(next(iter(REGISTRY), "synthetic.arrhenius"))  # registers the shipped studies
        for study in REGISTRY.values():
            params = ", ".join(f"{n}" + (f"={p.default}" if p.default is not None else "")
                               for n, p in study.parameters.items())
            click.echo(f"{study.name}: {study.description}\n    parameters: {params}\n"
                       f"    outputs: {', '.join(study.outputs)}")
        return
    if list_specs:
        for name in shipped_specs():
            click.echo(f"{name}: {load_spec(name).description}")
        return
    if spec is None:
        raise InputError("SPEC: give a spec file or a shipped spec's name (--specs lists them)")
    loaded = load_spec(spec)
    given = {"workers": workers, "threads_per_task": threads_per_task, "retries": retries,
             "cluster": cluster, "address": scheduler}
    changes = {k: v for k, v in given.items() if v is not None}
    for name in ("workers", "threads_per_task"):
        if name in changes and changes[name] < 1:
            raise InputError(f"--{name.replace('_', '-')}: expected >= 1, found {changes[name]}")
    if changes.get("retries", 0) < 0:
        raise InputError(f"--retries: expected >= 0, found {retries}")
    if cluster is not None:
        from ssblab.sweep.spec import parse_cluster

        parse_cluster(cluster)
    kind = executor or ("dask" if cluster or scheduler else loaded.executor.kind)
    loaded = dataclasses.replace(loaded, store=store or loaded.store,
                                 executor=dataclasses.replace(loaded.executor, kind=kind, **changes))
    result = run_sweep(loaded, recompute=recompute)
    if as_json:
        click.echo(json.dumps(result.table(), indent=1))
    else:
        click.echo(str(result))
        frame = result.frame().drop(columns=["key"])
        click.echo(frame.to_string(index=False, max_colwidth=60))
        from ssblab.sweep.run import report_folder

        click.echo(f"wrote {report_folder(loaded) / 'report.html'}")
    if out is not None:
        result.write(out)
    if not result.ok:
        raise SystemExit(3)
