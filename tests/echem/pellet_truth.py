"""Synthetic pellet spectra with planted truths, written with plain numpy formulas (independent
of ssblab's circuit code): series R0, bulk R||CPE, grain-boundary R||CPE, electrode CPE.

Capacitances are planted as Brug effective capacitances C = (R^(1-n) Q)^(1/n), constant with
temperature; resistances follow sigma T = A exp(-Ea / k T).
"""

import numpy as np

K_B = 8.617333262e-5  # eV/K
THICKNESS_CM = 0.1
DIAMETER_CM = 1.0
AREA_CM2 = np.pi * DIAMETER_CM**2 / 4
CELL_CM = THICKNESS_CM / AREA_CM2  # L/A, 1/cm
TEMPERATURES_C = np.array([-20.0, 0.0, 20.0, 40.0, 60.0, 80.0])
FREQUENCY_HZ = np.logspace(7, -1, 81)


def r_parallel_cpe(f, r, q, n):
    return r / (1 + r * q * (2j * np.pi * f) ** n)


def cpe(f, q, n):
    return 1 / (q * (2j * np.pi * f) ** n)


def q_for(c_eff, r, n):
    """CPE Q giving the Brug effective capacitance ``c_eff`` with resistance ``r``."""
    return c_eff**n / r ** (1 - n)


def resistance(sigma25_S_cm, ea_eV, temperature_K):
    """R of the pellet for sigma T = A exp(-Ea/kT) with sigma(25 C) given."""
    t25 = 298.15
    sigma = sigma25_S_cm * t25 / temperature_K * np.exp(-ea_eV / K_B * (1 / temperature_K - 1 / t25))
    return CELL_CM / sigma


def pellet_series(*, gb_capacitance_F_cm=1e-9, bulk_capacitance_F_cm=5e-12, ea_bulk=0.30,
                  ea_gb=0.40, sigma25_bulk=5e-5, sigma25_gb=3e-5, r0_ohm=3.0, noise=0.005,
                  seed=0, f=FREQUENCY_HZ, temperatures_C=TEMPERATURES_C):
    """[(temperature_K, Z)], and the truths: R_bulk, R_gb arrays and Ea of bulk, gb, total."""
    rng = np.random.default_rng(seed)
    t = np.asarray(temperatures_C) + 273.15
    rb, rg = resistance(sigma25_bulk, ea_bulk, t), resistance(sigma25_gb, ea_gb, t)
    cb, cg = bulk_capacitance_F_cm / CELL_CM, gb_capacitance_F_cm / CELL_CM
    spectra = []
    for k in range(t.size):
        z = (r0_ohm + r_parallel_cpe(f, rb[k], q_for(cb, rb[k], 0.95), 0.95)
             + r_parallel_cpe(f, rg[k], q_for(cg, rg[k], 0.85), 0.85) + cpe(f, 2e-6, 0.85))
        z = z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
        spectra.append((t[k], z))
    # the total's Ea: the sigma_T line through the planted totals (not exactly Arrhenius)
    total = CELL_CM / (rb + rg)
    slope = np.polyfit(1 / (K_B * t), np.log(total * t), 1)[0]
    truth = {"R_bulk": rb, "R_gb": rg, "Ea_bulk": ea_bulk, "Ea_gb": ea_gb, "Ea_total": -slope,
             "C_bulk_F": cb, "C_gb_F": cg}
    return spectra, truth
