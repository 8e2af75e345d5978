"""Fast path: landscape -> site network -> KMC, against analytic and independent truths."""

import itertools

import numpy as np
import pytest

from ssblab.atomistic.fastpath import kmc_vs_temperature, network_kmc
from ssblab.atomistic.kmc import kmc
from ssblab.atomistic.network import SiteNetwork, network_from_grid, replicate
from ssblab.errors import InputError
from ssblab.units import BOLTZMANN_eV_K

N = 16  # grid points per axis


def separable_landscape(v_a=0.1, v_b=0.1, w=0.4):
    """E = V(x) + U(y) + U(z): two minima per period along x (E = 0 at x = 0, 0.2 eV at
    x = 1/2), cosine walls of height 2w along y and z."""
    g = np.arange(N) / N
    v = v_a * (1 - np.cos(2 * np.pi * g)) + v_b * (1 - np.cos(4 * np.pi * g))
    u = w * (1 - np.cos(2 * np.pi * g))
    return v[:, None, None] + u[None, :, None] + u[None, None, :], v, u


def test_network_of_separable_landscape_matches_grid_truths():
    energy, v, u = separable_landscape()
    net = network_from_grid(energy, np.diag([6.0, 4.0, 4.0]), min_separation_A=0.5)
    # two sites, at x = 0 (E = 0) and x = 1/2 (E = V(1/2) = 0.2 eV), both on the grid
    order = np.argsort(net.site_energy_eV)
    assert net.site_energy_eV[order].tolist() == pytest.approx([0.0, v[N // 2]])
    assert np.allclose(net.sites_A[order], [[0, 0, 0], [3.0, 0, 0]])
    # every path along x crosses each x-plane (26-neighbour steps change x by one point at
    # most), so the minimax energy along x is max_i min over the plane = max_i V(x_i); across
    # y or z it is U(1/2) = 2w
    assert net.percolation_eV.tolist() == pytest.approx([v.max(), u.max(), u.max()])
    ab = (net.src == order[0]) & (net.dst == order[1])
    assert net.barriers_eV[ab].min() == pytest.approx(v.max())
    ba = (net.src == order[1]) & (net.dst == order[0])
    assert net.barriers_eV[ba].min() == pytest.approx(v.max() - v[N // 2])
    # detailed balance is built in: the saddle of a hop is that of its reverse
    key = {(i, j, tuple(s)): e for i, j, s, e in zip(net.src, net.dst, net.shifts, net.saddle_eV)}
    assert all(key[(j, i, tuple(-np.array(s)))] == e for (i, j, s), e in key.items())


@pytest.mark.slow
def test_kmc_occupations_are_boltzmann_exactly():
    # ring of 4 sites along x (types A, B, A, B with E = 0, 0.05 eV), 2 carriers with site
    # exclusion: the stationary distribution of the 6 configurations is exp(-sum E / kT) / Z
    temp, e_b = 400.0, 0.05
    energy = np.array([0.0, e_b, 0.0, e_b])
    sites = np.array([[i * 2.0, 0, 0] for i in range(4)])
    src = np.array([0, 1, 1, 2, 2, 3, 3, 0])
    dst = np.array([1, 0, 2, 1, 3, 2, 0, 3])
    hop = np.where(((dst - src) % 4 == 1)[:, None], [2.0, 0, 0], [-2.0, 0, 0])
    saddle = np.array([0.2, 0.2, 0.25, 0.25, 0.2, 0.2, 0.25, 0.25])
    beta = 1 / (BOLTZMANN_eV_K * temp)
    configs = list(itertools.combinations(range(4), 2))
    weights = np.array([np.exp(-beta * energy[list(c)].sum()) for c in configs])
    expected_b = sum(w * sum(energy[list(c)] > 0) for w, c in zip(weights, configs)) / weights.sum()
    traj = kmc(sites, np.diag([8.0, 10.0, 10.0]), n_carriers=2, temperature_K=temp,
               edges=(src, dst, hop), saddle_eV=saddle, site_energy_eV=energy, n_samples=8000,
               rng=3)
    index = np.round(traj.positions_A[:, :, 0] / 2.0).astype(int) % 4
    on_b = (energy[index] > 0).sum(axis=1)  # carriers on B sites, per sample
    blocks = on_b.reshape(16, -1).mean(axis=1)
    assert abs(blocks.mean() - expected_b) < 4 * blocks.std(ddof=1) / 4
    # a single energy-blind barrier would give equal occupations: the test can fail
    assert abs(expected_b - 1.0) > 8 * blocks.std(ddof=1) / 4


def test_kmc_d_is_arrhenius_exact_on_single_barrier_network():
    a, barrier = 2.5, 0.3
    steps = np.vstack([np.eye(3, dtype=int), -np.eye(3, dtype=int)])
    cubic = SiteNetwork(cell_A=np.eye(3) * a, sites_A=np.zeros((1, 3)),
                        site_energy_eV=np.zeros(1), src=np.zeros(6, int), dst=np.zeros(6, int),
                        shifts=steps, saddle_eV=np.full(6, barrier), n_li_per_cell=1)
    temps = np.array([300.0, 450.0, 700.0])
    res = kmc_vs_temperature(cubic, temperatures_K=temps, n_carriers=1, n_samples=4000, rng=2)
    exact = 10.0 * np.exp(-barrier / (BOLTZMANN_eV_K * temps)) * a**2 * 1e-4
    z = (res.diffusivity_cm2_s - exact) / res.diffusivity_stderr_cm2_s
    assert np.all(np.abs(z) < 4)
    ea = res.activation_energy_eV
    assert abs(ea.value - barrier) < 3 * ea.stderr and ea.stderr < 0.03
    # the conductivity counts the one carrier in the 4x4x4 supercell (volume 1000 A^3)
    assert res.supercell == (4, 4, 4) and res.occupancy == pytest.approx(1 / 64)


def test_replicate_and_bad_inputs():
    energy, _, _ = separable_landscape()
    net = network_from_grid(energy, np.diag([6.0, 4.0, 4.0]))
    big = replicate(net, (2, 2, 2))
    assert len(big.sites_A) == 16 and np.allclose(big.hop_vectors_A,
                                                  np.tile(net.hop_vectors_A, (8, 1)))
    # every supercell hop ends on the site at (origin + hop vector), modulo the supercell
    frac = (big.sites_A[big.src] + big.hop_vectors_A) @ np.linalg.inv(big.cell_A)
    landed = (frac - np.floor(frac + 1e-9)) @ big.cell_A
    assert np.allclose(landed, big.sites_A[big.dst], atol=1e-9)
    with pytest.raises(InputError, match="too small"):
        network_kmc(net, n_carriers=1, temperature_K=500, supercell=(1, 1, 1))
    with pytest.raises(InputError, match="3-D grid"):
        network_from_grid(energy[0], np.eye(3))
    with pytest.raises(InputError, match="temperatures_K"):
        kmc_vs_temperature(net, temperatures_K=(500,))
    with pytest.raises(InputError, match="saddle_eV"):
        kmc(net.sites_A, net.cell_A, n_carriers=1, temperature_K=500,
            edges=(net.src, net.dst, net.hop_vectors_A), saddle_eV=net.saddle_eV)


@pytest.mark.slow
def test_licl_bvse_network_against_bvlain_and_kmc():
    pytest.importorskip("bvlain")
    from ssblab.atomistic.bvse import bvse_network
    from ssblab.materials.structures import load_structure

    net = bvse_network(load_structure("LiCl"), resolution_A=0.3)
    # rock salt: 4 octahedral sites (lowest) and 8 tetrahedral interstitials per cell
    assert len(net.sites_A) == 12 and np.sum(net.site_energy_eV < 1e-9) == 4
    # percolation energies from the network vs bvlain's own bisection (tolerance 0.01 eV)
    assert np.allclose(net.percolation_eV, net.reference_percolation_eV, atol=0.011)
    # dilute KMC on the network: Ea equals the percolating (oct-tet-oct) barrier
    res = kmc_vs_temperature(net, temperatures_K=(300, 450, 700), carrier_fraction=0.1,
                             n_samples=800, rng=0)
    ea = res.activation_energy_eV
    assert abs(ea.value - net.effective_barrier_eV) < 3 * ea.stderr


@pytest.mark.slow
def test_cli_kmc_and_study(tmp_path):
    pytest.importorskip("bvlain")
    import json

    from click.testing import CliRunner

    from ssblab.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["structure", "kmc", "LiCl", "--temperature", "400 K",
                               "--temperature", "600", "--samples", "200", "--resolution", "0.3",
                               "--carrier-fraction", "0.1", "--json"])
    assert res.exit_code == 0, res.output
    network, data = json.loads(res.output)
    assert len(network["sites_A"]) == 12
    assert data["n_carriers"] == round(0.1 * 32) and len(data["temperatures_K"]) == 2
    res = runner.invoke(main, ["structure", "kmc-study", "--lattice", "5.145", "--lattice", "5.3",
                               "--temperature", "400", "--temperature", "600", "--samples", "200",
                               "--resolution", "0.3", "--out", str(tmp_path / "study")])
    assert res.exit_code == 0, res.output
    assert "seed 002 NEB" in res.output and (tmp_path / "study" / "report.html").exists()
    res = runner.invoke(main, ["structure", "kmc", "LiCl", "--carrier-fraction", "1.5"])
    assert res.exit_code == 2 and "--carrier-fraction" in res.output  # the option, by its CLI name


def test_as_atoms_accepts_files_pymatgen_and_names(tmp_path):
    pytest.importorskip("pymatgen")
    from ase.io import write
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssblab.atomistic.fastpath import as_atoms
    from ssblab.materials.structures import load_structure

    licl = load_structure("LiCl")
    write(tmp_path / "licl.extxyz", licl)
    for given in (licl, "LiCl", tmp_path / "licl.extxyz", AseAtomsAdaptor.get_structure(licl)):
        atoms = as_atoms(given)
        assert atoms.get_chemical_formula() == licl.get_chemical_formula()
        assert np.allclose(atoms.cell, licl.cell)
    copy = as_atoms(licl)
    copy.set_cell(licl.cell * 1.1, scale_atoms=True)
    assert not np.allclose(copy.cell, licl.cell)  # the caller's atoms are not touched
    with pytest.raises(InputError, match="structure"):
        as_atoms(42)


@pytest.mark.slow
def test_seed000_study_on_the_c2m_framework():
    pytest.importorskip("bvlain")
    pytest.importorskip("ssblab.materials.prototypes")  # the C2/m framework (merged separately)
    from ssblab.atomistic.fastpath import seed000_fastpath_study

    study = seed000_fastpath_study(supercell=(1, 1, 1), n_configurations=1,
                                   temperatures_K=(400, 700), resolution_A=0.4, n_samples=300)
    assert len(study.runs) == 2 and "pristine" in study.labels[0]
    for run in study.runs:
        # every Li of the neutral configuration is a carrier; the vacant sites stay in the net
        assert run.n_carriers == run.n_li < run.n_sites
        assert np.isfinite(run.network_barrier_eV)
