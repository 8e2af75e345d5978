"""Compiled (Numba) parser of one range of a delimited text table: numbers only, one pass.

Imported only by :mod:`ssblab.echem.io.delimited` and only when Numba is installed (the
``fast`` extra); pyarrow's CSV reader stays the reference and the fallback. :func:`parse_range`
accepts a strict subset of what pyarrow accepts and returns the same numbers bit for bit, or
declines the whole range (returns a negative count), which pyarrow then reads with its own
checks and error messages. It declines on:

- a quote character anywhere, a carriage return not followed by a line feed, a row whose field
  count is not the header's (pyarrow names such rows);
- in a float column: anything but ``[+-]?(d+(D d*)?|D d+)([eE][+-]?d+)?`` (``D`` the decimal
  mark), e.g. surrounding blanks, ``nan``/``inf`` text, null markers other than the empty
  field (read as NaN, as pyarrow's null is), and every number outside Clinger's exact fast
  path: a mantissa whose integer ``m`` (its digits without the decimal mark) is at most
  2^53, and a decimal exponent ``e`` with ``|e| <= 22``,
  where ``m * 10^e`` (or ``m / 10^-e``) is one correctly rounded IEEE operation on two exact
  doubles, so equal to Python's ``float()`` and to pyarrow's parse;
- in a whole-number column: anything but ``-?d{1,18}`` (an empty field too: such a column
  becomes float64 on pyarrow's path);
- in a clock-time column (:data:`CLOCK`, the seconds of ``H:MM:SS`` as
  ``cycler._clock_chunk_s`` reads the plain form): anything but ``d{1,9}:dd:dd``.

The kernel runs without the GIL on the parsing threads of ``delimited._read_pipelined``.
"""

from __future__ import annotations

import numba
import numpy as np

SKIP, FLOAT, INT, CLOCK = 0, 1, 2, 3  # what a column is to the kernel
_POW10 = np.array([10.0 ** k for k in range(23)])  # all exact doubles
_M_MAX = 1 << 53
_NEWLINE, _RETURN, _QUOTE, _PLUS, _MINUS, _ZERO, _COLON = 10, 13, 34, 43, 45, 48, 58


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _significant(buf, j, decimal, digits):
    """The digits of the mantissa starting at ``buf[j]`` after its leading zeros (which leave
    the accumulated integer at 0)."""
    while buf[j] == _ZERO or buf[j] == decimal:
        if buf[j] == _ZERO:
            digits -= 1
        j += 1
    return digits


@numba.njit(nogil=True, cache=True, boundscheck=False)
def parse_range(buf, n, delimiter, decimal, kinds, slots, out_f, out_i):
    """Parse ``buf[:n]`` (whole lines; the last may lack its line break) into the rows of
    ``out_f[slots[c]]`` (float and clock columns) and ``out_i[slots[c]]`` (whole-number
    columns), skipping columns of kind :data:`SKIP` and empty lines. Returns the number of
    rows, or -1 where pyarrow must read the range, -2 where the row capacity was too small."""
    ncols = kinds.size
    cap = max(out_f.shape[1], out_i.shape[1])
    pow10 = _POW10
    row = 0
    i = 0
    while i < n:
        c = buf[i]
        if c == _NEWLINE:  # an empty line
            i += 1
            continue
        if c == _RETURN and i + 1 < n and buf[i + 1] == _NEWLINE:
            i += 2
            continue
        if row >= cap:
            return -2
        col = 0
        while True:  # the fields of one line
            kind = kinds[col]
            j = i
            if kind == SKIP:
                while j < n:
                    c = buf[j]
                    if c == delimiter or c == _NEWLINE or c == _RETURN or c == _QUOTE:
                        break
                    j += 1
            elif kind == FLOAT:
                negative = False
                if j < n and (buf[j] == _MINUS or buf[j] == _PLUS):
                    negative = buf[j] == _MINUS
                    j += 1
                first = j
                m = 0  # int64: at most 18 digits after leading zeros
                digits = 0
                point = -1
                while j < n:
                    c = buf[j]
                    if 48 <= c <= 57:
                        m = m * 10 + (c - _ZERO)
                        digits += 1
                    elif c == decimal and point < 0:
                        point = digits
                    else:
                        break
                    j += 1
                fraction = 0 if point < 0 else digits - point
                if digits == 0:
                    if j > i:  # a sign or a decimal mark alone
                        return -1
                    out_f[slots[col], row] = np.nan  # an empty field: pyarrow's null
                else:
                    exponent = 0
                    if j < n and (buf[j] == 101 or buf[j] == 69):  # e, E
                        j += 1
                        minus = False
                        if j < n and (buf[j] == _MINUS or buf[j] == _PLUS):
                            minus = buf[j] == _MINUS
                            j += 1
                        start = j
                        while j < n and 48 <= buf[j] <= 57:
                            if exponent < 10000:
                                exponent = exponent * 10 + (buf[j] - _ZERO)
                            j += 1
                        if j == start:
                            return -1
                        if minus:
                            exponent = -exponent
                    exponent -= fraction
                    if digits > 18 and _significant(buf, first, decimal, digits) > 18:
                        return -1  # m overflowed
                    if m == 0:
                        value = 0.0
                    elif m > _M_MAX:
                        return -1
                    elif 0 <= exponent <= 22:
                        value = np.float64(m) * pow10[exponent]
                    elif -22 <= exponent < 0:
                        value = np.float64(m) / pow10[-exponent]
                    else:
                        return -1
                    out_f[slots[col], row] = -value if negative else value
            elif kind == CLOCK:  # H:MM:SS, 1-9 hour digits: whole seconds, exact in a double
                start = j
                v = 0
                while j < n and 48 <= buf[j] <= 57:
                    v = v * 10 + (buf[j] - _ZERO)
                    j += 1
                if j == start or j - start > 9 or j + 6 > n or buf[j] != _COLON or \
                        buf[j + 3] != _COLON:
                    return -1
                for k in (1, 2, 4, 5):
                    if not 48 <= buf[j + k] <= 57:
                        return -1
                minutes = (buf[j + 1] - _ZERO) * 10 + (buf[j + 2] - _ZERO)
                seconds = (buf[j + 4] - _ZERO) * 10 + (buf[j + 5] - _ZERO)
                out_f[slots[col], row] = np.float64(v * 3600 + minutes * 60 + seconds)
                j += 6
            else:  # INT
                negative = False
                if j < n and buf[j] == _MINUS:
                    negative = True
                    j += 1
                v = 0
                start = j
                while j < n and 48 <= buf[j] <= 57:
                    v = v * 10 + (buf[j] - _ZERO)
                    j += 1
                if j == start or j - start > 18:
                    return -1
                out_i[slots[col], row] = -v if negative else v
            # what ends the field
            if j == n:  # the last line without a line break
                if col != ncols - 1:
                    return -1
                i = n
                row += 1
                break
            c = buf[j]
            if c == delimiter:
                col += 1
                if col == ncols:
                    return -1
                i = j + 1
                continue
            if c == _RETURN:
                if j + 1 < n and buf[j + 1] == _NEWLINE:
                    j += 1
                else:
                    return -1
            elif c != _NEWLINE:
                return -1  # a quote, a blank or a letter in a number
            if col != ncols - 1:
                return -1
            i = j + 1
            row += 1
            break
    return row
