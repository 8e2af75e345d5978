"""The streaming trajectory reader gives ASE's positions, cells and symbols (ASE as the truth)."""

import gzip

import numpy as np
import pytest

from ssblab.atomistic.trajectory import read_trajectory
from ssblab.errors import InputError

ase = pytest.importorskip("ase")
from ase.io import read as ase_read  # noqa: E402
from ase.io import write as ase_write  # noqa: E402


def _frames(n_frames=40, variable_cell=False, seed=3):
    rng = np.random.default_rng(seed)
    frames, start = [], rng.uniform(0, 9, (6, 3))
    for k in range(n_frames):
        cell = np.diag([9.0, 9.5, 10.0]) * (1 + (0.01 * k if variable_cell else 0))
        cell[1, 0] = 0.7  # a triclinic cell tests the fractional unwrap
        atoms = ase.Atoms("Li3ClBr2", positions=start + 0.3 * k + rng.normal(0, 0.05, (6, 3)),
                          cell=cell, pbc=True)
        atoms.wrap()
        frames.append(atoms)
    return frames


def _ase_truth(path, stride=1, **kw):
    frames = ase_read(str(path), index=f"::{stride}", **kw)
    return (np.stack([f.get_positions() for f in frames]), np.stack([f.cell.array for f in frames]),
            tuple(frames[0].get_chemical_symbols()))


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("stride", [1, 3])
def test_extxyz_matches_ase(tmp_path, compress, stride):
    from ssblab.atomistic.trajectory import unwrap_positions

    path = tmp_path / "run.extxyz"
    ase_write(path, _frames(), format="extxyz")
    pos, cells, symbols = _ase_truth(path, stride)
    if compress:
        packed = tmp_path / "run.extxyz.gz"
        packed.write_bytes(gzip.compress(path.read_bytes()))
        path = packed
    traj = read_trajectory(path, timestep_ps=0.01, stride=stride)
    assert traj.symbols == symbols
    np.testing.assert_allclose(traj.positions_A, unwrap_positions(pos, cells), atol=1e-7)
    np.testing.assert_allclose(traj.cell_A, cells[0], atol=1e-12)
    assert traj.timestep_ps == pytest.approx(0.01 * stride)
    assert traj.masses_amu[0] == pytest.approx(6.94, abs=0.01)


def test_variable_cell_extxyz_keeps_each_cell(tmp_path):
    path = tmp_path / "npt.xyz"
    ase_write(path, _frames(variable_cell=True), format="extxyz")
    _, cells, _ = _ase_truth(path)
    traj = read_trajectory(path, timestep_ps=0.01)
    np.testing.assert_allclose(traj.cell_A, cells, atol=1e-12)


@pytest.mark.parametrize("compress", [False, True])
def test_xdatcar_matches_ase(tmp_path, compress):
    from ssblab.atomistic.trajectory import unwrap_positions

    path = tmp_path / "XDATCAR"
    ase_write(path, _frames(), format="vasp-xdatcar")
    pos, cells, symbols = _ase_truth(path, format="vasp-xdatcar")
    if compress:
        packed = tmp_path / "XDATCAR.gz"
        packed.write_bytes(gzip.compress(path.read_bytes()))
        path = packed
    traj = read_trajectory(path, timestep_ps=0.01)
    assert traj.symbols == symbols
    np.testing.assert_allclose(traj.positions_A, unwrap_positions(pos, cells), atol=1e-6)


def test_ase_formats_still_read_and_compressed_ones_too(tmp_path):
    from ase.io.trajectory import Trajectory as AseTrajectory

    path = tmp_path / "run.traj"
    with AseTrajectory(str(path), "w") as handle:
        for atoms in _frames(10):
            handle.write(atoms)
    plain = read_trajectory(path, timestep_ps=0.01)
    packed = tmp_path / "run.traj.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    np.testing.assert_array_equal(read_trajectory(packed, timestep_ps=0.01, format="traj").positions_A,
                                  plain.positions_A)


def test_truncated_and_inconsistent_files_are_clear_errors(tmp_path):
    path = tmp_path / "run.extxyz"
    ase_write(path, _frames(5), format="extxyz")
    text = path.read_bytes()
    cut = tmp_path / "cut.extxyz"
    cut.write_bytes(text[: len(text) - 40])
    with pytest.raises(InputError, match="incomplete|unreadable|expected|truncated"):
        read_trajectory(cut, timestep_ps=0.01)
    bad = tmp_path / "bad.xyz"
    bad.write_bytes(b"six\n\n")
    with pytest.raises(InputError, match="atom count"):
        read_trajectory(bad, timestep_ps=0.01)
    no_cell = tmp_path / "nocell.xyz"
    no_cell.write_bytes(b"1\ncomment\nLi 0 0 0\n")
    with pytest.raises(InputError, match="Lattice"):
        read_trajectory(no_cell, timestep_ps=0.01)
