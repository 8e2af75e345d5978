"""Delimited text tables (CSV, TSV, semicolon) as lazily read columns.

The layout of a file (encoding, preamble, header line, a unit row under it, delimiter, decimal
comma, which columns are numbers and which repeat a few labels) is sniffed from its first
256 kB (:func:`sniff`). pyarrow.csv then reads only the columns that are asked for
(:func:`read_columns`): numbers go straight into NumPy arrays (int64 where the sample holds
only whole numbers, else float64), repeated labels stay dictionary-encoded, other text stays a
pyarrow string array until it is used (or goes through a converter as it is read). A file over
8 MB is read in a pipeline of 1 MB ranges parsed by one thread per core while this thread
copies the parsed ranges in order, in bounded memory; a smaller one is streamed in 1 MB
batches. With the ``fast`` extra (Numba) a compiled parser reads the ranges of number columns
first and hands pyarrow any range it cannot parse exactly (:func:`read_columns`). Measured
against ``pandas.read_csv`` in docs/benchmarks.md (5 million rows).

Strictness: a row with more or fewer fields than the header is an error naming it, except a
last line cut short, which is dropped with a :class:`~ssblab.echem.io.DataWarning`. A last line
without a line break whose last number is shorter than the one above was cut inside that
number: dropped with a warning too. A numeric column with a word further down is an error
naming the column and the value.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import DataWarning, RawTable, unique_names
from ssblab.errors import InputError, require_package

HEAD_BYTES = 262_144
_INTEGER = re.compile(r"^[ \t]*[-+]?\d{1,15}[ \t]*$")
_NUMBER = re.compile(r"^[ \t]*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?[ \t]*$")
_CLOCKLIKE = re.compile(r"^[ \t]*(\d+d[ \t]*)?\d+:\d\d(:\d\d([.,]\d*)?)?[ \t]*$")
_DATELIKE = re.compile(r"^[ \t]*(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}-[A-Za-z]{3}-\d{2,4})"
                       r"([ T]+\d{1,2}:\d\d(:\d\d([.,]\d*)?)?( ?[AaPp][Mm])?)?[ \t]*$")
_EMPTY = {"", "nan", "NaN", "NAN", "N/A", "n/a", "NA", "inf", "-inf", "+inf", "Inf", "-Inf"}
NULL_VALUES = ["", "nan", "NaN", "NAN", "N/A", "n/a", "NA", "null", "NULL", "-"]


@dataclasses.dataclass
class TextLayout:
    """Where the table of a text file is and how it is written."""

    path: Path
    names: list[str]
    data_offset: int
    first_line: int
    delimiter: str
    decimal: str
    encoding: str
    line_quoted: bool = False
    terminated: bool = False
    preamble: list[str] = dataclasses.field(default_factory=list)
    numeric: frozenset = frozenset()
    categorical: frozenset = frozenset()
    integer: frozenset = frozenset()  # numeric columns sampled as whole numbers (step, cycle)
    head: list = dataclasses.field(default_factory=list)  # the data lines of the first 256 kB


def _split(line: str, delimiter: str) -> list[str]:
    return line.rstrip("\r").split(delimiter)


def _kind(field: str) -> str:
    field = field.strip().strip('"')
    if field in _EMPTY:
        return "empty"
    if _NUMBER.match(field) or _CLOCKLIKE.match(field) or _DATELIKE.match(field):
        return "number"
    return "text"


def _is_data(fields: list[str]) -> bool:
    kinds = [_kind(f) for f in fields]
    numbers = kinds.count("number")
    return numbers > kinds.count("text") and (numbers >= 2 or len(fields) <= 2)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # the sample ends inside a multi-byte character
            return raw[:exc.start].decode("utf-8"), "utf-8"
        return raw.decode("cp1252", errors="replace"), "cp1252"


def sniff(path: str | Path, *, delimiter: str | None = None, header_line: int | None = None,
          start_marker: str | None = None) -> TextLayout:
    """The layout of a delimited text file from its first 256 kB.

    ``header_line`` (0-based) fixes the header; ``start_marker`` is a line (like ``[Data]``)
    after which the header follows. Otherwise the header is the last non-numeric line with the
    data rows' field count above the first run of data rows; a short non-numeric row between
    it and the data is taken as a row of units.
    """
    path = Path(path)
    where = str(path)
    check_regular(path)
    with path.open("rb") as handle:
        raw = handle.read(HEAD_BYTES)
        complete = len(raw) < HEAD_BYTES or not handle.read(1)
    if b"\x00" in raw[:4096]:
        raise InputError(f"{where}: expected a text file, found binary data")
    if not complete:
        raw = raw[:raw.rfind(b"\n") + 1]
    text, encoding = _decode(raw)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError(f"{where}: the file is empty")
    line_quoted = _lines_quoted(lines)
    if line_quoted:
        lines = [line.rstrip("\r").strip('"') for line in lines]
    start = 0
    if start_marker is not None:
        found = next((i for i, line in enumerate(lines) if line.strip() == start_marker), None)
        if found is None:
            raise InputError(f"{where}: no {start_marker!r} line found")
        start = found + 1
    if delimiter is None:
        delimiter = _sniff_delimiter(lines[start:], where)
    width = _data_width(lines[start if header_line is None else header_line + 1:], delimiter)
    if header_line is None:
        first_data = _first_data_line(lines, start, delimiter, width, where)
        header_line, unit_line = _header_above(lines, start, first_data, delimiter, width)
        if header_line is None:
            example = delimiter.join(["time_s", "current_A", "voltage_V"][:max(width, 1)])
            raise InputError(f"{where}: no header line of column names found above the data "
                             f"(line {first_data + 1}); the data rows hold {width} fields "
                             f"separated by {_show(delimiter)}; add a first line naming them "
                             f"with their units in the file's order, e.g. {example!r}")
    else:
        if header_line >= len(lines):
            raise InputError(f"{where}: the file ends before its header line {header_line + 1}")
        first_data = header_line + 1
        unit_line = None
    while first_data < len(lines) and not lines[first_data].strip():
        first_data += 1
    names = [n.strip().strip('"').strip() for n in _split(lines[header_line], delimiter)]
    if unit_line is not None:
        unit_fields = [u.strip().strip('"') for u in _split(lines[unit_line], delimiter)]
        names = [f"{n} [{u.strip('[]()')}]" if u and i < len(unit_fields) else n
                 for i, (n, u) in enumerate(zip(names, unit_fields + [""] * len(names)))]
    if first_data >= len(lines) or width == 0:
        raise InputError(f"{where}: no data rows after the header (line {header_line + 1})")
    names, terminated = _fit_names(names, width, lines, first_data, delimiter, where)
    decimal = _sniff_decimal(lines[first_data:first_data + 200], delimiter)
    offset = 0  # the byte where the data start: after the first_data-th line break
    for _ in range(first_data):
        offset = raw.index(b"\n", offset) + 1
    sample = lines[first_data:first_data + 200]
    numeric = _numeric_columns(names, sample, delimiter)
    categorical = _categorical_columns(names, sample, delimiter) - numeric
    integer = _numeric_columns(names, sample, delimiter, pattern=_INTEGER)
    return TextLayout(path, names, offset, first_data + 1, delimiter, decimal, encoding,
                      line_quoted, terminated,
                      [line.rstrip("\r") for line in lines[:header_line]], numeric, categorical,
                      integer, lines[first_data:])


def _categorical_columns(names, lines, delimiter) -> frozenset:
    """Text columns that repeat a few labels (step types, modes): read dictionary-encoded."""
    rows = [_split(line, delimiter) for line in lines if line.strip()]
    return frozenset(name for i, name in enumerate(names)
                     if len(rows) >= 20 and len({r[i] for r in rows if i < len(r)}) <= 20)


def _numeric_columns(names, lines, delimiter, pattern=None) -> frozenset:
    """The columns whose sampled fields are all plain numbers (or empty): read as float64
    directly, so that a stray word further down is an error naming it, not a text column.
    With ``pattern`` (whole numbers), the columns whose fields all match it."""
    rows = [_split(line, delimiter) for line in lines if line.strip()]
    pattern = pattern or _NUMBER
    numeric = set()
    for i, name in enumerate(names):
        fields = [r[i].strip().strip('"') for r in rows if i < len(r)]
        if fields and all(f in _EMPTY or pattern.match(f) for f in fields) and \
                any(f not in _EMPTY for f in fields):
            numeric.add(name)
    return frozenset(numeric)


def check_regular(path: Path) -> None:
    """A regular file, else an error naming what it is (a FIFO would block, a device never
    end)."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc}") from None
    if not stat.S_ISREG(mode):
        kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
                if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
                else "a block device" if stat.S_ISBLK(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "not a regular file")
        raise InputError(f"{path}: expected a file, found {kind}")


