"""Bundled CIFs against handbook densities and Bragg positions of their strongest reflections."""

import math

import pytest

pytest.importorskip("pymatgen")

from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.structures import list_structures, load_structure  # noqa: E402

CU_KA_A = 1.54184
# CRC Handbook of Chemistry and Physics densities (g/cm^3) at room temperature
HANDBOOK_DENSITY = {"LiCl": 2.07, "Li": 0.534, "In": 7.31}
# Laue indices whose reflections are the strongest in the ICDD patterns cited in the CIFs
STRONG = {"LiCl": [(1, 1, 1), (2, 0, 0)], "Li": [(1, 1, 0)], "In": [(1, 0, 1)]}


def bragg_two_theta(structure, hkl):
    d = structure.lattice.d_hkl(hkl)
    return 2 * math.degrees(math.asin(CU_KA_A / (2 * d)))


@pytest.mark.parametrize("name", sorted(HANDBOOK_DENSITY))
def test_density_and_strongest_reflections(name):
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    s = load_structure(name, kind="pymatgen")
    assert s.density == pytest.approx(HANDBOOK_DENSITY[name], rel=0.015)
    pattern = XRDCalculator("CuKa").get_pattern(s, two_theta_range=(10, 80))
    top = sorted(range(len(pattern.y)), key=lambda i: -pattern.y[i])[:len(STRONG[name])]
    for i in top:
        hkl = tuple(abs(h) for h in pattern.hkls[i][0]["hkl"])
        assert sorted(hkl) in [sorted(h) for h in STRONG[name]]
        assert pattern.x[i] == pytest.approx(bragg_two_theta(s, hkl), abs=0.05)


def test_ase_reader_and_bad_name():
    atoms = load_structure("LiCl")
    assert len(atoms) == 8 and set(atoms.get_chemical_symbols()) == {"Li", "Cl"}
    assert "LiCl" in list_structures()
    with pytest.raises(InputError, match="did you mean 'LiCl'"):
        load_structure("LiCI")
