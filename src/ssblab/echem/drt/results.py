"""Result objects of the DRT: one peak, one spectrum's DRT, and a series (tau-time map)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import numpy as np

from ssblab.results import Measured, Result, new_axes


@dataclasses.dataclass(frozen=True, kw_only=True)
class DRTPeak(Result):
    """One peak of a DRT: time constant, frequency, resistance (area) and capacitance.

    ``suggested_process`` comes from the peak's capacitance ``C = tau / R`` normalised by the
    cell constant, in the bands of :mod:`ssblab.echem.impedance.conductivity` (bulk, grain
    boundary, surface layer, electrode); it is a suggestion, not an assignment.
    """

    tau_s: Measured
    frequency_Hz: Measured
    resistance_ohm: Measured
    capacitance_F: Measured
    window_tau_s: tuple[float, float]
    suggested_process: str = ""
    in_measured_range: bool = True

    title: ClassVar[str] = "DRT peak"

    def summary(self):
        rows = [("tau / s", str(self.tau_s)), ("f = 1/(2 pi tau) / Hz", str(self.frequency_Hz)),
                ("R (area) / ohm", str(self.resistance_ohm)), ("C = tau/R / F", str(self.capacitance_F)),
                ("suggested process (from C = tau/R)", self.suggested_process)]
        if not self.in_measured_range:
            rows.append(("warning", "peak outside the measured frequency range"))
        return rows


def _peak_rows(peaks, **extra) -> list[dict]:
    return [{**extra, "peak": k + 1, "tau_s": p.tau_s.value, "tau_stderr_s": p.tau_s.stderr,
             "frequency_Hz": p.frequency_Hz.value, "resistance_ohm": p.resistance_ohm.value,
             "resistance_stderr_ohm": p.resistance_ohm.stderr, "capacitance_F": p.capacitance_F.value,
             "suggested_process": p.suggested_process, "in_measured_range": p.in_measured_range}
            for k, p in enumerate(peaks)]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DRTResult(Result):
    """The DRT of one spectrum: ``gamma`` on the ``tau`` grid, series elements, peaks, fit.

    ``gamma_ohm`` is ``gamma(ln tau)`` in ohm (resistance per unit of ``ln tau``), so a
    peak's area in ``ln tau`` is its resistance. ``tau = 1 / (2 pi f)``.
    ``gamma_low_ohm``/``gamma_high_ohm`` bound the 95 % bootstrap band (empty without
    bootstrap). ``regularization`` is the Tikhonov strength used (dimensionless: the problem
    is scaled by ``max |Z|``).
    """

    tau_s: np.ndarray
    gamma_ohm: np.ndarray
    gamma_low_ohm: np.ndarray
    gamma_high_ohm: np.ndarray
    r_inf_ohm: float
    inductance_H: float
    series_capacitance_F: float
    regularization: float
    regularization_method: str
    part: str
    order: int
    weighting: str
    frequency_Hz: np.ndarray
    impedance_ohm: np.ndarray
    fitted_ohm: np.ndarray
    peaks: tuple = ()
    n_bootstrap: int = 0
    source: str = ""
    cropped_below_Hz: float = float("nan")

    title: ClassVar[str] = "Distribution of relaxation times"

    @property
    def relative_residuals(self) -> np.ndarray:
        """``(Z - Z_fit) / |Z|`` (complex)."""
        return (self.impedance_ohm - self.fitted_ohm) / np.abs(self.impedance_ohm)

    @property
    def residual_rms(self) -> float:
        """RMS of the real and imaginary relative residuals together."""
        r = self.relative_residuals
        return float(np.sqrt(np.mean(np.concatenate([r.real, r.imag]) ** 2)))

    @property
    def polarization_ohm(self) -> float:
        """Total area of ``gamma``: the resistance of all relaxations (Z(0) - R_inf)."""
        step = np.log(self.tau_s[1] / self.tau_s[0])
        return float(step * self.gamma_ohm.sum())

    @property
    def high_frequency_resistance_ohm(self) -> float:
        """``R_inf`` plus the area of ``gamma`` faster than the highest measured frequency.

        The data cannot tell ``R_inf`` from a relaxation with ``tau << 1/(2 pi f_max)``, so the
        fit may split the high-frequency intercept between them; their sum is well defined.
        """
        step = np.log(self.tau_s[1] / self.tau_s[0])
        fast = self.tau_s < 1 / (2 * np.pi * self.frequency_Hz.max())
        return float(self.r_inf_ohm + step * self.gamma_ohm[fast].sum())

    def summary(self):
        rows = [("source", self.source or "-"), ("convention", "tau = 1/(2 pi f)"),
                ("fit / lambda", f"{self.part}, {self.regularization_method}, "
                                 f"lambda = {self.regularization:.3g}, order {self.order}, {self.weighting}"),
                ("R_inf / ohm", self.r_inf_ohm),
                ("R_inf + faster than f_max / ohm", self.high_frequency_resistance_ohm),
                ("L / H", self.inductance_H),
                ("polarisation (total area) / ohm", self.polarization_ohm),
                ("relative residual rms", self.residual_rms), ("peaks", len(self.peaks))]
        if np.isfinite(self.series_capacitance_F):
            rows.insert(6, ("series C / F", self.series_capacitance_F))
        for k, p in enumerate(self.peaks, 1):
            rows.append((f"peak {k}: tau / s, R / ohm, C / F",
                         f"{p.tau_s}, {p.resistance_ohm}, {p.capacitance_F.value:.3g} "
                         f"[suggested: {p.suggested_process}]"
                         + ("" if p.in_measured_range else " (outside the measured range)")))
        return rows

    def table(self):
        return _peak_rows(self.peaks, source=self.source) or super().table()

    def curves(self):
        name = Path(self.source).stem if self.source else "spectrum"
        return {f"{name} drt": {"tau_s": self.tau_s, "gamma_ohm": self.gamma_ohm,
                                "gamma_low_ohm": self.gamma_low_ohm,
                                "gamma_high_ohm": self.gamma_high_ohm},
                f"{name} drt fit": {"frequency_Hz": self.frequency_Hz,
                                    "z_real_ohm": self.impedance_ohm.real,
                                    "z_imag_ohm": self.impedance_ohm.imag,
                                    "fitted_z_real_ohm": self.fitted_ohm.real,
                                    "fitted_z_imag_ohm": self.fitted_ohm.imag}}

    def _draw(self, ax, **kwargs):
        ax.semilogx(self.tau_s, self.gamma_ohm, color="C0", label=kwargs.get("label", "DRT"))
        if self.gamma_low_ohm.size:
            ax.fill_between(self.tau_s, self.gamma_low_ohm, self.gamma_high_ohm, color="C0",
                            alpha=0.25, lw=0, label="95 % bootstrap band")
        for k, p in enumerate(self.peaks, 1):
            ax.axvline(p.tau_s.value, color="0.6", lw=0.8, ls=":")
            ax.annotate(f"{k}", (p.tau_s.value, ax.get_ylim()[1]), ha="center", va="top", fontsize=8)
        f = self.frequency_Hz
        ax.axvspan(1 / (2 * np.pi * f.max()), 1 / (2 * np.pi * f.min()), color="0.9", zorder=-1,
                   label="measured 1/(2 pi f)")
        ax.set_xlabel("tau / s")
        ax.set_ylabel("gamma / ohm")
        ax.legend(fontsize=8)

    def plot_residuals(self, ax=None):
        """Relative residuals ``(Z - Z_fit)/|Z|`` against frequency."""
        ax = new_axes(ax)
        r = self.relative_residuals * 100
        ax.semilogx(self.frequency_Hz, r.real, "o-", ms=3, label="real")
        ax.semilogx(self.frequency_Hz, r.imag, "s-", ms=3, label="imaginary")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("f / Hz")
        ax.set_ylabel("(Z - Z_fit)/|Z| / %")
        ax.legend(fontsize=8)
        return ax

    def plot_fit(self, ax=None):
        """Nyquist plot of the data and the DRT model."""
        ax = new_axes(ax)
        z, zf = self.impedance_ohm, self.fitted_ohm
        ax.plot(z.real, -z.imag, "o", ms=3, label="data")
        ax.plot(zf.real, -zf.imag, "-", label="DRT model")
        ax.set_xlabel("Z' / ohm")
        ax.set_ylabel("-Z'' / ohm")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8)
        return ax

    def figures(self) -> list:
        """``(caption, figure)`` pairs for a report: DRT, Nyquist fit, residuals."""
        name = self.source or "spectrum"
        return [(f"DRT of {name}", self.plot().figure),
                (f"DRT model vs data, {name}", self.plot_fit().figure),
                (f"relative residuals, {name}", self.plot_residuals().figure)]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DRTSeries(Result):
    """DRTs of a series of spectra on one ``tau`` grid, with peaks tracked across the series.

    ``gamma_ohm`` has shape ``(n_spectra, n_tau)``. Track ``k`` has time constant
    ``track_tau_s[k, i]`` and resistance ``track_resistance_ohm[k, i]`` in spectrum ``i``
    (NaN where the track has no peak).
    """

    tau_s: np.ndarray
    time_s: np.ndarray
    gamma_ohm: np.ndarray
    r_inf_ohm: np.ndarray
    regularization: np.ndarray
    residual_rms: np.ndarray
    track_tau_s: np.ndarray
    track_resistance_ohm: np.ndarray
    track_process: tuple = ()
    sources: tuple = ()
    part: str = "combined"
    regularization_method: str = "gcv"

    title: ClassVar[str] = "DRT series (tau-time map)"

    @property
    def n_spectra(self) -> int:
        return self.gamma_ohm.shape[0]

    def summary(self):
        rows = [("spectra", self.n_spectra), ("tau range / s", f"{self.tau_s[0]:.3g} - {self.tau_s[-1]:.3g}"),
                ("relative residual rms (median, max)",
                 f"{np.median(self.residual_rms):.3g}, {np.max(self.residual_rms):.3g}"),
                ("tracks", self.track_tau_s.shape[0])]
        for k in range(self.track_tau_s.shape[0]):
            tau = self.track_tau_s[k]
            seen = np.isfinite(tau)
            rows.append((f"track {k + 1}: median tau / s, R / ohm, seen in",
                         f"{np.nanmedian(tau):.3g}, {np.nanmedian(self.track_resistance_ohm[k]):.4g}, "
                         f"{seen.sum()}/{tau.size} [suggested: {self.track_process[k]}]"))
        return rows

    def table(self):
        rows = []
        for i in range(self.n_spectra):
            row = {"spectrum": i, "source": self.sources[i] if self.sources else "",
                   "time_s": self.time_s[i], "r_inf_ohm": self.r_inf_ohm[i],
                   "lambda": self.regularization[i], "residual_rms": self.residual_rms[i]}
            for k in range(self.track_tau_s.shape[0]):
                row[f"track{k + 1}_tau_s"] = self.track_tau_s[k, i]
                row[f"track{k + 1}_resistance_ohm"] = self.track_resistance_ohm[k, i]
            rows.append(row)
        return rows

    def _draw(self, ax, **kwargs):
        t = self.time_s
        tau_edges = np.exp(_edges(np.log(self.tau_s)))
        image = ax.pcolormesh(tau_edges, _edges(t), self.gamma_ohm, shading="flat",
                              cmap=kwargs.get("cmap", "viridis"))
        ax.set_xscale("log")
        ax.figure.colorbar(image, ax=ax, label="gamma / ohm")
        for k in range(self.track_tau_s.shape[0]):
            ax.plot(self.track_tau_s[k], t, ".-", color="w", ms=3, lw=0.8)
        ax.set_xlabel("tau / s")
        ax.set_ylabel("time / s" if self._has_time else "spectrum index")

    @property
    def _has_time(self) -> bool:
        return not np.array_equal(self.time_s, np.arange(self.n_spectra, dtype=float))

    def plot_tracks(self, ax=None):
        """Resistance of each tracked peak along the series."""
        ax = new_axes(ax)
        for k in range(self.track_tau_s.shape[0]):
            ax.plot(self.time_s, self.track_resistance_ohm[k], "o-", ms=3,
                    label=f"track {k + 1} ({np.nanmedian(self.track_tau_s[k]):.2g} s)")
        ax.set_xlabel("time / s" if self._has_time else "spectrum index")
        ax.set_ylabel("peak resistance / ohm")
        ax.legend(fontsize=7)
        return ax

    def plot_residuals(self, ax=None):
        """Relative residual rms of each spectrum's fit."""
        ax = new_axes(ax)
        ax.semilogy(self.time_s, self.residual_rms, "o-", ms=3)
        ax.set_xlabel("time / s" if self._has_time else "spectrum index")
        ax.set_ylabel("relative residual rms")
        return ax

    def figures(self) -> list:
        return [("tau-time map of the DRT with tracked peaks", self.plot().figure),
                ("peak resistances along the series", self.plot_tracks().figure),
                ("fit residuals along the series", self.plot_residuals().figure)]


def _edges(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if t.size == 1:
        return np.array([t[0] - 0.5, t[0] + 0.5])
    mid = 0.5 * (t[1:] + t[:-1])
    return np.concatenate([[2 * t[0] - mid[0]], mid, [2 * t[-1] - mid[-1]]])
