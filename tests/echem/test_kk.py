"""lin-KK: Schönleber's Lin-KK reference fit, valid vs drifting spectra, real files."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests run with --import-mode=importlib
import kkgen

from ssblab.echem.impedance.circuits import Circuit
from ssblab.echem.impedance.kk import KKResult, lin_kk
from ssblab.echem.io import read_spectra, read_spectrum
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError

# Circuit3_EIS_1.z fitted with M = 5 RC elements (time constants 1/omega_max ... 1/omega_min),
# a series R and L, complex fit weighted by 1/|Z|: the model impedance computed by
# Schönleber's Lin-KK software, as recorded in impedance.py's test suite
# (impedance/tests/test_validation.py, test_fit_linKK, "fit_true_comp"; MIT licence).
LIN_KK_REAL = np.array([
    1636.99559739, 1554.18810328, 1481.23911417, 1424.3900838, 1386.42808216,
    1367.90765932, 1369.06145295, 1391.315147, 1438.01800827, 1514.22980492,
    1625.24547239, 1773.58370231, 1955.13366155, 2157.00804753, 2360.1665209,
    2546.56349679, 2706.05172614, 2838.65071263, 2952.5228364, 3060.81514474,
    3179.54588511, 3326.61091254, 3520.64327344, 3777.99027267, 4106.63312453,
    4498.45313082, 4925.36485549, 5345.65471926, 5719.32098597, 6021.92053781,
    6247.97683411, 6405.23218601, 6506.56600035, 6564.25933403, 6587.42707198,
    6581.72881809, 6550.47463369, 6496.61170472, 6424.9457516, 6343.33583694,
    6261.61536605, 6188.64620036, 6129.75023804, 6086.26557292, 6056.87606879,
    6039.31722373, 6031.55856349, 6032.31830118, 6041.07049939, 6057.67650742,
    6081.71810383, 6111.74726757, 6136.91206761,
])
LIN_KK_IMAG = np.array([
    17.18695412, 35.89845324, 19.93303201, -24.04618822, -89.31690932,
    -171.05398322, -266.73687047, -375.31778525, -495.7085041, -624.93230106,
    -756.32867662, -878.75805143, -978.36531405, -1043.72669304, -1072.17384645,
    -1072.52206761, -1061.75528827, -1058.59331398, -1078.4942003, -1131.66997952,
    -1222.80054094, -1350.59588738, -1506.2444795, -1671.1947291, -1816.50610085,
    -1907.3683077, -1914.47475074, -1827.24555106, -1658.77755869, -1438.04893513,
    -1196.28141241, -957.17525874, -734.28460084, -533.0719019, -354.39918838,
    -197.69465823, -63.23427094, 46.76632237, 128.68462199, 179.70585913,
    200.45381383, 195.88528088, 173.62890483, 141.26465518, 104.48271295,
    66.69820353, 29.59329382, -6.05425717, -39.59351444, -69.9122427,
    -95.18725792, -113.19938882, -120.94168923,
])


def test_matches_schonleber_lin_kk_software(real_data):
    spectrum = read_spectrum(real_data / "eis" / "Circuit3_EIS_1.z")
    kk = lin_kk(spectrum, n_rc=5, capacitance=False)
    np.testing.assert_allclose(kk.model_impedance_ohm, LIN_KK_REAL + 1j * LIN_KK_IMAG, rtol=1e-8)


def _spectrum(z, f):
    return Spectrum(frequency_Hz=f, impedance_ohm=z, source="synthetic")


F = np.logspace(6, -1, 50)
CIRCUIT = Circuit("R0-p(R1,CPE1)-CPE2")
TRUTH = np.array([10.0, 1000.0, 1e-7, 0.85, 1e-5, 0.9])


def _noise(z, level, rng):
    return level * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))


def test_valid_spectrum_residuals_at_noise_level():
    rng = np.random.default_rng(1)
    z = CIRCUIT.impedance(TRUTH, F)
    kk = lin_kk(_spectrum(z + _noise(z, 0.002, rng), F))
    assert kk
    # M + 3 linear parameters absorb part of the noise: expected rms 0.002 sqrt(1 - P/2N)
    expected = 0.002 * np.sqrt(1 - (kk.n_rc + 3) / (2 * F.size))
    assert kk.rms_residual == pytest.approx(expected, rel=0.3)
    assert kk.mu <= 0.85


def test_noise_free_spectrum_is_reproduced():
    kk = lin_kk(_spectrum(CIRCUIT.impedance(TRUTH, F), F))
    assert kk and kk.rms_residual < 1e-3


def test_drifting_spectrum_is_flagged():
    # R1 grows by 30 % during the sweep (high frequency first), as in a cell that is still
    # equilibrating; the same noise as the valid spectrum
    rng = np.random.default_rng(1)
    params = np.tile(TRUTH, (F.size, 1))
    params[:, 1] *= np.linspace(1, 1.3, F.size)
    z = np.array([CIRCUIT.impedance(params[i], F[i:i + 1])[0] for i in range(F.size)])
    kk = lin_kk(_spectrum(z + _noise(z, 0.002, rng), F))
    assert not kk
    assert "Kramers-Kronig" in kk.reason
    assert kk.rms_residual > 2 * 0.002


def test_drift_test_on_hand_written_circuits():
    # every circuit of kkgen (written without ssblab's simulate code): 1 % noise passes, a 5 %
    # drift at 0.5 % noise, linear or relaxing, is caught, with the noise estimated
    for name, z in kkgen.circuits().items():
        assert kkgen.flagged(z, noise=0.01, seeds=6) == 0, name
    for name in ("1 arc (R||C)", "3 CPE arcs", "Randles + Warburg"):
        z = kkgen.circuits()[name]
        for kind in ("linear", "exponential"):
            assert kkgen.flagged(z, noise=0.005, seeds=6, drift=0.05, kind=kind) >= 5, (name, kind)
    kk = lin_kk(kkgen.spectrum(kkgen.circuits()["2 CPE arcs"], noise=0.005, seed=0, drift=0.05))
    assert "rotated component" in kk.reason and kk.drift_p < 3e-3
    # the rotated component is the size the drift predicts: |Z| grows by 5 % over 7 decades,
    # ln g ~ a ln(omega) with a = 0.05 / ln(1e7), whose KK partner rotates Z by a pi / 2, 0.49 %
    # of |Z| or an rms of 0.35 % over real and imaginary parts; the RC model absorbs part of it,
    # the noise adds about 0.005 sqrt(2 / 100) = 0.07 %
    assert 0.001 < kk.drift_rms < 0.0042


@pytest.mark.slow
def test_drift_test_rates_over_100_seeds():
    # the targets of issue 13: <= 1/100 false alarms at 1 % noise, >= 95/100 5 % drifts caught
    # at 0.5 % noise, noise given or estimated (measured: docs/eis.md)
    for name, z in kkgen.circuits().items():
        for given in (False, True):
            assert kkgen.flagged(z, noise=0.01, seeds=100, given=given) <= 1, (name, given)
            assert kkgen.flagged(z, noise=0.005, seeds=100, drift=0.05, given=given) >= 95, \
                (name, given)


@pytest.mark.parametrize("name", ["Circuit1_EIS_1.z", "Circuit2_EIS_1.z", "Circuit3_EIS_1.z",
                                  "lpscl_blocking_-25C.mpr", "exampleData.csv",
                                  "ssb_ncm-lpscl-inli_end-of-discharge.mpr"])
def test_real_spectra_pass(real_data, name):
    kk = lin_kk(read_spectra(real_data / "eis" / name)[0])
    assert kk, kk.reason


def test_result_plot_round_trip_and_errors(real_data):
    kk = lin_kk(read_spectrum(real_data / "eis" / "lpscl_blocking_-25C.mpt"))
    ax = kk.plot()
    assert ax.get_xlabel() == "frequency / Hz" and "Z_KK" in ax.get_ylabel()
    back = KKResult.from_json(kk.to_json())
    np.testing.assert_array_equal(back.residuals, kk.residuals)
    assert "RC elements M" in str(kk)
    with pytest.raises(InputError, match="n_rc: expected 1 to"):
        lin_kk(_spectrum(CIRCUIT.impedance(TRUTH, F), F), n_rc=1000)
