"""Equivalent-circuit fits: synthetic recovery within the reported uncertainties, failure
reporting, derived arc quantities, impedance.py's documented results and every real file."""

import numpy as np
import pytest

from ssblab.echem.impedance.circuits import Circuit
from ssblab.echem.impedance.fitting import CircuitFit, CircuitModel, fit_circuit, initial_guesses, weights
from ssblab.echem.io import read_spectra, read_spectrum
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError

# A solid electrolyte between blocking electrodes: bulk (pF), grain boundary (nF), electrode.
SSE = "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"
SSE_TRUTH = {"R0": 15.0, "R1": 800.0, "CPE1_Q": 3e-10, "CPE1_n": 0.92, "R2": 2500.0,
             "CPE2_Q": 2e-8, "CPE2_n": 0.8, "CPE3_Q": 2e-6, "CPE3_n": 0.88}
F = np.logspace(7, -1, 65)


def synthetic(circuit, truth, *, noise=0.0, rng=0, f=F):
    """Spectrum with complex Gaussian noise of standard deviation ``noise * |Z|`` per part."""
    z = Circuit(circuit).impedance(truth, f)
    rng = np.random.default_rng(rng)
    z = z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    return Spectrum(frequency_Hz=f, impedance_ohm=z, source="synthetic")


@pytest.mark.parametrize("weighting", ["unit", "proportional", "modulus"])
def test_noise_free_recovery_from_automatic_guesses(weighting):
    fit = fit_circuit(synthetic(SSE, SSE_TRUTH), SSE, weighting=weighting)
    assert fit, fit.reason
    for name, value in SSE_TRUTH.items():
        assert fit.parameters[name].value == pytest.approx(value, rel=1e-5), name
    assert fit.rms_relative_residual < 1e-7


def test_noisy_recovery_within_three_sigma_and_calibrated_errors():
    # 0.5 % noise, modulus weighting (the matching weights for noise proportional to |Z|).
    # 20 noise realisations x 9 parameters = 180 checks: each within 3.5 reported standard
    # errors of the truth (two-sided p = 5e-4 each, so a correct error estimate fails this
    # about once in 12 seeds sets; 3 sigma would fail one in three), and about 68 % within
    # 1 standard error (binomial 1-sigma band for 180 draws: +-3.5 %).
    within_1, total = 0, 0
    for seed in range(20):
        fit = fit_circuit(synthetic(SSE, SSE_TRUTH, noise=0.005, rng=seed), SSE)
        assert fit, fit.reason
        for name, value in SSE_TRUTH.items():
            m = fit.parameters[name]
            assert abs(m.value - value) < 3.5 * m.stderr, (seed, name, m, value)
            within_1 += abs(m.value - value) < m.stderr
            total += 1
        assert fit.rms_relative_residual == pytest.approx(0.005, rel=0.25)
    assert 0.55 < within_1 / total < 0.8


def test_reduced_chi2_matches_the_noise_variance():
    fit = fit_circuit(synthetic(SSE, SSE_TRUTH, noise=0.01, rng=3), SSE, weighting="modulus")
    assert fit.chi2_reduced == pytest.approx(0.01**2, rel=0.25)


def test_weights():
    z = np.array([3 - 4j, 1e-4 - 1j])
    w_re, w_im = weights(z, "proportional")
    np.testing.assert_allclose(w_re, [1 / 3, 1 / 1e-2])  # 1 % of |Z| floor
    np.testing.assert_allclose(w_im, [1 / 4, 1.0])
    np.testing.assert_allclose(weights(z, "unit")[0], 1.0)
    with pytest.raises(InputError, match="did you mean 'modulus'"):
        fit_circuit(synthetic("R0-p(R1,C1)", [1.0, 10.0, 1e-6]), "R0-p(R1,C1)",
                    weighting="modulu")


def test_overparameterised_fit_says_so():
    spectrum = synthetic("R0-p(R1,C1)", [10.0, 100.0, 1e-6], noise=0.002)
    fit = fit_circuit(spectrum, "R0-p(R1,CPE1)-p(R2,CPE2)")
    assert not fit
    assert "undetermined" in fit.reason or "bound" in fit.reason


def test_wrong_model_says_so():
    fit = fit_circuit(synthetic(SSE, SSE_TRUTH), "R0-p(R1,C1)")
    assert not fit
    assert "misses the data" in fit.reason or "bound" in fit.reason
    assert "FAILED" in str(fit)


def test_fixed_and_bounds():
    spectrum = synthetic(SSE, SSE_TRUTH, noise=0.002, rng=1)
    fit = fit_circuit(spectrum, SSE, fixed={"CPE3_n": 0.88})
    assert fit.parameters["CPE3_n"].value == 0.88 and fit.parameters["CPE3_n"].stderr == 0
    assert fit.fixed == ("CPE3_n",)
    fit = fit_circuit(spectrum, SSE, bounds={"CPE1_n": (0.5, 0.9)})
    assert not fit and "CPE1_n" in fit.reason  # the truth 0.92 lies outside: pinned at 0.9
    with pytest.raises(InputError, match="did you mean 'CPE3_n'"):
        fit_circuit(spectrum, SSE, fixed={"CPE3n": 0.9})
    with pytest.raises(InputError, match="outside its bounds"):
        fit_circuit(spectrum, SSE, initial={"CPE1_n": 1.5})


