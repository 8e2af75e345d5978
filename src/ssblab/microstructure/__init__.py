"""Microstructure transport: read or generate 3D voxel images, solve conduction, analyse them.

- :mod:`~ssblab.microstructure.io`: TIFF stacks, raw, NumPy, HDF5; thresholds and label maps.
- :mod:`~ssblab.microstructure.generate`: seeded pellets, grain boundaries, two-phase mixtures.
- :mod:`~ssblab.microstructure.solve`: effective conductivity, tortuosity, current fields.
- :mod:`~ssblab.microstructure.analysis`: porosity, phase fractions, surface area, sizes.
- :mod:`~ssblab.microstructure.paths`: field-guided filament paths on a solved volume.
- :mod:`~ssblab.microstructure.studies`: the seed workflows (density study, mixture study).
"""

from ssblab.microstructure.paths import FieldPaths, field_paths
from ssblab.microstructure.solve import ConductionResult, percolating_mask, solve

__all__ = ["ConductionResult", "FieldPaths", "field_paths", "percolating_mask", "solve"]
