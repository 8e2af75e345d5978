"""``ssblab runs``: list, show and export what the run store holds."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import click

from ssblab.errors import InputError
from ssblab.files import atomic_write

_store_option = click.option(
    "--store", default=lambda: os.environ.get("SSBLAB_STORE", "ssblab-runs"),
    show_default="$SSBLAB_STORE or ./ssblab-runs", help="Run store folder.")
_filters = [click.option("--sweep", default=None, help="Only the points of this sweep."),
            click.option("--study", default=None, help="Only runs of this study."),
            click.option("--status", type=click.Choice(["done", "failed"]), default=None)]


def _with_filters(func):
    for option in reversed(_filters):
        func = option(func)
    return func


def _open(store):
    from ssblab.sweep.store import RunStore

    if not (Path(store) / "index.sqlite").exists():
        raise InputError(f"--store {store}: no index.sqlite there (not a run store)")
    return RunStore(store)


def _table(store, sweep, study, status):
    from ssblab.sweep.store import table

    with _open(store) as runs:
        return table(runs.rows(sweep=sweep, study=study, status=status))


@click.group()
def cli():
    """The run store of sweeps: every point's inputs, outputs, versions, seed and errors."""


@cli.command("list")
@_store_option
@_with_filters
def list_(store, sweep, study, status):
    """Sweeps in the store, or with a filter, their runs."""
    if sweep is None and study is None and status is None:
        with _open(store) as runs:
            rows = runs.sweeps()
        if not rows:
            click.echo(f"{store}: no sweeps")
        for r in rows:
            click.echo(f"{r['name']}  {r['study']}  points {r['points']}  done {r['done'] or 0}  "
                       f"failed {r['failed'] or 0}  updated {r['updated_utc']}")
        return
    frame = _table(store, sweep, study, status)
    if frame.empty:
        click.echo("no runs match")
        return
    keep = [c for c in frame.columns if c not in ("run_dir", "finished_utc", "worker", "ssblab")]
    click.echo(frame[keep].to_string(index=False, max_colwidth=50))


@cli.command()
@click.argument("key")
@_store_option
def show(key, store):
    """One run by its key (or a unique prefix): inputs, outputs, versions, error, folder."""
    with _open(store) as runs:
        record = runs.get(key)
    error = record.pop("error", None)
    click.echo(json.dumps(record, indent=1))
    if error:
        click.echo(error, err=True)


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@_store_option
@_with_filters
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default=None,
              help="Default: from OUT's suffix.")
def export(out, store, sweep, study, status, fmt):
    """Write the runs (parameters, outputs, errors, versions) to OUT as CSV or Parquet."""
    fmt = fmt or {".csv": "csv", ".parquet": "parquet"}.get(out.suffix.lower())
    if fmt is None:
        raise InputError(f"--format: give csv or parquet (OUT {out} has no known suffix)")
    frame = _table(store, sweep, study, status)
    if fmt == "csv":
        atomic_write(out, frame.to_csv(index=False))
    else:
        from ssblab.errors import require_package

        require_package("pyarrow", extra="sweep", purpose="Parquet export")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        atomic_write(out, buffer.getvalue())
    click.echo(f"wrote {len(frame)} runs to {out}")
