"""Idealised frameworks (C2/m layered rock salt, P-3m1 hcp Li3MCl6, F-43m argyrodite): symmetry,
site counts and geometry against independent truths."""

import math

import numpy as np
import pytest

pytest.importorskip("pymatgen")

from pymatgen.symmetry.analyzer import SpacegroupAnalyzer  # noqa: E402

from ssblab.atomistic.potentials import relax_positions  # noqa: E402
from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.prototypes import (  # noqa: E402
    argyrodite_framework,
    hcp_li3mcl6_framework,
    layered_rocksalt_framework,
    ordered_configuration,
)

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


# ---------------------------------------------------------------- trigonal Li3MCl6 (hcp anions)

A_ER, C_ER = 11.177, 6.036  # Li3ErCl6, Bohnsack et al. 1997 (abstract)


def _p3m1_orbits(frac):
    """Orbit sizes of fractional points under the 12 operations of -3m1 (hexagonal axes)."""
    def ops(p):
        x, y, z = p
        rot = [(x, y, z), (-y, x - y, z), (y - x, -x, z)]
        mirror = [(v, u, -w) for u, v, w in rot]  # the 2-fold along [110]
        proper = rot + mirror
        return [np.array(q) for q in proper] + [-np.array(q) for q in proper]

    key = [tuple(np.round(np.mod(p, 1) * 72).astype(int) % 72) for p in frac]
    seen, sizes = set(), []
    for p in frac:
        images = {tuple(np.round(np.mod(q, 1) * 72).astype(int) % 72) for q in ops(p)}
        images &= set(key)
        if images & seen:
            continue
        seen |= images
        sizes.append(len(images))
    return sorted(sizes)


def test_hcp_framework_is_p3m1_with_the_assumed_sites():
    s = hcp_li3mcl6_framework(a_A=A_ER, c_A=C_ER)
    assert s.composition.as_dict() == {"Li": 12, "Y": 3, "Cl": 18}
    sga = SpacegroupAnalyzer(s, symprec=1e-3)
    assert sga.get_space_group_number() == 164  # P-3m1
    sym = sga.get_symmetrized_structure()
    spglib_orbits = {el: sorted(len(g) for g in sym.equivalent_sites if g[0].specie.symbol == el)
                     for el in ("Y", "Li", "Cl")}
    symbols = np.array([site.specie.symbol for site in s])
    # orbits derived here from the -3m1 operations, independently of spglib
    mine = {el: _p3m1_orbits(s.frac_coords[symbols == el]) for el in ("Y", "Li", "Cl")}
    assert mine == spglib_orbits == {"Y": [1, 2], "Li": [6, 6], "Cl": [6, 6, 6]}
    wyckoff = sorted((g[0].specie.symbol, w) for g, w in
                     zip(sym.equivalent_sites, sym.wyckoff_symbols) if g[0].specie.symbol != "Cl")
    assert wyckoff == [("Li", "6g"), ("Li", "6h"), ("Y", "1a"), ("Y", "2d")]


def test_hcp_octahedra_have_the_ideal_distance():
    s = hcp_li3mcl6_framework(a_A=A_ER, c_A=C_ER)
    a0 = A_ER / 3
    ideal = math.sqrt(a0**2 / 3 + C_ER**2 / 16)  # hole at (0,0,0), anions a0/sqrt3 off, c/4 up
    dm = s.distance_matrix + np.eye(len(s)) * 99
    cl = np.array([site.specie.symbol == "Cl" for site in s])
    six = np.sort(dm[np.ix_(~cl, cl)], axis=1)[:, :7]
    assert np.allclose(six[:, :6], ideal, rtol=1e-9)
    assert np.all(six[:, 6] > ideal + 0.5)  # exactly six: octahedral
    assert s.volume == pytest.approx(math.sqrt(3) / 2 * A_ER**2 * C_ER, rel=1e-12)


@pytest.mark.parametrize("wavelength_A", [1.54056, 1.2398])  # Cu K-alpha1; seed 004's beam
def test_302_bragg_angle_against_the_hexagonal_formula(wavelength_A):
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    s = hcp_li3mcl6_framework(a_A=A_ER, c_A=C_ER)
    pattern = XRDCalculator(wavelength=wavelength_A).get_pattern(s, two_theta_range=(10, 60))
    two_theta = [tt for tt, fams in zip(pattern.x, pattern.hkls)
                 if any(tuple(f["hkl"]) in ((3, 0, -3, 2), (0, 3, -3, 2)) for f in fams)]
    h, k, ell = 3, 0, 2
    d = 1 / math.sqrt(4 / 3 * (h * h + h * k + k * k) / A_ER**2 + ell**2 / C_ER**2)
    assert len(two_theta) == 1
    assert two_theta[0] == pytest.approx(2 * math.degrees(math.asin(wavelength_A / (2 * d))),
                                         abs=1e-6)
    if wavelength_A == 1.2398:
        # seed 004: LYC (302) at about 32.4 deg; the Li3ErCl6 lattice puts it 0.3 deg higher
        assert abs(two_theta[0] - 32.4) < 0.5


