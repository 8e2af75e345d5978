"""Impedance spectra from instrument files: :func:`read_spectrum` and :func:`read_spectra`.

Sign convention of the result: ``Z = Z' + j Z''`` with ``Z'' < 0`` for a capacitive arc. The
rules that bring each file there:

- Bio-Logic ``.mpr``/``.mpt`` store ``-Im(Z)``: negated. Gamry ``Zimag``, ZPlot ``Z''(b)`` and
  RelaxIS ``Z''`` are physical: kept.
- CSV/TSV without a header line: columns 0, 1, 2 are f / Hz, Z' / ohm, Z'' / ohm (physical),
  the layout impedance.py reads and writes.
- CSV/TSV (``imag_convention="auto"``): a header whose imaginary column starts with ``-``
  (``-Im(Z)``, ``-Z''``, ``-Zimag``) is negated, any other name (``Z''``, ``Im``, ``Zimag``) and a
  file without header (columns f, Z', Z'' as impedance.py writes them) is taken as physical.
  ``imag_convention="Z''"`` or ``"-Z''"`` overrides the header. No sign is guessed from the data.
- Files with ``|Z|`` and phase only: ``Z = |Z| exp(j phase)``, phase in degrees, physical sign
  (negative for capacitive arcs, as Bio-Logic and Gamry write it).

Temperature comes from a temperature column when the file has one (Bio-Logic
``Temperature/°C``, Gamry ``Temp``; Gamry's ``-327.67`` "no sensor" value is ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from ssblab.echem.io._common import RawTable, find_column, normalise_name, read_head
from ssblab.echem.io.biologic import MPR_SIGNATURE, MPT_SIGNATURE, read_mpr, read_mpt
from ssblab.echem.io.eis_text import read_delimited, read_gamry, read_relaxis, read_zplot
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError, check_choice

SpectrumFormat = Literal["biologic-mpr", "biologic-mpt", "gamry", "zplot", "relaxis", "csv"]
SPECTRUM_FORMATS = ("biologic-mpr", "biologic-mpt", "gamry", "zplot", "relaxis", "csv")
ImagConvention = Literal["auto", "Z''", "-Z''"]

_READERS = {"biologic-mpr": read_mpr, "biologic-mpt": read_mpt, "gamry": read_gamry,
            "zplot": read_zplot, "relaxis": read_relaxis}
_EXTENSIONS = {".mpr": "biologic-mpr", ".mpt": "biologic-mpt", ".dta": "gamry", ".z": "zplot"}
_SIGNATURES = ((MPR_SIGNATURE, "biologic-mpr"), (MPT_SIGNATURE.encode(), "biologic-mpt"),
               (b"EXPLAIN", "gamry"), (b"ZPLOT", "zplot"), (b"RelaxIS", "relaxis"))

FREQUENCY = ("freq", "frequency", "f", "freq(hz)", "frequency(hz)", "freq.")
REAL = ("re(z)", "z'", "zreal", "z_real", "zre", "z_re", "re", "real", "re(z)(ohm)",
        "zs'")
IMAG = ("im(z)", "z''", "z''(b)", "zimag", "z_imag", "zim", "z_im", "im", "imag", "zs''")
NEG_IMAG = tuple("-" + name for name in IMAG) + ("zimag_neg", "neg_zimag")
MODULUS = ("|z|", "zmod", "mod(z)", "modulus", "z_mod", "abs(z)")
PHASE = ("phase(z)", "zphz", "phase", "theta(z)", "theta", "phi", "phase_deg")
TEMPERATURE_C = ("temperature", "temp", "t_c", "temperature_c")
SPLIT = ("cyclenumber", "loop_index", "loop", "spectrum")  # normalised: no spaces


def detect_format(path: str | Path) -> str:
    """The impedance file format from the file's signature, else its extension, else CSV."""
    path = Path(path)
    head = read_head(path, 64)
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    return _EXTENSIONS.get(path.suffix.lower(), "csv")


