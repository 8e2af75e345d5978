"""Impedance spectra for the lin-KK tests, written independently of ``echem.impedance.simulate``.

Six valid circuits, each impedance written out by hand (``p(R, CPE) = R / (1 + R Q (j omega)^n)``):
one ideal RC arc, two and three CPE arcs, an arc with a blocking-electrode CPE, a Randles cell
with a semi-infinite Warburg element, and a lead inductance before two arcs. Noise is Gaussian,
``level * |Z|`` on the real and on the imaginary part. A drift multiplies the spectrum by a real
factor that changes with the time of each point (points in sweep order, high frequency first,
evenly spaced in time): ``linear`` grows to ``1 + size`` at the end of the sweep,
``exponential`` relaxes towards it with a time constant of 0.3 sweeps (most of the change early).
No such drifting spectrum is Kramers-Kronig consistent; every undrifted one is.

``python tests/echem/kkgen.py [SEEDS]`` prints the false-alarm and catch counts of ``lin_kk``
(docs/eis.md).
"""

from __future__ import annotations

import numpy as np

F = np.logspace(6, -1, 50)  # 1 MHz - 0.1 Hz, about 7 points per decade, high frequency first


def _rq(f, r, q, n):
    return r / (1 + r * q * (2j * np.pi * f) ** n)


def circuits(f=F) -> dict[str, np.ndarray]:
    """Name -> impedance (ohm) at ``f`` of the six valid circuits."""
    w = 2 * np.pi * f
    return {
        "1 arc (R||C)": 10 + 1000 / (1 + 1j * w * 1e-4),
        "2 CPE arcs": 10 + _rq(f, 1000, 1e-9, 0.9) + _rq(f, 3000, 1e-7, 0.85),
        "3 CPE arcs": 10 + _rq(f, 1000, 1e-9, 0.9) + _rq(f, 3000, 1e-7, 0.85)
        + _rq(f, 5000, 1e-5, 0.8),
        "arc + blocking CPE": 10 + _rq(f, 1000, 1e-7, 0.85) + 1 / (1e-5 * (1j * w) ** 0.9),
        "Randles + Warburg": 20 + 1 / (1j * w * 1e-5 + 1 / (100 + 200 * (1 - 1j) / np.sqrt(w))),
        "inductance + 2 arcs": 1j * w * 2e-6 + 5 + _rq(f, 100, 1e-6, 0.9) + _rq(f, 50, 1e-3, 0.8),
    }


def drift_factor(n: int, size: float, kind: str) -> np.ndarray:
    """The real factor of each of ``n`` points in sweep order (module docstring)."""
    t = np.linspace(0, 1, n)
    if kind == "linear":
        return 1 + size * t
    if kind == "exponential":
        return 1 + size * (1 - np.exp(-t / 0.3)) / (1 - np.exp(-1 / 0.3))
    raise ValueError(f"drift kind: expected 'linear' or 'exponential', found {kind!r}")


def spectrum(z: np.ndarray, *, noise: float, seed: int, drift: float = 0.0,
             kind: str = "linear", f=F):
    """A noisy (and drifting) Spectrum of the clean impedance ``z`` at ``f``."""
    from ssblab.echem.spectrum import Spectrum

    rng = np.random.default_rng(seed)
    z = z * drift_factor(z.size, drift, kind) if drift else z
    z = z + noise * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))
    return Spectrum(frequency_Hz=f, impedance_ohm=z, source="kkgen")


def flagged(z, *, noise, seeds, drift=0.0, kind="linear", given=False) -> int:
    """How many of ``seeds`` realisations lin_kk flags (noise given to it or estimated)."""
    from ssblab.echem.impedance.kk import lin_kk

    return sum(not lin_kk(spectrum(z, noise=noise, seed=s, drift=drift, kind=kind),
                          noise_relative=noise if given else None) for s in range(seeds))


if __name__ == "__main__":
    import sys

    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"false alarms of {seeds} valid spectra (noise estimated / given)")
    for name, z in circuits().items():
        row = [f"{flagged(z, noise=lv, seeds=seeds)}/{flagged(z, noise=lv, seeds=seeds, given=True)}"
               for lv in (0.005, 0.01, 0.02)]
        print(f"| {name} | " + " | ".join(row) + " |", flush=True)
    print(f"caught of {seeds} drifting spectra at 0.5 % noise (noise estimated / given)")
    for name, z in circuits().items():
        row = [f"{flagged(z, noise=0.005, seeds=seeds, drift=d, kind=k)}/"
               f"{flagged(z, noise=0.005, seeds=seeds, drift=d, kind=k, given=True)}"
               for k in ("linear", "exponential") for d in (0.02, 0.05, 0.10)]
        print(f"| {name} | " + " | ".join(row) + " |", flush=True)
