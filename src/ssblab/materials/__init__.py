"""Materials: bundled structures, idealised frameworks, orderings, structural models, data.

- :mod:`.structures`: bundled, cited crystal structures (structures/README.md), reading any file.
- :mod:`.prototypes`: idealised frameworks from close packing where no refinement is bundled.
- :mod:`.defects`: vacancy and partial-occupancy orderings (Ewald annealing), seed 000's
  refined compositions.
- :mod:`.substitution`: aliovalent substitution and simulated powder patterns.
- :mod:`.models`: grain boundaries, reduced-density cells, interfaces.
- :mod:`.data`: molar masses, densities, costs and cell-stack energy density.
"""

from ssblab.materials.data import molar_mass_g_mol, stack_energy_density
from ssblab.materials.defects import CompositionSpec, order_partial_occupancies, order_vacancies
from ssblab.materials.prototypes import layered_rocksalt_framework, ordered_configuration
from ssblab.materials.structures import load_structure, read_structure
from ssblab.materials.substitution import substitute, xrd_vs_substitution

__all__ = ["CompositionSpec", "layered_rocksalt_framework", "load_structure", "molar_mass_g_mol",
           "order_partial_occupancies", "order_vacancies", "ordered_configuration", "read_structure",
           "stack_energy_density", "substitute", "xrd_vs_substitution"]
