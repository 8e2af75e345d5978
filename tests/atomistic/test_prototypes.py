"""The ideal layered-rock-salt framework: symmetry, site counts, geometry against seed 000."""

import math

import numpy as np
import pytest

pytest.importorskip("pymatgen")

from pymatgen.symmetry.analyzer import SpacegroupAnalyzer  # noqa: E402

from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.prototypes import layered_rocksalt_framework  # noqa: E402

# pymatgen calls spglib through its deprecated error interface; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Set OLD_ERROR_HANDLING:DeprecationWarning")


def test_c2m_with_the_refined_site_counts_and_volume():
    s = layered_rocksalt_framework(cell_volume_A3=425.92, primitive=False)
    sga = SpacegroupAnalyzer(s, symprec=1e-3)
    assert sga.get_space_group_number() == 12  # C2/m
    sym = sga.get_symmetrized_structure()
    mult = sorted((str(sites[0].specie), len(sites)) for sites in sym.equivalent_sites)
    # seed 000: In on one 4-fold site (4g), Cl on 4i + 8j, 6 Li sites (2 + 4)
    assert mult == [("Cl", 4), ("Cl", 8), ("In", 4), ("Li", 2), ("Li", 4)]
    assert s.volume == pytest.approx(425.92, rel=1e-12)
    prim = layered_rocksalt_framework(cell_volume_A3=425.92)
    assert prim.volume == pytest.approx(425.92 / 2, rel=1e-12)
    assert prim.composition.reduced_formula == s.composition.reduced_formula


def test_ideal_close_packing_distances():
    s = layered_rocksalt_framework(cell_volume_A3=425.92, primitive=False)
    a_c = (425.92 / 3) ** (1 / 3)
    dm = s.distance_matrix + np.eye(len(s)) * 99
    symbols = np.array([site.specie.symbol for site in s])
    cation = symbols != "Cl"
    # every cation octahedral: 6 Cl at a_c / 2
    cl_dist = dm[np.ix_(cation, ~cation)]
    assert np.allclose(np.sort(cl_dist, axis=1)[:, :6], a_c / 2, rtol=1e-9)
    # nearest In-In and Cl-Cl (a_c / sqrt 2) within 3 % of the refined 3.768 / 3.63 A
    inn = dm[np.ix_(symbols == "In", symbols == "In")].min()
    clcl = dm[np.ix_(~cation, ~cation)].min()
    assert inn == pytest.approx(a_c / math.sqrt(2), rel=1e-9)
    assert abs(inn / 3.768 - 1) < 0.03 and abs(clcl / 3.63 - 1) < 0.03


def test_bad_volume():
    with pytest.raises(InputError, match="cell_volume_A3"):
        layered_rocksalt_framework(cell_volume_A3=-1)
