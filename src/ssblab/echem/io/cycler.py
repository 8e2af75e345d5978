"""Cycler files as one tidy :class:`~ssblab.echem.cycler_data.CyclerData` table:
:func:`read_cycler`. Detection and the per-format readers and column maps live in
:mod:`~ssblab.echem.io.cycler_formats`, the text path in :mod:`~ssblab.echem.io.delimited`;
this module maps columns and units, signs currents and numbers cycles.

Columns and units: ``time_s`` from the start of the file, ``voltage_V``, ``current_mA`` positive
while charging (Maccor stores unsigned currents with a C/D mode column: discharge rows are
negated; a file whose step labels show positive discharge current is negated with a warning),
``step`` and ``cycle`` as ints, and in ``extra`` the instrument's capacity counter as
``capacity_mAh`` (Bio-Logic ``(Q-Qo)``, the charge passed since the start; Neware, Maccor and
Arbin step capacities; charge minus discharge capacity where a file has both) and any
temperature. The caller's ``column_map`` (``--map``) is applied before anything is probed.

Cycles (``cycle_definition``):

- ``"file"``: the instrument's own cycle index (Bio-Logic ``cycle number`` or, as EC-Lab
  numbers it, ``half cycle // 2``; Neware ``Cycle Index``, Arbin ``Cycle_Index``, Maccor
  ``Cyc#``). A file without one falls back to ``"charge-first"``, and the result says so in
  ``cycle_definition``.
- ``"charge-first"``: a cycle is a charge and the discharge after it; a new cycle starts at
  each charge that follows a discharge (rest rows belong to the half cycle before them). When
  the file has steps, charge/discharge/rest is decided per step from its mean current (see
  :func:`cycles_from_current`).
- ``"discharge-first"``: the same with the roles swapped (cells assembled charged).

Rows with NaN, infinite or implausible time, voltage, current, step or cycle (|I| > 1e7 mA,
a cycle index of 1.5 or 1e30) are dropped with a :class:`~ssblab.echem.io.DataWarning` naming
them; a jump in the file's cycle index (a missing cycle) and time going backwards are kept as
they are and warned about. Nothing else is changed.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import Literal

import numpy as np

from ssblab.echem.cycler_data import CYCLE_DEFINITIONS, CycleDefinition, CyclerData
from ssblab.echem.io._common import DataWarning, RawTable, normalise_name, read_head
from ssblab.echem.io.cycler_formats import (
    COLUMN_MAPS,
    CYCLER_FORMATS,
    READERS,
    CyclerFormat,
    biologic_current,
    biologic_cycles,
    detect_cycler_format,
)
from ssblab.echem.io.delimited import (
    CLOCK,
    TextTable,
    as_float64,
    as_strings,
    class_sums,
    first_value,
    is_text,
    text_classes,
    to_float,
)
from ssblab.errors import InputError, check_choice
from ssblab.files import check_input_file, max_input_bytes

__all__ = ["CYCLER_FORMATS", "CYCLE_DEFINITIONS", "cycles_from_current", "detect_cycler_format",
           "read_cycler"]

# Canonical key -> (unit factor to the CyclerData unit, target column).
_UNITS = {
    "time_s": (1.0, "time_s"), "time_min": (60.0, "time_s"), "time_h": (3600.0, "time_s"),
    "time_ms": (1e-3, "time_s"),
    "voltage_V": (1.0, "voltage_V"), "voltage_mV": (1e-3, "voltage_V"),
    "current_mA": (1.0, "current_mA"), "current_A": (1e3, "current_mA"),
    "current_uA": (1e-3, "current_mA"), "step": (1, "step"), "cycle": (1, "cycle"),
    "capacity_mAh": (1.0, "capacity_mAh"), "capacity_Ah": (1e3, "capacity_mAh"),
    "capacity_C": (1 / 3.6, "capacity_mAh"),
    "charge_capacity_mAh": (1.0, "charge_capacity_mAh"),
    "charge_capacity_Ah": (1e3, "charge_capacity_mAh"),
    "discharge_capacity_mAh": (1.0, "discharge_capacity_mAh"),
    "discharge_capacity_Ah": (1e3, "discharge_capacity_mAh"),
    "temperature_C": (1.0, "temperature_C"),
}
_REQUIRED = ("time", "voltage", "current")
# Beyond these the value is not a measurement (binary corruption, a wrong column): such rows
# are dropped and named. 1e7 mA = 10 kA; 1e4 V; 1e10 s = 300 years; 2**31 cycles or steps.
_PLAUSIBLE = {"time_s": 1e10, "voltage_V": 1e4, "current_mA": 1e7, "step": 2 ** 31,
              "cycle": 2 ** 31, "capacity_mAh": 1e9, "temperature_C": 1e4}
# Cycler-file columns that some formats need beside the mapped ones.
_FAMILY_EXTRA = {"maccor": ("State", "Md", "DPt Time", "DPT Time"), "biologic": ("P/W",)}


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
        ``capacity_mAh``/``capacity_Ah``/``capacity_C``, ``temperature_C`` (the CLI's
        ``--map KEY=COLUMN``). It is applied before anything else is looked up and overrides
        the format's own map. Columns named with their unit (``I/mA``, ``Current(A)``,
        ``Voltage [V]``, ``Capacity (Ah)``, a unit row under the header) are found without it;
        bare ``time`` and ``voltage`` are read in s and V (``metadata["units_assumed"]`` says
        so; a bare voltage above 100 is refused as mV), bare ``step`` and ``cycle`` as they
        are. A bare ``current`` is refused and a bare ``capacity`` left out
        (``metadata["capacity_note"]``), each with the ``--map`` entry that gives the unit.
    cycle_definition
        ``"file"``, ``"charge-first"`` or ``"discharge-first"`` (see the module docstring).
    delimiter
        For text files: the delimiter; None sniffs it.

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
    check_input_file(path)  # a FIFO or device would block or never end; size limit
    if read_head(path, 2) == _GZIP_MAGIC:
        return _read_gzipped(path, format=format, column_map=column_map,
                             cycle_definition=cycle_definition, delimiter=delimiter)
    if format is None:
        format = detect_cycler_format(path)
    check_choice(format, CYCLER_FORMATS, name="format")
    check_choice(cycle_definition, CYCLE_DEFINITIONS, name="cycle_definition")
    for key in column_map or {}:
        check_choice(key, tuple(_UNITS), name="--map key")
    table, family = READERS[format](path, delimiter)
    _refuse_impedance_only(table, where)
    if family == "biologic":
        biologic_cycles(table)
        biologic_current(table)
    open_circuit = (family == "biologic" and _is_open_circuit(table)) or \
        (family == "gamry" and "Im" not in table.columns)
    columns = _resolve(table, COLUMN_MAPS.get(family, {}), column_map or {}, format,
                       current_optional=open_circuit)
    label = None if family in ("maccor", "biologic") else \
        next((n for n in table.columns if normalise_name(str(n)) in _STEP_TYPE_NAMES), None)
    label_sums = None
    if isinstance(table, TextTable):
        current = next((v for k, v in columns.items() if k.startswith("current")), None)
        label_sums = _head_label_sums(table, label, current) if label is not None else None
        extra = [found for n in _FAMILY_EXTRA.get(family, ())  # 'MD' as well as 'Md'
                 if (found := _first_present(table, (n,))) is not None] + \
            ([label] if label is not None and label_sums is None else [])
        clock = {name: _clock_chunk_s for key, name in columns.items()
                 if key.startswith("time") and name not in table.layout.numeric}
        table.load(list(dict.fromkeys(list(columns.values()) + extra)), converters=clock)
    data = _assemble(table, columns, where, family)
    if family == "biologic" and "P/W" in table.columns and "voltage_V" in data and \
            "current_mA" in data:
        _refuse_zeroed_volts(data, table.columns["P/W"], columns["voltage_V"], where)
    if "capacity_mAh" not in data and "charge_capacity_mAh" in data and \
            "discharge_capacity_mAh" in data:
        data["capacity_mAh"] = data.pop("charge_capacity_mAh") - \
            data.pop("discharge_capacity_mAh")
    for key in ("step", "cycle", "capacity_mAh", "temperature_C"):
        if key in data and not np.isfinite(data[key]).any():
            del data[key]  # an empty optional column (some Arbin CSV exports): as if absent
            columns = {k: v for k, v in columns.items() if _UNITS[k][1] != key}
    if "current_mA" not in data:
        data["current_mA"] = np.zeros(data["time_s"].size)
        table.metadata["current_note"] = "open-circuit record without a current column: 0 mA"
    if family == "maccor":
        data["current_mA"] = _maccor_signed(table, data["current_mA"], where)
        if "voltage_V" not in (column_map or {}):
            data["voltage_V"] = _maccor_volts(table, columns, data["voltage_V"], where)
    if label is not None:
        _sign_from_step_type(table, data, where, label, label_sums)
    if family == "neware-xls" and "step" in data:
        from ssblab.echem.io.neware import _summed_step_time

        run = np.r_[0, np.cumsum(np.diff(data["step"]) != 0)]
        data["time_s"] = _summed_step_time(data["time_s"], run)
        table.metadata["time_note"] = "test time summed from the step times"
    assumed_volts = table.metadata.pop("_voltage_assumed", None)
    metadata_source = dict(table.metadata)
    table.columns.clear()  # the file's own columns: no longer needed, their memory is freed
    data = _drop_unusable(data, where)
    if assumed_volts is not None:
        _check_assumed_volts(data["voltage_V"], assumed_volts, where)
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
    metadata = dict(metadata_source, columns={k: str(v) for k, v in columns.items()},
                    format=format)
    if stated != cycle_definition:
        metadata["cycle_note"] = "the file has no cycle index; cycles counted charge-first"
    return CyclerData(time_s=data["time_s"], voltage_V=data["voltage_V"],
                      current_mA=data["current_mA"], step=data["step"].astype(int, copy=False),
                      cycle=data["cycle"].astype(int, copy=False), extra=extra, source=where,
                      cycle_definition=stated, metadata=metadata)


_GZIP_MAGIC = b"\x1f\x8b"


def _read_gzipped(path: str | Path, **options) -> CyclerData:
    """A gzip-compressed export (``run.res.gz``, ``log.csv.gz``), inflated to a temporary file
    named without ``.gz`` (its extension still helps detection) and read as that; messages and
    warnings name the ``.gz`` file. The inflated size is held to the input size limit."""
    import dataclasses
    import gzip
    import tempfile
    import zlib

    where = str(path)
    name = Path(path).name
    inner = name[:-3] if name.lower().endswith(".gz") and len(name) > 3 else name + ".out"
    limit = max_input_bytes("table")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / inner
        written = 0
        try:
            with gzip.open(path, "rb") as source, out.open("wb") as target:
                while block := source.read(1 << 20):
                    written += len(block)
                    if written > limit:
                        raise InputError(f"{where}: inflates to more than the {limit} byte "
                                         "input limit (raise it with SSBLAB_MAX_INPUT_BYTES)")
                    target.write(block)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{where}: a gzip file that cannot be inflated ({exc}); check the "
                             "download, or decompress it with gunzip and read the result") \
                from None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                data = read_cycler(out, **options)
            except InputError as exc:
                raise InputError(str(exc).replace(str(out), where)) from None
    for warning in caught:
        warnings.warn(str(warning.message).replace(str(out), where), warning.category,
                      stacklevel=3)
    return dataclasses.replace(data, source=where,
                               metadata=dict(data.metadata, compression="gzip"))


def _refuse_impedance_only(table: RawTable, where: str) -> None:
    """An impedance sweep is not a cycling test: refuse a file whose rows are (almost) all
    at a non-zero frequency, instead of reporting capacities of the AC signal. Files that
    interleave impedance with cycling (a few such rows) pass."""
    for name in table.columns:
        if name.lower().replace(" ", "") in ("freq/hz", "frequency/hz", "freq(hz)", "frequency(hz)"):
            if isinstance(table, TextTable):  # text columns are read when first asked for
                table.load([name])
            try:
                frequency = to_float(table.columns[name], where=where, name=name)
            except InputError:
                return  # not a numeric frequency column: nothing to say here
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


def _is_open_circuit(table: RawTable) -> bool:
    """An OCV technique, or a file without any current column whose every row is in EC-Lab's
    mode 3 (rest; 1 is CC, 2 CV), as the OCV steps of a Modulo Bat file are stored."""
    technique = str(table.metadata.get("technique", "")).lower()
    if technique.startswith(("ocv", "open circuit")):
        return True
    currents = COLUMN_MAPS["biologic"]["current_mA"]
    if "mode" not in table.columns or any(name in table.columns for name in currents):
        return False
    if isinstance(table, TextTable):
        table.load(["mode"])
    mode = table.columns["mode"]
    if is_text(mode):
        return False
    mode = np.asarray(mode)
    return bool(mode.size) and bool((mode == 3).all())


def _resolve(table: RawTable, defaults: dict, overrides: dict, fmt: str, *,
             current_optional: bool = False) -> dict[str, str]:
    columns = {}
    for key, value in overrides.items():
        columns[key] = _requested(table, value, key)
    for key, aliases in defaults.items():
        target = _UNITS[key][1]
        if any(_UNITS[k][1] == target for k in columns):
            continue
        name = _first_present(table, aliases)
        if name is not None:
            columns[key] = name
    for quantity in _REQUIRED:
        if not any(k.startswith(quantity) for k in columns):
            found = _by_unit(table, quantity) or _by_bare_name(table, quantity)
            if found is not None:
                columns[found[0]] = found[1]
    for quantity in ("step", "cycle"):
        if quantity not in columns:
            name = _first_normalised(table, COLUMN_MAPS["csv"][quantity])
            if name is not None:
                columns[quantity] = name
    if defaults is COLUMN_MAPS["csv"] and \
            not any(_UNITS[k][1].endswith("capacity_mAh") for k in columns):
        found = _by_unit(table, "capacity")
        if found is not None:
            columns[found[0]] = found[1]
        elif (bare := _by_bare_name(table, "capacity")) is not None:
            # mAh or Ah: a factor of 1000 is not guessed, and the column is optional
            table.metadata["capacity_note"] = (
                f"the capacity column {bare[1]!r} has no unit and was not read; give it with "
                f"--map capacity_mAh={bare[1]} or --map capacity_Ah={bare[1]}")
    missing = [q for q in _REQUIRED if not any(k.startswith(q) for k in columns)
               and not (q == "current" and current_optional)]
    if missing and _is_cycle_summary(table):
        raise InputError(f"{table.source}: a per-cycle summary (one row per cycle: "
                         f"{', '.join(str(c) for c in list(table.columns)[:8])}), not a record "
                         "of time, voltage and current; read the record it summarises "
                         "(ssblab counts the cycles itself)")
    if missing:
        shown = ", ".join(str(c) for c in list(table.columns)[:40])
        example = {"time": "--map time_s=Test_Time", "voltage": "--map voltage_V=Voltage",
                   "current": "--map current_A=Current"}
        raise InputError(f"{table.source}: no {' / '.join(missing)} column found in this "
                         f"{fmt} file; columns are: {shown}"
                         f"{' ...' if len(table.columns) > 40 else ''}; name them with "
                         f"{' '.join(example[q] for q in missing)} (the unit goes in the key: "
                         "time_s|time_min|time_h|time_ms, voltage_V|voltage_mV, "
                         "current_A|current_mA|current_uA)")
    bare_current = [name for key, name in columns.items() if key == "current_A"
                    and key not in overrides and defaults is COLUMN_MAPS["csv"]
                    and not _UNIT_IN_NAME.search(str(name))
                    and str(name).strip().lower() not in _AMPERE_NAMES]
    if bare_current:
        # A bare 'current' is A in some labs' exports and mA in others; a factor of 1000 is
        # not guessed.
        raise InputError(f"{table.source}: the current column {bare_current[0]!r} has no unit; "
                         f"give it with --map current_A={bare_current[0]} or --map "
                         f"current_mA={bare_current[0]} (time and voltage columns without a unit "
                         "are read in s and V)")
    bare = [f"{name!r} in {key.split('_')[1]}" for key, name in columns.items()
            if key not in overrides and key in ("time_s", "voltage_V")
            and defaults is COLUMN_MAPS["csv"] and not _UNIT_IN_NAME.search(str(name))]
    if bare:
        table.metadata["units_assumed"] = ", ".join(bare)
        if any(text.endswith(" in V") for text in bare):
            table.metadata["_voltage_assumed"] = columns["voltage_V"]
    return columns


def _is_cycle_summary(table: RawTable) -> bool:
    """A table of per-cycle totals (a cycle index beside charge and discharge capacity and
    the voltage or current extremes of each cycle), as cycler software and BatteryArchive
    export next to the record."""
    names = [re.sub(r"[\s_]+", " ", str(name)).lower() for name in table.columns]

    def has(*words):
        return any(all(word in name for word in words) for name in names)

    return has("cycle") and has("charge", "capacity") and has("discharge", "capacity") and \
        (has("min", "voltage") or has("max", "voltage") or has("max", "current"))


def _refuse_zeroed_volts(data: dict, power_W, name: str, where: str) -> None:
    """EC-Lab writes P/W from the same potential and current it records: rows whose potential
    is exactly 0 V while current flows and P/W is not 0 contradict the file itself (a
    damaged export, seen in one of biologic-converter's test files), and are refused rather
    than read as a 0 V cell."""
    if is_text(power_W):
        return
    power = np.asarray(power_W, dtype=float)
    volts, current = data["voltage_V"], data["current_mA"]
    if power.shape != volts.shape:
        return
    bad = (volts == 0) & (current != 0) & np.isfinite(power) & (power != 0)
    if bad.any():
        rows = np.flatnonzero(bad)
        implied = float(np.median(np.abs(power[rows] / (current[rows] * 1e-3))))
        raise InputError(f"{where}: the potential column {name!r} reads exactly 0 V in "
                         f"{rows.size} of {volts.size} rows (data rows {rows[0]}..{rows[-1]}) "
                         f"where current flows and the file's own P/W gives about "
                         f"{implied:.3g} V: a damaged export; read the .mpr it was exported "
                         "from, or export it again from EC-Lab")


def _check_assumed_volts(voltage_V: np.ndarray, name: str, where: str) -> None:
    """A voltage column without a unit is read in V; values that no cell reaches in V (a bare
    column in mV) are refused rather than reported as kilovolts."""
    largest = float(np.max(np.abs(voltage_V), initial=0.0))
    if largest > _ASSUMED_VOLTS_MAX:
        raise InputError(f"{where}: the voltage column {name!r} has no unit and reaches "
                         f"{largest:g}, which is no cell voltage in V; give its unit with "
                         f"--map voltage_mV={name} (or --map voltage_V={name} if it is in V)")


_ASSUMED_VOLTS_MAX = 100.0  # V: above any lab cell or small stack; a bare mV column is 1e3-5e3


def _requested(table: RawTable, value, key: str) -> str:
    names = list(table.columns)
    if isinstance(value, int) and not isinstance(value, bool):
        if not -len(names) <= value < len(names):
            raise InputError(f"{table.source}: --map {key}={value}: column index out of range; "
                             f"the file has {len(names)} columns")
        return names[value]
    for name in names:
        if name == str(value):
            return name
    for name in names:
        if name.lower() == str(value).lower() or \
                normalise_name(name) == normalise_name(str(value)):
            return name
    raise InputError(f"{table.source}: --map {key}={value}: no such column; columns are: "
                     f"{', '.join(names[:40])}")


def _first_present(table: RawTable, aliases) -> str | None:
    lowered = {n.lower(): n for n in reversed(list(table.columns))}
    for alias in aliases:
        if alias in table.columns:
            return alias
        if alias.lower() in lowered:
            return lowered[alias.lower()]
    return None


def _first_normalised(table: RawTable, aliases) -> str | None:
    normalised = {normalise_name(n): n for n in reversed(list(table.columns))}
    for alias in aliases:
        key = re.sub(r"\s+", "", alias.lower())
        if key in normalised:
            return normalised[key]
    return None


# Units as symbols, and as words: the Battery Data Format's machine-readable names
# (test_time_second or test_time_millisecond, voltage_volt, current_ampere) and unit rows such
# as 'second amp volt'.
_UNIT_IN_NAME = re.compile(r"(?:/|\(|\[|_|\s)\s*(s|sec|second|ms|millisecond|min|h|hr|v|volt|mv|a"
                           r"|amp|ampere|ma|ua|µa|mah|ah|ma\.h|a\.h)\s*[)\]]?$", re.IGNORECASE)
_UNIT_KEYS = {"time": {"s": "time_s", "sec": "time_s", "second": "time_s", "min": "time_min",
                       "h": "time_h", "hr": "time_h", "ms": "time_ms", "millisecond": "time_ms"},
              "voltage": {"v": "voltage_V", "volt": "voltage_V", "mv": "voltage_mV"},
              "current": {"a": "current_A", "amp": "current_A", "ampere": "current_A",
                          "ma": "current_mA", "ua": "current_uA", "µa": "current_uA"},
              "capacity": {"mah": "capacity_mAh", "ma.h": "capacity_mAh", "ah": "capacity_Ah",
                           "a.h": "capacity_Ah"}}
_QUANTITY_WORDS = {"time": ("time", "test_time", "testtime", "totaltime", "t", "runtime",
                            "test time", "total time", "run time", "elapsedtime", "elapsed time",
                            "time_s"),
                   "voltage": ("voltage", "ewe", "ecell", "potential", "u", "e", "volts", "v",
                               "cellvoltage", "cell voltage"),
                   "current": ("current", "i", "amps", "amp", "cellcurrent"),
                   "capacity": ("capacity", "cap", "cap.", "q", "q-qo", "(q-qo)", "netcapacity",
                                "net capacity")}


def _by_unit(table: RawTable, quantity: str) -> tuple[str, str] | None:
    """A column whose name says both the quantity and its unit, e.g. 'I/mA', 'Voltage (V)'."""
    for name in table.columns:
        name = str(name)
        match = _UNIT_IN_NAME.search(name.strip())
        if not match:
            continue
        stem = re.sub(r"[\s_]+", "", name[:match.start()].strip().lower())
        unit = match.group(1).lower()
        words = {re.sub(r"[\s_]+", "", w) for w in _QUANTITY_WORDS[quantity]}
        if stem in words and unit in _UNIT_KEYS[quantity]:
            return _UNIT_KEYS[quantity][unit], name
    return None


# A column named by the unit itself ('amps', as Maccor and galv name it) says amperes.
_AMPERE_NAMES = ("amps", "amp", "ampere", "amperes")


def _by_bare_name(table: RawTable, quantity: str) -> tuple[str, str] | None:
    """A column named only by its quantity ('time', 'Voltage', 'current'): s, V and A."""
    words = {re.sub(r"[\s_]+", "", w) for w in _QUANTITY_WORDS[quantity]} - {"t", "e", "u", "i",
                                                                              "v", "q"}
    for name in table.columns:
        if re.sub(r"[\s_]+", "", str(name).strip().lower()) in words:
            key = {"time": "time_s", "voltage": "voltage_V", "current": "current_A",
                   "capacity": "capacity_mAh"}[quantity]
            return key, name
    return None


def _assemble(table: RawTable, columns: dict[str, str], where: str,
              family: str) -> dict[str, np.ndarray]:
    data = {}
    first_line = table.metadata.get("data_line", 1)
    for key, name in columns.items():
        factor, target = _UNITS[key]
        raw = table.columns[name]
        clock = False  # a time written as a clock ('0d 01:02:03') carries its own unit
        if name in getattr(table, "converted", ()) and key.startswith("time"):
            factor, clock = 1.0, True  # clock times, read as seconds
        elif is_text(raw):
            if key.startswith("time"):
                raw, factor, clock = _text_time_s(raw, where, name), 1.0, True
            else:
                raw = to_float(raw, where=where, name=name, first_line=first_line)
        if key in ("step", "cycle") and isinstance(raw, np.ndarray) and raw.dtype.kind in "iu":
            data[target] = raw.astype(np.int64, copy=False)  # whole numbers: no float trip
            continue
        values = np.asarray(raw, dtype=float)
        if key.startswith("time") and family == "maccor" and factor == 1.0 and not clock and \
                "sec" not in name.lower() and raw.dtype.kind in "fiu":
            factor = _maccor_time_factor(table, values, where)
        if factor != 1 and isinstance(table, TextTable) and values is raw and \
                values.flags.writeable and \
                list(columns.values()).count(name) == 1:
            values *= factor  # the reader's own buffer: scaled in place, no second copy
            data[target] = values
        else:
            data[target] = values * factor if factor != 1 else values
    return data


_CLOCK = r"^\s*(?:(\d+)\s*d\s*)?(\d+):(\d+)(?::(\d+(?:[.,]\d*)?))?\s*$"


def _text_time_s(values: np.ndarray, where: str, name: str) -> np.ndarray:
    """Times written as text: 'H:MM:SS(.fff)' (hours may pass 24), Maccor's '1d 02:03:04.5',
    or date stamps (seconds from the first row)."""
    chunks = getattr(values, "chunks", None) or [as_strings(values)]
    seconds = np.empty(len(values))
    start = 0
    for chunk in chunks:  # batch by batch, into one array: small temporaries
        if not len(chunk):
            continue
        part = _clock_chunk_s(chunk, first=start == 0)
        if part is None:
            break  # not clock times: date stamps
        seconds[start:start + len(chunk)] = part
        start += len(chunk)
    else:
        return seconds
    stamps = _parse_dates(values, where, name)
    return (stamps - stamps[np.isfinite(stamps)][0]) if np.isfinite(stamps).any() else stamps


def _clock_chunk_s(chunk, *, first: bool) -> np.ndarray | None:
    """Seconds of one chunk of clock-time text ('H:MM:SS(.fff)', '1d 02:03:04.5', and the
    ':D:HH:MM:SS' of Maccor's Excel-style exports; NaN where a field has another form); None
    when ``first`` and most fields are not clock times."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunk = as_strings(chunk)
    total = np.empty(len(chunk))
    if _plain_clock_seconds(chunk, total):
        return total
    parts = pc.extract_regex(chunk, r"^(?:(?P<d>\d+)\s*d\s*|:(?P<e>\d+):)?(?P<h>\d+):"
                                    r"(?P<m>\d+)(?::(?P<s>\d+(?:[.,]\d*)?))?$")
    if first and parts.null_count >= len(parts) * 0.5:
        return None
    total[:] = 0.0
    for field, weight in (("d", 86400.0), ("e", 86400.0), ("h", 3600.0), ("m", 60.0),
                          ("s", 1.0)):
        column = pc.replace_substring_regex(pc.struct_field(parts, field), "^$", "0")
        column = pc.replace_substring(column, ",", ".")
        total += weight * as_float64(pc.cast(column, pa.float64()))
    return total


_clock_chunk_s.compiled_form = CLOCK  # plain 'H:MM:SS' fields: whole seconds, as the compiled
# parser of delimited text reads them itself


def _plain_clock_seconds(strings, out: np.ndarray) -> bool:
    """Write the seconds of a text chunk into ``out`` when every field is a plain 'H:MM:SS'
    (1-9 hour digits, as Neware writes them), checked and read off the Arrow buffers digit
    by digit (2.2M rows: 0.08 s CPU, 0.2 s with RE2 checking the form, 1.7-1.8 s by the
    regular expression alone); False, writing nothing, for any other form."""
    import pyarrow as pa

    n = len(strings)
    if strings.null_count:
        return False
    if n == 0:
        return True
    wide = pa.types.is_large_string(strings.type)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64 if wide else np.int32,
                            count=n + 1, offset=strings.offset * (8 if wide else 4))
    if not _plain_clock_layout(offsets, strings.buffers()[2]):
        return False
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)
    end = offsets[1:].astype(np.int64)

    def digit(at):
        return data[at].astype(np.float64) - 48.0

    out[:] = 10 * digit(end - 2) + digit(end - 1) + 60 * (10 * digit(end - 5) + digit(end - 4))
    first, scale = offsets[:-1], 3600.0
    for at in range(1, 10):  # hour digits, right to left
        position = end - 6 - at
        inside = position >= first
        if not inside.any():
            break
        out += scale * np.where(inside, digit(np.where(inside, position, 0)), 0.0)
        scale *= 10
    return True


