"""Structural models: tilt grain boundaries, reduced-density cells, metal/electrolyte interfaces."""

import json
import math

import numpy as np
import pytest

pytest.importorskip("pymatgen")
pytest.importorskip("ase")

from click.testing import CliRunner  # noqa: E402

from ssblab.cli import main  # noqa: E402
from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.models import (  # noqa: E402
    interface_model,
    mirror_grain_boundary,
    reduced_density_model,
    tilt_grain_boundary,
)
from ssblab.materials.structures import load_structure  # noqa: E402

CHARGES = {"Li": 1, "In": 3, "Cl": -1}


@pytest.fixture(scope="module")
def licl():
    return load_structure("LiCl", kind="pymatgen")


def csl_sigma_cubic(h, k, l):  # noqa: E741 (Miller indices)
    """Sigma of a symmetric tilt boundary on (hkl) in a cubic lattice: h^2 + k^2 + l^2 with the
    factors of 2 divided out (Ranganathan 1966)."""
    s = h * h + k * k + l * l
    while s % 2 == 0:
        s //= 2
    return s


def heights(structure):
    lat = structure.lattice
    h = lat.volume / np.linalg.norm(np.cross(*lat.matrix[:2]))
    return (structure.frac_coords[:, 2] % 1.0) * h, h


def nearest_distances(structure):
    d = structure.distance_matrix + np.eye(len(structure)) * 1e9
    return d.min(axis=1)


@pytest.fixture(scope="module")
def sigma5(licl):
    return tilt_grain_boundary(licl, sigma=5, rotation_axis=(0, 0, 1), plane=(3, 1, 0))


@pytest.mark.parametrize("sigma,axis,plane,angle_deg", [
    # textbook symmetric tilt angles: 2 atan(1/3) about [001]; 2 atan(1/sqrt 2) about [1-10]
    (5, (0, 0, 1), (3, 1, 0), 2 * math.degrees(math.atan(1 / 3))),
    (3, (1, -1, 0), (1, 1, 1), 2 * math.degrees(math.atan(1 / math.sqrt(2)))),
])
def test_tilt_boundary_geometry(licl, sigma5, sigma, axis, plane, angle_deg):
    a = licl.lattice.a
    before = licl.copy()
    model, res = (sigma5 if sigma == 5 else
                  tilt_grain_boundary(licl, sigma=sigma, rotation_axis=axis, plane=plane))
    assert licl == before  # input untouched
    assert res.sigma == sigma == csl_sigma_cubic(*plane)
    assert res.rotation_angle_deg == pytest.approx(angle_deg, abs=1e-3)
    assert res.mirror_symmetric
    # neutral: rock salt keeps Li = Cl
    sym = [s.specie.symbol for s in model]
    assert sym.count("Li") == sym.count("Cl") and res.net_charge_e == 0
    # nothing closer than the overlap cutoff (0.7 x a/2), and the result says the true minimum
    nn = nearest_distances(model)
    assert nn.min() >= 0.7 * a / 2 and res.min_distance_A == pytest.approx(nn.min())
    # far from both boundary planes the crystal is bulk rock salt: nearest neighbour a/2
    z, h = heights(model)
    dz = np.abs(z[:, None] - np.array(res.gb_positions_A)[None])
    far = np.minimum(dz, h - dz).min(axis=1) > 4.0
    assert far.sum() > 20
    np.testing.assert_allclose(nn[far], a / 2, atol=1e-3)
    # mirror related grains: in the bicrystal before the overlap removal (which takes one
    # atom of each close pair, breaking the mirror) the distances of each species' atoms
    # above and below a boundary plane are the same multiset
    model, res = tilt_grain_boundary(licl, sigma=sigma, rotation_axis=axis, plane=plane,
                                     min_distance_A=0.1)
    z, h = heights(model)
    sym = [s.specie.symbol for s in model]
    z0 = res.gb_positions_A[0]
    for el in ("Li", "Cl"):
        d = z[np.array(sym) == el] - z0
        d = (d + h / 2) % h - h / 2
        up, down = np.sort(d[d > 1e-6]), np.sort(-d[d < -1e-6])
        n = min(len(up), len(down), 10)  # the first layers on each side
        np.testing.assert_allclose(up[:n], down[:n], atol=0.05)
    assert res.net_charge_e == 0
    # the density profile integrates to the atom count, and plots
    dz_bin = res.z_A[1] - res.z_A[0]
    assert res.density_per_A3.sum() * dz_bin * res.gb_area_A2 == pytest.approx(len(model), rel=1e-6)
    assert res.plot().get_xlabel() == "distance along the normal (A)"


