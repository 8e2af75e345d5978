"""Ionic conductivity of a pellet from fitted resistances and its geometry.

``sigma = thickness / (R * area)``. Which resistance is bulk and which is grain boundary is
decided from each arc's geometry-normalised effective capacitance
``C' = C * thickness / area`` (in F/cm, i.e. F for a cell constant of 1 /cm), following
Irvine, Sinclair and West, Adv. Mater. 2 (1990) 132: bulk 1e-12 to 1e-11 F, grain boundary
1e-11 to 1e-8 F, surface layers and electrode interfaces above that. ssblab uses the cut-offs
``C' < 1e-10`` (bulk) and ``1e-10 <= C' < 1e-8`` (grain boundary); arcs above are interfacial
and not part of the electrolyte. When no bulk arc is resolved (its apex lies above the highest
measured frequency, the usual case for fast conductors at room temperature), the
high-frequency intercept (the series resistance) is taken as the bulk resistance.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

from ssblab.errors import InputError
from ssblab.results import Measured, Result

ArcKind = Literal["bulk", "grain boundary", "interface"]
BULK_MAX_CAPACITANCE_F_cm = 1e-10
GRAIN_BOUNDARY_MAX_CAPACITANCE_F_cm = 1e-8


def pellet_area_cm2(*, area_cm2: float | None = None, diameter_cm: float | None = None) -> float:
    """The electrode area from an area or a diameter (exactly one of them)."""
    if (area_cm2 is None) == (diameter_cm is None):
        raise InputError("give exactly one of area_cm2 or diameter_cm for the pellet geometry")
    if diameter_cm is not None and not (math.isfinite(diameter_cm) and diameter_cm > 0):
        raise InputError(f"diameter_cm must be positive, found {diameter_cm}")
    area = area_cm2 if area_cm2 is not None else math.pi * diameter_cm**2 / 4
    if not (math.isfinite(area) and area > 0):
        raise InputError(f"pellet area must be positive, found {area} cm^2")
    return float(area)


def conductivity_from_resistance(resistance_ohm: float | Measured, *, thickness_cm: float,
                                 area_cm2: float) -> Measured:
    """``sigma = thickness / (R * area)`` in S/cm, propagating R's standard error.

    Examples
    --------
    >>> print(conductivity_from_resistance(Measured(100.0, 2.0, "ohm"), thickness_cm=0.1,
    ...                                    area_cm2=1.0))
    1.000(20)e-3 S/cm
    """
    r = resistance_ohm if isinstance(resistance_ohm, Measured) else Measured(resistance_ohm)
    if not (thickness_cm > 0):
        raise InputError(f"thickness_cm must be positive, found {thickness_cm}")
    if not (r.value > 0):
        raise InputError(f"resistance must be positive to give a conductivity, found {r.value} ohm")
    sigma = thickness_cm / (r.value * area_cm2)
    return Measured(sigma, sigma * r.stderr / r.value, "S/cm")


def classify_arc(capacitance_F: float, *, thickness_cm: float, area_cm2: float) -> ArcKind:
    """Bulk, grain boundary or interface from the geometry-normalised capacitance."""
    normalised = capacitance_F * thickness_cm / area_cm2
    if normalised < BULK_MAX_CAPACITANCE_F_cm:
        return "bulk"
    if normalised < GRAIN_BOUNDARY_MAX_CAPACITANCE_F_cm:
        return "grain boundary"
    return "interface"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PelletConductivity(Result):
    """Total (and where resolved, bulk and grain-boundary) conductivity of one pellet."""

    thickness_cm: float
    area_cm2: float
    temperature_K: float | None
    total_S_cm: Measured
    bulk_S_cm: Measured | None = None
    grain_boundary_S_cm: Measured | None = None
    arcs: tuple = ()  # (kind, resistance Measured, capacitance_F, apex_frequency_Hz)
    source: str = ""

    title: ClassVar[str] = "Pellet conductivity"

    def summary(self):
        rows = [("source", self.source or "-"), ("thickness / cm", self.thickness_cm),
                ("area / cm^2", self.area_cm2)]
        if self.temperature_K is not None:
            rows.append(("temperature / K", self.temperature_K))
        rows.append(("total conductivity / (S/cm)", self.total_S_cm))
        if self.bulk_S_cm is not None:
            rows.append(("bulk conductivity / (S/cm)", self.bulk_S_cm))
        if self.grain_boundary_S_cm is not None:
            rows.append(("grain-boundary conductivity / (S/cm)", self.grain_boundary_S_cm))
        for kind, r, c, f in self.arcs:
            rows.append((f"arc ({kind}): R / ohm, C / F, f_apex / Hz", f"{r}, {c:.3g}, {f:.3g}"))
        return rows

    def table(self):
        row = {"source": self.source, "temperature_K": self.temperature_K,
               "total_S_cm": self.total_S_cm.value, "total_stderr_S_cm": self.total_S_cm.stderr}
        for name in ("bulk", "grain_boundary"):
            value = getattr(self, f"{name}_S_cm")
            row[f"{name}_S_cm"] = value.value if value is not None else ""
        return [row]


def pellet_conductivity(fit, *, thickness_cm: float, area_cm2: float) -> PelletConductivity:
    """Conductivity of a pellet from a fitted equivalent circuit and its geometry.

    ``fit`` is a :class:`~ssblab.echem.impedance.fitting.CircuitFit`. Each ``p(R, CPE)`` arc is
    classified by its normalised effective capacitance (module docstring); resistors in
    series outside any arc add to the bulk resistance only when no bulk arc is resolved.
    A failed fit gives a failed result that says why.
    """
    if not fit.ok:
        return PelletConductivity(ok=False, reason=f"the circuit fit failed: {fit.reason}",
                                  thickness_cm=thickness_cm, area_cm2=area_cm2,
                                  temperature_K=fit.temperature_K, total_S_cm=Measured(math.nan),
                                  source=fit.source)
    in_arcs = {arc.resistor for arc in fit.arcs}
    series = [m for name, m in fit.parameters.items()
              if m.unit == "ohm" and name.startswith("R") and name not in in_arcs]
    kinds = [(classify_arc(arc.capacitance_F.value, thickness_cm=thickness_cm, area_cm2=area_cm2),
              arc) for arc in fit.arcs]
    bulk = [arc.resistance_ohm for kind, arc in kinds if kind == "bulk"]
    grain = [arc.resistance_ohm for kind, arc in kinds if kind == "grain boundary"]
    bulk_r = _sum(bulk) if bulk else _sum(series)
    if bulk_r is None:
        return PelletConductivity(ok=False, reason="the circuit has neither a bulk arc nor a series "
                                  "resistor, so no electrolyte resistance can be read from it",
                                  thickness_cm=thickness_cm, area_cm2=area_cm2,
                                  temperature_K=fit.temperature_K, total_S_cm=Measured(math.nan),
                                  source=fit.source)
    total_r = _sum([bulk_r] + grain)
    geometry = dict(thickness_cm=thickness_cm, area_cm2=area_cm2)
    note = "" if bulk else ("no bulk arc resolved: the high-frequency intercept (series "
                            "resistance) is taken as the bulk resistance")
    return PelletConductivity(
        reason=note, thickness_cm=thickness_cm, area_cm2=area_cm2, temperature_K=fit.temperature_K,
        total_S_cm=conductivity_from_resistance(total_r, **geometry),
        bulk_S_cm=conductivity_from_resistance(bulk_r, **geometry),
        grain_boundary_S_cm=conductivity_from_resistance(_sum(grain), **geometry) if grain else None,
        arcs=tuple((kind, arc.resistance_ohm, arc.capacitance_F.value, arc.apex_frequency_Hz.value)
                   for kind, arc in kinds),
        source=fit.source)


def _sum(values: list[Measured]) -> Measured | None:
    """Sum of independent measured resistances (errors in quadrature)."""
    if not values:
        return None
    return Measured(sum(v.value for v in values),
                    math.sqrt(sum(v.stderr**2 for v in values)), values[0].unit)
