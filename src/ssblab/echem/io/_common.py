"""Shared pieces of the instrument readers: the raw table, text decoding, numeric blocks and
column lookup by normalised header name.

Every reader first turns a file into a :class:`RawTable` (the file's own column names mapped to
NumPy arrays, plus metadata); the spectrum and cycler converters then pick columns from it.
"""

from __future__ import annotations

import dataclasses
import io
import re
import warnings
from pathlib import Path

import numpy as np

from ssblab.errors import InputError
from ssblab.files import check_input_file


class DataWarning(UserWarning):
    """A file was readable but some of its rows could not be used; the message names them."""


@dataclasses.dataclass
class RawTable:
    """The columns of one instrument file under the file's own names."""

    columns: dict[str, np.ndarray]
    source: str
    metadata: dict = dataclasses.field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return next(iter(self.columns.values())).shape[0] if self.columns else 0

    def take(self, keep: np.ndarray) -> RawTable:
        return RawTable({k: v[keep] for k, v in self.columns.items()}, self.source, self.metadata)


def read_text(path: Path) -> str:
    """A text file decoded as UTF-8, UTF-16 (with its byte-order mark, as PalmSens writes), or
    cp1252/latin-1 (what Windows instruments write)."""
    head = read_head(path, 4096)
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not utf16 and b"\x00" in head:  # before reading it all (a sparse file of zeros)
        raise InputError(f"{path}: expected a text file, found binary data")
    raw = _read_bytes(path)
    if utf16:
        try:
            return _unix_newlines(raw.decode("utf-16").lstrip("\ufeff").rstrip("\ufeff"))
        except UnicodeDecodeError:
            raise InputError(f"{path}: starts like UTF-16 text but does not decode as UTF-16") \
                from None
    try:
        text = raw.decode("utf-8-sig")  # drops Excel's byte-order mark ("CSV UTF-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return _unix_newlines(text)


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n") if "\r" in text[:65536] else text


def read_head(path: str | Path, n_bytes: int) -> bytes:
    """The first ``n_bytes`` of a file, for format detection."""
    check_input_file(path)
    try:
        with Path(path).open("rb") as handle:
            return handle.read(n_bytes)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None


