"""Kinetic Monte Carlo of Li hopping on a site network: D and sigma in seconds, no MD.

Carriers occupy sites (at most one per site) and hop to empty neighbouring sites within
``cutoff_A`` at the Arrhenius rate nu exp(-E_a / kB T) (harmonic transition-state theory), with
E_a from NEB or BVSE (one number, or one per directed edge). Events are chosen by the
rejection-free residence-time algorithm (Bortz-Kalos-Lebowitz / Gillespie). The unwrapped
carrier positions are sampled at a fixed time interval into a :class:`Trajectory`, so the same
:func:`ssblab.atomistic.transport.diffusion` gives tracer and collective D, sigma and the Haven
ratio with block errors. Varying the barrier (lattice expansion, seed 002), the carrier/vacancy
content (seed 000) or T gives the trends MD cannot afford on a CPU.
"""

from __future__ import annotations

import math

import numpy as np

from ssblab.atomistic.transport import Trajectory
from ssblab.errors import InputError
from ssblab.progress import progress
from ssblab.units import BOLTZMANN_eV_K


def site_network(sites_A: np.ndarray, cell_A: np.ndarray, *, cutoff_A: float):
    """Directed neighbour edges (i, j, shift vector in A) between sites closer than ``cutoff_A``."""
    sites = np.asarray(sites_A, float)
    cell = np.asarray(cell_A, float)
    inv = np.linalg.inv(cell)
    d = (sites[None, :, :] - sites[:, None, :]) @ inv
    d -= np.round(d)
    vec = d @ cell
    dist = np.linalg.norm(vec, axis=-1)
    i, j = np.nonzero((dist < cutoff_A) & (dist > 1e-8))
    if len(i) == 0:
        raise InputError(f"cutoff_A: no two sites are closer than {cutoff_A} A; no hops possible")
    return i, j, vec[i, j]


