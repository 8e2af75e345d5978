"""Neware ``.ndax`` files: a zip archive of XML metadata and binary ``.ndc`` page files.

BTS 8 files (``.ndc`` version 14 and 17, the current ones) are decoded here, vectorised with
NumPy structured dtypes. Layout, as documented by the BSD-licensed NewareNDA project and checked
against its output in the tests: every ``.ndc`` starts with a 4096-byte header (byte 0: file
type, byte 2: version), then 4096-byte pages of ``u2 type, u2 count, 128-byte validity
bitmap, payload, tail``.

- ``data.ndc`` (type 1): payload of 495 ``(voltage f4 [V], current f4 [A])`` pairs, 4-byte tail;
  the record index is the slot number counted over all pages, from 1.
- ``data_runInfo.ndc`` (type 18, version 17): 39 records of 100 bytes, 64-byte tail: step time
  (``i4`` ms), charge/discharge capacity and energy (``f4``, Ah and Wh), sampling interval
  (``i4`` ms), Unix time, step run, record index (``i4``), milliseconds (``i2``). It covers only
  some records; the others take the step of the run before them and the step time of the last
  covered record plus whole sampling intervals (as the instrument's own software does).
- ``data_step.ndc`` (type 7, version 17): one 100-byte record per step run: cycle (from 0),
  step index, status.

Other ``.ndc`` versions go through the optional NewareNDA package (``ssblab[echem]``).
"""

from __future__ import annotations

import contextlib
import io
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import RawTable
from ssblab.errors import InputError, require_package
from ssblab.files import MAX_BYTES_ENV, max_input_bytes

PAGE = 4096
_DATA_PAGE = np.dtype([("type", "<u2"), ("count", "<u2"), ("bitmap", "u1", 128),
                       ("record", [("voltage_V", "<f4"), ("current_A", "<f4")], 495),
                       ("tail", "V4")])
_RUN_RECORD = np.dtype([("time_ms", "<i4"), ("pad", "V1"), ("charge_Ah", "<f4"),
                        ("discharge_Ah", "<f4"), ("charge_Wh", "<f4"), ("discharge_Wh", "<f4"),
                        ("pad2", "V8"), ("dt_ms", "<i4"), ("unix_s", "<i4"), ("run", "<i4"),
                        ("index", "<i4"), ("ms", "<i2"), ("pad3", "V53")])
_STEP_RECORD = np.dtype([("cycle", "<i4"), ("step_index", "<i4"), ("pad", "V16"),
                         ("status", "i1"), ("pad2", "V8"), ("index", "<i4"), ("pad3", "V63")])


def _pages(record: np.dtype, slots: int, tail: int) -> np.dtype:
    return np.dtype([("type", "<u2"), ("count", "<u2"), ("bitmap", "u1", 128),
                     ("record", record, slots), ("tail", f"V{tail}")])


_RUN_PAGE = _pages(_RUN_RECORD, 39, 64)
_STEP_PAGE = _pages(_STEP_RECORD, 39, 64)
assert _DATA_PAGE.itemsize == _RUN_PAGE.itemsize == _STEP_PAGE.itemsize == PAGE


def read_ndax(path: str | Path) -> RawTable:
    """Time (s, summed step times), voltage (V), current (mA), step, cycle and capacity
    (charge minus discharge, mAh) of a Neware ``.ndax`` file."""
    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "data.ndc" not in names:
                raise InputError(f"{where}: no data.ndc inside the .ndax archive (found "
                                 f"{', '.join(sorted(names)[:8])})")
            wanted = [n for n in ("data.ndc", "data_runInfo.ndc", "data_step.ndc") if n in names]
            unpacked = sum(archive.getinfo(n).file_size for n in wanted)
            if unpacked > max_input_bytes():  # a zip bomb, or a damaged size field
                raise InputError(f"{where}: the archive unpacks to {unpacked} bytes, above the "
                                 f"limit {max_input_bytes()} (raise it with {MAX_BYTES_ENV})")
            parts = {n: archive.read(n) for n in wanted}
    except FileNotFoundError:
        raise InputError(f"{where}: cannot open: file not found") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
            UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not a readable Neware .ndax file (not a zip archive, or "
                         f"truncated: {exc})") from None
    version = parts["data.ndc"][2] if len(parts["data.ndc"]) > 2 else None
    if version in (14, 17) and len(parts) == 3 and parts["data_runInfo.ndc"][2] == 17:
        columns = _decode_bts8(parts, where)
        decoder = "ssblab"
    else:
        columns = _decode_with_newarenda(path, where)
        decoder = "NewareNDA"
    return RawTable(columns, where, {"format": "neware-ndax", "ndc_version": version,
                                     "decoder": decoder})


