"""Validation of the DRT against analytic truths (RC, ZARC, RC ladders) and real spectra.

Truths: the DRT of an RC element is a delta of area R at tau = RC; that of a ZARC
``R / (1 + (j w tau0)^phi)`` is ``gamma(ln tau) = R sin((1-phi) pi) / (2 pi (cosh(phi ln(tau/tau0))
- cos((1-phi) pi)))``, symmetric in ``ln tau`` with area R and maximum at tau0.
Tolerances are stated per test and recorded in docs/validation.md.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy import integrate, optimize

from ssblab.echem.drt import DRTResult, DRTSeries, drt, drt_series
from ssblab.echem.drt import kernel as K
from ssblab.echem.drt.peaks import suggest_process, track_peaks
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError

F = np.logspace(6, -2, 81)  # 10 points per decade, 1 MHz - 10 mHz


def zarc(f, r_ohm, tau_s, phi):
    return r_ohm / (1 + (2j * np.pi * f * tau_s) ** phi)


def zarc_gamma(tau, r_ohm, tau0_s, phi):
    return (r_ohm * np.sin((1 - phi) * np.pi)
            / (2 * np.pi * (np.cosh(phi * np.log(tau / tau0_s)) - np.cos((1 - phi) * np.pi))))


def noisy(z, rel, seed):
    rng = np.random.default_rng(seed)
    return z + rel * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))


def spectrum(z, f=F, source="synthetic"):
    return Spectrum(frequency_Hz=f, impedance_ohm=z, source=source)


def decades(a, b):
    return abs(np.log10(a / b))


def in_range(result):
    return [p for p in result.peaks if p.in_measured_range]


# --- kernel --------------------------------------------------------------------------------
def test_analytic_kernel_matches_quadrature():
    grid = K.tau_grid(np.array([1e4, 1.0]), points_per_decade=7, extend_decades=1)
    f = np.array([3e3, 17.0, 0.5])
    a_re, a_im = K.kernel_matrices(f, grid)
    t, h = grid.ln_tau_s, grid.step
    for i, fi in enumerate(f):
        w = 2 * np.pi * fi
        for j in (0, 5, grid.size // 2, grid.size - 1):
            def hat(x, centre=t[j]):
                return max(0.0, 1 - abs(x - centre) / h)

            def real(x, w=w, hat=hat):
                return hat(x) / (1 + (w * np.exp(x)) ** 2)

            def imag(x, w=w, hat=hat):
                return -hat(x) * w * np.exp(x) / (1 + (w * np.exp(x)) ** 2)

            re = integrate.quad(real, t[j] - h, t[j] + h, points=[t[j]], epsabs=1e-13)[0]
            im = integrate.quad(imag, t[j] - h, t[j] + h, points=[t[j]], epsabs=1e-13)[0]
            assert a_re[i, j] == pytest.approx(re, abs=1e-12)
            assert a_im[i, j] == pytest.approx(im, abs=1e-12)


def test_kernel_is_cached_and_read_only():
    grid = K.tau_grid(F)
    first = K.kernel_matrices(F, grid)
    assert K.kernel_matrices(F.copy(), grid)[0] is first[0]
    with pytest.raises(ValueError):
        first[0][0, 0] = 1.0


def test_nonnegative_qp_matches_scipy_nnls_with_and_without_warm_start():
    rng = np.random.default_rng(3)
    for _ in range(40):
        m, n = rng.integers(30, 150), rng.integers(5, 60)
        a, b = rng.normal(size=(m, n)), rng.normal(size=m)
        h, g = a.T @ a + 1e-6 * np.eye(n), a.T @ b
        ref, _ = optimize.nnls(np.vstack([a, 1e-3 * np.eye(n)]), np.concatenate([b, np.zeros(n)]))
        cold = K.NonNegativeQP(h).solve(g)
        warm = K.NonNegativeQP(h, free=rng.random(n) < 0.5).solve(g)
        for x in (cold, warm):
            assert x.min() >= 0
            np.testing.assert_allclose(x, ref, atol=1e-8 * max(1, np.abs(ref).max()))


# --- analytic truths -----------------------------------------------------------------------
def test_pure_rc_gives_one_peak_at_tau_rc_with_area_r():
    r_ohm, c_F = 250.0, 4e-7  # tau = 1e-4 s, f = 1/(2 pi tau) = 1591.5 Hz
    result = drt(spectrum(12.0 + r_ohm / (1 + 2j * np.pi * F * r_ohm * c_F)), n_bootstrap=0)
    assert len(result.peaks) == 1
    peak = result.peaks[0]
    assert decades(peak.tau_s.value, r_ohm * c_F) < 0.01
    assert peak.frequency_Hz.value == pytest.approx(1 / (2 * np.pi * r_ohm * c_F), rel=0.025)
    assert peak.resistance_ohm.value == pytest.approx(r_ohm, rel=0.005)
    assert peak.capacitance_F.value == pytest.approx(c_F, rel=0.03)
    assert result.r_inf_ohm == pytest.approx(12.0, abs=0.05)
    assert result.residual_rms < 1e-3


@pytest.mark.parametrize("part", ["combined", "real", "imag"])
def test_parts_recover_an_rc_element(part):
    z = 5.0 + 100.0 / (1 + 2j * np.pi * F * 1e-3)
    result = drt(spectrum(z), part=part, n_bootstrap=0)
    peaks = in_range(result)
    assert len(peaks) == 1
    assert decades(peaks[0].tau_s.value, 1e-3) < 0.02
    assert peaks[0].resistance_ohm.value == pytest.approx(100.0, rel=0.01)
    assert result.r_inf_ohm == pytest.approx(5.0, abs=0.1)


def test_single_zarc_shape_position_and_area():
    r_ohm, tau0, phi = 80.0, 2e-5, 0.85
    result = drt(spectrum(3.0 + zarc(F, r_ohm, tau0, phi)), n_bootstrap=0)
    (peak,) = in_range(result)
    assert decades(peak.tau_s.value, tau0) < 0.02
    assert peak.resistance_ohm.value == pytest.approx(r_ohm, rel=0.02)
    truth = zarc_gamma(result.tau_s, r_ohm, tau0, phi)
    assert np.abs(result.gamma_ohm - truth).max() < 0.05 * truth.max()


def test_two_zarcs_with_noise_within_stated_tolerances():
    truth = [(100.0, 1e-4, 0.8), (50.0, 1e-1, 0.9)]
    z0 = 10.0 + sum(zarc(F, *p) for p in truth)
    for seed in range(3):
        result = drt(spectrum(noisy(z0, 0.005, seed)), n_bootstrap=20, rng=seed)
        peaks = sorted(in_range(result), key=lambda p: -p.resistance_ohm.value)[:2]
        peaks.sort(key=lambda p: p.tau_s.value)
        for peak, (r_ohm, tau0, _) in zip(peaks, truth, strict=True):
            assert decades(peak.tau_s.value, tau0) < 0.1
            assert peak.resistance_ohm.value == pytest.approx(r_ohm, rel=0.10)
        assert result.polarization_ohm == pytest.approx(150.0, rel=0.05)
        assert 0.003 < result.residual_rms < 0.007  # at the noise level, not below it


def test_rc_ladder_three_elements():
    elements = [(30.0, 1e-6), (60.0, 1e-3), (120.0, 1.0)]
    z = 2.0 + sum(r / (1 + 2j * np.pi * F * tau) for r, tau in elements)
    result = drt(spectrum(z), n_bootstrap=0)
    peaks = in_range(result)
    assert len(peaks) == 3
    for peak, (r_ohm, tau) in zip(peaks, elements, strict=True):
        assert decades(peak.tau_s.value, tau) < 0.02
        assert peak.resistance_ohm.value == pytest.approx(r_ohm, rel=0.02)


def test_inductance_and_series_capacitance_are_recovered():
    l_H, c_F = 2e-6, 1e-3
    z = 4.0 + 1j * 2 * np.pi * F * l_H + 50.0 / (1 + 2j * np.pi * F * 1e-4) + 1 / (2j * np.pi * F * c_F)
    result = drt(spectrum(noisy(z, 0.002, 0)), series_capacitance=True, n_bootstrap=0)
    assert result.inductance_H == pytest.approx(l_H, rel=0.02)
    assert result.series_capacitance_F == pytest.approx(c_F, rel=0.02)
    (peak,) = in_range(result)
    assert peak.resistance_ohm.value == pytest.approx(50.0, rel=0.02)


def test_automatic_lambda_is_close_to_the_oracle():
    """The mGCV lambda's DRT error is within 25 % of the best error over a lambda sweep."""
    truth = [(100.0, 1e-4, 0.8), (50.0, 1e-1, 0.9)]
    s = spectrum(noisy(10.0 + sum(zarc(F, *p) for p in truth), 0.005, 7))
    tau = drt(s, regularization=1e-3, n_bootstrap=0).tau_s
    gamma_true = sum(zarc_gamma(tau, *p) for p in truth)

    def error(result):
        return np.sqrt(np.mean((result.gamma_ohm - gamma_true) ** 2))

    best = min(error(drt(s, regularization=lam, n_bootstrap=0)) for lam in np.logspace(-7, 0, 15))
    for method in ("mgcv", "gcv"):
        assert error(drt(s, regularization=method, n_bootstrap=0)) < 1.25 * best


