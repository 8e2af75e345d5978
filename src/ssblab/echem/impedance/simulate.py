"""Synthetic impedance spectra from a circuit, with seeded noise, for tests and examples."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ssblab.echem.impedance.circuits import Circuit, as_circuit
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError


def simulate_spectrum(circuit: str | Circuit, parameters: Mapping[str, float], frequency_Hz, *,
                      noise_relative: float = 0.0, rng=None, temperature_K: float | None = None,
                      source: str = "synthetic") -> Spectrum:
    """The circuit's impedance at ``frequency_Hz`` plus proportional complex Gaussian noise.

    Noise: ``Z + noise_relative * |Z| * (e1 + j e2)`` with independent standard normals, the
    error structure the ``modulus`` weighting assumes.

    Examples
    --------
    >>> import numpy as np
    >>> s = simulate_spectrum("R0-p(R1,C1)", {"R0": 10, "R1": 100, "C1": 1e-6},
    ...                       np.logspace(6, 0, 7))
    >>> round(float(s.impedance_ohm[-1].real), 3)
    110.0
    """
    if noise_relative < 0:
        raise InputError(f"noise_relative must be >= 0, found {noise_relative}")
    circuit = as_circuit(circuit)
    frequency_Hz = np.asarray(frequency_Hz, dtype=float)
    z = circuit.impedance(dict(parameters), frequency_Hz)
    if noise_relative:
        rng = np.random.default_rng(rng)
        z = z + noise_relative * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))
    metadata = {"circuit": circuit.text, "parameters": dict(parameters),
                "noise_relative": noise_relative}
    return Spectrum(frequency_Hz=frequency_Hz, impedance_ohm=z, source=source,
                    temperature_K=temperature_K, metadata=metadata)
