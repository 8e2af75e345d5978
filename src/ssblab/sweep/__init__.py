"""Declarative sweeps over any layer's study, on this machine or a Dask cluster.

``ssblab.sweep(spec)`` (the same as :func:`run_sweep`) runs a spec (YAML file, shipped name
or dict) and returns a :class:`SweepResult`; the run store keeps every point
(:mod:`ssblab.sweep.store`, queried with :func:`ssblab.runs.query`). See docs/sweeps.md.
"""

from __future__ import annotations

import sys
import types

from ssblab.sweep.registry import REGISTRY, Parameter, Plot, Study, get_study, register
from ssblab.sweep.report import SweepResult
from ssblab.sweep.run import run_sweep
from ssblab.sweep.spec import ExecutorSpec, SweepSpec, load_spec, shipped_specs
from ssblab.sweep.store import RunStore, query

__all__ = ["ExecutorSpec", "Parameter", "Plot", "REGISTRY", "RunStore", "Study", "SweepResult",
           "SweepSpec", "get_study", "load_spec", "query", "register", "run_sweep", "shipped_specs"]


class _CallableModule(types.ModuleType):
    """Lets ``ssblab.sweep(spec)`` stand for ``ssblab.sweep.run_sweep(spec)``."""

    def __call__(self, spec, **options) -> SweepResult:
        return run_sweep(spec, **options)


sys.modules[__name__].__class__ = _CallableModule