def _show(delimiter: str) -> str:
    return {"\t": "tabs", ",": "commas", ";": "semicolons"}.get(delimiter, repr(delimiter))


def _lines_quoted(lines: list[str]) -> bool:
    """Every data line wrapped in one pair of quotes (some Novonix exports)."""
    tail = [line.rstrip("\r") for line in lines[-20:] if line.strip()]
    return bool(tail) and all(line.startswith('"') and line.endswith('"') and
                              line.count('"') == 2 for line in tail)


def _sniff_delimiter(lines: list[str], where: str) -> str:
    """The delimiter that splits the last 20 lines into the most fields, steadily; a comma
    loses to tabs or semicolons that split fields written with decimal commas."""
    tail = [line for line in lines if line.strip()][-20:]
    steady = {}
    for delimiter in ("\t", ";", ","):
        counts = [len(_split(line, delimiter)) for line in tail]
        mode = max(set(counts), key=counts.count) if counts else 1
        if mode >= 2 and counts.count(mode) >= 0.75 * len(counts):
            steady[delimiter] = mode
    if not steady:
        raise InputError(f"{where}: cannot tell how the columns are separated (tried tabs, "
                         "semicolons and commas); pass the delimiter (--delimiter)")
    best = max(steady, key=steady.get)
    if best == "," and len(steady) > 1:
        other = next(d for d in steady if d != ",")
        fields = [f.strip() for line in tail for f in _split(line, other)]
        if sum(bool(re.fullmatch(r"[-+]?\d+,\d+([eE][-+]?\d+)?", f)) for f in fields) > \
                0.3 * len(fields):
            return other
    return best


def _data_width(lines: list[str], delimiter: str) -> int:
    tail = [len(_split(line, delimiter)) for line in lines if line.strip()][-20:]
    if not tail:
        return 0
    return max(set(tail), key=tail.count)


def _first_data_line(lines, start, delimiter, width, where) -> int:
    for i in range(start, len(lines)):
        fields = _split(lines[i], delimiter)
        if abs(len(fields) - width) <= 1 and _is_data(fields):
            following = [line for line in lines[i + 1:i + 4] if line.strip()]
            fitting = sum(abs(len(_split(line, delimiter)) - width) <= 1 and
                          _is_data(_split(line, delimiter)) for line in following)
            if fitting >= len(following) - (len(following) == 3):  # one odd row is reported
                return i
    raise InputError(f"{where}: no rows of numbers found (looked for rows of {width} fields "
                     f"separated by {_show(delimiter)})")


def _header_above(lines, start, first_data, delimiter, width):
    candidates = []
    for i in range(first_data - 1, max(start, first_data - 4) - 1, -1):
        if not lines[i].strip():
            continue
        fields = _split(lines[i], delimiter)
        if abs(len(fields) - width) > 1 or _is_data(fields):
            break
        candidates.append(i)
        if len(candidates) == 2:
            break
    if not candidates:
        return None, None
    if len(candidates) == 2:
        lower = [f.strip() for f in _split(lines[candidates[0]], delimiter)]
        upper = [f.strip() for f in _split(lines[candidates[1]], delimiter)]
        short = all(len(f) <= 8 for f in lower)
        if short and sum(len(f) for f in upper) > sum(len(f) for f in lower):
            return candidates[1], candidates[0]
    return candidates[0], None


def _fit_names(names, width, lines, first_data, delimiter, where) -> tuple[list[str], bool]:
    names = [n.lstrip("~").strip() if i == 0 else n for i, n in enumerate(names)]
    if len(names) == width + 1 and names[-1] == "":
        names = names[:-1]  # a delimiter ending the header line
    row = _split(lines[first_data], delimiter) if first_data < len(lines) else []
    terminated = bool(row) and row[-1].strip() == "" and len(names) in (width - 1, width) \
        and names[-1] == ""
    if len(names) == width - 1 and row and row[-1].strip() == "":
        names = names + [""]  # a delimiter ending every data line (Maccor)
        terminated = True
    if len(names) != width:
        raise InputError(f"{where}: the header names {len(names)} columns but the data rows hold "
                         f"{width} fields (header: {', '.join(names)})")
    return unique_names(names), terminated


