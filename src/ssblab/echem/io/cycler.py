"""Cycler files as one tidy :class:`~ssblab.echem.cycler_data.CyclerData` table:
:func:`read_cycler`.

Columns and units: ``time_s`` from the start of the file, ``voltage_V``, ``current_mA`` positive
while charging (Maccor stores unsigned currents with a C/D mode column: discharge rows are
negated), ``step`` and ``cycle`` as ints, and in ``extra`` the instrument's capacity counter as
``capacity_mAh`` (Bio-Logic ``(Q-Qo)``, the charge passed since the start; Neware, Maccor and
Arbin step capacities, Arbin as charge minus discharge capacity) and any temperature.

Cycles (``cycle_definition``):

- ``"file"``: the instrument's own cycle index (Bio-Logic ``cycle number``, Neware
  ``Cycle Index``, Arbin ``Cycle_Index``, Maccor ``Cycle C``). A file without one falls back to
  ``"charge-first"``, and the result says so in ``cycle_definition``.
- ``"charge-first"``: a cycle is a charge and the discharge after it; a new cycle starts at
  each charge that follows a discharge (rest rows belong to the half cycle before them). When
  the file has steps, charge/discharge/rest is decided per step from its mean current (see
  :func:`cycles_from_current`).
- ``"discharge-first"``: the same with the roles swapped (cells assembled charged).

Rows with NaN or infinite time, voltage, current, step or cycle are dropped with a
:class:`~ssblab.echem.io.DataWarning` naming them; a jump in the file's cycle index (a missing
cycle) and time going backwards are kept as they are and warned about. Nothing else is
changed.
"""

from __future__ import annotations

import datetime
import re
import warnings
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from ssblab.echem.cycler_data import CYCLE_DEFINITIONS, CycleDefinition, CyclerData
from ssblab.echem.io._common import (
    DataWarning,
    RawTable,
    find_column,
    normalise_name,
    parse_mixed_block,
    read_head,
    read_text,
)
from ssblab.echem.io.biologic import MPR_SIGNATURE, MPT_SIGNATURE, read_mpr, read_mpt
from ssblab.errors import InputError, check_choice, require_package
from ssblab.files import check_input_file

CyclerFormat = Literal["biologic-mpr", "biologic-mpt", "neware-ndax", "neware-csv",
                       "arbin-res", "maccor", "csv"]
CYCLER_FORMATS = get_args(CyclerFormat)

# Canonical key -> (unit factor to the CyclerData unit, target column).
_UNITS = {
    "time_s": (1.0, "time_s"), "time_min": (60.0, "time_s"), "time_h": (3600.0, "time_s"),
    "voltage_V": (1.0, "voltage_V"), "voltage_mV": (1e-3, "voltage_V"),
    "current_mA": (1.0, "current_mA"), "current_A": (1e3, "current_mA"),
    "current_uA": (1e-3, "current_mA"), "step": (1, "step"), "cycle": (1, "cycle"),
    "capacity_mAh": (1.0, "capacity_mAh"), "capacity_Ah": (1e3, "capacity_mAh"),
    "capacity_C": (1 / 3.6, "capacity_mAh"),
    "temperature_C": (1.0, "temperature_C"),
}

