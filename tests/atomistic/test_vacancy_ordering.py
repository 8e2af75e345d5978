"""Vacancy ordering: neutrality rule, Ewald energies against pymatgen, annealing lowers energy."""

import numpy as np
import pytest

pytest.importorskip("pymatgen")

from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.defects import configuration_structure, order_vacancies, vacancy_counts  # noqa: E402
from ssblab.materials.structures import load_structure  # noqa: E402


def test_counts_follow_the_rule_and_stay_neutral():
    charges = {"Li": 1, "In": 3, "Cl": -1}
    # seed 000 pristine: In 38.0 %, Li 24.1 % vacant, no Cl vacancies -> Li4.5In2.5Cl12,
    # the refined Li4.556In2.481Cl12 to the nearest whole atoms of a 96-Cl cell
    sites = {"Li": 48, "In": 32, "Cl": 96}
    c = vacancy_counts(sites, {"Li": 0.241, "In": 0.38}, charges)
    assert sum(charges[e] * (n - c[e]) for e, n in sites.items()) == 0
    assert c == {"Li": 12, "In": 12, "Cl": 0}
    with pytest.raises(InputError, match="cannot be balanced"):
        vacancy_counts({"Li": 4, "Cl": 4}, {}, {"Li": 1.5, "Cl": -1})
    with pytest.raises(InputError, match="impossible"):
        vacancy_counts({"Li": 4, "Cl": 4}, {"Cl": 0.0, "Li": 0.0}, {"Li": 1, "Cl": -2})


def test_licl_schottky_pairs_ordered_below_random():
    from pymatgen.analysis.ewald import EwaldSummation

    licl = load_structure("LiCl", kind="pymatgen")
    res = order_vacancies(licl, {"Li": 0.125, "Cl": 0.125}, oxidation_states={"Li": 1, "Cl": -1},
                          supercell=(2, 2, 2), n_configurations=3, sweeps=30, rng=1)
    assert res.vacancies == {"Li": 4, "Cl": 4}
    # the block-sum energy equals pymatgen's Ewald energy of the actual vacancy structure
    s = configuration_structure(licl, res, 0)
    s.add_oxidation_state_by_element({"Li": 1, "Cl": -1})
    assert len(s) == 56
    assert res.ewald_eV[0] == pytest.approx(EwaldSummation(s).total_energy, rel=1e-6)
    # annealing never ends above its random start (and does better on average)
    assert np.all(res.ewald_eV <= res.random_ewald_eV + 1e-6)
    assert res.ewald_eV.mean() < res.random_ewald_eV.mean()
    # different seeds give different configurations
    assert len({m.tobytes() for m in res.keep}) == 3


@pytest.mark.parametrize("density", [0.90, 0.78, 0.66])
def test_void_models_neutral_at_target_density(density):
    pytest.importorskip("ase")
    from ase.build import bulk

    from ssblab.materials.defects import void_model

    licl = bulk("LiCl", "rocksalt", a=5.13, cubic=True).repeat(3)
    porous = void_model(licl, density, oxidation_states={"Li": 1, "Cl": -1})
    sym = porous.get_chemical_symbols()
    assert sym.count("Li") == sym.count("Cl")  # neutral
    # mass density relative to the dense cell within one formula unit of the target
    assert len(porous) / len(licl) == pytest.approx(density, abs=2 / len(licl))
    # a void, not scattered vacancies: every removed atom is closer to the centre than every
    # kept atom of its species
    center = licl.cell.array.sum(axis=0) / 2
    kept = {tuple(np.round(p, 6)) for p in porous.positions}
    r = np.linalg.norm(licl.positions - center, axis=1)
    removed = np.array([tuple(np.round(p, 6)) not in kept for p in licl.positions])
    for el in ("Li", "Cl"):
        m = np.array(licl.get_chemical_symbols()) == el
        assert r[m & removed].max() <= r[m & ~removed].min() + 1e-9


def test_lgps_partial_occupancies_ordered_neutral_and_low_energy():
    from pymatgen.analysis.ewald import EwaldSummation

    from ssblab.materials.defects import occupancy_structure, order_partial_occupancies

    lgps = load_structure("Li10GeP2S12", kind="pymatgen")
    ox = {"Li": 1, "Ge": 4, "P": 5, "S": -2}
    res = order_partial_occupancies(lgps, oxidation_states=ox, supercell=(1, 1, 2),
                                    n_configurations=2, sweeps=30, rng=0)
    # refined occupancies x sites, rounded per refined site: 22 + 10 + 8 Li, Ge4/P4 on 4d
    assert res.formula == "Ge4 Li40 P8 S48"
    s = occupancy_structure(lgps, res, 1)
    assert s.is_ordered and s.composition.reduced_formula == "Li10Ge(PS6)2"
    s.add_oxidation_state_by_element(ox)
    assert s.charge == pytest.approx(0)
    assert res.ewald_eV[1] == pytest.approx(EwaldSummation(s).total_energy, rel=1e-6)
    assert np.all(res.ewald_eV < res.random_ewald_eV)
    assert not lgps.is_ordered  # input untouched
