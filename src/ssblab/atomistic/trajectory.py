"""Read MD trajectories (extended XYZ, VASP XDATCAR, ASE .traj, LAMMPS dump, ...) unwrapped.

Extended XYZ, XDATCAR and LAMMPS text dumps, plain or compressed (``.gz``, ``.bz2``, ``.xz``),
are streamed: the file is read once, front to back, a block of frames at a time, the next block
read (and decompressed) in a thread while the current one is parsed. Text is held for one block
only. Frames whose lines all have the byte lengths of the block's first frame (what MD codes
write for a fixed cell) are located by strided checks instead of a search for every newline.
Equally long atom lines whose fields sit in the same columns on every line are parsed straight
from the block's text: fixed-width decimals (``%16.8f``) by integer arithmetic in NumPy
(:mod:`._decimal`, bit for bit ``float()``), any other number by Arrow's correctly rounded CSV
reader (pyarrow, when installed: a tab written into a column that is blank on every line splits
the fields where a whitespace split would). Any other layout goes through pandas' C parser
(else ``numpy.loadtxt``). gzip is inflated by ISA-L (``isal``) when installed, else zlib: the
same bytes. Each block is checked and unwrapped as it is stored.

ASE's own ``.traj`` (ULM) files are read from a memory map: one small JSON record per frame,
the positions copied straight out of the file. Every other format goes through ASE; a
compressed file is first decompressed to a temporary file, because ASE's readers seek and
seeking in a compressed stream re-reads it from the start each time (quadratic in frames).

Files written by MD codes often wrap atoms back into the cell. Positions are unwrapped by
taking each frame-to-frame displacement in fractional coordinates to its nearest image, which
is exact as long as no atom moves more than half a cell length between stored frames; for
already-unwrapped files it changes nothing.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import itertools
import lzma
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ssblab.atomistic.transport import Trajectory
from ssblab.errors import InputError, require_package

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_BLOCK_BYTES = 8 * 2**20  # text held at once (4-16 MB measured 20-40 % faster than 64: cache)
_UNWRAP_CHUNK_BYTES = 2**18  # positions unwrapped at a time (measured: 256 KiB fastest)
_LATTICE = re.compile(rb'Lattice\s*=\s*"([^"]*)"', re.IGNORECASE)
_PROPERTIES = re.compile(rb"Properties\s*=\s*(\S+)", re.IGNORECASE)


def unwrap_positions(positions_A: np.ndarray, cells_A: np.ndarray, *,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Unwrap (n_frames, n_atoms, 3) positions with per-frame (n_frames, 3, 3) cells.

    ``out`` receives the result (it may be ``positions_A`` itself: frames are read before they
    are overwritten); by default a new array.

    Examples
    --------
    An atom crossing the boundary of a 10 A cube at 0.5 A per frame:

    >>> x = np.array([9.0, 9.5, 0.0, 0.5])
    >>> pos = np.c_[x, 0 * x, 0 * x][:, None, :]
    >>> unwrap_positions(pos, np.repeat(np.eye(3)[None] * 10, 4, axis=0))[:, 0, 0]
    array([ 9. ,  9.5, 10. , 10.5])
    """
    pos = np.asarray(positions_A, float)
    out = np.empty_like(pos) if out is None else out
    _Unwrapper()(pos, np.asarray(cells_A, float), out)
    return out