def _sniff_decimal(lines: list[str], delimiter: str) -> str:
    if delimiter == ",":
        return "."
    comma = point = 0
    for line in lines:
        for field in _split(line, delimiter):
            field = field.strip()
            if re.fullmatch(r"[-+]?\d*,\d+([eE][-+]?\d+)?", field):
                comma += 1
            elif re.fullmatch(r"[-+]?\d*\.\d+([eE][-+]?\d+)?", field):
                point += 1
    return "," if comma > point else "."


class TextTable(RawTable):
    """A :class:`RawTable` whose columns are read from the file when first asked for
    (:meth:`load`); until then ``columns`` maps each name to None."""

    def __init__(self, layout: TextLayout, metadata: dict | None = None):
        super().__init__({name: None for name in layout.names}, str(layout.path),
                         dict(metadata or {}, data_line=layout.first_line))
        self.layout = layout
        self.converted: set = set()  # text columns turned into numbers while read
        self._n_rows: int | None = None

    @property
    def n_rows(self) -> int:
        if self._n_rows is None:
            self.load([self.layout.names[0]])
        return self._n_rows

    def load(self, names, *, converters: dict | None = None) -> None:
        """Read the named columns (all when ``names`` is None) into ``columns``; text columns
        named in ``converters`` through them, as :func:`read_columns` does."""
        names = list(self.layout.names if names is None else names)
        missing = [n for n in names if self.columns.get(n) is None]
        if missing:
            columns, n_rows = read_columns(self.layout, missing, converters=converters)
            self.columns.update(columns)
            self.converted.update(n for n in converters or () if n in columns and
                                  n not in self.layout.numeric and
                                  isinstance(columns[n], np.ndarray))
            self._n_rows = n_rows

    def take(self, keep: np.ndarray) -> RawTable:
        self.load(None)
        return RawTable({k: v[keep] for k, v in self.columns.items()}, self.source,
                        self.metadata)


def read_columns(layout: TextLayout, names: list[str], *, threads: int | None = None,
                 converters: dict | None = None) -> tuple[dict[str, np.ndarray], int]:
    """The named columns of a sniffed file: numbers as NumPy arrays (float64, or int64 where
    every field is a whole number), text as pyarrow string arrays.

    ``converters`` maps text columns to functions ``f(chunk, first=...)`` that turn each
    chunk (a pyarrow string array, in file order) into float64 values, so that the text is
    never held whole (clock times); returning None for the first chunk keeps the column text.

    The numbers are copied into arrays allocated for the most rows the file can hold (pages
    never written are never resident). ``threads=1`` streams the file in 1 MB batches on this
    thread. With more threads (the default for a file over 8 MB: one per core, at most 8) the
    file is read in ranges of 1 MB cut after a line break by this thread and parsed by that
    many threads, each copying (or converting) its own range into the result arrays once the
    ranges before it are parsed: the peak memory is the decoded columns plus a few ranges. A
    row with a wrong field count or a malformed number found that way is read again on one
    thread, to name its line.

    Where only number columns (and clock times whose converter is marked :data:`CLOCK`) are
    asked for, the file is over :data:`KERNEL_MIN_BYTES` and Numba is installed (the ``fast``
    extra; loaded by the first file over :data:`KERNEL_LOAD_BYTES`, see :func:`_compiled`),
    each range goes first through a compiled parser (:mod:`._csv_numba`; pipelined on one
    parsing thread where ``threads=1``) that returns pyarrow's numbers bit for bit or declines
    the range, which pyarrow then reads with its checks; ``SSBLAB_CSV_KERNELS=arrow`` keeps to
    pyarrow."""
    return _read_columns(layout, names, threads, converters, compiled=True)


def _read_columns(layout, names, threads, converters, *, compiled):
    """:func:`read_columns`; ``compiled=False`` keeps to pyarrow (the serial pass that names
    a bad line)."""
    csv = require_package("pyarrow.csv", extra="echem", purpose="Reading delimited text files")
    import pyarrow as pa

    where = str(layout.path)
    rewritten, last_cut, n_bytes = _source(layout)
    if threads is None:
        threads = _threads(n_bytes)
    if rewritten is not None:
        threads = 1  # an in-memory rewrite (quoted lines): streamed as one
    numeric = [n for n in names if n in layout.numeric]
    convert = {n: f for n, f in (converters or {}).items() if n in names and n not in numeric}
    capacity = n_bytes // max(len(layout.names), 1) + 2  # every row holds a delimiter a field
    kernel = _kernel_for(layout, names, numeric, convert, n_bytes) if compiled and \
        rewritten is None else None
    pipelined = threads > 1 or kernel is not None
    try:
        with _undecodable_rows_unreported():
            if pipelined:
                out, text, n_rows, bad_rows = _read_pipelined(
                    csv, layout, names, numeric, convert, capacity, threads, kernel, n_bytes)
            else:
                source = rewritten if rewritten is not None else _data_stream(layout, n_bytes)
                with source:
                    out, text, n_rows, bad_rows = _read_batches(
                        csv, source, _options(csv, layout, names), numeric, convert, capacity)
    except (pa.ArrowInvalid, UnicodeDecodeError, _LongLine) as exc:
        if "to int64" in str(exc) and layout.integer.intersection(names):
            # a column sampled as whole numbers holds a fraction (or a huge number) further
            # down: read it as float64, whose checks name such rows
            return _read_columns(dataclasses.replace(layout, integer=frozenset()), names,
                                 threads, converters, compiled=compiled)
        if pipelined:  # named from the start of a range: a serial pass names the line
            return _read_columns(layout, names, 1, converters, compiled=False)
        raise InputError(f"{where}: malformed data: {exc}") from None
    if pipelined and bad_rows and not _only_last_line_short(bad_rows, layout):
        return _read_columns(layout, names, 1, converters, compiled=False)  # numbered
    _report_bad_rows(bad_rows, layout, n_rows, where)
    if last_cut and n_rows:
        warnings.warn(f"{where}: dropped the last line {layout.first_line + n_rows - 1}: the file "
                      "does not end with a line break and its last field is shorter than the "
                      "one above it, so it looks cut inside a number", DataWarning, stacklevel=4)
        n_rows -= 1
    if n_rows == 0:
        raise InputError(f"{where}: the data table is empty")
    columns = {}
    for name in numeric + [n for n in convert if n in out]:
        if name not in out:  # no rows at all
            out[name] = np.empty(0)
        columns[name] = out[name][:n_rows]
    for name, chunks in text.items():
        if name in columns:
            continue  # converted
        kind = pa.dictionary(pa.int32(), pa.string()) if name in layout.categorical else \
            pa.string()
        columns[name] = _to_numpy(pa.chunked_array(chunks, type=kind)[:n_rows], name,
                                  layout, where)
    return {n: columns[n] for n in names}, n_rows


