"""Equivalent-circuit fitting: ssblab against impedance.py on the same spectra, one process.

1. A series of N synthetic spectra (default 1000) of a solid electrolyte between blocking
   electrodes, ``R0-p(R1,CPE1)-p(R2,CPE2)-CPE3``, whose grain-boundary resistance grows along
   the series (as in in-situ EIS), with 0.3 % complex Gaussian noise. Both tools fit every
   spectrum with modulus weighting and start each fit from the previous fitted values; the
   first one starts from ssblab's automatic guess. ssblab runs as ``fit_batch`` and, for a
   like-for-like per-fit comparison, as ``fit_circuit`` from the very same start values that
   impedance.py gets.
2. Every real spectrum in ../shared/data/eis with the circuit used in the tests, fitted by
   ssblab from automatic guesses and by impedance.py from ssblab's first automatic guess.

Printed: time per spectrum, the ratio, and chi2 (the same modulus-weighted sum of squares for
both, computed here from each tool's parameters). Run:
``python benchmarks/bench_eis_fit.py [--n 1000]`` (needs ``pip install 'ssblab[bench-echem]'``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.impedance.batch import fit_batch
from ssblab.echem.impedance.circuits import Circuit
from ssblab.echem.impedance.fitting import fit_circuit, initial_guesses, weights
from ssblab.echem.io import read_spectra
from ssblab.echem.spectrum import Spectrum

# Two series: a solid electrolyte (bulk pF, grain boundary nF, blocking electrode) and
# impedance.py's own example circuit at its documented exampleData.csv values (Li-ion cell).
SERIES = {
    "solid electrolyte": ("R0-p(R1,CPE1)-p(R2,CPE2)-CPE3",
                          np.array([15.0, 800.0, 3e-10, 0.92, 2500.0, 2e-8, 0.8, 2e-6, 0.88]),
                          np.logspace(7, -1, 57), 4),
    "impedance.py example": ("R0-p(R1,C1)-p(R2-Wo1,C2)",
                             np.array([1.65e-2, 8.68e-3, 3.32, 5.39e-3, 6.31e-2, 2.33e2, 0.220]),
                             np.logspace(4, -2.5, 53), 3),
}
REAL = [("Circuit1_EIS_1.z", "R0-p(R1,C1)"),
        ("Circuit2_EIS_1.z", "R0-p(R1,C1)"),
        ("Circuit3_EIS_1.z", "R0-p(R1,C1)"),
        ("exampleDataZPlot.z", "R0-p(R1,C1)"),
        ("exampleData.csv", "L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"),
        ("exampleDataBioLogic.mpt", "R0-p(R1,CPE1)"),
        ("exampleDataGamry.DTA", "p(R1,CPE1)-p(R2,CPE2)"),
        ("lpscl_blocking_-25C.mpr", "R0-p(R1,CPE1)-CPE2"),
        ("ssb_ncm-lpscl-inli_end-of-discharge.mpr", "p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)"),
        ("ssb_ncm-lpscl-inli_rest.csv", "p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)")]


def chi2(spectrum: Spectrum, circuit: str, params) -> float:
    """Modulus-weighted sum of squared real and imaginary residuals."""
    d = Circuit(circuit).impedance(np.asarray(params, float), spectrum.frequency_Hz)
    d = d - spectrum.impedance_ohm
    w, _ = weights(spectrum.impedance_ohm, "modulus")
    return float(np.sum((w * d.real) ** 2 + (w * d.imag) ** 2))


def impedance_py_fit(spectrum: Spectrum, circuit: str, start, **options) -> np.ndarray:
    """impedance.py's CustomCircuit.fit; ``options`` go to scipy's curve_fit (default:
    impedance.py's own ftol=1e-13, maxfev=1e5)."""
    from impedance.models.circuits import CustomCircuit

    model = CustomCircuit(circuit, initial_guess=[float(v) for v in start])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(spectrum.frequency_Hz, spectrum.impedance_ohm, weight_by_modulus=True,
                  **options)
    return np.asarray(model.parameters_)


def synthetic_series(n: int, circuit: str, truth: np.ndarray, f: np.ndarray, grows: int,
                     seed: int = 0) -> list[Spectrum]:
    """``n`` spectra whose parameter ``grows`` triples along the series, 0.3 % noise."""
    rng = np.random.default_rng(seed)
    model = Circuit(circuit)
    spectra = []
    for i in range(n):
        p = truth.copy()
        p[grows] *= 1 + 2.0 * i / max(n - 1, 1)
        z = model.impedance(p, f)
        z = z + 0.003 * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
        spectra.append(Spectrum(frequency_Hz=f, impedance_ohm=z, source=f"synthetic {i}"))
    return spectra


class Clock:
    """Wall-clock and CPU (process) time of a block; CPU time is steadier on a shared machine."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def series_benchmark(n: int, title: str) -> None:
    CIRCUIT, TRUTH, f, grows = SERIES[title]
    spectra = synthetic_series(n, CIRCUIT, TRUTH, f, grows)
    names = Circuit(CIRCUIT).parameter_names
    guess = np.array([initial_guesses(spectra[0], CIRCUIT)[0][k] for k in names])

    with Clock() as t_batch:
        batch = fit_batch(spectra, CIRCUIT, show_progress=False)
    runs = {}
    for label, first in (("from ssblab's automatic guess", guess), ("from the true values", TRUTH)):
        theirs, starts, p = [], [], first
        with Clock() as t_imp:
            for s in spectra:
                starts.append(p)
                p = impedance_py_fit(s, CIRCUIT, p)
                theirs.append(p)
        runs[label] = (t_imp, theirs, starts)
    _, _, starts = runs["from the true values"]
    with Clock() as t_single:
        singles = [fit_circuit(s, CIRCUIT, initial=dict(zip(names, p0)))
                   for s, p0 in zip(spectra, starts)]

    c_batch = np.array([chi2(s, CIRCUIT, v) for s, v in zip(spectra, batch.values)])
    c_single = np.array([chi2(s, CIRCUIT, list(f.values.values())) for s, f in zip(spectra, singles)])
    print(f"synthetic series '{title}': {n} spectra x {spectra[0].n_points} points, {CIRCUIT}, "
          "modulus weighting, each fit starting from the previous result")
    print(f"  {'':58s} {'wall ms':>8s} {'CPU ms':>8s}  per spectrum; median chi2")
    for label, (t_imp, theirs, _) in runs.items():
        c_imp = np.array([chi2(s, CIRCUIT, v) for s, v in zip(spectra, theirs)])
        print(f"  {'impedance.py ' + label:58s} {1e3 * t_imp.wall / n:8.2f} {1e3 * t_imp.cpu / n:8.2f}"
              f"  chi2 {np.median(c_imp):.4g}")
        for name, t, c in (("ssblab fit_batch", t_batch, c_batch),
                           ("ssblab fit_circuit (impedance.py's start values*)", t_single, c_single)):
            print(f"    vs {name:54s} ratio wall {t_imp.wall / t.wall:5.1f}x, CPU {t_imp.cpu / t.cpu:5.1f}x;"
                  f" chi2 <= impedance.py's (+1e-6) in {np.mean(c <= c_imp * (1 + 1e-6)):.1%},"
                  f" median ratio {np.median(c / c_imp):.4f}, worst {np.max(c / c_imp):.4f}")
    print(f"  ssblab fit_batch: {1e3 * t_batch.wall / n:.2f} ms wall, {1e3 * t_batch.cpu / n:.2f} ms CPU"
          f" per spectrum, fits ok {batch.fit_ok.sum()}/{n}; fit_circuit: {1e3 * t_single.wall / n:.2f}"
          f" ms wall, {1e3 * t_single.cpu / n:.2f} ms CPU (* the true-value chain's starts)")


# impedance.py's defaults (ftol=1e-13, maxfev=1e5) take minutes on some real spectra (eleven
# parameters, numerical Jacobian); here it gets scipy's default tolerance, as ssblab uses.
REAL_OPTIONS = {"ftol": 1e-8, "maxfev": 10000}


def real_benchmark(data: Path, repeats: int = 3) -> None:
    print("real spectra: ssblab from automatic guesses, impedance.py from ssblab's first guess"
          f" with {REAL_OPTIONS}")
    print(f"  {'file':42s} {'circuit':36s} {'ssblab ms':>9s} {'imp.py ms':>9s} {'ratio':>6s}"
          f" {'chi2 ssblab':>11s} {'chi2 imp.py':>11s}")
    for name, circuit in REAL:
        spectrum = read_spectra(data / name)[0]
        names = Circuit(circuit).parameter_names
        guess = [initial_guesses(spectrum, circuit)[0][k] for k in names]
        t = time.perf_counter()
        for _ in range(repeats):
            ours = fit_circuit(spectrum, circuit)
        t_ours = (time.perf_counter() - t) / repeats
        t = time.perf_counter()
        try:
            for _ in range(repeats):
                theirs = impedance_py_fit(spectrum, circuit, guess, **REAL_OPTIONS)
            t_theirs = (time.perf_counter() - t) / repeats
            chi2_theirs = f"{chi2(spectrum, circuit, theirs):11.4g}"
        except RuntimeError as exc:  # curve_fit gives up after maxfev evaluations
            t_theirs = time.perf_counter() - t
            chi2_theirs = f"  failed ({str(exc)[:45]})"
        print(f"  {name:42s} {circuit:36s} {1e3 * t_ours:9.1f} {1e3 * t_theirs:9.1f}"
              f" {t_theirs / t_ours:6.1f} {ours.chi2:11.4g} {chi2_theirs}"
              f"{'' if ours else '  (ssblab: ' + ours.reason[:40] + ')'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="spectra in the synthetic series")
    shared = next((p / "shared" / "data" / "eis" for p in Path(__file__).resolve().parents
                   if (p / "shared" / "data" / "eis").is_dir()), Path("../shared/data/eis"))
    parser.add_argument("--data", type=Path, default=shared)
    args = parser.parse_args()
    warm_up = Spectrum(frequency_Hz=[1e3, 1e2, 1e1], impedance_ohm=[1 - 1j, 2 - 1j, 3 - 1j])
    impedance_py_fit(warm_up, "R0-p(R1,C1)", [1.0, 1.0, 1e-3])  # import outside the timing
    for title in SERIES:
        series_benchmark(args.n, title)
    if args.data.is_dir():
        real_benchmark(args.data)
    else:
        print(f"real spectra skipped: {args.data} not found (pass --data)")


if __name__ == "__main__":
    main()
