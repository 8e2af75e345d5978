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

    def __repr__(self) -> str:
        return f"Measured({self})"

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
        # The dataclass decorator runs after this and keeps methods already in the class body:
        # a short repr instead of every array, and an == that compares arrays instead of raising.
        for name in ("__repr__", "__eq__"):
            if name not in cls.__dict__:
                setattr(cls, name, getattr(Result, name))

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

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"FAILED: {_shorten(self.reason, 60)}"
        rows = self.summary()
        shown = "; ".join(f"{label} = {_shorten(_format_cell(value), 30)}"
                          for label, value in rows[:3])
        more = f"; ... {len(rows) - 3} more" if len(rows) > 3 else ""
        return f"<{type(self).__name__} {state}{': ' if shown else ''}{shown}{more}>"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_equal(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self) if f.compare)

    def table(self) -> list[dict[str, Any]]:
        """Rows for a CSV table; by default the summary as one row."""
        return [{label: _format_cell(value) for label, value in self.summary()}]

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table of the result, name -> rows; one CSV each (default: ``table()``)."""
        return {"table": self.table()}

    def curves(self) -> dict[str, dict[str, np.ndarray]]:
        """The plotted curves, name -> {column with unit: values}, written one CSV each.

        Results whose figure shows measured or fitted curves override this, so that the
        numbers behind a figure can be re-plotted elsewhere (Origin, Excel).
        """
        return {}

    def to_dataframe(self, name: str | None = None):
        """The result's table (or the table ``name`` of :meth:`tables`) as a pandas DataFrame."""
        from ssblab.errors import require_package

        pandas = require_package("pandas", extra="notebook", purpose="DataFrames")
        tables = self.tables()
        if name is None:
            name = next(iter(tables))
        from ssblab.errors import check_choice

        check_choice(name, tables, name="table")
        return pandas.DataFrame(tables[name])

    def _repr_html_(self) -> str:
        """Jupyter: the summary as a table and the default figure as inline SVG."""
        import html as _html

        rows = "".join(f"<tr><th style='text-align:left'>{_html.escape(str(label))}</th>"
                       f"<td style='text-align:left'>{_html.escape(_format_cell(value))}</td></tr>"
                       for label, value in self.summary())
        state = ("" if self.ok and not self.reason else
                 f"<p style='color:#a00'><b>{'FAILED' if not self.ok else 'note'}:</b> "
                 f"{_html.escape(self.reason)}</p>")
        figure = ""
        if self.ok:
            try:
                figure = figure_to_svg(self.plot().figure)
            except Exception as exc:  # a figure must never hide the numbers
                figure = f"<p><i>no figure: {_html.escape(str(exc))}</i></p>"
        return (f"<div><b>{_html.escape(self.title)}</b>{state}"
                f"<table>{rows}</table>{figure}</div>")

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
    def to_dict(self, *, public: bool = False) -> dict[str, Any]:
        """The result as JSON-ready data.

        The default form round-trips losslessly through :meth:`from_dict` (it tags arrays,
        tuples and ``Measured`` values). ``public=True`` gives the documented schema of
        ``--json`` and ``result.json`` (docs/json.md): plain objects and lists, NaN as null.
        """
        return _public(self) if public else _encode(self)

    def to_json(self, *, public: bool = False, **kwargs) -> str:
        """Strict JSON (no NaN literals) of :meth:`to_dict`."""
        return json.dumps(self.to_dict(public=public), allow_nan=False, **kwargs)

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


def _shorten(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 3] + "..."


