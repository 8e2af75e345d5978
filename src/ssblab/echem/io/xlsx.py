"""Excel workbooks. :func:`workbook_sheets` gives every sheet's rows (``.xlsx`` through openpyxl,
``.xls`` through xlrd; optional extras); :func:`read_xlsx` reads an impedance workbook like a text
export, each sheet's rows joined by tabs and handed to
:func:`~ssblab.echem.io.eis_text.tables_from_lines`, so headers, preambles and several tables per
sheet are found the same way."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from ssblab.echem.io._common import RawTable, read_head
from ssblab.echem.io.eis_text import tables_from_lines
from ssblab.errors import InputError, require_package


def workbook_sheets(path: str | Path) -> dict[str, list[list]]:
    """Every sheet's rows as lists of cell values, by sheet name in workbook order."""
    where = str(path)
    if read_head(path, 4).startswith(b"\xd0\xcf\x11\xe0"):   # OLE2: the old binary .xls
        xlrd = require_package("xlrd", extra="echem", purpose="reading .xls workbooks")
        try:
            book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
            return {name: [book.sheet_by_name(name).row_values(i)
                           for i in range(book.sheet_by_name(name).nrows)]
                    for name in book.sheet_names()}
        except Exception as exc:  # xlrd raises its own kinds on damaged files
            raise InputError(f"{where}: cannot read the .xls workbook: {exc}") from None
    openpyxl = require_package("openpyxl", extra="xlsx", purpose="reading .xlsx workbooks")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no default style": not the user's
            book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
            try:
                sheets = {}
                for ws in book.worksheets:
                    # Neware's BTS 8 export declares every sheet as 'A1' only; read-only
                    # openpyxl trusts that and would return one row, so the stated size is dropped
                    ws.reset_dimensions()
                    sheets[ws.title] = [list(row) for row in ws.iter_rows(values_only=True)]
            finally:
                book.close()
        return sheets
    except Exception as exc:  # zip, XML, zlib and openpyxl's own errors of a damaged workbook
        raise InputError(f"{where}: cannot read the .xlsx workbook ({type(exc).__name__}: "
                         f"{exc})") from None


def read_xlsx(path: str | Path) -> list[RawTable]:
    """The tables of every sheet of a workbook, in sheet order (sheet name in metadata)."""
    where = str(path)
    sheets = [(title, [_line(row) for row in rows])
              for title, rows in workbook_sheets(path).items()]
    tables = []
    for title, lines in sheets:
        if not any(line.strip() for line in lines):
            continue
        try:
            found = tables_from_lines(lines, f"{where} [sheet {title}]", delimiter="\t")
        except InputError:
            if len(sheets) == 1:
                raise
            continue  # a sheet of notes beside the data sheets
        for table in found:
            table.metadata.update(format="xlsx", sheet=title)
        tables.extend(found)
    if not tables:
        raise InputError(f"{where}: no sheet holds a table of numbers")
    return tables


def _line(row) -> str:
    return "\t".join("" if v is None else repr(v) if isinstance(v, float) else str(v)
                     for v in row).rstrip("\t")
