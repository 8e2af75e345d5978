"""``ssblab demo``: the main job on bundled data (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import OutputFolderType


@click.command()
@click.option("--out", type=OutputFolderType(), default=Path("demo-out"),
              show_default=True, help="Folder for report.html and result.json.")
@click.option("--stage", "stages", multiple=True, help="Run only these stages (repeatable).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the stages' results as JSON (the public schema, docs/json.md).")
def cli(out, stages, as_json):
    """Run every layer on bundled data and write one HTML report."""
    from ssblab.errors import check_choice
    from ssblab.workflows.demo import STAGES, run_demo

    for stage in stages:
        check_choice(stage, STAGES, name="--stage")
    path = run_demo(out, stages=stages or None, log=lambda text: click.echo(text, err=True))
    if as_json:
        import json

        from ssblab.results import Result

        recorded = json.loads((out / "result.json").read_text(encoding="utf-8"))
        public = {key: Result.from_dict(value).to_dict(public=True) if "__result__" in value
                  else value for key, value in recorded.items()}
        click.echo(json.dumps(public, indent=1, allow_nan=False))
    else:
        click.echo(f"wrote {path}")
