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


def parse_quantity(text: str | float, unit: str, *, name: str = "value") -> float:
    """Parse ``text`` (e.g. ``"500 um"``, ``"25 degC"``) and return its magnitude in ``unit``.

    A bare number is taken to be in ``unit`` already. Offset units such as degC work.

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
    try:
        quantity = ureg.Quantity(number, ureg.parse_units(unit_text.replace("µ", "u")))
        return float(quantity.to(unit).magnitude)
    except pint.DimensionalityError:
        raise InputError(
            f"{name}: {text!r} cannot be converted to {unit} (wrong kind of quantity)"
        ) from None
    except (pint.UndefinedUnitError, AttributeError, TypeError, ValueError):
        raise InputError(f"{name}: unknown unit {unit_text!r} in {text!r}") from None


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