@contextlib.contextmanager
def _undecodable_rows_unreported():
    """pyarrow decodes a row with a wrong field count as UTF-8 before handing it to
    ``invalid_row_handler``; bytes that do not decode raise inside pyarrow, which prints the
    traceback as "Exception ignored" and then fails the parse with a message of its own (named
    to the user). That printout is not the user's business, so it is dropped while we read."""
    previous = sys.unraisablehook

    def hook(unraisable):
        if not issubclass(unraisable.exc_type, UnicodeDecodeError):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _options(csv, layout: TextLayout, names: list[str], block_size: int = 1 << 20) -> dict:
    """pyarrow's CSV options for the named columns of a layout, with a fresh list collecting
    the rows whose field count is wrong (``options["bad_rows"]``)."""
    import pyarrow as pa

    bad_rows: list = []

    def on_invalid(row):
        bad_rows.append(row)
        return "skip"

    return dict(
        read_options=csv.ReadOptions(column_names=layout.names, encoding=layout.encoding,
                                     block_size=block_size, use_threads=False),
        parse_options=csv.ParseOptions(delimiter=layout.delimiter, quote_char='"',
                                       invalid_row_handler=on_invalid, ignore_empty_lines=True),
        convert_options=csv.ConvertOptions(
            include_columns=names,
            column_types={n: pa.int64() if n in layout.integer else pa.float64()
                          if n in layout.numeric else pa.dictionary(pa.int32(), pa.string())
                          if n in layout.categorical else pa.string() for n in names},
            null_values=NULL_VALUES, strings_can_be_null=True,
            decimal_point=layout.decimal, timestamp_parsers=[]),
        memory_pool=_pool(), bad_rows=bad_rows)


def _pool():
    """pyarrow's jemalloc pool where the wheel has one (Linux), else its default: it hands
    freed pages back sooner than mimalloc (the default) and reuses them better than the system
    allocator; on the 5M-row CSV the pipelined read peaked at 1.07x the decoded arrays with
    it, 1.11-1.12x with mimalloc, in the same CPU time (docs/benchmarks.md)."""
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()


def _read_batches(csv, source, options, numeric, convert, capacity):
    """Stream 1 MB batches: numbers copied into preallocated arrays, text kept as chunks
    (or converted). Returns (numbers, text chunks, rows, rows with a wrong field count)."""
    bad_rows = options.pop("bad_rows")
    out: dict = {}
    text: dict = {n: [] for n in options["convert_options"].include_columns
                  if n not in numeric}
    n_rows = 0
    try:
        for batch in csv.open_csv(source, **options):
            for name in numeric:
                _put(out, name, n_rows, batch.column(name), capacity)
            for name in text:
                _put_text(out, text, convert, name, n_rows, batch.column(name), capacity)
            n_rows += batch.num_rows
    except StopIteration:  # no data after the header
        pass
    return out, text, n_rows, bad_rows


RANGE_BYTES = 1 << 20  # one parse of the pipelined read: 1 MB peaked lowest (1.07x on the
# 5M-row CSV, 4 MB 1.17x; Neware CSV 1.26x against 1.55x) in the same CPU time


class _LongLine(Exception):
    """A line longer than a range of the pipelined read."""


def _threads(n_bytes: int) -> int:
    """Threads that parse a file of ``n_bytes``: one per core (at most 8) for a file over
    8 MB, else 1. The pipelined read takes about the CPU time of the one-thread stream
    (1.0-1.1 s for 5M rows either way), so a busy machine only shares its threads out."""
    if n_bytes <= 8 << 20:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1  # the cores this process may run on
    return max(1, min(8, cores))


KERNEL_MIN_BYTES = 8 << 20  # smaller files keep to pyarrow (the parse saves ~2 ms CPU a MB)
KERNEL_LOAD_BYTES = 1 << 30  # the kernel is loaded once a process's files over
# KERNEL_MIN_BYTES add up to this (a single file this big, or a notebook's fourth 349 MB
# file): Numba's import and the kernel's load take 0.4-0.6 s once a process, the kernel saves
# 0.3 s wall (0.7 s CPU) on each 349 MB benchmark file on 2 cores, so a one-file process is
# faster without it (SSBLAB_CSV_KERNELS=numba loads it for the first file over
# KERNEL_MIN_BYTES)
_bytes_seen = 0  # bytes of files over KERNEL_MIN_BYTES this process has read


def _compiled(n_bytes: int | None = None):
    """The compiled range parser (:mod:`._csv_numba`) for a file of ``n_bytes`` (None: any),
    or None: Numba is not installed or the kernel does not compile here,
    ``SSBLAB_CSV_KERNELS=arrow`` asks for pyarrow's parser alone, or the kernel is not loaded
    yet and this process's big files, this one included, add up to less than
    :data:`KERNEL_LOAD_BYTES` (``SSBLAB_CSV_KERNELS=numba`` loads it for any file)."""
    mode = os.environ.get("SSBLAB_CSV_KERNELS", "").lower()
    if mode not in ("", "arrow", "numba"):
        raise InputError(f"SSBLAB_CSV_KERNELS: expected 'arrow', 'numba' or unset, found "
                         f"{mode!r}")
    if mode == "arrow":
        return None
    global _bytes_seen
    if n_bytes is not None:
        _bytes_seen += n_bytes
    if mode == "numba" or n_bytes is None or _bytes_seen >= KERNEL_LOAD_BYTES or \
            _load_kernels.cache_info().currsize:
        return _load_kernels()
    return None


@functools.cache
def _load_kernels():
    try:
        import ssblab.echem.io._csv_numba as kernels

        kernels.parse_range(np.frombuffer(bytearray(b"1,2\n"), np.uint8), 4, 44, 46,
                            np.array([1, 2], np.int8), np.zeros(2, np.int64),
                            np.empty((1, 2)), np.empty((1, 2), np.int64))  # compiled (or
    except Exception:  # loaded from the cache) here, once; no Numba, or it fails to compile
        return None
    return kernels


