import json

import pytest
from click.testing import CliRunner

from ssblab.cli import main


@pytest.fixture
def lpscl(real_data):
    return str(real_data / "eis/lpscl_blocking_-25C.mpr")


@pytest.mark.slow
def test_eis_fit_writes_report(lpscl, tmp_path):
    result = CliRunner().invoke(main, ["eis", "fit", lpscl, "--no-kk", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "R1 / ohm" in result.output
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") >= 4  # Nyquist, Nyquist arc region, Bode, residuals
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved[0]["ok"] is True


def test_eis_conductivity_with_units(lpscl):
    args = ["eis", "conductivity", lpscl, "--thickness", "780 um", "--diameter", "10 mm", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (pellet,) = json.loads(result.output)
    # same numbers given in other units must give the same conductivity
    args2 = ["eis", "conductivity", lpscl, "--thickness", "0.078", "--area", "0.785398 cm^2", "--json"]
    (pellet2,) = json.loads(CliRunner().invoke(main, args2).output)
    assert pellet["total_S_cm"]["value"] == pytest.approx(pellet2["total_S_cm"]["value"], rel=1e-5)


def test_bad_unit_is_exit_2_with_one_line(lpscl):
    result = CliRunner().invoke(main, ["eis", "conductivity", lpscl, "--thickness", "5 kg",
                                       "--diameter", "1 cm"])
    assert result.exit_code == 2
    assert "--thickness" in result.output and "Traceback" not in result.output


def test_missing_temperature_is_a_clear_error(real_data, tmp_path):
    path = str(real_data / "eis/exampleData.csv")
    result = CliRunner().invoke(main, ["eis", "arrhenius", path, path, "--thickness", "1 mm",
                                       "--diameter", "1 cm"])
    assert result.exit_code == 2
    assert "exampleData.csv" in result.output and "--temperature" in result.output


def test_arrhenius_from_cli_with_temperature_flags(tmp_path):
    """Three synthetic spectra written as CSV, read back, fitted: Ea comes back."""
    import numpy as np

    from ssblab.echem.impedance.simulate import simulate_spectrum
    from ssblab.units import BOLTZMANN_eV_K

    paths, flags = [], []
    for t_C in (0, 25, 50):
        t = t_C + 273.15
        r = 100 * np.exp(0.4 / BOLTZMANN_eV_K * (1 / t - 1 / 298.15)) * t / 298.15
        s = simulate_spectrum("R0-CPE1", {"R0": r, "CPE1_Q": 1e-6, "CPE1_n": 0.9},
                              np.logspace(6, -1, 50))
        path = tmp_path / f"s{t_C}.csv"
        np.savetxt(path, np.column_stack([s.frequency_Hz, s.impedance_ohm.real, s.impedance_ohm.imag]),
                   delimiter=",", header="freq,Z',Z''", comments="")
        paths.append(str(path))
        flags += ["--temperature", f"{t_C} degC"]
    result = CliRunner().invoke(main, ["eis", "arrhenius", *paths, *flags, "--circuit", "R0-CPE1",
                                       "--thickness", "1 mm", "--area", "1 cm^2", "--json"])
    assert result.exit_code == 0, result.output
    (study,) = json.loads(result.output)
    ea = study["arrhenius"]["activation_energy_eV"]["value"]
    assert ea == pytest.approx(0.4, abs=1e-4)


def test_arrhenius_takes_each_files_geometry_from_the_table(tmp_path):
    """Three pellets of one material, of different thickness and diameter: the table's
    geometry for two files, the options for the third; each conductivity from its own."""
    import numpy as np

    kelvin_per_eV = 11604.518  # e / k_B
    f = np.logspace(6, -1, 50)
    geometry = {0: (0.1, 1.0), 25: (0.2, np.pi * 0.8**2 / 4), 50: (0.15, np.pi * 1.0**2 / 4)}
    truth = {}
    for t_C, (t_cm, a_cm2) in geometry.items():
        t = t_C + 273.15  # sigma T = A exp(-Ea / kT), Ea = 0.4 eV, sigma(25 C) = 1e-4 S/cm
        truth[t_C] = 1e-4 * 298.15 / t * np.exp(-0.4 * kelvin_per_eV * (1 / t - 1 / 298.15))
        z = t_cm / (truth[t_C] * a_cm2) + 1 / (1e-6 * (2j * np.pi * f) ** 0.9)  # R0-CPE1
        np.savetxt(tmp_path / f"pellet_{t_C}C.csv", np.column_stack([f, z.real, z.imag]),
                   delimiter=",", header="freq,Z',Z''", comments="")
    (tmp_path / "metadata.csv").write_text("file,thickness_mm,diameter_mm,area_cm2\n"
                                           "pellet_0C.csv,1,,1\npellet_25C.csv,2,8,\n")
    args = ["eis", "arrhenius", str(tmp_path), "--circuit", "R0-CPE1", "--thickness", "1.5 mm",
            "--diameter", "10 mm", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (study,) = json.loads(result.output)
    for pellet in study["conductivities"]:
        t_C = round(pellet["temperature_K"] - 273.15)
        assert (pellet["thickness_cm"], pellet["area_cm2"]) == pytest.approx(geometry[t_C])
        assert pellet["total_S_cm"]["value"] == pytest.approx(truth[t_C], rel=1e-4)
    assert study["arrhenius"]["activation_energy_eV"]["value"] == pytest.approx(0.4, abs=1e-3)
    # one row that gives an area and a diameter which disagree: a clear error naming both
    (tmp_path / "metadata.csv").write_text("file,thickness_mm,diameter_mm,area_cm2\n"
                                           "pellet_0C.csv,1,10,1\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "row 2" in result.output and "area" in result.output and "diameter" in result.output
    # a file listed twice with different thicknesses
    (tmp_path / "metadata.csv").write_text("file,thickness_mm\npellet_0C.csv,1\n"
                                           "pellet_0C.csv,2\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "pellet_0C.csv is listed twice" in result.output


def test_arc_zoom_frames_the_resistors(lpscl):
    from ssblab.echem.impedance.fitting import fit_circuit
    from ssblab.echem.io import read_spectrum

    fit = fit_circuit(read_spectrum(lpscl), "R0-p(R1,CPE1)-CPE2")
    span = fit.parameters["R0"].value + fit.parameters["R1"].value
    ax = fit.plot(zoom_arcs=True)
    assert ax.get_xlim()[1] == pytest.approx(1.2 * span)
    assert fit.plot().get_ylim()[1] > 10 * ax.get_ylim()[1]  # the spike dominates unzoomed


def test_missing_column_message_keeps_the_names_it_looked_for(tmp_path):
    """The CLI names its option (--frequency) where the message means the option, but leaves
    the quoted column names it looked for as they are ('frequency(hz)' was shown as
    '--frequency(hz)')."""
    table = tmp_path / "no_frequency.csv"
    table.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    result = CliRunner().invoke(main, ["read", "spectrum", str(table)])
    assert result.exit_code == 2
    assert "'frequency', 'f', 'freq(hz)', 'frequency(hz)'" in result.output
    assert "name it with the --frequency column option" in result.output
    assert "Traceback" not in result.output
