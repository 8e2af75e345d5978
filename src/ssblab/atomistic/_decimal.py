"""Fixed-width decimal numbers ("%16.8f" columns) parsed by integer arithmetic in NumPy.

MD codes write positions with a fixed format, so in a block of equally long lines every number
of a column has its decimal point in the same byte column. The digits on either side of it are
then read eight at a time: each group of 8 bytes is loaded as one little-endian 64-bit word and
turned into its integer by three multiply-shift steps (SWAR, "SIMD within a register"), every
step one NumPy operation over all lines at once. Each byte is also checked, so that a field is
accepted only when it holds exactly what ``float()`` accepts in this shape: blanks, an optional
minus sign directly before the digits, the integer digits (none for ".5"), the point, at least
one decimal digit.

The value is the integer of all its digits (below 2**53, checked) divided by 10**decimals. Both
are exact doubles, and IEEE division rounds correctly, so the result is the correctly rounded
double of the decimal text: bit for bit what ``float()`` (or any correct parser) gives. Anything
else (an exponent, a plus sign, a point that moves, more digits than a double holds exactly)
returns None and the caller's general parser reads the lines instead.
"""

from __future__ import annotations

import functools
import os

import numpy as np

_U = np.uint64
_ONES = _U(0x0101010101010101)
_LOW_NIBBLES = _U(0x0F0F0F0F0F0F0F0F)
_HIGH_NIBBLES = _U(0xF0F0F0F0F0F0F0F0)
_TOP3 = _U(0xE0E0E0E0E0E0E0E0)
_SPACES = _U(0x2020202020202020)
_ZEROS = _U(0x3030303030303030)
_SIXES = _U(0x0606060606060606)
_THREES = _U(0x3333333333333333)
_SIXTEENS = _U(0x1010101010101010)
_THIRTEENS = _U(0x0D0D0D0D0D0D0D0D)
_MAX_EXACT = 2**53  # integers below this are exact doubles
_CHUNK_LINES = 2**14  # lines converted at a time (measured: 8-16 k fastest, 32 k 30 % slower)


def parse_decimal_fields(buf, first: int, frame_step: int, shape: tuple[int, int, int],
                         fields: list[tuple[int, int]]) -> np.ndarray | None:
    """The numbers of fixed-width decimal ``fields`` of equally long lines, or None.

    ``buf`` (bytes or a 1-D uint8 array) holds ``shape = (n_frames, n_lines, line_bytes)``
    lines: frame ``k``'s line ``i`` starts at ``first + k * frame_step + i * line_bytes``.
    ``fields`` are the ``(start, stop)`` byte columns of each wanted field, the columns just
    outside them blank (or the line's end) on every line; the caller checks that. Returns an
    (n_frames * n_lines, len(fields)) float64 array, or None when a field is not a plain decimal
    with its point in one column on every line (then nothing is guaranteed about the numbers).

    Examples
    --------
    >>> text = b"hdr\\nLi   -1.25  10.50\\nO     0.75  -0.00\\n"
    >>> parse_decimal_fields(text, 4, 0, (1, 2, 18), [(5, 10), (12, 17)])
    array([[-1.25, 10.5 ],
           [ 0.75, -0.  ]])
    """
    n_frames, n_lines, width = shape
    if n_frames * n_lines == 0 or not fields:
        return None
    lines = np.ndarray(shape, np.uint8, buffer=buf, offset=first,
                       strides=(frame_step, width, 1))
    line0 = bytes(lines[0, 0])
    points, decimals = [], []
    for start, stop in fields:
        point = line0.find(b".", start, stop)
        # the integer part is read from the 8 bytes before the point: they must exist in buf
        if point < 0 or not 1 <= stop - point - 1 <= 15 or first + point - 8 < 0:
            return None
        if not (lines[:, :, point] == 46).all():
            return None
        if point - 8 > start and not (lines[:, :, start:point - 8] == 32).all():
            return None  # wider fields: the bytes beyond the 8 read must be blank
        points.append(point)
        decimals.append(stop - point - 1)
    out = np.empty((n_frames * n_lines, len(fields)))
    per_chunk = max(1, _CHUNK_LINES // n_lines)
    groups = [[j for j in range(len(fields)) if decimals[j] == d] for d in sorted(set(decimals))]

    def convert(starts: range) -> bool:
        """The frames of the chunks that begin at ``starts``; False when a field does not fit."""
        views = {}  # (n_frames, n_lines) words at one column of the lines, made once
        for cols in groups:  # fields with as many decimals are converted together
            fused = _Fields(min(per_chunk, n_frames) * n_lines, [fields[j][0] for j in cols],
                            [points[j] for j in cols], decimals[cols[0]])
            for k in starts:
                frames = min(per_chunk, n_frames - k)

                def words(at, frames=frames, k=k):
                    if at not in views:
                        views[at] = np.ndarray((n_frames, n_lines), "<u8", buffer=buf,
                                               offset=first + at, strides=(frame_step, width))
                    return views[at][k:k + frames]

                if not fused.convert(words, frames * n_lines,
                                     out[k * n_lines:(k + frames) * n_lines], cols):
                    return False
        return True

    starts = range(0, n_frames, per_chunk)
    if len(starts) > 1 and (pool := _helper()) is not None:
        # the later half on a second core: NumPy releases the GIL inside each operation
        half = len(starts) // 2
        later = pool.submit(convert, starts[half:])
        done = convert(starts[:half])
        done = later.result() and done
    else:
        done = convert(starts)
    return out if done else None


@functools.cache
def _helper():
    """One worker thread shared by every parse, or None on a single core."""
    if (os.cpu_count() or 1) == 1:
        return None
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1, thread_name_prefix="ssblab-parse")


