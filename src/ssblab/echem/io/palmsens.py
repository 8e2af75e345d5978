"""PalmSens ``.pssession`` files (PSTrace): JSON, usually UTF-16 with a byte-order mark.

Each measurement's ``DataSet`` (else its first impedance curve in ``EISDataList``) becomes one
table, with the arrays ``Frequency`` (Hz), ``ZRe`` and ``ZIm`` (ohm). PSTrace
stores ``ZIm`` as -Z'' (positive for a capacitive arc), so the column is named ``-ZIm`` here and
:mod:`ssblab.echem.io.spectra` negates it. Arrays in other units (kOhm, MOhm) are scaled by the
unit the file states. Keys are matched without regard to case: PSTrace 5 writes ``Measurements``,
``DataSet``, ``DataValues``, later versions (and the PalmSens SDK) ``measurements``, ``dataset``,
``datavalues``. Nothing in the file is executed: it is parsed with :func:`json.loads`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import RawTable, read_text
from ssblab.errors import InputError

_WANTED = {"frequency": "frequency", "zre": "ZRe", "zim": "-ZIm", "z": "|Z|", "phase": "-Phase"}
_PREFIX = {"kilo": 1e3, "mega": 1e6, "milli": 1e-3, "micro": 1e-6}


def read_pssession(path: str | Path) -> list[RawTable]:
    """One table per impedance curve in a PalmSens session file."""
    where = str(path)
    text = read_text(Path(path)).strip().rstrip("\ufeff")
    try:
        session = json.loads(text[:text.rfind("}") + 1])
    except (json.JSONDecodeError, ValueError) as exc:
        raise InputError(f"{where}: not a readable PalmSens session (JSON error: {exc})") from None
    measurements = _get(session, "Measurements")
    if not isinstance(measurements, list):
        raise InputError(f"{where}: no 'Measurements' list in this PalmSens session")
    tables = []
    for m, measurement in enumerate(measurements):
        if not isinstance(measurement, dict):
            continue
        # The measurement's own data set is the record; its curves (EISDataList) are what
        # PSTrace plotted and are read only when the measurement holds no impedance arrays.
        curves = [measurement] + list(_get(measurement, "EISDataList") or [])
        for c, curve in enumerate(curves):
            if tables and tables[-1].metadata["measurement"] == m:
                break
            columns = _arrays(_get(curve, "DataSet"))
            if "frequency" in columns and ("ZRe" in columns or "|Z|" in columns):
                title = _get(curve, "Title") or _get(measurement, "Title") or ""
                tables.append(RawTable(columns, where, {
                    "format": "palmsens-pssession", "header": True, "measurement": m,
                    "curve": c, "title": str(title)[:80]}))
    if not tables:
        raise InputError(f"{where}: this PalmSens session holds no impedance curve (no "
                         "Frequency/ZRe arrays); export EIS data from PSTrace as CSV instead")
    return tables


def _arrays(dataset) -> dict[str, np.ndarray]:
    """Frequency, ZRe, -ZIm, |Z|, -Phase arrays of one data set, of equal length."""
    if not isinstance(_get(dataset, "Values"), list):
        return {}
    columns = {}
    for array in _get(dataset, "Values"):
        if not isinstance(array, dict):
            continue
        name = _WANTED.get(str(_get(array, "Description") or "").strip().lower())
        values = _get(array, "DataValues")
        if name is None or not isinstance(values, list):
            continue
        try:
            data = np.array([float(_get(v, "V")) for v in values])
        except (TypeError, ValueError):
            continue
        unit = str(_get(_get(array, "Unit"), "Type") or "").lower()
        factor = next((f for p, f in _PREFIX.items() if p in unit.rsplit(".", 1)[-1]), 1.0)
        columns[name] = data * factor if name != "-Phase" else data
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:  # keep the impedance arrays, which share the frequency's length
        n = len(columns.get("frequency", ()))
        columns = {k: v for k, v in columns.items() if len(v) == n}
    return columns


def _get(node, key: str):
    """``node[key]`` of a JSON object, the key matched without regard to case (None if absent
    or if ``node`` is not an object)."""
    if not isinstance(node, dict):
        return None
    if key in node:
        return node[key]
    lower = key.lower()
    return next((v for k, v in node.items() if str(k).lower() == lower), None)
