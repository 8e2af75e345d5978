"""Cycler file formats: detection and one reader per format, each returning the file's own
columns as a :class:`~ssblab.echem.io._common.RawTable` and the name of its column map.

Text exports (Neware, Maccor, Arbin CSV, BaSyTec, Novonix, PEC, generic CSV/TSV) all go
through :mod:`ssblab.echem.io.delimited`, which reads only the columns the map needs. Binary
formats: Bio-Logic ``.mpr`` (:mod:`~ssblab.echem.io.biologic`), Neware ``.ndax`` (native) and
``.nda`` (NewareNDA), Arbin ``.res`` (``mdb-export`` from mdbtools when installed, else
access-parser), Excel ``.xlsx``/``.xls`` (openpyxl/xlrd) and Parquet (pyarrow).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from ssblab.echem.io._common import DataWarning, RawTable, read_head
from ssblab.echem.io.biologic import MPR_SIGNATURE, read_mpr
from ssblab.echem.io.delimited import TextTable, is_text, sniff, to_float
from ssblab.echem.io.xlsx import workbook_sheets
from ssblab.errors import InputError, require_package

CyclerFormat = Literal["biologic-mpr", "biologic-mpt", "neware-ndax", "neware-nda", "neware-csv",
                       "arbin-res", "arbin-csv", "maccor", "basytec", "novonix", "pec", "excel",
                       "parquet", "beep-structured", "gamry-dta", "csv"]
CYCLER_FORMATS = get_args(CyclerFormat)

# Per column map: canonical key -> the file's column names to try (case-insensitive), in order.
COLUMN_MAPS = {
    "biologic": {"time_s": ("time/s",),
                 "voltage_V": ("Ewe/V", "<Ewe>/V", "Ecell/V", "<Ewe/V>", "<Ecell>/V"),
                 "current_mA": ("I/mA", "<I>/mA", "control/mA"), "step": ("Ns",),
                 "cycle": ("cycle number",), "capacity_mAh": ("(Q-Qo)/mA.h",),
                 "capacity_C": ("(Q-Qo)/C",), "temperature_C": ("Temperature/°C",)},
    "neware-csv": {"time_s": ("Cumulative Time", "Total Time", "Total Time(s)"),
                   "voltage_V": ("Voltage(V)",), "current_A": ("Current(A)",),
                   "step": ("Step Index",), "cycle": ("Cycle Index",),
                   "capacity_Ah": ("Capacity(Ah)",), "current_mA": ("Current(mA)",),
                   "capacity_mAh": ("Capacity(mAh)",)},
    "arbin": {"time_s": ("Test_Time", "Test Time (s)", "Test_Time(s)"),
              "voltage_V": ("Voltage", "Voltage (V)", "Voltage(V)"),
              "current_A": ("Current", "Current (A)", "Current(A)"),
              "step": ("Step_Index", "Step Index", "Step_ID"),
              "cycle": ("Cycle_Index", "Cycle Index", "Cycle_ID"),
              "capacity_mAh": ("capacity_mAh",), "temperature_C": ("Temperature",),
              "charge_capacity_Ah": ("Charge_Capacity", "Charge Capacity (Ah)",
                                     "Charge_Capacity(Ah)", "Charge_Capacity (Ah)"),
              "discharge_capacity_Ah": ("Discharge_Capacity", "Discharge Capacity (Ah)",
                                        "Discharge_Capacity(Ah)", "Discharge_Capacity (Ah)")},
    # MacTest exports in minutes ('Test (Min)') or in mA ('mAmps', 'mAmp-hr') for small cells
    "maccor": {"time_s": ("Test (Sec)", "Test Time (sec)", "TestTime", "Test Time"),
               "time_min": ("Test (Min)", "Test Time (min)"),
               "voltage_V": ("Volts", "Voltage [V]", "Voltage"),
               "current_A": ("Amps", "Current [A]", "Current"), "current_mA": ("mAmps",),
               "step": ("Step",), "cycle": ("Cyc#", "Cycle C", "Cycle"),
               "capacity_Ah": ("Amp-hr", "Cap. [Ah]", "Capacity"),
               "capacity_mAh": ("mAmp-hr",)},
    "basytec": {"time_s": ("Time[s]",), "voltage_V": ("U[V]",), "current_A": ("I[A]",),
                "step": ("Line",), "cycle": ("Cyc-Count",), "capacity_Ah": ("Ah[Ah]",)},
    "novonix": {"time_h": ("Run Time (h)",), "voltage_V": ("Potential (V)",),
                "current_A": ("Current (A)",), "step": ("Step Number",),
                "cycle": ("Cycle Number",), "temperature_C": ("Temperature (°C)",),
                "capacity_Ah": ("Capacity (Ah)",)},
    "pec": {"time_s": ("Total Time (Seconds)", "Total Time (Hours in hh:mm:ss.xxx)"),
            "voltage_V": ("Voltage (V)",), "current_A": ("Current (A)",), "step": ("Step",),
            "cycle": ("Cycle",), "charge_capacity_mAh": ("Charge Capacity (mAh)",),
            "discharge_capacity_mAh": ("Discharge Capacity (mAh)",)},
    "beep": {"time_s": ("test_time",), "voltage_V": ("voltage",), "current_A": ("current",),
             "step": ("step_index",), "cycle": ("cycle_index",),
             "charge_capacity_Ah": ("charge_capacity",),
             "discharge_capacity_Ah": ("discharge_capacity",), "temperature_C": ("temperature",)},
    "csv": {"step": ("step", "ns", "step index", "step_index", "step number", "stepindex",
                     "step-index", "step_count"),
            "cycle": ("cycle", "cycle number", "cycle index", "cycle_index", "cycle count",
                      "cyclenumber", "cycleindex", "cyc#", "cycle-index", "cycle_count",
                      "cycle_dimensionless"),  # the Battery Data Format's older machine name
            "charge_capacity_Ah": ("Charge Capacity / Ah", "Charge Capacity (Ah)",
                                   "Charge_Capacity(Ah)", "Charge_Capacity (Ah)",
                                   "charge_capacity_Ah",
                                   "Charging Capacity / Ah", "charging_capacity_ah"),
            "discharge_capacity_Ah": ("Discharge Capacity / Ah", "Discharge Capacity (Ah)",
                                      "Discharge_Capacity(Ah)", "Discharge_Capacity (Ah)",
                                      "discharge_capacity_Ah",
                                      "Discharging Capacity / Ah", "discharging_capacity_ah")},
    "neware-ndax": {"time_s": ("time_s",), "voltage_V": ("voltage_V",),
                    "current_mA": ("current_mA",), "step": ("step",), "cycle": ("cycle",),
                    "capacity_mAh": ("capacity_mAh",)},
}
COLUMN_MAPS["neware-nda"] = COLUMN_MAPS["neware-ndax"]
# Gamry EXPLAIN CURVE tables: T in s, Vf (filtered potential) in V, Im (measured current) in A
COLUMN_MAPS["gamry"] = {"time_s": ("T",), "voltage_V": ("Vf",), "current_A": ("Im",),
                        "step": ("curve",), "cycle": ("Cycle",)}
# Neware's older Excel export ('Detail' sheet): the time is the step time.
COLUMN_MAPS["neware-xls"] = {"time_s": ("Relative Time(h:min:s.ms)",),
                             "current_mA": ("Cur(mA)",), "voltage_V": ("Voltage(V)",),
                             "step": ("Step",), "cycle": ("Cycle",)}


def detect_cycler_format(path: str | Path) -> str:
    """The cycler file format from its signature, else its header text, else its extension.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cell.txt"
    >>> _ = path.write_text("~Resultfile from Basytec Battery Test System\\n~Time[s]\\tU[V]\\n")
    >>> detect_cycler_format(path)
    'basytec'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    head = read_head(path, 8192)
    if head.startswith(MPR_SIGNATURE):
        return "biologic-mpr"
    if head.startswith(b"PK\x03\x04"):
        return "neware-ndax" if suffix == ".ndax" else "excel"
    if head.startswith(b"NEWARE"):
        return "neware-nda"
    if head.startswith(b"\x00\x01\x00\x00Standard Jet DB") or suffix == ".res":
        return "arbin-res"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next((line for line in text.split("\n") if line.strip()), "")
    if text.startswith(("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")) or \
            ("time/s" in first and "\t" in first and re.search(r"\b(Ns|mode|Ewe|Ecell)\b", first)):
        return "biologic-mpt"
    if text.startswith("EXPLAIN") and re.search(r"^TAG\t", text, re.MULTILINE) or \
            re.match(r"[A-Z0-9]+\r?\nTAG\t", text):  # a Gamry file of another kind (VFP600)
        return "gamry-dta"
    if text.lstrip().startswith("{") and '"beep.structure' in text[:2000]:
        return "beep-structured"
    if text.startswith("MACCOR, INC.") and "Impedance" in first:
        raise InputError(f"{path}: a Maccor impedance (EIS) export, not a cycler record; read it "
                         "with `ssblab read spectrum` (read_spectrum)")
    if re.search(r"\btest_id\b", first) and "schedule_file_name" in first and "iv_ch_id" in first:
        record = path.with_name(re.sub(r"_Metadata(?=\.csv$)", "", path.name, flags=re.I))
        beside = (f" ({record.name}, beside it)" if record != path and record.is_file()
                  else " (the CSV of the same name without '_Metadata')")
        raise InputError(f"{path}: an Arbin test-metadata table (test_id, schedule_file_name, "
                         f"one row per test), not a cycler record; read the record{beside}")
    if text.startswith("~") and "basytec" in text[:400].lower():
        return "basytec"
    if "[Summary]" in text[:200] and "novonix" in text[:400].lower():
        return "novonix"
    if text.startswith("Today's Date") or re.search(r"^Rec#?[\t,]", text, re.MULTILINE):
        return "maccor"
    if "TestRegime" in text or re.search(r"^Test,Cell,Rack", text, re.MULTILINE):
        return "pec"
    if re.search(r"Data[_ ]Point", text) and re.search(r"Test[_ ]Time", text) and \
            re.search(r"Cycle[_ ]Index", text):
        return "arbin-csv"
    if "Cycle Index" in text and "Step Index" in text:
        return "neware-csv"
    return {".mpr": "biologic-mpr", ".mpt": "biologic-mpt", ".ndax": "neware-ndax",
            ".nda": "neware-nda", ".xlsx": "excel", ".xls": "excel",
            ".parquet": "parquet"}.get(suffix, "csv")


