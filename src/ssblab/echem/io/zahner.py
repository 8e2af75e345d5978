"""Zahner ``.ism`` impedance files (Thales, Zahner Analysis): binary, big-endian.

The layout, as Zahner's own MIT-licensed ``zahner_analysis`` package reads it: a 6-byte
version, a 6-byte count of points minus one, then frequency (Hz), |Z| (ohm) and phase (rad,
Z = |Z| exp(i phase)) as big-endian float64 arrays of that length, then the time stamps,
significances and the metadata strings (not read here). Nothing in the file is executed.

Thales measures from its start frequency to one end of the range, then the whole sweep to the
other end; the first run overlaps the sweep. As Zahner's software does, the sweep between the
highest and the lowest frequency is the spectrum; the overlapping points before it are left
out with a :class:`~ssblab.echem.io.DataWarning` naming them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import DataWarning, RawTable
from ssblab.errors import InputError
from ssblab.files import check_input_file


def read_ism(path: str | Path) -> RawTable:
    """The spectrum of a Zahner ``.ism`` file: ``freq/Hz``, ``|Z|/Ohm``, ``Phase(Z)/deg``."""
    where = str(path)
    check_input_file(path)
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[6:12], "big", signed=True) + 1 if len(raw) >= 12 else 0
    if n < 1 or len(raw) < 12 + 24 * n:
        raise InputError(f"{where}: not a readable Zahner .ism file ({len(raw)} bytes; the "
                         f"header gives {n} points, which need {12 + 24 * max(n, 0)} bytes); "
                         "export it from Thales or Zahner Analysis as text")
    f, modulus, phase = (np.frombuffer(raw, ">f8", n, 12 + 8 * n * k).astype(float)
                         for k in range(3))
    plausible = (np.isfinite(f) & (f > 0) & (f < 1e9) & np.isfinite(modulus) & (modulus >= 0)
                 & (np.abs(phase) <= np.pi + 1e-9))
    if not plausible.all():
        bad = int(np.flatnonzero(~plausible)[0])
        raise InputError(f"{where}: not a readable Zahner .ism file (point {bad}: f = "
                         f"{f[bad]:.4g} Hz, |Z| = {modulus[bad]:.4g} ohm, phase = "
                         f"{phase[bad]:.4g} rad); export it from Thales or Zahner Analysis as "
                         "text")
    lo, hi = int(np.argmin(f)), int(np.argmax(f))
    first, last = min(lo, hi), max(lo, hi)
    if first > 0:
        warnings.warn(f"{where}: read the sweep from {f[first]:.4g} Hz to {f[last]:.4g} Hz "
                      f"({last - first + 1} points); the {first} points measured before it "
                      f"({f[0]:.4g} to {f[first - 1]:.4g} Hz) overlap it and are left out, as "
                      "Zahner's software does", DataWarning, stacklevel=3)
    keep = slice(first, last + 1)
    columns = {"freq/Hz": f[keep], "|Z|/Ohm": modulus[keep],
               "Phase(Z)/deg": np.degrees(phase[keep])}
    return RawTable(columns, where, {"format": "zahner-ism", "points_in_file": n,
                                     "points_before_sweep": first})
