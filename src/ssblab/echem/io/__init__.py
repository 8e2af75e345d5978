"""Instrument readers: impedance spectra and cycler data from the instruments' own files.

- :func:`read_spectrum` / :func:`read_spectra` -> :class:`~ssblab.echem.spectrum.Spectrum`
  from Bio-Logic ``.mpr``/``.mpt``, Gamry ``.DTA``, ZPlot ``.z``, RelaxIS text, VersaStudio
  ``.par``, PalmSens ``.pssession``, Zahner ``.ism``, Eco Chemie ``.dfr``, ``.xlsx`` (extra
  ``xlsx``), ssblab's own ``result.json`` and any text table after a preamble (Novocontrol,
  Autolab, CH Instruments, Parstat, PowerSuite, CSV/TSV); binary formats it does not decode
  are refused with the export to use (``UNSUPPORTED``).
- :func:`read_cycler` -> :class:`~ssblab.echem.cycler_data.CyclerData` from Bio-Logic
  ``.mpr``/``.mpt`` (GCPL, CP, CA, MB, OCV), Neware ``.ndax``/``.nda``/CSV/Excel, Arbin
  ``.res``/CSV, Maccor text, BaSyTec, Novonix, PEC, Gamry ``.DTA`` DC records, Excel, Parquet
  and any delimited text with named columns (``column_map``/``--map`` for the rest).

All readers are vectorised (one ``numpy.frombuffer`` call per binary table; text through
pyarrow's CSV reader, only the columns that are used). A file
that cannot be used raises :class:`~ssblab.errors.InputError` naming the file and the problem;
a file that is usable after dropping rows warns with :class:`DataWarning` naming the rows.
"""

from ssblab.echem.io._common import DataWarning
from ssblab.echem.io.cycler import CYCLE_DEFINITIONS, CYCLER_FORMATS, detect_cycler_format, read_cycler
from ssblab.echem.io.spectra import SPECTRUM_FORMATS, detect_format, read_spectra, read_spectrum

__all__ = ["CYCLER_FORMATS", "CYCLE_DEFINITIONS", "DataWarning", "SPECTRUM_FORMATS",
           "detect_cycler_format", "detect_format", "read_cycler", "read_spectra",
           "read_spectrum"]