# -- readers: (path, delimiter) -> (RawTable, column map name) ---------------------------------


def _biologic_mpr(path, delimiter):
    return read_mpr(path), "biologic"


def biologic_cycles(table: RawTable) -> None:
    """EC-Lab's ``cycle number`` (written to most .mpt files, absent from most .mpr) is
    ``half cycle // 2`` (checked on yadg's CA, CP and GCPL twins); derived here when a file has
    half cycles but no cycle number, so that a .mpr and its .mpt count cycles alike."""
    if "cycle number" in table.columns or "half cycle" not in table.columns:
        return
    if isinstance(table, TextTable):
        table.load(["half cycle"])
    half = to_float(table.columns["half cycle"], where=table.source, name="half cycle")
    table.columns["cycle number"] = np.floor_divide(half, 2)
    table.metadata["cycle_source"] = "half cycle // 2, as EC-Lab numbers cycles"


def biologic_current(table: RawTable) -> None:
    """Many GCPL .mpr files store no measured current, only ``dq/mA.h`` (ID 7: the charge passed
    since the point before) and the set point ``control/V/mA``. EC-Lab's text export writes
    ``I/mA = dq * 3600 / dt`` for them (equal to 1e-16 mA on yadg's GCPL twins), and so does
    this; the first point, with no interval before it, gets 0 as in the export."""
    columns = table.columns
    charge = next((n for n in ("dq/mA.h", "dQ/mA.h") if n in columns), None)
    if any(n in columns for n in ("I/mA", "<I>/mA", "control/mA")) or charge is None or \
            "time/s" not in columns:
        return
    if isinstance(table, TextTable):
        table.load([charge, "time/s"])
    dq = to_float(columns[charge], where=table.source, name=charge)
    time = columns["time/s"]
    if is_text(time):
        return  # time stamps: the current follows once they are converted; not derived here
    dt = np.diff(np.asarray(time, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        current = np.r_[0.0, np.where(dt > 0, dq[1:] * 3600 / np.where(dt > 0, dt, 1), np.nan)]
    columns["I/mA"] = current
    table.metadata["current_source"] = "I/mA = dQ * 3600 / dt, as EC-Lab exports it"


_MPT_FIRST = re.compile(r"^(EC|BT)-Lab ASCII FILE")


def _biologic_mpt(path, delimiter):
    """EC-Lab/BT-Lab text: the header line count from line 2, or a file exported without the
    header block (column names on line 1). Read by the text path, so that time stamps in
    ``time/s`` and decimal commas work."""
    head = read_head(path, 65536).decode("cp1252", errors="replace").split("\n")
    if _MPT_FIRST.match(head[0]):
        match = re.match(r"\s*Nb header lines\s*:\s*(\d+)", head[1] if len(head) > 1 else "")
        if not match:
            raise InputError(f"{path}: line 2 should give 'Nb header lines : N'")
        header_line = int(match.group(1)) - 1
        technique = head[3].strip() if len(head) > 3 else ""
    else:  # exported without the header block: the column names on the first line that has
        # text (EC-Lab writes an empty line above them)
        header_line = next((i for i, line in enumerate(head) if line.strip()), 0)
        technique = ""
    try:
        layout = sniff(path, delimiter="\t", header_line=header_line)
    except InputError as exc:
        raise InputError(f"{exc} (a Bio-Logic text file whose header declares "
                         f"{header_line + 1} lines)") from None
    return TextTable(layout, {"format": "biologic-mpt", "technique": technique}), "biologic"


_GAMRY_TABLE = re.compile(r"^(CURVE\d*)\tTABLE")


def _gamry_dta(path, delimiter):
    """A Gamry EXPLAIN ``.DTA`` file of a DC technique (chronopotentiometry,
    chronoamperometry, charge-discharge, open circuit, cyclic voltammetry): its ``CURVE``
    tables (``CURVE``, or ``CURVE1``, ``CURVE2``... for the segments of one run) in file order
    under their own names (``T`` in s, ``Vf`` in V vs. Ref., ``Im`` in A), numbered from 1 in
    a column ``curve``. Columns of text (``Over``, the overload flags) are left out; a decimal
    comma (a German Windows) is read as a point. An open-circuit record has no ``Im``."""
    from ssblab.echem.io._common import read_text

    where = str(path)
    lines = read_text(Path(path)).splitlines()
    technique = next((line.split("\t")[1] for line in lines[:5] if line.startswith("TAG\t")
                      and "\t" in line), "")
    starts = [i for i, line in enumerate(lines) if _GAMRY_TABLE.match(line)]
    if not starts:
        tables = [line.split("\t")[0] for line in lines if "\tTABLE" in line]
        what = "an impedance run: read it with `ssblab read spectrum`" \
            if "ZCURVE" in tables else f"tables found: {', '.join(tables) or 'none'}"
        raise InputError(f"{where}: a Gamry {technique or '.DTA'} file with no CURVE table of "
                         f"a DC record ({what})")
    rows, names, short = [], None, []
    for number, start in enumerate(starts, 1):
        header = lines[start + 1].strip("\t").split("\t") if start + 1 < len(lines) else []
        if names is None:
            names = header
        elif header != names:
            raise InputError(f"{where}: the Gamry tables {lines[starts[0]].split()[0]} and "
                             f"{lines[start].split()[0]} have different columns")
        for k in range(start + 3, len(lines)):
            if not lines[k].startswith("\t"):
                break
            fields = lines[k][1:].split("\t")
            if len(fields) == len(names):
                rows.append(fields + [str(number)])
            else:
                short.append(k)
    if short and short != [len(lines) - 1]:  # only a cut last line is a truncated file
        found = len(lines[short[0]][1:].split("\t"))
        more = f" ({len(short)} such lines)" if len(short) > 1 else ""
        raise InputError(f"{where}: line {short[0] + 1} of the Gamry CURVE table holds {found} "
                         f"fields, the header {len(names)}{more}")
    if short:
        warnings.warn(f"{where}: dropped the last line {short[0] + 1} (fewer fields than the "
                      "header): the file looks truncated", DataWarning, stacklevel=3)
    if not rows:
        raise InputError(f"{where}: the Gamry CURVE table has no data rows (the file is "
                         "truncated or the run was aborted before the first point)")
    if any(line.startswith("EXPERIMENTABORTED\tTOGGLE\tT") for line in lines[:starts[0]]):
        warnings.warn(f"{where}: the Gamry experiment was aborted; read the {len(rows)} points "
                      "recorded before the abort", DataWarning, stacklevel=3)
    columns = {}
    for k, name in enumerate(names + ["curve"]):
        values = [row[k] for row in rows]
        if any("," in v for v in values) and not any("." in v for v in values):
            values = [v.replace(",", ".") for v in values]
        try:
            columns[name] = np.array(values, dtype=float)
        except ValueError:
            continue  # a text column (overload flags)
    return RawTable(columns, where, {"format": "gamry-dta", "technique": technique,
                                     "tables": len(starts)}), "gamry"


def _text(fmt: str, family: str, **options):
    def reader(path, delimiter):
        layout = sniff(path, delimiter=delimiter, **options)
        return TextTable(layout, {"format": fmt, "preamble": layout.preamble[:40]}), family
    return reader


def _neware_csv(path, delimiter):
    head = read_head(path, 4096).decode("utf-8", errors="replace").lstrip("\ufeff").split("\n")
    if len(head) > 2 and head[0].startswith("Cycle Index") and head[1].startswith(",") and \
            head[2].startswith(",,"):
        return _neware_nested(path), "neware-csv"
    return _text("neware-csv", "neware-csv")(path, delimiter)


def _neware_nested(path) -> RawTable:
    """Neware's 'regular' export nests three tables in one: a cycle row, then its step rows
    (one leading empty field), then each step's records (two). The records are taken with the
    cycle and step index of the rows above them and read by the text path."""
    where = str(path)
    text = Path(path).read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    record_names = lines[2].split(",")[2:]
    n_cycle = len(lines[0].split(","))  # a cycle row goes on with its first step's fields
    out = ["Cycle Index,Step Index," + ",".join(record_names)]
    cycle = step = ""
    for number, line in enumerate(lines[3:], start=4):
        if not line.strip():
            continue
        if line.startswith(",,"):
            if not cycle or not step:
                raise InputError(f"{where}: line {number}: a record before any cycle and step "
                                 "row in this nested Neware export")
            out.append(f"{cycle},{step},{line[2:]}")
        elif line.startswith(","):
            step = line.split(",", 2)[1]
        else:
            fields = line.split(",", n_cycle + 1)
            cycle = fields[0]
            if len(fields) > n_cycle:
                step = fields[n_cycle]
    if len(out) == 1:
        raise InputError(f"{where}: no record rows (lines starting with two commas) in this "
                         "nested Neware export")
    with tempfile.TemporaryDirectory() as folder:
        flat = Path(folder) / "records.csv"
        flat.write_text("\n".join(out) + "\n", encoding="utf-8")
        table = TextTable(sniff(flat, delimiter=",", header_line=0))
        table.load(None)
        columns = dict(table.columns)
    return RawTable(columns, where, {"format": "neware-csv",
                                     "layout": "nested cycle/step/record export"})


def _beep_structured(path, delimiter):
    """BEEP's structured JSON (``beep structure``). Its ``BEEPDatapath`` form keeps the
    instrument's records under ``raw_data`` (BEEP's own columns: ``test_time`` in s,
    ``voltage`` in V, ``current`` in A, signed, ``charge_capacity``/``discharge_capacity`` in Ah,
    ``step_index``, ``cycle_index``): those are read as the records. The legacy
    ``ProcessedCyclerRun`` form, and files written without ``raw_data``, hold only cycles
    interpolated on a voltage grid and BEEP's per-cycle summary: refused, naming the raw file."""
    import json

    where = str(path)
    try:
        document = json.loads(Path(path).read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{where}: starts like a BEEP structured JSON file but is not valid "
                         f"JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(f"{where}: expected a BEEP structured JSON object, found "
                         f"{type(document).__name__}")
    raw = document.get("raw_data")
    paths = document.get("paths")
    source = str(paths.get("raw") or "") if isinstance(paths, dict) else ""
    if not isinstance(raw, dict) or not raw:
        summary = document.get("summary")
        cycles = summary.get("cycle_index") if isinstance(summary, dict) else None
        held = f"BEEP's summary of {len(cycles)} cycles" if isinstance(cycles, list) else \
            "BEEP's per-cycle summary"
        windows_free = source.replace("\\", "/")  # paths written on Windows
        named = f" ({Path(windows_free).name}, its paths.raw)" if source else ""
        raise InputError(f"{where}: a BEEP structured file ({document.get('@class', '?')}) "
                         f"without raw_data: it holds {held} and cycles interpolated on a "
                         "voltage grid, not the instrument's records. Read the raw cycler "
                         f"file it was made from{named}: ssblab reads Arbin, Maccor, Neware and "
                         "the other instrument files directly; or write the structured file "
                         "with BEEP's BEEPDatapath.to_json_file, which keeps raw_data")
    columns: dict = {}
    for name, values in raw.items():
        if name not in _BEEP_RAW or not isinstance(values, list):
            continue  # text columns (date_time, _state): not needed
        try:
            column = np.array(values, dtype=float)  # JSON null -> NaN
        except (TypeError, ValueError):
            column = None
        if column is None or column.ndim != 1:
            raise InputError(f"{where}: raw_data column {name!r}: expected a list of numbers, "
                             f"found {str(values)[:60]}")
        columns[name] = column
    lengths = {name: v.size for name, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"{where}: raw_data columns differ in length: "
                         + ", ".join(f"{k} {n}" for k, n in lengths.items()))
    if not columns or not next(iter(columns.values())).size:
        raise InputError(f"{where}: the BEEP raw_data holds no records")
    return RawTable(columns, where, {"format": "beep-structured",
                                     "beep_class": str(document.get("@class", "")),
                                     "raw_source": source}), "beep"


# BEEP's standard raw columns (beep.conversion_schemas, the same for every instrument).
_BEEP_RAW = ("test_time", "voltage", "current", "step_index", "cycle_index", "charge_capacity",
             "discharge_capacity", "temperature", "data_point")


def _arbin_res(path, delimiter):
    where = str(path)
    if shutil.which("mdb-export"):
        table = _arbin_res_mdbtools(path)
    else:
        access_parser = require_package("access_parser", extra="echem",
                                        purpose="Reading Arbin .res files (MS Access databases) "
                                                "without mdbtools' mdb-export")
        try:
            db = access_parser.AccessParser(str(path))
            raw = db.parse_table("Channel_Normal_Table")
        except Exception as exc:  # the parser raises many kinds on a damaged database
            raise InputError(f"{where}: cannot read the Arbin database: {exc}") from None
        if not raw or not any(len(v) for v in raw.values()):
            raise InputError(f"{where}: the Arbin Channel_Normal_Table is empty")
        table = RawTable({name: np.asarray(values, dtype=float) for name, values in raw.items()
                          if name in _ARBIN_COLUMNS}, where, {"format": "arbin-res",
                                                              "decoder": "access-parser"})
    columns = table.columns
    if "Data_Point" in columns:
        order = np.argsort(columns["Data_Point"], kind="stable")
        if (np.diff(order) != 1).any():  # rows are stored unordered
            table.columns = columns = {k: v[order] for k, v in columns.items()}
    if "Charge_Capacity" in columns and "Discharge_Capacity" in columns:
        columns["capacity_mAh"] = 1e3 * (columns["Charge_Capacity"] -
                                         columns["Discharge_Capacity"])
    return table, "arbin"


_ARBIN_COLUMNS = ("Test_Time", "Voltage", "Current", "Step_Index", "Cycle_Index",
                  "Charge_Capacity", "Discharge_Capacity", "Data_Point")


def _arbin_res_mdbtools(path) -> RawTable:
    """The Arbin channel table through mdbtools' ``mdb-export`` (a fast C reader) and the CSV
    path."""
    where = str(path)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "channel.csv"
        with out.open("wb") as handle:
            done = subprocess.run(["mdb-export", "-D", "%Y-%m-%d %H:%M:%S", str(path),
                                   "Channel_Normal_Table"], stdout=handle,
                                  stderr=subprocess.PIPE, timeout=600, check=False)
        if done.returncode != 0 or out.stat().st_size == 0:
            raise InputError(f"{where}: mdb-export cannot read the Arbin channel table: "
                             f"{done.stderr.decode(errors='replace').strip()[:200]}")
        table = TextTable(sniff(out, delimiter=",", header_line=0))
        wanted = [n for n in _ARBIN_COLUMNS if n in table.columns]
        table.load(wanted)
        columns = {n: table.columns[n] for n in wanted}
    return RawTable(columns, where, {"format": "arbin-res", "decoder": "mdbtools"})


def _neware_ndax(path, delimiter):
    from ssblab.echem.io.neware import read_ndax

    return read_ndax(path), "neware-ndax"


def _neware_nda(path, delimiter):
    from ssblab.echem.io.neware import _decode_with_newarenda

    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        # NewareNDA's own deprecation warnings and printed tracebacks are not the user's
        warnings.simplefilter("ignore")
        columns = _decode_with_newarenda(path, str(path),
                                         purpose="Reading Neware .nda files (binary, BTS 7 and "
                                                 "older)")
    return RawTable(columns, str(path), {"format": "neware-nda", "decoder": "NewareNDA"}), \
        "neware-nda"


def _parquet(path, delimiter):
    parquet = require_package("pyarrow.parquet", extra="echem", purpose="Reading Parquet files")
    try:
        table = parquet.read_table(path)
    except Exception as exc:  # pyarrow raises several kinds on damaged files
        raise InputError(f"{path}: cannot read the Parquet file: {exc}") from None
    units = _declared_units(table.schema.metadata or {})
    columns = {}
    for name in table.column_names:
        column = table.column(name).to_numpy(zero_copy_only=False)
        # a unit the file declares for a bare name travels in the name, as a header's would
        label = f"{name} ({units[name]})" if name in units else str(name)
        columns[label] = column if column.dtype.kind in "fiub" else column.astype(str)
    if not columns or table.num_rows == 0:
        raise InputError(f"{path}: the Parquet file holds no rows")
    metadata = {"format": "parquet"}
    if units:
        metadata["units_from"] = "the file's table_metadata (battery-data-toolkit)"
    return RawTable(columns, str(path), metadata), _family_from_names(columns)


def _declared_units(metadata: dict) -> dict[str, str]:
    """Units a battery-data-toolkit (battdat) file declares for its columns in the Parquet
    key-value metadata ``table_metadata`` (JSON: column -> {"units": "A", ...}); only the time,
    voltage, current and capacity units ssblab reads, and only for names without a unit."""
    raw = metadata.get(b"table_metadata")
    if not raw:
        return {}
    try:
        declared = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(declared, dict):
        return {}
    return {str(name): entry["units"] for name, entry in declared.items()
            if isinstance(entry, dict) and entry.get("units") in ("s", "V", "A", "mA", "A.h", "Ah")
            and not re.search(r"[(\[/]", str(name))}


def _excel(path, delimiter):
    """The sheet that holds the records (named like 'record' or 'data', else the longest),
    written to a temporary TSV and read by the text path, so that headers, unit rows and
    preambles are found the same way."""
    where = str(path)
    rows_by_sheet = workbook_sheets(path)
    if not rows_by_sheet:
        raise InputError(f"{where}: the workbook holds no rows")
    preferred = [n for n in rows_by_sheet if re.search(r"record|data|channel|detail", n, re.I)
                 and len(rows_by_sheet[n]) > 3]
    sheet = preferred[0] if preferred else max(rows_by_sheet, key=lambda n: len(rows_by_sheet[n]))
    rows = rows_by_sheet[sheet]
    with tempfile.TemporaryDirectory() as folder:
        tsv = Path(folder) / "sheet.tsv"
        tsv.write_text("\n".join("\t".join(_cell(v) for v in row) for row in rows) + "\n",
                       encoding="utf-8")
        try:
            table = TextTable(sniff(tsv, delimiter="\t"))
            table.load(None)
        except InputError as exc:  # name the workbook and sheet, not the temporary copy
            shown = ", ".join(f"{name!r} ({len(r)} rows)" for name, r in rows_by_sheet.items())
            message = str(exc).replace(str(tsv), f"{where}, sheet {sheet!r}")
            raise InputError(f"{message}; a cycler record is a table of numbers under one "
                             f"header row; the workbook's sheets: {shown}") from None
    columns = dict(table.columns)
    return RawTable(columns, where, {"format": "excel", "sheet": sheet}), \
        _family_from_names(columns)


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return text.replace("\t", " ").replace("\n", " ")


def _family_from_names(columns) -> str:
    names = " ".join(columns)
    if "Cur(mA)" in columns and "Relative Time(h:min:s.ms)" in columns:
        return "neware-xls"
    if "Cycle Index" in columns and "Step Index" in columns and \
            ("Data" not in names or "Total Time" in columns):  # BTS 8 'record' sheet: DataPoint
        return "neware-csv"
    if re.search(r"Test[_ ]Time", names) and re.search(r"Cycle[_ ](Index|ID)", names):
        return "arbin"
    return "csv"


READERS = {"biologic-mpr": _biologic_mpr, "biologic-mpt": _biologic_mpt,
           "neware-csv": _neware_csv, "neware-ndax": _neware_ndax, "neware-nda": _neware_nda,
           "maccor": _text("maccor", "maccor"), "csv": _text("csv", "csv"),
           "arbin-res": _arbin_res, "arbin-csv": _text("arbin-csv", "arbin"),
           "basytec": _text("basytec", "basytec"),
           "novonix": _text("novonix", "novonix", start_marker="[Data]"),
           "pec": _text("pec", "pec"), "excel": _excel, "parquet": _parquet,
           "beep-structured": _beep_structured, "gamry-dta": _gamry_dta}
