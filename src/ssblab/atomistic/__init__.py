"""Atomistic Li-ion transport: MD over ASE, diffusion and conductivity, RDFs, NEB barriers.

Modules: :mod:`.transport` (MSD, D, sigma, Haven ratio, Arrhenius; NumPy only),
:mod:`.trajectory` (read any ASE trajectory, unwrapped), :mod:`.md` (run directories with
checkpoint and resume), :mod:`.potentials` (calculators usable offline), :mod:`.structure_analysis`
(RDF, coordination, Li density, jumps), :mod:`.neb` (climbing-image NEB). See docs/atomistic.md.
"""
