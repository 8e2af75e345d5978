"""The impedance spectrum every reader returns and every fit consumes.

Convention: ``impedance_ohm = Z' + j Z''`` in the physical sign convention, so a capacitive
arc has ``Z'' < 0`` (a Nyquist plot shows ``-Z''`` upwards). Readers convert files that store
``-Z''`` or ``|Z|``/phase into this form; nothing downstream flips signs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import numpy as np

from ssblab.errors import InputError
from ssblab.results import Result


@dataclasses.dataclass(frozen=True, kw_only=True)
class Spectrum(Result):
    """An impedance spectrum with its source and (if known) temperature.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(5, -1, 31)
    >>> s = Spectrum(frequency_Hz=f, impedance_ohm=100 / (1 + 2j * np.pi * f * 1e-3))
    >>> s.n_points, round(float(s.impedance_ohm[-1].real), 1)
    (31, 100.0)
    """

    frequency_Hz: np.ndarray
    impedance_ohm: np.ndarray
    source: str = ""
    temperature_K: float | None = None
    metadata: dict = dataclasses.field(default_factory=dict, compare=False)

    title: ClassVar[str] = "Impedance spectrum"

    def __post_init__(self):
        where = self.source or "spectrum"
        f = np.asarray(self.frequency_Hz, dtype=float)
        z = np.asarray(self.impedance_ohm, dtype=complex)
        if f.ndim != 1 or z.shape != f.shape:
            raise InputError(f"{where}: frequency ({f.shape}) and impedance ({z.shape}) must be "
                             "1-D arrays of equal length")
        if f.size < 3:
            raise InputError(f"{where}: expected at least 3 frequencies, found {f.size}"
                             + (f" ({', '.join(f'{v:.4g}' for v in f)} Hz): a measurement at one "
                                "or two frequencies (such as EC-Lab's ZIR) is not a spectrum"
                                if f.size else ""))
        bad = ~np.isfinite(f) | ~np.isfinite(z.real) | ~np.isfinite(z.imag)
        if bad.any():
            rows = np.flatnonzero(bad)[:5].tolist()
            raise InputError(f"{where}: {bad.sum()} point(s) with NaN or infinite values "
                             f"(first at data rows {rows})")
        if (f <= 0).any():
            raise InputError(f"{where}: frequencies must be positive, found {f[f <= 0][:3].tolist()}")
        f.flags.writeable = False
        z.flags.writeable = False
        object.__setattr__(self, "frequency_Hz", f)
        object.__setattr__(self, "impedance_ohm", z)

    @property
    def angular_frequency_rad_s(self) -> np.ndarray:
        return 2 * np.pi * self.frequency_Hz

    @property
    def n_points(self) -> int:
        return self.frequency_Hz.size

    def select(self, *, min_frequency_Hz: float = 0.0, max_frequency_Hz: float = np.inf) -> Spectrum:
        """A new spectrum keeping the points inside the frequency window."""
        keep = (self.frequency_Hz >= min_frequency_Hz) & (self.frequency_Hz <= max_frequency_Hz)
        return dataclasses.replace(self, frequency_Hz=self.frequency_Hz[keep],
                                   impedance_ohm=self.impedance_ohm[keep])

    def summary(self):
        rows = [("source", self.source or "-"), ("points", self.n_points),
                ("frequency range / Hz",
                 f"{self.frequency_Hz.min():.3g} - {self.frequency_Hz.max():.3g}")]
        if self.temperature_K is not None:
            rows.append(("temperature / K", self.temperature_K))
        return rows

    def _draw(self, ax, **kwargs):
        z = self.impedance_ohm
        # the file name, not its absolute path, in the legend
        name = Path(self.source).name if self.source else "data"
        ax.plot(z.real, -z.imag, "o", ms=3, label=kwargs.get("label", name))
        ax.set_xlabel("Z' / Ω")
        ax.set_ylabel("-Z'' / Ω")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8)
