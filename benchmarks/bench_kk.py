"""lin-KK: ssblab's ``lin_kk`` against impedance.py's ``linKK`` on the same spectra, in one process.

Both fit Schönleber's RC model by linear least squares (complex fit, series capacitance).
impedance.py 1.7.1's ``linKK`` cannot finish under numpy 2 (its ``eval_linKK`` evaluates a
circuit string holding ``np.float64(...)`` reprs), so its own loop is run here with its own
parts, ``get_tc_distribution`` and ``fit_linKK``: M = 1, 2, ... until mu <= 0.85, as
``linKK(c=0.85)`` does, without the string evaluation (which would only add to its time).
ssblab fits every M up to N/2 to keep one that reaches the noise floor, then runs its verdict
(drift, trend; chi-square with a given noise). Times are medians of repeated calls, wall and
CPU.

Run: ``python benchmarks/bench_kk.py [--repeat N]`` (needs impedance.py: the ``bench-echem`` extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from ssblab.echem.impedance.kk import lin_kk
from ssblab.echem.io import read_spectrum

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "echem"))
import kkgen  # noqa: E402  (the hand-written test circuits)


def _median_times(call, repeat):
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main(repeat: int) -> int:
    try:
        from impedance.validation import fit_linKK, get_tc_distribution
    except ImportError:
        print("impedance.py is not installed (pip install 'ssblab[bench-echem]'): skipped")
        return 0
    data = HERE.parent / "tests" / "data" / "eis"
    spectra = {"kkgen arc + blocking CPE, 0.5 % noise (50 points)":
               kkgen.spectrum(kkgen.circuits()["arc + blocking CPE"], noise=0.005, seed=0),
               "Circuit1_EIS_1.z": read_spectrum(data / "Circuit1_EIS_1.z"),
               "lpscl_blocking_-25C.mpr": read_spectrum(data / "lpscl_blocking_-25C.mpr")}
    print("| spectrum | impedance.py loop (M) | ssblab lin_kk (M, verdict) | ratio wall / CPU |")
    print("| --- | --- | --- | --- |")
    for name, s in spectra.items():
        f, z = s.frequency_Hz, s.impedance_ohm

        def theirs_call():
            m, mu = 0, 1.0
            while mu > 0.85 and m < 100:
                m += 1
                elements, mu = fit_linKK(f, get_tc_distribution(f, m), m, z, "complex", True)
            return m

        m = theirs_call()
        ours = lin_kk(s)
        t_w, t_c = _median_times(theirs_call, repeat)
        o_w, o_c = _median_times(lambda: lin_kk(s), repeat)
        print(f"| {name} | {1e3 * t_w:.1f} ms wall, {1e3 * t_c:.1f} ms CPU (M = {m}) | "
              f"{1e3 * o_w:.1f} ms wall, {1e3 * o_c:.1f} ms CPU (M = {ours.n_rc}, "
              f"{'ok' if ours else 'flagged'}) | {t_w / o_w:.2f}x / {t_c / o_c:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    sys.exit(main(parser.parse_args().repeat))
