"""Distribution of relaxation times: inversion, kernels, peaks and their physical labels.

- :mod:`.inversion`: :func:`drt` and :func:`drt_series` (regularised non-negative inversion).
- :mod:`.kernel`: analytic kernel matrices on a ln tau grid, cached per frequency set.
- :mod:`.peaks`: peak windows, process suggestions, tracking across a series.
- :mod:`.results`: :class:`DRTResult`, :class:`DRTSeries`, :class:`DRTPeak`.
"""

from ssblab.echem.drt.inversion import DRTOptions, drt, drt_series
from ssblab.echem.drt.results import DRTPeak, DRTResult, DRTSeries

__all__ = ["DRTOptions", "DRTPeak", "DRTResult", "DRTSeries", "drt", "drt_series"]