def test_coherent_twin_loses_nothing_and_keeps_octahedra(licl):
    model, res = tilt_grain_boundary(licl, sigma=3, rotation_axis=(1, -1, 0), plane=(1, 1, 1))
    assert res.removed == {}
    # the (111) twin of rock salt keeps every ion octahedral with 6 counter-ions at a/2
    d = model.distance_matrix
    assert np.all(np.sum(np.abs(d - licl.lattice.a / 2) < 1e-3, axis=1) == 6)


def test_tilt_boundary_with_a_gap(licl):
    # the gap opens both boundaries of the periodic cell: the stack grows by twice the gap,
    # and the boundary found is the same symmetric twin as without a gap
    closed, res0 = tilt_grain_boundary(licl, sigma=3, rotation_axis=(1, -1, 0), plane=(1, 1, 1))
    opened, res = tilt_grain_boundary(licl, sigma=3, rotation_axis=(1, -1, 0), plane=(1, 1, 1),
                                      gap_A=1.5)
    assert res.rotation_angle_deg == pytest.approx(res0.rotation_angle_deg)
    assert opened.lattice.c - closed.lattice.c == pytest.approx(3.0, abs=1e-6)
    assert len(opened) == len(closed)


def test_tilt_boundary_inputs(licl):
    from ase.build import bulk

    with pytest.raises(InputError, match="does not lie in plane"):
        tilt_grain_boundary(licl, sigma=3, rotation_axis=(1, 1, 0), plane=(1, 1, 1))
    with pytest.raises(InputError, match="Sigma7"):
        tilt_grain_boundary(licl, sigma=7, rotation_axis=(0, 0, 1), plane=(3, 1, 0))
    atoms = bulk("LiCl", "rocksalt", a=5.13, cubic=True)
    model, res = tilt_grain_boundary(atoms, sigma=3, rotation_axis=(1, -1, 0), plane=(1, 1, 1))
    assert isinstance(model, type(atoms)) and len(model) == res.n_atoms
    assert res.to_json() and type(res).from_json(res.to_json()).sigma == 3


def li3incl6_like(licl):
    """A neutral In-containing rock-salt derivative (Li-In-Cl, 3 Li -> In + 2 vacancies)."""
    s = licl * (3, 3, 3)
    li = [i for i, site in enumerate(s) if site.specie.symbol == "Li"]
    rng = np.random.default_rng(5)
    picks = rng.choice(li, 27, replace=False)
    for i in picks[:9]:
        s.replace(int(i), "In")
    s.remove_sites(sorted(int(i) for i in picks[9:]))
    return s


def assert_mirror_profile(model, z0, species, n=10):
    """Distances of each species' atoms above and below the plane z0: the same multiset."""
    z, h = heights(model)
    sym = np.array([s.specie.symbol for s in model])
    for el in species:
        d = (z[sym == el] - z0 + h / 2) % h - h / 2
        up, down = np.sort(d[d > 1e-6]), np.sort(-d[d < -1e-6])
        k = min(len(up), len(down), n)
        np.testing.assert_allclose(up[:k], down[:k], atol=0.05)


