"""``ssblab data``: the bundled real instrument files, by name."""

from __future__ import annotations

import json
import shutil

import click

from ssblab.cli._common import with_output_options


@click.group()
def cli():
    """Bundled real data sets to try ssblab on (``ssblab data list``)."""


@cli.command("list")
@with_output_options
def list_(out, as_json):
    """List the bundled data sets: name, files, what they are, source and licence."""
    from ssblab.data import DATASETS

    rows = [{"name": d.name, "kind": d.kind, "files": len(d.files), "what": d.what,
             "source": d.source, "licence": d.licence} for d in DATASETS.values()]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
    else:
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            click.echo(f"{r['name']:<{width}}  {r['kind']:<8}  {r['what']}")
            click.echo(f"{'':<{width}}  {'':<8}  from {r['source']}; {r['licence']}")
    if out is not None:
        from ssblab.files import atomic_write, write_csv

        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "result.json", json.dumps(rows, indent=1))
        write_csv(out / "table.csv", rows)


@cli.command("path")
@click.argument("name")
@with_output_options
def path_(name, out, as_json):
    """Print the absolute paths of data set NAME's files, one a line.

    Use it inside shell commands: ssblab eis arrhenius $(ssblab data path pellet-series) ...
    With --out DIR the files are copied into DIR (and the copies' paths printed).
    """
    from ssblab.data import path

    paths = path(name)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        paths = [shutil.copy2(p, out / p.name) for p in paths]
    if as_json:
        click.echo(json.dumps([str(p) for p in paths]))
    else:
        for p in paths:
            click.echo(str(p))
