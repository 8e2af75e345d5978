"""Fast path (BVSE -> site network -> KMC): what the network extraction adds to bvlain, and KMC
throughput against a straightforward reference implementation, on the same inputs.

1. LiCl (and a 2x2x2 LiCl supercell) at several grid spacings: bvlain's landscape
   (``bvse_distribution``) and its percolation search (``percolation_barriers``) vs ssblab's
   ``network_from_grid`` on the same grid (sites, hops, saddles and the percolation energies).
2. KMC hops per second on the LiCl network (2x2x2 supercell at 5 % and 90 % Li occupancy,
   3x3x3 at 90 %):
   ``ssblab.atomistic.kmc.kmc`` vs a plain-Python residence-time loop over neighbour lists
   (the textbook algorithm, same rates, same simulated time).

    python benchmarks/bench_kmc.py
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from ssblab.atomistic.bvse import _landscape, _percolation
from ssblab.atomistic.kmc import kmc
from ssblab.atomistic.network import network_from_grid, replicate
from ssblab.materials.structures import load_structure
from ssblab.units import BOLTZMANN_eV_K


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_network():
    print("== BVSE landscape -> network vs bvlain's percolation search ==")
    print(f"{'structure':12s} {'grid':>12s} {'bvlain grid s':>13s} {'bvlain perc s':>13s} "
          f"{'network s':>9s} {'net/perc':>8s} {'E3D bvlain':>10s} {'E3D net':>8s} {'sites':>5s}")
    licl = load_structure("LiCl")
    for name, atoms, spacing in (("LiCl", licl, 0.3), ("LiCl", licl, 0.2), ("LiCl", licl, 0.1),
                                 ("LiCl 2x2x2", licl.repeat(2), 0.3),
                                 ("LiCl 2x2x2", licl.repeat(2), 0.2)):
        lain, t_grid = timed(lambda: _landscape(atoms, mobile_ion="Li1+", resolution_A=spacing,
                                                r_cut_A=10.0))
        perc, t_perc = timed(lambda: _percolation(lain))
        grid = np.asarray(lain.data)[:-1, :-1, :-1]
        net, t_net = timed(lambda: network_from_grid(grid, np.array(atoms.cell)))
        print(f"{name:12s} {'x'.join(map(str, grid.shape)):>12s} {t_grid:13.2f} {t_perc:13.2f} "
              f"{t_net:9.3f} {t_net / t_perc:8.3f} {perc[2]:10.4f} {net.percolation_eV[2]:8.4f} "
              f"{len(net.sites_A):5d}")


def reference_kmc(sites, neighbours, rates, shifts, n_carriers, t_end_ps, rng):
    """The textbook residence-time loop in plain Python (lists, one carrier at a time)."""
    occupied = [False] * len(sites)
    where = [int(i) for i in rng.choice(len(sites), n_carriers, replace=False)]
    for i in where:
        occupied[i] = True
    position = [list(sites[i]) for i in where]
    t, n_hops = 0.0, 0
    while t < t_end_ps:
        n_hops += 1
        events, total = [], 0.0
        for c, i in enumerate(where):
            for j, r, s in zip(neighbours[i], rates[i], shifts[i]):
                if not occupied[j]:
                    total += r
                    events.append((total, c, j, s))
        t += -math.log(1.0 - rng.random()) / total
        x = rng.random() * total
        lo, hi = 0, len(events) - 1
        while lo < hi:  # bisection on the cumulative rates
            mid = (lo + hi) // 2
            if events[mid][0] > x:
                hi = mid
            else:
                lo = mid + 1
        _, c, j, s = events[lo]
        occupied[where[c]], occupied[j] = False, True
        where[c] = j
        position[c] = [p + d for p, d in zip(position[c], s)]
    return n_hops


def bench_kmc(temperature_K=600.0):
    print(f"\n== KMC throughput (LiCl BVSE network, T = {temperature_K:g} K) ==")
    atoms = load_structure("LiCl")
    lain = _landscape(atoms, mobile_ion="Li1+", resolution_A=0.2, r_cut_A=10.0)
    net = network_from_grid(np.asarray(lain.data)[:-1, :-1, :-1], np.array(atoms.cell),
                            n_li_per_cell=4)
    print(f"{'supercell':>9s} {'Li occupancy':>12s} {'carriers':>8s} {'ssblab hops/s':>13s} "
          f"{'reference hops/s':>16s} {'ratio':>6s}")
    for reps, fraction in ((2, 0.05), (2, 0.9), (3, 0.9)):
        big = replicate(net, (reps,) * 3)
        hop = big.hop_vectors_A
        rate = 10.0 * np.exp(-big.barriers_eV / (BOLTZMANN_eV_K * temperature_K))
        neighbours = [[] for _ in big.sites_A]
        rates = [[] for _ in big.sites_A]
        shifts = [[] for _ in big.sites_A]
        for i, j, r, s in zip(big.src, big.dst, rate, hop):
            neighbours[i].append(int(j))
            rates[i].append(float(r))
            shifts[i].append(tuple(s))
        n_carriers = max(1, round(fraction * big.n_li_per_cell))
        n_samples = 1000
        traj, t_ssb = timed(lambda: kmc(
            big.sites_A, big.cell_A, n_carriers=n_carriers, temperature_K=temperature_K,
            edges=(big.src, big.dst, hop), saddle_eV=big.saddle_eV,
            site_energy_eV=big.site_energy_eV, n_samples=n_samples, rng=0))
        # the reference simulates the same physical time: the same process, so the same number
        # of hops up to noise (counted there); ssblab's 20-hop-per-carrier warm-up is timed too
        t_end = traj.timestep_ps * n_samples
        n_hops, t_ref = timed(lambda: reference_kmc(big.sites_A, neighbours, rates, shifts,
                                                    n_carriers, t_end, np.random.default_rng(0)))
        print(f"{reps:>7d}^3 {fraction:12.2f} {n_carriers:8d} {n_hops / t_ssb:13.0f} "
              f"{n_hops / t_ref:16.0f} {t_ref / t_ssb:6.1f}", flush=True)
    print("(both simulate the same physical time; hops counted in the reference)")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bench_network()
        bench_kmc()