# Per format: canonical key -> the file's column names to try, in order.
_COLUMN_MAPS = {
    "biologic": {"time_s": ("time/s",), "voltage_V": ("Ewe/V", "<Ewe>/V", "Ecell/V"),
                 "current_mA": ("I/mA", "<I>/mA", "control/mA"), "step": ("Ns",),
                 "cycle": ("cycle number",), "capacity_mAh": ("(Q-Qo)/mA.h",),
                 "capacity_C": ("(Q-Qo)/C",), "temperature_C": ("Temperature/°C",)},
    "neware-csv": {"time_s": ("Cumulative Time", "Total Time"), "voltage_V": ("Voltage(V)",),
                   "current_A": ("Current(A)",), "step": ("Step Index",),
                   "cycle": ("Cycle Index",), "capacity_Ah": ("Capacity(Ah)",),
                   "current_mA": ("Current(mA)",), "capacity_mAh": ("Capacity(mAh)",)},
    "arbin": {"time_s": ("Test_Time",), "voltage_V": ("Voltage",), "current_A": ("Current",),
              "step": ("Step_Index",), "cycle": ("Cycle_Index",),
              "capacity_mAh": ("capacity_mAh",)},
    "maccor": {"time_s": ("TestTime", "Test Time"), "voltage_V": ("Voltage [V]", "Voltage"),
               "current_A": ("Current [A]", "Current"), "step": ("Step",),
               "cycle": ("Cycle C", "Cycle", "Cyc#"), "capacity_Ah": ("Cap. [Ah]", "Capacity")},
    "csv": {"step": ("step", "ns", "step index", "step_index"),
            "cycle": ("cycle", "cycle number", "cycle index", "cycle_index")},
    "neware-ndax": {"time_s": ("time_s",), "voltage_V": ("voltage_V",),
                    "current_mA": ("current_mA",), "step": ("step",), "cycle": ("cycle",),
                    "capacity_mAh": ("capacity_mAh",)},
}
_REQUIRED = ("time", "voltage", "current")


def detect_cycler_format(path: str | Path) -> str:
    """The cycler file format from its signature, else its extension (``.csv`` -> Neware CSV
    if the header says so, else generic CSV)."""
    path = Path(path)
    head = read_head(path, 4096)
    if head.startswith(MPR_SIGNATURE):
        return "biologic-mpr"
    if head.startswith(MPT_SIGNATURE.encode()):
        return "biologic-mpt"
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() == ".ndax":
        return "neware-ndax"
    if head.startswith(b"\x00\x01\x00\x00Standard Jet DB") or path.suffix.lower() == ".res":
        return "arbin-res"
    text = head.decode("latin-1")
    if "Cycle Index" in text and "Step Index" in text:
        return "neware-csv"
    if re.search(r"^Rec\t", text, re.MULTILINE) or text.startswith("Today's Date"):
        return "maccor"
    return {".mpr": "biologic-mpr", ".mpt": "biologic-mpt", ".ndax": "neware-ndax"}.get(
        path.suffix.lower(), "csv")


def read_cycler(path: str | Path, *, format: CyclerFormat | None = None,
                column_map: dict[str, str | int] | None = None,
                cycle_definition: CycleDefinition = "file",
                delimiter: str | None = None) -> CyclerData:
    """Read a cycler file into a tidy :class:`~ssblab.echem.cycler_data.CyclerData`.

    Parameters
    ----------
    path
        The instrument file.
    format
        One of ``CYCLER_FORMATS``; None detects it from the file's signature, header and
        extension.
    column_map
        The file's column (name or 0-based index) for each quantity, keyed by a unit-suffixed
        name: ``time_s``/``time_min``/``time_h``, ``voltage_V``/``voltage_mV``,
        ``current_mA``/``current_A``/``current_uA``, ``step``, ``cycle``,
        ``capacity_mAh``/``capacity_Ah``/``capacity_C``, ``temperature_C``. It overrides the
        format's own map; for generic CSV it is how columns and units are told (a column
        whose name carries its unit, like ``I/mA`` or ``Current(A)``, is found without it).
    cycle_definition
        ``"file"``, ``"charge-first"`` or ``"discharge-first"`` (see the module docstring).
    delimiter
        For CSV: the delimiter; None sniffs it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cell.csv"
    >>> _ = path.write_text("time/s,Ewe/V,I/mA\\n0,3.0,1\\n60,3.1,1\\n120,3.0,-1\\n")
    >>> data = read_cycler(path)
    >>> data.current_mA.tolist(), data.cycle.tolist(), data.cycle_definition
    ([1.0, 1.0, -1.0], [1, 1, 1], 'charge-first')
    """
    where = str(path)
    check_input_file(path)
    if format is None:
        format = detect_cycler_format(path)
    check_choice(format, CYCLER_FORMATS, name="format")
    check_choice(cycle_definition, CYCLE_DEFINITIONS, name="cycle_definition")
    table, family = _READERS[format](path, delimiter)
    _refuse_impedance_only(table, where)
    columns = _resolve(table, _COLUMN_MAPS.get(family, {}), column_map or {})
    data = _assemble(table, columns, where)
    if family == "maccor":
        data["current_mA"] = np.where(_maccor_discharge(table), -1, 1) * data["current_mA"]
    data = _drop_nonfinite(data, where)
    _warn_time_going_back(data["time_s"], where)
    stated: str = cycle_definition
    if "cycle" not in data or cycle_definition != "file":
        if cycle_definition == "file":
            stated = "charge-first"
        data["cycle"] = cycles_from_current(data["current_mA"], step=data.get("step"),
                                            time_s=data["time_s"],
                                            first="charge" if stated == "charge-first"
                                            else "discharge")
    else:
        _warn_missing_cycles(data["cycle"], where)
    if "step" not in data:
        data["step"] = np.zeros(data["time_s"].size, dtype=int)
    extra = {k: v for k, v in data.items() if k not in CyclerData.columns}
    metadata = dict(table.metadata, columns={k: str(v) for k, v in columns.items()},
                    format=format)
    if stated != cycle_definition:
        metadata["cycle_note"] = "the file has no cycle index; cycles counted charge-first"
    return CyclerData(time_s=data["time_s"], voltage_V=data["voltage_V"],
                      current_mA=data["current_mA"], step=data["step"].astype(int),
                      cycle=data["cycle"].astype(int), extra=extra, source=where,
                      cycle_definition=stated, metadata=metadata)


