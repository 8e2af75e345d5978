"""Read any ASE-readable trajectory (ASE .traj, extxyz, VASP XDATCAR, LAMMPS dump) unwrapped.

Files written by MD codes often wrap atoms back into the cell. Positions are unwrapped by
taking each frame-to-frame displacement in fractional coordinates to its nearest image, which
is exact as long as no atom moves more than half a cell length between stored frames; for
already-unwrapped files it changes nothing.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ssblab.atomistic.transport import Trajectory
from ssblab.errors import InputError, require_package


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
    inv = np.linalg.inv(cells)
    frac = np.einsum("tai,tij->taj", pos, inv)
    step = np.diff(frac, axis=0)
    step -= np.round(step)
    frac_unwrapped = np.concatenate([frac[:1], frac[:1] + np.cumsum(step, axis=0)])
    return np.einsum("taj,tjk->tak", frac_unwrapped, cells)


def read_trajectory(path: str | os.PathLike, *, timestep_ps: float, index: str = ":",
                    format: str | None = None, stride: int = 1) -> Trajectory:
    """Read a trajectory file with ASE into an unwrapped :class:`Trajectory`.

    ``timestep_ps`` is the time between the stored frames (many formats do not record it);
    with ``stride`` > 1 only every stride-th frame is kept and the time step scaled to match.
    """
    require_package("ase", extra="atomistic", purpose="reading trajectories")
    from ase.io import read

    from ssblab.files import check_input_file

    check_input_file(path, kind="trajectory")
    if not (math.isfinite(float(timestep_ps)) and float(timestep_ps) > 0):
        raise InputError(f"timestep_ps: expected a positive time between frames, found "
                         f"{timestep_ps}")
    if int(stride) < 1:
        raise InputError(f"stride: expected a positive integer, found {stride}")
    try:
        frames = read(str(path), index=index, format=format)
    except Exception as exc:  # ASE raises many types for unreadable files
        text = " ".join(str(exc).split())[:300]
        raise InputError(f"{path}: ASE could not read it as a trajectory "
                         f"({type(exc).__name__}: {text})") from None
    if not isinstance(frames, list):
        frames = [frames]
    frames = frames[::int(stride)]
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
    if not (np.isfinite(positions).all() and np.isfinite(cells).all()):
        raise InputError(f"{path}: positions or cell are not finite; the file is damaged")
    if np.any(np.abs(np.linalg.det(cells)) < 1e-9):
        raise InputError(f"{path}: the cell is missing or degenerate; diffusion needs a "
                         "periodic cell")
    positions = unwrap_positions(positions, cells)
    fixed = np.allclose(cells, cells[0])
    return Trajectory(positions, cell_A=cells[0] if fixed else cells,
                      symbols=tuple(frames[0].get_chemical_symbols()),
                      timestep_ps=float(timestep_ps) * int(stride),
                      masses_amu=frames[0].get_masses(), source=str(path))