def test_mirror_boundary_reproduces_the_coherent_twin(licl):
    # the mirror construction on (111) of rock salt is the Sigma3 coherent twin: nothing
    # removed, every ion octahedral with 6 counter-ions at a/2 (as pymatgen's CSL twin above)
    model, res = mirror_grain_boundary(licl, plane=(1, 1, 1))
    assert res.removed == {} and res.net_charge_e == 0
    d = model.distance_matrix
    assert np.all(np.sum(np.abs(d - licl.lattice.a / 2) < 1e-3, axis=1) == 6)
    assert_mirror_profile(model, res.gb_positions_A[0], ("Li", "Cl"))
    # (310): same boundary area as pymatgen's Sigma5 CSL cell, neutral, no close pair
    model, res = mirror_grain_boundary(licl, plane=(3, 1, 0))
    assert res.gb_area_A2 == pytest.approx(licl.lattice.a ** 2 * math.sqrt(10))
    sym = [s.specie.symbol for s in model]
    assert sym.count("Li") == sym.count("Cl")
    assert nearest_distances(model).min() >= 0.7 * licl.lattice.a / 2


def test_mirror_boundary_on_a_low_symmetry_three_species_cell(licl):
    # pymatgen's CSL generator refuses triclinic/monoclinic cells (Li3InCl6 is C2/m); the
    # mirror route builds them, neutral with In3+ present and no isolated ion
    cell = li3incl6_like(licl)
    with pytest.raises(InputError, match="refuses"):
        tilt_grain_boundary(cell, sigma=5, rotation_axis=(0, 0, 1), plane=(3, 1, 0),
                            oxidation_states=CHARGES)
    model, res = mirror_grain_boundary(cell, plane=(1, 0, 0), expand_times=1,
                                       oxidation_states=CHARGES)
    assert sum(CHARGES[s.specie.symbol] for s in model) == 0 == res.net_charge_e
    assert "In" in model.composition and res.n_atoms == len(model)
    assert nearest_distances(model).min() >= 0.7 * licl.lattice.a / 2
    assert_mirror_profile(model, res.gb_positions_A[0], ("In", "Li", "Cl"))


@pytest.mark.parametrize("density", [0.90, 0.78, 0.66])
@pytest.mark.parametrize("system", ["LiCl", "Li-In-Cl"])
def test_reduced_density_rule(licl, density, system):
    big = licl * (3, 3, 3) if system == "LiCl" else li3incl6_like(licl)
    before = big.copy()
    model, res = reduced_density_model(big, density, oxidation_states=CHARGES, rng=2)
    assert big == before
    from pymatgen.core import Element

    total = big.composition.weight
    # achieved density within one cation-centred unit (heaviest: InCl6 or LiCl6) of the target
    unit = max(Element(el).atomic_mass for el in ("Li", "In") if el in big.composition) + \
        6 * Element("Cl").atomic_mass
    assert abs(model.composition.weight - density * total) <= unit
    assert res.plot().get_ylabel() == "relative mass density"
    assert res.relative_density == pytest.approx(model.composition.weight / total)
    # exactly neutral
    charge = sum(CHARGES[s.specie.symbol] for s in model)
    assert charge == 0 and res.net_charge_e == 0
    # no ion left isolated: each keeps a counter-ion within the bond cutoff (1.25 x a/2)
    cutoff = 1.25 * licl.lattice.a / 2
    q = np.array([CHARGES[s.specie.symbol] for s in model])
    d = model.distance_matrix
    counter = (d < cutoff) & (q[:, None] * q[None] < 0)
    assert counter.any(axis=1).all()
    # a void, not scattered vacancies: the removed cations are the nearest to the void centre
    from ssblab.materials.defects import minimum_image_distances

    r = minimum_image_distances(big.cart_coords, big.lattice.matrix, res.void_centers_A)
    kept = {tuple(np.round(p, 5)) for p in model.cart_coords}
    removed = np.array([tuple(np.round(p, 5)) not in kept for p in big.cart_coords])
    cations = np.flatnonzero([CHARGES[s.specie.symbol] > 0 for s in big])
    k = sum(res.units_removed.values())
    assert k >= 1
    nearest = cations[np.argsort(r[cations], kind="stable")[:k]]
    assert removed[nearest].all()


