"""Excel ``.xlsx`` workbooks (optional extra ``xlsx``: openpyxl): every sheet is read like a text
export, its rows joined by tabs and handed to :func:`~ssblab.echem.io.eis_text.tables_from_lines`,
so headers, preambles and several tables per sheet are found the same way."""

from __future__ import annotations

from pathlib import Path

from ssblab.echem.io._common import RawTable
from ssblab.echem.io.eis_text import tables_from_lines
from ssblab.errors import InputError, require_package


def read_xlsx(path: str | Path) -> list[RawTable]:
    """The tables of every sheet of a workbook, in sheet order (sheet name in metadata)."""
    openpyxl = require_package("openpyxl", extra="xlsx", purpose="reading .xlsx files")
    where = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = [(sheet.title, [_line(row) for row in sheet.iter_rows(values_only=True)])
                      for sheet in book.worksheets]
        finally:
            book.close()
    except Exception as exc:  # zip, XML and zlib errors of a damaged workbook
        raise InputError(f"{where}: not a readable .xlsx workbook ({type(exc).__name__}: "
                         f"{exc})") from None
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
