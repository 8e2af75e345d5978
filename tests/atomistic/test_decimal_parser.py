"""The fixed-width decimal parser gives float()'s doubles bit for bit, and refuses the rest.

The truth is Python's ``float`` (correctly rounded) applied to each word of a whitespace split;
texts come from ``%W.Df`` formatting of random numbers, independent of the parser.
"""

import numpy as np
import pytest

from ssblab.atomistic._decimal import parse_decimal_fields
from ssblab.atomistic.trajectory import _read_extxyz, read_trajectory
from ssblab.errors import InputError


def _lines(rows: list[str]) -> tuple[bytes, int, int]:
    """Text of a header line and ``rows``, the offset of the first row and the row length."""
    widths = {len(r) for r in rows}
    assert len(widths) == 1
    head = "a header line\n"
    return (head + "\n".join(rows) + "\n").encode(), len(head), widths.pop() + 1


def _fields(row: str) -> list[tuple[int, int]]:
    """(start, stop) of each word after the first: from the end of the word before."""
    out, at = [], 0
    for word in row.split():
        begin = row.index(word, at)
        out.append((at, begin + len(word)))
        at = begin + len(word) + 1
    return out[1:]


def _same_bits(a, b) -> bool:
    return np.array_equal(np.asarray(a, float).view(np.int64), np.asarray(b, float).view(np.int64))


def test_random_fixed_width_numbers_are_float_bit_for_bit():
    rng = np.random.default_rng(7)
    checked = 0
    for trial in range(400):
        # the same format in every field, or each field its own (grouped by decimals)
        decimals = rng.integers(1, 13, 3) if trial % 2 else np.repeat(rng.integers(1, 13), 3)
        widths = decimals + rng.integers(3, 10, 3)
        values = rng.normal(0, 10.0 ** rng.integers(-4, 6), (int(rng.integers(1, 400)), 3))
        values[rng.random(values.shape) < 0.1] = -0.0  # prints "-0.000..."
        values[rng.random(values.shape) < 0.1] *= 1e-9  # rounds to +-0
        fmt = [f"%{w}.{d}f" for w, d in zip(widths, decimals)]
        rows = ["Li" + "".join(" " + f % v for f, v in zip(fmt, row)) for row in values]
        if len({len(r) for r in rows}) != 1:  # a number wider than its field: not fixed
            continue
        text, first, line = _lines(rows)
        got = parse_decimal_fields(text, first, 0, (1, len(rows), line), _fields(rows[0]))
        digits = max(len(w.lstrip("-").replace(".", "").lstrip("0")) for r in rows
                     for w in r.split()[1:])
        if got is None:  # refused only where a double cannot hold every digit exactly
            assert digits > 15 or any(len(w.split(".")[0]) > 8 for r in rows
                                      for w in r.split()[1:]), fmt
            continue
        truth = [[float(w) for w in r.split()[1:]] for r in rows]
        assert _same_bits(got, truth), fmt
        checked += got.size
    assert checked > 100_000


def test_halfway_and_long_decimals_round_as_float_does():
    """Decimals that lie exactly between or very near two doubles, and the largest exact ones."""
    words = ["0.1", "0.3", "2.675", "1.000000000000002", "9007198.254740991", "0.000000000000001",
             "1.7976931348623", "-0.5", "5.000000000000001", "123456.7890123"]
    width = max(map(len, words)) + 2
    for word in words:
        decimals = len(word.split(".")[1])
        row = "X " + word.rjust(width)
        text, first, line = _lines([row, row])
        point = row.index(".")
        got = parse_decimal_fields(text, first, 0, (1, 2, line), [(2, point + decimals + 1)])
        assert got is not None and _same_bits(got[:, 0], [float(word)] * 2), word


@pytest.mark.parametrize("bad", ["  1.5e+00", "     +1.5", "     1.5.", "    --1.5", "    - 1.5",
                                 "    1-2.5", "    1 2.5", "    1:2.5", "     1.5:", "     1,50",
                                 "    \xb12.25", "      .25", "  1.5    "])
def test_what_float_does_not_read_the_same_way_is_refused(bad):
    """One odd line among good ones: the whole block goes back to the general parser (None),
    except ".25", which float() reads as 0.25 and so does the parser."""
    good = "     2.25"
    rows = [good] * 5 + [bad] + [good] * 3
    text = ("hdr\n" + "\n".join("Li " + r for r in rows) + "\n").encode("latin-1")
    line = len("Li " + good) + 1
    field = [(3, 3 + len(good))]
    got = parse_decimal_fields(text, 4, 0, (1, len(rows), line), field)
    if bad.strip() == ".25":
        assert _same_bits(got[:, 0], [2.25] * 5 + [0.25] + [2.25] * 3)
    else:
        assert got is None, bad


def test_a_point_that_moves_or_too_many_digits_is_refused():
    rows = ["Li  1.2345", "Li 12.345 "]  # equally long, the point in another column
    text, first, line = _lines(rows)
    assert parse_decimal_fields(text, first, 0, (1, 2, line), [(3, 10)]) is None
    rows = ["Li 1.2345678901234567", "Li 2.2345678901234567"]  # 17 digits: not exact
    text, first, line = _lines(rows)
    assert parse_decimal_fields(text, first, 0, (1, 2, line), [(3, 21)]) is None


