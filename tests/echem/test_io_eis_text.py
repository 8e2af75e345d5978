"""The text-table reader (preambles, header vocabularies, units, sweeps), strict parsing, new
formats, read-back of what ssblab writes, temperatures from names and the sample table."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.io import DataWarning, read_spectra, read_spectrum
from ssblab.echem.io.sample_table import read_sample_table
from ssblab.echem.io.temperature import temperature_from_name
from ssblab.errors import InputError

F = np.logspace(5, -1, 13)
# An independent truth: R0 + (R1 || C1), physical sign (Z'' < 0)
Z = 20 + 300 / (1 + 2j * np.pi * F * 300 * 1e-7)


def _rows(columns, sep=","):
    return "\n".join(sep.join(f"{v:.10g}" for v in row) for row in zip(*columns)) + "\n"


HEADERS = [  # header line, column values, delimiter
    ("Freq.[Hz]\tZs'[ohm]\tZs''[ohm]", (F, Z.real, Z.imag), "\t"),           # Novocontrol
    ("Freq/Hz, Z'/ohm, Z\"/ohm, Z/ohm, Phase/deg",                          # CH Instruments
     (F, Z.real, Z.imag, abs(Z), np.degrees(np.angle(Z))), ", "),
    ("Frequency\t Zre\t Zimg", (F, Z.real, Z.imag), "\t"),                   # PowerSuite
    ("frequency_Hz,z_real_ohm,z_imag_ohm", (F, Z.real, Z.imag), ","),        # ssblab itself
    ("freq,Zre,-Zim", (F, Z.real, -Z.imag), ","),
    ("frequency,real,imaginary", (F, Z.real, Z.imag), ","),
    ("f;-Z';-Z''", (F, -Z.real, -Z.imag), ";"),
    ("frequency,|Z|,-phase", (F, abs(Z), -np.degrees(np.angle(Z))), ","),
    ("Freq (kHz),Z' (kOhm),-Z'' (kOhm)", (F / 1e3, Z.real / 1e3, -Z.imag / 1e3), ","),
    ("f_Hz Zre_Ohm Zim_Ohm", (F, Z.real, Z.imag), " "),
]


@pytest.mark.parametrize("header, columns, sep", HEADERS, ids=[h[0] for h in HEADERS])
def test_header_vocabularies_and_units(tmp_path, header, columns, sep):
    path = tmp_path / "s.txt"
    preamble = "Instrument XYZ export\nDate: 01.02.2024\nAmplitude (V) = 0.01\n\n"
    path.write_text(preamble + header + "\n" + _rows(columns, sep))
    s = read_spectrum(path)
    np.testing.assert_allclose(s.frequency_Hz, F, rtol=1e-9)
    np.testing.assert_allclose(s.impedance_ohm, Z, rtol=1e-8)
    assert s.metadata["preamble_lines"] == 4


def test_units_line_under_the_names_and_bom(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("Frequency\tZ'\tZ''\nHz\tOhm\tOhm\n"
                                       + _rows((F, Z.real, Z.imag), "\t")).encode())
    s = read_spectrum(path)
    np.testing.assert_allclose(s.impedance_ohm, Z, rtol=1e-8)
    assert s.metadata["frequency_column"] == "Frequency (Hz)"


def test_sweeps_in_one_file_are_separate_spectra_with_a_note(tmp_path, capsys):
    blank = tmp_path / "blank.csv"
    blank.write_text("f,Z',Z''\n" + _rows((F, Z.real, Z.imag)) + "\n\n" + _rows((F, Z.real, Z.imag)))
    restart = tmp_path / "restart.csv"
    restart.write_text("f,Z',Z''\n" + _rows((F, Z.real, Z.imag)) * 3)
    for path, n in ((blank, 2), (restart, 3)):
        spectra = read_spectra(path)
        assert [s.n_points for s in spectra] == [F.size] * n
        assert "read as" in spectra[0].metadata["note"]
        np.testing.assert_allclose(spectra[-1].impedance_ohm, Z, rtol=1e-8)
    result = CliRunner().invoke(main, ["read", "spectrum", str(restart)])
    assert result.exit_code == 0 and "note:" in result.stderr and "3 sweeps" in result.stderr


def test_strict_rows(tmp_path):
    good = "f,Z',Z''\n" + _rows((F, Z.real, Z.imag))
    extra = good.split("\n")
    extra[5] = extra[5] + ",7"  # two rows joined, or a stray field
    (tmp_path / "extra.csv").write_text("\n".join(extra))
    with pytest.raises(InputError, match=r"extra\.csv: malformed data at line 6"):
        read_spectrum(tmp_path / "extra.csv")
    # A file cut inside its last number (no final newline): the line is dropped and named.
    # Instruments write fixed-width numbers, which is what makes a cut visible.
    fixed = "f,Z',Z''\n" + "\n".join(f"{a:.6E},{b.real:.6E},{b.imag:.6E}" for a, b in zip(F, Z))
    (tmp_path / "cut.csv").write_text(fixed[:-6])
    with pytest.warns(DataWarning, match=r"cut\.csv: dropped the last line 14: its last number"):
        assert read_spectrum(tmp_path / "cut.csv").n_points == F.size - 1
    (tmp_path / "short.csv").write_text(good.rstrip("\n").rsplit(",", 1)[0])
    with pytest.warns(DataWarning, match=r"short\.csv: dropped the last line 14"):
        read_spectrum(tmp_path / "short.csv")
    big = good.replace(f"{Z.real[3]:.10g}", "2e28", 1)
    (tmp_path / "big.csv").write_text(big)
    with pytest.warns(DataWarning, match=r"big\.csv: implausible \|Z\| / ohm .*\(line 5\)"):
        read_spectrum(tmp_path / "big.csv")
    (tmp_path / "neg.csv").write_text(good.replace(f"{F[2]:.10g},", f"-{F[2]:.10g},", 1))
    with pytest.raises(InputError, match="negative frequencies"):
        read_spectrum(tmp_path / "neg.csv")


def test_unsupported_binary_formats_name_the_export(tmp_path):
    (tmp_path / "run.idf").write_bytes(b"\x00" * 16 + b"Peaks=false\r\n")
    with pytest.raises(InputError, match=r"Ivium \.idf is not supported; export it as text"):
        read_spectrum(tmp_path / "run.idf")
    (tmp_path / "blob.dat").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"blob\.dat: found binary data.*not supported; export"):
        read_spectrum(tmp_path / "blob.dat")
    result = CliRunner().invoke(main, ["read", "spectrum", str(tmp_path / "blob.dat")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    # A tab export saved under a binary format's name is text, and read as such.
    (tmp_path / "export.xls").write_text("f\tZ'\tZ''\n" + _rows((F, Z.real, Z.imag), "\t"))
    np.testing.assert_allclose(read_spectrum(tmp_path / "export.xls").impedance_ohm, Z, rtol=1e-8)


def test_ssblab_reads_back_what_it_writes(real_data, tmp_path):
    source = real_data / "eis" / "lpscl_blocking_-25C.mpr"
    result = CliRunner().invoke(main, ["read", "spectrum", str(source), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    original = read_spectrum(source)
    from_csv = read_spectrum(tmp_path / "spectrum_0.csv")
    np.testing.assert_allclose(from_csv.frequency_Hz, original.frequency_Hz, rtol=1e-9)
    np.testing.assert_allclose(from_csv.impedance_ohm, original.impedance_ohm, rtol=1e-9)
    from_json = read_spectrum(tmp_path / "result.json")
    np.testing.assert_array_equal(from_json.impedance_ohm, original.impedance_ohm)
    (tmp_path / "one.json").write_text(original.to_json())
    np.testing.assert_array_equal(read_spectrum(tmp_path / "one.json").frequency_Hz,
                                  original.frequency_Hz)


@pytest.mark.parametrize("name, kelvin", [
    ("p25C.csv", 298.15), ("LLZO_m20C.z", 253.15), ("s04147-140deg.txt", 413.15),
    ("pellet_25degC.mpr", 298.15), ("x_298K.csv", 298.0), ("x_-25C.mpt", 248.15),
    ("T=80C.csv", 353.15), ("x_25.5C.csv", 298.65), ("x_25p5C.csv", 298.65),
    ("x_+60C.csv", 333.15), ("x_25°C.csv", 298.15),
    ("Circuit1_EIS_1.z", None), ("v1150_PEIS.mpr", None), ("cell_C01.mpr", None),
    ("LFP_3C_rate.csv", None), ("5K_cycles.csv", None), ("a_25C_b_80C.csv", None),
    ("ZPlotW Data File: Version 3.2c", None)])
def test_temperature_from_name_spellings(name, kelvin):
    assert temperature_from_name(name) == (pytest.approx(kelvin) if kelvin else None)


def test_preamble_temperature_is_metadata(tmp_path, real_data):
    path = tmp_path / "anon.txt"
    path.write_text("Sample A\nTemperature: 80 C\n\nf\tZ'\tZ''\n" + _rows((F, Z.real, Z.imag), "\t"))
    assert read_spectrum(path).temperature_K == pytest.approx(353.15)
    # Novocontrol's title line is the sample name; Example2a.txt is 's05751_25deg, 26.02.2025'
    novo = read_spectrum(real_data / "eis_corpus" / "eisfitpython" / "Example2a.txt")
    assert novo.temperature_K == pytest.approx(298.15)
    assert "preamble title" in novo.metadata["temperature_from"]


def test_multi_temperature_export_gives_each_sweep_its_temperature(tmp_path):
    blocks = [f"Temperature [°C] = {t}\nFreq [Hz]\tZ' [Ohm]\tZ'' [Ohm]\n"
              + _rows((F, Z.real, Z.imag), "\t") for t in (25, 50, 75)]
    (tmp_path / "series.txt").write_text("WinDETA export\n\n" + "\n".join(blocks),
                                         encoding="utf-8")
    spectra = read_spectra(tmp_path / "series.txt")
    assert [s.temperature_K for s in spectra] == pytest.approx([298.15, 323.15, 348.15])
    assert all(s.n_points == F.size for s in spectra)


def test_sample_table_csv_and_yaml(tmp_path):
    (tmp_path / "m.csv").write_text("file,temperature,thickness_um,diameter_mm\n"
                                    "a.csv,25 degC,500,10\nb.csv,50 degC,500,10\n")
    table = read_sample_table(tmp_path / "m.csv")
    assert table["b.csv"].temperature_K == pytest.approx(323.15)
    assert table["a.csv"].thickness_cm == pytest.approx(0.05)
    assert table["a.csv"].area_cm2 == pytest.approx(np.pi * 0.5**2 / 4 * 4)
    (tmp_path / "m.yaml").write_text("a.csv: {temperature: 298 K, thickness: 1 mm, area: 1 cm^2}\n")
    assert read_sample_table(tmp_path / "m.yaml")["a.csv"].thickness_cm == pytest.approx(0.1)
    (tmp_path / "bad.csv").write_text("file,thickness\na.csv,500\n")
    with pytest.raises(InputError, match=r"bad\.csv: row 2, thickness: 500 has no unit"):
        read_sample_table(tmp_path / "bad.csv")
    (tmp_path / "evil.yaml").write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_sample_table(tmp_path / "evil.yaml")


def test_eis_arrhenius_on_a_folder_with_a_metadata_table(tmp_path):
    """A folder of spectra whose temperatures and geometry come from metadata.csv."""
    from ssblab.echem.impedance.simulate import simulate_spectrum
    from ssblab.units import BOLTZMANN_eV_K

    folder = tmp_path / "series"
    folder.mkdir()
    lines = ["file,temperature_C,thickness_mm,area_cm2"]
    for k, t_C in enumerate((0, 25, 50)):
        t = t_C + 273.15
        r = 100 * np.exp(0.4 / BOLTZMANN_eV_K * (1 / t - 1 / 298.15)) * t / 298.15
        s = simulate_spectrum("R0-CPE1", {"R0": r, "CPE1_Q": 1e-6, "CPE1_n": 0.9},
                              np.logspace(6, -1, 40))
        (folder / f"run{k}.txt").write_text(
            "frequency_Hz\tz_real_ohm\tz_imag_ohm\n"
            + _rows((s.frequency_Hz, s.impedance_ohm.real, s.impedance_ohm.imag), "\t"))
        lines.append(f"run{k}.txt,{t_C},1,1")
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["eis", "arrhenius", str(folder), "--circuit", "R0-CPE1",
                                       "--json"])
    assert result.exit_code == 0, result.output
    (study,) = json.loads(result.output)
    assert study["arrhenius"]["activation_energy_eV"]["value"] == \
        pytest.approx(0.4, abs=1e-4)
    # column options reach the reader: naming the columns by index gives the same result
    kk = CliRunner().invoke(main, ["eis", "kk", str(folder / "run0.txt"), "--frequency", "0",
                                   "--real", "1", "--imag", "2", "--format", "csv", "--json"])
    assert kk.exit_code == 0, kk.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["eis", "kk", str(empty)])
    assert result.exit_code == 2 and "holds no spectrum files" in result.output


def test_gamry_rows_separated_by_blanks_are_kept_and_named(real_data):
    """gamry-parser's fixture: 4 ZCURVE rows separated by spaces, not tabs; read (as gamry-parser
    reads them) with a warning naming their lines, not dropped silently."""
    with pytest.warns(DataWarning, match=r"4 row\(s\) of the ZCURVE table \(line\(s\) 28-31\)"):
        spectrum = read_spectrum(real_data / "eis_corpus" / "gamry_parser" / "eispot_data.dta")
    assert spectrum.n_points == 10 and spectrum.frequency_Hz[-1] == 0.5


def test_palmsens_session_keys_in_either_case(real_data):
    """PSTrace 5 writes 'Measurements'/'DataSet', later versions 'measurements'/'dataset'; a
    session holding DPV and CV before the EIS gives the EIS alone. |Z| and the phase stored in
    the file agree with the Z' and Z'' read."""
    path = real_data / "eis_corpus" / "palmsens_sdk" / "Demo CV DPV EIS IS-C electrode.pssession"
    (spectrum,) = read_spectra(path)
    text = path.read_bytes().decode("utf-16")
    values = {v["description"]: np.array([x["v"] for x in v["datavalues"]])
              for m in json.loads(text[:text.rfind("}") + 1])["measurements"]
              for v in m["dataset"]["values"] if "Frequency" in
              [w["description"] for w in m["dataset"]["values"]]}
    z = spectrum.impedance_ohm
    np.testing.assert_allclose(np.abs(z), values["Z"], rtol=1e-5)
    np.testing.assert_allclose(-np.degrees(np.angle(z)), values["Phase"], atol=1e-3)