def _plain_clock_layout(offsets: np.ndarray, buffer) -> bool:
    r"""Whether every string between ``offsets`` matches ``^\d{1,9}:\d\d:\d\d$``, checked on
    the bytes (a tenth of the regular expression's time): 7-15 bytes, ':' three and six from
    the end, exactly two ':' a string, the other bytes ASCII digits."""
    lengths = np.diff(offsets)
    if lengths.min() < 7 or lengths.max() > 15:
        return False
    data = np.frombuffer(buffer, dtype=np.uint8)[offsets[0]:offsets[-1]]
    colon = data == ord(":")
    if not ((data - np.uint8(ord("0")) < 10) | colon).all():
        return False
    end = offsets[1:] - offsets[0]
    return int(np.count_nonzero(colon)) == 2 * len(lengths) and \
        bool(colon[end - 3].all()) and bool(colon[end - 6].all())


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M:%S",
                 "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p",
                 "%d/%m/%Y %I:%M:%S %p", "%d-%b-%y %I:%M:%S %p", "%Y-%m-%d %I:%M:%S %p",
                 "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S")


def _parse_dates(values: np.ndarray, where: str, name: str) -> np.ndarray:
    """Date stamps to Unix seconds (NaN where a row does not parse), trying the usual formats
    and keeping the one that parses the most rows in time order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = as_strings(values)
    parts = pc.extract_regex(strings, r"^(?P<w>.*?\d:\d\d:\d\d)(?P<f>[.,]\d+)?(?P<ampm>\s*[AaPp][Mm])?$")
    fraction = pc.struct_field(parts, "f")
    fraction = pc.if_else(pc.equal(pc.fill_null(fraction, ""), ""), "0", fraction)
    seconds_frac = pc.cast(pc.replace_substring(fraction, ",", "."),
                           pa.float64()).to_numpy(zero_copy_only=False)
    whole = pc.if_else(pc.is_null(parts), strings,
                       pc.binary_join_element_wise(pc.struct_field(parts, "w"),
                                                   pc.fill_null(pc.struct_field(parts, "ampm"),
                                                                ""), ""))
    best, best_score = None, (-1, 0)
    for fmt in _DATE_FORMATS:
        parsed = pc.strptime(whole, format=fmt, unit="ms", error_is_null=True)
        n_ok = len(parsed) - parsed.null_count
        if n_ok == 0:
            continue
        seconds = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(float) / 1e3
        ordered = int(np.sum(np.diff(seconds[np.isfinite(seconds)]) >= 0))
        if (n_ok, ordered) > best_score:
            best, best_score = seconds, (n_ok, ordered)
    if best is None:
        raise InputError(f"{where}: column {name!r}: expected times (H:MM:SS, '1d 02:03:04' or "
                         f"a date stamp), found {first_value(values)!r}; map a numeric time "
                         "column with "
                         "--map time_s=COLUMN")
    return best + np.nan_to_num(seconds_frac)


def _maccor_time_factor(table: RawTable, test_time: np.ndarray, where: str) -> float:
    """Maccor writes a bare TestTime in s, min or h depending on the export settings; the unit
    is read off the wall-clock column (DPT Time) over the whole file."""
    clock = _first_present(table, ("DPt Time", "DPT Time"))
    finite = test_time[np.isfinite(test_time)]
    span = float(finite[-1] - finite[0]) if finite.size else 0.0
    stamps = None
    if clock is not None and table.columns.get(clock) is not None and span > 0:
        values = table.columns[clock]
        try:
            ends = as_strings(values).take([0, len(values) - 1]) if is_text(values) else None
            stamps = _parse_dates(ends, where, clock) if ends is not None else None
        except InputError:
            stamps = None
    if stamps is None or not np.isfinite(stamps).all() or stamps[1] <= stamps[0]:
        table.metadata["time_unit"] = "s (assumed: no readable DPT Time column)"
        warnings.warn(f"{where}: the Maccor test time has no unit and the wall clock (DPT Time) "
                      "cannot tell it; read in seconds. If wrong, give --map time_min=TestTime "
                      "or --map time_h=TestTime", DataWarning, stacklevel=4)
        return 1.0
    ratio = (stamps[1] - stamps[0]) / span
    factor = min((1.0, 60.0, 3600.0), key=lambda f: abs(np.log(max(ratio, 1e-9) / f)))
    table.metadata["time_unit"] = {1.0: "s", 60.0: "min", 3600.0: "h"}[factor]
    return factor


def _maccor_volts(table: RawTable, columns: dict[str, str], voltage_V: np.ndarray,
                  where: str) -> np.ndarray:
    """MacTest's milli-unit export ('mAmps', 'mAmp-hr', 'mWatt-hr') writes 'Volts' in mV too
    (cellpy reads its 'maccor_txt_three' layout so; 1853 for a 1.85 V cell): such a column is
    read as mV when no value of it could be volts. In any other export a 'Volts' column beyond
    any cell voltage is refused, not reported in kilovolts."""
    name = columns.get("voltage_V")
    finite = voltage_V[np.isfinite(voltage_V)]
    largest = float(np.max(np.abs(finite), initial=0.0))
    if name is None or largest <= _ASSUMED_VOLTS_MAX:
        return voltage_V
    if columns.get("current_mA") == "mAmps":
        table.metadata["voltage_note"] = (f"{name!r} read as mV (a milli-unit Maccor export: "
                                          f"'mAmps', values up to {largest:g})")
        return voltage_V * 1e-3
    raise InputError(f"{where}: the voltage column {name!r} reaches {largest:g}, which is no "
                     f"cell voltage in V; if it holds mV, give --map voltage_mV={name}")


def _maccor_signed(table: RawTable, current_mA: np.ndarray, where: str) -> np.ndarray:
    """Maccor stores unsigned currents with a mode column (State or Md: C, D, R ...): discharge
    rows are negated. Exports that already sign the current (negative values) are kept, unless
    their mode column shows them discharge-positive (D rows positive, C rows not): negated
    with a warning."""
    mode = _first_present(table, ("State", "Md"))
    if (current_mA < 0).any():
        if mode is None or not is_text(table.columns.get(mode)):
            return current_mA
        classes = text_classes(table.columns[mode], {"D": "^D$", "C": "^C$"})
        if current_mA[classes["D"]].sum() > 0 and current_mA[classes["C"]].sum() <= 0:
            warnings.warn(f"{where}: rows in {mode!r} state D (discharge) carry positive current "
                          "and C rows negative: the export is discharge-positive; negated",
                          DataWarning, stacklevel=4)
            table.metadata["sign_note"] = f"negated: the file's {mode!r} D rows carry positive " \
                                          "current"
            return -current_mA
        return current_mA
    if mode is None:
        warnings.warn(f"{where}: Maccor currents are unsigned and the file has no State/Md "
                      "column to tell discharge from charge: all currents read as charge",
                      DataWarning, stacklevel=4)
        return current_mA
    discharge = text_classes(table.columns[mode], {"D": "^D$"})["D"]
    return np.where(discharge, -current_mA, current_mA)


_STEP_TYPE_NAMES = ("steptype", "status", "step_type", "mode")
_LABEL_CLASSES = {"discharge": "dis|dchg", "charge": "chg|charge"}  # first match wins


def _sign_from_step_type(table: RawTable, data: dict, where: str, name: str,
                         sums: dict | None = None) -> None:
    """Where a file labels its steps (Step Type / Status: charge, CC_DChg, ...), the labels
    decide the current's sign convention: a file whose discharge rows carry positive current
    (and charge rows none or negative) is discharge-positive, and is negated with a warning.
    ``sums`` (current summed per label class) may come from the head of the file
    (:func:`_head_label_sums`); else the whole label column is read."""
    current = data["current_mA"]
    if sums is None:
        if isinstance(table, TextTable):
            table.load([name])
        labels = table.columns[name]
        if not is_text(labels) or len(labels) != current.size:
            return
        sums = class_sums(labels, current, _LABEL_CLASSES)
    dis_sign = np.sign(sums["discharge"])
    chg_sign = np.sign(sums["charge"])
    if dis_sign > 0 and chg_sign <= 0:
        data["current_mA"] = -current
        table.metadata["sign_note"] = f"negated: the file's {name!r} labels show discharge " \
                                      "rows with positive current"
        warnings.warn(f"{where}: rows labelled discharge in {name!r} carry positive current: "
                      "the file is discharge-positive; currents negated to ssblab's "
                      "charge-positive convention", DataWarning, stacklevel=4)


def _head_label_sums(table: TextTable, label: str, current: str | None) -> dict | None:
    """The current summed per label class over the data lines of the file's first 256 kB,
    when they hold charge and discharge rows that both pass current; None (read the whole
    label column) otherwise. A file's sign convention does not change along it, and skipping
    the label column saves a fifth of the read of a big file (docs/benchmarks.md)."""
    layout = table.layout
    if current is None or current not in layout.numeric:
        return None
    i, j = layout.names.index(label), layout.names.index(current)
    width = len(layout.names)
    kinds: dict = {}
    sums = dict.fromkeys(_LABEL_CLASSES, 0.0)
    for line in layout.head:
        fields = line.rstrip("\r").split(layout.delimiter)
        if len(fields) != width:
            continue
        text = fields[i].strip().strip('"')
        kind = kinds.get(text)
        if kind is None:
            kind = kinds[text] = next((k for k, pattern in _LABEL_CLASSES.items()
                                       if re.search(pattern, text, re.IGNORECASE)), "")
        if kind:
            try:
                value = float(fields[j].strip().strip('"').replace(layout.decimal, "."))
            except ValueError:
                continue
            if math.isfinite(value):
                sums[kind] += value
    return sums if sums["discharge"] and sums["charge"] else None


def _within(values: np.ndarray, limit: float, *, whole: bool):
    """All values finite and within +-limit, and (``whole``) whole numbers: returns False, or
    the values (as int64 when ``whole``)."""
    low, high = values.min(), values.max()  # NaN propagates into both
    if not (-limit <= low and high <= limit):
        return False
    if not whole or values.dtype.kind in "iu":
        return values
    ints = values.astype(np.int64)
    return ints if (ints == values).all() else False


def _drop_unusable(data: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    """Rows with NaN/inf, implausible magnitudes or non-integer step/cycle are dropped and
    named; when every row is unusable the file is refused."""
    n = data["time_s"].size
    bad = np.zeros(n, dtype=bool)
    reasons = []
    for key, limit in _PLAUSIBLE.items():
        if key not in data:
            continue
        values = data[key]
        checked = _within(values, limit, whole=key in ("step", "cycle")) if values.size \
            else False
        if checked is not False:  # the common case: two reductions, no row masks
            data[key] = checked
            continue
        with np.errstate(invalid="ignore"):
            # NaN compares False: one pass finds NaN, inf and out-of-range values
            wrong = ~(np.abs(values) <= limit) if key in CyclerData.columns else \
                np.abs(values) > limit
            if key in ("step", "cycle"):
                wrong |= values != np.floor(values)
        if wrong.any():
            reasons.append(f"{key} ({int(wrong.sum())})")
            bad |= wrong
    if bad.any():
        rows = np.flatnonzero(bad)
        if bad.all():
            raise InputError(f"{where}: no usable row: every row has NaN, infinite or "
                             f"implausible values in {', '.join(reasons)}")
        warnings.warn(f"{where}: dropped {rows.size} row(s) with NaN, infinite or implausible "
                      f"values (|current| > 1e7 mA, |voltage| > 1e4 V, step or cycle not a whole "
                      f"number) in {', '.join(reasons)}: data rows {rows[:20].tolist()}"
                      + (" ..." if rows.size > 20 else ""), DataWarning, stacklevel=3)
        data = {k: v[~bad] for k, v in data.items()}
    return data


def _warn_time_going_back(time_s: np.ndarray, where: str) -> None:
    back = np.flatnonzero(time_s[1:] < time_s[:-1])  # a mask, not a float array of steps
    if back.size:
        warnings.warn(f"{where}: time goes back at {back.size} place(s), first at data row "
                      f"{back[0] + 1} ({time_s[back[0]]:g} s -> {time_s[back[0] + 1]:g} s); kept "
                      "as in the file", DataWarning, stacklevel=3)


def _warn_missing_cycles(cycle: np.ndarray, where: str) -> None:
    changes = np.flatnonzero(cycle[1:] != cycle[:-1])  # few: the jumps are looked for there
    jumps = changes[cycle[changes + 1] - cycle[changes] > 1]
    if jumps.size:
        gaps = [f"{int(cycle[i])} -> {int(cycle[i + 1])} at data row {i + 1}" for i in jumps[:5]]
        warnings.warn(f"{where}: the cycle index jumps ({'; '.join(gaps)}): cycle(s) missing "
                      "from the file; kept as numbered", DataWarning, stacklevel=3)


