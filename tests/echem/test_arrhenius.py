import numpy as np
import pytest

from ssblab.echem.impedance.arrhenius import fit_arrhenius
from ssblab.echem.impedance.conductivity import classify_arc, conductivity_from_resistance, pellet_area_cm2
from ssblab.errors import InputError
from ssblab.results import Measured
from ssblab.units import BOLTZMANN_eV_K

T = np.array([243.15, 263.15, 283.15, 303.15, 323.15, 343.15])


def _sigma(T, ea, s25, form):
    t25 = 298.15
    if form == "sigma_T":
        return s25 * t25 / T * np.exp(-ea / BOLTZMANN_eV_K * (1 / T - 1 / t25))
    return s25 * np.exp(-ea / BOLTZMANN_eV_K * (1 / T - 1 / t25))


@pytest.mark.parametrize("form", ["sigma_T", "sigma"])
def test_exact_data_recovered(form):
    fit = fit_arrhenius(T, _sigma(T, 0.45, 2e-3, form), form=form)
    assert fit.activation_energy_eV.value == pytest.approx(0.45, rel=1e-10)
    assert fit.conductivity_25C_S_cm.value == pytest.approx(2e-3, rel=1e-10)
    assert not fit.extrapolated_25C and fit.r_squared == pytest.approx(1.0)


def test_forms_differ_by_about_kT():
    sigma = _sigma(T, 0.40, 1e-3, "sigma_T")
    ea_t = fit_arrhenius(T, sigma, form="sigma_T").activation_energy_eV.value
    ea = fit_arrhenius(T, sigma, form="sigma").activation_energy_eV.value
    # ln(sigma) = ln(sigma T) - ln T; d ln T / d(1/kT) = -kT, so Ea differs by ~k*T_mean.
    assert ea_t - ea == pytest.approx(BOLTZMANN_eV_K * T.mean(), rel=0.05)


def test_uncertainty_covers_truth_at_the_stated_rate():
    rng = np.random.default_rng(0)
    z = []
    for _ in range(400):
        noisy = _sigma(T, 0.32, 4.4e-3, "sigma_T") * np.exp(rng.normal(0, 0.05, T.size))
        fit = fit_arrhenius(T, noisy)
        z.append((fit.activation_energy_eV.value - 0.32) / fit.activation_energy_eV.stderr)
    z = np.abs(np.array(z))
    # |z| < 1 for ~68 % (t-distributed with 4 dof: 63 %); allow sampling spread of 400 trials.
    assert 0.56 < np.mean(z < 1) < 0.72


def test_extrapolation_is_flagged():
    hot = np.array([333.15, 353.15, 373.15])
    fit = fit_arrhenius(hot, _sigma(hot, 0.3, 1e-3, "sigma_T"))
    assert fit.extrapolated_25C
    assert "extrapolated" in str(fit)


def test_weights_from_stderr_change_the_fit():
    sigma = _sigma(T, 0.3, 1e-3, "sigma_T")
    sigma[0] *= 3  # an outlier ...
    err = 0.01 * sigma
    err[0] = 10 * sigma[0]  # ... that the user says is uncertain
    weighted = fit_arrhenius(T, sigma, conductivity_stderr_S_cm=err)
    unweighted = fit_arrhenius(T, sigma)
    error_weighted = abs(weighted.activation_energy_eV.value - 0.3)
    assert error_weighted < 0.2 * abs(unweighted.activation_energy_eV.value - 0.3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(temperature_K=[300, 300], conductivity_S_cm=[1e-3, 2e-3]), "two distinct"),
    (dict(temperature_K=[300, 310], conductivity_S_cm=[1e-3, -1]), "conductivity_S_cm"),
    (dict(temperature_K=[300, -5], conductivity_S_cm=[1e-3, 1e-3]), "temperature_K"),
    (dict(temperature_K=[300, 310, 320], conductivity_S_cm=[1e-3, 1e-3]), "same length"),
    (dict(temperature_K=[300, 310], conductivity_S_cm=[1e-3, 2e-3], form="sigmaT"), "did you mean"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        fit_arrhenius(**kwargs)


def test_round_trip_and_plot():
    fit = fit_arrhenius(T, _sigma(T, 0.3, 1e-3, "sigma_T"))
    back = type(fit).from_json(fit.to_json())
    assert back.activation_energy_eV == fit.activation_energy_eV
    np.testing.assert_array_equal(back.temperature_K, T)
    ax = fit.plot()
    assert "1000 / T" in ax.get_xlabel() and "S/cm" in ax.get_ylabel()


def test_conductivity_geometry():
    area = pellet_area_cm2(diameter_cm=1.0)
    assert area == pytest.approx(np.pi / 4)
    sigma = conductivity_from_resistance(Measured(50.0, 1.0, "ohm"), thickness_cm=0.05, area_cm2=area)
    assert sigma.value == pytest.approx(0.05 / (50 * np.pi / 4))
    assert sigma.relative_error == pytest.approx(0.02)
    with pytest.raises(InputError, match="exactly one"):
        pellet_area_cm2(area_cm2=1.0, diameter_cm=1.0)


@pytest.mark.parametrize("c, kind", [(5e-12, "bulk"), (5e-11, "grain boundary"), (2e-9, "grain boundary"),
                                     (5e-8, "surface layer"), (1e-6, "electrode")])
def test_classify_arc(c, kind):
    assert classify_arc(c, thickness_cm=0.1, area_cm2=0.1) == kind