def test_reduced_density_seeded_and_inputs(licl):
    big = licl * (3, 3, 3)
    a, _ = reduced_density_model(big, 0.8, rng=7)
    b, _ = reduced_density_model(big, 0.8, rng=7)
    c, _ = reduced_density_model(big, 0.8, rng=8)
    assert a == b and a != c
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(big)
    d, res = reduced_density_model(atoms, 0.8, rng=7)  # ASE in, ASE out, same model
    assert len(d) == len(a) == res.n_atoms and hasattr(d, "get_chemical_symbols")
    with pytest.raises(InputError, match="relative_density"):
        reduced_density_model(big, 1.2)
    with pytest.raises(InputError, match="not in the structure"):
        reduced_density_model(big, 0.8, unit_centers=("In",))


@pytest.mark.parametrize("metal,a_metal", [("In", 3.2523), ("Li", 3.5093)])
def test_interface_metal_on_licl(licl, metal, a_metal):
    film = load_structure(metal, kind="pymatgen")
    assert film.lattice.a == pytest.approx(a_metal, abs=1e-3)
    model, res = interface_model(film, licl, metal_layers=2, electrolyte_layers=2, gap_A=2.5,
                                 max_strain=0.05)
    assert max(abs(s) for s in res.strain_principal) <= 0.05
    labels = np.array(model.site_properties["interface_label"])
    sym = np.array([s.specie.symbol for s in model])
    assert set(sym[labels == "film"]) == {metal} and res.n_metal_atoms == np.sum(labels == "film")
    # independent strain check: metal atoms per area in a (001) plane, bulk vs strained;
    # the area stretch of Green-Lagrange principal strains E is prod sqrt(1 + 2E)
    z, h = heights(model)
    zf = np.round(z[labels == "film"], 2)
    planes, per_plane = np.unique(zf, return_counts=True)
    stretch = np.prod([math.sqrt(1 + 2 * e) for e in res.strain_principal])
    bulk_per_A2 = 1 / film.lattice.a ** 2  # one atom per a^2 in each (001) plane (bcc and bct)
    assert per_plane[0] / res.area_A2 == pytest.approx(bulk_per_A2 / stretch, rel=1e-3)
    # layers: 2 unit planes of (001) hold 2 atomic planes each in bcc/bct and in rock salt
    assert len(planes) == res.metal_layers == 4
    assert len(np.unique(np.round(z[labels == "substrate"], 2))) == res.electrolyte_layers == 4
    # metal on one side: starting the cell at the lowest electrolyte atom, all metal lies above
    shifted = (z - z[labels == "substrate"].min()) % h
    assert shifted[labels == "film"].min() > shifted[labels == "substrate"].max()
    # periodic stack: the gap is the shortest metal-electrolyte spacing along the normal on
    # both faces; no overlap anywhere
    assert shifted[labels == "film"].min() - shifted[labels == "substrate"].max() == \
        pytest.approx(2.5, abs=1e-6)
    assert h - shifted[labels == "film"].max() == pytest.approx(2.5, abs=1e-6)
    assert nearest_distances(model).min() >= 2.0
    assert type(res).from_json(res.to_json()).strain_principal == res.strain_principal
    assert res.plot().get_ylabel() == "number density (atoms/nm^3)"


def test_interface_with_vacuum(licl):
    model, res = interface_model(load_structure("In", kind="pymatgen"), licl, metal_layers=1,
                                 electrolyte_layers=1, gap_A=3.0, vacuum_A=12.0)
    labels = np.array(model.site_properties["interface_label"])
    z = model.cart_coords[:, 2]
    # a slab stack: metal above the electrolyte, the gap between them, vacuum above the metal
    assert z[labels == "film"].min() - z[labels == "substrate"].max() == pytest.approx(3.0)
    assert res.vacuum_A == pytest.approx(12.0) and res.gap_A == pytest.approx(3.0)


