"""Every file of the real-impedance corpus (tests/data/eis_corpus, 15 public projects) against
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
    holds_none = ("not a spectrum", "holds no spectrum", "holds no points")
    spectra = [r for r in ROWS if not any(phrase in r["message"] for phrase in holds_none)]
    read = [r for r in spectra if r["outcome"] == "read"]
    assert len(read) / len(spectra) >= 0.95
    for row in ROWS:
        if row["outcome"] == "refuse" and "not supported" in row["message"]:
            assert "export it as" in row["message"]


# impedance.py 1.7.1 on the same spectra: CustomCircuit("R0-p(R1,C1)",
# initial_guess=[500, 1e4, 3e-8]).fit(f, Z) (its default, unweighted), parameters_ as printed
# (run once outside the suite; impedance.py is not a test dependency).
PALMSENS_DUMMY_IMPEDANCE_PY = [(560.703542, 10077.8289, 3.29765706e-08),
                               (557.617063, 10050.0882, 3.29242825e-08),
                               (556.308909, 10059.7144, 3.30067042e-08),
                               (559.050215, 10058.7994, 3.31287235e-08),
                               (556.796491, 10053.5172, 3.30805025e-08)]


def test_palmsens_dummy_cell_fits_agree_with_impedance_py():
    """Five 5-frequency sweeps of a PalmSens dummy cell (one session, then four scans in one
    data set): the fit is ok, the automatic choice is R0-p(R1,CPE1) with an ideal capacitor, and its
    R0, R1 and capacitance equal impedance.py's fit of R0-p(R1,C1) to 1 % (the two weight the
    residuals differently) or two of ssblab's standard errors."""
    from ssblab.echem.impedance import fit_circuit

    folder = CORPUS / "palmsens_sdk"
    spectra = _read(folder / "eis_5freq.pssession") + _read(folder / "eis_3ch_4scan_5freq.pssession")
    assert len(spectra) == len(PALMSENS_DUMMY_IMPEDANCE_PY)
    for k, (spectrum, reference) in enumerate(zip(spectra, PALMSENS_DUMMY_IMPEDANCE_PY,
                                                  strict=True)):
        # the automatic choice on two of them (it takes a second each), the circuit it chose
        # on the other three
        fit = fit_circuit(spectrum, "auto" if k < 2 else "R0-p(R1,CPE1)")
        assert fit and str(fit.circuit) == "R0-p(R1,CPE1)", fit.reason
        assert fit.parameters["CPE1_n"].value == pytest.approx(1, abs=0.01)
        ours = (fit.parameters["R0"], fit.parameters["R1"], fit.arcs[0].capacitance_F)
        for measured, ref in zip(ours, reference, strict=True):
            assert abs(measured.value - ref) <= max(0.01 * ref, 2 * measured.stderr), \
                (measured, ref)


def test_palmsens_demo_electrode_top_arc_refused_as_unresolved():
    """The PalmSens SDK's demo electrode: its first arc peaks at ~4 MHz, above the 1 MHz top of
    the sweep, and its capacitance is not determined once the series resistance is free, so the
    automatic fit refuses rather than report that arc (it passed as ok before the policy of
    test_fit_unmeasured_apex.py)."""
    from ssblab.echem.impedance import fit_circuit

    (spectrum,) = _read(CORPUS / "palmsens_sdk" / "Demo CV DPV EIS IS-C electrode.pssession")
    fit = fit_circuit(spectrum, "auto")
    assert not fit
    assert "not resolved" in fit.reason and "above the highest measured frequency" in fit.reason


def test_zahner_rc_sample_fit_equals_zahner_analysis():
    """Zahner's rc-data.ism (its sweep after the overlapping start is left out, warned) fitted
    with R||C as Zahner Analysis 3.2.1 fitted it (zahner_analysis
    Examples/BasicIntroduction/fit_results/fit_result.json: R = 98865833 ohm with a 0.70 %
    error, C = 1.478387e-10 F with 1.78 %)."""
    from ssblab.echem.impedance import fit_circuit

    with pytest.warns(DataWarning, match="the 20 points measured before it"):
        (spectrum,) = read_spectra(CORPUS / "zahner_analysis" / "rc-data.ism")
    fit = fit_circuit(spectrum, "p(R1,C1)")
    assert fit
    assert fit.parameters["R1"].value == pytest.approx(98865833, rel=0.007)
    assert fit.parameters["C1"].value == pytest.approx(1.478387e-10, rel=0.0178)


def test_zahner_drift_example_fails_kramers_kronig():
    """Zahner's ZHIT example loads drift.ism as 'dataWithDrift'; lin-KK finds the drift, while
    the Li-ion battery sweep of another example passes."""
    from ssblab.echem.impedance import lin_kk

    folder = CORPUS / "zahner_analysis"
    drift = lin_kk(_read(folder / "drift.ism")[0])
    assert not drift and "drift" in drift.reason
    assert lin_kk(_read(folder / "li-ion-battery.ism")[0])
