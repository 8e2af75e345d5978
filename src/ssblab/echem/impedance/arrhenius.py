"""Arrhenius analysis of conductivity against temperature.

Two forms, chosen with ``form``:

- ``"sigma_T"`` (default, the thermally activated hopping form):
  ``sigma * T = A * exp(-Ea / (k_B T))``, fitted as ``ln(sigma T) = ln A - Ea / (k_B T)``;
  ``A`` is in S K/cm.
- ``"sigma"``: ``sigma = A * exp(-Ea / (k_B T))``, fitted as ``ln sigma = ln A - Ea / (k_B T)``;
  ``A`` is in S/cm.

The two give activation energies that differ by about ``k_B T`` (26 meV at room temperature),
so a reported Ea must say which form it used. The fit is a weighted linear least-squares fit in
the log domain; with conductivity uncertainties the weights are ``(sigma / stderr)^2`` and the
parameter errors are scaled by the reduced chi-square when there are more points than
parameters.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

import numpy as np

from ssblab.arrhenius_line import fit_arrhenius_line
from ssblab.errors import InputError, check_choice
from ssblab.results import Measured, Result, provenance
from ssblab.units import ZERO_CELSIUS_K, BOLTZMANN_eV_K

ArrheniusForm = Literal["sigma_T", "sigma"]
ROOM_TEMPERATURE_K = 25.0 + ZERO_CELSIUS_K
MIN_POINTS = 3  # two points always lie on a line: nothing tests it


@dataclasses.dataclass(frozen=True, kw_only=True)
class ArrheniusFit(Result):
    """An Arrhenius fit: activation energy, prefactor and the conductivity at 25 C."""

    temperature_K: np.ndarray
    conductivity_S_cm: np.ndarray
    form: ArrheniusForm
    activation_energy_eV: Measured
    ln_prefactor: Measured
    conductivity_25C_S_cm: Measured
    extrapolated_25C: bool
    r_squared: float
    labels: tuple = ()

    title: ClassVar[str] = "Arrhenius fit"

    def predict(self, temperature_K) -> np.ndarray:
        """Conductivity in S/cm at ``temperature_K`` from the fitted line."""
        t = np.asarray(temperature_K, dtype=float)
        y = self.ln_prefactor.value - self.activation_energy_eV.value / (BOLTZMANN_eV_K * t)
        return np.exp(y) / t if self.form == "sigma_T" else np.exp(y)

    def summary(self):
        unit = "S K/cm" if self.form == "sigma_T" else "S/cm"
        flag = " (extrapolated)" if self.extrapolated_25C else " (interpolated)"
        return [
            ("form", "ln(sigma T) vs 1/T" if self.form == "sigma_T" else "ln(sigma) vs 1/T"),
            ("points", self.temperature_K.size),
            ("temperature range / K", f"{self.temperature_K.min():.1f} - {self.temperature_K.max():.1f}"),
            ("activation energy / eV", self.activation_energy_eV),
            (f"ln(prefactor / {unit})", self.ln_prefactor),
            ("sigma(25 C) / (S/cm)" + flag, self.conductivity_25C_S_cm),
            ("R^2", self.r_squared),
        ]

    def table(self):
        return [{"temperature_K": t, "conductivity_S_cm": s, "fit_S_cm": f}
                for t, s, f in zip(self.temperature_K, self.conductivity_S_cm,
                                   self.predict(self.temperature_K))]

    def curves(self):
        inverse = np.linspace(1000 / self.temperature_K.max(), 1000 / self.temperature_K.min(), 50)
        return {"arrhenius fitted line": {"inverse_temperature_1000_per_K": inverse,
                                          "temperature_K": 1000.0 / inverse,
                                          "fitted_conductivity_S_cm": self.predict(1000.0 / inverse)}}

    def _draw(self, ax, **kwargs):
        t = self.temperature_K
        x = 1000.0 / t
        points = ax.semilogy(x, self.conductivity_S_cm, kwargs.get("marker", "o"),
                             label=kwargs.get("label", "data"))
        colour = points[0].get_color()
        # the fit, solid over the measured temperatures (dotted when it is not a result); an
        # extrapolation to 25 C dashed, its end an open marker, so that it cannot be read as data
        grid = np.linspace(x.min(), x.max(), 50)
        line_label = (f"Ea = {self.activation_energy_eV}" if self.ok
                      else f"{len(x)} points: no Ea (not a result)")
        ax.semilogy(grid, self.predict(1000.0 / grid), "-" if self.ok else ":", color=colour,
                    label=line_label)
        x25 = 1000 / ROOM_TEMPERATURE_K
        if self.ok and self.extrapolated_25C:
            near = x.max() if x25 > x.max() else x.min()
            grid = np.linspace(near, x25, 50)
            ax.semilogy(grid, self.predict(1000.0 / grid), "--", lw=0.8, color=colour)
            ax.semilogy([x25], self.predict([ROOM_TEMPERATURE_K]), "o", mfc="none", color=colour,
                        label="extrapolated to 25 C")
        ax.set_xlabel("1000 / T / (1/K)")
        ax.set_ylabel("conductivity / (S/cm)")
        ax.legend(fontsize=8)


def fit_arrhenius(temperature_K, conductivity_S_cm, *, conductivity_stderr_S_cm=None,
                  form: ArrheniusForm = "sigma_T", labels=()) -> ArrheniusFit:
    """Fit an Arrhenius law to conductivities measured at several temperatures.

    Parameters
    ----------
    temperature_K : array_like
        Temperatures in kelvin (at least two distinct values).
    conductivity_S_cm : array_like
        Conductivities in S/cm, positive.
    conductivity_stderr_S_cm : array_like, optional
        Standard errors of the conductivities; used as weights in the log domain.
    form : {"sigma_T", "sigma"}
        Which law to fit (see the module docstring).

    Returns
    -------
    ArrheniusFit
        With the activation energy, the prefactor and sigma at 25 C (flagged when 25 C lies
        outside the measured temperatures). With fewer than three distinct temperatures the
        line is drawn but the result is not ok: nothing tests a line through two points.

    Examples
    --------
    >>> import numpy as np
    >>> T = np.array([253.15, 273.15, 298.15, 323.15, 353.15])
    >>> k = 8.617333262e-5
    >>> sigma = 2e-3 * 298.15 / T * np.exp(-0.3 / k * (1 / T - 1 / 298.15))
    >>> fit = fit_arrhenius(T, sigma)
    >>> round(fit.activation_energy_eV.value, 6), round(fit.conductivity_25C_S_cm.value, 8)
    (0.3, 0.002)
    """
    form = check_choice(form, ArrheniusForm, name="form")
    t = np.asarray(temperature_K, dtype=float).ravel()
    s = np.asarray(conductivity_S_cm, dtype=float).ravel()
    if t.shape != s.shape:
        raise InputError(f"temperature_K ({t.size} values) and conductivity_S_cm ({s.size} values) "
                         "must have the same length")
    if not (np.isfinite(t).all() and (t > 0).all()):
        raise InputError(f"temperature_K: expected positive kelvin values, found {t.tolist()}")
    if not (np.isfinite(s).all() and (s > 0).all()):
        raise InputError(f"conductivity_S_cm: expected positive finite values, found {s.tolist()}")
    if np.unique(t).size < 2:
        raise InputError(f"temperature_K: an Arrhenius fit needs at least two distinct "
                         f"temperatures, found {np.unique(t).tolist()}")
    ln_err = None
    if conductivity_stderr_S_cm is not None:
        err = np.asarray(conductivity_stderr_S_cm, dtype=float).ravel()
        if err.shape != s.shape or not (np.isfinite(err).all() and (err > 0).all()):
            raise InputError("conductivity_stderr_S_cm: expected positive finite values, one per point")
        ln_err = err / s  # d ln(sigma) = d sigma / sigma

    line = fit_arrhenius_line(t, np.log(s * t) if form == "sigma_T" else np.log(s), ln_err)
    n_t = np.unique(t).size
    reason = "" if n_t >= MIN_POINTS else (
        f"only {n_t} temperatures: an Arrhenius line needs at least {MIN_POINTS} to be tested, "
        "so its activation energy is not reported as a result")
    y25, y25_err = line.ln_value(ROOM_TEMPERATURE_K)
    sigma25 = math.exp(y25) / ROOM_TEMPERATURE_K if form == "sigma_T" else math.exp(y25)
    ln_a_err, ea_err = line.stderr
    ln_a_unit = "ln(S K/cm)" if form == "sigma_T" else "ln(S/cm)"
    return ArrheniusFit(
        ok=not reason, reason=reason, temperature_K=t, conductivity_S_cm=s, form=form,
        activation_energy_eV=Measured(line.activation_energy_eV, ea_err, "eV"),
        ln_prefactor=Measured(line.ln_prefactor, ln_a_err, ln_a_unit),
        conductivity_25C_S_cm=Measured(sigma25, sigma25 * y25_err, "S/cm"),
        extrapolated_25C=not (t.min() <= ROOM_TEMPERATURE_K <= t.max()),
        r_squared=line.r_squared, labels=tuple(labels),
        provenance=provenance(form=form, n_points=int(t.size)),
    )
