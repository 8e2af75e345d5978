"""Read MD trajectories (extended XYZ, VASP XDATCAR, ASE .traj, LAMMPS dump, ...) unwrapped.

Extended XYZ and XDATCAR, plain or compressed (``.gz``, ``.bz2``, ``.xz``), are streamed: the
file is read once, front to back, a block of frames at a time, and each block's coordinates
are parsed by one vectorised call (pandas' C parser when pandas is installed, else
``numpy.loadtxt``). Text is held for one block only, so memory stays at the size of the
position arrays. Every other format goes through ASE; a compressed file is first decompressed
to a temporary file, because ASE's readers seek and seeking in a compressed stream re-reads
it from the start each time (quadratic in the number of frames).

Files written by MD codes often wrap atoms back into the cell. Positions are unwrapped by
taking each frame-to-frame displacement in fractional coordinates to its nearest image, which
is exact as long as no atom moves more than half a cell length between stored frames; for
already-unwrapped files it changes nothing.
"""

from __future__ import annotations

import bz2
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
_BLOCK_BYTES = 64 * 2**20  # text held at once
_LATTICE = re.compile(rb'Lattice\s*=\s*"([^"]*)"', re.IGNORECASE)
_PROPERTIES = re.compile(rb"Properties\s*=\s*(\S+)", re.IGNORECASE)


def unwrap_positions(positions_A: np.ndarray, cells_A: np.ndarray) -> np.ndarray:
    """Unwrap (n_frames, n_atoms, 3) positions with per-frame (n_frames, 3, 3) cells.

    Examples
    --------
    An atom crossing the boundary of a 10 A cube at 0.5 A per frame:

    >>> x = np.array([9.0, 9.5, 0.0, 0.5])
    >>> pos = np.c_[x, 0 * x, 0 * x][:, None, :]
    >>> unwrap_positions(pos, np.repeat(np.eye(3)[None] * 10, 4, axis=0))[:, 0, 0]
    array([ 9. ,  9.5, 10. , 10.5])
    """
    pos = np.asarray(positions_A, float)
    cells = np.asarray(cells_A, float)
    if np.array_equal(cells, np.broadcast_to(cells[0], cells.shape)):
        # One cell for every frame (NVT, NVE): plain matrix products, much faster than einsum.
        frac = pos @ np.linalg.inv(cells[0])
        frac[1:] -= frac[:-1].copy()
        frac[1:] -= np.round(frac[1:])
        np.cumsum(frac, axis=0, out=frac)
        return frac @ cells[0]
    inv = np.linalg.inv(cells)
    frac = np.einsum("tai,tij->taj", pos, inv)
    step = np.diff(frac, axis=0)
    step -= np.round(step)
    frac_unwrapped = np.concatenate([frac[:1], frac[:1] + np.cumsum(step, axis=0)])
    return np.einsum("taj,tjk->tak", frac_unwrapped, cells)


