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


# --- the fast paths: each against numbers written independently, and against ASE ------------------
def _xyz_text(frames_xyz, symbols, cell=10.0, comments=None, line="{:<2s} {:16.8f} {:16.8f} {:16.8f}",
              extra=None):
    """Extended XYZ text from plain Python formatting (no ssblab, no ASE)."""
    props = "species:S:1:pos:R:3" + (":forces:R:3" if extra is not None else "")
    out = []
    for k, xyz in enumerate(frames_xyz):
        comment = (f'Lattice="{cell} 0 0 0 {cell} 0 0 0 {cell}" Properties={props}'
                   + (comments[k] if comments else ""))
        out += [str(len(symbols)), comment]
        for a, (s, r) in enumerate(zip(symbols, xyz)):
            row = line.format(s, *r)
            if extra is not None:
                row += " " + " ".join(f"{v:.6e}" for v in extra[k, a])
            out.append(row)
    return ("\n".join(out) + "\n").encode()


def _walk(n_frames=60, n_atoms=7, seed=5):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0, 0.4, (n_frames, n_atoms, 3)), axis=0) + 5.0


@pytest.mark.parametrize("layout", ["fixed", "ragged", "tabs", "exponent", "extra-columns",
                                    "energies"])
def test_every_layout_reads_the_numbers_written(tmp_path, layout):
    """Fixed-width lines take the Arrow path, the rest the general one; all give the numbers."""
    from ssblab.atomistic.trajectory import unwrap_positions

    pos = _walk()
    symbols = ["Li", "O", "Li", "Cl", "Li", "O", "Li"]
    kw = {}
    if layout == "ragged":  # equally long lines whose fields sit in different columns
        kw["line"] = "{} {:.4f} {:.4f} {:.4f}"
        pos = np.round(pos, 4)
    elif layout == "tabs":
        kw["line"] = "{}\t{:.8f}\t{:.8f}\t{:.8f}"
    elif layout == "exponent":
        kw["line"] = "{:<2s} {: .10e} {: .10e} {: .10e}"
    elif layout == "extra-columns":
        kw["extra"] = np.random.default_rng(1).normal(size=pos.shape)
    elif layout == "energies":  # comment lines of changing length: no uniform frames
        kw["comments"] = [f" energy={-1.5 * 10 ** (k % 5):.3f}" for k in range(len(pos))]
    path = tmp_path / "walk.extxyz"
    path.write_bytes(_xyz_text(pos % 10.0, symbols, **kw))
    traj = read_trajectory(path, timestep_ps=0.01)
    assert traj.symbols == tuple(symbols)
    cells = np.repeat(np.eye(3)[None] * 10.0, len(pos), axis=0)
    np.testing.assert_allclose(traj.positions_A, unwrap_positions(pos % 10.0, cells), atol=1e-9)
    np.testing.assert_allclose(traj.positions_A - traj.positions_A[0], pos - pos[0], atol=1e-6)


def test_fixed_width_parser_refuses_what_a_whitespace_split_reads_otherwise():
    """Equal line lengths are not enough: fields must sit in the same columns on every line."""
    from ssblab.atomistic.trajectory import _parse_fixed_width

    pytest.importorskip("pyarrow")
    good = np.frombuffer(bytearray(b"Li  1.50  2.25\nO   3.00 -4.75\n"), np.uint8).reshape(2, -1)
    np.testing.assert_array_equal(_parse_fixed_width(good.copy(), [1, 2]),
                                  [[1.5, 2.25], [3.0, -4.75]])
    shifted = np.frombuffer(bytearray(b"Li 1.5 22.25\nLi 11.5 2.25\n"), np.uint8).reshape(2, -1)
    assert _parse_fixed_width(shifted.copy(), [1, 2]) is None
    two_words = np.frombuffer(bytearray(b"Li  1.5 2.5\nA B 1.5 2.5\n"), np.uint8).reshape(2, -1)
    assert _parse_fixed_width(two_words.copy(), [1, 2]) is None


def test_uniform_frames_then_a_longer_one(tmp_path):
    """A stretch of identical frame layouts followed by a frame whose comment is longer."""
    pos = _walk(n_frames=30)
    symbols = ["Li"] * 7
    comments = [""] * 29 + [" note=longer"]
    path = tmp_path / "mixed.extxyz"
    path.write_bytes(_xyz_text(pos % 10.0, symbols, comments=comments))
    traj = read_trajectory(path, timestep_ps=0.01, stride=2)
    np.testing.assert_allclose(traj.positions_A - traj.positions_A[0], (pos - pos[0])[::2],
                               atol=1e-6)


@pytest.mark.parametrize("stride", [1, 4])
def test_ase_traj_direct_reader_matches_ase(tmp_path, stride):
    """.traj read from its memory map equals ASE's reader, with calculator results stored and a
    changing cell."""
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io.trajectory import Trajectory as AseTrajectory

    from ssblab.atomistic.trajectory import unwrap_positions

    path = tmp_path / "npt.traj"
    frames = _frames(21, variable_cell=True)
    with AseTrajectory(str(path), "w") as handle:
        for k, atoms in enumerate(frames):
            atoms.calc = SinglePointCalculator(atoms, energy=-1.0 * k,
                                               forces=np.full((len(atoms), 3), 0.1 * k))
            handle.write(atoms)
    pos, cells, symbols = _ase_truth(path, stride)
    traj = read_trajectory(path, timestep_ps=0.01, stride=stride)
    assert traj.symbols == symbols
    np.testing.assert_array_equal(traj.positions_A, unwrap_positions(pos, cells))
    np.testing.assert_array_equal(traj.cell_A, cells)


