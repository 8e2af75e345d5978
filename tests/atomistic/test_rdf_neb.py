"""RDF against ideal-gas and crystal truths; NEB on a symmetric EMT vacancy hop."""

import math

import numpy as np
import pytest

from ssblab.atomistic.structure_analysis import rdf
from ssblab.atomistic.transport import Trajectory
from ssblab.errors import InputError


def test_ideal_gas_rdf_is_one_and_coordination_matches_density():
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 20, size=(20, 300, 3))
    symbols = ("Li",) * 150 + ("Cl",) * 150
    traj = Trajectory(pos, cell_A=np.eye(3) * 20, symbols=symbols, timestep_ps=0.1)
    res = rdf(traj, ("Li", "Cl"), r_max_A=8.0, n_bins=16)
    g = res.g[0][4:]  # small shells hold few pairs
    assert np.all(np.abs(g - 1) < 0.1)
    rho = 150 / 20**3
    assert res.coordination[0][-1] == pytest.approx(4 / 3 * math.pi * 8**3 * rho, rel=0.03)


def test_time_resolved_rdf_sees_a_shell_form():
    # B atoms start random and end on a shell at 2.8 A around each A atom
    rng = np.random.default_rng(1)
    n_frames, n_a = 40, 8
    centres = np.array([[i, j, k] for i in (2.5, 7.5) for j in (2.5, 7.5) for k in (2.5, 7.5)])
    direction = rng.normal(size=(n_a, 3))
    shell = centres + 2.8 * direction / np.linalg.norm(direction, axis=1, keepdims=True)
    random = rng.uniform(0, 10, size=(n_a, 3))
    frac = np.clip(np.linspace(-1, 2, n_frames), 0, 1)[:, None, None]
    pos_b = (1 - frac) * random + frac * shell
    pos = np.concatenate([np.broadcast_to(centres, (n_frames, n_a, 3)), pos_b], axis=1)
    traj = Trajectory(pos, cell_A=np.eye(3) * 10, symbols=("In",) * n_a + ("S",) * n_a,
                      timestep_ps=0.5)
    res = rdf(traj, ("In", "S"), r_max_A=5.0, n_bins=50, n_windows=4)
    assert res.first_peak_A == pytest.approx(2.8, abs=0.1)
    assert res.first_shell_coordination >= 1.0
    near = (res.r_A > 2.7) & (res.r_A < 2.9)
    # the first window (all random) has no shell; the last (all on the shell) a strong one
    assert res.g[-1][near].max() > 3 * res.g[0][near].max()
    assert res.window_ps.tolist() == [0.0, 5.0, 10.0, 15.0]
    with pytest.raises(InputError, match="half the cell width"):
        rdf(traj, ("In", "S"), r_max_A=6.0)


def test_neb_symmetric_vacancy_hop_emt():
    pytest.importorskip("ase")
    from ase.build import bulk

    from ssblab.atomistic.neb import neb_barrier

    a = 3.61
    cell = bulk("Cu", "fcc", a=a, cubic=True).repeat(2)
    vac = int(np.argmin(np.linalg.norm(cell.positions, axis=1)))
    mover = int(np.argmin(np.linalg.norm(cell.positions - [0, a / 2, a / 2], axis=1)))
    initial = cell.copy()
    del initial[vac]
    final = initial.copy()
    final.positions[mover - (mover > vac)] = cell.positions[vac]
    res = neb_barrier(initial, final, calculator="emt", n_images=3, fmax_eV_A=0.05,
                      max_steps=200, relax_endpoints=False, label="Cu vacancy")
    assert res.ok, res.reason
    # a symmetric hop: the same barrier both ways, the saddle in the middle image
    assert res.barrier_eV == pytest.approx(res.reverse_barrier_eV, abs=0.01)
    assert int(np.argmax(res.energies_eV)) == 2
    assert 0.2 < res.barrier_eV < 2.0


def test_licl_hop_geometry():
    pytest.importorskip("ase")
    from ssblab.atomistic.neb import licl_vacancy_hop

    initial, final, via = licl_vacancy_hop(5.2)
    moved = np.linalg.norm(final.positions - initial.positions, axis=1)
    assert np.count_nonzero(moved > 1e-9) == 1
    assert moved.max() == pytest.approx(5.2 / math.sqrt(2))
    m = int(np.argmax(moved))
    # the tetrahedral site is equidistant from both octahedral sites: a sqrt(3) / 4
    for p in (initial.positions[m], final.positions[m]):
        assert np.linalg.norm(p - via) == pytest.approx(5.2 * math.sqrt(3) / 4)
    with pytest.raises(InputError, match="lattice_A"):
        licl_vacancy_hop(51.0)


def test_jump_counting_matches_planted_hops_and_density_integrates():
    from ssblab.atomistic.structure_analysis import count_jumps, density_grid

    rng = np.random.default_rng(3)
    a = 3.0
    sites = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)], float) * a
    n_atoms, n_frames = 5, 400
    site = rng.choice(len(sites), n_atoms, replace=False)
    planted = 0
    pos = np.empty((n_frames, n_atoms, 3))
    for t in range(n_frames):
        if t and t % 40 == 0:  # every 40 frames one atom hops to a neighbouring free site
            atom = t // 40 % n_atoms
            free = [s for s in range(len(sites)) if s not in site and np.isclose(
                np.linalg.norm(sites[s] - sites[site[atom]]), a)]
            if free:
                site[atom] = free[0]
                planted += 1
        pos[t] = sites[site] + rng.normal(0, 0.25, (n_atoms, 3))  # thermal vibration
    traj = Trajectory(pos, cell_A=np.eye(3) * 3 * a, symbols=("Li",) * n_atoms,
                      timestep_ps=0.05)
    res = count_jumps(traj, sites)
    assert res.n_jumps == planted > 0
    assert np.allclose(res.jump_distance_A, a)
    dens = density_grid(traj, spacing_A=0.5)
    voxel = 9.0**3 / np.prod(dens.density_per_A3.shape)
    assert dens.density_per_A3.sum() * voxel == pytest.approx(n_atoms)