def _refuse_impedance_only(table: RawTable, where: str) -> None:
    """An impedance sweep is not a cycling test: refuse a file whose rows are (almost) all
    at a non-zero frequency, instead of reporting capacities of the AC signal. Files that
    interleave impedance with cycling (a few such rows) pass."""
    for name in table.columns:
        if name.lower().replace(" ", "") in ("freq/hz", "frequency/hz", "freq(hz)", "frequency(hz)"):
            frequency = np.asarray(table.columns[name], dtype=float)
            ac = np.isfinite(frequency) & (frequency > 0)
            if frequency.size and ac.mean() > 0.9:
                raise InputError(
                    f"{where}: this is an impedance measurement ({int(ac.sum())} of "
                    f"{frequency.size} rows at frequencies {frequency[ac].min():.3g}-"
                    f"{frequency[ac].max():.3g} Hz), not a cycling test; read it with "
                    "`ssblab read spectrum` or analyse it with `ssblab eis fit`")
            return


def cycles_from_current(current_mA: np.ndarray, *, first: Literal["charge", "discharge"],
                        step: np.ndarray | None = None, time_s: np.ndarray | None = None
                        ) -> np.ndarray:
    """Cycle index (from 1) that starts a new cycle at each ``first`` half cycle that follows
    the other one.

    With ``step`` the state (charge, discharge, rest) is decided per run of constant step from
    the charge it passes (from the mean current when ``time_s`` is not given): a run passing
    less than 1 % of the largest run's charge is rest. This keeps the averaged AC current of an
    impedance step from counting as a half cycle. Without ``step`` each row is judged by the
    sign of its current. Rest keeps the state before it.

    Examples
    --------
    >>> cycles_from_current(np.array([0, 1, 1, 0, -1, -1, 0, 1, -1.]), first="charge").tolist()
    [1, 1, 1, 1, 1, 1, 1, 2, 2]
    """
    current = np.asarray(current_mA, dtype=float)
    if step is not None and current.size:
        starts = np.r_[0, np.flatnonzero(np.diff(np.asarray(step))) + 1]
        lengths = np.diff(np.r_[starts, current.size])
        if time_s is None:
            passed = np.add.reduceat(current, starts) / lengths
        else:
            dt = np.diff(np.asarray(time_s, dtype=float), append=float(time_s[-1]))
            passed = np.add.reduceat(current * dt, starts)
        run_state = np.sign(passed) * (np.abs(passed) > 0.01 * np.abs(passed).max(initial=0.0))
        state = np.repeat(run_state, lengths)
    else:
        scale = np.abs(current).max(initial=0.0)
        state = np.sign(current) * (np.abs(current) > 1e-6 * scale)
    active = np.flatnonzero(state)
    if active.size == 0:
        return np.ones(current.size, dtype=int)
    filled = state[active]
    sign = 1 if first == "charge" else -1
    new_cycle = np.zeros(current.size, dtype=int)
    new_cycle[active[1:]] = (filled[1:] == sign) & (filled[:-1] == -sign)
    return 1 + np.cumsum(new_cycle)