def test_damaged_ase_traj_is_a_clear_error(tmp_path):
    from ase.io.trajectory import Trajectory as AseTrajectory

    path = tmp_path / "run.traj"
    with AseTrajectory(str(path), "w") as handle:
        for atoms in _frames(5):
            handle.write(atoms)
    data = bytearray(path.read_bytes())
    cut = tmp_path / "cut.traj"
    cut.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(InputError, match="cut.traj"):
        read_trajectory(cut, timestep_ps=0.01)


def test_real_vasp_run_reads_as_ase_reads_it(real_data):
    """A published Li6PS5Cl AIMD XDATCAR (kinisi's example): the streaming reader, Arrow path
    included, gives ASE's frames; Li diffuses and the framework barely moves."""
    from ssblab.atomistic.trajectory import unwrap_positions
    from ssblab.atomistic.transport import diffusion

    path = real_data / "trajectories" / "argyrodite_XDATCAR.gz"
    traj = read_trajectory(path, timestep_ps=0.002)
    frames = ase_read(str(path), index=":", format="vasp-xdatcar")
    pos = np.stack([f.get_positions() for f in frames])
    cells = np.stack([f.cell.array for f in frames])
    assert traj.n_frames == 140 and traj.n_atoms == 416
    assert traj.symbols == tuple(frames[0].get_chemical_symbols())
    np.testing.assert_allclose(traj.positions_A, unwrap_positions(pos, cells), atol=1e-9)
    res = diffusion(traj, mobile="Li", temperature_K=600.0, n_blocks=2, min_block_frames=20)
    assert res.diffusivity_cm2_s.value > 0
    li = np.array([s == "Li" for s in traj.symbols])
    moved = np.linalg.norm(traj.positions_A[-1] - traj.positions_A[0], axis=1)
    assert moved[li].mean() > 2 * moved[~li].mean()


def _lammps_dump(pos, ids_order, box, columns, symbols, tilt=None):
    """A LAMMPS text dump from plain Python formatting: atoms in the given order per frame."""
    out = []
    lx, ly, lz = box
    for k, frame in enumerate(pos):
        out += ["ITEM: TIMESTEP", str(100 * k), "ITEM: NUMBER OF ATOMS", str(len(frame))]
        if tilt is None:
            out += ["ITEM: BOX BOUNDS pp pp pp", f"0.0 {lx}", f"0.0 {ly}", f"0.0 {lz}"]
        else:
            xy, xz, yz = tilt
            out += ["ITEM: BOX BOUNDS xy xz yz pp pp pp",
                    f"{min(0.0, xy, xz, xy + xz)} {lx + max(0.0, xy, xz, xy + xz)} {xy}",
                    f"{min(0.0, yz)} {ly + max(0.0, yz)} {xz}", f"0.0 {lz} {yz}"]
        out.append("ITEM: ATOMS " + " ".join(columns))
        for i in ids_order[k]:
            values = {"id": str(i + 1), "type": str(1 + (symbols[i] != "Li")),
                      "element": symbols[i]}
            values.update(zip(("x", "y", "z"), (f"{v:g}" for v in frame[i])))
            values.update(zip(("xu", "yu", "zu"), (f"{v:.10g}" for v in frame[i])))
            out.append(" ".join(values[c] for c in columns))
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize("columns", [("id", "element", "xu", "yu", "zu"),
                                     ("id", "type", "x", "y", "z")])
def test_lammps_dump_in_id_order_whatever_the_dump_order(tmp_path, columns):
    rng = np.random.default_rng(2)
    n_frames, n_atoms = 25, 6
    pos = _walk(n_frames, n_atoms, seed=9)
    symbols = ["Li", "S", "Li", "P", "Li", "Cl"]
    orders = [rng.permutation(n_atoms) for _ in range(n_frames)]
    wrapped = columns[2] == "x"
    data = pos % 12.0 if wrapped else pos
    path = tmp_path / "dump.lammpstrj"
    path.write_bytes(_lammps_dump(data, orders, (12.0, 12.0, 12.0), columns, symbols))
    traj = read_trajectory(path, timestep_ps=0.01)
    expected = ("1", "2", "1", "2", "1", "2") if wrapped else tuple(symbols)
    assert traj.symbols == expected
    tol = 1e-4 if wrapped else 1e-8  # %g keeps 6 significant digits
    np.testing.assert_allclose(traj.positions_A - traj.positions_A[0], pos - pos[0], atol=tol)
    np.testing.assert_allclose(traj.cell_A, np.eye(3) * 12.0)
    if wrapped:  # ASE's reader agrees (its type-to-element mapping aside)
        frames = ase_read(str(path), index=":", format="lammps-dump-text")
        np.testing.assert_allclose(traj.positions_A[0], frames[0].get_positions(), atol=1e-12)


