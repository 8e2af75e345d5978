"""get_calculator("chgnet") asks the model only for what a run needs, with chgnet's own numbers.

The truth is chgnet's own ASE calculator (``task="efsm"`` on every call) on the same model.
"""

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("chgnet")
pytest.importorskip("ase")
pytestmark = pytest.mark.slow  # CHGNet calls: ~1 s each on a loaded 2-core machine


@pytest.fixture(scope="module")
def calculators():
    import torch
    from chgnet.model.dynamics import CHGNetCalculator

    from ssblab.atomistic.potentials import get_calculator

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a shared CPU one thread is several times faster
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch/chgnet UserWarnings are not ours
        ours = get_calculator("chgnet")
        yield ours, CHGNetCalculator(model=ours.model, use_device="cpu")
    torch.set_num_threads(threads)


def rattled_licl(seed=0):
    from ssblab.materials.structures import load_structure

    atoms = load_structure("LiCl")  # 8 atoms, every one on an inversion centre
    atoms.positions += np.random.default_rng(seed).normal(scale=0.08, size=atoms.positions.shape)
    return atoms


def fresh(calculators):
    """Our calculator with its task reset, so each test starts from energies and forces."""
    ours, stock = calculators
    ours.reset()
    ours.task = "ef"
    return ours, stock


def test_energy_forces_without_stress_then_stress_on_demand(calculators):
    ours, stock = fresh(calculators)
    a, b = rattled_licl(), rattled_licl()
    a.calc, b.calc = ours, stock
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forces = a.get_forces()
        assert "stress" not in ours.results and "magmoms" not in ours.results  # not computed
        assert np.abs(forces).max() > 0.05  # rattled: not trivially zero
        np.testing.assert_allclose(forces, b.get_forces(), rtol=0, atol=1e-10)
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-10)
        # asked for later, the stress is computed, equal to chgnet's own
        np.testing.assert_allclose(a.get_stress(), b.get_stress(), rtol=0, atol=1e-10)
        assert np.abs(b.get_stress()).max() > 1e-4
        assert ours.task == "efs"
        # from then on each call brings the stress along (an NPT step needs no second call)
        a.positions[0, 0] += 0.01
        b.positions[0, 0] += 0.01
        a.get_forces()
        assert "stress" in ours.results and "magmoms" not in ours.results
        np.testing.assert_allclose(a.get_magnetic_moments(), b.get_magnetic_moments(), rtol=0,
                                   atol=1e-10)
        assert ours.task == "efsm"
        # pickles like chgnet's own (multiprocessing users send calculators to workers)
        copy = pickle.loads(pickle.dumps(ours))
        assert type(copy) is type(ours) and copy.task == "efsm"


@pytest.mark.parametrize("pressure_GPa", [None, 2.0])
def test_md_run_follows_chgnet_own_calculator(calculators, tmp_path, pressure_GPa):
    """NVT (energies and forces only) and NPT (the barostat reads the stress) match step for
    step the run on chgnet's own calculator."""
    from ssblab.atomistic import md

    ours, stock = fresh(calculators)
    settings = dict(potential="chgnet", temperature_K=600.0, timestep_fs=2.0, production_steps=4,
                    save_interval=2, rng=3, pressure_GPa=pressure_GPa, pdamp_fs=20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = [md.start(rattled_licl(), tmp_path / name, calculator=calc, **settings).run_to_end()
                for name, calc in (("ours", ours), ("stock", stock))]
    assert ours.task == ("ef" if pressure_GPa is None else "efs")
    mine, theirs = (r.atoms for r in runs)
    np.testing.assert_allclose(mine.positions, theirs.positions, rtol=0, atol=1e-10)
    np.testing.assert_allclose(mine.get_momenta(), theirs.get_momenta(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(mine.cell.array, theirs.cell.array, rtol=0, atol=1e-10)
    start = rattled_licl().cell.array
    if pressure_GPa is None:
        assert np.array_equal(mine.cell.array, start)
    else:
        assert np.abs(mine.cell.array - start).max() > 1e-4  # the barostat moved the cell


def test_cell_relaxation_gets_the_stress(calculators):
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS

    ours, stock = fresh(calculators)
    relaxed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for calc in (ours, stock):
            atoms = rattled_licl()
            atoms.set_cell(atoms.cell * 1.03, scale_atoms=True)  # 3 % stretched: under tension
            atoms.calc = calc
            BFGS(FrechetCellFilter(atoms), logfile=None).run(fmax=1e-3, steps=3)
            relaxed.append(atoms)
    assert ours.task == "efs"
    np.testing.assert_allclose(relaxed[0].positions, relaxed[1].positions, rtol=0, atol=1e-10)
    np.testing.assert_allclose(relaxed[0].cell.array, relaxed[1].cell.array, rtol=0, atol=1e-10)
    assert relaxed[0].get_volume() < rattled_licl().get_volume() * 1.03 ** 3 - 0.1  # it shrank