def test_interface_inputs(licl):
    with pytest.raises(InputError, match="max_strain"):
        interface_model(load_structure("In", kind="pymatgen"), licl, max_strain=0.7)
    with pytest.raises(InputError, match="raise"):
        interface_model(load_structure("Li", kind="pymatgen"), licl, max_strain=0.001,
                        max_area_A2=30)


def test_structure_model_commands(tmp_path):
    from ase.io import read

    runner = CliRunner()
    res = runner.invoke(main, ["structure", "gb", "LiCl", "--sigma", "3", "--axis", "1,-1,0",
                               "--plane", "1,1,1", "--out", str(tmp_path / "gb"),
                               "--json"])
    assert res.exit_code == 0, res.output
    gb = read(tmp_path / "gb" / "model.cif")
    data = json.loads(res.stdout)[0]
    assert data["sigma"] == 3 and len(gb) == data["n_atoms"]
    res = runner.invoke(main, ["structure", "density", "LiCl", "--supercell", "3,3,3",
                               "--relative-density", "0.78", "--model-format",
                               "extxyz", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "relative density, achieved" in res.output and (tmp_path / "out/report.html").exists()
    assert len(read(tmp_path / "out" / "model.extxyz")) < 216
    res = runner.invoke(main, ["structure", "interface", "In", "LiCl", "--gap", "2.5 A",
                               "--out", str(tmp_path / "if")])
    assert res.exit_code == 0, res.output
    assert "metal strain" in res.output
    res = runner.invoke(main, ["structure", "gb", "LiCl", "--sigma", "3", "--axis", "1,1",
                               "--plane", "1,1,1", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "--axis" in res.output
    res = runner.invoke(main, ["structure", "gb", "LiCl", "--plane", "1,1,1", "--out",
                               str(tmp_path / "x")])
    assert res.exit_code == 2 and "--sigma and --axis" in res.output
    res = runner.invoke(main, ["structure", "gb", "LiCl", "--plane", "1,1,1", "--method",
                               "mirror", "--expand", "1", "--model-format", "extxyz",
                               "--out", str(tmp_path / "m")])
    assert res.exit_code == 0 and "mirror (111)" in res.output


def test_li3incl6_framework_models():
    # seed 000's Li3InCl6 site topology (C2/m) from materials.prototypes (on main), with the
    # pristine refinement's vacancies ordered in: mirror boundaries and reduced density work on
    # it; pymatgen's CSL generator refuses it (monoclinic/triclinic)
    prototypes = pytest.importorskip("ssblab.materials.prototypes")
    from ssblab.materials.defects import configuration_structure, order_vacancies

    framework = prototypes.layered_rocksalt_framework(primitive=False)
    order = order_vacancies(framework, {"Li": 0.241, "In": 0.38}, oxidation_states=CHARGES,
                            supercell=(2, 1, 2), n_configurations=1, sweeps=20, rng=0)
    cell = configuration_structure(framework, order, 0)
    assert sum(CHARGES[s.specie.symbol] for s in cell) == 0
    with pytest.raises(InputError, match="refuses"):
        tilt_grain_boundary(cell, sigma=3, rotation_axis=(1, -1, 0), plane=(1, 1, 2),
                            oxidation_states=CHARGES)
    for plane in ((0, 0, 1), (1, 1, 0)):
        model, res = mirror_grain_boundary(cell, plane=plane, expand_times=1,
                                           oxidation_states=CHARGES)
        assert sum(CHARGES[s.specie.symbol] for s in model) == 0 == res.net_charge_e
        assert nearest_distances(model).min() >= 0.7 * nearest_distances(cell).min()
    from pymatgen.core import Element

    model, res = reduced_density_model(cell, 0.78, oxidation_states=CHARGES, rng=0)
    unit = Element("In").atomic_mass + 6 * Element("Cl").atomic_mass  # an InCl6 octahedron
    assert abs(model.composition.weight - 0.78 * cell.composition.weight) <= unit
    assert sum(CHARGES[s.specie.symbol] for s in model) == 0
    assert res.units_removed["In"] >= 1  # InCl6 units go as well as LiCl6
