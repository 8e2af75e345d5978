"""Where a spectrum's temperature comes from: the file, the file name, or the user."""

from __future__ import annotations

import re
from pathlib import Path

from ssblab.errors import InputError
from ssblab.units import ZERO_CELSIUS_K

# A temperature in a file name: an optional sign ('-', '+', 'm' for minus, 'p' for plus), a
# number (a 'p' may stand for the decimal point: 25p5C), then a unit: C, degC, deg, °C, oC, K
# ('deg' alone is Celsius; C and K only in capitals, so 'v3.2c' is no temperature). 'T=' or 'T'
# may precede it. It may not sit inside a longer word
# or number, so 'Circuit1', 'C01' or 'v1150' never match.
_TEMPERATURE_IN_NAME = re.compile(
    r"(?<![A-Za-z0-9.])(?:T=?)?(?P<sign>[-+]|[mp](?=\d)|minus|plus)?"
    r"(?P<value>\d+(?:[.p]\d+)?)\s*_?(?P<unit>(?i:deg\.?\s*C|degrees?C?|deg|°\s*C|ºC)|oC|C|K)"
    r"(?![A-Za-z])")


def temperature_from_name(path: str | Path) -> float | None:
    """Temperature in K written in a file name, or None when there is none or more than one.

    Spellings: ``-25C``, ``m20C`` (minus), ``p25C`` (plus), ``25degC``, ``140deg``, ``25°C``,
    ``25oC``, ``298K``, ``T=80C``, ``25p5C`` (25.5 C).

    Examples
    --------
    >>> temperature_from_name("lpscl_blocking_-25C.mpr")
    248.15
    >>> temperature_from_name("run_353K.csv"), temperature_from_name("s04147-140deg.txt")
    (353.0, 413.15)
    >>> temperature_from_name("pellet_m20C.z"), temperature_from_name("T=80C.csv")
    (253.15, 353.15)
    >>> temperature_from_name("Circuit1_EIS_1.z") is None
    True
    """
    stem = Path(path).name
    stem = stem[:-len(Path(stem).suffix)] if Path(stem).suffix.lower() in _SUFFIXES else stem
    # Not temperatures: C-rates ('3C_rate', '0.5C-rate') and counts in thousands ('5K_cycles').
    matches = [m for m in _TEMPERATURE_IN_NAME.finditer(stem)
               if not re.match(r"[-_ ]?(rate|dis|ch(?:ar)?g|cyc)", stem[m.end():], re.IGNORECASE)
               and not (m["unit"].upper() == "K" and _kelvin(m) < 30)]
    values = {_kelvin(m) for m in matches}
    if len(values) != 1:
        return None
    kelvin = values.pop()
    return kelvin if kelvin > 0 else None


_SUFFIXES = {".mpr", ".mpt", ".dta", ".z", ".csv", ".txt", ".tsv", ".dat", ".par", ".xlsx",
             ".pssession", ".dfr", ".i2b", ".json"}


def _kelvin(match: re.Match) -> float:
    value = float(match["value"].replace("p", ".").replace("P", "."))
    sign = (match["sign"] or "").lower()
    if sign in ("-", "m", "minus"):
        value = -value
    if match["unit"].upper() == "K":
        return value
    # round off the binary noise of the addition (e.g. -25 + 273.15 = 248.14999999999998)
    return round(value + ZERO_CELSIUS_K, 9)


def resolve_temperatures(spectra, paths, temperatures_K=(), *, from_table=None) -> list[float]:
    """One temperature per spectrum: given by the user, else in the sample table
    (``from_table``, one entry or None per spectrum), else in the file, else in its name."""
    if temperatures_K and len(temperatures_K) != len(spectra):
        raise InputError(f"--temperature was given {len(temperatures_K)} times for "
                         f"{len(spectra)} spectra; give it once per spectrum, in file order")
    from_table = from_table or [None] * len(spectra)
    result = []
    for i, (spectrum, path) in enumerate(zip(spectra, paths)):
        if temperatures_K:
            result.append(float(temperatures_K[i]))
        elif from_table[i] is not None:
            result.append(float(from_table[i]))
        elif spectrum.temperature_K is not None:
            result.append(float(spectrum.temperature_K))
        else:
            from_name = temperature_from_name(path)
            if from_name is None:
                raise InputError(f"{path}: no temperature in the file or its name; give "
                                 "--temperature once per file (e.g. --temperature '25 degC') "
                                 "or a metadata table (--metadata) with a temperature column")
            result.append(from_name)
    return result
