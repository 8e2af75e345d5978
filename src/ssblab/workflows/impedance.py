"""Spectra of a pellet at several temperatures -> fits -> conductivities -> Arrhenius."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ssblab.echem.impedance.arrhenius import ArrheniusFit, ArrheniusForm, fit_arrhenius
from ssblab.echem.impedance.batch import fit_batch
from ssblab.echem.impedance.conductivity import PelletConductivity, pellet_conductivity
from ssblab.echem.impedance.fitting import Weighting
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConductivityStudy(Result):
    """Fits, pellet conductivities and the Arrhenius fit of a temperature series."""

    fits: tuple
    conductivities: tuple
    arrhenius: ArrheniusFit | None
    circuit: str

    title: ClassVar[str] = "Conductivity vs temperature"

    def summary(self):
        rows = [("circuit", self.circuit), ("spectra", len(self.fits)),
                ("fits ok", sum(bool(f) for f in self.fits))]
        if self.arrhenius is not None:
            rows += self.arrhenius.summary()
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
        if self.arrhenius is not None:
            self.arrhenius.plot(ax, **kwargs)


def conductivity_vs_temperature(spectra: Sequence[Spectrum], *, circuit: str, thickness_cm: float,
                                area_cm2: float, temperatures_K: Sequence[float] | None = None,
                                form: ArrheniusForm = "sigma_T",
                                weighting: Weighting = "modulus") -> ConductivityStudy:
    """Fit every spectrum, convert to conductivity with the pellet geometry, fit Arrhenius.

    Temperatures come from ``temperatures_K`` or else each spectrum's ``temperature_K``.
    Spectra whose fit fails are reported and left out of the Arrhenius fit.
    """
    if temperatures_K is None:
        temperatures_K = [s.temperature_K for s in spectra]
    if any(t is None for t in temperatures_K) or len(temperatures_K) != len(spectra):
        raise InputError("every spectrum needs a temperature: pass temperatures_K, one per spectrum")
    spectra = [dataclasses.replace(s, temperature_K=float(t)) for s, t in zip(spectra, temperatures_K)]
    # Warm starts follow the temperature order, where parameters change smoothly.
    order = np.argsort(temperatures_K)
    batch = fit_batch([spectra[i] for i in order], circuit, weighting=weighting)
    fits = [None] * len(spectra)
    for k, i in enumerate(order):
        fits[i] = batch.fits[k]
    pellets: list[PelletConductivity] = [
        pellet_conductivity(fit, thickness_cm=thickness_cm, area_cm2=area_cm2) for fit in fits]
    good = [p for p in pellets if p.ok]
    arrhenius = None
    reason = ""
    if len({p.temperature_K for p in good}) >= 2:
        arrhenius = fit_arrhenius([p.temperature_K for p in good], [p.total_S_cm.value for p in good],
                                  form=form, labels=[p.source for p in good])
    else:
        reason = (f"only {len(good)} spectra gave a conductivity; an Arrhenius fit needs two "
                  "temperatures")
    failed = [f"{p.source}: {p.reason}" for p in pellets if not p.ok]
    if failed and not reason:
        reason = "left out of the Arrhenius fit: " + "; ".join(failed)
    return ConductivityStudy(
        ok=arrhenius is not None, reason=reason, fits=tuple(fits), conductivities=tuple(pellets),
        arrhenius=arrhenius, circuit=circuit,
        provenance=provenance(circuit=circuit, thickness_cm=thickness_cm, area_cm2=area_cm2,
                              temperatures_K=list(map(float, temperatures_K)), form=form,
                              weighting=weighting))
