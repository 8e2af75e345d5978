"""Every file of the real-impedance corpus (tests/data/eis_corpus, 8 public projects) against
expectations.csv, written by opening each file by hand with pandas/json/galvani
(tests/data/eis_corpus/inspect_by_hand.py), independently of ssblab's readers."""

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

from ssblab.echem.io import DataWarning, read_spectra
from ssblab.errors import InputError

CORPUS = Path(__file__).parents[1] / "data" / "eis_corpus"
with open(CORPUS / "expectations.csv", newline="") as _handle:
    ROWS = list(csv.DictReader(_handle))


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # named-row warnings are allowed here
        return read_spectra(path)


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_corpus_file(row):
    path = CORPUS / row["file"]
    if row["outcome"] == "refuse":
        with pytest.raises(InputError, match=row["message"]) as caught:
            _read(path)
        assert str(path) in str(caught.value)  # the refusal names the file
        return
    spectra = _read(path)
    assert len(spectra) == int(row["n_spectra"])
    assert ";".join(str(s.n_points) for s in spectra) == row["n_points"]
    f = np.concatenate([s.frequency_Hz for s in spectra])
    np.testing.assert_allclose([f.min(), f.max()],
                               [float(row["f_min_Hz"]), float(row["f_max_Hz"])], rtol=1e-5)
    z0 = spectra[0].impedance_ohm[0]
    np.testing.assert_allclose([z0.real, z0.imag], [float(row["z_real_first_ohm"]),
                                                     float(row["z_imag_first_ohm"])],
                               rtol=1e-5, atol=1e-12)
    # The sign convention: the share of capacitive points (Z'' < 0) is the one read by hand.
    share = np.mean(spectra[0].impedance_ohm.imag < 0)
    assert share == pytest.approx(float(row["frac_capacitive"]), abs=1e-3)


def test_every_corpus_file_has_an_expectation_and_a_licence():
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
             if p.is_file() and p.parent != CORPUS and not p.name.upper().startswith(("LICEN", "REUSE"))}
    assert files == {r["file"] for r in ROWS}
    for folder in {p.parent for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS}:
        assert any(p.name.upper().startswith("LICEN") for p in folder.iterdir()), folder
    projects = {r["file"].split("/")[0] for r in ROWS}
    assert len(ROWS) >= 60 and len(projects) >= 6


def test_corpus_read_rate_and_refusals_name_the_fix():
    """>= 95 % of the files that hold spectra are read (the rest are refused with the format
    and the fix); a file that holds no spectrum (one frequency) must be refused, saying so."""
    spectra = [r for r in ROWS if "not a spectrum" not in r["message"]]
    read = [r for r in spectra if r["outcome"] == "read"]
    assert len(read) / len(spectra) >= 0.95
    for row in ROWS:
        if row["outcome"] == "refuse" and "not supported" in row["message"]:
            assert "export it as" in row["message"]
