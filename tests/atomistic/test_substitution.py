"""Aliovalent substitution (seed 004's rule) and the XRD study, against pymatgen's own numbers."""

import numpy as np
import pytest

pytest.importorskip("pymatgen")

from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.structures import load_structure  # noqa: E402
from ssblab.materials.substitution import (  # noqa: E402
    XRDSubstitution,
    substitute,
    substituted_structure,
    xrd_vs_substitution,
)
from ssblab.results import Result  # noqa: E402

CHARGES = {"Li": 1, "Cl": -1, "In": 3}


def test_in_on_li_sites_is_neutral_and_ewald_matches_pymatgen():
    from pymatgen.analysis.ewald import EwaldSummation

    licl = load_structure("LiCl", kind="pymatgen")
    res = substitute(licl, 0.2, oxidation_states=CHARGES, supercell=(2, 2, 2),
                     n_configurations=3, sweeps=40, rng=3)
    # 32 formula units: round(0.2 * 32) = 6 In, each with 2 extra Li vacancies (3 Li -> 1 In)
    assert res.formula == "Li14 In6 Cl32" and res.x == pytest.approx(6 / 32)
    assert res.dopant_sites.shape == (3, 6) and res.vacant_sites.shape == (3, 12)
    s = substituted_structure(licl, res, 1)
    assert s.composition.reduced_formula == "Li7In3Cl16"
    s.add_oxidation_state_by_element(CHARGES)
    assert s.charge == pytest.approx(0)
    # the quadratic-form energy equals pymatgen's Ewald energy of the actual structure
    assert res.ewald_eV[1] == pytest.approx(EwaldSummation(s).total_energy, rel=1e-6)
    assert np.all(res.ewald_eV <= res.random_ewald_eV + 1e-6)
    assert len({tuple(sorted(d)) for d in res.dopant_sites}) > 1  # seeds differ
    # the input structure is untouched
    assert licl.composition.reduced_formula == "LiCl" and len(licl) == 8


def test_fundamental_reflection_follows_the_average_structure():
    """For a reflection of the parent cell, every ordering scatters like the average crystal.

    The supercell structure factor of a parent reflection sums the scattering factors over the
    cation sites, so it equals that of the parent with Li(1-3x)In(x) partial occupancy, which
    pymatgen computes independently; ordering cannot change it (zero spread). On rock salt
    F(111) = 4 (f_cation - f_Cl): heavy In on the cation sites shrinks it, so I(111)/I(max)
    falls with x.
    """
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    licl = load_structure("LiCl", kind="pymatgen")
    res = xrd_vs_substitution(licl, (0.0, 0.1, 0.2), hkl=(1, 1, 1), oxidation_states=CHARGES,
                              supercell=(2, 2, 2), n_configurations=2, sweeps=20, rng=0)
    assert res.target_two_theta_deg == pytest.approx(30.18, abs=0.01)
    mean, std = res.mean_std()
    for x, m, s in zip(res.x, mean, std):
        avg = licl.copy()
        avg.replace_species({"Li": {"Li": 1 - 3 * x, "In": x}} if x else {"Li": "Li"})
        p = XRDCalculator("CuKa").get_pattern(avg, scaled=True, two_theta_range=(10, 80))
        i = int(np.argmin(np.abs(np.asarray(p.x) - res.target_two_theta_deg)))
        assert m == pytest.approx(p.y[i], abs=1e-6)
        assert s == pytest.approx(0, abs=1e-6)
    assert np.all(np.diff(mean) < 0)
    again = Result.from_json(res.to_json())
    assert isinstance(again, XRDSubstitution) and again.mean_std()[0] == pytest.approx(mean)
    assert res.profiles.shape == (3, len(res.two_theta_deg))


def test_bad_inputs_are_named():
    licl = load_structure("LiCl", kind="pymatgen")
    with pytest.raises(InputError, match="expected 0 <= x"):
        substitute(licl, 0.4, oxidation_states=CHARGES)
    with pytest.raises(InputError, match="whole, non-negative"):
        substitute(licl, 0.25, oxidation_states={**CHARGES, "In": 2.5})
    with pytest.raises(InputError, match="missing"):
        substitute(licl, 0.25, oxidation_states={"Li": 1, "In": 3})
    with pytest.raises(InputError, match="partial occupancies"):
        substitute(load_structure("Li10GeP2S12", kind="pymatgen"), 0.1,
                   oxidation_states={"Li": 1, "Ge": 4, "P": 5, "S": -2, "In": 3})
    with pytest.raises(InputError, match="outside"):
        xrd_vs_substitution(licl, (0.0,), hkl=(1, 1, 1), oxidation_states=CHARGES,
                            two_theta_range_deg=(40, 80))
    none = substitute(licl, 0.0, oxidation_states=CHARGES, n_configurations=4)
    assert none.dopant_sites.shape == (1, 0) and none.formula == "Li4 In0 Cl4"


def test_host_labels_confine_dopants_and_vacancies():
    licl = load_structure("LiCl", kind="pymatgen")
    li = [i for i, s in enumerate(licl) if s.specie.symbol == "Li"]
    licl[li[0]].label = "LiA"  # one of the four Li sites of the cell becomes its own orbit
    res = substitute(licl, 0.0625, oxidation_states=CHARGES, supercell=(2, 2, 2),
                     host_labels=["LiA"], n_configurations=2, sweeps=20, rng=1)
    used = np.hstack([res.dopant_sites, res.vacant_sites])  # one row per configuration
    assert used.shape == (2, 6) and all(len(set(row)) == 6 for row in used)
    # geometry, not bookkeeping: the images of the LiA site (0, 0, 0) are the supercell sites
    # with fractional coordinates in {0, 1/2}
    assert np.allclose(licl[li[0]].frac_coords, 0)
    big = licl * (2, 2, 2)
    for i in used.ravel():
        assert np.allclose((2 * big[int(i)].frac_coords + 1e-9) % 1, 0, atol=1e-6)
    with pytest.raises(InputError, match="not Li site labels"):
        substitute(licl, 0.0625, oxidation_states=CHARGES, host_labels=["Li6h"])
