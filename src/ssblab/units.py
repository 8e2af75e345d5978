"""Quantities with units for the CLI and physical constants (CODATA 2018, exact SI values).

Inside ssblab numbers are plain floats whose unit is in the parameter name
(``thickness_cm``). Units are parsed only at the edges: :func:`parse_quantity` turns a string
such as ``"500 um"`` into a float in the unit a parameter expects.
"""

from __future__ import annotations

import functools
import re

from ssblab.errors import InputError

FARADAY_C_mol = 96485.33212
GAS_CONSTANT_J_molK = 8.314462618
BOLTZMANN_eV_K = 8.617333262e-5
BOLTZMANN_J_K = 1.380649e-23
ELEMENTARY_CHARGE_C = 1.602176634e-19
AVOGADRO_mol = 6.02214076e23
ZERO_CELSIUS_K = 273.15

# Unit factors: a value in the second unit times the factor is the value in the first.
A_m2_PER_mA_cm2 = 10.0       # 1 mA/cm2 = 10 A/m2
S_m_PER_S_cm = 100.0         # 1 S/cm = 100 S/m
C_m2_PER_mAh_cm2 = 36000.0   # 1 mAh/cm2 = 3.6 C/cm2 = 36000 C/m2

_NUMBER_THEN_UNIT = re.compile(
    r"^\s*(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>.*?)\s*$"
)


@functools.cache
def _registry():
    import pint

    return pint.UnitRegistry()


# Common lab spellings pint does not read as meant: "cm2", "cm-1" (exponents without ^),
# "Å", "°C", "Ω", "mAh".
_EXPONENT = re.compile(r"(?<=[A-Za-zµΩ])(-?\d+)(?![\d.])")
_SPELLINGS = (("Å", "angstrom"), ("°C", "degC"), ("℃", "degC"), ("Ω", "ohm"), ("µ", "u"),
              ("μ", "u"), ("mAh", "mA*h"), ("Ah", "A*h"))
# kinds of quantity in words, keyed by an example unit (dimensionalities computed once by pint)
_KINDS = (("cm", "length"), ("K", "temperature"), ("A", "current"), ("s", "time"), ("g", "mass"),
          ("cm^2", "area"), ("cm^3", "volume"), ("Hz", "frequency"),
          ("mA/cm^2", "current density"), ("C", "charge"), ("mAh/cm^2", "areal capacity"),
          ("mg/cm^2", "areal mass"), ("S/cm", "conductivity"), ("V", "voltage"),
          ("ohm", "resistance"), ("ohm*cm^2", "area-specific resistance"), ("eV", "energy"),
          ("eV/angstrom", "force"), ("GPa", "pressure"), ("cm^2/s", "diffusivity"),
          ("F", "capacitance"), ("m^3/J/s", "mobility"))


@functools.cache
def _dimension_words() -> dict[str, str]:
    ureg = _registry()
    return {str(ureg.parse_units(u).dimensionality): word for u, word in _KINDS}


def _kind(units) -> str:
    dims = str(units.dimensionality)
    return _dimension_words().get(dims, dims)


def normalise_unit_text(unit_text: str) -> str:
    """Lab spellings to pint syntax: ``"mA/cm2"`` -> ``"mA/cm^2"``, ``"mS cm-1"`` ->
    ``"mS cm^-1"``, ``"Å"`` -> ``"angstrom"``, ``"°C"`` -> ``"degC"``.

    Examples
    --------
    >>> normalise_unit_text("mS cm-1"), normalise_unit_text("mA/cm2"), normalise_unit_text("1/Å")
    ('mS cm^-1', 'mA/cm^2', '1/angstrom')
    """
    for spelling, pint_name in _SPELLINGS:
        unit_text = unit_text.replace(spelling, pint_name)
    return _EXPONENT.sub(r"^\1", unit_text)


def dimension_of(unit: str) -> str:
    """A unit's kind of quantity in words (``"cm"`` -> ``"length"``)."""
    return _kind(_registry().parse_units(normalise_unit_text(unit)))


def parse_quantity(text: str | float, unit: str, *, name: str = "value") -> float:
    """Parse ``text`` (e.g. ``"500 um"``, ``"25 degC"``) and return its magnitude in ``unit``.

    A bare number is taken to be in ``unit`` already. Offset units such as degC work. A
    quantity of another kind than ``unit`` is refused with both kinds named. Common lab
    spellings work ("mA/cm2", "mS cm-1", "1.5 Å", "25 °C"); where the expected kind makes
    it unambiguous, "A" on a length is angstrom and "C" on a temperature is degree Celsius.

    Parameters
    ----------
    text : str or float
        A number followed by a unit, or a bare number.
    unit : str
        The unit to convert to (pint syntax, e.g. ``"cm"``, ``"K"``, ``"mA/cm^2"``).
    name : str
        The parameter's name, used in error messages.

    Examples
    --------
    >>> parse_quantity("10 mm", "cm")
    1.0
    >>> parse_quantity("25 degC", "K")
    298.15
    >>> parse_quantity("2", "mA/cm^2")
    2.0
    >>> parse_quantity("25 C", "K"), parse_quantity("1.5 Å", "angstrom")
    (298.15, 1.5)
    >>> parse_quantity("3.57 mS cm-1", "S/cm")
    0.00357
    """
    if isinstance(text, (int, float)):
        return float(text)
    match = _NUMBER_THEN_UNIT.match(str(text))
    if match is None:
        raise InputError(f"{name}: expected a number with a unit such as '1 {unit}', found {text!r}")
    number = float(match["number"])
    unit_text = match["unit"]
    if not unit_text:
        return number
    import pint

    ureg = _registry()
    target = ureg.parse_units(normalise_unit_text(unit))
    dims = str(target.dimensionality)
    if dims == "[length]" and unit_text == "A":
        unit_text = "angstrom"
    elif dims == "[temperature]" and unit_text == "C":
        unit_text = "degC"
    try:
        given = ureg.parse_units(normalise_unit_text(unit_text))
    except (pint.UndefinedUnitError, AttributeError, TypeError, ValueError, AssertionError):
        raise InputError(f"{name}: unknown unit {unit_text!r} in {text!r}") from None
    try:
        return float(ureg.Quantity(number, given).to(target).magnitude)
    except pint.DimensionalityError:
        found, expected = _kind(given), _kind(target)
        raise InputError(
            f"{name}: {text!r} is a {found} ({given:~}), but {name} expects a {expected} "
            f"(such as '1 {unit}')") from None


def celsius_to_kelvin(temperature_C):
    """Convert degrees Celsius to kelvin (works on arrays)."""
    return temperature_C + ZERO_CELSIUS_K


def in_base_units(value: float, unit: str) -> tuple[float, str, str]:
    """``value`` in ``unit`` as (magnitude in SI base units, dimensionality, base unit).

    Examples
    --------
    >>> in_base_units(500.0, "um")
    (0.0005, '[length]', 'm')
    """
    quantity = _registry().Quantity(value, unit).to_base_units()
    return (float(quantity.magnitude), str(quantity.dimensionality),
            format(quantity.units, "~P"))
