"""Seed 000 (Li3InCl6): Ea = 0.38 eV (cold pressed) and 0.32 eV (hot pressed) with their
25 C conductivities. Conductivities synthesised from those numbers, with 3 % log-normal noise
(a typical EIS repeatability), must give back Ea within the fit's own 3-sigma band."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from ssblab.echem.impedance.arrhenius import fit_arrhenius
from ssblab.units import BOLTZMANN_eV_K

TARGETS = Path(__file__).resolve().parents[1] / "reference" / "seed_targets.yaml"


@pytest.mark.parametrize("sample", ["cold_0.125GPa", "hot_0.5GPa_250C"])
def test_seed000_activation_energy_recovered(sample):
    seed = yaml.safe_load(TARGETS.read_text())["li3incl6_processing"]
    ea, s25 = seed["activation_energy_eV"][sample], seed["conductivity_25C_S_cm"][sample]
    temperature_K = np.arange(253.15, 354, 10.0)
    rng = np.random.default_rng(2026)
    sigma = (s25 * 298.15 / temperature_K
             * np.exp(-ea / BOLTZMANN_eV_K * (1 / temperature_K - 1 / 298.15))
             * np.exp(rng.normal(0, 0.03, temperature_K.size)))
    fit = fit_arrhenius(temperature_K, sigma)
    assert abs(fit.activation_energy_eV.value - ea) < 3 * fit.activation_energy_eV.stderr
    assert fit.activation_energy_eV.stderr < 0.01
    assert fit.conductivity_25C_S_cm.value == pytest.approx(s25, rel=0.05)


@pytest.mark.parametrize("sample", ["cold_0.125GPa", "hot_0.5GPa_250C"])
def test_seed000_through_spectra(sample):
    """The whole chain: noisy spectra -> automatic fits -> conductivity -> Arrhenius."""
    from ssblab.workflows.demo import PELLET_DIAMETER_cm, PELLET_THICKNESS_cm, seed000_spectra
    from ssblab.workflows.impedance import conductivity_vs_temperature

    seed = yaml.safe_load(TARGETS.read_text())["li3incl6_processing"]
    ea, s25 = seed["activation_energy_eV"][sample], seed["conductivity_25C_S_cm"][sample]
    spectra = seed000_spectra(s25, ea, rng=np.random.default_rng(7), noise_relative=0.01)
    study = conductivity_vs_temperature(spectra, circuit="R0-CPE1", thickness_cm=PELLET_THICKNESS_cm,
                                        area_cm2=np.pi * PELLET_DIAMETER_cm**2 / 4)
    assert study.ok and all(study.fits)
    fitted = study.arrhenius.activation_energy_eV
    assert abs(fitted.value - ea) < max(3 * fitted.stderr, 0.002)
    assert study.arrhenius.conductivity_25C_S_cm.value == pytest.approx(s25, rel=0.01)
