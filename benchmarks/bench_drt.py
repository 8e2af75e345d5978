"""DRT: ssblab against pyDRTtools and pyimpspec on the same spectra, in one process.

Synthetic spectra with known truth (two ZARCs, an RC ladder, one ZARC; 0.5 % noise, several
seeds) measure recovery: the RMS error of gamma against the analytic DRT over the measured
tau range (relative to the true maximum) and, per true element, the peak position error in
decades and the area error in percent. Every tool's gamma is interpolated onto one grid and
goes through the same peak routine, so recovery is compared like for like. Real spectra
(bundled half cell; Li-ion example) measure time and residuals. All tools run their
automatic lambda choice with a first-derivative penalty on combined real+imaginary data.

pyimpspec is GPL: it is used here only, never by ssblab.

Run: ``python benchmarks/bench_drt.py [--seeds N] [--series N]`` (needs ``ssblab[bench-drt]``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import statistics
import time
from pathlib import Path

import numpy as np

from ssblab.echem.drt import drt, drt_series
from ssblab.echem.drt.peaks import find_peak_windows, peak_ln_tau, window_area
from ssblab.echem.spectrum import Spectrum

SHARED = next((p / "shared" for p in Path(__file__).resolve().parents if (p / "shared" / "data").is_dir()),
              None)


def zarc(f, r, tau, phi):
    return r / (1 + (2j * np.pi * f * tau) ** phi)


def zarc_gamma(tau, r, tau0, phi):
    if phi >= 1:
        return np.zeros_like(tau)  # a delta: not comparable pointwise
    denominator = 2 * np.pi * (np.cosh(phi * np.log(tau / tau0)) - np.cos((1 - phi) * np.pi))
    return r * np.sin((1 - phi) * np.pi) / denominator


CASES = {
    "two ZARC": [(100.0, 1e-4, 0.8), (50.0, 1e-1, 0.9)],
    "three ZARC": [(100.0, 1e-6, 0.9), (20.0, 1e-4, 0.8), (200.0, 1e-1, 0.85)],
    "RC ladder": [(30.0, 1e-6, 1.0), (60.0, 1e-3, 1.0), (120.0, 1.0, 1.0)],
}


# --- the tools, each end to end from (f, Z) to (tau, gamma) --------------------------------
def run_ssblab(f, z):
    r = drt(Spectrum(frequency_Hz=f, impedance_ohm=z), n_bootstrap=0)
    return r.tau_s, r.gamma_ohm, r.fitted_ohm


def run_ssblab_boot(f, z):
    r = drt(Spectrum(frequency_Hz=f, impedance_ohm=z), n_bootstrap=50, rng=0)
    return r.tau_s, r.gamma_ohm, r.fitted_ohm


def _import_pydrttools():
    """pyDRTtools' package __init__ imports its Qt GUI (PyQt5, undeclared); stub the GUI-only
    modules so the numerical code imports without a Qt install. Nothing numeric is stubbed."""
    import sys
    import types

    for name in ("GUI", "layout", "cli"):
        sys.modules.setdefault(f"pyDRTtools.{name}", types.ModuleType(f"pyDRTtools.{name}"))
    with contextlib.redirect_stdout(io.StringIO()):
        from pyDRTtools import runs
    return runs


def run_pydrttools(f, z):
    from cvxopt import solvers

    runs = _import_pydrttools()
    EIS_object, simple_run = runs.EIS_object, runs.simple_run

    solvers.options["show_progress"] = False
    with contextlib.redirect_stdout(io.StringIO()):
        entry = simple_run(EIS_object(f, z.real, z.imag), rbf_type="Gaussian",
                           data_used="Combined Re-Im Data", induct_used=1, der_used="1st order",
                           cv_type="GCV", reg_param=1e-3)
    fitted = entry.mu_Z_re + 1j * entry.mu_Z_im
    return np.asarray(entry.out_tau_vec), np.asarray(entry.gamma).ravel(), fitted


def run_pyimpspec(f, z):
    import pyimpspec

    data = pyimpspec.DataSet(frequencies=f, impedances=z)
    result = pyimpspec.analysis.drt.calculate_drt_tr_rbf(data, mode="complex", cross_validation="mgcv",
                                                         derivative_order=1, inductance=True, num_procs=1)
    tau, gamma = result.get_drt_data()
    # pyimpspec returns the model sorted by descending frequency; put it back in input order
    model = dict(zip(np.asarray(result.get_frequencies()).tolist(), np.asarray(result.get_impedances())))
    return np.asarray(tau), np.asarray(gamma), np.array([model[v] for v in f.tolist()])


TOOLS = {"ssblab": run_ssblab, "ssblab+bootstrap50": run_ssblab_boot,
         "pyDRTtools": run_pydrttools, "pyimpspec": run_pyimpspec}


def available_tools():
    out = {}
    for name, fn in TOOLS.items():
        try:
            f = np.logspace(4, -1, 30)
            fn(f, 1 + zarc(f, 10, 1e-2, 0.9))
            out[name] = fn
        except Exception as exc:  # a missing optional solver shows up as ImportError or its own error
            print(f"  (skipping {name}: {exc})")
    return out


# --- metrics -------------------------------------------------------------------------------
def timed(fn, *args, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def recovery(f, tau, gamma, elements):
    """gamma RMS error (relative to the true maximum), worst peak tau error, worst area error."""
    lo, hi = np.log(1 / (2 * np.pi * f.max())), np.log(1 / (2 * np.pi * f.min()))
    ln_grid = np.linspace(lo - np.log(10), hi + np.log(10), 400)
    order = np.argsort(tau)
    g = np.interp(ln_grid, np.log(tau[order]), gamma[order], left=0.0, right=0.0)
    inside = (ln_grid >= lo) & (ln_grid <= hi)
    truth = sum(zarc_gamma(np.exp(ln_grid), *e) for e in elements)
    rms = np.sqrt(np.mean((g - truth)[inside] ** 2)) / truth.max() if truth.max() > 0 else np.nan
    step = ln_grid[1] - ln_grid[0]
    windows = find_peak_windows(g, prominence=0.05)
    found = [(peak_ln_tau(g, ln_grid, w), window_area(g, step, w)) for w in windows]
    tau_err, area_err = 0.0, 0.0
    for r, tau0, _ in elements:
        if not found:
            return rms, np.inf, np.inf
        ln_t, area = min(found, key=lambda p: abs(p[0] - np.log(tau0)))
        tau_err = max(tau_err, abs(ln_t - np.log(tau0)) / np.log(10))
        area_err = max(area_err, abs(area - r) / r * 100)
    return rms, tau_err, area_err


def real_spectra():
    if SHARED is None:
        return []
    out = []
    with open(SHARED / "data" / "eis" / "ssb_ncm-lpscl-inli_rest.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["loop_index"] == "0" and float(r["freq/Hz"]) > 0]
    f = np.array([float(r["freq/Hz"]) for r in rows])
    phase = np.radians([float(r["Phase(Z)/deg"]) for r in rows])
    z = np.array([float(r["|Z|/Ohm"]) for r in rows]) * np.exp(1j * phase)
    out.append(("half cell NCM|LPSCl|InLi (89 pts)", f, z))
    d = np.loadtxt(SHARED / "data" / "eis" / "exampleData.csv", delimiter=",")
    out.append(("Li-ion exampleData.csv (61 pts)", d[:, 0], d[:, 1] + 1j * d[:, 2]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="noise realisations per synthetic case")
    parser.add_argument("--series", type=int, default=1000, help="spectra in the series timing")
    args = parser.parse_args()
    tools = available_tools()
    f = np.logspace(6, -2, 81)
    print(f"synthetic: 81 points 1 MHz-10 mHz, 0.5 % noise, {args.seeds} seeds; median over seeds\n")
    header = (f"{'case':<12} {'tool':<20} {'time/s':>9} {'ratio':>7} {'gamma rms':>10} "
              f"{'tau err/dec':>12} {'area err/%':>11}")
    print(header)
    print("-" * len(header))
    totals = {name: [] for name in tools}
    for case, elements in CASES.items():
        rows = {name: [] for name in tools}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            z0 = 10.0 + sum(zarc(f, *e) for e in elements)
            z = z0 + 0.005 * np.abs(z0) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
            for name, fn in tools.items():
                dt, (tau, gamma, _) = timed(fn, f, z, repeat=5 if name.startswith("ssblab") else 3)
                rows[name].append((dt, *recovery(f, tau, gamma, elements)))
        base = statistics.median(r[0] for r in rows["ssblab"])
        for name, values in rows.items():
            med = [statistics.median(v[k] for v in values) for k in range(4)]
            totals[name].append(med[0])
            rms = "   (delta)" if np.isnan(med[1]) else f"{med[1]:10.3f}"
            print(f"{case:<12} {name:<20} {med[0]:9.4f} {med[0] / base:7.1f} {rms} "
                  f"{med[2]:12.3f} {med[3]:11.2f}")
    print()
    for label, freq, z in real_spectra():
        base = None
        for name, fn in tools.items():
            dt, (_, _, fitted) = timed(fn, freq, z, repeat=5 if name.startswith("ssblab") else 3)
            base = base or dt
            res = z - fitted
            rel = np.sqrt(np.mean(np.concatenate([(res / np.abs(z)).real, (res / np.abs(z)).imag]) ** 2))
            absolute = np.sqrt(np.mean(np.concatenate([res.real, res.imag]) ** 2))
            print(f"{label:<34} {name:<20} time {dt:8.4f} s  ratio {dt / base:6.1f}  "
                  f"residual rms: relative {rel:.2e}, absolute {absolute:.3g} ohm")
    print()
    fs = np.logspace(6, -1, 70)
    rng = np.random.default_rng(1)
    spectra = []
    for i in range(args.series):
        z = (5 + zarc(fs, 100, 1e-6, 0.9) + zarc(fs, 20 + 0.1 * i, 1e-4, 0.8)
             + zarc(fs, 200 + 100 * np.sin(i / 100), 1e-1 * (1 + i / 1000), 0.85))
        spectra.append(Spectrum(frequency_Hz=fs, impedance_ohm=z + 0.003 * np.abs(z) * (
            rng.normal(size=fs.size) + 1j * rng.normal(size=fs.size))))
    t0 = time.perf_counter()
    series = drt_series(spectra, show_progress=False)
    dt = time.perf_counter() - t0
    print(f"series: {args.series} spectra x 70 points, ssblab drt_series {dt:.2f} s "
          f"({dt / args.series * 1e3:.2f} ms per spectrum), {series.track_tau_s.shape[0]} tracks")
    for name in ("pyDRTtools", "pyimpspec"):
        if name in tools:
            per = statistics.median(totals[name]) / statistics.median(totals["ssblab"])
            print(f"  {name} would need ~{statistics.median(totals[name]) * args.series:.0f} s "
                  f"({per:.0f}x ssblab per spectrum)")


if __name__ == "__main__":
    main()
