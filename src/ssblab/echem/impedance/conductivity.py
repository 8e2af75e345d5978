"""Ionic conductivity of a pellet from fitted resistances and its geometry.

``sigma = thickness / (R * area)``. Which resistance is bulk and which is grain boundary is
decided from each arc's geometry-normalised effective capacitance ``C' = C * thickness / area``
(F/cm), with the bands of Irvine, Sinclair and West, Adv. Mater. 2 (1990) 132:

===============  ==================  =====================================================
kind             C' / (F/cm)         counted in
===============  ==================  =====================================================
bulk             below 1e-11         bulk and total
grain boundary   1e-11 to 1e-8       grain boundary and total
surface layer    1e-8 to 1e-7        neither (an interphase, not the electrolyte)
electrode        above 1e-7          neither (electrode polarisation)
===============  ==================  =====================================================

(Irvine et al. give bulk ~1e-12 to 1e-11, grain boundary 1e-11 to 1e-8 and surface layers
1e-9 to 1e-7; where those two overlap ssblab counts the arc as grain boundary.) In a
temperature series an arc keeps its identity by its capacitance, which barely changes with
temperature, not by its resistance (:func:`assign_arc_kinds`). When no bulk arc is resolved
(its apex lies above the highest measured frequency, the usual case for fast conductors at room
temperature), the series resistance, the high-frequency intercept, is taken as the bulk
resistance.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np

from ssblab.errors import InputError
from ssblab.results import Measured, Result

ArcKind = Literal["bulk", "grain boundary", "surface layer", "electrode"]
#: Upper edges of the capacitance bands (F/cm), Irvine, Sinclair and West (1990).
CAPACITANCE_BANDS_F_cm: tuple[tuple[str, float], ...] = (
    ("bulk", 1e-11), ("grain boundary", 1e-8), ("surface layer", 1e-7), ("electrode", math.inf))
_CLUSTER_GAP_DECADES = 0.5  # arcs of one process in a series lie within this of each other


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


def classify_capacitance(capacitance_F_cm: float) -> ArcKind:
    """The kind of process from a normalised capacitance C' in F/cm (module docstring).

    Examples
    --------
    >>> classify_capacitance(5e-12), classify_capacitance(5e-11), classify_capacitance(1e-6)
    ('bulk', 'grain boundary', 'electrode')
    """
    for kind, upper in CAPACITANCE_BANDS_F_cm:
        if capacitance_F_cm < upper:
            return kind
    return "electrode"


def classify_arc(capacitance_F: float, *, thickness_cm: float, area_cm2: float) -> ArcKind:
    """Bulk, grain boundary, surface layer or electrode from the geometry-normalised capacitance."""
    return classify_capacitance(capacitance_F * thickness_cm / area_cm2)


def _split_by_spectrum(chain: list[tuple[float, int]]) -> list[list[tuple[float, int]]]:
    """Split a chain of (log C', spectrum) whose spectra contribute several arcs: two arcs of
    one spectrum are two processes. Ranked by C' within the spectra that show the most arcs;
    the arcs of other spectra join the nearest rank."""
    counts: dict[int, list[float]] = {}
    for value, i in chain:
        counts.setdefault(i, []).append(value)
    k = max(len(v) for v in counts.values())
    if k == 1:
        return [chain]
    full = [sorted(v) for v in counts.values() if len(v) == k]
    centres = np.median(np.array(full), axis=0)
    groups: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for i, values in counts.items():
        ranks = (range(k) if len(values) == k else
                 [int(np.argmin(np.abs(centres - v))) for v in sorted(values)])
        for value, r in zip(sorted(values), ranks):
            groups[r].append((value, i))
    return [g for g in groups if g]


def per_spectrum(value: float | Sequence[float], n: int, *, name: str) -> list[float]:
    """``value`` for each of ``n`` spectra: one number for all, or a sequence of ``n``."""
    values = [float(value)] * n if np.ndim(value) == 0 else [float(v) for v in value]
    if len(values) != n:
        raise InputError(f"{name}: expected one value or one per spectrum ({n}), "
                         f"found {len(values)}")
    return values


def assign_arc_kinds(fits, *, thickness_cm: float | Sequence[float],
                     area_cm2: float | Sequence[float]) -> list[list[str]]:
    """Arc kinds for every fit of a series, an arc keeping its identity by its capacitance.

    The arcs of all fits are grouped by their normalised capacitance (log scale; a gap of
    more than half a decade separates groups, and two arcs of one spectrum are never one
    group); each group takes the band of its median, so an arc whose capacitance wobbles
    across a band edge keeps one identity along the series.
    Only one group can be bulk, the lowest: others in the bulk band become grain boundary.
    Failed fits take part too (their arcs get kinds) but do not shape the groups.

    ``thickness_cm`` and ``area_cm2`` are the pellet's, or one per fit where the series has
    more than one geometry. Returns one list of kinds per fit, in the order of its ``arcs``.
    """
    scales = [t / a for t, a in zip(per_spectrum(thickness_cm, len(fits), name="thickness_cm"),
                                    per_spectrum(area_cm2, len(fits), name="area_cm2"))]
    points = [(math.log10(arc.capacitance_F.value * scales[i]), i)
              for i, fit in enumerate(fits) if fit.ok for arc in fit.arcs
              if arc.capacitance_F.value > 0]
    points.sort()
    chains: list[list[tuple[float, int]]] = []
    for point in points:
        if chains and point[0] - chains[-1][-1][0] <= _CLUSTER_GAP_DECADES:
            chains[-1].append(point)
        else:
            chains.append([point])
    groups = [g for chain in chains for g in _split_by_spectrum(chain)]
    centres = [float(np.median([value for value, _ in g])) for g in groups]
    kinds = [classify_capacitance(10**c) for c in centres]
    bulk = [k for k, kind in enumerate(kinds) if kind == "bulk"]
    for k in bulk[1:]:
        kinds[k] = "grain boundary"
    out = []
    for fit, scale in zip(fits, scales):
        row = []
        for arc in fit.arcs:
            c = arc.capacitance_F.value * scale
            if not centres or not c > 0:
                row.append(classify_capacitance(c) if c > 0 else "electrode")
                continue
            nearest = int(np.argmin([abs(math.log10(c) - x) for x in centres]))
            row.append(kinds[nearest] if abs(math.log10(c) - centres[nearest]) <= 1.0
                       else classify_capacitance(c))
        out.append(row)
    return out


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
            c_norm = c * self.thickness_cm / self.area_cm2
            rows.append((f"arc ({kind}): R / ohm, C' / (F/cm), f_apex / Hz",
                         f"{r}, {c_norm:.3g}, {f:.3g}"))
        return rows

    def table(self):
        row = {"source": self.source, "temperature_K": self.temperature_K,
               "total_S_cm": self.total_S_cm.value, "total_stderr_S_cm": self.total_S_cm.stderr}
        for name in ("bulk", "grain_boundary"):
            value = getattr(self, f"{name}_S_cm")
            row[f"{name}_S_cm"] = value.value if value is not None else ""
        return [row]


def pellet_conductivity(fit, *, thickness_cm: float, area_cm2: float,
                        arc_kinds: Sequence[str] | None = None) -> PelletConductivity:
    """Conductivity of a pellet from a fitted equivalent circuit and its geometry.

    ``fit`` is a :class:`~ssblab.echem.impedance.fitting.CircuitFit`. Each ``p(R, CPE)`` arc is
    classified by its normalised effective capacitance (module docstring), or takes its kind
    from ``arc_kinds`` (one per arc, e.g. from :func:`assign_arc_kinds` over a series). The
    total counts bulk and grain boundary; a series resistor outside the arcs is the bulk
    resistance only when no bulk arc is resolved (and it was not fixed at zero). A failed
    fit gives a failed result that says why.
    """
    def failed(reason):
        return PelletConductivity(ok=False, reason=reason, thickness_cm=thickness_cm,
                                  area_cm2=area_cm2, temperature_K=fit.temperature_K,
                                  total_S_cm=Measured(math.nan), source=fit.source)

    if not fit.ok:
        return failed(f"the circuit fit failed: {fit.reason}")
    if arc_kinds is None:
        arc_kinds = [classify_arc(arc.capacitance_F.value, thickness_cm=thickness_cm,
                                  area_cm2=area_cm2) for arc in fit.arcs]
    if len(arc_kinds) != len(fit.arcs):
        raise InputError(f"arc_kinds: expected {len(fit.arcs)} kinds (one per arc of "
                         f"{fit.circuit!r}), found {len(arc_kinds)}")
    in_arcs = {arc.resistor for arc in fit.arcs}
    series = [m for name, m in fit.parameters.items()
              if m.unit == "ohm" and name.startswith("R") and name not in in_arcs
              and name not in fit.fixed and m.value > 0]
    kinds = list(zip(arc_kinds, fit.arcs))
    bulk = [arc.resistance_ohm for kind, arc in kinds if kind == "bulk"]
    grain = [arc.resistance_ohm for kind, arc in kinds if kind == "grain boundary"]
    bulk_r = _sum(bulk) if bulk else _sum(series)
    if bulk_r is None:
        return failed("neither a bulk arc (C' below 1e-11 F/cm) nor a determined series "
                      "resistance: no bulk resistance can be read from this fit")
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