def _read_bytes(path: Path) -> bytes:
    check_input_file(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a file, found a directory") from None


def parse_numeric_block(block: str | list[str], *, delimiter: str | None, where: str,
                        first_line: int, n_columns: int | None = None) -> np.ndarray:
    """Parse a block of numeric lines into a 2-D float array in one vectorised call.

    A last line with fewer fields than the first (a file cut off while being written) is
    dropped with a :class:`DataWarning` naming it; any other malformed line is an error naming
    the file and line. ``first_line`` is the 1-based line number of the block's first line.
    """
    text, width = _block_text(block, delimiter, where, first_line, n_columns)
    return _loadtxt(text, where, first_line, delimiter=delimiter, dtype=float,
                    usecols=range(width) if n_columns is not None else None)


def parse_mixed_block(block: str | list[str], names: list[str], *, delimiter: str | None,
                      where: str, first_line: int, text_columns: set[str] | None = None
                      ) -> dict[str, np.ndarray]:
    """Like :func:`parse_numeric_block` for tables that also hold text columns (dates, step
    types): the numeric columns (judged on the first row) become float arrays in one
    ``numpy.loadtxt`` call, the text columns in ``text_columns`` (all if None) string arrays in
    another.
    """
    text, width = _block_text(block, delimiter, where, first_line, len(names))
    first_row = text.split("\n", 1)[0].split(delimiter)
    numeric = [i for i, field in enumerate(first_row[:width]) if _is_number(field)]
    wanted = [i for i in range(width) if i not in numeric and
              (text_columns is None or names[i] in text_columns)]
    columns: dict[str, np.ndarray] = {}
    if numeric:
        values = _loadtxt(text, where, first_line, delimiter=delimiter, dtype=float,
                          usecols=numeric)
        columns.update({names[i]: values[:, k] for k, i in enumerate(numeric)})
    if wanted:
        strings = _loadtxt(text, where, first_line, delimiter=delimiter, dtype=str,
                           usecols=wanted, comments=None)
        columns.update({names[i]: strings[:, k] for k, i in enumerate(wanted)})
    return {n: columns[n] for n in names if n in columns}


def _block_text(block: str | list[str], delimiter: str | None, where: str, first_line: int,
                width: int | None) -> tuple[str, int]:
    """The block as one cleaned string and its field count, a truncated last line dropped."""
    text = (block if isinstance(block, str) else "\n".join(block)).rstrip("\r\n ")
    if not text.strip():
        raise InputError(f"{where}: the data table is empty")
    end_first = text.find("\n")
    if width is None:
        width = _n_fields(text if end_first < 0 else text[:end_first], delimiter)
    last_start = text.rfind("\n") + 1
    if last_start > 0 and _n_fields(text[last_start:], delimiter) < width:
        line = first_line + text.count("\n")
        warnings.warn(f"{where}: dropped the last line {line} "
                      f"({_n_fields(text[last_start:], delimiter)} of {width} fields): the file "
                      "looks truncated", DataWarning, stacklevel=4)
        text = text[:last_start - 1]
    return _clean(text, delimiter), width


def _loadtxt(text: str, where: str, first_line: int, **options) -> np.ndarray:
    try:
        return np.loadtxt(io.StringIO(text), ndmin=2, **options)
    except ValueError as exc:
        row = re.search(r"row (\d+)", str(exc))
        at = f" at line {first_line + int(row.group(1)) - 1}" if row else ""
        raise InputError(f"{where}: malformed data{at}: {exc}") from None


def _clean(text: str, delimiter: str | None) -> str:
    """Text ready for ``numpy.loadtxt``: decimal commas to points, no terminating delimiter,
    empty fields as ``nan`` (so that they are reported, not shifted). The regular expressions
    run only when the cheap substring tests find something to change.

    >>> _clean("1;2;;4\\n;5;6;", ";"), _clean("1\\t2\\t\\n3\\t4\\t", "\\t")
    ('1;2;nan;4\\nnan;5;6;nan', '1\\t2\\n3\\t4')
    """
    if delimiter not in (None, ",", ".") and "," in text and "." not in text:
        text = text.replace(",", ".")  # decimal commas (European locale exports)
    if delimiter is not None:
        # A delimiter ending every line is a terminator (Maccor); at the end of only some lines
        # it leaves an empty last field.
        if text.endswith(delimiter) and text.count(f"{delimiter}\n") == text.count("\n"):
            text = text.replace(f"{delimiter}\n", "\n").removesuffix(delimiter)
        if 2 * delimiter in text or text.startswith(delimiter) or text.endswith(delimiter) or \
                f"\n{delimiter}" in text or f"{delimiter}\n" in text:
            d = re.escape(delimiter)
            text = re.sub(rf"(?:(?<={d})|^)(?=[ \t]*(?:{d}|$))", "nan", text, flags=re.MULTILINE)
    return text


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _n_fields(line: str, delimiter: str | None) -> int:
    return len(line.rstrip("\r\n").rstrip(delimiter or None).split(delimiter))


def header_names(line: str, *, delimiter: str | None, n_data: int, where: str) -> list[str]:
    """Column names from a header line, fitted to the ``n_data`` fields of the data rows."""
    line = line.rstrip("\r\n")
    if delimiter is not None and line.endswith(delimiter):
        line = line[:-len(delimiter)]  # a terminating delimiter, not an unnamed column
    names = [n.strip() for n in line.split(delimiter)]
    if len(names) != n_data:
        raise InputError(f"{where}: the header names {len(names)} columns but the data rows hold "
                         f"{n_data} values: a column name is missing or extra "
                         f"(header: {', '.join(names)})")
    return unique_names(names)


_UNIT_SUFFIX = re.compile(r"\s*(/\s*[^/()]+|\(\s*(k?hz|[mkµu]?ohms?|[mkµu]?ω|deg|°|degrees?|s|v|a|ma)\s*\)|"
                          r"\[\s*[^\]]*\]|_(k?hz|[mk]?ohms?|deg|degrees))$", re.IGNORECASE)


def normalise_name(name: str) -> str:
    """Lower case, no spaces or quotes, no 'Data:' prefix, no trailing unit ('/Hz', '(ohm)',
    '[V]', '_Hz') and no trailing dot; ``Z"`` is written ``Z''``.

    Examples
    --------
    >>> normalise_name("-Im(Z)/Ohm"), normalise_name("Data: Z''"), normalise_name("Freq (Hz)")
    ('-im(z)', "z''", 'freq')
    >>> normalise_name("Freq.[Hz]"), normalise_name('Z"/ohm'), normalise_name("z_imag_ohm")
    ('freq', "z''", 'z_imag')
    """
    name = name.strip().strip('"').strip().lower()
    name = re.sub(r"^data:\s*", "", name)
    name = _UNIT_SUFFIX.sub("", name)
    return re.sub(r"\s+", "", name).replace('"', "''").rstrip(".")


_UNIT_FACTORS = {"hz": 1.0, "khz": 1e3, "mhz": None, "ohm": 1.0, "ohms": 1.0, "ω": 1.0,
                 "kohm": 1e3, "kohms": 1e3, "kω": 1e3, "mohm": None, "mω": None}


def unit_factor(name: str) -> float:
    """The factor to Hz or ohm that a column name's unit implies ('Z (kOhm)' -> 1e3), 1 when
    the name carries no unit or one not listed. 'mHz'/'MHz' and 'mOhm'/'MOhm' are told apart
    by case.

    >>> unit_factor("Freq (kHz)"), unit_factor("Z' [MOhm]"), unit_factor("Z'/mOhm"), unit_factor("f")
    (1000.0, 1000000.0, 0.001, 1.0)
    """
    match = re.search(r"(?:/|\(|\[|_)\s*([mkMµu]?(?:hz|ohms?|ω))\s*[)\]]?$", name.strip(),
                      re.IGNORECASE)
    if match is None:
        return 1.0
    unit = match.group(1)
    factor = _UNIT_FACTORS.get(unit.lower(), 1.0)
    if factor is None:  # 'm' prefixes: milli in lower case, mega in upper case
        factor = 1e6 if unit[0] == "M" else 1e-3
    if unit[0] in "µu":
        factor = 1e-6
    return factor


def find_column(table: RawTable, aliases: tuple[str, ...], *, requested: str | int | None = None,
                what: str, required: bool = True) -> str | None:
    """The file's column name for ``what``: the one the caller named, else the first alias found.

    ``requested`` may be a column name (matched case-insensitively, also after normalisation) or
    a 0-based column index.
    """
    names = list(table.columns)
    if requested is not None:
        if isinstance(requested, int) and not isinstance(requested, bool):
            if not -len(names) <= requested < len(names):
                raise InputError(f"{table.source}: {what} column index {requested} is out of "
                                 f"range; the file has {len(names)} columns")
            return names[requested]
        for name in names:
            if name.lower() == str(requested).lower() or \
                    normalise_name(name) == normalise_name(str(requested)):
                return name
        raise InputError(f"{table.source}: no column {requested!r} for {what}; columns are: "
                         f"{', '.join(names)}")
    normalised = {normalise_name(n): n for n in reversed(names)}
    for alias in aliases:
        if alias in normalised:
            return normalised[alias]
    if required:
        raise InputError(f"{table.source}: no {what} column found (looked for "
                         f"{', '.join(repr(a) for a in aliases[:6])}...); columns are: "
                         f"{', '.join(names)}; name it with the {what} column option")
    return None


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique: an empty name becomes ``column_<i>``, a repeat gets ``_1``, ``_2``.

    Examples
    --------
    >>> unique_names(["t", "", "V", "V"])
    ['t', 'column_1', 'V', 'V_1']
    """
    seen: dict[str, int] = {}
    unique = []
    for i, name in enumerate(names):
        name = name or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        unique.append(name)
    return unique
