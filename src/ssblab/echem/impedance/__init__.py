"""Impedance analysis: equivalent circuits, fitting, Kramers-Kronig, conductivity, Arrhenius.

- :mod:`.circuits`: the circuit grammar (``"R0-p(R1,CPE1)-CPE2"``) and its impedance.
- :mod:`.fitting`: :func:`fit_circuit` -> :class:`CircuitFit` (no initial guesses needed; ok only
  when the data are described within the noise and the parameters of interest determined).
- :mod:`.auto`: :func:`fit_auto`, ``fit_circuit(spectrum, "auto")``: candidate circuits ranked by BIC.
- :mod:`.batch`: :func:`fit_batch`, one circuit over many spectra, warm-started.
- :mod:`.kk`: :func:`lin_kk`, the linear Kramers-Kronig test.
- :mod:`.conductivity`: pellet conductivity, arcs labelled by the Irvine-Sinclair-West
  capacitance bands (bulk / grain boundary / surface layer / electrode).
- :mod:`.arrhenius`: :func:`fit_arrhenius` of conductivity against temperature.
- :mod:`.simulate`: :func:`simulate_spectrum`, seeded synthetic spectra from a circuit.
"""

from ssblab.echem.impedance.arrhenius import ArrheniusFit, fit_arrhenius
from ssblab.echem.impedance.auto import fit_auto
from ssblab.echem.impedance.batch import BatchFit, fit_batch
from ssblab.echem.impedance.circuits import Circuit, as_circuit
from ssblab.echem.impedance.conductivity import PelletConductivity, pellet_conductivity
from ssblab.echem.impedance.fitting import CircuitFit, fit_circuit
from ssblab.echem.impedance.kk import KKResult, lin_kk
from ssblab.echem.impedance.simulate import simulate_spectrum

__all__ = ["ArrheniusFit", "BatchFit", "Circuit", "CircuitFit", "KKResult", "PelletConductivity",
           "as_circuit", "fit_arrhenius", "fit_auto", "fit_batch", "fit_circuit", "lin_kk",
           "pellet_conductivity", "simulate_spectrum"]