def test_bootstrap_is_seeded_and_brackets_the_truth():
    s = spectrum(noisy(5.0 + zarc(F, 100.0, 1e-3, 0.85), 0.01, 1))
    a = drt(s, n_bootstrap=30, rng=42)
    b = drt(s, n_bootstrap=30, rng=42)
    assert a.peaks[0].resistance_ohm == b.peaks[0].resistance_ohm
    (peak,) = in_range(a)
    stderr = peak.resistance_ohm.stderr
    assert 0 < stderr < 0.1 * peak.resistance_ohm.value
    assert abs(peak.resistance_ohm.value - 100.0) < 4 * stderr
    assert (a.gamma_low_ohm <= a.gamma_high_ohm).all()
    at_peak = np.argmax(a.gamma_ohm)
    assert a.gamma_high_ohm[at_peak] - a.gamma_low_ohm[at_peak] > 0


# --- series --------------------------------------------------------------------------------
def test_series_tracks_drifting_peaks():
    f = np.logspace(6, -1, 71)
    r_sei = np.linspace(20, 60, 15)
    tau_ct = np.logspace(-2, -1, 15)
    spectra = [spectrum(noisy(5 + zarc(f, 100, 1e-6, 0.9) + zarc(f, r, 1e-4, 0.85) + zarc(f, 200, t, 0.85),
                              0.002, k), f=f, source=f"s{k}")
               for k, (r, t) in enumerate(zip(r_sei, tau_ct, strict=True))]
    series = drt_series(spectra, time_s=np.arange(15) * 600.0)
    assert series.gamma_ohm.shape == (15, series.tau_s.size)
    main = [k for k in range(series.track_tau_s.shape[0]) if np.isfinite(series.track_tau_s[k]).all()]
    assert len(main) == 3
    bulk, sei, ct = main
    np.testing.assert_allclose(series.track_resistance_ohm[sei], r_sei, atol=7.0)
    np.testing.assert_allclose(np.log10(series.track_tau_s[ct]), np.log10(tau_ct), atol=0.1)
    assert np.nanmedian(series.track_resistance_ohm[bulk]) == pytest.approx(100, rel=0.1)
    assert len(set(series.regularization)) == 1  # one lambda for the whole series


