"""The weighted Arrhenius line every layer fits: ``ln y = ln A - Ea / (k_B T)``.

Shared by the impedance layer (conductivity from spectra) and the atomistic layer (diffusivity
and conductivity from MD), which differ only in what ``y`` is and where they report it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.units import BOLTZMANN_eV_K


@dataclasses.dataclass(frozen=True)
class ArrheniusLine:
    """``ln y = ln_prefactor - activation_energy_eV / (k_B T)`` with the parameters' covariance."""

    ln_prefactor: float
    activation_energy_eV: float
    covariance: np.ndarray  # of (ln_prefactor, activation_energy_eV)
    reduced_chi2: float     # nan with two points
    r_squared: float

    def ln_value(self, temperature_K: float) -> tuple[float, float]:
        """``ln y`` at ``temperature_K`` and its standard error (from the full covariance)."""
        g = np.array([1.0, -1.0 / (BOLTZMANN_eV_K * temperature_K)])
        value = self.ln_prefactor - self.activation_energy_eV / (BOLTZMANN_eV_K * temperature_K)
        variance = float(g @ self.covariance @ g)
        return float(value), math.sqrt(variance) if variance >= 0 else math.nan

    @property
    def stderr(self) -> tuple[float, float]:
        """Standard errors of ``ln_prefactor`` and ``activation_energy_eV``."""
        return math.sqrt(self.covariance[0, 0]), math.sqrt(self.covariance[1, 1])


def fit_arrhenius_line(temperature_K: np.ndarray, ln_y: np.ndarray,
                       ln_y_stderr: np.ndarray | None = None) -> ArrheniusLine:
    """Weighted least squares of ``ln_y`` against ``1 / (k_B T)``.

    With ``ln_y_stderr`` (the relative errors of ``y``) the weights are ``1 / stderr^2`` and
    the covariance is scaled up by the reduced chi-square when the scatter exceeds the errors
    (Birge ratio), never down; without it the covariance comes from the scatter. With two
    points the line is exact and, without errors, its covariance is undetermined (nan).
    Inputs are assumed validated (positive, finite, two distinct temperatures).

    Examples
    --------
    >>> t = np.array([300.0, 350.0, 400.0])
    >>> line = fit_arrhenius_line(t, np.log(2.0) - 0.3 / (8.617333262e-5 * t))
    >>> round(line.activation_energy_eV, 9), round(math.exp(line.ln_prefactor), 9)
    (0.3, 2.0)
    """
    x = 1.0 / (BOLTZMANN_eV_K * np.asarray(temperature_K, dtype=float))
    y = np.asarray(ln_y, dtype=float)
    weights = np.ones_like(y) if ln_y_stderr is None else 1.0 / np.asarray(ln_y_stderr, float) ** 2
    design = np.column_stack([np.ones_like(x), -x])
    cov = np.linalg.inv(design.T @ (weights[:, None] * design))
    coef = cov @ design.T @ (weights * y)
    resid = y - design @ coef
    dof = y.size - 2
    chi2 = float(np.sum(weights * resid**2))
    reduced = chi2 / dof if dof > 0 else math.nan
    if dof > 0 and (ln_y_stderr is None or reduced > 1):
        cov = cov * reduced
    elif dof == 0 and ln_y_stderr is None:
        cov = np.full_like(cov, np.nan)
    y_mean = np.average(y, weights=weights)
    ss_tot = float(np.sum(weights * (y - y_mean) ** 2))
    r_squared = 1.0 - chi2 / ss_tot if ss_tot > 0 else 1.0
    return ArrheniusLine(float(coef[0]), float(coef[1]), cov, reduced, r_squared)