def _xyz(pos, fmt="%16.8f", sep=" ", newline="\n", cell=20.0):
    out = []
    for frame in pos:
        out += [str(len(frame)),
                f'Lattice="{cell} 0 0 0 {cell} 0 0 0 {cell}" Properties=species:S:1:pos:R:3']
        out += ["Li" + "".join(sep + fmt % v for v in r) for r in frame]
    return (newline.join(out) + newline).encode()


@pytest.mark.parametrize("layout", ["fixed", "wide", "exponent", "tabs", "crlf", "varying"])
def test_files_read_the_numbers_written_whatever_the_layout(tmp_path, layout):
    """Positions before unwrapping equal float() of the words: bit for bit on the fixed-width
    paths, to 1e-12 where the general parser (pandas) reads them."""
    rng = np.random.default_rng(3)
    pos = rng.uniform(0, 20, (30, 9, 3))
    pos[0, 0] = [-0.0, 0.0, -0.0]
    kw = {"fixed": {}, "wide": {"fmt": "%24.12f"}, "exponent": {"fmt": "%18.8e"},
          "tabs": {"sep": "\t"}, "crlf": {"newline": "\r\n"}, "varying": {"fmt": "%.8f"}}[layout]
    text = _xyz(pos, **kw)
    path = tmp_path / "walk.extxyz"
    path.write_bytes(text)
    truth = np.array([[float(w) for w in line.split()[1:]] for line in
                      text.decode().splitlines() if line.startswith("Li")]).reshape(pos.shape)
    raw, _, _ = _read_extxyz(path, 1, unwrap=False)
    if layout in ("fixed", "wide"):
        assert _same_bits(raw, truth)
    else:
        np.testing.assert_allclose(raw, truth, rtol=1e-15, atol=0)
    assert read_trajectory(path, timestep_ps=0.01).n_frames == 30


def test_fixed_width_file_takes_the_decimal_parser(tmp_path, monkeypatch):
    """The fast path is taken for ASE's layout (the general parsers are not called)."""
    from ssblab.atomistic import trajectory

    def unexpected(*args, **kwargs):
        raise AssertionError("the general parser was called")

    monkeypatch.setattr(trajectory, "_parse_columns", unexpected)
    pos = np.random.default_rng(1).uniform(0, 20, (50, 7, 3))
    path = tmp_path / "ase.extxyz"
    path.write_bytes(_xyz(pos))
    raw, _, _ = _read_extxyz(path, 1, unwrap=False)
    np.testing.assert_allclose(raw, pos, atol=5e-9)
    raw2, _, _ = _read_extxyz(path, 3, unwrap=False)
    assert _same_bits(raw2, raw[::3])


def test_a_truncated_last_frame_is_an_error(tmp_path):
    text = _xyz(np.random.default_rng(2).uniform(0, 20, (10, 5, 3)))
    for cut in (20, 60, len(text.split(b"\n")[-2]) + 1):
        path = tmp_path / f"cut{cut}.extxyz"
        path.write_bytes(text[:-cut])
        with pytest.raises(InputError, match=path.name):
            read_trajectory(path, timestep_ps=0.01)


def test_a_corrupted_byte_in_a_species_or_number_is_caught(tmp_path):
    """A newline inside the species field splits the line; a letter in a number is not a number."""
    text = bytearray(_xyz(np.random.default_rng(4).uniform(0, 20, (12, 5, 3))))
    start = text.index(b"Li", 100)
    for offset, byte in ((1, b"\n"), (10, b"x")):
        bad = bytearray(text)
        bad[start + offset:start + offset + 1] = byte
        path = tmp_path / f"bad{offset}.extxyz"
        path.write_bytes(bytes(bad))
        with pytest.raises(InputError, match=path.name):
            read_trajectory(path, timestep_ps=0.01)


def test_many_chunks_split_with_the_helper_thread_give_the_same_bits(monkeypatch):
    """Blocks of many chunks are converted half on a helper thread: same numbers, bit for bit,
    and a line that does not fit in the helper's half still sends the block back (None)."""
    from ssblab.atomistic import _decimal

    monkeypatch.setattr(_decimal, "_CHUNK_LINES", 40)
    rng = np.random.default_rng(11)
    values = rng.normal(0, 50, (30, 25, 3))  # 30 frames of 25 lines: 30 chunks of one frame
    rows = ["Li" + "".join(f" {v:14.6f}" if j != 1 else f" {v:18.10f}" for j, v in
                           enumerate(row)) for row in values.reshape(-1, 3)]
    text, first, line = _lines(rows)
    got = parse_decimal_fields(text, first, 25 * line, (30, 25, line), _fields(rows[0]))
    assert _same_bits(got, [[float(w) for w in r.split()[1:]] for r in rows])
    assert _decimal._helper() is not None or (__import__("os").cpu_count() or 1) < 2
    bad = rows.copy()
    bad[-3] = bad[-3][:-4] + "e+00"  # in the later half: the helper's part
    text, first, line = _lines(bad)
    assert parse_decimal_fields(text, first, 25 * line, (30, 25, line), _fields(rows[0])) is None