def kmc(sites_A, cell_A, *, n_carriers: int, temperature_K: float, barrier_eV=None,
        cutoff_A: float | None = None, edges=None, saddle_eV=None, site_energy_eV=None,
        n_samples: int = 2000, sample_interval_ps: float | None = None,
        attempt_frequency_THz: float = 10.0, rng: int | np.random.Generator = 0) -> Trajectory:
    """Run KMC and return the carriers' unwrapped positions every ``sample_interval_ps``.

    The hops are ``edges = (src, dst, hop_vector_A)`` (directed, e.g. from
    :func:`ssblab.atomistic.network.replicate`) or, without ``edges``, every pair of sites
    closer than ``cutoff_A`` (:func:`site_network`). Rates are nu exp(-barrier / kB T) with
    ``barrier_eV`` one number or one per directed edge, or, for a landscape with site energies,
    ``barrier = saddle_eV[e] - site_energy_eV[src[e]]``: with one saddle per hop in both
    directions this obeys detailed balance, so the occupations relax to Boltzmann's (with site
    exclusion, the lattice-gas distribution). Without ``sample_interval_ps``, 20 hops per
    carrier are run first (a warm-up that also relaxes the random start) and a sample is taken
    every 5 hops per carrier at the hop rate measured there.

    Examples
    --------
    One carrier on a simple cubic lattice (a = 2 A) hops at Gamma per neighbour, so
    D = Gamma a^2 exactly:

    >>> from ssblab.atomistic.transport import diffusion
    >>> g = np.arange(4) * 2.0
    >>> sites = np.array([[x, y, z] for x in g for y in g for z in g])
    >>> traj = kmc(sites, np.eye(3) * 8.0, n_carriers=1, barrier_eV=0.2, temperature_K=600,
    ...            cutoff_A=2.1, n_samples=4000, rng=1)
    >>> gamma_per_ps = 10.0 * np.exp(-0.2 / (BOLTZMANN_eV_K * 600))
    >>> res = diffusion(traj, mobile="Li", temperature_K=600)
    >>> d = res.diffusivity_cm2_s
    >>> bool(abs(d.value - gamma_per_ps * 4.0 * 1e-4) < 4 * d.stderr)
    True
    """
    rng = np.random.default_rng(rng)
    sites = np.asarray(sites_A, float)
    n_sites = len(sites)
    if not 1 <= int(n_carriers) < n_sites:
        raise InputError(f"n_carriers: expected 1..{n_sites - 1} (at least one empty site), "
                         f"found {n_carriers}")
    if not (math.isfinite(temperature_K) and temperature_K > 0):
        raise InputError(f"temperature_K: expected a positive temperature, found {temperature_K}")
    if edges is None:
        if cutoff_A is None:
            raise InputError("kmc: give the hops (edges=) or a neighbour cutoff_A")
        src, dst, shift = site_network(sites, cell_A, cutoff_A=cutoff_A)
    else:
        src, dst, shift = (np.asarray(edges[0], int), np.asarray(edges[1], int),
                           np.asarray(edges[2], float).reshape(-1, 3))
        if len(src) == 0 or src.max() >= n_sites or dst.max() >= n_sites:
            raise InputError(f"edges: expected hops between sites 0..{n_sites - 1}")
    energy = None if site_energy_eV is None else np.asarray(site_energy_eV, float)
    if (barrier_eV is None) == (saddle_eV is None) or (saddle_eV is not None and energy is None):
        raise InputError("kmc: give either barrier_eV, or saddle_eV with site_energy_eV")
    if saddle_eV is not None:
        barrier = np.asarray(saddle_eV, float) - energy[src]
    else:
        barrier = np.broadcast_to(np.asarray(barrier_eV, float), src.shape)
    if barrier.shape != src.shape:
        raise InputError(f"barrier_eV/saddle_eV: expected one per directed edge ({len(src)}), "
                         f"found {barrier.shape}")
    rate = attempt_frequency_THz * np.exp(-barrier / (BOLTZMANN_eV_K * temperature_K))  # 1/ps
    # padded neighbour tables: row = site, column = its k-th outgoing hop (rate 0 = padding)
    degree = np.bincount(src, minlength=n_sites)
    width = int(degree.max())
    slot = np.zeros_like(src)
    order = np.argsort(src, kind="stable")
    first = np.concatenate(([0], np.cumsum(degree)[:-1]))
    slot[order] = np.arange(len(src)) - first[src[order]]
    nbr = np.zeros((n_sites, width), int)
    nrate = np.zeros((n_sites, width))
    nshift = np.zeros((n_sites, width, 3))
    nbr[src, slot], nrate[src, slot], nshift[src, slot] = dst, rate, shift
    occupied = np.zeros(n_sites, bool)
    where = rng.choice(n_sites, int(n_carriers), replace=False)
    occupied[where] = True
    carrier_at = np.full(n_sites, -1)
    carrier_at[where] = np.arange(int(n_carriers))
    position = sites[where].copy()
    # rates kept current per carrier (row) and hop (column; onto an occupied site: 0), with row
    # totals: an event is a carrier by its total, then one of its hops; a hop only changes the
    # rows of the carriers on sites with a hop into the two sites it touches (CSR table)
    crate = nrate[where] * ~occupied[nbr[where]]
    ctotal = crate.sum(axis=1)
    pairs = np.unique(np.column_stack([dst, src]), axis=0)  # (site, a site hopping into it)
    in_ptr = np.concatenate(([0], np.cumsum(np.bincount(pairs[:, 0], minlength=n_sites))))
    in_site = pairs[:, 1]

    def draw():
        """Cumulative carrier totals and the waiting time to the next hop."""
        cumulative = np.cumsum(ctotal)
        total = cumulative[-1]
        if not total > 0:
            raise InputError("KMC: no allowed hop (every neighbour of every carrier is occupied)")
        return cumulative, total, rng.exponential(1.0 / total)

    def hop(cumulative, total):
        x = rng.random() * total
        c = min(int(np.searchsorted(cumulative, x, side="right")), len(cumulative) - 1)
        row = np.cumsum(crate[c])
        x -= cumulative[c - 1] if c else 0.0
        col = min(int(np.searchsorted(row, x, side="right")), width - 1)
        while crate[c, col] == 0.0:  # round-off past the last allowed hop of the row
            col -= 1
        origin = where[c]
        target = nbr[origin, col]
        occupied[origin], occupied[target] = False, True
        carrier_at[origin], carrier_at[target] = -1, c
        position[c] += nshift[origin, col]
        where[c] = target
        nb = np.concatenate((in_site[in_ptr[origin]:in_ptr[origin + 1]],
                             in_site[in_ptr[target]:in_ptr[target + 1]]))
        rows = carrier_at[nb]
        rows = np.append(rows[rows >= 0], c)
        at = where[rows]
        crate[rows] = nrate[at] * ~occupied[nbr[at]]
        ctotal[rows] = crate[rows].sum(axis=1)

    if sample_interval_ps is None:
        # warm-up (also relaxes the random start): 20 hops per carrier, then one sample every
        # 5 hops per carrier at the rate measured, whatever sites the carriers fill
        n_warm, elapsed = 20 * int(n_carriers), 0.0
        for _ in range(n_warm):
            cumulative, total, dt = draw()
            hop(cumulative, total)
            elapsed += dt
        sample_interval_ps = 5.0 * int(n_carriers) * elapsed / n_warm
        position = sites[where].copy()
    samples = np.empty((int(n_samples), int(n_carriers), 3))
    t, next_sample, k = 0.0, 0.0, 0
    bar = iter(progress(range(int(n_samples)), total=int(n_samples), desc="KMC"))
    while k < n_samples:
        cumulative, total, dt = draw()
        while k < n_samples and next_sample <= t + dt:
            samples[k] = position
            k += 1
            next(bar, None)
            next_sample += sample_interval_ps
        t += dt
        hop(cumulative, total)
    return Trajectory(samples, cell_A=np.asarray(cell_A, float), symbols=("Li",) * int(n_carriers),
                      timestep_ps=float(sample_interval_ps), source="kmc")
