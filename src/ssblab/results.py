"""Values with uncertainty and the result base every analysis returns.

A result is a frozen dataclass. It prints a short summary, round-trips through JSON without
loss (NumPy arrays, complex numbers and nested results included), plots itself onto a
matplotlib axis, and carries provenance. A failed analysis returns a result whose ``ok`` is
False and whose ``reason`` says why; ``bool(result)`` is ``result.ok``.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import platform
from typing import Any, ClassVar

import numpy as np

from ssblab.errors import InputError

_RESULT_TYPES: dict[str, type[Result]] = {}


@dataclasses.dataclass(frozen=True)
class Measured:
    """A number with its standard error and unit, e.g. a fitted conductivity.

    Examples
    --------
    >>> print(Measured(4.40e-3, 0.12e-3, "S/cm"))
    4.40(12)e-3 S/cm
    >>> print(Measured(0.321, 0.004, "eV"))
    0.3210(40) eV
    """

    value: float
    stderr: float = math.nan
    unit: str = ""

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        text = format_uncertain(self.value, self.stderr)
        return f"{text} {self.unit}".rstrip()

    @property
    def relative_error(self) -> float:
        return abs(self.stderr / self.value) if self.value else math.inf


def format_uncertain(value: float, stderr: float) -> str:
    """Format ``value`` with two significant digits of ``stderr`` in parentheses."""
    if not math.isfinite(value):
        return str(value)
    if not (math.isfinite(stderr) and stderr > 0):
        return f"{value:.4g}"
    exponent = math.floor(math.log10(abs(value))) if value else 0
    use_exp = exponent < -2 or exponent > 3
    scale = 10.0**exponent if use_exp else 1.0
    v, s = value / scale, stderr / scale
    # two digits of the error, but never more than 6 decimals (an exact fit's stderr ~1e-16)
    decimals = min(6, max(0, 1 - math.floor(math.log10(s))))
    if s >= 10 ** (1 - decimals) * 9.95:  # rounding pushed stderr to three digits
        decimals = max(0, decimals - 1)
    digits = round(s * 10**decimals)
    body = f"{v:.{decimals}f}({digits})"
    return f"{body}e{exponent}" if use_exp else body


def provenance(**inputs: Any) -> dict[str, Any]:
    """Provenance for a result: the inputs, versions and a UTC timestamp."""
    from ssblab._version import __version__

    return {
        "inputs": _encode(inputs),
        "ssblab": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


#: result attributes that hold a conductivity in S/cm, in the order they are preferred
CONDUCTIVITY_ATTRIBUTES = ("conductivity_25C_S_cm", "total_S_cm", "sigma_eff_S_cm", "conductivity_S_cm")


def conductivity_of(value) -> float:
    """A conductivity in S/cm from a number or another layer's result: the one adapter.

    Accepts a float or an object with one of :data:`CONDUCTIVITY_ATTRIBUTES`, taken in that
    order: an Arrhenius fit gives its 25 C value, a pellet its total, a microstructure its
    sigma_eff, MD its conductivity. A ``Measured`` value is read by its ``value``.

    Examples
    --------
    >>> conductivity_of(2e-3)
    0.002
    >>> conductivity_of(Measured(1e-3, 1e-5, "S/cm"))
    0.001
    """
    for attr in CONDUCTIVITY_ATTRIBUTES:
        if hasattr(value, attr):
            value = getattr(value, attr)
            break
    value = float(getattr(value, "value", value))
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"conductivity_S_cm: expected a positive conductivity, found {value!r}")
    return value


def new_axes(ax=None):
    """``ax`` itself, or a new 5 x 4 inch axes when it is None: the start of every ``plot``."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    return ax


