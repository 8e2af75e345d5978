"""Materials data: bundled, cited crystal structures (``structures``, see structures/README.md)
and molar masses, densities, costs and cell-stack energy density (``data``)."""
