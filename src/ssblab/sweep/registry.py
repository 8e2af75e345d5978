"""The studies a sweep may run, by name: data chooses among these, never imports code.

A study is one *point* of a sweep: a function of the project's API that takes scalar
parameters (units in their names) and a seed, and returns named outputs (floats, integers,
strings or :class:`~ssblab.results.Measured`). :func:`register` adds one; the seed studies
are registered in :mod:`ssblab.sweep.studies`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from ssblab.errors import InputError, check_choice
from ssblab.units import parse_quantity


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter of a study: its unit (the name's suffix), type, default and choices.

    ``kind`` is ``float``, ``int``, ``str`` or ``bool``. A float given as a string with a unit
    (``"500 um"``) is converted to ``unit``; a bare number is read in ``unit``.
    """

    unit: str = ""
    kind: type = float
    default: Any = None
    choices: tuple = ()
    help: str = ""

    def convert(self, value: Any, name: str) -> Any:
        if self.choices:
            return check_choice(str(value), self.choices, name=name)
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise InputError(f"{name}: expected true or false, found {value!r}")
        if self.kind is str:
            return str(value)
        if isinstance(value, str):
            if self.kind is int:
                raise InputError(f"{name}: expected an integer, found {value!r}")
            # 12 significant digits drop the conversion's rounding noise, so "100 um" and
            # 0.01 (cm) are the same point with the same cache key
            value = float(f"{parse_quantity(value, self.unit or 'dimensionless', name=name):.12g}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{name}: expected a number{f' in {self.unit}' if self.unit else ''}, "
                             f"found {value!r}")
        if self.kind is int:
            if float(value) != int(value):
                raise InputError(f"{name}: expected an integer, found {value!r}")
            return int(value)
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"{name}: expected a finite number, found {value!r}")
        return value


@dataclasses.dataclass(frozen=True)
class Plot:
    """The figure a study exists for: ``y`` against ``x``, one line per value of ``hue``."""

    x: str
    y: str
    hue: str | None = None
    logx: bool = False
    logy: bool = False


@dataclasses.dataclass(frozen=True)
class Study:
    """A registered point function with its parameters, outputs and figure.

    ``version`` enters every point's cache key: bump it when the function's results change.
    ``resources`` maps the parameters to the Dask resources one point needs (e.g.
    ``{"GPU": 1}`` for ``device="cuda"``). ``run_dir`` True passes the point's run directory
    (for its own checkpoints) to ``func``.
    """

    name: str
    func: Callable[..., Mapping[str, Any]]
    parameters: Mapping[str, Parameter]
    outputs: Mapping[str, str]
    plot: Plot
    description: str = ""
    version: int = 1
    resources: Callable[[Mapping[str, Any]], dict] | None = None
    run_dir: bool = False
    packages: tuple = ()

    def resolve(self, values: Mapping[str, Any], where: str) -> dict[str, Any]:
        """All parameters of one point, converted to their units, defaults filled in."""
        unknown = [k for k in values if k not in self.parameters]
        if unknown:
            check_choice(unknown[0], tuple(self.parameters), name=f"{where}: parameter")
        out = {}
        for name, param in self.parameters.items():
            if name in values:
                out[name] = param.convert(values[name], f"{where}.{name}")
            elif param.default is None:
                raise InputError(f"{where}: parameter {name!r} of study {self.name!r} has no "
                                 "default; give it under parameters or fixed")
            else:
                out[name] = param.default
        return out

    def resources_for(self, params: Mapping[str, Any]) -> dict:
        return dict(self.resources(params)) if self.resources else {}


REGISTRY: dict[str, Study] = {}


def register(name: str, *, parameters: Mapping[str, Parameter], outputs: Mapping[str, str],
             plot: Plot, version: int = 1, resources=None, run_dir: bool = False,
             packages: tuple = ()):
    """Decorator adding a point function to :data:`REGISTRY` under ``name``.

    Registering is code (a Python user may add studies); a spec only names one.
    """
    def decorate(func):
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"study {name!r} is already registered")
        doc = (func.__doc__ or "").strip().splitlines()
        REGISTRY[name] = Study(name=name, func=func, parameters=dict(parameters),
                               outputs=dict(outputs), plot=plot, version=version,
                               description=doc[0] if doc else "", resources=resources,
                               run_dir=run_dir, packages=tuple(packages))
        return func
    return decorate


def get_study(name: str) -> Study:
    """The registered study ``name`` (did-you-mean on a typo)."""
    from ssblab.sweep import studies  # noqa: F401  (registers the shipped studies)

    return REGISTRY[check_choice(str(name), tuple(REGISTRY), name="study")]
