"""Options shared by the ``ssblab eis`` commands and ``ssblab eis drt``: which file format and
which columns hold a spectrum, and reading FILES (files or folders) with them.

A module of its own because ``cli/eis.py`` attaches ``cli/_drt.py``'s command: both import
from here, neither from the other.
"""

from __future__ import annotations

from pathlib import Path

import click

from ssblab.cli._common import column_ref, data_warnings_to_stderr
from ssblab.echem.io import SPECTRUM_FORMATS
from ssblab.errors import InputError

file_format_option = click.option("--format", "file_format", default=None,
                                  type=click.Choice(SPECTRUM_FORMATS),
                                  help="File format (default: detected from the content and "
                                       "extension).")

_COLUMNS = ("frequency", "real", "imag", "modulus", "phase")


def column_options(func):
    """--frequency/--real/--imag/--modulus/--phase/--imag-convention: which columns hold the
    spectrum (name or 0-based index) and how the imaginary part is signed."""
    options = [
        click.option("--frequency", "col_frequency", default=None,
                     help="Frequency column (name or 0-based index)."),
        click.option("--real", "col_real", default=None, help="Z' column (name or index)."),
        click.option("--imag", "col_imag", default=None, help="Z'' or -Z'' column (name or index)."),
        click.option("--modulus", "col_modulus", default=None,
                     help="|Z| column, used with --phase when there is no Z'/Z'' pair."),
        click.option("--phase", "col_phase", default=None, help="Phase column (degrees)."),
        click.option("--imag-convention", type=click.Choice(["auto", "Z''", "-Z''"]),
                     default="auto", show_default=True,
                     help="How the imaginary column is stored (auto: from its name)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def pop_column_options(kwargs) -> dict:
    """Pop the column options from a command's keyword arguments into read_spectra's."""
    found = {name: column_ref(kwargs.pop(f"col_{name}")) for name in _COLUMNS}
    found["imag_convention"] = kwargs.pop("imag_convention")
    return found


# Files in a folder that are not spectra: tables of facts, notes, licences, pictures.
_NOT_SPECTRA = {".md", ".rst", ".yaml", ".yml", ".json", ".png", ".jpg", ".svg", ".pdf",
                ".html", ".py", ".ipynb", ".pkl", ".license"}


def expand_folders(files) -> tuple[list[Path], Path | None]:
    """FILES with each folder replaced by its files (sorted by name), and a sample table found
    in a folder (metadata.csv/.yaml)."""
    from ssblab.echem.io.sample_table import TABLE_NAMES

    paths, table = [], None
    for path in files:
        if not path.is_dir():
            paths.append(path)
            continue
        inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        for p in inside:
            if p.name.lower() in TABLE_NAMES:
                table = table or p
            elif p.suffix.lower() not in _NOT_SPECTRA and not p.name.upper().startswith(
                    ("LICENSE", "LICENCE", "README", "COPYING")):
                paths.append(p)
        if not any(p.parent == path for p in paths):
            raise InputError(f"{path}: the folder holds no spectrum files")
    return paths, table


def read_spectrum_files(files, file_format, min_frequency=None, max_frequency=None,
                        columns=None):
    """(spectra, the file of each): every spectrum of every file in FILES, notes on files that
    hold several sweeps to stderr, cropped to the frequency window."""
    from ssblab.echem.io import read_spectra

    paths_in, _ = expand_folders(files)
    spectra, paths = [], []
    for path in paths_in:
        with data_warnings_to_stderr():
            found = read_spectra(path, format=file_format, **(columns or {}))
        if len(found) > 1 and found[0].metadata.get("note"):
            click.echo(f"ssblab: note: {path}: {found[0].metadata['note']}", err=True)
        for spectrum in found:
            if min_frequency is not None or max_frequency is not None:
                spectrum = spectrum.select(min_frequency_Hz=min_frequency or 0.0,
                                           max_frequency_Hz=max_frequency or float("inf"))
            spectra.append(spectrum)
            paths.append(path)
    return spectra, paths
