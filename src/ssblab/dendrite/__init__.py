"""Phase-field Li dendrite growth in homogeneous and heterogeneous solid electrolytes.

Entry points: :class:`~ssblab.dendrite.phasefield.ElectrodepositionSimulation` (the stepper),
:class:`~ssblab.dendrite.phasefield.PhaseFieldParameters`, the map generators in
:mod:`ssblab.dendrite.electrolyte`, run directories (:func:`~ssblab.dendrite.rundir.start_run`,
:func:`~ssblab.dendrite.rundir.resume_run`), seed 003's study
(:func:`~ssblab.dendrite.studies.conductivity_ratio_study`) and the CCD estimate
(:func:`~ssblab.dendrite.ccd.phasefield_ccd`, :func:`~ssblab.dendrite.ccd.ccd_study`) and the
CCD with dendrite capture by a reactive phase (:func:`~ssblab.dendrite.capture.capture_ccd_study`).
The potential solvers live in :mod:`ssblab.dendrite.solver` and :mod:`ssblab.dendrite.multigrid`
(the default: multigrid CG on NumPy or PyTorch, ``device="cpu" | "cuda"``).
Equations and units: docs/dendrite.md.
"""

from ssblab.dendrite.capture import capture_ccd_study
from ssblab.dendrite.ccd import ccd_study, phasefield_ccd
from ssblab.dendrite.electrolyte import (
                                         ElectrolyteMap,
                                         add_grain_boundaries,
                                         add_voids,
                                         image_map,
                                         particle_map,
                                         uniform_map,
)
from ssblab.dendrite.metrics import GrowthResult, growth_result
from ssblab.dendrite.phasefield import ElectrodepositionSimulation, PhaseFieldParameters
from ssblab.dendrite.rundir import resume_run, start_run
from ssblab.dendrite.studies import conductivity_ratio_study

__all__ = ["ElectrodepositionSimulation", "ElectrolyteMap", "GrowthResult", "PhaseFieldParameters",
           "add_grain_boundaries", "add_voids", "capture_ccd_study", "ccd_study",
           "conductivity_ratio_study", "growth_result", "image_map", "particle_map", "phasefield_ccd",
           "resume_run", "start_run", "uniform_map"]
