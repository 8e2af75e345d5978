"""Fixed-width decimal numbers ("%16.8f" columns) parsed by integer arithmetic in NumPy.

MD codes write positions with a fixed format, so in a block of equally long lines every number
of a column has its decimal point in the same byte column. The digits on either side of it are
then read eight at a time: each group of 8 bytes is loaded as one little-endian 64-bit word and
turned into its integer by three multiply-shift steps (SWAR, "SIMD within a register"), every
step one NumPy operation over all lines at once. Each byte is also checked, so that a field is
accepted only when it holds exactly what ``float()`` accepts in this shape: blanks, an optional
minus sign directly before the digits, at least one integer digit, the point, the decimals.

The value is the integer of all its digits (below 2**53, checked) divided by 10**decimals. Both
are exact doubles, and IEEE division rounds correctly, so the result is the correctly rounded
double of the decimal text: bit for bit what ``float()`` (or any correct parser) gives. Anything
else (an exponent, a plus sign, a point that moves, more digits than a double holds exactly)
returns None and the caller's general parser reads the lines instead.
"""

from __future__ import annotations

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
_TOP_BYTE = _U(0xFF00000000000000)
_MAX_EXACT = 2**53  # integers below this are exact doubles
_CHUNK_LINES = 2**15  # lines converted at a time: the temporaries stay in cache


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
    if n_frames * n_lines == 0:
        return None
    lines = np.ndarray(shape, np.uint8, buffer=buf, offset=first,
                       strides=(frame_step, width, 1))
    line0 = bytes(lines[0, 0])
    plan = []
    for start, stop in fields:
        point = line0.find(b".", start, stop)
        decimals = stop - point - 1
        # the integer part is read from the 8 bytes before the point: they must exist in buf
        if point < 0 or not 1 <= decimals <= 16 or first + point - 8 < 0:
            return None
        if not (lines[:, :, point] == 46).all():
            return None
        if point - 8 > start and not (lines[:, :, start:point - 8] == 32).all():
            return None  # wider fields: the bytes beyond the 8 read must be blank
        plan.append((start, point, decimals))
    out = np.empty((n_frames * n_lines, len(fields)))
    per_chunk = max(1, _CHUNK_LINES // n_lines)
    for k in range(0, n_frames, per_chunk):
        frames = min(per_chunk, n_frames - k)
        rows = slice(k * n_lines, (k + frames) * n_lines)
        for j, (start, point, decimals) in enumerate(plan):
            def words(at, frames=frames, k=k):
                view = np.ndarray((frames, n_lines), "<u8", buffer=buf,
                                  offset=first + k * frame_step + at,
                                  strides=(frame_step, width))
                return view.copy().reshape(-1)  # contiguous: the arithmetic runs in cache

            if not _convert(words, start, point, decimals, out[rows, j]):
                return None
    return out


def _convert(words, start: int, point: int, decimals: int, out: np.ndarray) -> bool:
    """One field of one chunk into ``out``; False when a line does not fit the shape."""
    bad = np.zeros(1, _U)
    whole, negative = _integer_part(words(point - 8), max(0, start - (point - 8)), bad)
    if bad.any() or int(whole.max()) + 1 > _MAX_EXACT // 10**decimals:
        return False
    fraction = np.zeros_like(whole)
    end = point + 1 + decimals
    for at in range(end - 8, point - 7, -8):  # groups of 8 digits from the right
        digits = words(at)
        scale = 10 ** (end - 8 - at)
        if at < point + 1:  # a short leftmost group: the bytes before the point count as zeros
            keep = _U(~0 << (8 * (point + 1 - at)) & 0xFFFFFFFFFFFFFFFF)
            digits &= keep
            digits |= _ZEROS & ~keep
        bad |= np.bitwise_or.reduce(_not_digits(digits))
        digits = _eight_digits(digits)
        fraction += digits * _U(scale) if scale > 1 else digits
    if bad.any():
        return False
    whole *= _U(10**decimals)
    whole += fraction
    np.divide(whole, float(10**decimals), out=out)  # exact integer / exact power: rounded once
    np.negative(out, out=out, where=negative)
    return True


def _integer_part(x: np.ndarray, outside: int, bad: np.ndarray):
    """The integers of 8-byte words that must read (blanks)(-)digits, and where a minus sign is.
    The lowest ``outside`` bytes belong to the field before and are taken as blanks."""
    if outside:
        keep = _U(~0 << (8 * outside) & 0xFFFFFFFFFFFFFFFF)
        x &= keep
        x |= _SPACES & ~keep
    flags = x & _TOP3
    flags ^= _SPACES  # every byte one of 0x20-0x3f
    low = x & _LOW_NIBBLES
    digit = x >> _U(4)
    digit &= _ONES
    digit *= _U(0xFF)  # 0xff on the digit bytes (0x30-0x3f), 0 on blanks and signs
    flags |= (low + _SIXES) & _SIXTEENS & digit  # 0x3a-0x3f are not digits
    other = ~digit
    flags |= other & (other + _U(1))  # the digits run up to the point, with nothing between
    flags |= other & _TOP_BYTE  # at least one digit before the point
    sign = low & other  # 0 for a blank, 13 for '-'
    flags |= sign ^ ((sign & _ONES) * _U(13))  # nothing but blanks and minus signs
    flags |= sign & ~((other ^ (other >> _U(8))) & _THIRTEENS)  # a minus only next to the digits
    bad |= np.bitwise_or.reduce(flags)
    low &= digit
    return _eight_digits(low, digits_only=True), sign != 0


def _not_digits(x: np.ndarray) -> np.ndarray:
    """Nonzero where a word holds a byte that is not an ASCII digit (simdjson's check)."""
    y = x + _SIXES
    y &= _HIGH_NIBBLES
    y >>= _U(4)
    y |= x & _HIGH_NIBBLES
    y ^= _THREES
    return y


def _eight_digits(x: np.ndarray, digits_only: bool = False) -> np.ndarray:
    """The integer written by 8 ASCII digits in each little-endian word (first byte the most
    significant digit); ``digits_only``: ``x`` already holds the digit values 0-9 per byte."""
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
    return x
