"""Batched MD: N cells together follow the N single runs; NVE conserves energy; exact resume.

The single runs are ``md.start`` driving ASE's own ``Langevin`` and ``VelocityVerlet``: an
independent implementation of the same integrators, so agreement to 1e-10 A checks the
vectorised step, the per-cell noise streams and the bookkeeping all at once.
"""

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import bulk  # noqa: E402
from ase.io.trajectory import Trajectory as AseTrajectory  # noqa: E402

from ssblab.atomistic import md  # noqa: E402
from ssblab.atomistic.batch_md import resume_batch, start_batch  # noqa: E402
from ssblab.errors import InputError  # noqa: E402

COMMON = dict(potential="emt", timestep_fs=2.0, production_steps=30, equilibration_steps=10,
              save_interval=2, checkpoint_interval=10)


def cells():
    """Three different cells: two sizes, two elements."""
    return [bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2),        # 32 atoms
            bulk("Al", "fcc", a=4.05, cubic=True).repeat((2, 2, 1)),  # 16 atoms
            bulk("Cu", "fcc", a=3.65, cubic=True).repeat(2)]        # 32 atoms, strained


TEMPS, FRICTIONS, SEEDS = [600.0, 300.0, 900.0], [0.01, 0.01, 0.03], [3, 4, 5]


def frames(run_dir):
    with AseTrajectory(str(run_dir / "trajectory.traj")) as t:
        return np.stack([a.get_positions() for a in t]), np.stack([a.get_momenta() for a in t])


def test_batch_follows_single_runs_and_calls_observers(tmp_path):
    for k, atoms in enumerate(cells()):
        md.start(atoms, tmp_path / f"single{k}", temperature_K=TEMPS[k],
                 friction_per_fs=FRICTIONS[k], rng=SEEDS[k], **COMMON).run_to_end()
    dirs = [tmp_path / f"batch{k}" for k in range(3)]
    batch = start_batch(cells(), dirs, temperatures_K=TEMPS, friction_per_fs=FRICTIONS,
                        rng=SEEDS, **COMMON)
    seen, after_batch = [], []
    batch.runs[1].attach(lambda: seen.append(batch.runs[1].step_count), interval=15)
    batch.attach(lambda: after_batch.append(batch.step_count), interval=20)
    batch.run_to_end()
    assert seen == [15, 30] and after_batch == [20, 40]
    for k in range(3):
        x_single, p_single = frames(tmp_path / f"single{k}")
        x_batch, p_batch = frames(dirs[k])
        assert x_batch.shape == x_single.shape == (15, len(cells()[k]), 3)
        np.testing.assert_allclose(x_batch, x_single, rtol=0, atol=1e-10)
        np.testing.assert_allclose(p_batch, p_single, rtol=0, atol=1e-10)
        log_single = np.loadtxt(tmp_path / f"single{k}" / "log.txt", skiprows=1)[:, :5]
        log_batch = np.loadtxt(dirs[k] / "log.txt", skiprows=1)[:, :5]
        np.testing.assert_allclose(log_batch, log_single, rtol=0, atol=2e-6)  # printed to 1e-6
    # the cells really differ (distinct temperatures and seeds, not one run copied)
    assert not np.allclose(frames(dirs[0])[0], frames(dirs[2])[0], atol=1e-3)
    assert 0.0 <= batch.driver_overhead < 1.0
    assert batch.seconds["potential"] <= batch.seconds["steps"]


def nve_energies(tmp_path, name, timestep_fs, steps):
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    batch = start_batch([atoms, atoms.copy()], [tmp_path / f"{name}0", tmp_path / f"{name}1"],
                        potential="emt", thermostat="nve", temperatures_K=[600.0, 900.0],
                        timestep_fs=timestep_fs, production_steps=steps, save_interval=steps,
                        rng=[1, 2])
    energies = []

    def total():
        energies.append([r.atoms.get_potential_energy() + r.atoms.get_kinetic_energy()
                         for r in batch.runs])

    batch.attach(total)
    batch.run_to_end()
    return np.array(energies) / len(atoms), batch


