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

- A column whose name starts with ``-`` is negated whatever it holds (``-Z'``, ``-phase``);
  PalmSens ``ZIm`` and Eco Chemie ``.dfr`` store -Z'' and are negated.
- Units in column names scale the values (``Z' (kOhm)``, ``Freq [kHz]``); the factors used
  are in ``metadata["unit_factors"]``.

Several sweeps in one file (a loop column, separate tables, or the frequency jumping back to
the start of the sweep) become separate spectra; ``metadata["note"]`` says how the file was
split. Temperature comes from a temperature column when the file has one (Bio-Logic
``Temperature/°C``, Gamry ``Temp``; Gamry's ``-327.67`` "no sensor" value is ignored, and a
column reading outside -200 to 1200 C, an unconnected sensor, is ignored with a warning), else
from a ``Temperature: ...`` line of the file's preamble.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from ssblab.echem.io._common import DataWarning, RawTable, find_column, normalise_name, read_head, unit_factor
from ssblab.echem.io.biologic import MPR_SIGNATURE, MPT_SIGNATURE, read_mpr, read_mpt
from ssblab.echem.io.eis_text import (
    read_delimited,
    read_dfr,
    read_gamry,
    read_relaxis,
    read_versastudio,
    read_zplot,
)
from ssblab.echem.io.palmsens import read_pssession
from ssblab.echem.io.zahner import read_ism
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError, check_choice
from ssblab.files import check_input_file

SpectrumFormat = Literal["biologic-mpr", "biologic-mpt", "gamry", "zplot", "relaxis", "csv",
                         "versastudio", "palmsens", "xlsx", "dfr", "zahner-ism", "ssblab-json"]
SPECTRUM_FORMATS = get_args(SpectrumFormat)
ImagConvention = Literal["auto", "Z''", "-Z''"]

_READERS = {"biologic-mpr": read_mpr, "biologic-mpt": read_mpt, "gamry": read_gamry,
            "zplot": read_zplot, "relaxis": read_relaxis, "versastudio": read_versastudio,
            "palmsens": read_pssession, "dfr": read_dfr, "zahner-ism": read_ism}
_EXTENSIONS = {".mpr": "biologic-mpr", ".mpt": "biologic-mpt", ".dta": "gamry", ".z": "zplot",
               ".par": "versastudio", ".pssession": "palmsens", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".dfr": "dfr", ".ism": "zahner-ism"}
_SIGNATURES = ((MPR_SIGNATURE, "biologic-mpr"), (MPT_SIGNATURE.encode(), "biologic-mpt"),
               (b"BT-Lab ASCII FILE", "biologic-mpt"), (b"EXPLAIN", "gamry"), (b"ZPLOT", "zplot"),
               (b"RelaxIS", "relaxis"), (b"<Application>", "versastudio"))
# Binary formats ssblab does not decode: what they are and how to get a readable export.
UNSUPPORTED = {
    ".idf": ("Ivium .idf", "IviumSoft: File > Export > ASCII (or CSV)"),
    ".ids": ("Ivium .ids", "IviumSoft: File > Export > ASCII (or CSV)"),
    ".nox": ("Autolab NOVA .nox", "NOVA: Export ASCII data (frequency, Z', -Z'')"),
    ".isc": ("Zahner .isc", "Thales/Zahner Analysis: export as text (.txt)"),
    ".xls": ("Excel 97-2003 .xls", "save it as .xlsx or CSV"),
    ".ods": ("OpenDocument .ods", "save it as .xlsx or CSV"),
    ".fods": ("Flat OpenDocument .fods", "save it as .xlsx or CSV"),
    ".bin": ("CH Instruments binary .bin", "CHI software: File > Convert to Text"),
    ".mmfile": ("Scribner MultiStat .mmfile", "export it as ZPlot .z or text"),
    ".cor": ("CorrWare .cor", "export it as text"),
    ".fra": ("Autolab FRA binary .fra", "export it as ASCII (.dfr or text)"),
}

FREQUENCY = ("freq", "frequency", "f", "freq(hz)", "frequency(hz)", "fr", "nu", "freq.")
REAL = ("re(z)", "z'", "zreal", "z_real", "zre", "z_re", "re", "real", "re(z)(ohm)", "zs'",
        "z'(a)", "zr", "z_r", "real(z)", "zreal(ohm)", "z_real(ohm)", "zs_real", "rez")
IMAG = ("im(z)", "z''", "z''(b)", "zimag", "z_imag", "zim", "z_im", "im", "imag", "zimg",
        "imaginary", "zs''", "imag(z)", "zi", "z_i", "imz")
NEG_IMAG = tuple("-" + name for name in IMAG) + ("zimag_neg", "neg_zimag", "minus_z''")
NEG_REAL = tuple("-" + name for name in REAL)
MODULUS = ("|z|", "zmod", "mod(z)", "modulus", "z_mod", "abs(z)", "z", "|z|(ohm)", "zabs", "z_abs",
           "impedance", "-|z|")
PHASE = ("phase(z)", "zphz", "phase", "theta(z)", "theta", "phi", "phase_deg", "phase(deg)",
         "angle", "phz")
NEG_PHASE = tuple("-" + name for name in PHASE)
TEMPERATURE_C = ("temperature", "temp", "t_c", "temperature_c")
SPLIT = ("cyclenumber", "loop_index", "loop", "spectrum", "sweep")  # normalised: no spaces
PLAUSIBLE_MAX = {"|Z| / ohm": 1e15, "f / Hz": 1e9}
# Sample temperatures an impedance cell is measured at (cryostat to solid-oxide furnace).
PLAUSIBLE_CELSIUS = (-200.0, 1200.0)


def detect_format(path: str | Path) -> str:
    """The impedance file format from the file's signature, else its extension, else CSV."""
    path = Path(path)
    head = read_head(path, 64)
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and b"P\x00a\x00l\x00m\x00S" in \
            read_head(path, 400):
        return "palmsens"
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() in (".xlsx", ".xlsm", ""):
        return "xlsx"
    if head.lstrip()[:1] in (b"[", b"{") and (_SPECTRUM_TYPE.encode() in read_head(path, 400)
                                             or path.suffix.lower() == ".json"):
        return "ssblab-json"
    found = _EXTENSIONS.get(path.suffix.lower(), "csv")
    # an .mpt without the signature is EC-Lab's export without its header block: a plain
    # table under EC-Lab's column names, read as text
    return "csv" if found == "biologic-mpt" else found


def _refuse_binary(path: Path, format: str) -> None:
    """Say which binary format a file is and how to export it, before reading it as text."""
    suffix = path.suffix.lower()
    head = read_head(path, 4096)
    binary = b"\x00" in head and head[:2] not in (b"\xff\xfe", b"\xfe\xff")
    if suffix in UNSUPPORTED and (binary or head.startswith((b"PK\x03\x04", b"<?xml"))):
        # (a text file under such a name, e.g. a tab export saved as .xls, is read as text)
        name, fix = UNSUPPORTED[suffix]
        raise InputError(f"{path}: {name} is not supported; export it as text ({fix}) and read "
                         "the export")
    if format == "csv" and binary:
        kind = "a zip archive" if head.startswith(b"PK\x03\x04") else "binary data"
        raise InputError(f"{path}: found {kind}, not a text table; this format "
                         f"({suffix or 'no extension'}) is not supported; export the spectrum "
                         "as CSV/text (frequency, Z', Z'') or pass --format (one of "
                         f"{', '.join(SPECTRUM_FORMATS)})")


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
    check_input_file(path)
    if format is None:
        format = detect_format(path)
    check_choice(format, SPECTRUM_FORMATS, name="format")
    check_choice(imag_convention, ImagConvention, name="imag_convention")
    _refuse_binary(Path(path), format)
    if format == "ssblab-json":
        found = _read_json(Path(path))
        if not isinstance(found, RawTable):
            return found
        tables = [found]
    elif format == "csv":
        tables = read_delimited(path, delimiter=delimiter)
    elif format == "xlsx":
        from ssblab.echem.io.xlsx import read_xlsx

        tables = read_xlsx(path)
    else:
        tables = _READERS[format](path)
    if isinstance(tables, RawTable):
        tables = [tables]
    spectra: list[Spectrum] = []
    for table in tables:
        table.metadata.setdefault("format", format)
        spectra += _table_spectra(table, frequency=frequency, real=real, imag=imag,
                                  modulus=modulus, phase=phase, convention=imag_convention,
                                  split=split, temperature_K=temperature_K, first=len(spectra))
    if len(spectra) > 1:
        notes = [s.metadata.get("note") for s in spectra if s.metadata.get("note")]
        note = notes[0] if notes else ""
        for s in spectra:
            s.metadata["note"] = note or (f"the file holds {len(spectra)} sweeps; each is read as "
                                          "its own spectrum")
    return spectra


_SPECTRUM_TYPE = "ssblab.echem.spectrum:Spectrum"


def _read_json(path: Path) -> list[Spectrum] | RawTable:
    """The spectra of an ssblab ``result.json`` (``ssblab read spectrum --out``, or
    ``Spectrum.to_json``; other results are skipped), or, for a JSON object of columns as
    pandas writes it (``DataFrame.to_json``: ``{"f (Hz)": {"0": 1e4, ...}, ...}`` or lists), that
    table, read as any other."""
    import json

    from ssblab.echem.io._common import read_text

    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    columns = _json_columns(data)
    if columns is not None:
        return RawTable(columns, str(path), {"format": "json-columns", "header": True})
    items = data if isinstance(data, list) else [data]
    spectra = []
    for item in items:
        if isinstance(item, dict) and item.get("__result__") == _SPECTRUM_TYPE:
            try:
                spectra.append(Spectrum.from_dict(item))
            except (TypeError, ValueError, KeyError) as exc:
                raise InputError(f"{path}: a serialised spectrum is malformed ({exc})") from None
    if not spectra:
        raise InputError(f"{path}: this JSON file holds no ssblab spectrum")
    return spectra


def _json_columns(data) -> dict[str, np.ndarray] | None:
    """Columns of numbers from a JSON object of equally long lists or index->value objects
    (pandas' "columns" orient), else None."""
    if not isinstance(data, dict) or not data or _SPECTRUM_TYPE in str(data.get("__result__")):
        return None
    columns = {}
    for name, values in data.items():
        if isinstance(values, dict):
            values = list(values.values())
        if not isinstance(values, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return None
        columns[str(name)] = np.asarray(values, dtype=float)
    if len({v.size for v in columns.values()}) != 1:
        return None
    return columns


def _table_spectra(table: RawTable, *, frequency, real, imag, modulus, phase, convention, split,
                   temperature_K, first) -> list[Spectrum]:
    where = table.source
    if table.metadata.get("header") is False and frequency is None and modulus is None and \
            len(table.columns) >= 3:
        # Without a header the columns are f, Z', Z'' (physical), as impedance.py writes them.
        frequency = 0
        if real is None and imag is None:
            real, imag = 1, 2
    if frequency is None and str(table.metadata.get("format", "")).startswith("biologic") and \
            find_column(table, FREQUENCY, what="frequency", required=False) is None:
        # EC-Lab names its columns itself: no freq/Hz means no impedance was recorded
        technique = table.metadata.get("technique")
        raise InputError(f"{where}: this EC-Lab file records no impedance (no freq/Hz column"
                         + (f"; technique {technique}" if technique else "") + "), so it holds "
                         f"no spectrum; columns are: {', '.join(table.columns)}")
    f_name = find_column(table, FREQUENCY, requested=frequency, what="frequency")
    f = np.asarray(table.columns[f_name], dtype=float) * unit_factor(f_name)
    z, used = _impedance(table, real=real, imag=imag, modulus=modulus, phase=phase,
                         convention=convention)
    polar = set(table.metadata.get("polar_columns", ()))
    # Rows of other techniques (open circuit between loops, cycling in a Modulo Bat file) carry
    # frequency 0 and impedance 0; they are not impedance points. Their count is in metadata.
    is_eis = ~((f == 0) & (z == 0))
    if not is_eis.any():
        raise InputError(f"{where}: the file holds no impedance points (every frequency is 0)")
    _warn_implausible(where, f, z, is_eis, table.metadata.get("lines"))
    blocks, how = _blocks(table, f, is_eis, split)
    temperature = _temperature_column(table)
    spectra = []
    for number, rows in enumerate(blocks):
        t_K = temperature_K
        if t_K is None and temperature is not None:
            t_K = _column_temperature_K(temperature[rows], where, number + first)
        if t_K is None:
            t_K = table.metadata.get("temperature_K")
        meta = dict(table.metadata, columns=used, frequency_column=f_name,
                    spectrum_index=first + number, non_impedance_rows=int((~is_eis).sum()),
                    rows=(int(rows[0]), int(rows[-1])))
        if how:
            meta["note"] = how
        if np.mean(z[rows].imag < 0) < 0.2 and rows.size >= 5 and used[1] not in polar:
            # Most points inductive: typical of a -Z'' column under a name without the minus.
            warnings.warn(f"{where}: {np.mean(z[rows].imag > 0):.0%} of the points of spectrum "
                          f"{first + number} have Z'' > 0 (inductive) reading column "
                          f"{used[1]!r} as {'-Z' if _negated(used[1], convention) else 'Z'}''; "
                          "if the file stores the other sign, pass imag_convention (CLI "
                          "--imag-convention)", DataWarning, stacklevel=3)
        spectra.append(Spectrum(frequency_Hz=f[rows], impedance_ohm=z[rows], source=where,
                                temperature_K=t_K, metadata=meta))
    return spectra


def _warn_implausible(where: str, f: np.ndarray, z: np.ndarray, is_eis: np.ndarray,
                      lines: tuple[int, int] | None) -> None:
    """Values no impedance analyser measures (binary corruption, wrong columns) are named, by
    file line where the table knows its lines, else by 0-based data row."""
    def named(rows: np.ndarray) -> str:
        shown = [int(r) + (lines[0] if lines else 0) for r in rows[:5]]
        return (f"line{'s' if rows.size > 1 else ''} " if lines else "data rows (0-based) ") + \
            ", ".join(map(str, shown)) + (" ..." if rows.size > 5 else "")

    for label, values in (("|Z| / ohm", np.abs(z)), ("f / Hz", np.abs(f))):
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(is_eis & np.isfinite(values) & (values > PLAUSIBLE_MAX[label]))
        if bad.size:
            warnings.warn(f"{where}: implausible {label} above {PLAUSIBLE_MAX[label]:g} in "
                          f"{bad.size} row(s) ({named(bad)}): check the file and its columns",
                          DataWarning, stacklevel=4)
    with np.errstate(invalid="ignore"):
        negative = np.flatnonzero(is_eis & (f < 0))
    if negative.size:
        raise InputError(f"{where}: {negative.size} negative frequencies ({named(negative)}): "
                         "is the frequency column right?")


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
    re_name = find_column(table, REAL + NEG_REAL, requested=real, what="real impedance",
                          required=False)
    im_name = find_column(table, IMAG + NEG_IMAG, requested=imag, what="imaginary impedance",
                          required=False)
    factors = table.metadata.setdefault("unit_factors", {})
    if re_name is not None and im_name is not None and modulus is None:
        negated = _negated(im_name, convention)
        z_re = np.asarray(table.columns[re_name], dtype=float) * _factor(re_name, factors)
        z_im = np.asarray(table.columns[im_name], dtype=float) * _factor(im_name, factors)
        if normalise_name(re_name).startswith("-"):
            z_re = -z_re
        return z_re + 1j * (-z_im if negated else z_im), (re_name, im_name)
    mod_name = find_column(table, MODULUS, requested=modulus, what="|Z|", required=False)
    ph_name = find_column(table, PHASE + NEG_PHASE, requested=phase, what="phase",
                          required=False)
    if mod_name is not None and ph_name is not None:
        z_mod = np.abs(np.asarray(table.columns[mod_name], dtype=float)) * \
            _factor(mod_name, factors)
        z_ph = np.deg2rad(np.asarray(table.columns[ph_name], dtype=float))
        if normalise_name(ph_name).startswith("-"):
            z_ph = -z_ph
        table.metadata["polar_columns"] = (mod_name, ph_name)
        return z_mod * np.exp(1j * z_ph), (mod_name, ph_name)
    raise InputError(f"{table.source}: no impedance columns found (need Z' and Z'', or |Z| and "
                     f"phase); columns are: {', '.join(table.columns)}; name them with the "
                     "real/imag (or modulus/phase) column options")


def _negated(im_name: str, convention: str) -> bool:
    """Whether the imaginary column holds -Z'' (from its name, or as the caller says)."""
    if convention == "auto":
        return normalise_name(im_name).startswith("-") or normalise_name(im_name) in NEG_IMAG
    return convention == "-Z''"


def _factor(name: str, factors: dict) -> float:
    factor = unit_factor(name)
    if factor != 1.0:
        factors[name] = factor
    return factor


def _blocks(table: RawTable, f: np.ndarray, is_eis: np.ndarray, split: str | None):
    """Row indices of each spectrum and a note on how the rows were split: contiguous runs of
    impedance rows, cut where the split column changes and where the frequency jumps back to
    the start of a new sweep."""
    rows = np.flatnonzero(is_eis)
    cuts = np.flatnonzero(np.diff(rows) > 1) + 1
    how = []
    if split is not None:
        name = find_column(table, SPLIT, what="split", required=False) if split == "auto" else \
            find_column(table, (), requested=split, what="split")
        if name is not None:
            key = np.asarray(table.columns[name])[rows]
            cuts = np.union1d(cuts, np.flatnonzero(key[1:] != key[:-1]) + 1)
            if len(cuts):
                how.append(f"split where column {name!r} changes")
    jumps = _sweep_restarts(f[rows])
    if jumps.size and split is not None:
        cuts = np.union1d(cuts, jumps)
        how.append(f"split where the frequency jumps back to the start of a sweep (data rows "
                   f"{', '.join(str(int(rows[j])) for j in jumps[:5])})")
    note = ""
    if len(cuts):
        note = f"the table holds {len(cuts) + 1} sweeps, read as separate spectra: " + \
            "; ".join(how or ["split at rows of other techniques"])
    return np.split(rows, cuts), note


def _sweep_restarts(f: np.ndarray) -> np.ndarray:
    """Indices where a new sweep starts: the frequency steps against the sweep's direction by
    more than half the decades the sweeps span (a repeated or out-of-order point is no cut).

    >>> f = np.concatenate([np.logspace(5, 0, 11)] * 3)
    >>> _sweep_restarts(f).tolist(), _sweep_restarts(f[::-1]).tolist()
    ([11, 22], [11, 22])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.diff(np.log10(np.where(f > 0, f, np.nan)))
    finite = step[np.isfinite(step)]
    if finite.size < 4:
        return np.array([], dtype=int)
    direction = np.sign(np.median(finite))
    span = np.nanmax(np.log10(f[f > 0])) - np.nanmin(np.log10(f[f > 0]))
    if direction == 0 or span == 0:
        return np.array([], dtype=int)
    return np.flatnonzero(np.isfinite(step) & (-direction * step > 0.5 * span)) + 1


def _column_temperature_K(celsius: np.ndarray, where: str, index: int) -> float | None:
    """The mean of a sweep's temperature column in K, or None when no sensor read it: values
    below absolute zero (Gamry's -327.67 "no sensor") are left out, and readings outside
    PLAUSIBLE_CELSIUS (an open thermocouple input reads ~1400 C) are ignored with a warning
    rather than reported as the sample's temperature."""
    valid = celsius[celsius > -273.15]
    if not valid.size:
        return None
    low, high = PLAUSIBLE_CELSIUS
    if valid.min() < low or valid.max() > high:
        warnings.warn(f"{where}: the temperature column of spectrum {index} reads "
                      f"{valid.min():g} to {valid.max():g} C, outside the {low:g} to {high:g} C "
                      "an impedance cell is measured at (an unconnected sensor?); ignored: give the "
                      "sample's temperature as temperature_K (`eis arrhenius`: --temperature "
                      "or --metadata)",
                      DataWarning, stacklevel=4)
        return None
    return float(valid.mean()) + 273.15


def _temperature_column(table: RawTable) -> np.ndarray | None:
    name = find_column(table, TEMPERATURE_C, what="temperature", required=False)
    return None if name is None else np.asarray(table.columns[name], dtype=float)