def test_arcs_brug_capacitance_and_apex_frequency():
    fit = fit_circuit(synthetic(SSE, SSE_TRUTH), SSE)
    bulk, gb = fit.arcs
    assert (bulk.resistor, bulk.capacitor) == ("R1", "CPE1")
    r, q, n = SSE_TRUTH["R2"], SSE_TRUTH["CPE2_Q"], SSE_TRUTH["CPE2_n"]
    assert gb.capacitance_F.value == pytest.approx((r ** (1 - n) * q) ** (1 / n), rel=1e-5)
    # independent check of the apex: the maximum of -Z'' of the block alone on a dense grid
    f = np.logspace(0, 6, 200001)
    z = Circuit("p(R1,CPE1)").impedance([r, q, n], f)
    assert gb.apex_frequency_Hz.value == pytest.approx(f[np.argmax(-z.imag)], rel=1e-4)
    assert 1e-12 < bulk.capacitance_F.value < 1e-10 < 1e-9 < gb.capacitance_F.value < 1e-7


def test_arc_uncertainties_follow_from_the_covariance():
    fits = [fit_circuit(synthetic(SSE, SSE_TRUTH, noise=0.005, rng=s), SSE) for s in range(12)]
    c = np.array([f.arcs[1].capacitance_F.value for f in fits])
    reported = np.median([f.arcs[1].capacitance_F.stderr for f in fits])
    assert np.std(c, ddof=1) == pytest.approx(reported, rel=0.5)


def test_result_round_trip_plots_and_estimator():
    spectrum = synthetic("R0-p(R1,C1)", [10.0, 100.0, 1e-6], noise=0.001)
    fit = fit_circuit(spectrum, "R0-p(R1,C1)")
    back = CircuitFit.from_json(fit.to_json())
    assert back.parameters == fit.parameters and back.arcs == fit.arcs
    np.testing.assert_array_equal(back.model_impedance_ohm, fit.model_impedance_ohm)
    assert fit.plot().get_xlabel() == "Z' / Ω"
    assert fit.plot_bode().get_xlabel() == "frequency / Hz"
    assert "%" in fit.plot_residuals().get_ylabel()
    assert "R1 / ohm" in str(fit) and fit.table()[0]["R1 / ohm"] == fit.parameters["R1"].value
    model = CircuitModel("R0-p(R1,C1)").fit(spectrum)
    assert model.parameters_ == fit.parameters
    np.testing.assert_allclose(model.predict(spectrum.frequency_Hz), fit.model_impedance_ohm)


def test_initial_guesses_read_the_spectrum():
    guess = initial_guesses(synthetic(SSE, SSE_TRUTH), SSE)[0]
    assert guess["R1"] == pytest.approx(SSE_TRUTH["R1"], rel=0.5)
    assert guess["R2"] == pytest.approx(SSE_TRUTH["R2"], rel=0.5)
    assert guess["CPE3_Q"] == pytest.approx(SSE_TRUTH["CPE3_Q"], rel=0.5)


# --- real data --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Circuit1_EIS_1.z", "Circuit2_EIS_1.z", "Circuit3_EIS_1.z"])
def test_zplot_dummy_circuits(real_data, name):
    # The files do not state the components. Checks: R-(R||C) describes the data to < 1 %
    # rms with an ideal capacitor (a CPE's n goes to 1), R0 and R0 + R1 equal the measured
    # high- and low-frequency intercepts, and adding the cables' inductance leaves R and C
    # within 2 %.
    spectrum = read_spectrum(real_data / "eis" / name)
    fit = fit_circuit(spectrum, "R0-p(R1,C1)")
    assert fit and fit.rms_relative_residual < 0.01
    v = fit.values
    z = spectrum.impedance_ohm
    assert v["R0"] + v["R1"] == pytest.approx(z[np.argmin(spectrum.frequency_Hz)].real, rel=0.01)
    assert v["R0"] == pytest.approx(z.real.min(), rel=0.02)
    cpe = fit_circuit(spectrum, "R0-p(R1,CPE1)")
    assert cpe.parameters["CPE1_n"].value > 0.99
    with_l = fit_circuit(spectrum, "L0-R0-p(R1,C1)")
    assert with_l and with_l.chi2 < fit.chi2
    for k in ("R0", "R1", "C1"):
        assert with_l.values[k] == pytest.approx(v[k], rel=0.02), k


def _example_data(real_data):
    s = read_spectrum(real_data / "eis" / "exampleData.csv")
    keep = s.impedance_ohm.imag < 0  # as impedance.py's preprocessing.ignoreBelowX
    return Spectrum(frequency_Hz=s.frequency_Hz[keep], impedance_ohm=s.impedance_ohm[keep])


