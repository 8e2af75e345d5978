"""Structural models of seeds 000 and 001: tilt grain boundaries, reduced-density cells, interfaces.

Every builder takes a pymatgen ``Structure`` or an ASE ``Atoms``, returns the model of the same
kind (the input is never modified) and a :class:`~ssblab.results.Result` describing it.

Neutrality rule (shared with :mod:`ssblab.materials.defects`): the model is first built
geometrically (overlapping grain-boundary atoms removed, whole cation-centred units removed);
then the *balance species* absorbs the charge left over, as in
:func:`~ssblab.materials.defects.vacancy_counts`: when the remainder is positive, atoms of the
cation balance species (Li) are removed; when it is negative, atoms of the anion balance species
(Cl); the count is the remainder divided by that species' charge and must be whole. Which atoms
go: the least coordinated first (fewest counter-ions within the bond cutoff), ties broken by
nearness to the defect (grain-boundary plane or void centre), skipping any whose removal would
leave a neighbour with no counter-ion within the bond cutoff; if too few qualify, an InputError
says so. The net charge of every model is exactly zero.

Grain boundaries come from pymatgen's coincidence-site-lattice generator
(``pymatgen.core.interface.GrainBoundaryGenerator``; :func:`tilt_grain_boundary`) or, for the
lattices it refuses (monoclinic Li3InCl6), from a grain and its mirror image
(:func:`mirror_grain_boundary`); interfaces from pymatgen's Zur-McGill lattice matching
(``pymatgen.analysis.interfaces.CoherentInterfaceBuilder``; :func:`interface_model`). All need
pymatgen (``atomistic`` extra) and have no doctests; tests/atomistic/test_models.py checks
them against the CSL formula, textbook tilt angles, mirror symmetry, neutrality and strain.

- :mod:`.grain_boundaries`: :func:`tilt_grain_boundary`, :func:`mirror_grain_boundary`.
- :mod:`.reduced_density`: :func:`reduced_density_model`.
- :mod:`.interfaces`: :func:`interface_model`.
- :mod:`._common`: input kinds, charges, the bond graph, the neutrality rule, density profiles.
"""

from ssblab.materials.models.grain_boundaries import (
                                                     GrainBoundaryResult,
                                                     mirror_grain_boundary,
                                                     tilt_grain_boundary,
)
from ssblab.materials.models.interfaces import InterfaceResult, interface_model
from ssblab.materials.models.reduced_density import ReducedDensityResult, reduced_density_model

__all__ = ["GrainBoundaryResult", "InterfaceResult", "ReducedDensityResult", "interface_model",
           "mirror_grain_boundary", "reduced_density_model", "tilt_grain_boundary"]
