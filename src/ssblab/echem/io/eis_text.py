"""Text impedance formats: Gamry ``.DTA``, ZPlot ``.z``, RelaxIS export, VersaStudio ``.par``,
Eco Chemie ``.dfr`` and any CSV/TSV-like export with a preamble (:func:`read_delimited`).

Each function returns the file's table under the file's own column names; choosing columns
and sign conventions happens in :mod:`ssblab.echem.io.spectra`.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import DataWarning, RawTable, header_names, parse_numeric_block, read_text
from ssblab.errors import InputError


def read_gamry(path: str | Path) -> RawTable:
    """The ``ZCURVE`` table of a Gamry ``.DTA`` file (Zimag is stored as the physical Z'').

    An aborted experiment (``EXPERIMENTABORTED``) keeps the points measured before the abort
    and warns with :class:`~ssblab.echem.io.DataWarning`, naming how many points were read.
    """
    where = str(path)
    text = read_text(Path(path))
    lines = text.splitlines()
    if not lines or lines[0].strip() != "EXPLAIN":
        raise InputError(f"{where}: not a Gamry .DTA file (first line is not 'EXPLAIN')")
    start = next((i for i, line in enumerate(lines) if line.startswith("ZCURVE\t")), None)
    if start is None:
        tables = [line.split("\t")[0] for line in lines if "\tTABLE" in line]
        raise InputError(f"{where}: no impedance table (ZCURVE) in this Gamry file; tables found: "
                         f"{', '.join(tables) or 'none'}")
    end = start + 3
    width = len(lines[start + 1].strip("\t").split("\t")) if start + 1 < len(lines) else 0
    spaced = []  # rows separated by blanks instead of tabs (a file edited by hand): kept
    while end < len(lines):
        if not lines[end].startswith("\t"):
            fields = lines[end].split()
            if not (lines[end][:1].isspace() and len(fields) == width and
                    all(_NUMBER.match(f) for f in fields)):
                break
            lines[end] = "\t" + "\t".join(fields)
            spaced.append(end + 1)
        end += 1
    if end == start + 3:
        raise InputError(f"{where}: the ZCURVE table has no data rows (the file is truncated "
                         "or the run was aborted before the first point)")
    if spaced:
        warnings.warn(f"{where}: {len(spaced)} row(s) of the ZCURVE table (line(s) "
                      f"{_line_ranges(spaced)}) are separated by blanks, not tabs as Gamry "
                      "writes them; read as rows of the table", DataWarning, stacklevel=2)
    block = [line[1:] for line in lines[start + 3:end]]
    if end == len(lines) and not text.endswith("\n"):
        block = _drop_cut_number(block, "\t", where, start + 3)
    values = parse_numeric_block(block, delimiter="\t", where=where, first_line=start + 4)
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


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _line_ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"``."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def read_zplot(path: str | Path) -> RawTable | list[RawTable]:
    """The data of a ZPlot ``.z`` file (``Z''(b)`` is the physical Z''), with or without its
    comment header."""
    where = str(path)
    text = read_text(Path(path))
    lines = text.splitlines()
    if not lines or not lines[0].startswith("ZPLOT"):
        # ZPlot for Windows without the comment header ("ZPlotW Data File", "Z60W Data File"):
        # a preamble, the point count, a quoted header line and comma-separated rows.
        return read_delimited(path)
    end = next((i for i, line in enumerate(lines) if line.strip() == "End Comments"), None)
    if end is None:
        raise InputError(f"{where}: no 'End Comments' line before the data (truncated header?)")
    block = lines[end + 1:] if text.endswith("\n") else \
        _drop_cut_number(lines[end + 1:], "\t", where, end + 1)
    values = parse_numeric_block(block, delimiter="\t", where=where, first_line=end + 2)
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
    text = read_text(Path(path))
    lines = text.splitlines()
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
    block = lines[body:] if text.endswith("\n") else \
        _drop_cut_number(lines[body:], "\t", where, body)
    values = parse_numeric_block(block, delimiter="\t", where=where, first_line=body + 1)
    names = header_names(lines[head], delimiter="\t", n_data=values.shape[1], where=where)
    return RawTable({n: values[:, i] for i, n in enumerate(names)}, where, metadata)


def read_versastudio(path: str | Path) -> list[RawTable]:
    """The data segments of a VersaStudio ``.par`` file: ``<SegmentN>`` blocks whose
    ``Definition=`` line names the comma-separated columns (``Z Imag`` is the physical Z'')."""
    where = str(path)
    lines = read_text(Path(path)).splitlines()
    tables = []
    for k, line in enumerate(lines):
        if not line.startswith("Definition="):
            continue
        end = k + 1
        while end < len(lines) and not lines[end].startswith("</Segment"):
            end += 1
        if end == k + 1:
            continue
        values = parse_numeric_block(lines[k + 1:end], delimiter=",", where=where,
                                     first_line=k + 2)
        names = [n.strip() for n in line.removeprefix("Definition=").split(",")]
        names = header_names(",".join(names[:values.shape[1]]), delimiter=",",
                             n_data=values.shape[1], where=where)
        tables.append(RawTable({n: values[:, i] for i, n in enumerate(names)}, where,
                               {"format": "versastudio-par", "segment_line": k + 1}))
    if not tables:
        raise InputError(f"{where}: no data segment (a 'Definition=' line followed by data) in "
                         "this VersaStudio file")
    return tables


def read_dfr(path: str | Path) -> RawTable:
    """An Eco Chemie (Autolab FRA) ``.dfr`` file: a ``VERSION`` line, the point count, one more
    integer, then nine values a point, one a line: f, Z', -Z'' and six more; a trailer follows.

    The layout was read off a sample whose spectrum is also stored as CSV. The file is refused
    (export it as text) unless the frequencies so read are positive and monotonic.
    """
    where = str(path)
    lines = [line.strip() for line in read_text(Path(path)).splitlines() if line.strip()]
    if not lines or not lines[0].upper().startswith("VERSION"):
        raise InputError(f"{where}: not an Eco Chemie .dfr file (first line is not 'VERSION...')")
    width = 9
    try:
        n_points = int(lines[1])
        values = np.array([float(v) for v in lines[3:3 + width * n_points]])
    except (IndexError, ValueError):
        values, n_points = np.array([]), -1
    if n_points < 3 or values.size != width * n_points:
        raise InputError(f"{where}: the .dfr body is not the point count followed by {width} "
                         "numbers a point, one a line (truncated or another layout); export the "
                         "spectrum as text from the Autolab software instead")
    table = values.reshape(n_points, width)
    step = np.diff(table[:, 0])
    if (table[:, 0] <= 0).any() or not ((step < 0).all() or (step > 0).all()):
        raise InputError(f"{where}: the .dfr layout is not the one ssblab knows (frequencies "
                         "are not positive and monotonic); export the spectrum as text instead")
    return RawTable({"frequency": table[:, 0], "z_real": table[:, 1], "-z_imag": table[:, 2]},
                    where, {"format": "eco-chemie-dfr", "header": True})


def _starts_numeric(line: str) -> bool:
    return bool(re.match(r"\s*[-+]?(\d|\.\d)", line))


def read_delimited(path: str | Path, *, delimiter: str | None = None,
                   header: bool | None = None) -> list[RawTable]:
    """Every numeric table in a text file, after any preamble (instrument exports such as
    Novocontrol/WinDETA, Autolab, CH Instruments, ZPlot without comments, plain CSV/TSV).

    A table is a run of lines that all split into the same number (>= 2) of numbers. Its
    header is the nearest non-empty line above it that splits into as many names (a units
    line under the names is joined to them); without one the columns are ``column_0``, ...
    Blank or text lines between runs of the same width separate sweeps, each returned as its
    own table; a later run without a header of its own takes the previous one's names. The
    delimiter (tab, comma, semicolon or runs of spaces) is found per run unless given; decimal
    commas are read with tab, semicolon and space delimiters.

    A line with the wrong number of fields inside a table is an error naming it; a last line
    cut short (fewer fields, or a last number with fewer characters than any above it and no
    final newline) is dropped with a :class:`~ssblab.echem.io.DataWarning` naming it.
    """
    text = read_text(Path(path))
    return tables_from_lines(text.splitlines(), str(path), delimiter=delimiter, header=header,
                             complete=text.endswith("\n"))


def tables_from_lines(lines: list[str], where: str, *, delimiter: str | None = None,
                      header: bool | None = None, complete: bool = True) -> list[RawTable]:
    """The tables of :func:`read_delimited` from lines of text (also the rows of a
    spreadsheet joined by tabs); ``complete`` says whether the text ended with a newline."""
    if not any(line.strip() for line in lines):
        raise InputError(f"{where}: the file is empty")
    runs = _numeric_runs(lines, delimiter)
    if not runs:
        raise InputError(f"{where}: no table of numbers found (looked for lines of at least two "
                         "numbers separated by tabs, commas, semicolons or spaces)")
    width = max(runs, key=lambda r: r[1] - r[0])[3]
    tables = [run for run in runs if run[3] == width and run[1] - run[0] >= 2]
    if not tables:
        raise InputError(f"{where}: the table of numbers has a single row (line "
                         f"{runs[0][0] + 1}); a spectrum needs several")
    begin = tables[0][0]
    head = _header_above(lines, begin, tables[0][2], width, where) if header is not False else None
    while head is not None and begin > 0 and not lines[begin - 1].strip():
        begin -= 1
    metadata = _preamble_metadata(lines[:begin - 1 if head is not None else begin])
    result: list[RawTable] = []
    names = None
    for number, (begin, end, sep, _) in enumerate(tables):
        block = lines[begin:end]
        if number == len(tables) - 1 and end == len(lines) and not complete:
            block = _drop_cut_number(block, sep, where, begin)
        if any('"' in line for line in block[:50]):
            block = [line.replace('"', "") for line in block]  # quoted numbers ("1", R's row names)
        if any(line.rstrip().rstrip(sep or " ")[-1:] in _SI_FACTOR for line in block) or \
                any(_SI_NUMBER.search(line) for line in block[:50]):
            block = [_si_to_exponent(line, sep) for line in block]
        values = parse_numeric_block(block, delimiter=sep, where=where, first_line=begin + 1)
        found = None if header is False else _header_above(lines, begin, sep, values.shape[1],
                                                          where)
        if found is not None:
            names = found
        elif names is None or len(names) != values.shape[1]:
            names = [f"column_{i}" for i in range(values.shape[1])]
        # (a header whose first name is empty, over pandas' or R's unnamed index column, is a
        # header all the same)
        meta = dict(metadata, format="delimited",
                    header=any(not n.startswith("column_") for n in names),
                    delimiter=sep, lines=(begin + 1, begin + values.shape[0]))
        if number:
            # A temperature line between two sweeps (multi-temperature exports) is the next
            # sweep's; without one the sweep has no temperature of its own.
            meta.pop("temperature_K", None)
            meta.pop("temperature_from", None)
            meta.update(_temperature_line(lines[tables[number - 1][1]:begin]))
        if len(tables) > 1:
            meta["note"] = (f"the file holds {len(tables)} separate tables (sweeps) at lines "
                            + ", ".join(f"{b + 1}-{e}" for b, e, _, _ in tables)
                            + "; each is read as its own spectrum")
        result.append(RawTable({n: values[:, i] for i, n in enumerate(names)}, where, meta))
    return result


_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?[pnuµmkMG]?\s*$")
# A number written with an SI prefix after it, as Zahner's Thales exports write them.
_SI_NUMBER = re.compile(r"([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)([pnuµmkMG])")
_SI_FACTOR = {"p": "e-12", "n": "e-9", "u": "e-6", "µ": "e-6", "m": "e-3", "k": "e3", "M": "e6",
              "G": "e9"}
_STARTS_NUMERIC = re.compile(r"\s*\"?[-+]?(\d|[.,]\d)")


def _fields(line: str, sep: str | None) -> list[str]:
    line = line.rstrip()
    if sep is not None:
        line = line.rstrip(sep) if sep != " " else line
    return [f.strip().strip('"') for f in line.split(sep)]


def _si_to_exponent(line: str, sep: str | None) -> str:
    """'735.948m' -> '735.948e-3' in every field of the line (a field already in exponent
    form with a prefix, '1e-3m', is left for the parser to name)."""
    fields = line.split(sep)
    for i, field in enumerate(fields):
        match = _SI_NUMBER.fullmatch(field.strip())
        if match and "e" not in match.group(1).lower():
            fields[i] = match.group(1) + _SI_FACTOR[match.group(2)]
    return (sep or " ").join(fields)


def _split_numbers(line: str, sep: str | None) -> int:
    """How many numbers the line splits into with ``sep``, 0 if a field is not a number.
    Decimal commas count only where the comma is not the delimiter."""
    fields = _fields(line, sep)
    if sep == "," and len(fields) < 2:
        return 0
    for field in fields:
        if field.lower() in ("nan", "inf", "-inf", "+inf"):
            continue
        if not _NUMBER.match(field):
            return 0
    return len(fields)


def _numeric_runs(lines: list[str], delimiter: str | None):
    """(begin, end, delimiter, width) of each run of numeric lines.

    The delimiter and width of a run are those most of its first 20 lines agree on; numeric
    lines of another width at its start (a count or settings line above the data) are left
    out, while any later line of another width stays in, so that the parser names it.
    """
    runs = []
    i, n = 0, len(lines)
    while i < n:
        if not _STARTS_NUMERIC.match(lines[i]):
            i += 1
            continue
        j = i
        while j < n and lines[j].strip() and _STARTS_NUMERIC.match(lines[j]):
            j += 1
        sample = lines[i:min(j, i + 20)]
        best = None
        for sep in [delimiter] if delimiter is not None else ["\t", ",", ";", None]:
            counts = [_split_numbers(line, sep) for line in sample]
            for width in sorted(set(counts) - {0, 1}):
                votes = counts.count(width)
                if best is None or votes > best[0]:
                    best = (votes, sep, width, counts.index(width))
        if best is not None:
            _, sep, width, lead = best
            runs.append((i + lead, j, sep, width))
        i = j
    return runs


def _header_above(lines: list[str], begin: int, sep: str | None, width: int,
                  where: str) -> list[str] | None:
    """Column names from the nearest non-empty line above a table, or None."""
    k = begin - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k > 0 and _is_point_count(lines[k], lines, begin):
        # a line holding the number of points between the names and the rows (.P00, .i2b)
        k -= 1
        while k >= 0 and not lines[k].strip():
            k -= 1
    if k < 0 or _split_numbers(lines[k], sep) or _STARTS_NUMERIC.match(lines[k]) and \
            _split_numbers(lines[k], None):
        return None
    names = _names(lines[k], sep, width)
    if names is not None and k > 0 and _is_units_line(names):
        above = _names(lines[k - 1], sep, width)  # names over a separate line of units
        if above is not None:
            names = [f"{a} ({u})" for a, u in zip(above, names)]
    if names is None:
        return None
    seen: dict[str, int] = {}
    unique = []
    for i, name in enumerate(names):
        name = name or f"column_{i}"
        seen[name] = seen.get(name, -1) + 1
        unique.append(f"{name}_{seen[name]}" if seen[name] else name)
    return unique


def _is_point_count(line: str, lines: list[str], begin: int) -> bool:
    """Whether the line is a lone whole number equal to the count of numeric rows from begin."""
    if not re.fullmatch(r"\s*\d+\s*", line):
        return False
    n = int(line)
    end = begin
    while end < len(lines) and _STARTS_NUMERIC.match(lines[end]):
        end += 1
    return n == end - begin


def _names(line: str, sep: str | None, width: int) -> list[str] | None:
    """A header line split into ``width`` names, trying the table's delimiter, then runs of the
    delimiter, then runs of spaces with '(unit)'/'[unit]' tokens joined to the name before."""
    line = line.strip().removeprefix("Definition=")
    if line.startswith('"') and line.endswith('"') and line.count('"') == 2:
        line = line[1:-1]
    candidates = [_fields(line, sep)]
    if sep is not None:
        candidates.append([f for f in _fields(line, sep) if f])
    tokens = line.split()
    joined: list[str] = []
    for token in tokens:
        if joined and re.fullmatch(r"[(\[].*[)\]]", token):
            joined[-1] += f" {token}"
        else:
            joined.append(token)
    candidates += [joined, tokens]
    for names in candidates:
        if len(names) == width and any(re.search(r"[A-Za-z|]", n) for n in names):
            return names
    return None


def _is_units_line(names: list[str]) -> bool:
    return all(re.fullmatch(r"[(\[]?\s*(hz|[mk]?ohms?|[mk]?ω|deg|°|s|v|a|ma|ua|f|k)?\s*[)\]]?",
                            n.strip(), re.IGNORECASE) for n in names)


def _drop_cut_number(block: list[str], sep: str | None, where: str, begin: int) -> list[str]:
    """Without a final newline, a last number shorter than every number above it in its column
    was most likely cut while the file was written: drop that line, naming it."""
    if len(block) < 6:
        return block
    last = _fields(block[-1], sep)
    above = [_fields(line, sep) for line in block[-6:-1]]
    if any(len(a) != len(last) for a in above):
        return block  # a short last line: parse_numeric_block names it
    column = len(last) - 1
    if len(last[column]) < min(len(a[column]) for a in above) and \
            len({len(a[column]) for a in above}) == 1:
        warnings.warn(f"{where}: dropped the last line {begin + len(block)}: its last number "
                      f"{last[column]!r} is shorter than every one above it and the file has no "
                      "final newline: the file looks truncated", DataWarning, stacklevel=4)
        return block[:-1]
    return block


_TEMPERATURE_LINE = re.compile(
    r"\btemp(?:erature)?\b[^:=\n]{0,12}[:=]\s*(?P<value>[-+]?\d+(?:\.\d+)?)\s*"
    r"(?P<unit>°C|degC|C|K)?\b", re.IGNORECASE)


def _temperature_line(lines: list[str]) -> dict:
    """temperature_K (and where it was found) from the first 'Temperature: 25 C' line."""
    for line in lines:
        match = _TEMPERATURE_LINE.search(line)
        if match:
            unit = match["unit"] or ("K" if "(k)" in line.lower() or "[k]" in line.lower()
                                     else "C")
            value = float(match["value"])
            return {"temperature_K": value if unit.upper() == "K" else value + 273.15,
                    "temperature_from": f"line {line.strip()[:60]!r}"}
    return {}


def _preamble_metadata(lines: list[str]) -> dict:
    """Key facts from a preamble: the first line (the instrument's title line) and a
    temperature written as 'Temperature: 25 C' or 'Temp (K) = 298', else one written in the
    title line as in a file name ('s05751_25deg, 26.02.2025')."""
    metadata: dict = {}
    text = [line.strip() for line in lines if line.strip()]
    if text:
        metadata["preamble"] = text[0][:120]
        metadata["preamble_lines"] = len(lines)
    metadata.update(_temperature_line(text))
    if text and "temperature_K" not in metadata:
        # Novocontrol/WinDETA and others start with the sample name ('s05751_25deg, ...').
        from ssblab.echem.io.temperature import temperature_from_name

        kelvin = temperature_from_name(text[0].replace("/", " "))
        if kelvin is not None:
            metadata["temperature_K"] = kelvin
            metadata["temperature_from"] = f"preamble title {text[0][:60]!r}"
    return metadata
