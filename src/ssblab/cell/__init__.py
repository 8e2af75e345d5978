"""Cell models: symmetric cells, full cells (rate capability) and cycle life.

- :mod:`.symmetric_model`: Li|SE|Li model (ionic branch, interphases, dendrite short) and its
  CCD staircase (:func:`model_ccd`).
- :mod:`.full`: single-particle full cell with ohmic single-ion layers (:func:`rate_capability`).
- :mod:`.life`: capacity over thousands of cycles (:func:`simulate_life`).
- :mod:`.growth`, :mod:`.kinetics`, :mod:`.parameters`: interphase and dendrite growth laws,
  Butler-Volmer, electrode parameter sets.
- :mod:`.studies`: the seed comparisons run on these models.

Plain numbers in, :class:`~ssblab.results.Result` objects out. Conductivities may be given as
results of other layers (:func:`ssblab.results.conductivity_of`).
"""

from ssblab.cell.full import FullCell, Layer, Protocol, RateResult, cycle, rate_capability
from ssblab.cell.growth import CurrentDrivenGrowth, Interphase, PowerLawGrowth
from ssblab.cell.life import Degradation, LifeResult, simulate_life
from ssblab.cell.symmetric_model import (
                                         ModelCCD,
                                         SymmetricCell,
                                         SymmetricSimulation,
                                         model_ccd,
                                         simulate_symmetric,
)

__all__ = ["CurrentDrivenGrowth", "Degradation", "FullCell", "Interphase", "Layer", "LifeResult",
           "ModelCCD", "PowerLawGrowth", "Protocol", "RateResult", "SymmetricCell", "SymmetricSimulation",
           "cycle", "model_ccd", "rate_capability", "simulate_life", "simulate_symmetric"]