def read_spectra(path: str | Path, *, format: SpectrumFormat | None = None,
                 frequency: str | int | None = None, real: str | int | None = None,
                 imag: str | int | None = None, modulus: str | int | None = None,
                 phase: str | int | None = None, imag_convention: ImagConvention = "auto",
                 split: str | None = "auto", delimiter: str | None = None,
                 temperature_K: float | None = None) -> list[Spectrum]:
    """Every impedance spectrum in a file, in file order.

    A file holds several spectra when it has a loop/cycle column (Bio-Logic ``cycle number``,
    ``loop_index``; or the column named by ``split``) or, in Bio-Logic files that mix
    techniques (Modulo Bat), several separate blocks of impedance points.

    Parameters
    ----------
    path
        The instrument file.
    format
        One of ``SPECTRUM_FORMATS``; None detects it from the file's signature and extension.
    frequency, real, imag, modulus, phase
        Column names (case-insensitive, units optional) or 0-based indices that override the
        automatic choice; ``modulus`` and ``phase`` (degrees) are used when there is no
        real/imaginary pair.
    imag_convention
        How the imaginary column is stored: ``"auto"`` (from the column name, see the module
        docstring), ``"Z''"`` (physical) or ``"-Z''"`` (negated).
    split
        Column that numbers the spectra; ``"auto"`` looks for a known one, None keeps one
        spectrum per block.
    delimiter
        CSV/TSV delimiter; None sniffs it.
    temperature_K
        Temperature to attach when the file has none (a temperature in the file wins only if
        this is None).

    Examples
    --------
    >>> from importlib.resources import files
    >>> spectra = read_spectra(files("ssblab") / "data/eis/lpscl_blocking_-25C.mpr")
    >>> len(spectra), spectra[0].n_points, bool((spectra[0].impedance_ohm.imag < 0).all())
    (1, 79, True)
    """
    where = str(path)
    if format is None:
        format = detect_format(path)
    check_choice(format, SPECTRUM_FORMATS, name="format")
    check_choice(imag_convention, ("auto", "Z''", "-Z''"), name="imag_convention")
    if format == "csv":
        table = read_delimited(path, delimiter=delimiter)
    else:
        table = _READERS[format](path)
    table.metadata.setdefault("format", format)
    if format == "csv" and not table.metadata["header"] and frequency is None and \
            modulus is None and len(table.columns) >= 3:
        # Without a header the columns are f, Z', Z'' (physical), as impedance.py writes them.
        frequency = 0
        if real is None and imag is None:
            real, imag = 1, 2
    f_name = find_column(table, FREQUENCY, requested=frequency, what="frequency")
    f = np.asarray(table.columns[f_name], dtype=float)
    z, used = _impedance(table, real=real, imag=imag, modulus=modulus, phase=phase,
                         convention=imag_convention)
    # Rows of other techniques (open circuit between loops, cycling in a Modulo Bat file) carry
    # frequency 0 and impedance 0; they are not impedance points. Their count is in metadata.
    is_eis = ~((f == 0) & (z == 0))
    if not is_eis.any():
        raise InputError(f"{where}: the file holds no impedance points (every frequency is 0)")
    blocks = _blocks(table, is_eis, split)
    temperature = _temperature_column(table)
    spectra = []
    for number, rows in enumerate(blocks):
        t_K = temperature_K
        if t_K is None and temperature is not None:
            valid = temperature[rows][temperature[rows] > -273.15]
            t_K = float(valid.mean()) + 273.15 if valid.size else None
        meta = dict(table.metadata, columns=used, frequency_column=f_name, spectrum_index=number,
                    non_impedance_rows=int((~is_eis).sum()),
                    rows=(int(rows[0]), int(rows[-1])))
        spectra.append(Spectrum(frequency_Hz=f[rows], impedance_ohm=z[rows], source=where,
                                temperature_K=t_K, metadata=meta))
    return spectra


def read_spectrum(path: str | Path, *, format: SpectrumFormat | None = None,
                  index: int | None = None, **column_options) -> Spectrum:
    """One impedance spectrum from a file (see :func:`read_spectra` for the options).

    A file with several spectra needs ``index`` (0-based); otherwise it is an
    :class:`~ssblab.errors.InputError` that says how many there are.

    Examples
    --------
    >>> from importlib.resources import files
    >>> s = read_spectrum(files("ssblab") / "data/eis/exampleData.csv")
    >>> s.n_points, float(s.frequency_Hz[0])
    (66, 0.0031623)
    """
    spectra = read_spectra(path, format=format, **column_options)
    if index is None:
        if len(spectra) > 1:
            raise InputError(f"{path}: the file holds {len(spectra)} spectra; pass index= (0 to "
                             f"{len(spectra) - 1}) or use read_spectra")
        return spectra[0]
    if not -len(spectra) <= index < len(spectra):
        raise InputError(f"{path}: index {index} is out of range; the file holds "
                         f"{len(spectra)} spectra")
    return spectra[index]


def _impedance(table: RawTable, *, real, imag, modulus, phase, convention):
    re_name = find_column(table, REAL, requested=real, what="real impedance", required=False)
    im_name = find_column(table, IMAG + NEG_IMAG, requested=imag, what="imaginary impedance",
                          required=False)
    if re_name is not None and im_name is not None and modulus is None:
        if convention == "auto":
            negated = normalise_name(im_name).startswith("-") or \
                normalise_name(im_name) in NEG_IMAG
        else:
            negated = convention == "-Z''"
        z_re = np.asarray(table.columns[re_name], dtype=float)
        z_im = np.asarray(table.columns[im_name], dtype=float)
        return z_re + 1j * (-z_im if negated else z_im), (re_name, im_name)
    mod_name = find_column(table, MODULUS, requested=modulus, what="|Z|", required=False)
    ph_name = find_column(table, PHASE, requested=phase, what="phase", required=False)
    if mod_name is not None and ph_name is not None:
        z_mod = np.asarray(table.columns[mod_name], dtype=float)
        z_ph = np.deg2rad(np.asarray(table.columns[ph_name], dtype=float))
        return z_mod * np.exp(1j * z_ph), (mod_name, ph_name)
    raise InputError(f"{table.source}: no impedance columns found (need Z' and Z'', or |Z| and "
                     f"phase); columns are: {', '.join(table.columns)}")


def _blocks(table: RawTable, is_eis: np.ndarray, split: str | None) -> list[np.ndarray]:
    """Row indices of each spectrum: contiguous runs of impedance rows, cut where the split
    column changes."""
    rows = np.flatnonzero(is_eis)
    cuts = np.flatnonzero(np.diff(rows) > 1) + 1
    if split is not None:
        name = find_column(table, SPLIT, what="split", required=False) if split == "auto" else \
            find_column(table, (), requested=split, what="split")
        if name is not None:
            key = np.asarray(table.columns[name])[rows]
            cuts = np.union1d(cuts, np.flatnonzero(key[1:] != key[:-1]) + 1)
    return np.split(rows, cuts)


def _temperature_column(table: RawTable) -> np.ndarray | None:
    name = find_column(table, TEMPERATURE_C, what="temperature", required=False)
    return None if name is None else np.asarray(table.columns[name], dtype=float)