def _resolve(table: RawTable, defaults: dict, overrides: dict) -> dict[str, str]:
    columns = {}
    for key, value in overrides.items():
        check_choice(key, tuple(_UNITS), name="column_map key")
        columns[key] = find_column(table, (), requested=value, what=key)
    for key, aliases in defaults.items():
        target = _UNITS[key][1]
        if any(_UNITS[k][1] == target for k in columns):
            continue
        name = _first_present(table, aliases)
        if name is not None:
            columns[key] = name
    for quantity in _REQUIRED:
        if not any(k.startswith(quantity) for k in columns):
            found = _by_unit(table, quantity)
            if found is not None:
                columns[found[0]] = found[1]
    missing = [q for q in _REQUIRED if not any(k.startswith(q) for k in columns)]
    if missing:
        raise InputError(f"{table.source}: no {' / '.join(missing)} column found; columns are: "
                         f"{', '.join(table.columns)}; name them with column_map, e.g. "
                         "{'time_s': 'test_time', 'voltage_V': 'voltage', 'current_mA': 'current'}")
    return columns


def _first_present(table: RawTable, aliases) -> str | None:
    lowered = {n.lower(): n for n in table.columns}
    for alias in aliases:
        if alias in table.columns:
            return alias
        if alias.lower() in lowered:
            return lowered[alias.lower()]
    return None


_UNIT_IN_NAME = re.compile(r"(?:/|\(|\[|_)\s*(s|min|h|v|mv|a|ma|ua|µa)\s*[)\]]?$", re.IGNORECASE)
_UNIT_KEYS = {"time": {"s": "time_s", "min": "time_min", "h": "time_h"},
              "voltage": {"v": "voltage_V", "mv": "voltage_mV"},
              "current": {"a": "current_A", "ma": "current_mA", "ua": "current_uA",
                          "µa": "current_uA"}}
_QUANTITY_WORDS = {"time": ("time", "test_time", "testtime", "total time", "t"),
                   "voltage": ("voltage", "ewe", "ecell", "potential", "u", "e"),
                   "current": ("current", "i")}


def _by_unit(table: RawTable, quantity: str) -> tuple[str, str] | None:
    """A column whose name says both the quantity and its unit, e.g. 'I/mA', 'Voltage (V)'."""
    for name in table.columns:
        match = _UNIT_IN_NAME.search(name.strip())
        if not match:
            continue
        stem = normalise_name(name[:match.start()])
        unit = match.group(1).lower()
        if stem in _QUANTITY_WORDS[quantity] and unit in _UNIT_KEYS[quantity]:
            return _UNIT_KEYS[quantity][unit], name
    return None


def _assemble(table: RawTable, columns: dict[str, str], where: str) -> dict[str, np.ndarray]:
    data = {}
    for key, name in columns.items():
        factor, target = _UNITS[key]
        raw = table.columns[name]
        if raw.dtype.kind in "US":
            if key.startswith("time"):
                raw = _clock_to_s(raw, where, name)
            else:
                raise InputError(f"{where}: column {name!r} ({key}) is not numeric "
                                 f"(first value {raw[0]!r})")
        values = np.asarray(raw, dtype=float)
        data[target] = values * factor if factor != 1 else values
    return data


def _clock_to_s(values: np.ndarray, where: str, name: str) -> np.ndarray:
    """'H:MM:SS(.fff)' strings (hours may exceed 24) to seconds, vectorised."""
    import io

    try:
        hms = np.loadtxt(io.StringIO("\n".join(values.tolist())), delimiter=":", ndmin=2)
    except ValueError:
        raise InputError(f"{where}: column {name!r}: expected times as H:MM:SS, found "
                         f"{values[0]!r}") from None
    weights = np.array([3600.0, 60.0, 1.0])[-hms.shape[1]:]
    return hms @ weights