class _Fields:
    """Scratch space and masks to convert ``len(points)`` fields with ``decimals`` decimals each,
    every operation in place over the words of all the fields, one field after the other."""

    def __init__(self, rows: int, starts: list[int], points: list[int], decimals: int):
        self.points, self.decimals = points, decimals
        size = rows * len(points)
        # flat arrays: NumPy's in-place loops are 2-3x slower on 2-D operands
        self._scratch = [np.empty(size, _U) for _ in range(8)]
        full = 0xFFFFFFFFFFFFFFFF
        # bytes of the integer window that lie before the field: taken as blanks
        outside = [max(0, s - (p - 8)) for s, p in zip(starts, points)]
        self._outside = [(_U(~0 << (8 * o) & full), _SPACES & _U(~(~0 << (8 * o)) & full))
                         if o else None for o in outside]
        # groups of 8 decimals from the right; a short leftmost one reads zeros before it
        self._groups = []
        end = decimals + 1  # relative to the point
        for at in range(end - 8, -7, -8):
            lead = max(0, 1 - at)
            keep = _U(~0 << (8 * lead) & full)
            self._groups.append((at, _U(10 ** (end - 8 - at)), (keep, _ZEROS & ~keep) if lead
                                 else None))

    def _gather(self, words, at: int, x: np.ndarray, rows: int) -> None:
        for j, point in enumerate(self.points):  # field by field: contiguous planes
            source = words(point + at)
            x[j * rows:(j + 1) * rows].reshape(source.shape)[...] = source

    def convert(self, words, rows: int, out: np.ndarray, columns: list[int]) -> bool:
        """The fields of ``rows`` lines into ``columns`` of ``out``; False when one does not
        fit."""
        size = rows * len(self.points)
        x, low, digit, other, sign, tmp, flags, negative = (a[:size] for a in self._scratch)
        self._gather(words, -8, x, rows)
        for j, masks in enumerate(self._outside):
            if masks is not None:
                plane = x[j * rows:(j + 1) * rows]
                plane &= masks[0]
                plane |= masks[1]
        _integer_part(x, low, digit, other, sign, tmp, flags)
        if np.bitwise_or.reduce(flags):
            return False
        whole = low
        if int(whole.max()) + 1 > _MAX_EXACT // 10**self.decimals:
            return False
        np.negative(sign, out=negative)
        negative |= sign
        negative &= _U(2**63)  # the sign bit where there is a minus: x | -x is >= 2**63 iff x != 0
        whole *= _U(10**self.decimals)
        for at, scale, lead in self._groups:
            self._gather(words, at, x, rows)
            if lead is not None:
                x &= lead[0]
                x |= lead[1]
            _not_digits(x, tmp)
            if np.bitwise_or.reduce(tmp):
                return False
            _eight_digits(x)
            if scale > 1:
                x *= scale
            whole += x
        for j, c in enumerate(columns):
            part = slice(j * rows, (j + 1) * rows)
            column = out[:, c]
            np.divide(whole[part], float(10**self.decimals), out=column)  # exact / exact
            column.view(_U)[...] |= negative[part]
        return True


def _integer_part(x, low, digit, other, sign, tmp, flags) -> None:
    """Check 8-byte words that must read (blanks)(-)(digits) and leave their integers in
    ``low``, a nonzero ``sign`` where there is a minus sign and nonzero ``flags`` where a word
    does not fit. No digit at all is allowed: ``float(".5")`` and ``float("-.5")`` are numbers
    too. ``x`` is kept; the rest are scratch of its shape."""
    np.bitwise_and(x, _TOP3, out=flags)
    flags ^= _SPACES  # every byte one of 0x20-0x3f
    np.bitwise_and(x, _LOW_NIBBLES, out=low)
    np.right_shift(x, _U(4), out=digit)
    digit &= _ONES
    digit *= _U(0xFF)  # 0xff on the digit bytes (0x30-0x3f), 0 on blanks and signs
    np.add(low, _SIXES, out=tmp)
    tmp &= _SIXTEENS
    tmp &= digit
    flags |= tmp  # 0x3a-0x3f are not digits
    np.invert(digit, out=other)
    np.add(other, _U(1), out=tmp)
    tmp &= other
    flags |= tmp  # the digits run up to the point, with nothing between
    np.bitwise_and(low, other, out=sign)  # low nibbles of the rest: 0 for a blank, 13 for '-'
    np.right_shift(other, _U(8), out=tmp)
    tmp ^= other
    tmp &= _THIRTEENS  # 13 in the byte just before the digits: where a minus may be
    tmp ^= sign
    np.minimum(tmp, sign, out=tmp)
    flags |= tmp  # the rest is all blanks, or blanks and a minus just before the digits
    low &= digit
    _eight_digits(low, digits_only=True)


def _not_digits(x: np.ndarray, out: np.ndarray) -> None:
    """``out`` nonzero where a word of ``x`` holds a byte that is not an ASCII digit
    (simdjson's check)."""
    np.add(x, _SIXES, out=out)
    out &= _HIGH_NIBBLES
    out >>= _U(4)
    out |= x & _HIGH_NIBBLES
    out ^= _THREES


def _eight_digits(x: np.ndarray, digits_only: bool = False) -> None:
    """In place: the integer written by 8 ASCII digits in each little-endian word (first byte the
    most significant digit); ``digits_only``: ``x`` already holds the digit values 0-9."""
    if not digits_only:
        x &= _LOW_NIBBLES
    x *= _U(10 * 256 + 1)
    x >>= _U(8)
    x &= _U(0x00FF00FF00FF00FF)
    x *= _U(100 * 65536 + 1)
    x >>= _U(16)
    x &= _U(0x0000FFFF0000FFFF)
    x *= _U(10000 * 2**32 + 1)
    x >>= _U(32)