@dataclasses.dataclass
class _Kernel:
    """The compiled parser with what it needs of a layout: each column's kind and slot (its
    row in the float or the whole-number scratch array)."""

    parse_range: object
    kinds: np.ndarray
    slots: np.ndarray
    whole: np.ndarray  # per column: 1 where its slot is in the whole-number scratch array
    delimiter: int
    decimal: int
    n_float: int
    n_int: int


CLOCK = "clock"  # a converter with ``compiled_form = CLOCK`` turns plain 'H:MM:SS' fields
# into whole seconds (``cycler._clock_chunk_s``): the compiled parser reads those itself


def _kernel_for(layout: TextLayout, names: list[str], numeric: list[str], convert: dict,
                n_bytes: int) -> _Kernel | None:
    """The compiled parser for reading ``names`` of ``layout`` (``n_bytes`` of data), or None
    (pyarrow reads): it reads number columns and clock times (columns whose converter says
    :data:`CLOCK`), from single-byte delimiters and decimal marks."""
    if n_bytes < KERNEL_MIN_BYTES:
        return None
    clocks = {n for n, f in convert.items() if getattr(f, "compiled_form", None) == CLOCK}
    kernels = _compiled(n_bytes)
    if kernels is None or len(numeric) + len(clocks) != len(set(names)) or not numeric or \
            len(layout.delimiter.encode()) != 1 or len(layout.decimal.encode()) != 1 or \
            layout.delimiter == layout.decimal:
        return None
    kinds = np.zeros(len(layout.names), np.int8)
    slots = np.zeros(len(layout.names), np.int64)
    counts = [0, 0]  # float (and clock) rows, whole-number rows
    for i, name in enumerate(layout.names):
        if name in numeric or name in clocks:
            kind = kernels.CLOCK if name in clocks else kernels.INT \
                if name in layout.integer else kernels.FLOAT
            scratch = int(kind == kernels.INT)
            kinds[i], slots[i] = kind, counts[scratch]
            counts[scratch] += 1
    return _Kernel(kernels.parse_range, kinds, slots, (kinds == kernels.INT).astype(np.int64),
                   ord(layout.delimiter), ord(layout.decimal), counts[0], counts[1])


def _read_pipelined(csv, layout, names, numeric, convert, capacity, threads, kernel=None,
                    n_bytes=None):
    """The data part in ranges of :data:`RANGE_BYTES` cut after a line break, read into
    ``threads + 1`` reused buffers and parsed by ``threads`` threads (pyarrow parses without
    the GIL). A parsing thread learns its range's first row once the range before it is
    parsed and copies its numbers into the result arrays itself (NumPy copies release the
    GIL), so the copies run side by side; this thread reads the file and takes the text
    columns in file order. Returns what :func:`_read_batches` returns (the bad rows of all
    ranges)."""
    from collections import deque
    from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor

    import pyarrow as pa

    out: dict = {n: _untouched(capacity, np.int64 if n in layout.integer else np.float64)
                 for n in numeric}
    out.update({n: _untouched(capacity, np.float64) for n in convert})
    gaps: dict = {n: [] for n in numeric if n in layout.integer}  # (row, chunk) with nulls
    text: dict = {n: [] for n in names if n not in numeric}
    taken = {n: Future() for n in convert}  # whether the converter took the column's first rows
    n_rows = 0
    size = RANGE_BYTES if n_bytes is None else min(RANGE_BYTES, n_bytes + 1)
    free = [(bytearray(size), _scratch(kernel, size, len(layout.names)))
            for _ in range(threads + 1)]
    pending: deque = deque()
    options = _options(csv, layout, names, block_size=RANGE_BYTES + 1)  # a range in one block
    bad_rows = options.pop("bad_rows")  # of all ranges (appended from the parsing threads)
    first_row: Future = Future()  # of the range submitted next
    first_row.set_result(0)

    def converted(name: str, start: int, chunk) -> bool:
        """Whether a chunk of a text column went through its converter into ``out``; the
        chunk holding the column's first row decides for all (the others wait for it)."""
        if not len(chunk):
            return True  # nothing to keep
        if start == 0:
            values = convert[name](chunk, first=True)
            with contextlib.suppress(InvalidStateError):  # a later range failed first
                taken[name].set_result(values is not None)
        elif taken[name].result():
            values = convert[name](chunk, first=False)
        else:
            return False
        if values is None:
            return False
        out[name][start:start + len(chunk)] = values
        return True

    def parse(view: memoryview, first: Future, after: Future, scratch):
        table = None
        try:
            rows = -1 if kernel is None else kernel.parse_range(
                np.frombuffer(view, np.uint8), len(view), kernel.delimiter, kernel.decimal,
                kernel.kinds, kernel.slots, *scratch)
            if rows < 0:  # declined: pyarrow reads the range, with its checks
                table = csv.read_csv(pa.BufferReader(pa.py_buffer(view)), **options)
                rows = table.num_rows
            start = first.result()  # the range before is parsed by now or soon
            after.set_result(start + rows)
        except BaseException as exc:  # the ranges after this one fail with it
            after.set_exception(exc)
            raise
        if table is None and not all(_clock_taken(taken[name], start) for name in convert):
            table = csv.read_csv(pa.BufferReader(pa.py_buffer(view)), **options)  # text
        if table is None:
            for name in numeric + list(convert):
                column = layout.names.index(name)
                _populate(out[name], start, rows)
                out[name][start:start + rows] = \
                    scratch[kernel.whole[column]][kernel.slots[column], :rows]
            return rows, {}
        kept: dict = {}
        try:
            for name in numeric:
                row = start
                for chunk in table.column(name).chunks:
                    _put_into(out[name], gaps.get(name), row, chunk)
                    row += len(chunk)
            for name in text:
                row = start
                for chunk in table.column(name).chunks:
                    if name not in convert or not converted(name, row, chunk):
                        kept.setdefault(name, []).append(chunk)
                    row += len(chunk)
        except BaseException as exc:  # ranges waiting for a decision this one owed fail too
            for decided in taken.values():
                with contextlib.suppress(InvalidStateError):
                    decided.set_exception(exc)
            raise
        return table.num_rows, kept  # the numbers' buffers go now

    def take_oldest():
        nonlocal n_rows
        future, spare = pending.popleft()
        rows, kept = future.result()
        for name, chunks in kept.items():
            text[name].extend(chunks)
        n_rows += rows
        free.append(spare)

    with layout.path.open("rb", buffering=0) as handle, ThreadPoolExecutor(threads) as pool:
        try:
            position = layout.data_offset  # read at absolute offsets, as _data_stream does
            tail = b""  # a line begun at the end of the last range
            while True:
                if not free:
                    take_oldest()
                spare = free.pop()
                buffer, scratch = spare
                view = memoryview(buffer)
                view[:len(tail)] = tail
                end = len(tail)
                while end < len(buffer):
                    got = _pread_into(handle, view[end:], position)
                    if not got:
                        break
                    end += got
                    position += got
                if end == 0:
                    free.append(spare)
                    break
                cut = end if end < len(buffer) else buffer.rfind(b"\n", 0, end) + 1
                if cut == 0:
                    raise _LongLine(f"a line longer than {len(buffer)} bytes")
                tail = bytes(view[cut:end])
                after: Future = Future()
                pending.append((pool.submit(parse, view[:cut], first_row, after, scratch),
                                spare))
                first_row = after
                if end < len(buffer):
                    break
            while pending:
                take_oldest()
        finally:
            for future, _ in pending:
                future.cancel()
    for name, chunks in gaps.items():
        if chunks:  # a whole-number column with empty fields: float64, gaps as NaN
            widened = _untouched(capacity, np.float64)
            widened[:n_rows] = out[name][:n_rows]
            for row, chunk in chunks:
                widened[row:row + len(chunk)] = as_float64(chunk)
            out[name] = widened
    for name, decided in taken.items():
        if not (decided.done() and decided.result()):  # no rows, or declined: text
            del out[name], convert[name]
    return out, text, n_rows, bad_rows


