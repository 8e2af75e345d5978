"""Workflows chain the layers: each takes plain values or results and records every step.

- :mod:`.impedance`: spectra at several temperatures -> fits -> conductivity -> Arrhenius.
- :mod:`.multiscale`: bulk conductivity -> microstructure -> cell -> rate, life and CCD.
- :mod:`.vacancy_md`: refined compositions -> ordered supercells -> MD -> Arrhenius (seed 000).
- :mod:`.demo`: ``make demo``, every layer on bundled files and seed numbers, one report.
"""

from ssblab.workflows.impedance import ConductivityStudy, conductivity_vs_temperature
from ssblab.workflows.multiscale import PipelineResult, multiscale_pipeline, seed000_pipeline
from ssblab.workflows.vacancy_md import VacancyMDStudy, vacancy_md_study

__all__ = ["ConductivityStudy", "PipelineResult", "VacancyMDStudy", "conductivity_vs_temperature",
           "multiscale_pipeline", "seed000_pipeline", "vacancy_md_study"]
