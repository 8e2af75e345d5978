"""Block error bars of KMC diffusivities for one carrier: do the 95 % intervals cover the truth?"""

import numpy as np
import pytest


@pytest.mark.slow
def test_single_carrier_fcc_block_errors_cover_the_exact_diffusivity():
    from ssblab.atomistic.kmc import kmc
    from ssblab.atomistic.transport import diffusion
    from ssblab.units import BOLTZMANN_eV_K as BOLTZMANN_EV_K

    a, n, barrier, temperature = 3.0, 4, 0.2, 600.0
    basis = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    sites = np.array([(b + np.array([i, j, k])) * a for i in range(n) for j in range(n) for k in range(n)
                      for b in basis])
    gamma = 10.0 * np.exp(-barrier / (BOLTZMANN_EV_K * temperature))        # per ps, per neighbour
    exact = gamma * 12 * (a / np.sqrt(2)) ** 2 / 6 * 1e-4                     # cm2/s
    z = []
    for seed in range(30):
        traj = kmc(sites, np.eye(3) * a * n, n_carriers=1, barrier_eV=barrier, temperature_K=temperature,
                   cutoff_A=a / np.sqrt(2) + 0.1, n_samples=2000, rng=seed)
        d = diffusion(traj, mobile="Li", temperature_K=temperature).diffusivity_cm2_s
        z.append((d.value - exact) / d.stderr)
    z = np.array(z)
    # 95 % intervals: at least 25 of 30 (binomial, p = 0.95: P(< 25) = 1.6 %); no wild outlier
    assert np.sum(np.abs(z) < 1.96) >= 25, np.round(z, 1)
    assert np.max(np.abs(z)) < 4.0, np.round(z, 1)