def _clock_taken(decided, start: int) -> bool:
    """Whether a clock column read by the compiled parser from row ``start`` is converted: the
    range of row 0 decides (its plain clock times are converted), the others wait for it."""
    from concurrent.futures import InvalidStateError

    if start == 0:
        with contextlib.suppress(InvalidStateError):  # a later range failed first
            decided.set_result(True)
        return True
    return decided.result()


def _scratch(kernel: _Kernel | None, size: int, n_columns: int):
    """The float and whole-number rows the compiled parser fills from a range of ``size``
    bytes (at most one row per ``n_columns`` bytes, and a last line without its line break),
    in pages of their own that are resident only where written."""
    if kernel is None:
        return None
    cap = size // max(n_columns, 1) + 2
    return (_untouched(kernel.n_float * cap, np.float64).reshape(kernel.n_float, cap),
            _untouched(kernel.n_int * cap, np.int64).reshape(kernel.n_int, cap))


def _put_into(target: np.ndarray, gaps: list | None, start: int, chunk) -> None:
    """Copy one Arrow chunk of a numeric column into ``target`` from row ``start``; a chunk
    of a whole-number column with nulls is kept in ``gaps`` instead (the column is widened to
    float64 once all ranges are read)."""
    k = len(chunk)
    if not k:
        return
    _populate(target, start, k)
    if target.dtype.kind == "i" and chunk.null_count:
        gaps.append((start, chunk))
        return
    _copy_numbers(target, start, chunk)


def _put_text(out: dict, text: dict, convert: dict, name: str, start: int, chunk,
              capacity: int) -> None:
    """One chunk of a text column: through its converter into ``out[name]`` (float64, from
    row ``start``), or kept in ``text[name]`` when it has none or its converter declined the
    first chunk (the column then stays text)."""
    to_float = convert.get(name)
    if to_float is not None:
        if not len(chunk):
            return
        target = out.get(name)
        values = to_float(chunk, first=target is None)
        if values is not None:
            if target is None:
                target = out[name] = _untouched(capacity, np.float64)
            target[start:start + len(chunk)] = values
            return
        del convert[name]
    text[name].append(chunk)


def _put(out: dict, name: str, start: int, chunk, capacity: int) -> None:
    """Copy one Arrow chunk of a numeric column into ``out[name]`` from row ``start``: int64
    while the column has only whole numbers without gaps, float64 (gaps as NaN) from the
    first chunk that breaks that."""
    import pyarrow as pa

    target = out.get(name)
    k = len(chunk)
    whole = chunk.type == pa.int64() and chunk.null_count == 0
    if target is None:
        target = out[name] = _untouched(capacity, np.int64 if whole else np.float64)
    elif target.dtype.kind == "i" and not whole:
        widened = _untouched(capacity, np.float64)
        widened[:start] = target[:start]
        target = out[name] = widened
    if k:
        _copy_numbers(target, start, chunk)


def _copy_numbers(target: np.ndarray, start: int, chunk) -> None:
    """Rows ``start:`` of ``target`` from a non-empty Arrow chunk: an int64 chunk without
    nulls straight from its value buffer into an int64 target, anything else as float64."""
    k = len(chunk)
    if target.dtype.kind == "i":
        target[start:start + k] = np.frombuffer(chunk.buffers()[1], dtype=np.int64, count=k,
                                                offset=chunk.offset * 8)
    else:
        target[start:start + k] = as_float64(chunk)


_POPULATE_WRITE = 23  # Linux 5.14+ madvise: fault pages in for writing, in one call


def _populate(target: np.ndarray, start: int, k: int) -> None:
    """Fault in the pages of rows ``start:start + k`` of an :func:`_untouched` array with one
    call before they are written: cheaper than a page fault per 4 kB page (0.10-0.11 s CPU
    instead of 0.13-0.17 s to fill 240 MB on the machines this was measured on)."""
    import mmap

    global _POPULATE_WRITE
    memory = getattr(target.base, "obj", None)
    if not _POPULATE_WRITE or not hasattr(memory, "madvise"):
        return
    page = mmap.PAGESIZE
    first = start * target.itemsize // page * page
    try:
        memory.madvise(_POPULATE_WRITE, first, (start + k) * target.itemsize - first)
    except (OSError, ValueError):  # an older kernel or another system: pages fault in as
        _POPULATE_WRITE = 0  # they are written


