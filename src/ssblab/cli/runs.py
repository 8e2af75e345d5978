"""``ssblab runs``: list, show and export what the run store holds."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import click

from ssblab.cli._common import with_output_options
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
        raise InputError(f"--store {store}: no index.sqlite in that folder")
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
@with_output_options
def list_(store, sweep, study, status, out, as_json):
    """Sweeps in the store, or with a filter, their runs (--out DIR: DIR/table.csv)."""
    if sweep is None and study is None and status is None:
        with _open(store) as runs:
            rows = runs.sweeps()
        _write_rows(rows, out)
        if as_json:
            click.echo(json.dumps(rows, indent=1, default=str))
            return
        if not rows:
            click.echo(f"{store}: no sweeps")
        for r in rows:
            click.echo(f"{r['name']}  {r['study']}  points {r['points']}  done {r['done'] or 0}  "
                       f"failed {r['failed'] or 0}  updated {r['updated_utc']}")
        return
    frame = _table(store, sweep, study, status)
    if out is not None:
        atomic_write(Path(out) / "table.csv", frame.to_csv(index=False))
    if as_json:
        click.echo(frame.to_json(orient="records", indent=1))
        return
    if frame.empty:
        click.echo("no runs match")
        return
    keep = [c for c in frame.columns if c not in ("run_dir", "finished_utc", "worker", "ssblab")]
    click.echo(frame[keep].to_string(index=False, max_colwidth=50))


def _write_rows(rows: list[dict], out) -> None:
    if out is not None:
        from ssblab.files import write_csv

        write_csv(Path(out) / "table.csv", [dict(r) for r in rows])


@cli.command()
@click.argument("key")
@_store_option
@with_output_options
def show(key, store, out, as_json):
    """One run by its key (or a unique prefix): inputs, outputs, versions, error, folder
    (--out DIR: DIR/run.json)."""
    with _open(store) as runs:
        record = runs.get(key)
    if out is not None:
        atomic_write(Path(out) / "run.json", json.dumps(record, indent=1, default=str))
    error = record.pop("error", None)
    click.echo(json.dumps(record, indent=1, default=str))
    if error and not as_json:
        click.echo(error, err=True)


@cli.command()
@_store_option
@_with_filters
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="Table format written into --out DIR (runs.csv or runs.parquet).")
@with_output_options
def export(store, sweep, study, status, fmt, out, as_json):
    """Write the runs (parameters, outputs, errors, versions) into --out DIR as CSV or Parquet."""
    if out is None:
        raise InputError("--out: give the folder to write runs.csv or runs.parquet into")
    frame = _table(store, sweep, study, status)
    out = Path(out) / f"runs.{fmt}"
    if fmt == "csv":
        atomic_write(out, frame.to_csv(index=False))
    else:
        from ssblab.errors import require_package

        require_package("pyarrow", extra="sweep", purpose="Parquet export")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        atomic_write(out, buffer.getvalue())
    click.echo(f"wrote {len(frame)} runs to {out}")
