"""Electrochemistry layer: lab data from impedance analysers and cyclers.

- :mod:`.spectrum` and :mod:`.cycler_data`: the two data contracts every reader returns.
- :mod:`.io`: instrument readers (:func:`~ssblab.echem.io.read_spectrum`,
  :func:`~ssblab.echem.io.read_cycler`).
- :mod:`.impedance`: circuits, fitting, Kramers-Kronig, conductivity, Arrhenius.
- :mod:`.drt`: distribution of relaxation times.
- :mod:`.celltests`: cycling, shorts, CCD, symmetric cells, GITT.
"""

from ssblab.echem.cycler_data import CyclerData
from ssblab.echem.spectrum import Spectrum

__all__ = ["CyclerData", "Spectrum"]