def _untouched(n: int, dtype) -> np.ndarray:
    """An uninitialised, writeable array in private anonymous memory of its own (pages never
    written are never resident). NumPy advises the kernel to back big arrays with huge pages;
    where transparent huge pages are on 'madvise' with synchronous defragmentation (as on the
    machines this was measured on), the first write then stalls on memory compaction: filling
    6 x 40 MB took 0.07 s CPU but up to 2.7 s wall in huge pages, 0.11-0.13 s in private 4 kB
    pages and 0.19 s in shared ones (``mmap``'s default, which go through shmem)."""
    import mmap

    dtype = np.dtype(dtype)
    size = max(n * dtype.itemsize, 1)
    if hasattr(mmap, "MAP_PRIVATE") and hasattr(mmap, "MAP_ANONYMOUS"):
        memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    else:  # Windows: no flags
        memory = mmap.mmap(-1, size)
    return np.frombuffer(memory, dtype=dtype, count=n)


def _only_last_line_short(bad_rows, layout) -> bool:
    last = bad_rows[-1]
    return len(bad_rows) == 1 and last.actual_columns < len(layout.names) and \
        _is_last_line(layout, last.text)


def _source(layout: TextLayout):
    """The data part of the file rewritten in memory where its lines need it (None where the
    file is read as it is), whether its last line looks cut, and its size in bytes."""
    import pyarrow as pa

    path = layout.path
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(size - 65536, layout.data_offset, 0))
        tail = handle.read()
    last_cut = bool(tail) and tail[-1:] not in (b"\n", b"\r") and _cut_number(tail, layout)
    if layout.line_quoted:
        raw = path.read_bytes()
        lines = raw.split(b"\n")[layout.first_line - 1:]
        body = b"\n".join(line.rstrip(b"\r").strip(b'"') for line in lines)
        return pa.BufferReader(body), last_cut, len(body)
    if layout.terminated and tail.rstrip(b"\r\n") and \
            not tail.rstrip(b"\r\n").endswith(layout.delimiter.encode()):
        # every line ends with the delimiter but the last: complete it rather than call it cut
        with path.open("rb") as handle:
            handle.seek(layout.data_offset)
            body = handle.read().rstrip(b"\r\n") + layout.delimiter.encode() + b"\n"
        return pa.BufferReader(body), False, len(body)
    return None, last_cut, size - layout.data_offset


IN_MEMORY_BYTES = 64 << 20  # a serial read of a smaller file takes it in whole first


def _data_stream(layout: TextLayout, n_bytes: int):
    """The data part of the file for pyarrow's streaming reader, read at absolute offsets.

    pyarrow reads ahead on a background thread of its own, which may still be reading when the
    reader is dropped after an error (a column found not to be whole numbers is read again). A
    stream on a file descriptor that is then closed can have its number reused by the next file
    opened, and a read() through the stale stream moves that file's offset: a read began in the
    middle of a line once in the test suite. Reading at absolute offsets (``pread``) neither
    moves nor follows any shared offset, and a smaller file is read in whole before parsing."""
    import pyarrow as pa

    if n_bytes <= IN_MEMORY_BYTES:
        with layout.path.open("rb", buffering=0) as handle:
            return pa.BufferReader(_pread_all(handle.fileno(), layout.data_offset, n_bytes))
    return pa.PythonFile(_PositionalReader(layout.path, layout.data_offset), mode="r")


