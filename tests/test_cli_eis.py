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


def test_arc_zoom_frames_the_resistors(lpscl):
    from ssblab.echem.impedance.fitting import fit_circuit
    from ssblab.echem.io import read_spectrum

    fit = fit_circuit(read_spectrum(lpscl), "R0-p(R1,CPE1)-CPE2")
    span = fit.parameters["R0"].value + fit.parameters["R1"].value
    ax = fit.plot(zoom_arcs=True)
    assert ax.get_xlim()[1] == pytest.approx(1.2 * span)
    assert fit.plot().get_ylim()[1] > 10 * ax.get_ylim()[1]  # the spike dominates unzoomed
