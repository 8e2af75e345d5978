"""Impedance readers on the real instrument files in tests/data/eis."""

import shutil

import numpy as np
import pytest

from ssblab.echem.io import DataWarning, read_spectra, read_spectrum
from ssblab.echem.io.biologic import read_mpr, read_mpt
from ssblab.errors import InputError

PARSEABLE = ["Circuit1_EIS_1.z", "Circuit2_EIS_1.z", "Circuit3_EIS_1.z", "exampleData.csv",
             "exampleDataBioLogic.mpt", "exampleDataGamry.DTA", "exampleDataZPlot.z",
             "lpscl_blocking_-25C.mpr", "lpscl_blocking_-25C.mpt",
             "lpscl_blocking_-25C_relaxis.txt", "ssb_ncm-lpscl-inli_end-of-discharge.mpr"]


@pytest.mark.parametrize("name", PARSEABLE)
def test_every_file_parses_to_a_capacitive_spectrum(real_data, name):
    s = read_spectrum(real_data / "eis" / name)
    assert s.n_points >= 20
    assert s.source.endswith(name)
    # Every one of these cells is capacitive at mid frequencies: most points have Z'' < 0.
    assert np.mean(s.impedance_ohm.imag < 0) > 0.7
    assert (s.impedance_ohm.real > 0).all()


def _sorted(s):
    order = np.argsort(s.frequency_Hz)
    return s.frequency_Hz[order], s.impedance_ohm[order]


def test_three_copies_of_the_lpscl_spectrum_agree(real_data):
    d = real_data / "eis"
    f_mpt, z_mpt = _sorted(read_spectrum(d / "lpscl_blocking_-25C.mpt"))
    for name in ("lpscl_blocking_-25C.mpr", "lpscl_blocking_-25C_relaxis.txt"):
        f, z = _sorted(read_spectrum(d / name))
        # float32 in the binary file and in RelaxIS vs 8 printed digits in the .mpt
        np.testing.assert_allclose(f, f_mpt, rtol=1e-6)
        np.testing.assert_allclose(z.real, z_mpt.real, rtol=1e-6)
        np.testing.assert_allclose(z.imag, z_mpt.imag, rtol=1e-6)
    assert (z_mpt.imag < 0).all()  # blocking electrodes: capacitive everywhere


def test_mpr_columns_equal_the_mpt_export(real_data):
    """The binary decoder against EC-Lab's own text export of the same files."""
    for stem in ("eis/lpscl_blocking_-25C", "cycling/ssb_ncm-lpscl-inli_chronopotentiometry"):
        binary, text = read_mpr(real_data / f"{stem}.mpr"), read_mpt(real_data / f"{stem}.mpt")
        assert binary.n_rows == text.n_rows
        shared = [c for c in text.columns if c in binary.columns]
        assert len(shared) >= 5
        for column in shared:
            np.testing.assert_allclose(binary.columns[column].astype(float), text.columns[column],
                                       rtol=2e-7, atol=1e-12, err_msg=column)


def test_magnitude_phase_csv_with_loops(real_data):
    spectra = read_spectra(real_data / "eis" / "ssb_ncm-lpscl-inli_rest.csv")
    assert len(spectra) == 10
    s = spectra[0]
    raw = np.genfromtxt(real_data / "eis" / "ssb_ncm-lpscl-inli_rest.csv", delimiter=",",
                        names=True)
    # Each loop ends with one open-circuit row (freq 0, |Z| 0): not an impedance point.
    first = raw[(raw["loop_index"] == 0) & (raw["freqHz"] > 0)]
    assert s.n_points == first.size == 89
    assert s.metadata["non_impedance_rows"] == 10
    np.testing.assert_allclose(np.abs(s.impedance_ohm), first["ZOhm"], rtol=1e-12)
    np.testing.assert_allclose(np.degrees(np.angle(s.impedance_ohm)), first["PhaseZdeg"],
                               rtol=1e-10)
    with pytest.raises(InputError, match="holds 10 spectra"):
        read_spectrum(real_data / "eis" / "ssb_ncm-lpscl-inli_rest.csv")
    fourth = read_spectrum(real_data / "eis" / "ssb_ncm-lpscl-inli_rest.csv", index=3)
    np.testing.assert_array_equal(fourth.impedance_ohm, spectra[3].impedance_ohm)