def read_trajectory(path: str | os.PathLike, *, timestep_ps: float, index: str = ":",
                    format: str | None = None, stride: int = 1) -> Trajectory:
    """Read a trajectory file into an unwrapped :class:`Trajectory`.

    ``timestep_ps`` is the time between the stored frames (many formats do not record it);
    with ``stride`` > 1 only every stride-th frame is kept and the time step scaled to match.
    ``format`` is an ASE format name; extended XYZ (``extxyz``/``xyz``) and ``vasp-xdatcar``
    are read by the streaming reader, any other through ASE. ``index`` (an ASE slice string)
    applies to ASE-read files only.
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
    if kind in ("extxyz", "xyz") and index == ":":
        positions, cells, symbols = _read_extxyz(path, stride)
    elif kind == "vasp-xdatcar" and index == ":":
        positions, cells, symbols = _read_xdatcar(path, stride)
    else:
        positions, cells, symbols = _read_with_ase(path, kind if format else None, index, stride)
    if positions.shape[0] == 0:
        raise InputError(f"{path}: no frames")
    if not (np.isfinite(positions).all() and np.isfinite(cells).all()):
        raise InputError(f"{path}: positions or cell are not finite; the file is damaged")
    if np.any(np.abs(np.linalg.det(cells)) < 1e-9):
        raise InputError(f"{path}: the cell is missing or degenerate; diffusion needs a "
                         "periodic cell")
    positions = unwrap_positions(positions, cells)
    fixed = np.allclose(cells, cells[0])
    return Trajectory(positions, cell_A=cells[0] if fixed else cells, symbols=symbols,
                      timestep_ps=float(timestep_ps) * stride, masses_amu=_masses(symbols),
                      source=str(path))


def _guess_format(path: Path) -> str | None:
    name = path.name.lower()
    stem = name[: -len(path.suffix)] if path.suffix.lower() in _OPENERS else name
    if stem.endswith((".extxyz", ".xyz")):
        return "extxyz"
    if "xdatcar" in stem:
        return "vasp-xdatcar"
    return None


def _open(path: Path):
    opener = _OPENERS.get(path.suffix.lower(), open)
    return opener(path, "rb")


def _parse_columns(text: bytes, n_lines: int, columns: list[int], path: Path) -> np.ndarray:
    """Float columns of ``n_lines`` whitespace-separated lines, in one vectorised call."""
    blob = io.BytesIO(text)
    try:
        import pandas as pd
    except ImportError:
        pd = None
    try:
        if pd is not None:
            table = pd.read_csv(blob, sep=r"\s+", header=None, usecols=columns, dtype=np.float64,
                                engine="c")
            values = table.to_numpy()
        else:
            values = np.loadtxt(blob, usecols=columns, dtype=np.float64, ndmin=2)
    except Exception as exc:  # pandas and numpy raise several types for malformed numbers
        raise InputError(f"{path}: unreadable coordinates ({exc})") from exc
    if values.shape != (n_lines, len(columns)) or not np.isfinite(values).all():
        raise InputError(f"{path}: expected {len(columns)} finite numbers on each of "
                         f"{n_lines} atom lines; some are missing or not numbers")
    return values


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
        column += int(width)
    if species_col is None or pos_col is None:
        raise InputError(f"{path}: the extended XYZ Properties ({spec}) has no species or pos")
    return species_col, pos_col


def _read_extxyz(path: Path, stride: int):
    with _open(path) as handle:
        head = handle.readline() + handle.readline()
        first, _, comment = head.partition(b"\n")
        try:
            n_atoms = int(first)
        except ValueError:
            raise InputError(f"{path}: an XYZ file starts with its atom count; found "
                             f"{first[:40]!r}") from None
        species_col, pos_col = _xyz_columns(comment, path)
        positions, cells, symbols, frame = [], [], None, 0
        for block in _frame_blocks(handle, head, n_atoms + 2, 2, path):
            if any(h.partition(b"\n")[0].strip() != first.strip() for h in block.headers):
                raise InputError(f"{path}: the number of atoms changes between frames")
            keep = [k for k in range(block.n_frames) if (frame + k) % stride == 0]
            frame += block.n_frames
            if not keep:
                continue
            text = block.body(keep)
            if symbols is None:
                symbols = _species(block.body([keep[0]]), species_col, path)
            xyz = _parse_columns(text, len(keep) * n_atoms, [pos_col, pos_col + 1, pos_col + 2],
                                 path)
            positions.append(xyz.reshape(len(keep), n_atoms, 3))
            comments = [block.headers[k].partition(b"\n")[2] for k in keep]
            if all(c == comments[0] for c in comments):  # a fixed cell: parse it once
                cells.append(np.repeat(_lattice(comments[0], path)[None], len(keep), axis=0))
            else:
                cells.append(np.stack([_lattice(c, path) for c in comments]))
    if symbols is None:
        return np.zeros((0, n_atoms, 3)), np.zeros((0, 3, 3)), ()
    return np.concatenate(positions), np.concatenate(cells), symbols


class _FrameBlock:
    """Whole frames of a text trajectory: ``header_lines`` header lines, then the atom lines.

    Only newline offsets are computed (one vectorised pass); the atom lines of the kept frames
    are contiguous byte ranges, so they are joined without splitting the text into lines.
    """

    def __init__(self, text: bytes, newlines: np.ndarray, lines_per_frame: int, header_lines: int):
        self.text = text
        starts = np.r_[0, newlines[:-1] + 1][::lines_per_frame]
        self._body_start = newlines[header_lines - 1::lines_per_frame] + 1
        self._body_end = newlines[lines_per_frame - 1::lines_per_frame] + 1
        self.n_frames = len(starts)
        self.headers = [text[a:b] for a, b in zip(starts, self._body_start)]

    def body(self, frames) -> bytes:
        return b"".join(self.text[self._body_start[k]:self._body_end[k]] for k in frames)


def _frame_blocks(handle, head: bytes, lines_per_frame: int, header_lines: int, path: Path):
    """:class:`_FrameBlock` s of about ``_BLOCK_BYTES`` each, read front to back."""
    carry = head
    while True:
        data = handle.read(_BLOCK_BYTES)
        buf = carry + data
        if not buf:
            return
        if not data and not buf.endswith(b"\n"):
            _check_last_line(buf, path)
            buf += b"\n"
        newlines = np.flatnonzero(np.frombuffer(buf, np.uint8) == 10)
        whole = len(newlines) - len(newlines) % lines_per_frame
        if not data and whole != len(newlines):
            raise InputError(f"{path}: the last frame is incomplete ({len(newlines) - whole} of "
                             f"{lines_per_frame} lines) or the number of atoms changes")
        end = int(newlines[whole - 1]) + 1 if whole else 0
        if whole:
            yield _FrameBlock(buf[:end], newlines[:whole], lines_per_frame, header_lines)
        if not data:
            return
        carry = buf[end:]


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
    values = np.array(match.group(1).split(), dtype=float)
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
        positions, frame = [], 0
        for block in _frame_blocks(handle, b"", n_atoms + 1, 1, path):
            markers = [h.lstrip().lower() for h in block.headers]
            if not all(m.startswith((b"direct", b"cartesian")) for m in markers):
                # A variable-cell XDATCAR repeats its header before each frame.
                return _read_with_ase(path, "vasp-xdatcar", ":", stride)
            keep = [k for k in range(block.n_frames) if (frame + k) % stride == 0]
            frame += block.n_frames
            if keep:
                coords = _parse_columns(block.body(keep), len(keep) * n_atoms, [0, 1, 2], path)
                coords = coords.reshape(len(keep), n_atoms, 3)
                positions.append(coords * scale if markers[0].startswith(b"cartesian")
                                 else coords @ cell)
    positions = np.concatenate(positions) if positions else np.zeros((0, n_atoms, 3))
    return positions, np.repeat(cell[None], positions.shape[0], axis=0), symbols


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
