"""Text impedance formats: Gamry ``.DTA``, ZPlot ``.z``, RelaxIS export and generic CSV/TSV.

Each function returns the file's table under the file's own column names; choosing columns
and sign conventions happens in :mod:`ssblab.echem.io.spectra`.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path


from ssblab.echem.io._common import (DataWarning, RawTable, header_names, parse_numeric_block,
                                      read_text)
from ssblab.errors import InputError


def read_gamry(path: str | Path) -> RawTable:
    """The ``ZCURVE`` table of a Gamry ``.DTA`` file (Zimag is stored as the physical Z'').

    An aborted experiment (``EXPERIMENTABORTED``) keeps the points measured before the abort
    and warns with :class:`~ssblab.echem.io.DataWarning`, naming how many points were read.
    """
    where = str(path)
    lines = read_text(Path(path)).splitlines()
    if not lines or lines[0].strip() != "EXPLAIN":
        raise InputError(f"{where}: not a Gamry .DTA file (first line is not 'EXPLAIN')")
    start = next((i for i, line in enumerate(lines) if line.startswith("ZCURVE\t")), None)
    if start is None:
        tables = [line.split("\t")[0] for line in lines if "\tTABLE" in line]
        raise InputError(f"{where}: no impedance table (ZCURVE) in this Gamry file; tables found: "
                         f"{', '.join(tables) or 'none'}")
    end = start + 3
    while end < len(lines) and lines[end].startswith("\t"):
        end += 1
    if end == start + 3:
        raise InputError(f"{where}: the ZCURVE table has no data rows (the file is truncated "
                         "or the run was aborted before the first point)")
    values = parse_numeric_block([line[1:] for line in lines[start + 3:end]], delimiter="\t",
                                 where=where, first_line=start + 4)
    names = header_names(lines[start + 1][1:], delimiter="\t", n_data=values.shape[1],
                         where=where)
    metadata = {"format": "gamry-dta"}
    for line in lines[:start]:
        fields = line.split("\t")
        if len(fields) > 2 and fields[1] in ("LABEL", "QUANT", "POTEN", "IQUANT"):
            metadata[fields[0]] = fields[2]
    if any(line.startswith("EXPERIMENTABORTED\tTOGGLE\tT") for line in lines):
        metadata["aborted"] = True
        final = metadata.get("FREQFINAL", "?")
        warnings.warn(f"{where}: the experiment was aborted; read the {values.shape[0]} points "
                      f"measured before the abort (down to {values[-1, names.index('Freq')]:g} Hz "
                      f"of the planned {final} Hz)" if "Freq" in names else
                      f"{where}: the experiment was aborted", DataWarning, stacklevel=2)
    return RawTable({n: values[:, i] for i, n in enumerate(names)}, where, metadata)


def read_zplot(path: str | Path) -> RawTable:
    """The data of a ZPlot ``.z`` file (``Z''(b)`` is the physical Z'')."""
    where = str(path)
    lines = read_text(Path(path)).splitlines()
    if not lines or not lines[0].startswith("ZPLOT"):
        raise InputError(f"{where}: not a ZPlot file (first line does not start with 'ZPLOT')")
    end = next((i for i, line in enumerate(lines) if line.strip() == "End Comments"), None)
    if end is None:
        raise InputError(f"{where}: no 'End Comments' line before the data (truncated header?)")
    values = parse_numeric_block(lines[end + 1:], delimiter="\t", where=where, first_line=end + 2)
    names = header_names(lines[end - 1].strip(), delimiter="\t", n_data=values.shape[1],
                         where=where)
    metadata = {"format": "zplot"}
    for line in lines[:end]:
        key, _, value = line.partition(":")
        if key.strip() in ("Date", "Time", "Experiment Type"):
            metadata[key.strip()] = value.strip()
    return RawTable({n: values[:, i] for i, n in enumerate(names)}, where, metadata)


def read_relaxis(path: str | Path) -> RawTable:
    """A RelaxIS spectrum export (``Data: Frequency``, ``Data: Z'``, ``Data: Z''`` physical)."""
    where = str(path)
    lines = read_text(Path(path)).splitlines()
    if not lines or not lines[0].startswith("RelaxIS"):
        raise InputError(f"{where}: not a RelaxIS export (first line does not start with "
                         "'RelaxIS')")
    head = next((i for i, text in enumerate(lines) if text.startswith("Data:")), None)
    if head is None:
        raise InputError(f"{where}: no 'Data: ...' header line")
    body = head + 1
    # An optional line of spectrum parameters (DC=..., TM=...) sits between header and data.
    metadata = {"format": "relaxis"}
    while body < len(lines) and not _starts_numeric(lines[body]):
        for key, value in re.findall(r"(\w+)=([-+0-9.eE]+)", lines[body]):
            metadata[key] = float(value)
        body += 1
    values = parse_numeric_block(lines[body:], delimiter="\t", where=where, first_line=body + 1)
    names = header_names(lines[head], delimiter="\t", n_data=values.shape[1], where=where)
    return RawTable({n: values[:, i] for i, n in enumerate(names)}, where, metadata)


def _starts_numeric(line: str) -> bool:
    return bool(re.match(r"\s*[-+]?(\d|\.\d)", line))


def read_delimited(path: str | Path, *, delimiter: str | None = None,
                   header: bool | None = None) -> RawTable:
    """A CSV/TSV table with or without a header line (columns ``column_0``, ... without).

    The delimiter is sniffed (comma, tab, semicolon, spaces) unless given; a header is assumed
    when the first line is not numeric. ``#`` comment lines at the top are skipped.
    """
    where = str(path)
    lines = read_text(Path(path)).splitlines()
    first = 0
    while first < len(lines) and (not lines[first].strip() or
                                  lines[first].lstrip().startswith("#")):
        first += 1
    if first == len(lines):
        raise InputError(f"{where}: the file is empty")
    if header is None:
        # A preamble of text lines (sample name, instrument settings, as Novocontrol writes)
        # before the header: the header is the last text line before the numbers.
        numeric = next((i for i in range(first, len(lines)) if _starts_numeric(lines[i])), first)
        while numeric - 1 > first and not lines[numeric - 1].strip():
            numeric -= 1
        first = max(first, numeric - 1)
    if delimiter is None:
        delimiter = _sniff(lines[first:first + 20], where)
    has_header = not _starts_numeric(lines[first]) if header is None else header
    body = first + 1 if has_header else first
    values = parse_numeric_block(lines[body:], delimiter=delimiter, where=where,
                                 first_line=body + 1)
    if has_header:
        names = header_names(lines[first], delimiter=delimiter, n_data=values.shape[1],
                             where=where)
        names = [n.strip('"') for n in names]
    else:
        names = [f"column_{i}" for i in range(values.shape[1])]
    return RawTable({n: values[:, i] for i, n in enumerate(names)}, where,
                    {"format": "delimited", "header": has_header})


def _sniff(sample: list[str], where: str) -> str | None:
    try:
        return csv.Sniffer().sniff("\n".join(sample), delimiters=",\t;").delimiter
    except csv.Error:
        if all(len(line.split()) > 1 for line in sample if line.strip()):
            return None  # runs of whitespace
        raise InputError(f"{where}: cannot tell the column delimiter (tried comma, tab, "
                         "semicolon and spaces)") from None
