"""Materials data: molar masses, densities, costs, cell-stack energy density (``data``)."""