def _drop_nonfinite(data: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    bad = np.zeros(data["time_s"].size, dtype=bool)
    for key in ("time_s", "voltage_V", "current_mA", "step", "cycle"):
        if key in data:
            bad |= ~np.isfinite(data[key])
    if bad.any():
        rows = np.flatnonzero(bad)
        if bad.all():
            raise InputError(f"{where}: every row has NaN or infinite time, voltage or current")
        warnings.warn(f"{where}: dropped {rows.size} row(s) with NaN or infinite time, voltage, "
                      f"current, step or cycle: data rows {rows[:20].tolist()}"
                      + (" ..." if rows.size > 20 else ""), DataWarning, stacklevel=3)
        data = {k: v[~bad] for k, v in data.items()}
    return data


def _warn_time_going_back(time_s: np.ndarray, where: str) -> None:
    back = np.flatnonzero(np.diff(time_s) < 0)
    if back.size:
        warnings.warn(f"{where}: time goes back at {back.size} place(s), first at data row "
                      f"{back[0] + 1} ({time_s[back[0]]:g} s -> {time_s[back[0] + 1]:g} s); kept "
                      "as in the file", DataWarning, stacklevel=3)


def _warn_missing_cycles(cycle: np.ndarray, where: str) -> None:
    jumps = np.flatnonzero(np.diff(cycle) > 1)
    if jumps.size:
        gaps = [f"{int(cycle[i])} -> {int(cycle[i + 1])} at data row {i + 1}" for i in jumps[:5]]
        warnings.warn(f"{where}: the cycle index jumps ({'; '.join(gaps)}): cycle(s) missing "
                      "from the file; kept as numbered", DataWarning, stacklevel=3)


def _maccor_discharge(table: RawTable) -> np.ndarray:
    mode = find_column(table, ("md", "state"), what="Maccor mode (C/D/R)")
    return np.char.strip(np.asarray(table.columns[mode], dtype=str)) == "D"


# -- format readers: path -> (RawTable, column-map family) ------------------------------------


def _biologic_mpr(path, delimiter):
    return read_mpr(path), "biologic"


def _biologic_mpt(path, delimiter):
    return read_mpt(path), "biologic"


def _text_table(path, *, delimiter: str | None, header_pattern: str | None, fmt: str,
                text_columns: set[str] | None = None) -> RawTable:
    where = str(path)
    lines = read_text(Path(path)).splitlines()
    if header_pattern is not None:
        head = next((i for i, line in enumerate(lines) if re.match(header_pattern, line)), None)
    else:
        head = _find_header(lines, delimiter)
    if head is None:
        raise InputError(f"{where}: no header line of column names found"
                         + (f" (expected a line matching {header_pattern!r})"
                            if header_pattern else " before the numeric rows"))
    if delimiter is None:
        delimiter = next((d for d in ("\t", ";", ",") if d in lines[head]), None)
    body = head + 1
    while body < len(lines) and not lines[body].strip():
        body += 1
    names = [n.strip().strip('"') for n in
             lines[head].rstrip("\r\n").rstrip(delimiter or " ").split(delimiter)]
    names = [n or f"column_{i}" for i, n in enumerate(names)]
    columns = parse_mixed_block(lines[body:], names, delimiter=delimiter, where=where,
                                first_line=body + 1, text_columns=text_columns)
    return RawTable(columns, where, {"format": fmt, "header_line": head + 1})


def _find_header(lines: list[str], delimiter: str | None) -> int | None:
    """The last line before the first run of three fully numeric lines with its field count."""
    def numeric(line):
        fields = [f for f in re.split(delimiter or r"[\t;,]", line.strip()) if f.strip()]
        return bool(fields) and all(_number_like(f) for f in fields)

    for i in range(len(lines) - 1):
        if numeric(lines[i]) or not lines[i].strip():
            continue
        following = [line for line in lines[i + 1:i + 4] if line.strip()]
        if following and all(numeric(line) for line in following):
            return i
    return None


def _number_like(field: str) -> bool:
    field = field.strip().lower()
    if field in ("nan", "inf", "-inf", "+inf"):
        return True
    try:
        float(field.replace(",", "."))
    except ValueError:
        return bool(re.fullmatch(r"\d+:\d\d(:\d\d(\.\d*)?)?", field))
    return True


def _neware_csv(path, delimiter):
    return _text_table(path, delimiter=delimiter or ",", header_pattern=r".*Cycle Index",
                       fmt="neware-csv", text_columns={"Cumulative Time", "Total Time",
                                                       "Step Type", "Date"}), "neware-csv"


def _maccor(path, delimiter):
    table = _text_table(path, delimiter=delimiter or "\t", header_pattern=r"Rec\b",
                        fmt="maccor", text_columns={"Md", "State", "DPT Time"})
    _maccor_time_unit(table)
    return table, "maccor"


def _maccor_time_unit(table: RawTable) -> None:
    """Maccor exports TestTime in s, min or h depending on the export settings; the unit is
    read off the wall-clock column (DPT Time) over the whole file and converted to seconds."""
    test_time = find_column(table, ("testtime",), what="TestTime")
    clock = find_column(table, ("dpttime",), what="DPT Time", required=False)
    span = float(table.columns[test_time][-1] - table.columns[test_time][0])
    if clock is None or span <= 0:
        table.metadata["time_unit"] = "s (assumed: no DPT Time column)"
        return
    stamps = [datetime.datetime.strptime(str(table.columns[clock][i]).strip(),
                                         "%m/%d/%Y %I:%M:%S %p") for i in (0, -1)]
    ratio = (stamps[1] - stamps[0]).total_seconds() / span
    factor = min((1.0, 60.0, 3600.0), key=lambda f: abs(np.log(max(ratio, 1e-9) / f)))
    table.metadata["time_unit"] = {1.0: "s", 60.0: "min", 3600.0: "h"}[factor]
    table.columns[test_time] = table.columns[test_time] * factor


def _generic_csv(path, delimiter):
    return _text_table(path, delimiter=delimiter, header_pattern=None, fmt="csv"), "csv"


def _arbin_res(path, delimiter):
    access_parser = require_package("access_parser", extra="echem",
                                    purpose="Reading Arbin .res files (MS Access databases)")
    where = str(path)
    try:
        db = access_parser.AccessParser(str(path))
        raw = db.parse_table("Channel_Normal_Table")
    except Exception as exc:  # the parser raises many kinds on a damaged database
        raise InputError(f"{where}: cannot read the Arbin database: {exc}") from None
    if not raw or not any(len(v) for v in raw.values()):
        raise InputError(f"{where}: the Arbin Channel_Normal_Table is empty")
    columns = {name: np.asarray(values, dtype=float) for name, values in raw.items()
               if name in ("Test_Time", "Voltage", "Current", "Step_Index", "Cycle_Index",
                           "Charge_Capacity", "Discharge_Capacity", "Data_Point")}
    order = np.argsort(columns["Data_Point"], kind="stable") if "Data_Point" in columns else None
    if order is not None and (np.diff(order) != 1).any():
        columns = {k: v[order] for k, v in columns.items()}  # rows are stored unordered
    table = RawTable(columns, where, {"format": "arbin-res"})
    if "Charge_Capacity" in columns and "Discharge_Capacity" in columns:
        columns["capacity_mAh"] = 1e3 * (columns["Charge_Capacity"] - columns["Discharge_Capacity"])
    return table, "arbin"


def _neware_ndax(path, delimiter):
    from ssblab.echem.io.neware import read_ndax

    return read_ndax(path), "neware-ndax"


_READERS = {"biologic-mpr": _biologic_mpr, "biologic-mpt": _biologic_mpt,
            "neware-csv": _neware_csv, "maccor": _maccor, "csv": _generic_csv,
            "arbin-res": _arbin_res, "neware-ndax": _neware_ndax}