def test_track_peaks_starts_and_ends_tracks():
    ln10 = np.log(10)
    links = track_peaks([np.array([-7.0]) * ln10, np.array([-7.1, -2.0]) * ln10, np.array([-2.1]) * ln10])
    assert links.tolist() == [[0, 0, -1], [-1, 1, 0]]


# --- real spectra --------------------------------------------------------------------------
def _rest_series(real_data):
    with open(real_data / "eis" / "ssb_ncm-lpscl-inli_rest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    spectra = []
    for loop in sorted({r["loop_index"] for r in rows}, key=int):
        sel = [r for r in rows if r["loop_index"] == loop and float(r["freq/Hz"]) > 0]
        f = np.array([float(r["freq/Hz"]) for r in sel])
        z = np.array([float(r["|Z|/Ohm"]) for r in sel]) * np.exp(
            1j * np.radians([float(r["Phase(Z)/deg"]) for r in sel]))
        spectra.append(spectrum(z, f=f, source=f"rest loop {loop}"))
    return spectra


def test_real_half_cell_spectra_give_stable_drts_at_noise_level(real_data):
    spectra = _rest_series(real_data)
    first = drt(spectra[0], n_bootstrap=0)
    # the noise level, from two repeat spectra of the resting cell: second differences along
    # frequency of their relative difference remove the slow drift and keep the point noise
    diff = (spectra[0].impedance_ohm - spectra[1].impedance_ohm) / np.abs(spectra[0].impedance_ohm)
    noise = np.sqrt(np.mean(np.diff(np.concatenate([diff.real, diff.imag]), 2) ** 2) / 6 / 2)
    assert 0.5 * noise < first.residual_rms < 1.5 * noise
    big = max(in_range(first), key=lambda p: p.resistance_ohm.value)

    def mid_frequency_ohm(result):  # the interphase/charge-transfer region, however it splits
        return sum(p.resistance_ohm.value for p in result.peaks if 1e-5 < p.tau_s.value < 1e-1)

    # stable against the grid density and between two repeat measurements of the resting cell
    for other in (drt(spectra[0], points_per_decade=15, n_bootstrap=0), drt(spectra[1], n_bootstrap=0)):
        twin = max(in_range(other), key=lambda p: p.resistance_ohm.value)
        assert decades(twin.tau_s.value, big.tau_s.value) < 0.1
        assert mid_frequency_ohm(other) == pytest.approx(mid_frequency_ohm(first), rel=0.05)
        assert other.polarization_ohm == pytest.approx(first.polarization_ohm, rel=0.05)
    series = drt_series(spectra)
    assert series.residual_rms.max() < 1.5 * noise
    main = np.nanargmax(np.nanmedian(series.track_resistance_ohm, axis=1))
    assert np.isfinite(series.track_tau_s[main]).all()
    assert np.ptp(np.log10(series.track_tau_s[main])) < 0.2  # the cell rests: the DRT holds still


@pytest.mark.parametrize("number", [1, 2, 3])
def test_real_dummy_circuits_match_a_circuit_fit(real_data, number):
    """ZPlot measurements of physical R-(R||C) dummy circuits: the DRT's one in-range peak
    must carry the R and RC of an independent complex least-squares fit of R-(R||C)-L."""
    lines = (real_data / "eis" / f"Circuit{number}_EIS_1.z").read_text().splitlines()
    table = np.array([line.split() for line in lines[lines.index("End Comments") + 1:] if line.strip()],
                     dtype=float)
    f, z = table[:, 0], table[:, 4] + 1j * table[:, 5]

    def residual(p):
        e = (p[0] + p[1] / (1 + 2j * np.pi * f * p[1] * p[2]) + 2j * np.pi * f * p[3] - z) / np.abs(z)
        return np.concatenate([e.real, e.imag])

    fit = optimize.least_squares(residual, [z.real.min(), np.ptp(z.real), 1e-6, 0.0], x_scale="jac")
    r0, r1, c1, _ = fit.x
    result = drt(spectrum(z, f=f, source=f"Circuit{number}"), n_bootstrap=0)
    (peak,) = in_range(result)
    assert decades(peak.tau_s.value, r1 * c1) < 0.03
    assert peak.resistance_ohm.value == pytest.approx(r1, rel=0.02)
    assert result.high_frequency_resistance_ohm == pytest.approx(r0, rel=0.02)
    assert result.residual_rms < 2 * np.sqrt(np.mean(fit.fun**2))


def test_real_li_ion_spectrum(real_data):
    data = np.loadtxt(real_data / "eis" / "exampleData.csv", delimiter=",")
    s = spectrum(data[:, 1] + 1j * data[:, 2], f=data[:, 0], source="exampleData.csv")
    result = drt(s, n_bootstrap=10)
    assert result.residual_rms < 0.01
    assert result.r_inf_ohm == pytest.approx(data[np.argmax(data[:, 0]), 1], rel=0.2)
    assert result.inductance_H > 0  # the high-frequency points have Z'' > 0


# --- plumbing ------------------------------------------------------------------------------
def test_results_round_trip_and_plot():
    f = np.logspace(5, -1, 40)
    s = spectrum(1 + zarc(f, 10, 1e-3, 0.9), f=f)
    result = drt(s, n_bootstrap=5)
    back = DRTResult.from_json(result.to_json())
    np.testing.assert_array_equal(back.gamma_ohm, result.gamma_ohm)
    assert back.peaks[0].resistance_ohm == result.peaks[0].resistance_ohm
    assert len(result.figures()) == 3 and "peak 1" in str(result)
    series = drt_series([s, s])
    assert DRTSeries.from_json(json.dumps(series.to_dict())).track_tau_s.shape == series.track_tau_s.shape
    assert len(series.figures()) == 3 and series.table()[0]["spectrum"] == 0


def test_bad_options_are_named():
    s = spectrum(1 + zarc(F, 10, 1e-3, 0.9))
    with pytest.raises(InputError, match="did you mean 'combined'"):
        drt(s, part="combind")
    with pytest.raises(InputError, match="regularization"):
        drt(s, regularization=-1.0)
    with pytest.raises(InputError, match="order"):
        drt(s, order=3)
    with pytest.raises(InputError, match="time_s"):
        drt_series([s, s], time_s=[0.0])


def test_process_suggestions_follow_seed_002_ranges():
    assert suggest_process(1e-7) == "bulk electrolyte"
    assert suggest_process(1e-4) == "interphase (SEI/CEI)"
    assert suggest_process(0.1) == suggest_process(9.0) == "charge transfer"


# --- command line --------------------------------------------------------------------------
def test_cli_single_and_series(tmp_path):
    from click.testing import CliRunner

    from ssblab.cli._drt import drt as drt_command

    files = []
    for k in range(3):  # headerless f, Z', Z'' CSV, read by ssblab.echem.io
        files.append(tmp_path / f"cell{k}.csv")
        z = 4 + zarc(F, 50 + 10 * k, 1e-3, 0.9)
        np.savetxt(files[-1], np.column_stack([F, z.real, z.imag]), delimiter=",")
    out = tmp_path / "single"
    run = CliRunner().invoke(drt_command, [str(files[0]), "--bootstrap", "5", "--max-frequency", "100 kHz",
                                           "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "peak 1" in run.output
    assert {"report.html", "result.json", "table.csv"} <= {p.name for p in out.iterdir()}
    (saved,) = [DRTResult.from_dict(d) for d in json.loads((out / "result.json").read_text())]
    assert saved.frequency_Hz.max() <= 1e5
    assert saved.peaks[0].resistance_ohm.value == pytest.approx(50, rel=0.02)
    assert saved.n_bootstrap == 5 and saved.gamma_low_ohm.size == saved.tau_s.size

    # the default path is the fast one: bootstrap only on request
    run = CliRunner().invoke(drt_command, [str(files[0]), "--json"])
    assert run.exit_code == 0, run.output
    (plain,) = json.loads(run.output)  # the public schema (docs/json.md)
    assert plain["n_bootstrap"] == 0 and len(plain["gamma_low_ohm"]) == 0

    run = CliRunner().invoke(drt_command, [*map(str, files), "--series", "--json"])
    assert run.exit_code == 0, run.output
    series = json.loads(run.output)[0]  # the public schema (docs/json.md)
    assert series["type"] == "DRTSeries"
    np.testing.assert_allclose(series["track_resistance_ohm"][0], [50, 60, 70], rtol=0.02)
    run = CliRunner().invoke(drt_command, [str(tmp_path), "--series", "--json"])  # a folder
    assert run.exit_code == 0, run.output
    np.testing.assert_allclose(json.loads(run.output)[0]["track_resistance_ohm"][0],
                               series["track_resistance_ohm"][0])

    run = CliRunner().invoke(drt_command, [str(files[0]), "--lambda", "gvc"])
    assert isinstance(run.exception, InputError) and "did you mean 'gcv'" in str(run.exception)


def test_cli_column_and_format_options(tmp_path):
    # columns whose names no reader knows, -Z'' stored: only the column options can read it
    from click.testing import CliRunner

    from ssblab.cli import main

    z = 4 + zarc(F, 50, 1e-3, 0.9)
    path = tmp_path / "logger.txt"
    np.savetxt(path, np.column_stack([np.arange(F.size), F, z.real, -z.imag]), delimiter=",",
               header="point,f,a,b", comments="")
    run = CliRunner().invoke(main, ["eis", "drt", str(path)])
    assert run.exit_code == 2 and "column options" in run.output
    run = CliRunner().invoke(main, ["eis", "drt", str(path), "--format", "csv", "--frequency", "f",
                                    "--real", "2", "--imag", "b", "--imag-convention", "-Z''",
                                    "--json"])
    assert run.exit_code == 0, run.output
    (result,) = json.loads(run.output)  # the public schema (docs/json.md)
    (peak,) = result["peaks"]
    assert peak["resistance_ohm"]["value"] == pytest.approx(50, rel=0.02)
    assert decades(peak["tau_s"]["value"], 1e-3) < 0.1


def test_cli_on_instrument_files(real_data, tmp_path):
    from click.testing import CliRunner

    from ssblab.cli._drt import drt as drt_command

    eis = real_data / "eis"
    out = tmp_path / "series"
    run = CliRunner().invoke(drt_command, [str(eis / "ssb_ncm-lpscl-inli_rest.csv"), "--series",
                                           "--out", str(out)])
    assert run.exit_code == 0, run.output
    (series,) = [DRTSeries.from_dict(d) for d in json.loads((out / "result.json").read_text())]
    assert series.n_spectra == 10 and "[9]" in series.sources[9]
    assert "<svg" in (out / "report.html").read_text()
    # blocking electrodes at -25 C: crop the electrode tail, fit a series capacitance; the bulk
    # arc (apex near 1 MHz) gives one in-range peak near tau = 1/(2 pi 1 MHz)
    run = CliRunner().invoke(drt_command, [str(eis / "lpscl_blocking_-25C.mpr"), "--min-frequency", "10 kHz",
                                           "--series-capacitance", "--bootstrap", "10",
                                           "--out", str(tmp_path / "blocking")])
    assert run.exit_code == 0, run.output
    (result,) = [DRTResult.from_dict(d)
                 for d in json.loads((tmp_path / "blocking" / "result.json").read_text())]
    (peak,) = in_range(result)
    assert decades(peak.tau_s.value, 1 / (2 * np.pi * 1e6)) < 0.3
    # C = tau/R with the default cell constant 0.1 /cm falls in the bulk band (< 1e-11 F/cm)
    assert peak.suggested_process == "bulk"
    assert result.residual_rms < 0.005


def test_bootstrap_stderr_is_calibrated_over_noise_realisations():
    """Over 30 noise realisations the z-scores (estimate - truth) / stderr of a ZARC's area and
    ln tau must scatter like a unit normal within a factor 2 (a calibrated stderr gives 1)."""
    z_area, z_tau = [], []
    for seed in range(30):
        result = drt(spectrum(noisy(5.0 + zarc(F, 100.0, 1e-3, 0.85), 0.01, 1000 + seed)),
                     n_bootstrap=40, rng=seed)
        peak = max(in_range(result), key=lambda p: p.resistance_ohm.value)
        z_area.append((peak.resistance_ohm.value - 100.0) / peak.resistance_ohm.stderr)
        z_tau.append(np.log(peak.tau_s.value / 1e-3) / (peak.tau_s.stderr / peak.tau_s.value))
    for z in (np.array(z_area), np.array(z_tau)):
        assert abs(z.mean()) < 1.0
        assert 0.5 < np.sqrt(np.mean(z**2)) < 2.0
