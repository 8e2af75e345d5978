import math

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError, check_choice
from ssblab.files import atomic_write
from ssblab.report import Report
from ssblab.results import Measured, Result, format_uncertain
from ssblab.units import parse_quantity


@pytest.mark.parametrize("text, unit, expected", [
    ("500 um", "cm", 0.05), ("10 mm", "cm", 1.0), ("25 degC", "K", 298.15),
    ("-25 degC", "K", 248.15), ("0.5 mA/cm^2", "A/m^2", 5.0), ("3", "cm", 3.0),
    ("1e-3 S/cm", "S/m", 0.1), ("500 µm", "mm", 0.5),
])
def test_parse_quantity(text, unit, expected):
    assert parse_quantity(text, unit) == pytest.approx(expected)


@pytest.mark.parametrize("text, message", [
    ("5 kg", "is a mass .* expects a length"), ("5 furlongz", "unknown unit"), ("thick", "expected a number"),
])
def test_parse_quantity_errors_name_the_parameter(text, message):
    with pytest.raises(InputError, match=f"--thickness.*{message}|{message}.*"):
        parse_quantity(text, "cm", name="--thickness")


def test_check_choice_suggests():
    with pytest.raises(InputError, match="did you mean 'modulus'"):
        check_choice("modulu", ["unit", "proportional", "modulus"], name="weighting")


@pytest.mark.parametrize("value, err, text", [
    (4.40e-3, 0.12e-3, "4.40(12)e-3"), (0.321, 0.004, "0.3210(40)"), (123.4, 5.6, "123.4(56)"),
    (1.0, math.nan, "1"), (0.0996, 0.0996, "0.10(10)"), (-2.5e5, 3e3, "-2.500(30)e5"),
])
def test_format_uncertain(value, err, text):
    assert format_uncertain(value, err) == text


def test_spectrum_json_round_trip_is_lossless():
    f = np.logspace(6, -1, 50)
    z = 10 + 1e3 / (1 + 2j * np.pi * f * 1e-6) + 1e-7j
    s = Spectrum(frequency_Hz=f, impedance_ohm=z, source="x", temperature_K=298.15,
                 metadata={"cycle": 3, "tags": ("a", "b")})
    back = Spectrum.from_json(s.to_json())
    np.testing.assert_array_equal(back.frequency_Hz, f)
    np.testing.assert_array_equal(back.impedance_ohm, z)
    assert back.metadata == {"cycle": 3, "tags": ("a", "b")}
    assert back.temperature_K == 298.15


def test_spectrum_rejects_nan_and_says_where():
    f = np.array([1e3, 1e2, 1e1, 1.0])
    z = np.array([1, 2, np.nan, 4], dtype=complex)
    with pytest.raises(InputError, match=r"myfile.*NaN.*rows \[2\]"):
        Spectrum(frequency_Hz=f, impedance_ohm=z, source="myfile")


def test_measured_and_failed_result():
    assert str(Measured(4.4e-3, 1.2e-4, "S/cm")) == "4.40(12)e-3 S/cm"
    failed = Result(ok=False, reason="did not converge")
    assert not failed and "FAILED: did not converge" in str(failed)
    assert Result.from_json(failed.to_json()) == failed


def test_atomic_write_leaves_no_temporary(tmp_path):
    path = atomic_write(tmp_path / "a" / "b.txt", "hello")
    assert path.read_text() == "hello"
    assert [p.name for p in path.parent.iterdir()] == ["b.txt"]


def test_report_embeds_svg(tmp_path):
    f = np.logspace(4, 0, 10)
    s = Spectrum(frequency_Hz=f, impedance_ohm=1 / (1e-3 + 2j * np.pi * f * 1e-6), source="s")
    report = Report("t")
    report.add(s)
    html = report.write(tmp_path / "r.html").read_text()
    assert "<svg" in html and "Impedance spectrum" in html


def test_cli_help_and_version():
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0 and "Exit codes" in result.output
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "ssblab" in result.output
