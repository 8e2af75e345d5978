"""Spectra of a pellet at several temperatures -> fits -> conductivities -> Arrhenius lines.

Bulk, grain-boundary and total conductivity each get their own Arrhenius line; arcs keep their
identity across the series by capacitance (:func:`ssblab.echem.impedance.conductivity.assign_arc_kinds`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ssblab.echem.impedance.arrhenius import ArrheniusFit, ArrheniusForm, fit_arrhenius
from ssblab.echem.impedance.batch import fit_batch
from ssblab.echem.impedance.conductivity import (
    PelletConductivity,
    assign_arc_kinds,
    pellet_conductivity,
    per_spectrum,
)
from ssblab.echem.impedance.fitting import Weighting, fit_circuit
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError
from ssblab.progress import progress
from ssblab.results import Result, provenance


def _one_circuit_for_the_series(spectra, fits, weighting, noise_relative):
    """Refit with the candidate circuit that is ok on most spectra (see
    :func:`conductivity_vs_temperature`)."""
    tally: dict[str, list[float]] = {}
    for fit in fits:
        for row in fit.ranking:
            if row["ok"]:
                tally.setdefault(row["circuit"], []).append(row["bic"])
    if not tally:
        return fits
    common = min(tally, key=lambda c: (-len(tally[c]), float(np.median(tally[c]))))
    out = []
    for spectrum, fit in zip(spectra, fits):
        ok_there = any(r["circuit"] == common and r["ok"] for r in fit.ranking)
        if fit.circuit != common and ok_there:
            refit = fit_circuit(spectrum, common, weighting=weighting,
                                noise_relative=fit.noise_relative if noise_relative is None
                                else noise_relative, noise_source=fit.noise_source)
            if refit:
                note = (f"series circuit {common} (ok on {len(tally[common])} of {len(fits)} "
                        f"spectra) instead of this spectrum's first choice {fit.circuit}")
                fit = dataclasses.replace(refit, ranking=fit.ranking,
                                          reason="; ".join(x for x in (note, refit.reason) if x))
        out.append(fit)
    return out


LINES = (("bulk", "bulk_S_cm"), ("grain boundary", "grain_boundary_S_cm"), ("total", "total_S_cm"))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConductivityStudy(Result):
    """Fits, pellet conductivities and the Arrhenius lines of a temperature series.

    ``arrhenius`` is the total conductivity's line (as before), ``bulk`` and
    ``grain_boundary`` the per-process lines; each is None when fewer than two temperatures
    gave that conductivity, and not ok (marked in the summary) with fewer than three.
    """

    fits: tuple
    conductivities: tuple
    arrhenius: ArrheniusFit | None
    circuit: str
    bulk: ArrheniusFit | None = None
    grain_boundary: ArrheniusFit | None = None
    arc_kinds: tuple = ()

    title: ClassVar[str] = "Conductivity vs temperature"

    def lines(self) -> dict:
        return {"bulk": self.bulk, "grain boundary": self.grain_boundary, "total": self.arrhenius}

    def summary(self):
        circuits = sorted({f.circuit for f in self.fits})
        same = len(circuits) == 1 and circuits[0] == self.circuit
        rows = [("circuit", self.circuit if same else f"{self.circuit}: " + ", ".join(circuits)),
                ("spectra", len(self.fits)),
                ("fits ok", sum(bool(f) for f in self.fits))]
        for name, line in self.lines().items():
            if line is None:
                rows.append((f"{name}: Ea", "not resolved (fewer than 2 temperatures)"))
                continue
            mark = "" if line.ok else " NOT A RESULT (fewer than 3 points)"
            flag = "extrapolated" if line.extrapolated_25C else "interpolated"
            rows += [(f"{name}: Ea / eV{mark}", line.activation_energy_eV),
                     (f"{name}: sigma(25 C) / (S/cm), {flag}{mark}", line.conductivity_25C_S_cm),
                     (f"{name}: points", line.temperature_K.size)]
        if self.arrhenius is not None:
            rows.append(("form", "ln(sigma T) vs 1/T" if self.arrhenius.form == "sigma_T"
                         else "ln(sigma) vs 1/T"))
        return rows

    def table(self):
        return [row for c in self.conductivities for row in c.table()]

    def tables(self):
        return {"table": self.table(), "fits": [row for f in self.fits for row in f.table()]}

    def curves(self):
        curves = {}
        for fit in self.fits:
            curves.update(fit.curves())
        if self.arrhenius is not None:
            curves.update(self.arrhenius.curves())
        return curves

    def _draw(self, ax, **kwargs):
        for (name, line), marker in zip(self.lines().items(), ("o", "s", "^")):
            if line is not None:
                line.plot(ax, label=name, marker=marker)
        ax.set_title("Arrhenius: bulk, grain boundary, total", fontsize=9)


def conductivity_vs_temperature(spectra: Sequence[Spectrum], *, circuit: str = "auto",
                                thickness_cm: float | Sequence[float],
                                area_cm2: float | Sequence[float],
                                temperatures_K: Sequence[float] | None = None,
                                form: ArrheniusForm = "sigma_T",
                                weighting: Weighting = "modulus",
                                noise_relative: float | None = None,
                                show_progress: bool | None = None) -> ConductivityStudy:
    """Fit every spectrum, convert to conductivity with the pellet geometry, fit Arrhenius lines.

    ``circuit="auto"`` (default) ranks the candidate circuits spectrum by spectrum
    (:func:`~ssblab.echem.impedance.auto.fit_auto`), then describes the series with one
    circuit where it can: the candidate that is ok on the most spectra (then the lowest median
    BIC) replaces each spectrum's own choice wherever it is ok there, so that bulk and grain
    boundary come from the same model at every temperature; spectra it fails keep their own
    choice (the number of resolved arcs can change with temperature). A given circuit is
    fitted to the whole series by
    :func:`~ssblab.echem.impedance.batch.fit_batch`. Temperatures come from ``temperatures_K``
    or else each spectrum's ``temperature_K``. ``thickness_cm`` and ``area_cm2`` are one
    pellet's, or one per spectrum (e.g. from a sample table): each conductivity then comes
    from its own spectrum's geometry. Spectra whose fit fails are reported and left out of the
    Arrhenius fits.
    """
    thickness_cm = per_spectrum(thickness_cm, len(spectra), name="thickness_cm")
    area_cm2 = per_spectrum(area_cm2, len(spectra), name="area_cm2")
    if temperatures_K is None:
        temperatures_K = [s.temperature_K for s in spectra]
    if any(t is None for t in temperatures_K) or len(temperatures_K) != len(spectra):
        raise InputError("every spectrum needs a temperature: pass temperatures_K, one per spectrum")
    spectra = [dataclasses.replace(s, temperature_K=float(t)) for s, t in zip(spectra, temperatures_K)]
    # Warm starts follow the temperature order, where parameters change smoothly.
    order = np.argsort(temperatures_K)
    ordered = [spectra[i] for i in order]
    circuit = circuit if isinstance(circuit, str) else str(getattr(circuit, "text", circuit))
    if circuit.strip().lower() == "auto":
        fitted = [fit_circuit(s, "auto", weighting=weighting, noise_relative=noise_relative)
                  for s in progress(ordered, total=len(ordered), desc="choosing circuits",
                                    enabled=show_progress)]
        fitted = _one_circuit_for_the_series(ordered, fitted, weighting, noise_relative)
    else:
        fitted = list(fit_batch(ordered, circuit, weighting=weighting,
                                noise_relative=noise_relative, show_progress=show_progress).fits)
    fits = [None] * len(spectra)
    for k, i in enumerate(order):
        fits[i] = fitted[k]
    kinds = assign_arc_kinds(fits, thickness_cm=thickness_cm, area_cm2=area_cm2)
    pellets: list[PelletConductivity] = [
        pellet_conductivity(fit, thickness_cm=t, area_cm2=a, arc_kinds=k)
        for fit, k, t, a in zip(fits, kinds, thickness_cm, area_cm2)]
    good = [p for p in pellets if p.ok]
    lines, notes = {}, []
    for name, attr in LINES:
        points = [p for p in good if getattr(p, attr) is not None]
        if len({p.temperature_K for p in points}) < 2:
            lines[name] = None
            if name != "grain boundary" or points:
                notes.append(f"{name}: only {len(points)} temperatures gave a conductivity")
            continue
        values = [getattr(p, attr) for p in points]
        errors = [v.stderr for v in values]
        weights_ok = all(np.isfinite(e) and e > 0 for e in errors)
        lines[name] = fit_arrhenius([p.temperature_K for p in points], [v.value for v in values],
                                    conductivity_stderr_S_cm=errors if weights_ok else None,
                                    form=form, labels=[p.source for p in points])
        if not lines[name].ok:
            notes.append(f"{name}: {lines[name].reason}")
    failed = [f"{p.source}: {p.reason}" for p in pellets if not p.ok]
    if failed:
        notes.append("left out of the Arrhenius fits: " + "; ".join(failed))
    total = lines["total"]
    return ConductivityStudy(
        ok=total is not None and total.ok, reason="; ".join(notes), fits=tuple(fits),
        conductivities=tuple(pellets), arrhenius=total, bulk=lines["bulk"],
        grain_boundary=lines["grain boundary"], circuit=circuit,
        arc_kinds=tuple(tuple(k) for k in kinds),
        provenance=provenance(circuit=circuit, thickness_cm=_one_or_all(thickness_cm),
                              area_cm2=_one_or_all(area_cm2),
                              temperatures_K=list(map(float, temperatures_K)), form=form,
                              weighting=weighting, noise_relative=noise_relative))


def _one_or_all(values: list[float]) -> float | list[float]:
    """One number where the series has one geometry (as before), else the list."""
    return values[0] if len(set(values)) == 1 else values