def test_nve_conserves_energy_to_second_order_and_matches_velocity_verlet(tmp_path):
    fine, _ = nve_energies(tmp_path, "fine", 1.0, 200)
    coarse, batch = nve_energies(tmp_path, "coarse", 2.0, 100)
    spread_fine = fine.max(axis=0) - fine.min(axis=0)
    spread_coarse = coarse.max(axis=0) - coarse.min(axis=0)
    # velocity Verlet is symplectic: no drift, and the energy error shrinks as dt^2
    assert np.all(spread_fine < 2e-4)  # eV/atom over 200 fs
    assert np.all((spread_coarse / spread_fine > 3.5) & (spread_coarse / spread_fine < 4.5))
    # and cell 1 of the coarse batch is ASE's VelocityVerlet driven by md.start
    single = md.start(bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2), tmp_path / "vv",
                      potential="emt", thermostat="nve", temperature_K=900.0, timestep_fs=2.0,
                      production_steps=100, save_interval=100, rng=2).run_to_end()
    np.testing.assert_allclose(batch.runs[1].atoms.positions, single.atoms.positions, rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(batch.runs[1].atoms.get_momenta(), single.atoms.get_momenta(),
                               rtol=0, atol=1e-10)


def test_killed_batch_resumes_exactly_also_cell_by_cell(tmp_path):
    def start(name):
        return start_batch(cells()[:2], [tmp_path / f"{name}{k}" for k in range(2)],
                           temperatures_K=TEMPS[:2], rng=SEEDS[:2], **COMMON)

    start("whole").run_to_end()
    broken = start("broken")
    broken.run(27)  # killed: checkpoint at 20, frames up to 26 on disk
    broken.close()
    resumed = resume_batch([tmp_path / "broken0", tmp_path / "broken1"])
    assert resumed.step_count == 20
    resumed.run_to_end()
    for k in range(2):
        np.testing.assert_allclose(frames(tmp_path / f"broken{k}")[0],
                                   frames(tmp_path / f"whole{k}")[0], rtol=0, atol=1e-10)
    # a batch cell is an ordinary run folder: md.resume continues it alone, identically
    alone = start("alone")
    alone.run(13)
    alone.close()
    md.resume(tmp_path / "alone1").run_to_end()
    np.testing.assert_allclose(frames(tmp_path / "alone1")[0], frames(tmp_path / "whole1")[0],
                               rtol=0, atol=1e-10)
    # ... after which the two cells stand at different steps and do not batch any more
    with pytest.raises(InputError, match="different steps"):
        resume_batch([tmp_path / "alone0", tmp_path / "alone1"])


def test_bad_batches_are_refused_before_anything_is_written(tmp_path):
    two = cells()[:2]
    dirs = [tmp_path / "a", tmp_path / "b"]
    cases = [(dict(thermostat="nose-hoover"), "thermostat: unknown value 'nose-hoover'"),
             (dict(pressure_GPa=1.0), "constant volume"),
             (dict(potential="emtt"), "did you mean 'emt'"),
             (dict(temperatures_K=[300.0]), r"temperatures_K: expected one value or one per cell"),
             (dict(temperatures_K=[300.0, -5.0]), "cell 1"),
             (dict(timestep_fs=500.0), "timestep_fs")]
    for change, message in cases:
        options = {**COMMON, "temperatures_K": 300.0, **change}
        with pytest.raises(InputError, match=message):
            start_batch(two, dirs, **options)
        assert not any(d.exists() for d in dirs), change
    with pytest.raises(InputError, match="own folder"):
        start_batch(two, [tmp_path / "a", tmp_path / "a"], temperatures_K=300.0, **COMMON)
    # cells started apart with other protocols do not batch: the error names both folders
    md.start(two[0], tmp_path / "x", temperature_K=300.0, rng=0, **COMMON).close()
    md.start(two[1], tmp_path / "y", temperature_K=300.0, rng=0,
             **{**COMMON, "timestep_fs": 1.0}).close()
    with pytest.raises(InputError, match=r"y and .*x differ in timestep_fs"):
        resume_batch([tmp_path / "x", tmp_path / "y"])
    # a folder is data: an entry point stored in it is never imported by a batch either
    md.start(two[0], tmp_path / "z", temperature_K=300.0, rng=0,
             **{**COMMON, "potential": "ase.calculators.emt:EMT"}).close()
    with pytest.raises(InputError, match="never imported"):
        resume_batch([tmp_path / "z"])


@pytest.mark.slow
def test_chgnet_batch_equals_chgnet_cell_by_cell(tmp_path):
    """One CHGNet forward pass over two different cells gives each cell's own numbers."""
    pytest.importorskip("chgnet")
    import warnings

    from ssblab.atomistic.batch_md import CHGNetBatch
    from ssblab.atomistic.potentials import get_calculator
    from ssblab.materials.structures import load_structure

    rng = np.random.default_rng(0)
    small = load_structure("LiCl")
    large = load_structure("LiCl").repeat((2, 1, 1))
    for atoms in (small, large):
        atoms.positions += rng.normal(scale=0.05, size=atoms.positions.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch/chgnet UserWarnings are not ours
        batched = CHGNetBatch()
        energies, forces = batched.compute([small, large])
        calc = get_calculator("chgnet")
        for k, atoms in enumerate((small, large)):
            atoms.calc = calc
            assert energies[k] == pytest.approx(atoms.get_potential_energy(), abs=1e-4)
            np.testing.assert_allclose(forces[k], atoms.get_forces(), rtol=0, atol=1e-4)
            assert np.abs(forces[k]).max() > 0.05  # rattled: the forces are not trivially zero
        # and a short batched run follows the single runs (float32 model: to 1e-5 A)
        settings = dict(potential="chgnet", timestep_fs=2.0, production_steps=3,
                        save_interval=1, temperatures_K=600.0, rng=[0, 1])
        batch = start_batch([small, large], [tmp_path / "b0", tmp_path / "b1"],
                            **settings).run_to_end()
        for k, atoms in enumerate((small, large)):
            single = md.start(atoms, tmp_path / f"s{k}", potential="chgnet", timestep_fs=2.0,
                              production_steps=3, save_interval=1, temperature_K=600.0,
                              rng=k).run_to_end()
            np.testing.assert_allclose(batch.runs[k].atoms.positions, single.atoms.positions,
                                       rtol=0, atol=1e-5)
