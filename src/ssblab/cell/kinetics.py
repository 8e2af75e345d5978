"""Butler-Volmer charge transfer: current from overpotential and its exact inverse.

``i = i0 [exp(alpha_a F eta / RT) - exp(-alpha_c F eta / RT)]``. With ``alpha_a = alpha_c =
alpha`` the inverse is closed-form, ``eta = RT/(alpha F) asinh(i / (2 i0))``; otherwise it is
found by bisection on a bracket from the Tafel bound (the current is monotonic in eta).
Current densities are in mA/cm2 throughout; overpotentials in V.
"""

from __future__ import annotations

import numpy as np

from ssblab.errors import InputError
from ssblab.units import FARADAY_C_mol, GAS_CONSTANT_J_molK


def thermal_voltage_V(temperature_K: float) -> float:
    """RT/F in volts."""
    return GAS_CONSTANT_J_molK * temperature_K / FARADAY_C_mol


def butler_volmer_current(overpotential_V, exchange_current_mA_cm2, *, temperature_K=298.15,
                          alpha_anodic=0.5, alpha_cathodic=0.5):
    """Current density (mA/cm2, positive anodic) at an overpotential (V).

    Examples
    --------
    >>> round(float(butler_volmer_current(0.0, 1.0)), 12)
    0.0
    >>> round(float(butler_volmer_current(0.05, 1.0)), 3)
    2.268
    """
    f = 1.0 / thermal_voltage_V(temperature_K)
    eta = np.asarray(overpotential_V, dtype=float)
    return exchange_current_mA_cm2 * (np.exp(alpha_anodic * f * eta) - np.exp(-alpha_cathodic * f * eta))


def butler_volmer_overpotential(current_mA_cm2, exchange_current_mA_cm2, *, temperature_K=298.15,
                                alpha_anodic=0.5, alpha_cathodic=0.5):
    """Overpotential (V) that drives ``current_mA_cm2`` through the Butler-Volmer law, exactly.

    Works on arrays (current and exchange current broadcast). A zero exchange current gives an
    infinite overpotential for a non-zero current.

    Examples
    --------
    >>> eta = butler_volmer_overpotential(2.268, 1.0)
    >>> round(float(eta), 4)
    0.05
    >>> round(float(butler_volmer_overpotential(2.0, 1.0, alpha_anodic=0.3, alpha_cathodic=0.7)), 4)
    0.0661
    """
    if alpha_anodic <= 0 or alpha_cathodic <= 0:
        raise InputError(f"alpha_anodic/alpha_cathodic: expected positive transfer coefficients, "
                         f"found {alpha_anodic}, {alpha_cathodic}")
    i = np.asarray(current_mA_cm2, dtype=float)
    i0 = np.asarray(exchange_current_mA_cm2, dtype=float)
    if np.any(i0 < 0):
        raise InputError("exchange_current_mA_cm2: expected >= 0, found a negative value")
    vt = thermal_voltage_V(temperature_K)
    with np.errstate(divide="ignore", invalid="ignore"):
        if alpha_anodic == alpha_cathodic:
            eta = vt / alpha_anodic * np.arcsinh(i / (2.0 * i0))
            return np.where(i == 0, 0.0, eta)
        # |i| >= i0 (exp(a|eta|) - 1) on either branch bounds |eta| by the Tafel-like limit
        a_min = min(alpha_anodic, alpha_cathodic)
        bound = vt / a_min * np.log1p(np.abs(i) / i0) + 1e-12
    i, i0, bound = np.broadcast_arrays(i, i0, bound)
    lo, hi = -bound.copy(), bound.copy()
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = butler_volmer_current(mid, i0, temperature_K=temperature_K, alpha_anodic=alpha_anodic,
                                      alpha_cathodic=alpha_cathodic) > i
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def charge_transfer_resistance_ohm_cm2(exchange_current_mA_cm2: float, *, temperature_K=298.15,
                                       alpha_anodic=0.5, alpha_cathodic=0.5) -> float:
    """Small-signal charge-transfer resistance ``RT / ((alpha_a + alpha_c) F i0)`` in ohm cm2.

    Examples
    --------
    >>> round(charge_transfer_resistance_ohm_cm2(1.0), 2)
    25.69
    """
    return thermal_voltage_V(temperature_K) / ((alpha_anodic + alpha_cathodic)
                                               * exchange_current_mA_cm2 * 1e-3)


def exchange_current_from_rct(rct_ohm_cm2: float, *, temperature_K=298.15) -> float:
    """Exchange current density (mA/cm2) from a measured charge-transfer ASR (ohm cm2), alpha=0.5.

    Examples
    --------
    >>> round(exchange_current_from_rct(25.69), 3)
    1.0
    """
    if rct_ohm_cm2 <= 0:
        raise InputError(f"rct_ohm_cm2: expected > 0, found {rct_ohm_cm2}")
    return thermal_voltage_V(temperature_K) / rct_ohm_cm2 * 1e3