class _Unwrapper:
    """Unwraps consecutive pieces of one trajectory (whole frames each), carrying the last frame
    of a piece into the next: the same sums in the same order as one pass over the whole."""

    def __init__(self):
        self._cell = self._inv = self._last_wrapped = self._last_unwrapped = None

    def __call__(self, pos: np.ndarray, cells: np.ndarray, out: np.ndarray) -> None:
        if self._cell is None:
            self._cell, self._inv = cells[0], np.linalg.inv(cells[0])
        # one cell for every frame (NVT, NVE): plain matrix products, much faster than einsum
        fixed = np.array_equal(cells, np.broadcast_to(self._cell, cells.shape))
        inv = self._inv if fixed else np.linalg.inv(cells)
        # frames in cache-sized chunks: a fraction of the memory traffic and temporaries of
        # one pass over the whole array
        chunk = max(1, _UNWRAP_CHUNK_BYTES // max(pos[0].nbytes, 1))
        for lo in range(0, len(pos), chunk):
            hi = min(lo + chunk, len(pos))
            frac = (pos[lo:hi] @ inv if fixed
                    else np.einsum("tai,tij->taj", pos[lo:hi], inv[lo:hi]))
            step = np.empty_like(frac)
            step[1:] = frac[1:] - frac[:-1]
            step[0] = 0.0 if self._last_wrapped is None else frac[0] - self._last_wrapped
            step -= np.round(step)
            step[0] += frac[0] if self._last_unwrapped is None else self._last_unwrapped
            for t in range(1, len(step)):  # the running sum, frame by frame: the same adds as
                np.add(step[t - 1], step[t], out=step[t])  # cumsum(axis=0), 2.7x faster
            if fixed:
                np.matmul(step, self._cell, out=out[lo:hi])
            else:
                out[lo:hi] = np.einsum("taj,tjk->tak", step, cells[lo:hi])
            self._last_wrapped, self._last_unwrapped = frac[-1], step[-1]


def read_trajectory(path: str | os.PathLike, *, timestep_ps: float, index: str = ":",
                    format: str | None = None, stride: int = 1) -> Trajectory:
    """Read a trajectory file into an unwrapped :class:`Trajectory`.

    ``timestep_ps`` is the time between the stored frames (many formats do not record it);
    with ``stride`` > 1 only every stride-th frame is kept and the time step scaled to match.
    ``format`` is an ASE format name, else guessed from the file name. Extended XYZ
    (``extxyz``/``xyz``), ``vasp-xdatcar`` and ``lammps-dump-text`` (``*.lammpstrj``,
    ``*.dump``, ``dump.*``; see :func:`_read_lammps_dump` for its columns) are read by the
    streaming reader, ASE's ``traj`` files from a memory map, any other format through ASE.
    ``index`` (an ASE slice string) applies to ASE-read files only.
    """
    from ssblab.files import check_input_file

    path = Path(path)
    check_input_file(path, kind="trajectory")
    if not (math.isfinite(float(timestep_ps)) and float(timestep_ps) > 0):
        raise InputError(f"timestep_ps: expected a positive time between frames, found "
                         f"{timestep_ps}")
    if int(stride) < 1:
        raise InputError(f"stride: expected a positive integer, found {stride}")
    stride = int(stride)
    kind = format or _guess_format(path)
    streamed = {"extxyz": _read_extxyz, "xyz": _read_extxyz, "vasp-xdatcar": _read_xdatcar,
                "lammps-dump-text": _read_lammps_dump}
    if kind in streamed and index == ":":  # unwrapped block by block as they are read
        positions, cells, symbols = streamed[kind](path, stride)
    else:
        if kind == "traj" and index == ":" and path.suffix.lower() not in _OPENERS \
                and (found := _read_ase_traj(path, stride)) is not None:
            positions, cells, symbols = found
        else:
            positions, cells, symbols = _read_with_ase(path, kind if format else None, index,
                                                       stride)
        if positions.shape[0] == 0:
            raise InputError(f"{path}: no frames")
        _check_frames(positions, cells, path)
        positions = unwrap_positions(positions, cells, out=positions)  # in place: memory
    if positions.shape[0] == 0:
        raise InputError(f"{path}: no frames")
    fixed = np.allclose(cells, cells[0])
    return Trajectory(positions, cell_A=cells[0] if fixed else cells, symbols=symbols,
                      timestep_ps=float(timestep_ps) * stride, masses_amu=_masses(symbols),
                      source=str(path))


def _check_frames(positions: np.ndarray, cells: np.ndarray, path: Path) -> None:
    if not (np.isfinite(positions).all() and np.isfinite(cells).all()):
        raise InputError(f"{path}: positions or cell are not finite; the file is damaged")
    if np.any(np.abs(np.linalg.det(cells)) < 1e-9):
        raise InputError(f"{path}: the cell is missing or degenerate; diffusion needs a "
                         "periodic cell")


def _guess_format(path: Path) -> str | None:
    name = path.name.lower()
    stem = name[: -len(path.suffix)] if path.suffix.lower() in _OPENERS else name
    if stem.endswith((".extxyz", ".xyz")):
        return "extxyz"
    if "xdatcar" in stem:
        return "vasp-xdatcar"
    if stem.endswith(".traj"):
        return "traj"
    if stem.endswith((".lammpstrj", ".dump")) or stem.startswith("dump."):
        return "lammps-dump-text"
    return None


def _open(path: Path):
    """The file's bytes as a stream; gzip inflated by ISA-L when ``isal`` is installed (3-4x
    zlib's speed, the same bytes), else by zlib."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        try:
            from isal import igzip
        except ImportError:
            pass
        else:
            return igzip.open(path, "rb")
    return _OPENERS.get(suffix, open)(path, "rb")


def _parse_columns(lines: np.ndarray | bytes, n_lines: int, columns: list[int],
                   path: Path) -> np.ndarray:
    """Float columns of ``n_lines`` whitespace-separated lines, in one vectorised call.

    ``lines`` is either the text or, when every line is equally long, a writable
    (n_lines, line_bytes) array of it (newlines included), which the fixed-width parser may use.
    """
    if isinstance(lines, np.ndarray):
        values = _parse_fixed_width(lines, columns)
    elif _single_spaced(lines):  # fields of any width, one space apart: Arrow splits as is
        n_fields = lines.count(b" ", 0, lines.find(b"\n")) + 1
        values = _arrow_columns(lines, n_fields, columns, " ") if max(columns) < n_fields \
            else None
    else:
        values = None
    if values is None:
        values = _parse_text(lines.tobytes() if isinstance(lines, np.ndarray) else lines, columns,
                             path)
    if values.shape != (n_lines, len(columns)) or not np.isfinite(values).all():
        raise InputError(f"{path}: expected {len(columns)} finite numbers on each of "
                         f"{n_lines} atom lines; some are missing or not numbers")
    return values


def _parse_text(text: bytes, columns: list[int], path: Path) -> np.ndarray:
    """The ``columns`` (in that order) of whitespace-separated text by pandas or NumPy."""
    blob = io.BytesIO(text)
    ascending = sorted(set(columns))
    back = [ascending.index(c) for c in columns]  # both readers return columns in file order
    try:
        import pandas as pd
    except ImportError:
        pd = None
    try:
        if pd is not None:
            # a blank line is a damaged atom line, not one to skip
            table = pd.read_csv(blob, sep=r"\s+", header=None, usecols=ascending,
                                dtype=np.float64, engine="c", skip_blank_lines=False)
            return table.to_numpy()[:, back]
        return np.loadtxt(blob, usecols=ascending, dtype=np.float64, ndmin=2)[:, back]
    except Exception as exc:  # pandas and numpy raise several types for malformed numbers
        raise InputError(f"{path}: unreadable coordinates ({exc})") from exc


def _parse_fixed_width(lines: np.ndarray, columns: list[int]) -> np.ndarray | None:
    """Whitespace-separated number ``columns`` of equally long lines by Arrow's CSV reader, or None.

    A tab is written into one column before each field, and after the last field wanted; Arrow
    then splits the fields where a whitespace split would, provided those columns are blank on
    every line (checked by :func:`_field_layout`); a wanted number field with no word or two
    does not convert. The caller guarantees that the text holds no tab or carriage return of its
    own. None when a check fails or pyarrow is not installed: the general parser then reads the
    same lines (the tabs are whitespace to it).
    """
    layout = _field_layout(lines, columns)
    if layout is None:
        return None
    seps = layout[1][layout[1] < lines.shape[-1] - 1]
    for c in seps:
        lines[:, c] = 9
    return _arrow_columns(lines, seps.size + 1, columns, "\t")


def _field_layout(lines: np.ndarray, columns: list[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(starts, stops)``: the byte columns of fields 0 to ``max(columns)`` of (..., line_bytes)
    equally long lines (newline last), when they sit in the same columns on every line: the
    column ``stops[f]`` is blank on every line (or the newline), and each field not wanted holds
    exactly one word on every line. None otherwise.

    A field's columns run from the one after the previous field's ``stop`` (so right-aligned
    numbers may grow to the left) to the end of its words on the first 4096 lines.
    """
    width = lines.shape[-1]
    text = lines[..., :-1]
    # the fields as seen on the first lines; every line is checked against them below
    first = text if text.ndim == 2 else text[:-(-4096 // max(text.shape[1], 1))]
    used = np.r_[False, (first.reshape(-1, width - 1)[:4096] != 32).any(axis=0), False]
    edges = np.diff(used.view(np.int8))
    stops = np.flatnonzero(edges == -1)
    last = max(columns)
    if len(stops) <= last:
        return None
    stops = stops[:last + 1]
    starts = np.r_[0, stops[:-1] + 1]
    if not all((text[..., c] == 32).all() for c in stops if c < width - 1):
        return None
    for f in range(last + 1):
        if f not in columns and not _one_word(text[..., starts[f]:stops[f]]):
            return None
    if stops[last] < width - 1 and (text[..., stops[last]:] == 10).any():
        return None  # a newline among the columns after the last wanted field: damaged
    return starts, stops


def _single_spaced(text: bytes) -> bool:
    """Whether whitespace in ``text`` is single spaces between fields only (LAMMPS writes so)."""
    return bool(text) and not text.startswith(b" ") and all(
        bad not in text for bad in (b"  ", b"\n ", b" \n", b"\t", b"\r"))


def _arrow_columns(text, n_fields: int, columns: list[int], delimiter: str) -> np.ndarray | None:
    """Float ``columns`` of ``n_fields``-field ``delimiter``-separated lines by Arrow's CSV
    reader; None when pyarrow is missing or a line or field does not fit."""
    try:
        import pyarrow as pa
        from pyarrow import csv
    except ImportError:
        return None
    names = [f"f{k}" for k in range(n_fields)]
    wanted = [names[c] for c in columns]
    try:
        table = csv.read_csv(
            pa.BufferReader(pa.py_buffer(text)),
            # one thread: the read-ahead thread already inflates the next block on the other
            # core, and on a busy machine Arrow's threads cost 40 % more CPU for the same work
            read_options=csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=csv.ParseOptions(delimiter=delimiter, quote_char=False,
                                           ignore_empty_lines=False),
            convert_options=csv.ConvertOptions(
                include_columns=wanted, column_types=dict.fromkeys(wanted, pa.float64()),
                null_values=[], strings_can_be_null=False, check_utf8=False),
            # malloc's pool: mimalloc's first large allocations cost more than the parse
            memory_pool=pa.system_memory_pool())
    except pa.ArrowException:  # a field that is not one number: the general parser decides
        return None
    values = np.empty((table.num_rows, len(columns)))
    for j, name in enumerate(wanted):
        at = 0
        for chunk in table.column(name).chunks:  # float64 without nulls: its data buffer as is
            # (Array.to_numpy would import pandas, 0.25 s, on its first call)
            if chunk.null_count:
                return None
            data = np.frombuffer(chunk.buffers()[1], np.float64, len(chunk), chunk.offset * 8)
            values[at:at + len(chunk), j] = data
            at += len(chunk)
    return values


def _one_word(field: np.ndarray) -> bool:
    """Whether every row of a (..., width) byte field holds exactly one word of bytes other than
    blanks and newlines (a newline there would split the line)."""
    # column by column: whole-column operations, not a short inner loop per line (4x faster)
    before = field[..., 0] != 32
    words = before.astype(np.int8 if field.shape[-1] < 250 else np.int64)  # no wrap-around
    newline = field[..., 0] == 10
    for c in range(1, field.shape[-1]):
        filled = field[..., c] != 32
        words += filled & ~before
        newline |= field[..., c] == 10
        before = filled
    return bool((words == 1).all()) and not newline.any()


def _xyz_columns(comment: bytes, path: Path) -> tuple[int, int]:
    """Columns of the species and of x in an extended XYZ frame (its Properties key)."""
    match = _PROPERTIES.search(comment)
    spec = match.group(1).decode("ascii", "replace") if match else "species:S:1:pos:R:3"
    fields = spec.split(":")
    column, species_col, pos_col = 0, None, None
    for name, _, width in zip(fields[0::3], fields[1::3], fields[2::3]):
        if name == "species":
            species_col = column
        elif name == "pos":
            pos_col = column
        if not width.isdigit():
            raise InputError(f"{path}: the extended XYZ Properties ({spec[:80]}) gives "
                             f"{width[:20]!r} as a column count")
        column += int(width)
    if species_col is None or pos_col is None:
        raise InputError(f"{path}: the extended XYZ Properties ({spec}) has no species or pos")
    return species_col, pos_col


class _Positions:
    """(n_frames, n_atoms, 3) positions appended block by block into one array that is sized from
    the text's length and grown only if that was short, so that no final concatenation holds
    every position twice. Each block is checked and unwrapped as it comes (``unwrap``), while
    it is still in cache."""

    def __init__(self, path: Path, n_atoms: int, stride: int, unwrap: bool = True):
        self.n_atoms, self.stride, self.n, self.path = n_atoms, stride, 0, path
        self.text_bytes = _text_bytes(path)
        self.data = None
        self._unwrap = _Unwrapper() if unwrap else None

    def append(self, block_xyz: np.ndarray, block: _FrameBlock, cells: np.ndarray) -> None:
        _check_frames(block_xyz, cells, self.path)
        need = self.n + len(block_xyz)
        if self.data is None or need > len(self.data):
            frames = math.ceil(self.text_bytes * block.n_frames / max(block.end, 1) / self.stride)
            grown = np.empty((max(need, frames + 1, int(1.5 * self.n)), self.n_atoms, 3))
            if self.data is not None:
                grown[:self.n] = self.data[:self.n]
            self.data = grown
        if self._unwrap is None:
            self.data[self.n:need] = block_xyz
        else:
            self._unwrap(block_xyz, cells, self.data[self.n:need])
        self.n = need

    def array(self) -> np.ndarray:
        if self.data is None:
            return np.zeros((0, self.n_atoms, 3))
        # an estimate far too large (a damaged gzip size field) is not kept as idle memory
        return self.data[:self.n] if self.n > 0.9 * len(self.data) else self.data[:self.n].copy()


def _text_bytes(path: Path) -> int:
    """The length of the file's text: its size, or for gzip the size its trailer records (modulo
    4 GiB: an estimate only), or 0 where unknown (bz2, xz)."""
    size = path.stat().st_size
    suffix = path.suffix.lower()
    if suffix == ".gz":
        with open(path, "rb") as handle:
            handle.seek(max(size - 4, 0))
            return int.from_bytes(handle.read(4), "little")
    return 0 if suffix in _OPENERS else size


def _read_extxyz(path: Path, stride: int, unwrap: bool = True):
    with _open(path) as handle:
        head = handle.readline() + handle.readline()
        first, _, comment = head.partition(b"\n")
        try:
            n_atoms = int(first)
        except ValueError:
            raise InputError(f"{path}: an XYZ file starts with its atom count; found "
                             f"{first[:40]!r}") from None
        species_col, pos_col = _xyz_columns(comment, path)
        positions, cells, symbols, frame = _Positions(path, n_atoms, stride, unwrap), [], None, 0
        for block in _frame_blocks(handle, head, n_atoms + 2, 2, path):
            same = block.same_headers()  # MD codes at a fixed cell: no Python loop over frames
            headers = [block.header(0)] if same else block.headers
            if any(h.partition(b"\n")[0].strip() != first.strip() for h in headers):
                raise InputError(f"{path}: the number of atoms changes between frames")
            keep = [k for k in range(block.n_frames) if (frame + k) % stride == 0]
            frame += block.n_frames
            if not keep:
                continue
            if symbols is None:
                symbols = _species(block.body([keep[0]]), species_col, path)
            xyz = block.numbers(keep, [pos_col, pos_col + 1, pos_col + 2], path)
            comments = [headers[0 if same else k].partition(b"\n")[2]
                        for k in (keep[:1] if same else keep)]
            if all(c == comments[0] for c in comments):  # a fixed cell: parse it once
                cells.append(np.repeat(_lattice(comments[0], path)[None], len(keep), axis=0))
            else:
                cells.append(np.stack([_lattice(c, path) for c in comments]))
            positions.append(xyz.reshape(len(keep), n_atoms, 3), block, cells[-1])
    if symbols is None:
        return np.zeros((0, n_atoms, 3)), np.zeros((0, 3, 3)), ()
    return positions.array(), np.concatenate(cells), symbols


class _FrameBlock:
    """Whole frames of a text trajectory: ``header_lines`` header lines, then the atom lines.

    Built by :meth:`uniform` when every frame has the byte layout of the first (strided checks
    of the expected newlines, and a count that the header lines hold no others) or by
    :meth:`scan` (the offsets of every newline, one vectorised pass). The atom lines of the kept frames are
    contiguous byte ranges, joined without splitting the text into lines.
    """

    def __init__(self, text: bytes, starts, body_starts, body_ends, line_bytes: int | None,
                 end: int, body_lines: int, grid: np.ndarray | None = None,
                 heads: np.ndarray | None = None):
        self.text, self.end, self.body_lines, self._grid = text, end, body_lines, grid
        self._starts, self._body_start, self._body_end = starts, body_starts, body_ends
        self._heads = heads  # uniform frames: the (n_frames, header_bytes) header lines
        self.n_frames = len(starts)
        # equally long atom lines and no tab or CR: the fixed-width parser may read them
        self._line_bytes = line_bytes if b"\t" not in text and b"\r" not in text else None

    @functools.cached_property
    def headers(self) -> list[bytes]:
        """Each frame's header lines (a Python object per frame: use :meth:`same_headers`
        first where it may say that one is enough)."""
        return [self.text[a:b] for a, b in zip(self._starts, self._body_start)]

    def header(self, k: int) -> bytes:
        return self.text[self._starts[k]:self._body_start[k]]

    def same_headers(self, start: int = 0, stop: int | None = None) -> bool:
        """Whether bytes ``start:stop`` of every frame's header lines are those of the first
        (one vectorised compare for frames of one layout)."""
        if self._heads is not None:
            heads = self._heads[:, start:stop]
            return bool((heads == heads[0]).all())
        return all(h[start:stop] == self.headers[0][start:stop] for h in self.headers)

    @classmethod
    def scan(cls, text: bytes, lines_per_frame: int, header_lines: int) -> _FrameBlock:
        newlines = np.flatnonzero(np.frombuffer(text, np.uint8) == 10)
        whole = len(newlines) - len(newlines) % lines_per_frame
        if whole == 0:
            return cls(text, [], [], [], None, 0, lines_per_frame - header_lines)
        newlines = newlines[:whole]
        ends = newlines.reshape(-1, lines_per_frame)
        lengths = np.diff(ends[:, header_lines - 1:], axis=1)
        line_bytes = int(lengths[0, 0]) if lengths.size and (lengths == lengths[0, 0]).all() \
            else None
        return cls(text, np.r_[0, newlines[:-1] + 1][::lines_per_frame],
                   ends[:, header_lines - 1] + 1, ends[:, -1] + 1, line_bytes,
                   int(newlines[-1]) + 1, lines_per_frame - header_lines)

    @classmethod
    def uniform(cls, text: bytes, lines_per_frame: int, header_lines: int) -> _FrameBlock | None:
        line_ends, at = [], 0
        for _ in range(header_lines + 1):
            at = text.find(b"\n", at) + 1
            if at == 0:
                return None
            line_ends.append(at)
        header = line_ends[header_lines - 1]
        line = line_ends[header_lines] - header
        frame = header + (lines_per_frame - header_lines) * line
        n_frames = len(text) // frame
        size = n_frames * frame
        if n_frames == 0:
            return None
        grid = np.frombuffer(text, np.uint8, count=size).reshape(n_frames, frame)
        # every line ends where frame 0's does; header lines hold no other newline (an extra
        # one inside an atom line leaves that line short of numbers: the parsers refuse it)
        if np.count_nonzero(grid[:, :header] == 10) != n_frames * header_lines:
            return None
        if not all((grid[:, e - 1] == 10).all() for e in line_ends[:header_lines]):
            return None
        if not (grid[:, header + line - 1::line] == 10).all():
            return None
        starts = np.arange(n_frames) * frame
        return cls(text, starts, starts + header, starts + frame, line, size,
                   lines_per_frame - header_lines, grid[:, header:], grid[:, :header])

    def numbers(self, frames, columns: list[int], path: Path) -> np.ndarray:
        """Float ``columns`` (whitespace-split word indices) of the atom lines of ``frames``,
        one row per line: by the fixed-width decimal parser when the lines allow it, else by
        :func:`_parse_columns`."""
        frames = list(frames)
        if self._line_bytes is not None:
            values = self._fixed_decimals(frames, columns)
            if values is not None:
                return values
        return _parse_columns(self.atom_lines(frames), len(frames) * self.body_lines, columns,
                              path)

    def _fixed_decimals(self, frames: list[int], columns: list[int]) -> np.ndarray | None:
        from ssblab.atomistic._decimal import parse_decimal_fields

        width = self._line_bytes
        n_lines = (self._body_end[frames[0]] - self._body_start[frames[0]]) // width
        step = frames[1] - frames[0] if len(frames) > 1 else 1
        if self._grid is not None and frames == list(range(frames[0], frames[-1] + 1, step)):
            # straight from the block's text: the lines of frame k start at a fixed stride
            buf, first = self.text, int(self._body_start[frames[0]])
            frame_step = int(self._body_start[frames[0] + step] - self._body_start[frames[0]]) \
                if len(frames) > 1 else 0
        else:  # one copy, with blanks before the first line for the parser to read
            buf = b"".join([b" " * 8, *(memoryview(self.text)[self._body_start[k]:self._body_end[k]]
                                        for k in frames)])
            first, frame_step = 8, n_lines * width
        shape = (len(frames), n_lines, width)
        lines = np.ndarray(shape, np.uint8, buffer=buf, offset=first,
                           strides=(frame_step, width, 1))
        layout = _field_layout(lines, columns)
        if layout is None:
            return None
        starts, stops = layout
        return parse_decimal_fields(buf, first, frame_step, shape,
                                    [(int(starts[c]), int(stops[c])) for c in columns])

    def body(self, frames) -> bytes:
        return b"".join(self.text[self._body_start[k]:self._body_end[k]] for k in frames)

    def atom_lines(self, frames) -> np.ndarray | bytes:
        """The atom lines of ``frames``: a writable (n_lines, line_bytes) array when they are
        equally long (newlines included), else the joined text."""
        if self._line_bytes is None:
            return self.body(frames)
        if self._grid is not None:  # frames of one layout: one strided copy (fancy indexing
            # of these byte rows is up to 50x slower than take or a contiguous copy)
            rows = (self._grid.copy() if len(frames) == self.n_frames
                    else self._grid.take(np.asarray(frames), axis=0))
            return rows.reshape(-1, self._line_bytes)
        text = np.frombuffer(bytearray(b"").join(
            memoryview(self.text)[self._body_start[k]:self._body_end[k]] for k in frames),
            np.uint8)
        return text.reshape(-1, self._line_bytes)


def _frame_blocks(handle, head: bytes, lines_per_frame: int, header_lines: int, path: Path):
    """:class:`_FrameBlock` s of about ``_BLOCK_BYTES`` each, the rest of ``handle`` after
    ``head``. Each piece is read while the caller parses the one before (plain reads, zlib,
    ISA-L, bz2 and lzma release the GIL, so reading and decompressing overlap with parsing on a
    second core), and joined in that thread to the unparsed tail of the piece before, which the
    caller hands over as soon as it has located the frames."""
    from concurrent.futures import Future, ThreadPoolExecutor

    def read(tail: Future) -> tuple[bytes, bool]:
        try:
            data = handle.read(_BLOCK_BYTES)
        except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:  # zlib/isal: OSError
            raise InputError(f"{path}: the file cannot be read to its end, damaged or truncated "
                             f"({type(exc).__name__}: {exc})") from None
        return tail.result() + data, not data

    with ThreadPoolExecutor(1, thread_name_prefix="ssblab-read") as pool:
        tail = Future()
        tail.set_result(head)
        pending = pool.submit(read, tail)
        try:
            while True:
                buf, last = pending.result()
                if not buf:
                    return
                if not last:
                    tail = Future()
                    pending = pool.submit(read, tail)
                if last and not buf.endswith(b"\n"):
                    _check_last_line(buf, path)
                    buf += b"\n"
                block = _FrameBlock.uniform(buf, lines_per_frame, header_lines)
                if block is None or (last and block.end != len(buf)):
                    block = _FrameBlock.scan(buf, lines_per_frame, header_lines)
                if last and block.end != len(buf):
                    n_lines = buf.count(b"\n", block.end)
                    raise InputError(f"{path}: the last frame is incomplete ({n_lines} of "
                                     f"{lines_per_frame} lines) or the number of atoms changes")
                if not last:
                    tail.set_result(buf[block.end:])
                if block.n_frames:
                    yield block
                if last:
                    return
        finally:
            if not tail.done():  # stopped early: let the pending read finish
                tail.set_result(b"")


def _check_last_line(buf: bytes, path: Path) -> None:
    """A file cut inside its last line has fewer fields there than on the line before."""
    lines = buf.rsplit(b"\n", 2)
    if len(lines) >= 2 and len(lines[-1].split()) != len(lines[-2].split()):
        raise InputError(f"{path}: the file ends inside its last line (truncated?): "
                         f"{lines[-1][-60:]!r}")


def _species(text: bytes, column: int, path: Path) -> tuple[str, ...]:
    try:
        return tuple(line.split()[column].decode("ascii") for line in text.splitlines())
    except (IndexError, UnicodeDecodeError):
        raise InputError(f"{path}: an atom line of the first frame has no readable species in "
                         f"column {column + 1}") from None


def _lattice(comment: bytes, path: Path) -> np.ndarray:
    match = _LATTICE.search(comment)
    if match is None:
        raise InputError(f"{path}: a frame has no Lattice=\"...\" in its comment line; "
                         "diffusion needs a periodic cell")
    try:
        values = np.array(match.group(1).split(), dtype=float)
    except ValueError:
        raise InputError(f"{path}: Lattice holds something other than numbers: "
                         f"{match.group(1)[:80]!r}") from None
    if values.size != 9:
        raise InputError(f"{path}: Lattice needs 9 numbers, found {values.size}")
    return values.reshape(3, 3)


def _read_xdatcar(path: Path, stride: int):
    with _open(path) as handle:
        header = [handle.readline() for _ in range(7)]
        try:
            scale = float(header[1])
            cell = np.array([line.split()[:3] for line in header[2:5]], dtype=float) * scale
            names = header[5].decode().split()
            counts = [int(c) for c in header[6].split()]
        except (ValueError, IndexError, UnicodeDecodeError):
            raise InputError(f"{path}: not a VASP XDATCAR header (comment, scale, 3 lattice "
                             "lines, species, counts)") from None
        if len(names) != len(counts) or scale <= 0:
            raise InputError(f"{path}: XDATCAR species {names} do not match counts {counts}")
        n_atoms = sum(counts)
        symbols = tuple(itertools.chain.from_iterable([s] * c for s, c in zip(names, counts)))
        positions, frame = _Positions(path, n_atoms, stride), 0
        for block in _frame_blocks(handle, b"", n_atoms + 1, 1, path):
            first_marker = block.header(0).lstrip().lower()
            # "Direct configuration=   12": one compare of the words before the frame number
            words = len(block.header(0)) - len(first_marker) + (
                9 if first_marker.startswith(b"cartesian") else 6)
            markers = [first_marker] if block.same_headers(0, words) \
                else [h.lstrip().lower() for h in block.headers]
            if not all(m.startswith((b"direct", b"cartesian")) for m in markers):
                # A variable-cell XDATCAR repeats its header before each frame.
                positions, cells, symbols = _read_with_ase(path, "vasp-xdatcar", ":", stride)
                _check_frames(positions, cells, path)
                return unwrap_positions(positions, cells, out=positions), cells, symbols
            keep = [k for k in range(block.n_frames) if (frame + k) % stride == 0]
            frame += block.n_frames
            if keep:
                coords = block.numbers(keep, [0, 1, 2], path)
                coords = coords.reshape(len(keep), n_atoms, 3)
                positions.append(coords * scale if markers[0].startswith(b"cartesian")
                                 else coords @ cell, block,
                                 np.broadcast_to(cell, (len(keep), 3, 3)))
    positions = positions.array()
    return positions, np.repeat(cell[None], positions.shape[0], axis=0), symbols


_LAMMPS_POSITIONS = (("xu", "yu", "zu"), ("x", "y", "z"), ("xsu", "ysu", "zsu"), ("xs", "ys", "zs"))


def _read_lammps_dump(path: Path, stride: int):
    """A LAMMPS text dump (``dump atom``/``custom``), streamed like extended XYZ.

    Positions: unwrapped ``xu yu zu`` when dumped, else ``x y z`` (plus image flags ``ix iy iz``
    when dumped), else scaled ``xsu``/``xs`` coordinates times the box. Atoms are put in ``id``
    order in every frame (parallel runs dump them in any order). Symbols come from an
    ``element`` column; without one they are the type numbers as text ("1", "2", ...), so the
    mobile species is then given as its type number.
    """
    with _open(path) as handle:
        head = b"".join(handle.readline() for _ in range(9))
        lines = head.split(b"\n")
        items = (b"ITEM: TIMESTEP", b"ITEM: NUMBER OF ATOMS", b"ITEM: BOX BOUNDS", b"ITEM: ATOMS")
        if len(lines) < 9 or not all(lines[k].startswith(item)
                                     for k, item in zip((0, 2, 4, 8), items)):
            raise InputError(f"{path}: not a LAMMPS text dump (expected ITEM: TIMESTEP, NUMBER "
                             "OF ATOMS, BOX BOUNDS and ATOMS header lines)")
        try:
            n_atoms = int(lines[3])
        except ValueError:
            raise InputError(f"{path}: the number of atoms is not a number: "
                             f"{lines[3][:40]!r}") from None
        names = lines[8].decode("ascii", "replace").split()[2:]
        xyz = next((trio for trio in _LAMMPS_POSITIONS if set(trio) <= set(names)), None)
        if xyz is None or n_atoms < 1:
            raise InputError(f"{path}: the ATOMS columns ({' '.join(names)}) hold no positions "
                             "(x y z, xu yu zu, xs ys zs or xsu ysu zsu)")
        wanted = [names.index(c) for c in xyz]
        images = xyz == ("x", "y", "z") and {"ix", "iy", "iz"} <= set(names)
        if images:
            wanted += [names.index(c) for c in ("ix", "iy", "iz")]
        if "id" in names:
            wanted.append(names.index("id"))
        named = "element" in names
        if not named:
            if "type" not in names:
                raise InputError(f"{path}: the ATOMS columns ({' '.join(names)}) have neither "
                                 "element nor type")
            wanted.append(names.index("type"))
        positions, cells, symbols, frame = _Positions(path, n_atoms, stride), [], None, 0
        for block in _frame_blocks(handle, head, n_atoms + 9, 9, path):
            first_head = block.header(0)
            # the same headers after the timestep lines (a fixed box): one compare
            same = block.same_headers(first_head.index(b"\n", first_head.index(b"\n") + 1) + 1)
            heads = [first_head.split(b"\n")] if same else [h.split(b"\n") for h in block.headers]
            if any(h[3].strip() != lines[3].strip() or h[8] != lines[8] for h in heads):
                raise InputError(f"{path}: the number of atoms or the ATOMS columns change "
                                 "between frames")
            keep = [k for k in range(block.n_frames) if (frame + k) % stride == 0]
            frame += block.n_frames
            if not keep:
                continue
            values = block.numbers(keep, wanted, path)
            values = values.reshape(len(keep), n_atoms, len(wanted))
            if "id" in names:
                order = np.argsort(values[:, :, wanted.index(names.index("id"))], axis=1,
                                   kind="stable")
                values = np.take_along_axis(values, order[:, :, None], axis=1)
            box = [b"\n".join(heads[0 if same else k][4:8]) for k in (keep[:1] if same else keep)]
            if all(b == box[0] for b in box):  # a fixed box: parse it once
                frame_cells = np.repeat(_lammps_cell(box[0], path)[None], len(keep), axis=0)
            else:
                frame_cells = np.stack([_lammps_cell(b, path) for b in box])
            r = values[:, :, :3]
            if xyz[0].startswith("xs"):
                r = np.einsum("tai,tij->taj", r, frame_cells)
            elif images:
                r = r + np.einsum("tai,tij->taj", values[:, :, 3:6], frame_cells)
            positions.append(r, block, frame_cells)
            cells.append(frame_cells)
            if symbols is None:
                if named:  # the words of the first frame, put in id order
                    words = _species(block.body([keep[0]]), names.index("element"), path)
                    symbols = tuple(words[i] for i in order[0])
                else:
                    types = values[0, :, wanted.index(names.index("type"))]
                    symbols = tuple(str(int(t)) for t in types)
    if symbols is None:
        return np.zeros((0, n_atoms, 3)), np.zeros((0, 3, 3)), ()
    return positions.array(), np.concatenate(cells), symbols


def _lammps_cell(box: bytes, path: Path) -> np.ndarray:
    """Cell rows a, b, c from a dump's ``ITEM: BOX BOUNDS`` line and its three bound lines
    (orthogonal, or triclinic with the tilts xy xz yz; LAMMPS's bounding-box convention)."""
    lines = box.split(b"\n")
    if b"abc" in lines[0]:  # general triclinic (LAMMPS 2024+): the rows are a, b, c and an origin
        try:
            return np.array([line.split()[:3] for line in lines[1:4]], dtype=float)
        except ValueError:
            raise InputError(f"{path}: unreadable BOX BOUNDS lines {box[:120]!r}") from None
    try:
        bounds = np.array([line.split()[:3] for line in lines[1:4]], dtype=float) \
            if b"xy" in lines[0] else np.array([line.split()[:2] for line in lines[1:4]],
                                               dtype=float)
    except ValueError:
        raise InputError(f"{path}: unreadable BOX BOUNDS lines {box[:120]!r}") from None
    if bounds.shape[1] == 3:
        xy, xz, yz = bounds[:, 2]
        lo_x = bounds[0, 0] - min(0.0, xy, xz, xy + xz)
        hi_x = bounds[0, 1] - max(0.0, xy, xz, xy + xz)
        lo_y, hi_y = bounds[1, 0] - min(0.0, yz), bounds[1, 1] - max(0.0, yz)
        return np.array([[hi_x - lo_x, 0, 0], [xy, hi_y - lo_y, 0],
                         [xz, yz, bounds[2, 1] - bounds[2, 0]]])
    return np.diag(bounds[:, 1] - bounds[:, 0])


def _read_ase_traj(path: Path, stride: int):
    """An ASE trajectory (ULM) file read directly: each frame's small JSON record for its cell and
    the offset of its positions, which are copied out of a memory map of the file. ASE's own
    reader builds an ``Atoms`` per frame, ~50x slower. None when the file is not an
    ``ASE-Trajectory`` ULM file (ASE then reads it, or says why not)."""
    import json
    import mmap

    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if mm[:8] != b"- of Ulm" or mm[8:24].decode("ascii", "replace").rstrip() != "ASE-Trajectory":
            return None
        try:
            _, n_items, pos0 = np.frombuffer(mm, "<i8", 3, 24).tolist()
            offsets = np.frombuffer(mm, "<i8", n_items, pos0).tolist()[::stride]
            positions, cells, numbers = None, [], None
            for k, at in enumerate(offsets):
                size = int.from_bytes(mm[at:at + 8], "little")
                item = json.loads(mm[at + 8:at + 8 + size])
                order = "<" if item.get("_little_endian", True) else ">"
                if "numbers." in item:
                    found = _ulm_array(mm, item["numbers."], order).astype(int)
                    if numbers is not None and not np.array_equal(found, numbers):
                        raise InputError(f"{path}: the atoms change between frames")
                    numbers = found
                xyz = _ulm_array(mm, item["positions."], order)
                if positions is None:
                    if numbers is None or xyz.shape != (len(numbers), 3):
                        raise ValueError("the first frame has no atomic numbers or positions")
                    if len(offsets) * xyz.nbytes > len(mm):  # each frame's positions are stored
                        raise ValueError(f"{len(offsets)} frames of {len(numbers)} atoms do not "
                                         "fit in the file")
                    positions = np.empty((len(offsets),) + xyz.shape)
                positions[k] = xyz
                cells.append(_ulm_array(mm, item["cell."], order) if "cell." in item
                             else item["cell"])
            cells = np.array(cells, dtype=float).reshape(len(offsets), 3, 3)
        except InputError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            raise InputError(f"{path}: not a readable ASE trajectory; damaged? "
                             f"({type(exc).__name__}: {exc})") from None
    if positions is None:
        raise InputError(f"{path}: no frames")
    if numbers.min() < 1 or numbers.max() > 118:
        raise InputError(f"{path}: atomic numbers are out of range (1-118); the file is damaged")
    require_package("ase", extra="atomistic", purpose="naming the elements of a trajectory")
    from ase.data import chemical_symbols

    return positions, cells, tuple(chemical_symbols[z] for z in numbers)


def _ulm_array(mm, spec: dict, order: str) -> np.ndarray:
    """A ULM ndarray ({"ndarray": [shape, dtype, offset]}) copied out of the memory map."""
    shape, dtype, offset = spec["ndarray"]
    dtype = np.dtype(dtype).newbyteorder(order)
    if dtype.kind not in "iuf":
        raise ValueError(f"an array of {dtype} where numbers belong")
    count = math.prod(shape)
    return np.frombuffer(mm, dtype, count, offset).reshape(shape).astype(dtype.newbyteorder("="))


def _read_with_ase(path: Path, format: str | None, index: str, stride: int):
    require_package("ase", extra="atomistic", purpose="reading trajectories")
    from ase.io import read

    with tempfile.TemporaryDirectory() as scratch:
        source = path
        if path.suffix.lower() in _OPENERS:
            source = Path(scratch) / path.stem
            with _open(path) as packed, open(source, "wb") as plain:
                shutil.copyfileobj(packed, plain, 2**22)
        try:
            frames = read(str(source), index=index, format=format)
        except Exception as exc:  # ASE raises many types for unreadable files
            text = " ".join(str(exc).split())[:300]
            raise InputError(f"{path}: ASE could not read it as a trajectory "
                             f"({type(exc).__name__}: {text})") from None
    if not isinstance(frames, list):
        frames = [frames]
    frames = frames[::stride]
    if not frames:
        raise InputError(f"{path}: no frames")
    n_atoms = len(frames[0])
    if n_atoms == 0:
        raise InputError(f"{path}: the frames hold no atoms")
    if any(len(f) != n_atoms for f in frames):
        raise InputError(f"{path}: the number of atoms changes between frames")
    numbers = frames[0].numbers
    if numbers.min() < 1 or numbers.max() > 118 or any(
            not np.array_equal(f.numbers, numbers) for f in frames):
        raise InputError(f"{path}: atomic numbers are out of range (1-118) or change between "
                         "frames; the file is damaged")
    positions = np.stack([f.get_positions() for f in frames])
    cells = np.stack([f.cell.array for f in frames])
    return positions, cells, tuple(frames[0].get_chemical_symbols())


def _masses(symbols: tuple[str, ...]) -> np.ndarray | None:
    try:
        from ase.data import atomic_masses, atomic_numbers
    except ImportError:
        return None
    try:
        return np.array([atomic_masses[atomic_numbers[s]] for s in symbols])
    except KeyError:
        return None
