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

from ssblab.echem.batch import fit_batch
from ssblab.echem.circuits import Circuit
from ssblab.echem.fitting import fit_circuit, initial_guesses, weights
from ssblab.echem.io import read_spectra
from ssblab.echem.spectrum import Spectrum

CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"
TRUTH = np.array([15.0, 800.0, 3e-10, 0.92, 2500.0, 2e-8, 0.8, 2e-6, 0.88])
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


def synthetic_series(n: int, seed: int = 0) -> list[Spectrum]:
    rng = np.random.default_rng(seed)
    f = np.logspace(7, -1, 57)
    circuit = Circuit(CIRCUIT)
    spectra = []
    for i in range(n):
        p = TRUTH.copy()
        p[4] *= 1 + 2.0 * i / max(n - 1, 1)  # grain-boundary resistance triples
        z = circuit.impedance(p, f)
        z = z + 0.003 * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
        spectra.append(Spectrum(frequency_Hz=f, impedance_ohm=z, source=f"synthetic {i}"))
    return spectra


def series_benchmark(n: int) -> None:
    spectra = synthetic_series(n)
    names = Circuit(CIRCUIT).parameter_names
    start = np.array([initial_guesses(spectra[0], CIRCUIT)[0][k] for k in names])

    t = time.perf_counter()
    batch = fit_batch(spectra, CIRCUIT, show_progress=False)
    t_batch = (time.perf_counter() - t) / n

    t_imp = time.perf_counter()
    theirs, starts = [], []
    p = start
    for s in spectra:
        starts.append(p)
        p = impedance_py_fit(s, CIRCUIT, p)
        theirs.append(p)
    t_imp = (time.perf_counter() - t_imp) / n

    ours_single = []
    t = time.perf_counter()
    for s, p0 in zip(spectra, starts):
        ours_single.append(fit_circuit(s, CIRCUIT, initial=dict(zip(names, p0))))
    t_single = (time.perf_counter() - t) / n

    c_batch = np.array([chi2(s, CIRCUIT, v) for s, v in zip(spectra, batch.values)])
    c_single = np.array([chi2(s, CIRCUIT, list(f.values.values()))
                         for s, f in zip(spectra, ours_single)])
    c_imp = np.array([chi2(s, CIRCUIT, v) for s, v in zip(spectra, theirs)])
    print(f"synthetic series: {n} spectra x {spectra[0].n_points} points, {CIRCUIT}, "
          "modulus weighting, warm starts")
    print(f"  impedance.py           {1e3 * t_imp:8.2f} ms/spectrum")
    print(f"  ssblab fit_batch       {1e3 * t_batch:8.2f} ms/spectrum   ratio {t_imp / t_batch:6.1f}x"
          f"   fits ok {batch.fit_ok.sum()}/{n}")
    print(f"  ssblab fit_circuit     {1e3 * t_single:8.2f} ms/spectrum   ratio {t_imp / t_single:6.1f}x"
          "   (same start values as impedance.py)")
    for label, c in (("fit_batch", c_batch), ("fit_circuit", c_single)):
        print(f"  chi2 {label:12s} median {np.median(c):.4g} (impedance.py {np.median(c_imp):.4g});"
              f" <= impedance.py*(1+1e-6) in {np.mean(c <= c_imp * (1 + 1e-6)):.1%},"
              f" worst ratio {np.max(c / c_imp):.4f}")


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
        for _ in range(repeats):
            theirs = impedance_py_fit(spectrum, circuit, guess, **REAL_OPTIONS)
        t_theirs = (time.perf_counter() - t) / repeats
        print(f"  {name:42s} {circuit:36s} {1e3 * t_ours:9.1f} {1e3 * t_theirs:9.1f}"
              f" {t_theirs / t_ours:6.1f} {ours.chi2:11.4g} {chi2(spectrum, circuit, theirs):11.4g}"
              f"{'' if ours else '  (ssblab: ' + ours.reason[:40] + ')'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="spectra in the synthetic series")
    shared = next((p / "shared" / "data" / "eis" for p in Path(__file__).resolve().parents
                   if (p / "shared" / "data" / "eis").is_dir()), Path("../shared/data/eis"))
    parser.add_argument("--data", type=Path, default=shared)
    args = parser.parse_args()
    impedance_py_fit(synthetic_series(1)[0], "R0-p(R1,C1)", [1.0, 1.0, 1e-6])  # import it
    series_benchmark(args.n)
    if args.data.is_dir():
        real_benchmark(args.data)
    else:
        print(f"real spectra skipped: {args.data} not found (pass --data)")


if __name__ == "__main__":
    main()
