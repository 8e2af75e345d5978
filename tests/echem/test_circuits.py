"""Circuit grammar, element impedances against closed forms, analytic Jacobian vs finite differences."""

import numpy as np
import pytest

from ssblab.echem.impedance.circuits import ELEMENTS, Circuit
from ssblab.errors import InputError

F = np.logspace(-2, 6, 41)
W = 2 * np.pi * F


def test_parameter_names_units_and_order():
    c = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)-CPE3")
    assert c.parameter_names == ("R0", "R1", "CPE1_Q", "CPE1_n", "R2", "CPE2_Q", "CPE2_n",
                                 "CPE3_Q", "CPE3_n")
    assert c.parameter_units["R0"] == "ohm"
    assert c.parameter_units["CPE1_Q"] == "F s^(n-1)"
    assert c.parameter_units["CPE1_n"] == ""
    c = Circuit("L0-C1-W1-Ws1-Wo_a")
    assert c.parameter_names == ("L0", "C1", "W1", "Ws1_R", "Ws1_tau", "Wo_a_R", "Wo_a_tau")
    assert [c.parameter_units[n] for n in c.parameter_names] == [
        "H", "F", "ohm s^-1/2", "ohm", "s", "ohm", "s"]
    lower, upper = c.default_bounds()
    assert (lower == 0).all() and np.isinf(upper).all()
    assert Circuit("p(R1,CPE1)").default_bounds()[1].tolist() == [np.inf, np.inf, 1.0]


@pytest.mark.parametrize("text, message", [
    ("R0-p(R1,Q1)", "did you mean 'CPE1'"),
    ("R0-CPR1", "did you mean 'CPE1'"),
    ("R0-c1", "did you mean 'C1'"),
    ("RSEI", "did you mean 'R_SEI'"),
    ("R0-p(R1,C1", "expected ')' but found the end at position 10"),
    ("R0-p(R1)", "at least two branches"),
    ("R0--R1", "position 3"),
    ("R0-R0", "used twice"),
    ("", "empty circuit"),
    ("R0+R1", "unexpected character '+'"),
    ("__import__('os')", "unexpected character '_' at position 0"),
    ("exec('x')", "unknown element 'exec'"),
])
def test_grammar_errors_name_position_and_suggestion(text, message):
    with pytest.raises(InputError, match=None) as info:
        Circuit(text)
    assert message in str(info.value)


def test_grouping_and_whitespace():
    a = Circuit("R0 - p( R1 , C1 ) - (R2-C2)")
    b = Circuit("R0-p(R1,C1)-R2-C2")
    p = [1.0, 2.0, 3e-3, 4.0, 5e-4]
    np.testing.assert_allclose(a.impedance(p, F), b.impedance(p, F))


def test_elements_match_closed_forms():
    r, c, ind, q, n, sigma, tau = 50.0, 2e-6, 3e-7, 4e-5, 0.8, 7.0, 0.5
    z = Circuit("R0").impedance([r], F)
    np.testing.assert_allclose(z, r)
    np.testing.assert_allclose(Circuit("C0").impedance([c], F), -1j / (W * c))
    np.testing.assert_allclose(Circuit("L0").impedance([ind], F), 1j * W * ind)
    np.testing.assert_allclose(Circuit("CPE0").impedance([q, n], F),
                               1 / (q * W**n) * np.exp(-1j * n * np.pi / 2))
    np.testing.assert_allclose(Circuit("CPE0").impedance([c, 1.0], F), -1j / (W * c))
    np.testing.assert_allclose(Circuit("W0").impedance([sigma], F), sigma * (1 - 1j) / np.sqrt(W))
    # finite Warburgs: DC limits (short -> R; open -> R/3 + capacitor tau/R) and the
    # semi-infinite limit at high frequency, sigma = R / sqrt(2 tau)
    low, high = np.array([1e-7]), np.array([1e7])
    ws = Circuit("Ws0").impedance([r, tau], low)
    np.testing.assert_allclose(ws, r, rtol=1e-6)
    wo = Circuit("Wo0").impedance([r, tau], low)
    np.testing.assert_allclose(wo.real, r / 3, rtol=1e-6)
    np.testing.assert_allclose(wo.imag, -r / (2 * np.pi * low * tau), rtol=1e-6)
    semi = r / np.sqrt(2 * tau) * (1 - 1j) / np.sqrt(2 * np.pi * high)
    np.testing.assert_allclose(Circuit("Ws0").impedance([r, tau], high), semi, rtol=1e-9)
    np.testing.assert_allclose(Circuit("Wo0").impedance([r, tau], high), semi, rtol=1e-9)