def test_ec_lab_export_without_header_and_bt_lab_signature(real_data, tmp_path):
    """EC-Lab's 'export without header' (an empty line, then the column names) and a BT-Lab
    signature read as the .mpt they come from (these copies are made here from a real file)."""
    source = real_data / "eis_corpus" / "biologic_converter" / "peis.mpt"
    lines = source.read_bytes().split(b"\n")
    n_header = int(lines[1].split(b":")[1])
    bare = tmp_path / "peis_no_header.mpt"
    bare.write_bytes(b"\r\n" + b"\n".join(lines[n_header - 1:]))
    bt_lab = tmp_path / "peis_bt.mpt"
    bt_lab.write_bytes(b"BT-Lab" + source.read_bytes()[len(b"EC-Lab"):])
    (reference,) = read_spectra(source)
    for path in (bare, bt_lab):
        (spectrum,) = read_spectra(path)
        np.testing.assert_array_equal(spectrum.frequency_Hz, reference.frequency_Hz)
        np.testing.assert_array_equal(spectrum.impedance_ohm, reference.impedance_ohm)


def test_header_over_an_unnamed_index_column_is_a_header(tmp_path):
    """R's write.csv and pandas' to_csv put a row index with an empty name first; the header
    still names the columns, so the frequency is 'freq', not the index (1, 2, 3 read as
    frequencies before: a wrong spectrum without a warning)."""
    from ssblab.echem.io import read_spectrum

    quoted = '"","freq","zre","zim"\n"1",1000,10.5,-2\n"2",100,12,-5\n"3",10,15,-3\n'
    for k, text in enumerate((quoted, quoted.replace('"', ""))):  # write.csv, quote = FALSE
        path = tmp_path / f"r_export_{k}.csv"
        path.write_text(text)
        spectrum = read_spectrum(path)
        assert spectrum.frequency_Hz.tolist() == [1000, 100, 10]
        assert spectrum.impedance_ohm.tolist() == [10.5 - 2j, 12 - 5j, 15 - 3j]