def test_missing_frequency_column_is_a_clear_error(real_data):
    with pytest.raises(InputError, match=r"MissingFreq\.mpt: the header names 17 columns but the "
                                         r"data rows hold 18 values"):
        read_spectrum(real_data / "eis" / "exampleDataBioLogic_MissingFreq.mpt")


def test_aborted_gamry_run_keeps_measured_points_with_a_warning(real_data):
    with pytest.warns(DataWarning, match=r"ABORT\.DTA: the experiment was aborted; read the 72 "
                                         r"points"):
        s = read_spectrum(real_data / "eis" / "exampleDataGamryABORT.DTA")
    assert s.n_points == 72 and s.metadata["aborted"]
    assert s.frequency_Hz[-1] == pytest.approx(0.0158898)


def test_modulo_bat_file_yields_its_impedance_blocks(real_data):
    spectra = read_spectra(real_data / "cycling" / "biologic_gcpl.mpr")
    assert len(spectra) == 5
    for s in spectra:
        assert s.frequency_Hz[0] > s.frequency_Hz[-1]  # each block is one downward sweep


def test_sign_conventions_of_csv_headers(tmp_path):
    f = np.logspace(4, -1, 11)
    z = 10 + 100 / (1 + 2j * np.pi * f * 1e-4)
    rows = "\n".join(f"{a},{b.real},{-b.imag}" for a, b in zip(f, z))
    (tmp_path / "neg.csv").write_text("Frequency (Hz),Z' (Ohm),-Z'' (Ohm)\n" + rows)
    (tmp_path / "named.csv").write_text("f,Re,Im\n" + rows)
    np.testing.assert_allclose(read_spectrum(tmp_path / "neg.csv").impedance_ohm, z)
    # "Im" carries no sign: taken as physical unless the caller says otherwise; a spectrum that
    # then comes out all inductive is read as such, with a warning saying how to flip it.
    with pytest.warns(DataWarning, match=r"named\.csv: 100% of the points .* Z'' > 0"):
        np.testing.assert_allclose(read_spectrum(tmp_path / "named.csv").impedance_ohm, z.conj())
    np.testing.assert_allclose(read_spectrum(tmp_path / "named.csv",
                                             imag_convention="-Z''").impedance_ohm, z)
    semicolon = "\n".join(f"{a};{b.real};{b.imag}".replace(".", ",") for a, b in zip(f, z))
    (tmp_path / "comma.txt").write_text("freq;zreal;zimag\n" + semicolon)
    np.testing.assert_allclose(read_spectrum(tmp_path / "comma.txt").impedance_ohm, z)
    with pytest.raises(InputError, match="imag_convention: unknown value"):
        read_spectrum(tmp_path / "neg.csv", imag_convention="negative")


def test_columns_chosen_by_name_or_index(tmp_path):
    f = np.logspace(3, 0, 5)
    text = "\n".join(f"{i}\t{a}\t{a * 2}\t{-a}" for i, a in enumerate(f))
    (tmp_path / "x.tsv").write_text("n\tnu\tA\tB\n" + text)
    s = read_spectrum(tmp_path / "x.tsv", frequency="NU", real=2, imag="b")
    np.testing.assert_allclose(s.frequency_Hz, f)
    np.testing.assert_allclose(s.impedance_ohm, 2 * f - 1j * f)
    with pytest.raises(InputError, match="no column 'zz' for frequency"):
        read_spectrum(tmp_path / "x.tsv", frequency="zz")