# impedance.py 1.7.1, its "Getting started" circuit and initial guess on exampleData.csv, and
# the results its own test suite documents (impedance/tests/test_fitting.py: results_local,
# results_local_weighted), three significant digits.
IMPEDANCE_PY_CIRCUIT = "R0-p(R1,C1)-p(R2-Wo1,C2)"
IMPEDANCE_PY_GUESS = [.01, .01, 100, .01, .05, 100, 1]
IMPEDANCE_PY = {"unit": [1.65e-2, 8.68e-3, 3.32, 5.39e-3, 6.31e-2, 2.33e2, 2.20e-1],
                "modulus": [1.64e-2, 9.06e-3, 3.06, 5.29e-3, 1.45e-1, 1.32e3, 2.02e-1]}


@pytest.mark.parametrize("weighting", ["unit", "modulus"])
def test_example_data_agrees_with_impedance_py(real_data, weighting):
    spectrum = _example_data(real_data)
    c = Circuit(IMPEDANCE_PY_CIRCUIT)
    fit = fit_circuit(spectrum, c, weighting=weighting,
                      initial=dict(zip(c.parameter_names, IMPEDANCE_PY_GUESS)))
    # Agreement to the 3 digits given (0.5 %), or within one of ssblab's standard errors for
    # the Warburg parameters, which lie along a flat valley where each optimiser stops at its
    # own tolerance (impedance.py's own tests accept both 2.33e2 and 2.38e2 for Wo1_tau).
    for name, ref in zip(c.parameter_names, IMPEDANCE_PY[weighting]):
        m = fit.parameters[name]
        assert abs(m.value - ref) <= max(0.005 * ref, m.stderr), (name, m, ref)
    if weighting == "modulus":
        # with modulus weighting ssblab flags the Warburg resistance as undetermined
        assert not fit and "Wo1_R" in fit.reason
    else:
        assert fit
        auto = fit_circuit(spectrum, c, weighting=weighting)  # no guesses: same minimum
        assert auto.chi2 <= fit.chi2 * (1 + 1e-6)


REAL = [("Circuit1_EIS_1.z", "R0-p(R1,C1)"),
        ("Circuit2_EIS_1.z", "R0-p(R1,C1)"),
        ("Circuit3_EIS_1.z", "R0-p(R1,C1)"),
        ("exampleDataZPlot.z", "R0-p(R1,C1)"),
        ("exampleData.csv", "L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"),
        ("exampleDataBioLogic.mpt", "R0-p(R1,CPE1)"),
        ("lpscl_blocking_-25C.mpr", "R0-p(R1,CPE1)-CPE2"),
        ("lpscl_blocking_-25C.mpt", "R0-p(R1,CPE1)-CPE2"),
        ("lpscl_blocking_-25C_relaxis.txt", "R0-p(R1,CPE1)-CPE2"),
        # without a series resistance these half-cell spectra are refused (the data ask for
        # one: test_fit_unmeasured_apex.py); the end-of-discharge one leaves its top arc
        # unresolved either way
        ("ssb_ncm-lpscl-inli_rest.csv", "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)")]


@pytest.mark.parametrize("name, circuit", REAL)
def test_every_real_spectrum_fits_from_automatic_guesses(real_data, name, circuit):
    spectrum = read_spectra(real_data / "eis" / name)[0]
    fit = fit_circuit(spectrum, circuit)
    assert fit, fit.reason
    assert fit.rms_relative_residual < 0.04
    for m in fit.parameters.values():
        assert m.relative_error < 1


def test_a_drifting_spectrum_is_refused_unless_its_noise_is_given(real_data):
    """impedance.py's Gamry example fails lin-KK (a rotated non-KK component, drift): its
    lin-KK residual (3.7 %) is not noise, so the two-arc fit (4 % rms) is judged against the
    0.5 % floor and refused, naming the cause and the fix; given that noise, it is accepted
    (it passed as ok before, excused by the drift)."""
    from ssblab.echem.impedance import lin_kk

    spectrum = read_spectra(real_data / "eis" / "exampleDataGamry.DTA")[0]
    check = lin_kk(spectrum)
    assert not check and "drift" in check.reason
    fit = fit_circuit(spectrum, "p(R1,CPE1)-p(R2,CPE2)")
    assert not fit
    assert "not Kramers-Kronig consistent" in fit.reason and "--noise" in fit.reason
    accepted = fit_circuit(spectrum, "p(R1,CPE1)-p(R2,CPE2)",
                           noise_relative=check.noise_relative)
    assert accepted, accepted.reason
    assert accepted.rms_relative_residual < 0.04


def test_lpscl_pellet_bulk_arc(real_data):
    # The three copies of the LPSCl spectrum give the same fit; the bulk arc's effective
    # capacitance is of the order of pF-100 pF, as for a solid electrolyte's bulk.
    fits = [fit_circuit(read_spectrum(real_data / "eis" / n), "R0-p(R1,CPE1)-CPE2")
            for n in ("lpscl_blocking_-25C.mpr", "lpscl_blocking_-25C.mpt",
                      "lpscl_blocking_-25C_relaxis.txt")]
    r1 = [f.values["R1"] for f in fits]
    assert max(r1) == pytest.approx(min(r1), rel=1e-3)
    assert 1e-12 < fits[0].arcs[0].capacitance_F.value < 1e-9