def _pread(fd: int, n_bytes: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, n_bytes, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: no pread; the descriptor is this reader's
    return os.read(fd, n_bytes)


def _pread_into(handle, view: memoryview, offset: int) -> int:
    if hasattr(os, "preadv"):
        return os.preadv(handle.fileno(), [view], offset)
    handle.seek(offset)
    return handle.readinto(view)


def _pread_all(fd: int, offset: int, n_bytes: int) -> bytes:
    parts, done = [], 0
    while done < n_bytes:
        part = _pread(fd, n_bytes - done, offset + done)
        if not part:
            break  # the file shrank since it was measured
        parts.append(part)
        done += len(part)
    return b"".join(parts)


class _PositionalReader(io.RawIOBase):
    """A file read from ``offset`` on with ``pread``: its position is its own."""

    def __init__(self, path: Path, offset: int):
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._position = offset

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = _pread(self._fd, len(buffer), self._position)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _cut_number(tail: bytes, layout: TextLayout) -> bool:
    """Whether the last line (which has no line break after it) ends in a number with fewer
    characters than the same field of the line above: a file cut while being written."""
    lines = tail.split(b"\n")
    if len(lines) < 2:
        return False
    delimiter = layout.delimiter.encode()
    last = lines[-1].rstrip(b"\r").strip(b'"').split(delimiter)
    above = lines[-2].rstrip(b"\r").strip(b'"').split(delimiter)
    if len(last) != len(above) or len(last) != len(layout.names):
        return False  # a short line is reported as truncated by the field count
    a, b = last[-1].strip(), above[-1].strip()
    number = re.compile(rb"^[-+]?\d*[.,]?\d+([eE][-+]?\d+)?$")
    return bool(number.match(a) and number.match(b)) and len(a) < len(b)


def _report_bad_rows(bad_rows, layout, n_rows, where) -> None:
    if not bad_rows:
        return
    width = len(layout.names)
    last = bad_rows[-1]
    if _only_last_line_short(bad_rows, layout):
        warnings.warn(f"{where}: dropped the last line {layout.first_line + n_rows} "
                      f"({last.actual_columns} of {width} fields): the file looks truncated",
                      DataWarning, stacklevel=5)
        return
    shown = "; ".join(f"{_line_of(layout, r)}{r.actual_columns} fields: {r.text[:80]!r}"
                      for r in bad_rows[:3])
    raise InputError(f"{where}: {len(bad_rows)} row(s) do not have the header's {width} fields "
                     f"({shown}{' ...' if len(bad_rows) > 3 else ''}); a lost or extra line "
                     "break or delimiter")


def _line_of(layout, row) -> str:
    if row.number is not None:
        return f"line {layout.first_line + row.number - 1}: "
    return ""


def _is_last_line(layout: TextLayout, text: str) -> bool:
    with layout.path.open("rb") as handle:
        size = layout.path.stat().st_size
        handle.seek(max(size - 4096, 0))
        tail = handle.read().rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    return tail.decode(layout.encoding, errors="replace").rstrip("\r").strip('"') == \
        text.rstrip("\r").strip('"')


def _to_numpy(column, name: str, layout: TextLayout, where: str) -> np.ndarray:
    import pyarrow as pa

    kind = column.type
    if pa.types.is_null(kind):
        return np.full(len(column), np.nan)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return as_float64(column)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        raise InputError(f"{where}: column {name!r} holds bytes that are not text in the file's "
                         f"encoding ({layout.encoding}); the file looks damaged")
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return column.cast(pa.string())
    return column  # text stays a pyarrow string array: converted only where it is used


def as_float64(column) -> np.ndarray:
    """A numeric pyarrow column as float64, nulls as NaN, from the Arrow buffers (pyarrow's
    own conversions of chunked or nullable arrays, and its scalars, import pandas)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for chunk in getattr(column, "chunks", [column]):
        if chunk.type != pa.float64():
            chunk = pc.cast(chunk, pa.float64())
        values = np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk),
                               offset=chunk.offset * 8)
        if chunk.null_count:
            bits = np.frombuffer(chunk.buffers()[0], dtype=np.uint8)
            valid = np.unpackbits(bits, bitorder="little")[chunk.offset:chunk.offset +
                                                           len(chunk)].astype(bool)
            values = np.where(valid, values, np.nan)
        parts.append(values)
    if not parts:
        return np.empty(0)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def text_classes(values, patterns: dict[str, str]) -> dict[str, np.ndarray]:
    """Boolean row masks of a text column for each regular expression (case-insensitive),
    matched once per distinct value (step types repeat a handful of labels)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = _dictionary_chunks(values)
    if chunks is not None:  # classify each batch's few labels, then look them up
        out = {key: [] for key in patterns}
        for chunk in chunks:
            labels = pc.utf8_trim_whitespace(chunk.dictionary)
            index = _indices(chunk.indices, len(labels))
            for key, pattern in patterns.items():
                hit = pc.match_substring_regex(labels, pattern, ignore_case=True).to_pylist()
                out[key].append(np.asarray([bool(h) for h in hit] + [False], bool)[index])
        return {key: np.concatenate(parts) if parts else np.zeros(0, bool)
                for key, parts in out.items()}
    strings = as_strings(values)
    if isinstance(strings, pa.Array):
        strings = pa.chunked_array([strings])
    distinct = pc.unique(strings)
    index = as_float64(pc.index_in(strings, value_set=distinct))
    index = np.nan_to_num(index, nan=len(distinct)).astype(np.int64)  # null rows: no class
    out = {}
    for key, pattern in patterns.items():
        hit = pc.match_substring_regex(distinct, pattern, ignore_case=True).to_pylist()
        out[key] = np.asarray([bool(h) for h in hit] + [False], dtype=bool)[index]
    return out


def class_sums(labels, weights: np.ndarray, patterns: dict[str, str]) -> dict[str, float]:
    """The sum of ``weights`` over the rows of each class of a text column; a row belongs to
    the first pattern (regular expression, case-insensitive) its label matches. Dictionary
    chunks are summed per label (one ``bincount`` a chunk, no row masks); NaN weights count
    as 0."""
    import pyarrow.compute as pc

    totals = dict.fromkeys(patterns, 0.0)
    chunks = _dictionary_chunks(labels)
    if chunks is None:
        taken = np.zeros(len(weights), dtype=bool)
        for key, mask in text_classes(labels, patterns).items():
            mask &= ~taken
            totals[key] = float(np.nansum(weights[mask]))
            taken |= mask
        return totals
    start = 0
    for chunk in chunks:
        n_labels = len(chunk.dictionary)
        index = _indices(chunk.indices, n_labels)
        part = np.nan_to_num(weights[start:start + len(chunk)])
        per_label = np.bincount(index, weights=part, minlength=n_labels + 1)
        owner = np.full(n_labels + 1, "", dtype=object)
        trimmed = pc.utf8_trim_whitespace(chunk.dictionary)
        for key, pattern in patterns.items():
            hit = pc.match_substring_regex(trimmed, pattern, ignore_case=True).to_pylist()
            for j, matched in enumerate(hit):
                if matched and not owner[j]:
                    owner[j] = key
        for j, key in enumerate(owner):
            if key:
                totals[key] += float(per_label[j])
        start += len(chunk)
    return totals


def _indices(indices, n_labels: int) -> np.ndarray:
    """Dictionary indices as a NumPy array, null rows pointing one past the labels."""
    import pyarrow as pa

    if indices.null_count or indices.type != pa.int32():
        return np.nan_to_num(as_float64(indices), nan=n_labels).astype(np.int64)
    return np.frombuffer(indices.buffers()[1], dtype=np.int32, count=len(indices),
                         offset=indices.offset * 4)


def is_text(values) -> bool:
    """Whether a column holds text (a NumPy str/object array or a pyarrow string array)."""
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "USO"
    return not isinstance(values, (list, tuple))


def as_strings(values):
    """A text column as a pyarrow string array, whitespace trimmed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, np.ndarray):
        values = pa.array(values.astype(str) if values.dtype.kind != "O" else values,
                          type=pa.string(), from_pandas=True)
    elif not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return pc.utf8_trim_whitespace(values)


def _dictionary_chunks(values):
    import pyarrow as pa

    chunks = getattr(values, "chunks", None)
    if chunks is not None and all(pa.types.is_dictionary(c.type) for c in chunks):
        return chunks
    return None


def first_value(values) -> str:
    return str(values[0].as_py() if hasattr(values[0], "as_py") else values[0])


def to_float(values: np.ndarray, *, where: str, name: str, first_line: int = 0) -> np.ndarray:
    """A column as float64; text that is not a number is an error naming the line."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values
    if isinstance(values, np.ndarray) and values.dtype.kind in "iub":
        return values.astype(float)
    import pyarrow as pa
    import pyarrow.compute as pc

    stripped = as_strings(values)
    if stripped.null_count < len(stripped):
        comma = pc.any(pc.match_substring(stripped, ",")).as_py()
        if comma and not pc.any(pc.match_substring(stripped, ".")).as_py():
            stripped = pc.replace_substring(stripped, ",", ".")
    try:
        return pc.cast(stripped, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        ok = pc.match_substring_regex(stripped, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|"
                                                r"^(nan|NaN|inf|-inf)$")
        bad = np.flatnonzero(~pc.fill_null(ok, True).to_numpy(zero_copy_only=False))
        raise InputError(f"{where}: column {name!r} is not numeric: line "
                         f"{first_line + bad[0]} holds {stripped[int(bad[0])].as_py()!r}"
                         + (f" ({bad.size} such rows)" if bad.size > 1 else "")) from None