def test_bad_inputs_name_the_file(tmp_path, real_data):
    good = (real_data / "eis" / "exampleDataBioLogic.mpt").read_text(encoding="latin-1")
    nan = tmp_path / "nan.mpt"
    nan.write_text(good.replace("6.3611004E+001", "NaN", 1), encoding="latin-1")
    with pytest.raises(InputError, match=r"nan\.mpt: 1 point\(s\) with NaN"):
        read_spectrum(nan)
    inf = tmp_path / "inf.csv"
    inf.write_text("f,Z',Z''\n1000,1,-1\n100,inf,-2\n10,3,-3\n1,4,-1\n")
    with pytest.raises(InputError, match=r"inf\.csv: 1 point\(s\) with NaN or infinite"):
        read_spectrum(inf)
    # A text file cut mid-line: the partial last line is dropped and named.
    cut = tmp_path / "cut.mpt"
    cut.write_text(good[:-40], encoding="latin-1")
    with pytest.warns(DataWarning, match=r"cut\.mpt: dropped the last line 104"):
        assert read_spectrum(cut).n_points == 42
    # A binary file cut short cannot be decoded.
    data = (real_data / "eis" / "lpscl_blocking_-25C.mpr").read_bytes()
    (tmp_path / "cut.mpr").write_bytes(data[:10000])
    with pytest.raises(InputError, match=r"cut\.mpr: truncated"):
        read_spectrum(tmp_path / "cut.mpr")
    with pytest.raises(InputError, match="chronopotentiometry.mpt: this EC-Lab file records no impedance"):
        read_spectrum(real_data / "cycling" / "ssb_ncm-lpscl-inli_chronopotentiometry.mpt")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        read_spectrum(tmp_path / "empty.csv")
    with pytest.raises(InputError, match="nothing.mpr: cannot open"):
        read_spectrum(tmp_path / "nothing.mpr")
    shutil.copy(real_data / "eis" / "exampleDataGamry.DTA", tmp_path / "g.mpr")
    with pytest.raises(InputError, match="format: unknown value 'gamri'.*did you mean 'gamry'"):
        read_spectrum(tmp_path / "g.mpr", format="gamri")
    assert read_spectrum(tmp_path / "g.mpr").n_points == 72  # signature beats extension


def test_cli_read_spectrum(real_data, tmp_path):
    from click.testing import CliRunner

    from ssblab.cli import main

    result = CliRunner().invoke(main, ["read", "spectrum", str(real_data / "eis" /
                                                               "lpscl_blocking_-25C.mpt"),
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "points                79" in result.stdout
    table = np.genfromtxt(tmp_path / "spectrum_0.csv", delimiter=",", names=True)
    s = read_spectrum(real_data / "eis" / "lpscl_blocking_-25C.mpt")
    np.testing.assert_allclose(table["z_imag_ohm"], s.impedance_ohm.imag, rtol=1e-9)
    aborted = CliRunner().invoke(main, ["read", "spectrum", str(real_data / "eis" /
                                                                "exampleDataGamryABORT.DTA")])
    assert aborted.exit_code == 0 and "warning: " in aborted.stderr


def test_several_loops_in_one_biologic_file(real_data, tmp_path):
    """A PEIS run with two loops: the 'cycle number' column splits it."""
    text = (real_data / "eis" / "exampleDataBioLogic.mpt").read_text(encoding="latin-1")
    lines = text.split("\n")
    n_header = int(lines[1].split(":")[1])
    names = lines[n_header - 1].split("\t")
    cycle = names.index("cycle number")
    body = [line.split("\t") for line in lines[n_header:] if line.strip()]
    for fields in body[20:]:
        fields[cycle] = "2.000000000000000E+000"
    (tmp_path / "loops.mpt").write_text("\n".join(lines[:n_header] + ["\t".join(f) for f in body]),
                                        encoding="latin-1")
    spectra = read_spectra(tmp_path / "loops.mpt")
    whole = read_spectrum(real_data / "eis" / "exampleDataBioLogic.mpt")
    assert [s.n_points for s in spectra] == [20, whole.n_points - 20]
    np.testing.assert_array_equal(np.concatenate([s.impedance_ohm for s in spectra]),
                                  whole.impedance_ohm)
    assert spectra[1].metadata["rows"] == (20, whole.n_points - 1)
    with pytest.raises(InputError, match="index 5 is out of range; the file holds 2 spectra"):
        read_spectrum(tmp_path / "loops.mpt", index=5)


def test_format_detection_and_json_round_trip(real_data):
    from ssblab.echem.io import detect_format
    from ssblab.echem.spectrum import Spectrum

    d = real_data / "eis"
    assert [detect_format(d / n) for n in
            ("lpscl_blocking_-25C.mpr", "lpscl_blocking_-25C.mpt", "exampleDataGamry.DTA",
             "Circuit1_EIS_1.z", "lpscl_blocking_-25C_relaxis.txt", "exampleData.csv")] == \
        ["biologic-mpr", "biologic-mpt", "gamry", "zplot", "relaxis", "csv"]
    s = read_spectrum(d / "lpscl_blocking_-25C.mpr")
    back = Spectrum.from_json(s.to_json())
    np.testing.assert_array_equal(back.impedance_ohm, s.impedance_ohm)
    assert back.metadata["technique"] == "PEIS"
