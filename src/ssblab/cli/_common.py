"""Pieces every CLI layer shares: unit-aware options and writing results out."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import warnings
from pathlib import Path

import click

from ssblab.errors import InputError
from ssblab.files import atomic_folder, atomic_write, check_output_folder, final_path, write_csv
from ssblab.results import Result
from ssblab.units import parse_quantity


class QuantityType(click.ParamType):
    """A click option value with a unit, e.g. ``--thickness "500 um"``, converted to ``unit``.

    The unit fixes the option's kind of quantity (its dimension): a quantity of another kind
    is refused naming both ("1500 mA" for a length).
    """

    def __init__(self, unit: str):
        self.unit = unit
        self.name = f"quantity[{unit}]"

    @property
    def dimension(self) -> str:
        """The kind of quantity the option takes, in words (``"length"``)."""
        from ssblab.units import dimension_of

        return dimension_of(self.unit)

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        name = max(param.opts, key=len) if param else "value"
        try:
            number = parse_quantity(value, self.unit, name=name)
            check_plausible(number, self.unit, name=name, text=value)
        except InputError as exc:
            self.fail(str(exc), param, ctx)
        return number


# Magnitudes (SI) beyond which a quantity is a typo, whatever the option: a 10 m pellet, a
# 100-year test, 1e5 K. Temperatures must be positive (kelvin), lengths and times not negative
# (every such option is a size or a duration); other signs are the option's own business.
PLAUSIBLE_SI = {"[length]": 10.0, "[time]": 3.2e9, "[temperature]": 1e5}
PLAUSIBLE_OTHER_SI = 1e20


def check_plausible(value: float, unit: str, *, name: str, text=None) -> float:
    """Refuse a non-finite quantity or one far outside anything physical for its dimension.

    Examples
    --------
    >>> check_plausible(500.0, "um", name="--thickness")
    500.0
    >>> check_plausible(1e300, "m", name="--thickness")
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: --thickness: 1e+300 m is not plausible (at most 10 m)
    """
    import math

    from ssblab.units import in_base_units

    shown = text if text is not None else f"{value:g} {unit}"
    if not math.isfinite(value):
        raise InputError(f"{name}: expected a finite number, found {shown!r}")
    si, dimension, base = in_base_units(value, unit)
    limit = PLAUSIBLE_SI.get(dimension, PLAUSIBLE_OTHER_SI)
    if dimension == "[temperature]" and not value > 0:
        raise InputError(f"{name}: expected a temperature above 0 K, found {shown!r}")
    if dimension in ("[length]", "[time]") and value < 0:  # sizes and durations, never signed
        raise InputError(f"{name}: expected a length or duration >= 0, found {shown!r}")
    if not abs(si) <= limit:
        raise InputError(f"{name}: {shown} is not plausible (at most {limit:g} {base})")
    return value


def quantity_option(*names: str, unit: str, help: str, **kwargs):
    """A click option taking a quantity; a bare number is read in ``unit``."""
    return click.option(*names, type=QuantityType(unit),
                        help=f"{help} (a quantity such as '1.5 {unit}'; a bare number is in {unit})",
                        **kwargs)


class OutputFolderType(click.ParamType):
    """``--out``: checked before any work (not empty, not a file, writable), nothing created."""

    name = "folder"

    def convert(self, value, param, ctx):
        if isinstance(value, Path):
            return value
        try:
            return check_output_folder(value, name="--out")
        except InputError as exc:
            self.fail(str(exc).removeprefix("--out: "), param, ctx)


class OutputFileType(click.ParamType):
    """A file to write (``--output``): checked before any work, nothing created."""

    name = "file"

    def __init__(self, suffixes: tuple[str, ...] | None = None):
        self.suffixes = suffixes

    def convert(self, value, param, ctx):
        from ssblab.files import check_output_file

        if isinstance(value, Path):
            return value
        flag = max(param.opts, key=len) if param else "--output"
        try:
            return check_output_file(value, name=flag, suffixes=self.suffixes)
        except InputError as exc:
            self.fail(str(exc).removeprefix(f"{flag}: "), param, ctx)
def electrode_area_options(func):
    """``--area`` or ``--diameter``: the electrode geometry, required (no silent 1 cm2)."""
    func = quantity_option("--diameter", unit="cm", default=None,
                           help="Electrode diameter (instead of --area)")(func)
    return quantity_option("--area", unit="cm^2", default=None,
                           help="Electrode area (or give --diameter)")(func)


def electrode_area_cm2(area: float | None, diameter: float | None) -> float:
    """The area from exactly one of ``--area`` and ``--diameter``."""
    import math

    if (area is None) == (diameter is None):
        raise InputError("give the electrode geometry: exactly one of --area (e.g. '1.13 cm^2') "
                         "or --diameter (e.g. '12 mm'); the current density depends on it")
    value = area if area is not None else math.pi * diameter**2 / 4
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"--area/--diameter: the electrode area must be positive, found "
                         f"{value} cm^2")
    return float(value)


output_options = [
    click.option("--out", "out", type=OutputFolderType(), default=None,
                 help="Folder for result.json, table.csv, figures and report.html "
                      "(written as one transaction when the command ends)."),
    click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of the summary."),
]


def with_output_options(func):
    """Add --out/--json; the command writes into a staging folder that replaces --out at the end."""
    @functools.wraps(func)
    def staged(*args, out=None, **kwargs):
        if out is None:
            return func(*args, out=None, **kwargs)
        with atomic_folder(out) as stage:
            return func(*args, out=stage, **kwargs)

    for option in reversed(output_options):
        staged = option(staged)
    return staged


def emit(results: list[Result], *, out: Path | None, as_json: bool, title: str,
         report=None) -> None:
    """Print results (summary or JSON) and, with ``out``, write JSON, CSVs and the HTML report.

    ``--json`` prints the public schema of docs/json.md (strict JSON, NaN as null, no type
    tags); ``result.json`` is the lossless form that ``Result.from_json`` reads back. Each kind of table gets its own CSV (``table.csv`` when there is only one), and
    each plotted curve ``curve_<name>.csv``, so that no file mixes tables.
    Exits with code 3 when any result failed, after everything has been written.
    """
    if as_json:
        document = [r.to_dict(public=True) for r in results]
        click.echo(json.dumps(document, indent=1, allow_nan=False))
    else:
        for result in results:
            click.echo(str(result))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        # lossless (Result.from_json reads it back), strict JSON
        atomic_write(out / "result.json",
                     json.dumps([r.to_dict() for r in results], indent=1, allow_nan=False))
        write_tables(results, out)
        if report is None:
            from ssblab.report import Report

            report = Report(title, intro=_batch_summary(results))
            for result in results:
                report.add(result, table=True, figures=[] if report.full else None)
        report.write(out / "report.html")
        if not as_json:
            click.echo(f"wrote {final_path(out / 'report.html')}")
    if not all(results):
        raise SystemExit(3)


def _batch_summary(results: list[Result]) -> str:
    """One line on top of a report of several results: how many, how many failed and why."""
    if len(results) < 2:
        return ""
    failed = [r for r in results if not r.ok]
    text = f"{len(results)} results: {len(results) - len(failed)} ok, {len(failed)} failed."
    if failed:
        reasons: dict[str, int] = {}
        for r in failed:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        common = sorted(reasons.items(), key=lambda item: -item[1])[:3]
        text += " Most common reasons: " + "; ".join(f"{why} ({n}x)" for why, n in common) + "."
    return text
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "table"


def write_tables(results: list[Result], out: Path) -> list[Path]:
    """One CSV per kind of table (rows of results of one type and table name together) and
    one per plotted curve; returns the paths written."""
    groups: dict[str, list[dict]] = {}
    for result in results:
        for name, rows in result.tables().items():
            key = result.title if name == "table" else f"{result.title} {name}"
            groups.setdefault(key, []).extend(rows)
    groups = {k: v for k, v in groups.items() if v}
    written = []
    for key, rows in groups.items():
        name = "table.csv" if len(groups) == 1 else f"table_{_slug(key)}.csv"
        written.append(write_csv(out / name, rows))
    seen: dict[str, int] = {}
    for result in results:
        for name, columns in result.curves().items():
            slug = _slug(name)
            seen[slug] = seen.get(slug, 0) + 1
            if seen[slug] > 1:
                slug = f"{slug}_{seen[slug]}"
            rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
            written.append(write_csv(out / f"curve_{slug}.csv", rows))
    return written


@contextlib.contextmanager
def data_warnings_to_stderr():
    """Data warnings (rows dropped, aborted runs) as one line each on stderr; others re-raised."""
    from ssblab.echem.io import DataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, DataWarning):
            click.echo(f"ssblab: warning: {warning.message}", err=True)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)


def show_notes(file, data) -> None:
    """What the reader assumed (units of columns named without one) or left out (a capacity
    without a unit), one line each on stderr."""
    if data.metadata.get("units_assumed"):
        click.echo(f"ssblab: note: {file}: columns without a unit read as "
                   f"{data.metadata['units_assumed']}", err=True)
    if data.metadata.get("capacity_note"):
        click.echo(f"ssblab: note: {file}: {data.metadata['capacity_note']}", err=True)


def column_ref(value: str | None) -> str | int | None:
    """A column option: a 0-based index when the text is an integer, else a name."""
    return int(value) if value is not None and value.lstrip("-").isdigit() else value


def parse_column_map(entries) -> dict | None:
    """``("time_s=test_time", "current_A=3")`` -> ``{"time_s": "test_time", "current_A": 3}``."""
    column_map = {}
    for entry in entries:
        key, sep, column = entry.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise InputError(f"--map: expected KEY=COLUMN, found {entry!r}")
        column = column.strip()
        column_map[key.strip()] = int(column) if column.lstrip("-").isdigit() else column
    return column_map or None


def parse_ints(text: str, name: str, n: int | None = None, *,
               minimum: int | None = None) -> tuple[int, ...]:
    """``"2,1,2"`` -> (2, 1, 2) for option ``name``; ``n`` fixes how many are expected and
    ``minimum`` the smallest value allowed."""
    try:
        values = tuple(int(v) for v in str(text).replace(" ", "").split(","))
    except ValueError:
        raise InputError(f"{name}: expected comma-separated integers, found {text!r}") from None
    if n is not None and len(values) != n:
        raise InputError(f"{name}: expected {n} integers like 2,1,2, found {text!r}")
    if minimum is not None and min(values) < minimum:
        raise InputError(f"{name}: expected integers >= {minimum}, found {text!r}")
    return values
