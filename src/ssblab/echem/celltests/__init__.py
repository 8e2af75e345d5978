"""Cell-test analysis of cycler data: cycling summaries, shorts, CCD, symmetric cells, GITT.

- :mod:`.cycling`: step tables and :func:`summarise` (capacity, CE, retention per cycle).
- :mod:`.short`: :func:`detect_short` in full-cell cycling.
- :mod:`.ccd`: :func:`analyse_ccd`, the critical current density of a measured staircase.
- :mod:`.symmetric`: :func:`analyse_symmetric`, Li|SE|Li plating/stripping tests.
- :mod:`.gitt`: :func:`analyse_gitt`, diffusion coefficients from GITT pulses.
- :mod:`.evidence`: the measured noise floor and sustained-run helpers every call rests on.
- :mod:`.synthetic`: seeded synthetic cycler traces with known answers, for tests and examples.
"""

from ssblab.echem.celltests.ccd import CCDAnalysis, analyse_ccd, ccd_protocol
from ssblab.echem.celltests.cycling import CycleSummary, summarise
from ssblab.echem.celltests.gitt import GITTResult, analyse_gitt
from ssblab.echem.celltests.short import ShortDetection, detect_short
from ssblab.echem.celltests.symmetric import SymmetricResult, analyse_symmetric

__all__ = ["CCDAnalysis", "CycleSummary", "GITTResult", "ShortDetection", "SymmetricResult",
           "analyse_ccd", "analyse_gitt", "analyse_symmetric", "ccd_protocol", "detect_short",
           "summarise"]
