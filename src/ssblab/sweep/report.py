"""A finished sweep: one table (parameters -> outputs with errors and units) and its figure."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from ssblab.files import atomic_write, write_csv
from ssblab.results import Result


@dataclasses.dataclass(frozen=True, kw_only=True)
class SweepResult(Result):
    """Every point of a sweep with its outputs, the run counts and the study's figure.

    ``rows`` hold one dict per point: its parameters, ``seed``, ``replicate``, ``status``,
    each output (a Measured output ``x`` as ``x`` and ``x_stderr``) and ``error``.
    ``counts``: points ``done``, ``failed``, ``cached`` (finished before, not run again),
    ``computed`` (run now) and ``retried``. ``ok`` is False when any point failed.
    """

    name: str = ""
    study: str = ""
    parameters: tuple = ()
    outputs: dict = dataclasses.field(default_factory=dict)   # output name -> unit
    rows: tuple = ()
    counts: dict = dataclasses.field(default_factory=dict)
    store: str = ""
    dashboard: str = ""
    plot_spec: dict = dataclasses.field(default_factory=dict)

    title = "Sweep"

    def summary(self):
        c = self.counts
        rows = [("sweep", self.name), ("study", self.study), ("points", len(self.rows)),
                ("done / failed", f"{c.get('done', 0)} / {c.get('failed', 0)}"),
                ("cached / computed now / retried",
                 f"{c.get('cached', 0)} / {c.get('computed', 0)} / {c.get('retried', 0)}"),
                ("store", self.store)]
        if self.dashboard:
            rows.append(("Dask dashboard", self.dashboard))
        return rows

    def table(self):
        return [dict(r) for r in self.rows]

    def frame(self):
        """The table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.table())

    def _draw(self, ax, **kwargs):
        spec = self.plot_spec
        x, y, hue = spec["x"], spec["y"], spec.get("hue")
        done = [r for r in self.rows if r["status"] == "done"]
        groups: dict = {}
        for r in done:
            groups.setdefault(r.get(hue) if hue else None, []).append(r)
        categorical = any(isinstance(r[x], str) for r in done)
        categories = list(dict.fromkeys(r[x] for r in done)) if categorical else []
        for label, rows in groups.items():
            rows = sorted(rows, key=lambda r: categories.index(r[x]) if categorical else r[x])
            xs = [categories.index(r[x]) if categorical else r[x] for r in rows]
            ys = [r[y] for r in rows]
            err = [r.get(f"{y}_stderr", math.nan) for r in rows]
            shown = f"{label:.4g}" if isinstance(label, float) else label
            name = f"{hue} = {shown}" if hue else None
            if np.isfinite(err).any():
                ax.errorbar(xs, ys, yerr=np.nan_to_num(err), fmt="o" if categorical else "o-",
                            capsize=3, label=name)
            else:
                ax.plot(xs, ys, "o" if categorical else "o-", label=name)
        if categorical:
            ax.set_xticks(range(len(categories)), categories)
        if spec.get("logx"):
            ax.set_xscale("log")
        if spec.get("logy"):
            ax.set_yscale("log")
        unit = self.outputs.get(y, "")
        ax.set_xlabel(x)
        ax.set_ylabel(f"{y} ({unit})" if unit else y)
        ax.set_title(f"{self.name} ({len(done)} of {len(self.rows)} points done)", fontsize=9)
        if hue and len(groups) > 1:
            ax.legend(fontsize=7)

    def write(self, folder: str | Path) -> Path:
        """``table.csv``, ``result.json`` and ``report.html`` (with the figure) in ``folder``."""
        from ssblab.report import Report

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.rows:
            write_csv(folder / "table.csv", self.table())
        atomic_write(folder / "result.json", json.dumps(self.to_dict(), indent=1))
        report = Report(f"Sweep {self.name}: {self.study}")
        done = any(r["status"] == "done" for r in self.rows)
        # the figure of the points that finished, even when others failed
        report.add(self, table=True,
                   figures=[(self.study, self.plot().figure)] if done else [])
        report.write(folder / "report.html")
        return folder / "report.html"