def test_series_and_parallel_composition():
    r0, r1, c1 = 10.0, 100.0, 1e-6
    z = Circuit("R0-p(R1,C1)").impedance([r0, r1, c1], F)
    np.testing.assert_allclose(z, r0 + r1 / (1 + 1j * W * r1 * c1))
    z3 = Circuit("p(R1,C1,L1)").impedance([r1, c1, 1e-3], F)
    np.testing.assert_allclose(z3, 1 / (1 / r1 + 1j * W * c1 + 1 / (1j * W * 1e-3)))


ALL_CIRCUITS = [*(f"{s}0" for s in ELEMENTS),
                "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3",
                "L0-R0-p(R1,C1)-p(R2-Wo1,C2)",
                "p(R1,CPE1,C1)-p(R2-W1,CPE2-Ws1)",
                "p(p(R1,C1)-R2,CPE1)-Wo1"]


@pytest.mark.parametrize("text", ALL_CIRCUITS)
def test_analytic_jacobian_equals_finite_differences(text):
    c = Circuit(text)
    rng = np.random.default_rng(7)
    p = np.exp(rng.normal(size=c.n_parameters))
    for i, name in enumerate(c.parameter_names):
        if name.endswith("_n"):
            p[i] = rng.uniform(0.5, 0.95)
    jac = c.jacobian(p, F)
    for i in range(c.n_parameters):
        h = 1e-6 * p[i]
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        numeric = (c.impedance(up, F) - c.impedance(down, F)) / (2 * h)
        # central differences: truncation ~1e-12 relative, round-off ~eps |Z| / h
        allowed = 1e-6 * np.abs(numeric) + 1e-8 * np.abs(c.impedance(p, F)) / p[i]
        bad = np.abs(jac[:, i] - numeric) > allowed
        assert not bad.any(), f"{text}: d Z / d {c.parameter_names[i]} at f = {F[bad]}"


def test_broadcasting_over_parameter_sets():
    c = Circuit("R0-p(R1,CPE1)")
    p = np.array([[1.0, 10.0, 1e-3, 0.9], [2.0, 20.0, 2e-3, 0.8]])
    z, jac = c.impedance_and_jacobian(p, F)
    assert z.shape == (2, F.size) and jac.shape == (2, F.size, 4)
    for k in range(2):
        np.testing.assert_allclose(z[k], c.impedance(p[k], F))
        np.testing.assert_allclose(jac[k], c.jacobian(p[k], F))


def test_parameter_mapping_errors():
    c = Circuit("R0-p(R1,C1)")
    with pytest.raises(InputError, match="did you mean 'C1' for 'c1'"):
        c.impedance({"R0": 1, "R1": 2, "c1": 3}, F)
    with pytest.raises(InputError, match="3 parameters"):
        c.impedance([1.0, 2.0], F)


def test_deep_nesting_is_refused_briefly():
    """3000 nested brackets: an InputError with a short excerpt, not a RecursionError."""
    text = "p(" * 3000 + "R1,C1" + ")" * 3000
    with pytest.raises(InputError, match="nested more than 32 deep") as info:
        Circuit(text)
    assert len(str(info.value)) < 400
    nested = "p(" * 10 + "R0,C0" + "".join(f",R{k})" for k in range(1, 11))
    assert len(Circuit(nested).elements) == 12  # reasonable nesting still parses
