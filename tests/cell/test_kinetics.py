import numpy as np
import pytest

from ssblab.cell.kinetics import (
    butler_volmer_current,
    butler_volmer_overpotential,
    charge_transfer_resistance_ohm_cm2,
    exchange_current_from_rct,
    thermal_voltage_V,
)
from ssblab.errors import InputError


def test_linear_limit_gives_rct():
    # small overpotential: eta / i -> RT / ((aa + ac) F i0)
    i0 = 0.5
    eta = 1e-5
    i = butler_volmer_current(eta, i0)
    assert eta / (i * 1e-3) == pytest.approx(charge_transfer_resistance_ohm_cm2(i0), rel=1e-6)
    assert charge_transfer_resistance_ohm_cm2(i0) == pytest.approx(thermal_voltage_V(298.15) / (i0 * 1e-3))


def test_tafel_limit_slope():
    # large overpotential: d eta / d log10(i) = ln(10) RT / (alpha_a F)
    i0, alpha = 1e-3, 0.3
    i = np.array([1e2, 1e3])
    eta = butler_volmer_overpotential(i, i0, alpha_anodic=alpha, alpha_cathodic=1 - alpha)
    slope = (eta[1] - eta[0]) / 1.0
    assert slope == pytest.approx(np.log(10) * thermal_voltage_V(298.15) / alpha, rel=1e-4)


@pytest.mark.parametrize("aa, ac", [(0.5, 0.5), (0.3, 0.7), (0.8, 0.4)])
def test_inverse_round_trip(aa, ac):
    eta = np.linspace(-0.4, 0.4, 41)
    i = butler_volmer_current(eta, 0.2, alpha_anodic=aa, alpha_cathodic=ac)
    back = butler_volmer_overpotential(i, 0.2, alpha_anodic=aa, alpha_cathodic=ac)
    np.testing.assert_allclose(back, eta, atol=1e-9)


def test_exchange_current_from_rct_inverts_rct():
    assert exchange_current_from_rct(charge_transfer_resistance_ohm_cm2(0.37)) == pytest.approx(0.37)


def test_bad_inputs():
    with pytest.raises(InputError, match="exchange_current"):
        butler_volmer_overpotential(1.0, -1.0)
    with pytest.raises(InputError, match="alpha"):
        butler_volmer_overpotential(1.0, 1.0, alpha_anodic=0.0)
    with pytest.raises(InputError, match="rct_ohm_cm2"):
        exchange_current_from_rct(0.0)