def test_stoichiometric_li3ycl6_by_vacancy_ordering():
    fw = hcp_li3mcl6_framework()
    s, result = ordered_configuration(fw, {"Li": 0.25}, n_configurations=2,
                                      oxidation_states={"Li": 1, "Y": 3, "Cl": -1})
    assert s.composition.as_dict() == {"Li": 9, "Y": 3, "Cl": 18}
    assert result.vacancies == {"Li": 3, "Y": 0, "Cl": 0}
    assert np.all(result.ewald_eV <= result.random_ewald_eV + 1e-9)


def test_hcp_bad_lattice():
    with pytest.raises(InputError, match="c_A"):
        hcp_li3mcl6_framework(c_A=0)


# ---------------------------------------------------------------- argyrodite Li6PS5Cl

A_TEST = 9.9  # any cubic lattice parameter: every check below scales with a


def test_argyrodite_is_f43m_with_and_without_li():
    bare = argyrodite_framework(a_A=A_TEST, include_li=False)
    full = argyrodite_framework(a_A=A_TEST)
    for s in (bare, full):
        assert SpacegroupAnalyzer(s, symprec=1e-3).get_space_group_number() == 216
    assert bare.composition.as_dict() == {"P": 4, "S": 20, "Cl": 4}
    sym = SpacegroupAnalyzer(full, symprec=1e-3).get_symmetrized_structure()
    mult = sorted((g[0].specie.symbol, len(g)) for g in sym.equivalent_sites)
    assert mult == [("Cl", 4), ("Li", 48), ("P", 4), ("S", 4), ("S", 16)]


def test_ps4_tetrahedra_have_the_cited_bond():
    s = argyrodite_framework(a_A=A_TEST, include_li=False, p_s_bond_A=2.045)
    symbols = np.array([site.specie.symbol for site in s])
    d = (s.distance_matrix)[np.ix_(symbols == "P", symbols == "S")]
    near = np.sort(d, axis=1)
    assert np.allclose(near[:, :4], 2.045, atol=1e-9)
    # the 4c sulphide is not bonded to P: next S is far (a sqrt(3)/4 = 4.29 A)
    assert np.all(near[:, 4] > 3.5)
    # the four S of one P form a regular tetrahedron: S-S = d sqrt(8/3)
    ss = s.distance_matrix[np.ix_(symbols == "S", symbols == "S")] + np.eye(20) * 99
    assert ss.min() == pytest.approx(2.045 * math.sqrt(8 / 3), rel=1e-9)


def test_ordered_argyrodite_composition_density_and_distances():
    fw = argyrodite_framework(a_A=A_TEST)
    s, _ = ordered_configuration(fw, {"Li": 0.5},
                                 oxidation_states={"Li": 1, "P": 5, "S": -2, "Cl": -1})
    assert s.composition.as_dict() == {"Li": 24, "P": 4, "S": 20, "Cl": 4}
    # IUPAC standard atomic weights, 4 formula units in a^3
    mass_g = 4 * (6 * 6.94 + 30.974 + 5 * 32.06 + 35.45) / 6.02214076e23
    assert s.density == pytest.approx(mass_g / (A_TEST * 1e-8) ** 3, rel=2e-4)
    dm = s.distance_matrix + np.eye(len(s)) * 99
    assert dm.min() > 1.8


def test_relax_positions_moves_only_the_chosen_species():
    from ase.calculators.lj import LennardJones

    fw = argyrodite_framework(a_A=A_TEST)
    s, _ = ordered_configuration(fw, {"Li": 0.5},
                                 oxidation_states={"Li": 1, "P": 5, "S": -2, "Cl": -1})
    calc = LennardJones(sigma=2.4, epsilon=0.1, rc=5.0)
    relaxed, _, steps = relax_positions(s, calculator=calc, max_steps=5)
    li = np.array([x == "Li" for x in relaxed.get_chemical_symbols()])
    start = s.cart_coords
    assert steps >= 1
    assert np.allclose(relaxed.positions[~li], start[~li], atol=1e-12)
    assert np.abs(relaxed.positions[li] - start[li]).max() > 1e-4
    with pytest.raises(InputError, match="species"):
        relax_positions(s, calculator=calc, species=("Na",))


def test_argyrodite_bad_inputs():
    with pytest.raises(InputError, match="a_A"):
        argyrodite_framework(a_A=-1)
    with pytest.raises(InputError, match="p_s_bond_A"):
        argyrodite_framework(a_A=A_TEST, p_s_bond_A=3.0)
