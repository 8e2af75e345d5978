import pytest

pytest.importorskip("periodictable")

from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.data import (  # noqa: E402
    ELEMENT_PRICES,
    cost_per_kg,
    density_from_cell,
    mass_fractions,
    molar_mass_g_mol,
    stack_energy_density,
)


def test_molar_mass_against_standard_atomic_weights():
    # IUPAC: Li 6.94, In 114.818, Cl 35.45
    assert molar_mass_g_mol("Li3InCl6") == pytest.approx(3 * 6.94 + 114.818 + 6 * 35.45, rel=1e-4)
    assert sum(mass_fractions("Li1.5AlOCl2.5").values()) == pytest.approx(1.0)


def test_density_from_cell_against_handbook_and_seed000():
    # NaCl, a = 5.6402 A, handbook density 2.165 g/cm3
    nacl = density_from_cell("NaCl", formula_units=4, cell_volume_A3=5.6402**3)
    assert nacl == pytest.approx(2.165, rel=2e-3)
    # Li3InCl6 C2/m, Z = 2, V = 425.92 A3 (seed 000 Rietveld)
    lic = density_from_cell("Li3InCl6", formula_units=2, cell_volume_A3=425.92)
    assert lic == pytest.approx(2.716, abs=2e-3)
    with pytest.raises(InputError):
        density_from_cell("NaCl", formula_units=0, cell_volume_A3=1.0)


def test_cost_is_mass_weighted_and_names_missing_prices():
    r = cost_per_kg("LiCl", prices_usd_kg={"Li": 100.0, "Cl": 1.0})
    w = mass_fractions("LiCl")
    assert r.cost_usd_kg == pytest.approx(100 * w["Li"] + 1 * w["Cl"])
    assert r.sources["Li"] == "caller"
    with pytest.raises(InputError, match="Y"):
        cost_per_kg("Li3YCl6")


def test_seed002_cost_with_cited_prices():
    # seed 002 quotes 19.87 USD/kg for AlOCl-nanoLiCl (Li/Al = 1.5). With the cited element prices the
    # element-weighted cost of Li1.5AlOCl2.5 is ~9 USD/kg: the seed's number is NOT reproduced
    # (docs/validation.md says why); the test pins what the cited table gives.
    cost = cost_per_kg("Li1.5AlOCl2.5").cost_usd_kg
    assert 8.0 < cost < 10.5
    assert ELEMENT_PRICES["Li"][0] == 115.70


def test_stack_energy_density_by_hand():
    r = stack_energy_density([("cathode", 0.006, 3.5), ("separator", 0.003, 2.0), ("Li", 0.002, 0.534)],
                             areal_capacity_mAh_cm2=4.0, mean_voltage_V=3.8)
    mass_g = 0.006 * 3.5 + 0.003 * 2.0 + 0.002 * 0.534
    assert r.energy_density_Wh_kg == pytest.approx(4e-3 * 3.8 / (mass_g * 1e-3))
    assert r.energy_density_Wh_L == pytest.approx(4e-3 * 3.8 / (0.011 * 1e-3))
    with pytest.raises(InputError):
        stack_energy_density([], areal_capacity_mAh_cm2=1, mean_voltage_V=1)