@dataclasses.dataclass(frozen=True, kw_only=True)
class Result:
    """Base class of every result object.

    Subclasses are frozen dataclasses that implement :meth:`summary` (rows for ``__str__``)
    and :meth:`_draw` (the default plot); they may override :meth:`table` (rows for CSV).
    """

    ok: bool = True
    reason: str = ""
    provenance: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    title: ClassVar[str] = "Result"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _RESULT_TYPES[_type_name(cls)] = cls

    def __bool__(self) -> bool:
        return self.ok

    # --- summary -----------------------------------------------------------------------
    def summary(self) -> list[tuple[str, Any]]:
        """Rows ``(label with unit, value)`` for the human summary."""
        return []

    def __str__(self) -> str:
        lines = [self.title]
        if not self.ok:
            lines.append(f"  FAILED: {self.reason}")
        elif self.reason:
            lines.append(f"  note: {self.reason}")
        rows = self.summary()
        width = max((len(label) for label, _ in rows), default=0)
        lines += [f"  {label:<{width}}  {_format_cell(value)}" for label, value in rows]
        return "\n".join(lines)

    def table(self) -> list[dict[str, Any]]:
        """Rows for a CSV table; by default the summary as one row."""
        return [{label: _format_cell(value) for label, value in self.summary()}]

    # --- plotting ----------------------------------------------------------------------
    def plot(self, ax=None, **kwargs):
        """Draw the result's default figure onto ``ax`` (a new one if None); return the axes."""
        ax = new_axes(ax)
        self._draw(ax, **kwargs)
        return ax

    def _draw(self, ax, **kwargs) -> None:
        ax.text(0.5, 0.5, str(self), ha="center", va="center", family="monospace", fontsize=8)
        ax.set_axis_off()

    # --- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return _encode(self)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        obj = _decode(data)
        if not isinstance(obj, cls):
            raise InputError(f"expected a serialised {cls.__name__}, found {type(obj).__name__}")
        return obj

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))


def _type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_RESULT_TYPES[_type_name(Result)] = Result


def _format_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _encode(obj: Any) -> Any:
    if isinstance(obj, Result):
        body = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"__result__": _type_name(type(obj)), **body}
    if isinstance(obj, Measured):
        return {"__measured__": [obj.value, obj.stderr, obj.unit]}
    if isinstance(obj, np.ndarray):
        if np.iscomplexobj(obj):
            return {"__ndarray__": "complex", "real": obj.real.tolist(), "imag": obj.imag.tolist()}
        return {"__ndarray__": str(obj.dtype), "data": obj.tolist()}
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, complex):
        return {"__complex__": [obj.real, obj.imag]}
    if isinstance(obj, dict):
        return {str(k): _encode(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if hasattr(obj, "__fspath__"):
        return str(obj)
    if hasattr(obj, "value") and hasattr(obj, "name") and type(obj).__module__ != "builtins":
        return obj.value  # enums serialise to their value
    return obj


def _result_type(name: str) -> type[Result] | None:
    """The class a serialised result names as ``module:qualname``, importing ssblab modules."""
    module = name.partition(":")[0]
    if name not in _RESULT_TYPES and module.split(".")[0] == "ssblab":
        import importlib

        try:
            importlib.import_module(module)
        except ImportError:
            return None
    return _RESULT_TYPES.get(name)


def _decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__result__" in obj:
        cls = _result_type(obj["__result__"])
        if cls is None:
            raise InputError(f"unknown result type {obj['__result__']!r} in serialised data")
        kwargs = {k: _decode(v) for k, v in obj.items() if k != "__result__"}
        return cls(**kwargs)
    if "__measured__" in obj:
        return Measured(*obj["__measured__"])
    if "__ndarray__" in obj:
        if obj["__ndarray__"] == "complex":
            return np.asarray(obj["real"]) + 1j * np.asarray(obj["imag"])
        return np.asarray(obj["data"], dtype=obj["__ndarray__"])
    if "__complex__" in obj:
        return complex(*obj["__complex__"])
    if "__tuple__" in obj:
        return tuple(_decode(v) for v in obj["__tuple__"])
    return {k: _decode(v) for k, v in obj.items()}
