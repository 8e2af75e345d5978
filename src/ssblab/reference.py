"""Seed reference values: every number ssblab takes from the five seed papers, in one place.

Each value is a :class:`SeedValue` (value, unit, seed, figure/table, what it is, and whether it
was measured, simulated by the authors, calibrated by us on a seed curve, or assumed where the
seed is silent). Layers, the demo and the tests read them from here; no other module in
``src/`` writes a seed number. ``tests/reference/seed_targets.yaml`` is an independent
extraction of the same papers; ``target`` names the entry a value is checked against.

Seeds: 000 Li et al., Li3InCl6 cold vs hot pressing; 001 Luo et al., Li-In dendrites through
Li6PS5Cl; 002 AlOCl-nanoLiCl (LiCl NEB, halide conductivities); 003 Yu et al., LPSC + LGPS
heterogeneous electrolytes; 004 Kim et al., Li3YCl6 | Li-In interphase (Adv. Energy Mater.
2024, 2401299).

Seed 000's "cold-pressed" names two pellets: 0.125 GPa (59.16 % dense, 0.695 mS/cm, Ea 0.38 eV,
the Arrhenius pair of Fig. 2) and the optimised 0.5 GPa (80.29 %, 1.1 mS/cm, the SEM/XCT
pellet of Fig. 4, hence the one the hot-pressed film is compared with in the cells). Every
name here says which pellet it belongs to.

Examples
--------
>>> from ssblab import reference
>>> reference.LIC_HOT_SIGMA_S_cm
SeedValue(0.0044 S/cm: seed 000 Fig. S1B, measured, Li3InCl6 hot-pressed 0.5 GPa 250 C, 25 C conductivity)
>>> float(reference.LIC_HOT_SIGMA_S_cm)
0.0044
>>> reference.SEED_VALUES["LIC_HOT_SIGMA_S_cm"].seed
'000'
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal, get_args

Kind = Literal["measured", "simulated", "calibrated", "assumed"]
KINDS = get_args(Kind)


@dataclasses.dataclass(frozen=True)
class SeedValue:
    """One number from a seed paper. ``value`` is a float or a tuple of floats in ``unit``."""

    value: float | tuple[float, ...]
    unit: str
    seed: str
    source: str
    what: str
    kind: Kind = "measured"
    #: path (keys joined by '/') into tests/reference/seed_targets.yaml ("" when the extraction lacks it)
    target: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, found {self.kind!r}")

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        value = f"{self.value:.4g}" if isinstance(self.value, float) else str(self.value)
        return (f"SeedValue({value} {self.unit}: seed {self.seed} {self.source}, {self.kind}, "
                f"{self.what})")


def _v(value, unit, seed, source, what, kind="measured", target=""):
    return SeedValue(value, unit, seed, source, what, kind, target)


_Y0 = "li3incl6_processing/"
# --- seed 000: Li3InCl6 cold vs hot pressing ------------------------------------------------
LIC_COLD_0125GPA_SIGMA_S_cm = _v(6.95e-4, "S/cm", "000", "Fig. S1A",
                                 "Li3InCl6 cold-pressed 0.125 GPa, 25 C conductivity",
                                 target=_Y0 + "conductivity_25C_S_cm/cold_0.125GPa")
LIC_COLD_05GPA_SIGMA_S_cm = _v(1.1e-3, "S/cm", "000", "Fig. S1A",
                               "Li3InCl6 cold-pressed 0.5 GPa, 25 C conductivity",
                               target=_Y0 + "conductivity_25C_S_cm/cold_0.5GPa")
LIC_HOT_SIGMA_S_cm = _v(4.4e-3, "S/cm", "000", "Fig. S1B",
                        "Li3InCl6 hot-pressed 0.5 GPa 250 C, 25 C conductivity",
                        target=_Y0 + "conductivity_25C_S_cm/hot_0.5GPa_250C")
LIC_COLD_0125GPA_EA_eV = _v(0.38, "eV", "000", "Fig. 2B",
                            "Li3InCl6 cold-pressed 0.125 GPa, activation energy",
                            target=_Y0 + "activation_energy_eV/cold_0.125GPa")
LIC_HOT_EA_eV = _v(0.32, "eV", "000", "Fig. 2B", "Li3InCl6 hot-pressed 0.5 GPa 250 C, activation energy",
                   target=_Y0 + "activation_energy_eV/hot_0.5GPa_250C")
LIC_COLD_0125GPA_DENSITY = _v(0.5916, "1", "000", "Fig. 4A",
                              "Li3InCl6 cold-pressed 0.125 GPa, relative density",
                              target=_Y0 + "relative_density_percent/cold_0.125GPa")
LIC_COLD_05GPA_DENSITY = _v(0.8029, "1", "000", "Fig. 4A", "Li3InCl6 cold-pressed 0.5 GPa, relative density",
                            target=_Y0 + "relative_density_percent/cold_0.5GPa")
LIC_HOT_DENSITY = _v(0.9367, "1", "000", "Fig. 4A", "Li3InCl6 hot-pressed 0.5 GPa 250 C, relative density",
                     target=_Y0 + "relative_density_percent/hot_0.5GPa_250C")
# Rietveld refinements (C2/m): vacancy fractions per site and cell volume
LIC_PRISTINE_LI_VACANCY = _v(0.241, "1", "000", "Table S2", "pristine Li3InCl6, Li vacancy fraction",
                             target=_Y0 + "rietveld/pristine/Li_vacancy_percent")
LIC_PRISTINE_IN_VACANCY = _v(0.380, "1", "000", "Table S2", "pristine Li3InCl6, In vacancy fraction",
                             target=_Y0 + "rietveld/pristine/In_vacancy_percent")
LIC_PRISTINE_VOLUME_A3 = _v(425.92, "A^3", "000", "Table S2", "pristine Li3InCl6, C2/m cell volume",
                            target=_Y0 + "rietveld/pristine/cell_volume_A3")
LIC_HOT_LI_VACANCY = _v(0.286, "1", "000", "Table S4", "hot-pressed Li3InCl6, Li vacancy fraction",
                        target=_Y0 + "rietveld/hot_0.5GPa_250C/Li_vacancy_percent")
LIC_HOT_IN1_VACANCY = _v(0.456, "1", "000", "Table S4", "hot-pressed Li3InCl6, In(1) 4g vacancy fraction",
                         target=_Y0 + "rietveld/hot_0.5GPa_250C/In1_4g_vacancy_percent")
LIC_HOT_CL1_VACANCY = _v(0.086, "1", "000", "Table S4", "hot-pressed Li3InCl6, Cl(1) 8j vacancy fraction",
                         target=_Y0 + "rietveld/hot_0.5GPa_250C/Cl1_8j_vacancy_percent")
LIC_HOT_CL2_VACANCY = _v(0.125, "1", "000", "Table S4", "hot-pressed Li3InCl6, Cl(2) 4i vacancy fraction",
                         target=_Y0 + "rietveld/hot_0.5GPa_250C/Cl2_4i_vacancy_percent")
LIC_HOT_VOLUME_A3 = _v(429.14, "A^3", "000", "Table S4", "hot-pressed Li3InCl6, C2/m cell volume",
                       target=_Y0 + "rietveld/hot_0.5GPa_250C/cell_volume_A3")
# the authors' MD of bulk cells with the refined compositions, 300 K
LIC_MD_COLD_SIGMA_300K_S_cm = _v(3.09e-4, "S/cm", "000", "Fig. 3E",
                                 "MD, cold-pressed composition, sigma(300 K)",
                                 "simulated", _Y0 + "md_bulk/cold/conductivity_S_cm")
LIC_MD_COLD_EA_eV = _v(0.33, "eV", "000", "Fig. 3E", "MD, cold-pressed composition, activation energy",
                       "simulated", _Y0 + "md_bulk/cold/activation_energy_eV")
LIC_MD_HOT_SIGMA_300K_S_cm = _v(6.37e-4, "S/cm", "000", "Fig. 3E",
                                "MD, hot-pressed composition, sigma(300 K)",
                                "simulated", _Y0 + "md_bulk/hot/conductivity_S_cm")
LIC_MD_HOT_EA_eV = _v(0.30, "eV", "000", "Fig. 3E", "MD, hot-pressed composition, activation energy",
                      "simulated", _Y0 + "md_bulk/hot/activation_energy_eV")
# Li symmetric cells with an LPSCl interlayer; the cold film is the optimised 0.5 GPa one
LIC_COLD_CCD_mA_cm2 = _v(1.2, "mA/cm2", "000", "Fig. S6", "CCD, cold-pressed Li3InCl6 (0.5 GPa)",
                         target=_Y0 + "critical_current_density_mA_cm2/cold_pressed_LIC")
LIC_HOT_CCD_mA_cm2 = _v(4.0, "mA/cm2", "000", "Fig. S7", "CCD, hot-pressed Li3InCl6 (0.5 GPa 250 C)",
                        target=_Y0 + "critical_current_density_mA_cm2/hot_pressed_LIC")
# NCM83 | LIC-LPSCl | Li, 2.7-4.3 V, 25 C: discharge capacity at each C-rate
NCM83_RATES_C = _v((0.5, 1.0, 1.5), "C", "000", "Fig. 6A/B", "C-rates of the rate test")
NCM83_COLD_MAH_G = _v((112.0, 35.0), "mAh/g", "000", "Fig. 6A",
                      "NCM83 cell with cold-pressed Li3InCl6, capacity at 0.5 and 1 C",
                      target=_Y0 + "full_cell_NCM83/rate_capacity_mAh_g/cold")
NCM83_HOT_MAH_G = _v((156.0, 123.0, 104.0), "mAh/g", "000", "Fig. 6B",
                     "NCM83 cell with hot-pressed Li3InCl6, capacity at 0.5, 1 and 1.5 C",
                     target=_Y0 + "full_cell_NCM83/rate_capacity_mAh_g/hot")
NCM83_HOT_RETENTION_05C = _v(0.937, "1", "000", "Fig. 6E", "hot-pressed cell, capacity retention at 0.5 C",
                             target=_Y0 + "full_cell_NCM83/c_0.5/retention_percent")
NCM83_HOT_CYCLES_05C = _v(2000.0, "cycles", "000", "Fig. 6E", "cycles of that retention",
                          target=_Y0 + "full_cell_NCM83/c_0.5/cycles")
NCM83_HOT_RETENTION_01C = _v(0.822, "1", "000", "Fig. 6D", "hot-pressed cell, capacity retention at 0.1 C",
                             target=_Y0 + "full_cell_NCM83/c_0.1/retention_percent")
NCM83_HOT_CYCLES_01C = _v(270.0, "cycles", "000", "Fig. 6D", "cycles of that retention",
                          target=_Y0 + "full_cell_NCM83/c_0.1/cycles")

_Y1 = "li_in_dendrites_lpscl/"
# --- seed 001: Li-In dendrites through Li6PS5Cl ---------------------------------------------
LPSCL_SIGMA_S_cm = _v(2.95e-3, "S/cm", "001", "Fig. S2", "Li6PS5Cl, RT conductivity",
                      target=_Y1 + "Li6PS5Cl_conductivity_RT_S_cm")
LIIN_DENDRITE_CYCLES = _v((100.0, 897.0), "cycles", "001", "Fig. 3 / text",
                          "cycles at which the Li-In dendrite length was imaged (897: cell dead)")
LIIN_DENDRITE_LENGTH_cm = _v((20e-4, 500e-4), "cm", "001", "Fig. 3 / text",
                             "Li-In dendrite length after 100 and 897 cycles",
                             target=_Y1 + "dendrite_length_um")
LPSCL_SEPARATOR_MASS_g = _v(0.080, "g", "001", "Methods", "Li6PS5Cl powder per cell")
LPSCL_SEPARATOR_DIAMETER_cm = _v(1.0, "cm", "001", "Methods", "diameter of the pressed Li6PS5Cl layer")
LPSCL_DENSITY_g_cm3 = _v(1.64, "g/cm3", "001", "-", "Li6PS5Cl density used for the layer thickness",
                         "assumed")

_Y2 = "alocl_nano_licl/"
# --- seed 002: AlOCl-nanoLiCl -----------------------------------------------------------------
LICL_NEB_LATTICE_A = _v((5.145, 5.300), "A", "002", "Fig. 1f", "LiCl lattice parameters of the NEB",
                        "simulated", _Y2 + "licl_neb_barrier_vs_lattice/lattice_A")
LICL_NEB_BARRIER_eV = _v((0.37, 0.21), "eV", "002", "Fig. 1f",
                         "LiCl oct-tet-oct vacancy-hop barrier at those lattice parameters (DFT)",
                         "simulated", _Y2 + "licl_neb_barrier_vs_lattice/barrier_eV")
LICL_SIGMA_S_cm = _v(1.0e-8, "S/cm", "002", "text", "LiCl, RT conductivity",
                     target=_Y2 + "conductivity_RT_S_cm/LiCl")
LYC_SIGMA_S_cm = _v(0.51e-3, "S/cm", "002", "introduction", "Li3YCl6, 25 C conductivity",
                    target=_Y2 + "halide_conductivities_mS_cm/Li3YCl6")

_Y3 = "heterogeneous_electrolyte/"
# --- seed 003: LPSC + LGPS --------------------------------------------------------------------
LPSC_SIGMA_S_cm = _v(3.57e-3, "S/cm", "003", "text", "Li6PS5Cl (LPSC1.0), cold-pressed conductivity",
                     target=_Y3 + "conductivity_mS_cm/LPSC1.0")
LGPS_SIGMA_S_cm = _v(5.26e-3, "S/cm", "003", "text", "Li10GeP2S12 (LGPS), cold-pressed conductivity",
                     target=_Y3 + "conductivity_mS_cm/LGPS")
LPSC_CCD_mA_cm2 = _v(0.5, "mA/cm2", "003", "Fig. 1a", "CCD of LPSC1.0",
                     target=_Y3 + "critical_current_density_mA_cm2/LPSC1.0")
LPSC_LGPS91_CCD_mA_cm2 = _v(0.7, "mA/cm2", "003", "Fig. 1b", "CCD of LPSC1.0 + 10 % LGPS",
                            target=_Y3 + "critical_current_density_mA_cm2/LPSC1.0-91")
LPSC_LGPS82_CCD_mA_cm2 = _v(2.1, "mA/cm2", "003", "Fig. 1c", "CCD of LPSC1.0 + 20 % LGPS",
                            target=_Y3 + "critical_current_density_mA_cm2/LPSC1.0-82")

_Y4 = "lyc_li_in_interphase/"
# --- seed 004: Li3YCl6 | Li and Li-In symmetric cells -----------------------------------------
LYC_CELL_AREA_cm2 = _v(math.pi * (0.5 * 2.54 / 2) ** 2, "cm2", "004", "Experimental",
                       "area of the 0.5-inch die")
LYC_CURRENT_mA_cm2 = _v(0.2, "mA/cm2", "004", "Experimental", "symmetric-cell current density")
LYC_HALF_CYCLE_H = _v(1.0, "h", "004", "Fig. 2", "half-cycle length (12 cycles in the first 24 h)")
LYC_THICKNESS_cm = _v(0.05, "cm", "004", "-", "LYC pellet thickness (not given by the seed)", "assumed")
LYC_LI_RCT_ohm = _v(49.0, "ohm", "004", "EIS", "Li|LYC|Li charge-transfer resistance, as assembled",
                    target=_Y4 + "charge_transfer_resistance_ohm/li_initial")
LYC_LIIN_RCT_ohm = _v(1260.0, "ohm", "004", "EIS", "Li-In|LYC|Li-In charge-transfer resistance, as assembled",
                      target=_Y4 + "charge_transfer_resistance_ohm/li_in_initial")
LYC_LIIN_RCT_50_ohm = _v(235.0, "ohm", "004", "EIS", "Li-In|LYC|Li-In charge-transfer resistance, 50 cycles",
                         target=_Y4 + "charge_transfer_resistance_ohm/li_in_after_50_cycles")
LYC_LI_SHORTED_V = _v(2e-3, "V", "004", "Fig. 2", "Li|LYC|Li overpotential after the short",
                      target=_Y4 + "symmetric_0.2mA_cm2/li/shorted_overpotential_mV")
LYC_IN_HOP_IN_PLANE_eV = _v(0.873, "eV", "004", "Fig. 5",
                            "In3+ oct-tet-oct hop barrier in LYC, in plane (DFT)",
                            "simulated", _Y4 + "neb_in3_barrier_eV/in_plane")
LYC_IN_HOP_OUT_OF_PLANE_eV = _v(0.913, "eV", "004", "Fig. 5",
                                "In3+ oct-tet-oct hop barrier in LYC, out of plane (DFT)",
                                "simulated", _Y4 + "neb_in3_barrier_eV/out_of_plane")
LYC_AEI_SATURATED_cm = _v(50e-4, "cm", "004", "SEM", "saturated Li-In|LYC interphase thickness",
                          target=_Y4 + "aei_thickness_um/1000")
# calibrated by us on seed 004's curves (docs/cell.md, "Seed 004", gives the fit)
LYC_LICL_PARABOLIC_RATE_cm2_h = _v(5.3e-13, "cm2/h", "004", "Fig. 2 (fit)",
                                   "LiCl parabolic rate; ~36 nm per side at 24 h", "calibrated")
LYC_LI_DENDRITE_VELOCITY_cm_h = _v(8.8e-4, "cm/h", "004", "Fig. 2 (fit)",
                                   "dendrite speed, both fronts, at 0.2 mA/cm2", "calibrated")
LYC_LI_FILAMENT_SPREAD = _v(0.25, "1", "004", "Fig. 2 (fit)", "log-standard deviation of filament lengths",
                            "calibrated")
LYC_AEI_TIME_CONSTANT_H = _v(2800.0, "h", "004", "SEM (fit)",
                             "time constant of L = Lsat (1 - exp(-t/tau)) through 2.5/5/50/50 um",
                             "calibrated")
LYC_LIIN_MATURATION_H = _v(100.0 / 3.0, "h", "004", "Fig. 2 (fit)",
                           "interface maturation time (95 % settled at ~100 h)", "calibrated")

# --- added with issue #18 (fitted vs predicted seed comparisons) ---------------------------
LPSC125_SIGMA_S_cm = _v(4.87e-3, "S/cm", "003", "text",
                        "Li5.75PS4.75Cl1.25 (LPSC1.25), cold-pressed conductivity",
                        target=_Y3 + "conductivity_mS_cm/LPSC1.25")
LPSC15_SIGMA_S_cm = _v(6.75e-3, "S/cm", "003", "text",
                       "Li5.5PS4.5Cl1.5 (LPSC1.5), cold-pressed conductivity",
                       target=_Y3 + "conductivity_mS_cm/LPSC1.5")
LPSC125_CCD_mA_cm2 = _v(0.7, "mA/cm2", "003", "Fig. 3a", "CCD of LPSC1.25",
                        target=_Y3 + "critical_current_density_mA_cm2/LPSC1.25")
LPSC15_CCD_mA_cm2 = _v(0.9, "mA/cm2", "003", "Fig. 3b", "CCD of LPSC1.5",
                       target=_Y3 + "critical_current_density_mA_cm2/LPSC1.5")
LPSC125_LGPS82_CCD_mA_cm2 = _v(1.5, "mA/cm2", "003", "Fig. 3c", "CCD of LPSC1.25 + 20 % LGPS",
                               target=_Y3 + "critical_current_density_mA_cm2/LPSC1.25-82")
LPSC15_LGPS82_CCD_mA_cm2 = _v(1.1, "mA/cm2", "003", "Fig. 3d", "CCD of LPSC1.5 + 20 % LGPS",
                              target=_Y3 + "critical_current_density_mA_cm2/LPSC1.5-82")
LPSC_LGPS73_CCD_mA_cm2 = _v(2.9, "mA/cm2", "003", "Fig. 1d",
                            "CCD of LPSC1.0 + 30 % LGPS (unstable interface)",
                            target=_Y3 + "critical_current_density_mA_cm2/LPSC1.0-73")
LYC_LI_PEAK_V = _v(0.170, "V", "004", "Fig. 2", "Li|LYC|Li peak overpotential at 0.2 mA/cm2",
                   target=_Y4 + "symmetric_0.2mA_cm2/li/peak_overpotential_mV")
LYC_LI_PEAK_H = _v(24.0, "h", "004", "Fig. 2", "time of the Li|LYC|Li peak",
                   target=_Y4 + "symmetric_0.2mA_cm2/li/peak_hours")
LYC_LIIN_INITIAL_V = _v(0.150, "V", "004", "Fig. 2", "Li-In|LYC|Li-In initial overpotential at 0.2 mA/cm2",
                        target=_Y4 + "symmetric_0.2mA_cm2/li_in/initial_overpotential_mV")
LYC_LIIN_STEADY_V = _v(0.060, "V", "004", "Fig. 2", "Li-In|LYC|Li-In settled overpotential at 0.2 mA/cm2",
                       target=_Y4 + "symmetric_0.2mA_cm2/li_in/steady_overpotential_mV")

#: every value above by name
SEED_VALUES: dict[str, SeedValue] = {name: value for name, value in globals().items()
                                     if isinstance(value, SeedValue)}


def values(*names: str) -> tuple:
    """The plain values of several entries, e.g. ``values("LPSC_SIGMA_S_cm", "LGPS_SIGMA_S_cm")``."""
    return tuple(SEED_VALUES[name].value for name in names)


def table() -> list[dict]:
    """One row per value (name, value, unit, seed, source, kind, what), e.g. for a report."""
    return [{"name": name, **{f.name: getattr(v, f.name) for f in dataclasses.fields(v)}}
            for name, v in SEED_VALUES.items()]