def test_lammps_triclinic_box_is_the_cell_ase_reads(tmp_path):
    pos = _walk(5, 4, seed=1)
    path = tmp_path / "tri.dump"
    path.write_bytes(_lammps_dump(pos, [range(4)] * 5, (10.0, 11.0, 12.0),
                                  ("id", "type", "xu", "yu", "zu"), ["Li"] * 4,
                                  tilt=(1.5, -0.5, 0.7)))
    traj = read_trajectory(path, timestep_ps=0.01)
    cell = ase_read(str(path), index=0, format="lammps-dump-text").cell.array
    np.testing.assert_allclose(traj.cell_A, cell, atol=1e-12)
    np.testing.assert_allclose(traj.positions_A, pos, atol=1e-8)


def test_gzip_reads_the_same_with_and_without_isal_and_a_cut_one_is_an_error(tmp_path,
                                                                           monkeypatch):
    import sys

    pos = _walk(40)
    path = tmp_path / "walk.extxyz.gz"
    text = _xyz_text(pos % 10.0, ["Li"] * 7)
    path.write_bytes(gzip.compress(text))
    first = read_trajectory(path, timestep_ps=0.01).positions_A
    monkeypatch.setitem(sys.modules, "isal", None)  # import isal now fails: zlib
    np.testing.assert_array_equal(read_trajectory(path, timestep_ps=0.01).positions_A, first)
    cut = tmp_path / "cut.extxyz.gz"
    cut.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(InputError, match="cut.extxyz.gz"):
        read_trajectory(cut, timestep_ps=0.01)


def test_single_spaced_lines_take_arrow_and_ragged_ones_the_general_parser():
    """One space between fields of any width (LAMMPS) splits as a whitespace split does."""
    from ssblab.atomistic.trajectory import _parse_columns

    pytest.importorskip("pyarrow")
    text = b"1 1 0.5 -2 3e-1\n12 2 10.25 4.5 6\n"
    np.testing.assert_array_equal(_parse_columns(text, 2, [2, 3, 4, 0], "x"),
                                  [[0.5, -2, 0.3, 1], [10.25, 4.5, 6, 12]])
    ragged = b"1 1 0.5 -2 3e-1\n12  2 10.25 4.5 6\n"  # a double space: general parser, same answer
    np.testing.assert_array_equal(_parse_columns(ragged, 2, [2, 3, 4, 0], "x"),
                                  [[0.5, -2, 0.3, 1], [10.25, 4.5, 6, 12]])
    with pytest.raises(InputError, match="x"):
        _parse_columns(b"1 1 0.5 -2\n12 2 10.25 4.5 6\n", 2, [2, 3, 4], "x")


def test_a_newline_inside_the_atom_lines_is_an_error(tmp_path):
    """A byte turned into a newline keeps every line end in place but splits a line: refused."""
    text = bytearray(_xyz_text(_walk(20) % 10.0, ["Li"] * 7))
    lines = text.split(b"\n")
    at = len(b"\n".join(lines[:5])) + len(lines[5])  # the newline ending line 5 (an atom line)
    for offset in (-1, -8):
        bad = bytearray(text)
        bad[at + offset] = 10
        path = tmp_path / f"bad{-offset}.extxyz"
        path.write_bytes(bytes(bad))
        with pytest.raises(InputError, match=path.name):
            read_trajectory(path, timestep_ps=0.01)


def test_lammps_box_that_changes_every_frame_gives_each_frame_its_cell(tmp_path):
    """NPT dumps: equally long lines, a box that changes each frame (and fixed-width numbers, the
    decimal parser's path): every frame keeps its own cell."""
    rng = np.random.default_rng(6)
    n_frames, n_atoms = 12, 5
    sides = 10.0 + 0.01 * np.arange(n_frames)
    frac = 0.5 + np.cumsum(rng.normal(0, 0.02, (n_frames, n_atoms, 3)), axis=0)
    out = []
    for k in range(n_frames):
        out += ["ITEM: TIMESTEP", f"{1000 + k}", "ITEM: NUMBER OF ATOMS", str(n_atoms),
                "ITEM: BOX BOUNDS pp pp pp"] + [f"0.0000 {sides[k]:.4f}"] * 3
        out.append("ITEM: ATOMS id type xu yu zu")
        out += [f"{i + 1} 1 {x:12.6f} {y:12.6f} {z:12.6f}" for i, (x, y, z) in
                enumerate(frac[k] * sides[k])]
    path = tmp_path / "npt.lammpstrj"
    path.write_bytes(("\n".join(out) + "\n").encode())
    traj = read_trajectory(path, timestep_ps=0.01)
    np.testing.assert_array_equal(traj.cell_A, [np.eye(3) * s for s in sides])
    words = np.array([[float(w) for w in line.split()[2:]] for line in out if line.count(" ") > 3
                      and not line.startswith("ITEM")]).reshape(n_frames, n_atoms, 3)
    np.testing.assert_allclose(traj.positions_A, words, atol=1e-12)
