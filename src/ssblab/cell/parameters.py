"""Electrode parameter sets: cathode OCV curves and capacities, anodes, with their sources.

Each cathode's open-circuit voltage is a published fit ``U(x)`` of the Li stoichiometry
``x``; ssblab uses it over the published cycling window ``[x_charged, x_discharged]`` and maps
that window onto the normalised state ``u`` (0 charged, 1 discharged) that the cell model
integrates, so ``capacity_mAh_g`` is the capacity of that window.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.errors import InputError, check_choice


def _nmc811_chen2020(x):
    # Chen et al., J. Electrochem. Soc. 167, 080534 (2020), LG M50 NMC811 OCP fit (as in
    # PyBaMM's Chen2020 parameter set, BSD-3).
    return (-0.8090 * x + 4.4875 - 0.0428 * np.tanh(18.5138 * (x - 0.5542))
            - 17.7326 * np.tanh(15.7890 * (x - 0.3117)) + 17.5842 * np.tanh(15.9308 * (x - 0.3120)))


def _lfp_afshar2017(x):
    # Afshar et al., IFAC-PapersOnLine 50, 11725 (2017), LFP OCP fit (PyBaMM Prada2013 set).
    return 3.4077 - 0.020269 * x + 0.5 * np.exp(-150 * x) - 0.9 * np.exp(-30 * (1 - x))


# name -> (function of stoichiometry, x at the charged end, x at the discharged end, source)
OCV_CURVES = {
    "NMC811-Chen2020": (_nmc811_chen2020, 0.2661, 0.9084,
                        "Chen et al., J. Electrochem. Soc. 167, 080534 (2020); window = their "
                        "100 %/0 % SOC stoichiometries"),
    "LFP-Afshar2017": (_lfp_afshar2017, 0.0, 1.0,
                       "Afshar et al., IFAC-PapersOnLine 50, 11725 (2017)"),
}


def open_circuit_voltage(curve: str, u):
    """OCV (V vs Li/Li+) of ``curve`` at normalised state ``u`` (0 charged, 1 discharged).

    Examples
    --------
    >>> round(float(open_circuit_voltage("NMC811-Chen2020", 0.0)), 3)
    4.285
    >>> round(float(open_circuit_voltage("NMC811-Chen2020", 1.0)), 3)
    3.561
    """
    fn, x0, x1, _ = OCV_CURVES[check_choice(curve, OCV_CURVES, name="ocv curve")]
    return fn(x0 + np.asarray(u, float) * (x1 - x0))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Cathode:
    """A cathode active material: OCV curve, practical capacity, particle transport and kinetics."""

    name: str
    ocv_curve: str
    capacity_mAh_g: float
    density_g_cm3: float
    particle_radius_cm: float
    diffusivity_cm2_s: float
    exchange_current_mA_cm2: float
    source: str = ""

    def __post_init__(self):
        check_choice(self.ocv_curve, OCV_CURVES, name="Cathode.ocv_curve")
        for name in ("capacity_mAh_g", "density_g_cm3", "particle_radius_cm", "diffusivity_cm2_s",
                     "exchange_current_mA_cm2"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise InputError(f"Cathode.{name}: expected a positive number, found {value!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Anode:
    """A metal or alloy anode: constant potential vs Li/Li+ and interface exchange current."""

    name: str
    potential_V: float
    exchange_current_mA_cm2: float
    source: str = ""


# Particle transport and kinetics of NMC from Chen 2020 (R = 5.22 um, D = 4e-15 m2/s,
# i0 = 3.4 A/m2 at half lithiation and 1 M liquid electrolyte): no solid-state values are in
# the seeds, so these are the liquid-cell defaults; override them for a measured material.
_NMC_TRANSPORT = dict(density_g_cm3=4.78, particle_radius_cm=5.22e-4, diffusivity_cm2_s=4.0e-11,
                      exchange_current_mA_cm2=0.34)

CATHODES = {
    "NCM811": Cathode(name="NCM811", ocv_curve="NMC811-Chen2020", capacity_mAh_g=200.0,
                      source="capacity: seed 004 (1 C = 200 mAh/g, SC-NMC811); OCV and transport: "
                             "Chen 2020; density: X-ray density of R-3m LiNi0.8Mn0.1Co0.1O2 "
                             "(ssblab.materials.data)", **_NMC_TRANSPORT),
    "NCM83": Cathode(name="NCM83", ocv_curve="NMC811-Chen2020", capacity_mAh_g=207.0,
                     source="capacity: seed 000 (207 mAh/g at 0.1 C, 2.7-4.3 V, 25 C); OCV shape "
                            "and transport of NMC811 from Chen 2020 (closest cited fit)",
                     **_NMC_TRANSPORT),
    "LFP": Cathode(name="LFP", ocv_curve="LFP-Afshar2017", capacity_mAh_g=160.0, density_g_cm3=3.6,
                   particle_radius_cm=5e-6, diffusivity_cm2_s=5.9e-14, exchange_current_mA_cm2=0.1,
                   source="OCV: Afshar 2017; R, D: Prada et al., J. Electrochem. Soc. 160, A616 "
                          "(2013) as in PyBaMM; capacity: typical practical 160 mAh/g"),
}

ANODES = {
    "Li": Anode(name="Li", potential_V=0.0, exchange_current_mA_cm2=0.83,
                source="i0 from seed 004's Li|LYC Rct = 49 ohm (two interfaces, 1.27 cm2)"),
    "Li-In": Anode(name="Li-In", potential_V=0.62, exchange_current_mA_cm2=0.17,
                   source="0.62 V: seed 004 (Li-In two-phase plateau); i0 from seed 004's "
                          "cycled Li-In|LYC Rct = 235 ohm"),
}


def cathode(name_or_cathode) -> Cathode:
    """A :class:`Cathode` from a name in :data:`CATHODES` or an instance."""
    if isinstance(name_or_cathode, Cathode):
        return name_or_cathode
    return CATHODES[check_choice(name_or_cathode, CATHODES, name="cathode")]


def anode(name_or_anode) -> Anode:
    """An :class:`Anode` from a name in :data:`ANODES` or an instance."""
    if isinstance(name_or_anode, Anode):
        return name_or_anode
    return ANODES[check_choice(name_or_anode, ANODES, name="anode")]
