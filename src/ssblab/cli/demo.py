"""``ssblab demo``: the main job on bundled data (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import OutputFolderType


@click.command()
@click.option("--out", type=OutputFolderType(), default=Path("demo-out"),
              show_default=True, help="Folder for report.html and result.json.")
@click.option("--stage", "stages", multiple=True, help="Run only these stages (repeatable).")
def cli(out, stages):
    """Run every layer on bundled data and write one HTML report."""
    from ssblab.errors import check_choice
    from ssblab.workflows.demo import STAGES, run_demo

    for stage in stages:
        check_choice(stage, STAGES, name="--stage")
    path = run_demo(out, stages=stages or None, log=lambda text: click.echo(text, err=True))
    click.echo(f"wrote {path}")
