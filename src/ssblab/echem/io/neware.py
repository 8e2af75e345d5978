"""Neware ``.ndax`` files (a zip archive of XML metadata and binary ``.ndc`` page files).

Decoding goes through the optional BSD-licensed ``NewareNDA`` package (``ssblab[echem]``),
which follows Neware's changing ``.ndc`` versions; ssblab checks the archive and converts
the result into its own column names and units.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import RawTable
from ssblab.errors import InputError, require_package


def read_ndax(path: str | Path) -> RawTable:
    """Time (s, summed step times), voltage (V), current (mA), step, cycle and capacity of
    a Neware ``.ndax`` file."""
    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except FileNotFoundError:
        raise InputError(f"{where}: cannot open: file not found") from None
    except zipfile.BadZipFile:
        raise InputError(f"{where}: not a Neware .ndax file (not a zip archive, or truncated)") \
            from None
    if "data.ndc" not in names:
        raise InputError(f"{where}: no data.ndc inside the .ndax archive (found "
                         f"{', '.join(names[:8])})")
    newarenda = require_package("NewareNDA", extra="echem", purpose="Reading Neware .ndax files")
    try:
        frame = newarenda.read(str(path))
    except Exception as exc:  # the decoder raises many kinds on damaged pages
        raise InputError(f"{where}: cannot decode the Neware data: {exc}") from None
    if len(frame) == 0:
        raise InputError(f"{where}: the Neware file holds no records")
    # Test time is the running sum of the step times: the Timestamp column is wall-clock time,
    # which the instrument re-synchronises (it steps back by ~0.4 s now and then).
    step_time = frame["Time"].to_numpy(dtype=float)
    step = frame["Step"].to_numpy(dtype=float)
    starts = np.flatnonzero((np.diff(step_time) < 0) | (np.diff(step) != 0)) + 1
    offsets = np.zeros(step_time.size)
    offsets[starts] = step_time[starts - 1]
    time_s = step_time + np.cumsum(offsets)
    charge = frame["Charge_Capacity(mAh)"].to_numpy(dtype=float)
    discharge = frame["Discharge_Capacity(mAh)"].to_numpy(dtype=float)
    columns = {"time_s": np.asarray(time_s, dtype=float),
               "voltage_V": frame["Voltage"].to_numpy(dtype=float),
               "current_mA": frame["Current(mA)"].to_numpy(dtype=float),
               "step": step,
               "cycle": frame["Cycle"].to_numpy(dtype=float),
               "capacity_mAh": charge - discharge}
    return RawTable(columns, where, {"format": "neware-ndax",
                                     "start": str(frame["Timestamp"].iloc[0])})
