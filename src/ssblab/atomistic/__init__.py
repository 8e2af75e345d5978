"""Atomistic Li-ion transport: MD over ASE, diffusion and conductivity, NEB, the BVSE/KMC fast path.

- :mod:`.potentials`: calculators usable offline (:func:`get_calculator`), :func:`relax_positions`.
- :mod:`.md`: MD run directories with checkpoint and exact resume (:func:`start`, :func:`resume`).
- :mod:`.batch_md`: many small cells advanced together, one potential call per step
  (:func:`start_batch`, :func:`resume_batch`).
- :mod:`.trajectory`: read any ASE trajectory, unwrapped (:func:`read_trajectory`).
- :mod:`.transport`: MSD, D, sigma, Haven ratio, Arrhenius (:func:`diffusion`; NumPy only).
- :mod:`.structure_analysis`: RDF, coordination, Li density, jumps.
- :mod:`.neb`: climbing-image NEB barriers (seed 002's LiCl hop, seed 004's In3+ hop).
- :mod:`.bvse`: bond-valence site energy landscapes (bvlain) -> site networks.
- :mod:`.network`: sites = basins, hops = saddles, detailed balance.
- :mod:`.kmc`: residence-time kinetic Monte Carlo on a site network.
- :mod:`.fastpath`: BVSE -> network -> KMC over temperature, vacancy content and lattice scale.

See docs/atomistic.md.
"""

from ssblab.atomistic.batch_md import BatchMD, resume_batch, start_batch
from ssblab.atomistic.bvse import BVSEResult, bvse_network, bvse_vs_strain
from ssblab.atomistic.fastpath import FastPathStudy, fastpath_study, kmc_vs_temperature
from ssblab.atomistic.kmc import kmc
from ssblab.atomistic.md import MDRun, read_run, resume, start
from ssblab.atomistic.neb import NEBResult, neb_barrier
from ssblab.atomistic.network import SiteNetwork
from ssblab.atomistic.potentials import get_calculator, relax_positions
from ssblab.atomistic.structure_analysis import count_jumps, density_grid, rdf
from ssblab.atomistic.trajectory import read_trajectory
from ssblab.atomistic.transport import ArrheniusResult, DiffusionResult, Trajectory, arrhenius, diffusion

__all__ = ["ArrheniusResult", "BVSEResult", "BatchMD", "DiffusionResult", "FastPathStudy", "MDRun",
           "NEBResult", "SiteNetwork", "Trajectory", "arrhenius", "bvse_network", "bvse_vs_strain",
           "count_jumps", "density_grid", "diffusion", "fastpath_study", "get_calculator", "kmc",
           "kmc_vs_temperature", "neb_barrier", "rdf", "read_run", "read_trajectory",
           "relax_positions", "resume", "resume_batch", "start", "start_batch"]
