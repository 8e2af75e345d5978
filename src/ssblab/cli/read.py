"""``ssblab read``: read an instrument file and show what ssblab made of it."""

from __future__ import annotations

import io
from pathlib import Path

import click
import numpy as np

from ssblab.cli._common import (
    column_ref,
    data_warnings_to_stderr,
    emit,
    parse_column_map,
    show_notes,
    with_output_options,
)
from ssblab.echem.io import CYCLE_DEFINITIONS, CYCLER_FORMATS, SPECTRUM_FORMATS, read_cycler, read_spectra
from ssblab.echem.io.spectra import ImagConvention
from ssblab.errors import InputError, choices_of
from ssblab.files import atomic_write


@click.group(name="read")
def cli():
    """Read impedance and cycler files (format detected from content and extension)."""


def _write_table(path: Path, columns: dict[str, np.ndarray]) -> None:
    buffer = io.StringIO()
    buffer.write(",".join(columns) + "\n")
    np.savetxt(buffer, np.column_stack([np.asarray(c, dtype=float) for c in columns.values()]),
               delimiter=",", fmt="%.10g")
    atomic_write(path, buffer.getvalue())


@cli.command("spectrum")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(SPECTRUM_FORMATS), default=None,
              help="File format (default: detected).")
@click.option("--index", type=int, default=None, help="Only this spectrum of the file (0-based).")
@click.option("--frequency", default=None, help="Frequency column (name or 0-based index).")
@click.option("--real", default=None, help="Z' column (name or index).")
@click.option("--imag", default=None, help="Z'' or -Z'' column (name or index).")
@click.option("--modulus", default=None, help="|Z| column, with --phase (name or index).")
@click.option("--phase", default=None, help="Phase column in degrees (name or index).")
@click.option("--imag-convention", type=click.Choice(choices_of(ImagConvention)), default="auto",
              help="How the imaginary column is stored (auto: from its name).")
@with_output_options
def spectrum(file, fmt, index, frequency, real, imag, modulus, phase, imag_convention, out,
             as_json):
    """Read the impedance spectra in FILE; with --out write spectrum_<i>.csv
    (frequency_Hz, z_real_ohm, z_imag_ohm with Z''<0 capacitive) and result.json."""
    with data_warnings_to_stderr():
        spectra = read_spectra(file, format=fmt, frequency=column_ref(frequency),
                               real=column_ref(real), imag=column_ref(imag),
                               modulus=column_ref(modulus), phase=column_ref(phase),
                               imag_convention=imag_convention)
    if len(spectra) > 1 and spectra[0].metadata.get("note"):
        click.echo(f"ssblab: note: {file}: {spectra[0].metadata['note']}", err=True)
    if index is not None:
        if not -len(spectra) <= index < len(spectra):
            raise InputError(f"{file}: --index {index} is out of range; the file holds "
                             f"{len(spectra)} spectra")
        spectra = [spectra[index]]
    emit(spectra, out=out, as_json=as_json, title=f"Spectra in {file.name}")
    if out is not None:
        for i, s in enumerate(spectra):
            number = s.metadata.get("spectrum_index", i)
            _write_table(out / f"spectrum_{number}.csv",
                         {"frequency_Hz": s.frequency_Hz, "z_real_ohm": s.impedance_ohm.real,
                          "z_imag_ohm": s.impedance_ohm.imag})


@cli.command("cycler")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(CYCLER_FORMATS), default=None,
              help="File format (default: detected).")
@click.option("--cycle-definition", type=click.Choice(CYCLE_DEFINITIONS), default="file",
              show_default=True, help="How cycles are counted.")
@click.option("--map", "mapping", multiple=True, metavar="KEY=COLUMN",
              help="Column map entry, e.g. --map time_s=test_time --map current_A=I (repeat); "
                   "the unit goes in the key.")
@click.option("--delimiter", default=None, metavar="D",
              help="Column delimiter of a text file (default: sniffed; 'tab' for tabs).")
@with_output_options
def cycler(file, fmt, cycle_definition, mapping, delimiter, out, as_json):
    """Read the cycler file FILE into the tidy table; with --out write data.csv (time_s,
    voltage_V, current_mA, step, cycle and extra columns) and result.json."""
    with data_warnings_to_stderr():
        data = read_cycler(file, format=fmt, column_map=parse_column_map(mapping),
                           cycle_definition=cycle_definition,
                           delimiter={"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter))
    show_notes(file, data)
    emit([data], out=out, as_json=as_json, title=f"Cycler data in {file.name}")
    if out is not None:
        columns = {name: getattr(data, name) for name in data.columns}
        columns.update(data.extra)
        _write_table(out / "data.csv", columns)