def _records(raw: bytes, page: np.dtype, where: str, name: str) -> np.ndarray:
    """The valid records of an ``.ndc`` file, in order (the page bitmap says which are valid)."""
    body = len(raw) - PAGE
    if body < 0 or body % PAGE:
        raise InputError(f"{where}: {name} is truncated ({len(raw)} bytes is not a whole number "
                         "of 4096-byte pages)")
    pages = np.frombuffer(raw, dtype=page, offset=PAGE)
    slots = pages["record"].shape[1]
    valid = np.unpackbits(pages["bitmap"], axis=1, bitorder="little")[:, :slots].astype(bool)
    return pages["record"], valid


def _decode_bts8(parts: dict[str, bytes], where: str) -> dict[str, np.ndarray]:
    data, valid = _records(parts["data.ndc"], _DATA_PAGE, where, "data.ndc")
    index = np.arange(1, data.size + 1).reshape(data.shape)[valid]
    data = data[valid]
    runs, run_valid = _records(parts["data_runInfo.ndc"], _RUN_PAGE, where, "data_runInfo.ndc")
    runs = runs[run_valid]
    runs = runs[runs["index"] != 0]
    _, first = np.unique(runs["index"], return_index=True)  # a record may be written twice
    runs = runs[np.sort(first)]
    steps, step_valid = _records(parts["data_step.ndc"], _STEP_PAGE, where, "data_step.ndc")
    steps = steps[step_valid]
    steps = steps[steps["index"] != 0]

    at = np.searchsorted(index, runs["index"])
    matched = (at < index.size) & (index[np.minimum(at, index.size - 1)] == runs["index"])
    runs, at = runs[matched], at[matched]
    if at.size == 0 or at[0] != 0:
        raise InputError(f"{where}: the run table does not start at the first data record")
    # The covered record at or before each row: step time, interval, step run and capacity
    # carry forward from it.
    last = np.zeros(index.size, dtype=np.int64)
    last[at] = np.arange(at.size)
    last = np.maximum.accumulate(last)
    since = np.arange(index.size) - at[last]
    dt_s = runs["dt_ms"][last] / 1e3
    step_time_s = runs["time_ms"][last] / 1e3 + since * dt_s
    current_mA = data["current_A"].astype(float) * 1e3
    # capacity between covered records: the counter plus the charge passed since
    passed = np.cumsum(current_mA * dt_s / 3600)
    capacity = 1e3 * (runs["charge_Ah"].astype(float) - runs["discharge_Ah"])[last] + \
        passed - passed[at][last]
    run_change = np.r_[1, np.diff(runs["run"]) != 0]
    run_number = np.cumsum(run_change)[last]  # 1, 2, ... = row of the step table
    if run_number.max() > steps.size:
        raise InputError(f"{where}: data_step.ndc lists {steps.size} steps but the run table "
                         f"refers to {run_number.max()}")
    step_row = steps[run_number - 1]
    return {"time_s": _summed_step_time(step_time_s, run_number), "step_time_s": step_time_s,
            "voltage_V": data["voltage_V"].astype(float), "current_mA": current_mA,
            "step": step_row["step_index"].astype(float),
            "cycle": step_row["cycle"].astype(float) + 1, "capacity_mAh": capacity,
            "record": index.astype(float)}


def _decode_with_newarenda(path, where: str, *,
                           purpose: str = "Reading Neware .ndax files of this .ndc version"
                           ) -> dict[str, np.ndarray]:
    newarenda = require_package("NewareNDA", extra="echem", purpose=purpose)
    try:
        # NewareNDA prints tracebacks it catches and warns about pandas; neither is the user's
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            frame = newarenda.read(str(path))
    except Exception as exc:  # the decoder raises many kinds on damaged pages
        raise InputError(f"{where}: cannot decode the Neware data: {exc}") from None
    if len(frame) == 0:
        raise InputError(f"{where}: the Neware file holds no records")
    step_time = frame["Time"].to_numpy(dtype=float)
    charge = frame["Charge_Capacity(mAh)"].to_numpy(dtype=float)
    discharge = frame["Discharge_Capacity(mAh)"].to_numpy(dtype=float)
    return {"time_s": _summed_step_time(step_time, frame["Step"].to_numpy(dtype=float)),
            "step_time_s": step_time,
            "voltage_V": frame["Voltage"].to_numpy(dtype=float),
            "current_mA": frame["Current(mA)"].to_numpy(dtype=float),
            "step": frame["Step_Index"].to_numpy(dtype=float),
            "cycle": frame["Cycle"].to_numpy(dtype=float), "capacity_mAh": charge - discharge}


def _summed_step_time(step_time_s: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Test time as the running sum of step times. The records' wall-clock time is not used:
    the instrument re-synchronises it, so it steps back by a fraction of a second now and then.
    """
    starts = np.flatnonzero((np.diff(step_time_s) < 0) | (np.diff(run) != 0)) + 1
    offsets = np.zeros(step_time_s.size)
    offsets[starts] = step_time_s[starts - 1]
    return step_time_s + np.cumsum(offsets)
