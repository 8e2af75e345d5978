"""Where a spectrum's temperature comes from: the file, the file name, or the user."""

from __future__ import annotations

import re
from pathlib import Path

from ssblab.errors import InputError
from ssblab.units import ZERO_CELSIUS_K

# "_-25C", "25degC", "298K", "T=80C": a number followed by C/degC/K, not inside a longer word.
_TEMPERATURE_IN_NAME = re.compile(
    r"(?<![A-Za-z0-9.])(?P<value>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>degC|°C|C|K)(?![A-Za-z])")


def temperature_from_name(path: str | Path) -> float | None:
    """Temperature in K written in a file name such as ``pellet_-25C.mpr``, or None.

    Examples
    --------
    >>> temperature_from_name("lpscl_blocking_-25C.mpr")
    248.15
    >>> temperature_from_name("run_353K.csv")
    353.0
    >>> temperature_from_name("Circuit1_EIS_1.z") is None
    True
    """
    matches = list(_TEMPERATURE_IN_NAME.finditer(Path(path).stem))
    if len(matches) != 1:
        return None
    value = float(matches[0]["value"])
    # round off the binary noise of the addition (e.g. -25 + 273.15 = 248.14999999999998)
    kelvin = value if matches[0]["unit"] == "K" else round(value + ZERO_CELSIUS_K, 9)
    return kelvin if kelvin > 0 else None


def resolve_temperatures(spectra, paths, temperatures_K=()) -> list[float]:
    """One temperature per spectrum: given by the user, else in the file, else in its name."""
    if temperatures_K and len(temperatures_K) != len(spectra):
        raise InputError(f"--temperature was given {len(temperatures_K)} times for "
                         f"{len(spectra)} spectra; give it once per spectrum, in file order")
    result = []
    for i, (spectrum, path) in enumerate(zip(spectra, paths)):
        if temperatures_K:
            result.append(float(temperatures_K[i]))
        elif spectrum.temperature_K is not None:
            result.append(float(spectrum.temperature_K))
        else:
            from_name = temperature_from_name(path)
            if from_name is None:
                raise InputError(f"{path}: no temperature in the file or its name; "
                                 "give --temperature once per file (e.g. --temperature '25 degC')")
            result.append(from_name)
    return result
