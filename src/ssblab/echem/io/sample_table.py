"""A small table of per-file facts for a folder of spectra: temperature, pellet thickness and
electrode area (or diameter), as CSV or YAML.

CSV: a header with ``file`` and any of ``temperature``, ``thickness``, ``area``, ``diameter``;
the unit goes in the column name (``temperature_C``, ``thickness_um``, ``area_cm2``) or in each
value (``25 degC``, ``500 um``); bare numbers in a column without a unit are refused.
YAML: a mapping ``file name -> {temperature: 25 degC, thickness: 500 um, ...}`` or a list of
such mappings with a ``file`` key. YAML is read with ``yaml.safe_load`` (data, never code).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "meta.csv").write_text("file,temperature_C,thickness,area_cm2\\n"
...                                      "a.mpr,25,500 um,0.785\\n")
>>> info = read_sample_table(folder / "meta.csv")["a.mpr"]
>>> info.temperature_K, round(info.thickness_cm, 9), info.area_cm2
(298.15, 0.05, 0.785)
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from pathlib import Path

from ssblab.echem.io._common import read_text
from ssblab.errors import InputError, require_package

TABLE_NAMES = ("metadata.csv", "metadata.yaml", "metadata.yml", "samples.csv", "samples.yaml")
_FIELDS = {"temperature": "K", "thickness": "cm", "area": "cm^2", "diameter": "cm"}
_AGREE = 1e-3  # relative tolerance within which an area and a diameter given together agree
_UNIT_SUFFIX = {"c": "degC", "degc": "degC", "k": "K", "cm": "cm", "mm": "mm", "um": "um",
                "m": "m", "cm2": "cm^2", "mm2": "mm^2", "m2": "m^2"}


@dataclasses.dataclass(frozen=True)
class SampleInfo:
    """What the table says about one file; None where it says nothing."""

    temperature_K: float | None = None
    thickness_cm: float | None = None
    area_cm2: float | None = None


def read_sample_table(path: str | Path) -> dict[str, SampleInfo]:
    """File name -> :class:`SampleInfo` from a CSV or YAML table (see the module docstring)."""
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(text, path)
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise InputError(f"{path}: the sample table is empty")
    result = {}
    for number, row in enumerate(rows, start=2):
        row = {str(k).strip(): v for k, v in row.items() if k is not None}
        if not str(row.get("file") or "").strip():
            raise InputError(f"{path}: row {number} has no 'file' entry (columns: "
                             f"{', '.join(row)})")
        values = {}
        for key, value in row.items():
            if key == "file" or value is None or str(value).strip() == "":
                continue
            field, _, unit = key.partition("_")
            field = field.lower()
            if field not in _FIELDS:
                raise InputError(f"{path}: unknown column {key!r}; expected file, temperature, "
                                 "thickness, area or diameter (unit as a suffix, e.g. "
                                 "thickness_um, or in the value)")
            values[field] = _quantity(value, unit, field, where=f"{path}: row {number}, {key}")
        area = values.get("area")
        if values.get("diameter") is not None:
            from_diameter = math.pi * values["diameter"] ** 2 / 4
            if area is not None and not math.isclose(area, from_diameter, rel_tol=_AGREE):
                raise InputError(f"{path}: row {number} gives area {area:.6g} cm^2 and diameter "
                                 f"{values['diameter']:.6g} cm (area {from_diameter:.6g} cm^2), "
                                 "which disagree; give one of them")
            area = from_diameter if area is None else area
        name = Path(str(row["file"]).strip()).name
        info = SampleInfo(values.get("temperature"), values.get("thickness"), area)
        if name in result and result[name] != info:
            raise InputError(f"{path}: {name} is listed twice with different values "
                             f"({_describe(result[name])} and {_describe(info)}); keep one row")
        result[name] = info
    return result


def _describe(info: SampleInfo) -> str:
    return ", ".join(f"{field.name} {getattr(info, field.name):.6g}"
                     for field in dataclasses.fields(info) if getattr(info, field.name) is not None)


def _quantity(value, unit_suffix: str, field: str, *, where: str) -> float:
    from ssblab.units import parse_quantity

    text = str(value).strip()
    target = _FIELDS[field]
    try:
        number = float(text)
    except ValueError:
        return parse_quantity(text, target, name=where)
    if not unit_suffix:
        raise InputError(f"{where}: {number:g} has no unit; write it in the value ('25 degC', "
                         "'500 um') or the column name (temperature_C, thickness_um, area_cm2)")
    unit = _UNIT_SUFFIX.get(unit_suffix.lower())
    if unit is None:
        raise InputError(f"{where}: unknown unit suffix {unit_suffix!r}; use one of "
                         f"{', '.join(_UNIT_SUFFIX)}")
    return parse_quantity(f"{number} {unit}", target, name=where)


def _yaml_rows(text: str, path: Path) -> list[dict]:
    yaml = require_package("yaml", extra="echem", purpose="reading a YAML sample table")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if isinstance(data, dict):
        rows = []
        for name, entry in data.items():
            if not isinstance(entry, dict):
                raise InputError(f"{path}: the entry for {name!r} should be a mapping such as "
                                 "{temperature: 25 degC, thickness: 500 um}")
            rows.append({"file": name, **entry})
        return rows
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return data
    raise InputError(f"{path}: expected a mapping of file names or a list of mappings with a "
                     "'file' key")
