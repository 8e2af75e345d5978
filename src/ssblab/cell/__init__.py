"""Cell models: symmetric cells, full cells (rate capability) and cycle life.

Plain numbers in, :class:`~ssblab.results.Result` objects out. Conductivities may be given as
results of other layers (anything with ``sigma_eff_S_cm`` or ``conductivity_S_cm``).
"""