def _equal(a: Any, b: Any) -> bool:
    """Field equality that never raises: arrays element-wise (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=True))
        except TypeError:
            return bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


SCHEMA = "ssblab.result/1"


def _public(obj: Any) -> Any:
    """The documented plain-JSON form (docs/json.md)."""
    if isinstance(obj, Result):
        body = {f.name: _public(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"schema": SCHEMA, "type": type(obj).__name__, "title": obj.title,
                "summary": [{"label": label, "value": _public(value)}
                            for label, value in obj.summary()], **body}
    if isinstance(obj, Measured):
        return {"value": _finite(obj.value), "stderr": _finite(obj.stderr), "unit": obj.unit}
    if isinstance(obj, np.ndarray):
        if np.iscomplexobj(obj):
            return {"real": _public(obj.real), "imag": _public(obj.imag)}
        if obj.dtype.kind == "f" and not np.isfinite(obj).all():
            return np.where(np.isfinite(obj), obj, None).tolist()
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return _public(obj.item())
    if isinstance(obj, float):
        return _finite(obj)
    if isinstance(obj, complex):
        return {"real": _finite(obj.real), "imag": _finite(obj.imag)}
    if isinstance(obj, dict):
        return {str(k): _public(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_public(v) for v in obj]
    if hasattr(obj, "__fspath__"):
        return str(obj)
    if hasattr(obj, "value") and hasattr(obj, "name") and type(obj).__module__ != "builtins":
        return _public(obj.value)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    return str(obj)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _encode_float(value: float) -> Any:
    return value if math.isfinite(value) else {"__float__": repr(value)}


def _encode(obj: Any) -> Any:
    if isinstance(obj, float):
        return _encode_float(obj)
    if isinstance(obj, Result):
        body = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"__result__": _type_name(type(obj)), **body}
    if isinstance(obj, Measured):
        return {"__measured__": [_encode(float(obj.value)), _encode(float(obj.stderr)), obj.unit]}
    if isinstance(obj, np.ndarray):
        if np.iscomplexobj(obj):
            return {"__ndarray__": "complex", "real": _array_list(obj.real),
                    "imag": _array_list(obj.imag)}
        return {"__ndarray__": str(obj.dtype), "data": _array_list(obj)}
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return _encode(obj.item())
    if isinstance(obj, complex):
        return {"__complex__": [_encode_float(obj.real), _encode_float(obj.imag)]}
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


def _array_list(array: np.ndarray) -> list:
    if array.ndim == 0:
        return _encode(array.item())
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return [_array_list(a) if a.ndim else _encode_float(float(a)) for a in array]
    return array.tolist()


def _decode_floats(data: Any) -> Any:
    if isinstance(data, list):
        return [_decode_floats(v) for v in data]
    if isinstance(data, dict) and "__float__" in data:
        return float(data["__float__"])
    return data


#: the modules that define Result types: the only ones a serialised result may have imported
#: (a name read from a file never chooses any other code; tests/test_results_modules.py keeps
#: this list complete)
RESULT_MODULES = frozenset({
    "ssblab.atomistic.bvse", "ssblab.atomistic.fastpath", "ssblab.atomistic.md", "ssblab.atomistic.neb",
    "ssblab.atomistic.network", "ssblab.atomistic.potentials", "ssblab.atomistic.structure_analysis",
    "ssblab.atomistic.transport", "ssblab.cell.full", "ssblab.cell.life", "ssblab.cell.studies",
    "ssblab.cell.symmetric_model", "ssblab.comparisons", "ssblab.dendrite.capture", "ssblab.dendrite.ccd",
    "ssblab.dendrite.metrics", "ssblab.dendrite.studies", "ssblab.echem.celltests.ccd",
    "ssblab.echem.celltests.cycling", "ssblab.echem.celltests.gitt", "ssblab.echem.celltests.short",
    "ssblab.echem.celltests.symmetric", "ssblab.echem.cycler_data", "ssblab.echem.drt.results",
    "ssblab.echem.impedance.arrhenius", "ssblab.echem.impedance.batch", "ssblab.echem.impedance.conductivity",
    "ssblab.echem.impedance.fitting", "ssblab.echem.impedance.kk", "ssblab.echem.spectrum",
    "ssblab.materials.data", "ssblab.materials.defects", "ssblab.materials.models._common",
    "ssblab.materials.models.grain_boundaries", "ssblab.materials.models.interfaces",
    "ssblab.materials.models.reduced_density", "ssblab.materials.structures", "ssblab.materials.substitution",
    "ssblab.microstructure.analysis", "ssblab.microstructure.paths", "ssblab.microstructure.solve",
    "ssblab.microstructure.studies", "ssblab.results", "ssblab.sweep.report", "ssblab.workflows.impedance",
    "ssblab.workflows.multiscale", "ssblab.workflows.vacancy_md",
})


def _result_type(name: str) -> type[Result] | None:
    """The class a serialised result names as ``module:qualname``, importing its module only
    when it is one of :data:`RESULT_MODULES`."""
    module = name.partition(":")[0]
    if name not in _RESULT_TYPES and module in RESULT_MODULES:
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
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__measured__" in obj:
        return Measured(*_decode_floats(obj["__measured__"]))
    if "__ndarray__" in obj:
        if obj["__ndarray__"] == "complex":
            return (np.asarray(_decode_floats(obj["real"]), dtype=float)
                    + 1j * np.asarray(_decode_floats(obj["imag"]), dtype=float))
        return np.asarray(_decode_floats(obj["data"]), dtype=obj["__ndarray__"])
    if "__complex__" in obj:
        return complex(*_decode_floats(obj["__complex__"]))
    if "__tuple__" in obj:
        return tuple(_decode(v) for v in obj["__tuple__"])
    return {k: _decode(v) for k, v in obj.items()}


def figure_to_svg(fig) -> str:
    """Render a matplotlib figure to an SVG string and close it."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.find("<svg"):]
