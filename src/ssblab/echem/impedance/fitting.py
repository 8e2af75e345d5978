"""Complex non-linear least-squares fits of equivalent circuits to impedance spectra.

``fit_circuit(spectrum, "R0-p(R1,CPE1)-CPE2")`` needs no initial guesses for the common
solid-electrolyte circuits: they are read from the spectrum (high-frequency intercept, arc apex
frequencies, the low-frequency spike) and a few candidates are fitted, keeping the best.

Method (details and formulas in docs/eis.md): real and imaginary residuals are stacked and
weighted (``unit``: 1, ``proportional``: 1/|Z'| and 1/|Z''|, ``modulus``: 1/|Z|), then
minimised by ``scipy.optimize.least_squares`` (trust-region reflective, bounds) with the analytic
Jacobian of :mod:`ssblab.echem.impedance.circuits`. Parameters whose lower bound is >= 0 are optimised as
logarithms, which makes resistances (ohm to Mohm) and capacitances (pF to mF) equally well
scaled. Standard errors come from the covariance ``(J^T W J)^-1 * chi2 / (2N - P)``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import ClassVar, Literal, get_args

import numpy as np
from scipy.optimize import least_squares

from ssblab.echem.impedance.circuits import Circuit, Element, Parallel, Series, as_circuit
from ssblab.echem.spectrum import Spectrum
from ssblab.errors import InputError, check_choice
from ssblab.results import Measured, Result, new_axes, provenance

Weighting = Literal["unit", "proportional", "modulus"]
WEIGHTINGS = get_args(Weighting)
_PROPORTIONAL_FLOOR = 1e-2  # a component below 1 % of |Z| is weighted as 1 % of |Z|
_N_GUESS = 0.85  # CPE exponent of a typical depressed arc
_LOG_RANGE = (1e-20, 1e20)  # range of a log-parameterised parameter, in its unit
_SCREEN_NFEV = 15  # evaluations per candidate start before the best one is refined
#: Relative noise (per real or imaginary part, of |Z|) assumed at least: the accuracy of a good
#: impedance analyser is 0.1-1 % of |Z| depending on range, and equivalent circuits are
#: idealisations, so a lin-KK residual far below this says more about smoothness than noise.
NOISE_FLOOR = 0.005
#: A fit whose rms relative residual exceeds this many times the noise does not describe the
#: data (for a right model the ratio is 1 within a few per cent for 2N ~ 100 residuals).
MISFIT_FACTOR = 3.0
#: A parameter of interest is determined when its standard error is below this fraction of
#: its value.
MAX_RELATIVE_STDERR = 0.5
#: An arc whose apex lies outside the measured frequencies is seen from one side only; its
#: resistance and capacitance are accepted when known to this fraction. Beyond it the
#: linearised standard errors of such an arc understate the error (the valley is curved:
#: |error| up to 4 standard errors at 20-50 %, within 3 below 20 %; docs/eis.md).
MAX_RELATIVE_STDERR_UNMEASURED_APEX = 0.2


# --- results ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class Arc(Result):
    """Derived quantities of one ``p(R, CPE)`` or ``p(R, C)`` block of a fitted circuit.

    ``capacitance_F`` is the effective capacitance (Brug et al. 1984) ``(R^(1-n) Q)^(1/n)``
    (``C`` itself for an ideal capacitor); ``apex_frequency_Hz`` is ``1 / (2 pi (R Q)^(1/n))``,
    where ``-Z''`` of the block peaks.
    """

    resistor: str
    capacitor: str
    resistance_ohm: Measured
    capacitance_F: Measured
    apex_frequency_Hz: Measured
    n: Measured

    title: ClassVar[str] = "Arc"

    def summary(self):
        return [(f"{self.resistor} / ohm", self.resistance_ohm),
                (f"C_eff({self.capacitor}) / F", self.capacitance_F),
                ("apex frequency / Hz", self.apex_frequency_Hz), ("n", self.n)]


@dataclasses.dataclass(frozen=True, kw_only=True)
class CircuitFit(Result):
    """A fitted equivalent circuit: parameters with standard errors, model, residuals.

    ``residuals_ohm`` is data minus model; ``chi2`` is the weighted sum of squared real and
    imaginary residuals (dimensionless for ``modulus``/``proportional``, ohm^2 for ``unit``)
    and ``chi2_reduced`` divides it by the degrees of freedom ``2N - P_free``.
    """

    circuit: str
    weighting: str
    parameters: dict
    frequency_Hz: np.ndarray
    impedance_ohm: np.ndarray
    model_impedance_ohm: np.ndarray
    residuals_ohm: np.ndarray
    chi2: float
    chi2_reduced: float
    covariance: np.ndarray
    fixed: tuple = ()
    arcs: tuple = ()
    n_evaluations: int = 0
    source: str = ""
    temperature_K: float | None = None
    noise_relative: float = math.nan
    noise_source: str = ""
    adjustments: tuple = ()
    ranking: tuple = ()

    title: ClassVar[str] = "Equivalent-circuit fit"

    @property
    def misfit_ratio(self) -> float:
        """rms relative residual over the noise used to judge the fit (floored at
        :data:`NOISE_FLOOR`); above :data:`MISFIT_FACTOR` the model misses the data."""
        noise = self.noise_relative if math.isfinite(self.noise_relative) else 0.0
        return self.rms_relative_residual / max(noise, NOISE_FLOOR)

    @property
    def values(self) -> dict[str, float]:
        """Fitted values as plain floats, name -> value."""
        return {k: float(m.value) for k, m in self.parameters.items()}

    @property
    def relative_residuals(self) -> np.ndarray:
        """Complex ``(Z - Z_model) / |Z|``: the residual plot's quantity."""
        return self.residuals_ohm / np.abs(self.impedance_ohm)

    @property
    def rms_relative_residual(self) -> float:
        """Root mean square of the real and imaginary parts of :attr:`relative_residuals`."""
        return _rms_relative(self.residuals_ohm, self.impedance_ohm)

    def impedance(self, frequency_Hz) -> np.ndarray:
        """The fitted model's impedance / ohm at ``frequency_Hz``."""
        return as_circuit(self.circuit).impedance(self.values, frequency_Hz)

    def summary(self):
        rows = [("circuit", self.circuit), ("weighting", self.weighting),
                ("chi2 (weighted)", self.chi2),
                ("rms relative residual", self.rms_relative_residual)]
        if math.isfinite(self.noise_relative):
            rows += [(f"noise ({self.noise_source})", self.noise_relative),
                     ("residual / max(noise, floor)", self.misfit_ratio)]
        rows += [("adjusted", note) for note in self.adjustments]
        rows += [(f"{name} / {m.unit}" if m.unit else name, m)
                 for name, m in self.parameters.items()]
        for arc in self.arcs:
            rows += [(f"C_eff({arc.capacitor}) / F", arc.capacitance_F),
                     (f"f_apex({arc.resistor}||{arc.capacitor}) / Hz", arc.apex_frequency_Hz)]
        for k, row in enumerate(self.ranking, 1):
            verdict = "ok" if row["ok"] else f"failed: {row['reason']}"
            rows.append((f"rank {k}: {row['circuit']}", f"BIC {row['bic']:.1f}, {verdict}"))
        return rows

    def table(self):
        row = {"source": self.source, "circuit": self.circuit, "ok": self.ok, "reason": self.reason,
               "chi2": self.chi2}
        for name, m in self.parameters.items():
            unit = f" / {m.unit}" if m.unit else ""
            row[f"{name}{unit}"] = m.value
            row[f"{name} stderr{unit}"] = m.stderr
        for arc in self.arcs:
            row[f"C_eff({arc.capacitor}) / F"] = arc.capacitance_F.value
            row[f"f_apex({arc.capacitor}) / Hz"] = arc.apex_frequency_Hz.value
        return [row]

    def curves(self):
        name = Path(self.source).stem if self.source else "spectrum"
        dense, model = self._smooth() if self.ok else (self.frequency_Hz, self.model_impedance_ohm)
        return {
            f"{name} data": {"frequency_Hz": self.frequency_Hz,
                             "z_real_ohm": self.impedance_ohm.real,
                             "z_imag_ohm": self.impedance_ohm.imag,
                             "fitted_z_real_ohm": self.model_impedance_ohm.real,
                             "fitted_z_imag_ohm": self.model_impedance_ohm.imag},
            f"{name} fitted": {"frequency_Hz": dense, "fitted_z_real_ohm": model.real,
                               "fitted_z_imag_ohm": model.imag}}

    def _smooth(self):
        f = self.frequency_Hz
        dense = np.logspace(np.log10(f.min()), np.log10(f.max()), 300)
        return dense, self.impedance(dense)

    def _draw(self, ax, *, zoom_arcs: bool = False, **kwargs):
        """Nyquist plot of the data with the fitted model.

        ``zoom_arcs=True`` limits the view to the resistors' span (series plus arcs), where a
        blocking-electrode spike would otherwise flatten the arcs into the axis.
        """
        z = self.impedance_ohm
        # the file name, not its absolute path, in the legend
        name = Path(self.source).name if self.source else "data"
        ax.plot(z.real, -z.imag, "o", ms=3, label=kwargs.get("label", name))
        _, zm = self._smooth()
        ax.plot(zm.real, -zm.imag, "-", lw=1.2, label=f"fit {self.circuit}")
        if self.ok:  # label each arc at its apex: resistance, effective C, apex frequency
            for arc in self.arcs:
                f = float(arc.apex_frequency_Hz.value)
                if not (np.isfinite(f) and f > 0):
                    continue
                apex = complex(self.impedance(np.array([f]))[0])
                ax.plot(apex.real, -apex.imag, "k^", ms=5)
                ax.annotate(f"{arc.resistor}: {arc.resistance_ohm.value:.3g} Ω\n"
                            f"C {arc.capacitance_F.value:.2g} F, {f:.3g} Hz",
                            (apex.real, -apex.imag), textcoords="offset points",
                            xytext=(4, 6), fontsize=7)
        ax.set_xlabel("Z' / Ω")
        ax.set_ylabel("-Z'' / Ω")
        span = sum(m.value for m in self.parameters.values() if m.unit == "ohm")
        if zoom_arcs and span > 0:
            ax.set_xlim(min(0.0, float(z.real.min())), 1.2 * span)
            ax.set_ylim(min(0.0, float(-z.imag.min())), 0.6 * span)
            ax.set_aspect("equal", adjustable="box")
            ax.set_title("arc region", fontsize=9)
        else:
            ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8)

    def plot_bode(self, ax=None):
        """Bode plot: |Z| (left axis, log) and phase (right axis) of data and fit; returns ax."""
        ax = new_axes(ax)
        f, z = self.frequency_Hz, self.impedance_ohm
        dense, zm = self._smooth()
        ax.loglog(f, np.abs(z), "o", ms=3, color="C0", label="|Z| data")
        ax.loglog(dense, np.abs(zm), "-", color="C0", label="|Z| fit")
        ax.set_xlabel("frequency / Hz")
        ax.set_ylabel("|Z| / Ω")
        twin = ax.twinx()
        twin.semilogx(f, -np.degrees(np.angle(z)), "s", ms=3, color="C1", label="-phase data")
        twin.semilogx(dense, -np.degrees(np.angle(zm)), "-", color="C1", label="-phase fit")
        twin.set_ylabel("-phase / °")
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)
        return ax

    def plot_residuals(self, ax=None):
        """Relative residuals ``(Z - Z_fit)/|Z|`` in % against frequency; returns ax."""
        return _plot_relative_residuals(new_axes(ax), self.frequency_Hz, self.relative_residuals)


def _rms_relative(residuals_ohm, impedance_ohm) -> float:
    r = residuals_ohm / np.abs(impedance_ohm)
    return float(np.sqrt(np.mean(r.real**2 + r.imag**2) / 2))


def _plot_relative_residuals(ax, frequency_Hz, relative):
    ax.semilogx(frequency_Hz, 100 * relative.real, "o-", ms=3, lw=0.8, label="Δ real")
    ax.semilogx(frequency_Hz, 100 * relative.imag, "s-", ms=3, lw=0.8, label="Δ imag")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("frequency / Hz")
    ax.set_ylabel("(Z - Z_model) / |Z| / %")
    ax.legend(fontsize=8)
    return ax


# --- the least-squares problem ---------------------------------------------------------------
def weights(impedance_ohm: np.ndarray, weighting: Weighting) -> tuple[np.ndarray, np.ndarray]:
    """Residual multipliers (real, imaginary) for a weighting; see docs/eis.md.

    Examples
    --------
    >>> w_re, w_im = weights(np.array([3 - 4j]), "modulus")
    >>> float(w_re[0]), float(w_im[0])
    (0.2, 0.2)
    """
    check_choice(weighting, WEIGHTINGS, name="weighting")
    modulus = np.abs(impedance_ohm)
    if weighting == "unit":
        one = np.ones(modulus.shape)
        return one, one
    if weighting == "modulus":
        return 1 / modulus, 1 / modulus
    floor = _PROPORTIONAL_FLOOR * modulus
    return (1 / np.maximum(np.abs(impedance_ohm.real), floor),
            1 / np.maximum(np.abs(impedance_ohm.imag), floor))


@dataclasses.dataclass
class _Problem:
    """One spectrum's weighted least-squares problem in the optimiser's variables ``u``.

    Free parameters with a lower bound >= 0 are optimised as ``u = ln p``; the rest as ``p``.
    """

    circuit: Circuit
    frequency_Hz: np.ndarray
    impedance_ohm: np.ndarray
    w_re: np.ndarray
    w_im: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    free: np.ndarray  # bool mask
    base: np.ndarray  # values of the fixed parameters (free entries ignored)

    def __post_init__(self):
        self.log = self.lower[self.free] >= 0
        lo, hi = self.lower[self.free], self.upper[self.free]
        # a log parameter stays within [1e-20, 1e20] of its unit, keeping Z and J finite
        lo = np.where(self.log, np.maximum(lo, _LOG_RANGE[0]), lo)
        hi = np.where(self.log, np.minimum(hi, _LOG_RANGE[1]), hi)
        with np.errstate(divide="ignore", invalid="ignore"):  # log of a -inf bound (unused)
            self.u_lower = np.where(self.log, np.log(lo), lo)
            self.u_upper = np.where(self.log, np.log(hi), hi)
        self._cache_key = None

    def to_u(self, p: np.ndarray) -> np.ndarray:
        pf = p[self.free]
        if (pf[self.log] <= 0).any():
            names = np.array(self.circuit.parameter_names)[self.free][self.log & (pf <= 0)]
            raise InputError(f"initial values of {list(names)} must be > 0 (lower bound 0)")
        u = np.where(self.log, np.log(np.where(self.log, pf, 1.0)), pf)
        return np.clip(u, self.u_lower, self.u_upper)

    def to_p(self, u: np.ndarray) -> np.ndarray:
        p = self.base.copy()
        p[self.free] = np.where(self.log, np.exp(np.where(self.log, u, 0.0)), u)
        return p

    def _evaluate(self, u):
        key = u.tobytes()
        if key != self._cache_key:
            p = self.to_p(u)
            zm, jac = self.circuit.impedance_and_jacobian(p, self.frequency_Hz)
            jac = jac[:, self.free]
            jac[:, self.log] *= p[self.free][self.log]
            d = zm - self.impedance_ohm
            r = np.concatenate([self.w_re * d.real, self.w_im * d.imag])
            j = np.concatenate([self.w_re[:, None] * jac.real, self.w_im[:, None] * jac.imag])
            if not (np.isfinite(r).all() and np.isfinite(j).all()):
                r = np.nan_to_num(r, nan=1e100, posinf=1e100, neginf=-1e100)
                j = np.nan_to_num(j, nan=0.0, posinf=1e100, neginf=-1e100)
            self._r, self._j, self._zm = r, j, zm
            self._cache_key = key
        return self._r, self._j

    def residuals(self, u):
        return self._evaluate(u)[0]

    def jacobian(self, u):
        return self._evaluate(u)[1]

    def solve(self, p0: np.ndarray, *, max_nfev: int | None = None,
              method: Literal["trf", "lm"] = "trf"):
        """Minimise from ``p0``: trust-region reflective with bounds, or (``"lm"``, for warm
        starts near the optimum) MINPACK's Levenberg-Marquardt on the bound-projected problem,
        which reaches the same minimum with about half the Python overhead per iteration."""
        u0 = self.to_u(p0)
        if not u0.size:  # everything fixed
            r = self.residuals(u0)
            return p0.copy(), _Status(0.5 * r @ r, 1, 1, "all parameters fixed")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if method == "lm":
                sol = least_squares(self._projected_residuals, u0, jac=self._projected_jacobian,
                                    method="lm", x_scale="jac")
                sol.x = np.clip(sol.x, self.u_lower, self.u_upper)
            else:
                sol = least_squares(self.residuals, u0, jac=self.jacobian,
                                    bounds=(self.u_lower, self.u_upper), method="trf",
                                    x_scale="jac", max_nfev=max_nfev)
        return self.to_p(sol.x), _Status(sol.cost, sol.status, sol.nfev, sol.message)

    def _projected_residuals(self, u):
        return self.residuals(np.clip(u, self.u_lower, self.u_upper))

    def _projected_jacobian(self, u):
        jac = self.jacobian(np.clip(u, self.u_lower, self.u_upper)).copy()
        jac[:, (u < self.u_lower) | (u > self.u_upper)] = 0.0
        return jac


@dataclasses.dataclass
class _Status:
    cost: float
    status: int
    nfev: int
    message: str


def _problem(spectrum: Spectrum, circuit: Circuit, weighting, bounds, fixed_values) -> _Problem:
    lower, upper = circuit.default_bounds()
    for name, pair in (bounds or {}).items():
        i = _index(circuit, name, "bounds")
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise InputError(f"bounds[{name!r}]: expected a (lower, upper) pair, found {pair!r}") from None
        if not lo < hi:
            raise InputError(f"bounds[{name!r}]: lower {lo} must be below upper {hi}")
        lower[i], upper[i] = lo, hi
    free = np.ones(circuit.n_parameters, bool)
    base = np.zeros(circuit.n_parameters)
    for name, value in fixed_values.items():
        i = _index(circuit, name, "fixed")
        free[i] = False
        base[i] = value
    w_re, w_im = weights(spectrum.impedance_ohm, weighting)
    return _Problem(circuit, spectrum.frequency_Hz, spectrum.impedance_ohm, w_re, w_im,
                    lower, upper, free, base)


def _index(circuit: Circuit, name: str, what: str) -> int:
    if name not in circuit.parameter_names:
        check_choice(name, circuit.parameter_names, name=f"{what}: parameter")
    return circuit.parameter_names.index(name)


# --- initial guesses -------------------------------------------------------------------------
@dataclasses.dataclass
class _Features:
    """What a spectrum shows: intercept, arcs (R, apex angular frequency), low-f spike."""

    r_hf: float
    arcs: list  # (R, omega_apex), highest frequency first
    omega_max: float
    omega_min: float
    omega_arc_end: float  # where the arcs end and a spike (if any) begins
    span: float  # Z' range covered by the arcs
    scale: float  # typical |Z|
    spike_q: float
    spike_n: float
    y_last: float  # -Z'' at the lowest frequency
    x_last: float  # Z' at the lowest frequency
    zi_hf: float  # Z'' at the highest frequency


def _features(spectrum: Spectrum) -> _Features:
    from scipy.signal import find_peaks

    order = np.argsort(spectrum.frequency_Hz)[::-1]
    w = spectrum.angular_frequency_rad_s[order]
    z = spectrum.impedance_ohm[order]
    x, y = z.real, -z.imag
    scale = float(np.median(np.abs(z)))
    # arcs are local maxima of -Z''; on a log scale so that a small bulk arc next to a large
    # electrode spike still stands out (prominence 3 % of its own height)
    log_y = np.log(np.maximum(y, 1e-3 * scale))
    peaks, props = find_peaks(log_y, prominence=0.03)
    keep = np.sort(peaks[np.argsort(props["prominences"])[::-1][:6]]) if peaks.size else peaks
    # boundaries between arcs: minima of -Z'' between consecutive peaks and after the last
    bounds = [0]
    for a, b in itertools.pairwise(keep):
        bounds.append(a + int(np.argmin(y[a:b + 1])))
    end = int(keep[-1] + np.argmin(y[keep[-1]:])) if keep.size else len(y) - 1
    bounds.append(end)
    arcs = []
    for k, i in enumerate(keep):
        r = x[bounds[k + 1]] - x[bounds[k]]
        r = max(r, 2 * y[i]) if k == 0 else (r if r > 0 else 2.5 * y[i])
        arcs.append((float(max(r, 1e-6 * scale)), float(w[i])))
    r_hf = float(x[0])
    tail = slice(max(end, len(y) - 4), len(y))
    spike_n = 0.9
    if len(y[tail]) >= 2 and (y[tail] > 0).all():
        slope = np.polyfit(np.log(w[tail]), np.log(y[tail]), 1)[0]
        spike_n = float(np.clip(-slope, 0.4, 1.0))
    y_last = float(max(y[-1], 1e-3 * scale))
    spike_q = math.sin(spike_n * math.pi / 2) / (y_last * w[-1] ** spike_n)
    span = float(max(x[end] - x[0], 1e-3 * scale))
    return _Features(r_hf=r_hf, arcs=arcs, omega_max=float(w[0]), omega_min=float(w[-1]),
                     omega_arc_end=float(w[end]), span=span, scale=scale, spike_q=spike_q,
                     spike_n=spike_n, y_last=y_last, x_last=float(x[-1]), zi_hf=float(z[0].imag))


def _arc_block(node) -> tuple[Element, Element] | None:
    """(resistor, capacitive element) if ``node`` is p(R-branch, C or CPE), else None."""
    if not (isinstance(node, Parallel) and len(node.children) == 2):
        return None
    for branch, cap in (node.children, node.children[::-1]):
        if isinstance(cap, Element) and cap.kind.symbol in ("C", "CPE"):
            items = branch.children if isinstance(branch, Series) else (branch,)
            r = next((e for e in items if isinstance(e, Element) and e.kind.symbol == "R"), None)
            if r is not None:
                return r, cap
    return None


def _generic(element: Element, p: np.ndarray, r_typ: float, omega: float, feats: _Features):
    s, i = element.kind.symbol, element.start
    if s == "R":
        p[i] = r_typ
    elif s == "C":
        p[i] = 1 / (omega * r_typ)
    elif s == "CPE":
        p[i], p[i + 1] = 1 / (r_typ * omega**_N_GUESS), _N_GUESS
    elif s == "L":
        p[i] = max(feats.zi_hf, 1e-3 * feats.scale) / feats.omega_max
    elif s == "W":
        p[i] = r_typ * math.sqrt(omega)
    else:  # Ws, Wo
        p[i], p[i + 1] = r_typ, 1 / omega


def _guess(circuit: Circuit, feats: _Features, arcs: list, r0: float, omega_c: float) -> np.ndarray:
    p = np.full(circuit.n_parameters, np.nan)
    top = circuit.root.children if isinstance(circuit.root, Series) else (circuit.root,)
    arcs = list(arcs)
    r_typ = feats.span / max(1, sum(e.kind.symbol == "R" for e in circuit.elements))
    first_r = True
    for node in top:
        block = _arc_block(node)
        if isinstance(node, Element):
            s, i = node.kind.symbol, node.start
            if s == "R":
                p[i] = r0 if first_r else 0.1 * r_typ
                first_r = False
            elif s == "CPE":
                p[i], p[i + 1] = feats.spike_q, feats.spike_n
            elif s == "C":
                p[i] = 1 / (feats.y_last * feats.omega_min)
            elif s == "W":
                p[i] = feats.y_last * math.sqrt(feats.omega_min)
            elif s in ("Ws", "Wo"):
                p[i] = max(feats.x_last - r0 - feats.span, feats.span)
                p[i + 1] = 1 / feats.omega_min
            else:
                _generic(node, p, r_typ, omega_c, feats)
        elif block is not None and arcs:
            r_el, cap = block
            r, w = arcs.pop(0)
            p[r_el.start] = r
            if cap.kind.symbol == "C":
                p[cap.start] = 1 / (r * w)
            else:
                p[cap.start], p[cap.start + 1] = 1 / (r * w**_N_GUESS), _N_GUESS
        for e in (n for n in circuit.elements if _node_contains(node, n) and np.isnan(p[n.start])):
            _generic(e, p, r_typ, omega_c, feats)
    return p


def _shape(node) -> str:
    """The structure of a node without labels, e.g. ``p(R,C)``."""
    if isinstance(node, Element):
        return node.kind.symbol
    inner = ",".join(_shape(c) for c in node.children)
    return f"p({inner})" if isinstance(node, Parallel) else f"s({inner})"


def _node_contains(node, element: Element) -> bool:
    return node.start <= element.start < node.stop


def _arc_candidates(feats: _Features, n_blocks: int) -> list[list]:
    """Arc lists (R, omega) for ``n_blocks`` blocks from the detected arcs."""
    found = sorted(feats.arcs, key=lambda a: -a[1])
    spread_w = np.geomspace(feats.omega_max, feats.omega_arc_end, n_blocks + 2)[1:-1]
    spread = [[(feats.span / n_blocks, float(w)) for w in spread_w]]
    if n_blocks == 0:
        return [[]]
    if len(found) >= n_blocks:
        by_size = sorted(found, key=lambda a: -a[0])[:n_blocks]
        return [sorted(by_size, key=lambda a: -a[1])] + spread
    out = []
    for slots in itertools.combinations(range(n_blocks), len(found)):
        arcs = [None] * n_blocks
        for s, arc in zip(slots, found):
            arcs[s] = arc
        for k in range(n_blocks):
            if arcs[k] is None:
                hi = next((a[1] for a in arcs[:k][::-1] if a), feats.omega_max * 10)
                lo = next((a[1] for a in arcs[k + 1:] if a), feats.omega_arc_end)
                near = next((a[0] for a in arcs[k + 1:] if a), None) or next(
                    (a[0] for a in arcs[:k][::-1] if a), feats.span)
                arcs[k] = (0.3 * near, math.sqrt(hi * lo) if hi > lo else lo / 10)
        out.append(arcs)
    return out + spread


def initial_guesses(spectrum: Spectrum, circuit: str | Circuit) -> list[dict[str, float]]:
    """Candidate starting points read from the spectrum, most plausible first.

    The series resistance is the high-frequency intercept; each ``p(R, CPE)``/``p(R, C)``
    block (first block = highest frequency) takes an arc found as a local maximum of ``-Z''``,
    with ``R`` the width of the arc on the real axis, ``Q = 1/(R omega_apex^n)`` and
    ``n = 0.85``; a series CPE or C takes the low-frequency spike. Missing arcs are placed
    between the detected ones or beyond the measured range.

    Examples
    --------
    >>> f = np.logspace(6, -1, 50)
    >>> z = Circuit("R0-p(R1,C1)").impedance([10.0, 1000.0, 1e-7], f)
    >>> guess = initial_guesses(Spectrum(frequency_Hz=f, impedance_ohm=z), "R0-p(R1,C1)")[0]
    >>> 500 < guess["R1"] < 2000 and 3e-8 < guess["C1"] < 3e-7
    True
    """
    circuit = as_circuit(circuit)
    feats = _features(spectrum)
    top = circuit.root.children if isinstance(circuit.root, Series) else (circuit.root,)
    n_blocks = sum(_arc_block(n) is not None for n in top)
    r0s = [max(feats.r_hf, 1e-3 * feats.scale), max(0.05 * feats.r_hf, 1e-4 * feats.scale)]
    omegas = np.geomspace(feats.omega_max, feats.omega_min, 5)[1:-1]
    out, seen = [], set()
    arc_lists = _arc_candidates(feats, n_blocks)
    shapes = {_shape(n) for n in top if _arc_block(n) is not None}
    if len(shapes) > 1:  # blocks differ (e.g. one holds a Warburg): try the reverse order too
        arc_lists += [a[::-1] for a in arc_lists]
    for arcs in arc_lists:
        for r0, omega_c in itertools.product(r0s, omegas):
            p = _guess(circuit, feats, arcs, r0, float(omega_c))
            key = tuple(np.round(np.log(np.abs(p) + 1e-300), 3))
            if key not in seen:
                seen.add(key)
                out.append(dict(zip(circuit.parameter_names, p.tolist())))
    return out


# --- fitting ---------------------------------------------------------------------------------
@dataclasses.dataclass
class _Policy:
    """How a fit is judged: the noise it must reach and which parameters must be determined.

    ``noise_relative`` None means "estimate it from the spectrum's lin-KK residuals when it is
    needed": a residual below ``MISFIT_FACTOR * NOISE_FLOOR`` passes whatever the noise, so
    warm batch fits skip the estimate (it costs more than the fit).
    """

    noise_relative: float | None
    noise_source: str
    interest: frozenset  # parameter names that must be determined
    max_relative_residual: float | None = None  # an explicit limit replaces the noise rule
    spectrum: Spectrum | None = None
    kk_inconsistent: bool = False  # lin-KK called the spectrum drift, not noise

    def noise(self) -> float:
        if self.noise_relative is None:
            from ssblab.echem.impedance.kk import lin_kk

            consistent = True
            try:
                check = lin_kk(self.spectrum)
                estimate, consistent = check.noise_relative, bool(check)
                why = "too few points"
            except (InputError, np.linalg.LinAlgError) as error:
                estimate, why = math.nan, str(error)
            if math.isfinite(estimate) and not consistent and estimate > NOISE_FLOOR:
                # lin-KK's residual of a drifting spectrum is the drift, not noise: a circuit
                # is then judged against the floor, not excused by the drift it cannot follow
                self.noise_relative, self.kk_inconsistent = NOISE_FLOOR, True
                self.noise_source = (f"the floor: lin-KK finds the spectrum not Kramers-Kronig "
                                     f"consistent, its {100 * estimate:.2g} % residual is drift "
                                     "or non-stationarity, not noise")
            elif math.isfinite(estimate):
                self.noise_relative = estimate
            else:
                self.noise_relative = NOISE_FLOOR
                self.noise_source = f"the floor (no lin-KK estimate: {why})"
        return self.noise_relative

    def limit(self, rms: float) -> float:
        if self.max_relative_residual is not None:
            return self.max_relative_residual
        floor_limit = MISFIT_FACTOR * NOISE_FLOOR
        return floor_limit if rms <= floor_limit else MISFIT_FACTOR * max(self.noise(), NOISE_FLOOR)


def nuisance_parameters(circuit: str | Circuit) -> tuple[str, ...]:
    """Series resistors and inductors outside every arc: the lead and contact resistance and
    the cables' inductance, which a fit may fix at zero when the data cannot determine them.

    Examples
    --------
    >>> nuisance_parameters("L0-R0-p(R1,CPE1)-CPE2")
    ('L0', 'R0')
    """
    circuit = as_circuit(circuit)
    top = circuit.root.children if isinstance(circuit.root, Series) else (circuit.root,)
    return tuple(n.name for n in top if isinstance(n, Element) and n.kind.symbol in ("R", "L"))


def _policy(spectrum, circuit, noise_relative, interest, max_relative_residual,
            noise_source="given", *, lazy: bool = False) -> _Policy:
    if noise_relative is None:
        noise, source = None, "lin-KK estimate"
    else:
        noise, source = float(noise_relative), noise_source
        if not (math.isfinite(noise) and noise > 0):
            raise InputError(f"noise_relative: expected a positive fraction of |Z|, found {noise}")
    if interest is None:
        interest = [n for n in circuit.parameter_names if n not in nuisance_parameters(circuit)]
    for name in interest:
        _index(circuit, name, "interest")
    policy = _Policy(noise, source, frozenset(interest), max_relative_residual, spectrum)
    if not lazy:
        policy.noise()
    return policy


def fit_circuit(spectrum: Spectrum, circuit: str | Circuit, *, weighting: Weighting = "modulus",
                initial: Mapping[str, float] | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None,
                fixed: Mapping[str, float] | Iterable[str] | None = None,
                noise_relative: float | None = None, interest: Iterable[str] | None = None,
                fix_nuisance: bool = True, max_relative_residual: float | None = None,
                noise_source: str = "given") -> CircuitFit:
    """Fit ``circuit`` to ``spectrum`` by complex non-linear least squares.

    Parameters
    ----------
    spectrum : Spectrum
    circuit : str or Circuit, e.g. ``"R0-p(R1,CPE1)-CPE2"``, or ``"auto"`` to choose among
        pellet circuits (:func:`ssblab.echem.impedance.auto.fit_auto`)
    weighting : "unit", "proportional" or "modulus"
        Residual weights, see :func:`weights`.
    initial : mapping name -> value, optional
        Starting values; parameters left out are guessed from the spectrum. Without it a few
        guessed candidates are fitted and the best kept.
    bounds : mapping name -> (lower, upper), optional
        Overrides the physical defaults (everything >= 0, ``0 < n <= 1``).
    fixed : mapping name -> value, or names, optional
        Parameters held constant (names alone: held at their initial value).
    noise_relative : float, optional
        Relative noise of the data (standard deviation of the real and of the imaginary part
        over ``|Z|``). Default: estimated from the lin-KK residuals of the spectrum when the
        verdict needs it (a residual below ``MISFIT_FACTOR * NOISE_FLOOR`` passes whatever the
        noise, and then the result's ``noise_relative`` is nan).
    interest : names, optional
        Parameters that must be determined for the fit to be ok. Default: all but the
        nuisance parameters (:func:`nuisance_parameters`: series R and L outside the arcs).
    fix_nuisance : bool
        A nuisance parameter that the data do not determine (standard error above its value,
        or driven to its bound of zero) is fixed at zero and the fit redone; the result's
        ``adjustments`` say so.
    max_relative_residual : float, optional
        An explicit limit on the rms relative residual, replacing the default rule:
        ``MISFIT_FACTOR`` times ``max(noise, NOISE_FLOOR)``.
    noise_source : str
        Where a given ``noise_relative`` came from, shown with it in the result.

    Returns
    -------
    CircuitFit
        ``bool(fit)`` is True only when the model describes the data (residuals within the
        limit above) and every parameter of interest is determined (standard error below
        ``MAX_RELATIVE_STDERR`` of its value, not at a bound); otherwise ``fit.reason`` says
        which condition failed.

    Examples
    --------
    >>> f = np.logspace(6, -1, 40)
    >>> truth = {"R0": 20.0, "R1": 1000.0, "CPE1_Q": 1e-7, "CPE1_n": 0.85}
    >>> z = Circuit("R0-p(R1,CPE1)").impedance(truth, f)
    >>> fit = fit_circuit(Spectrum(frequency_Hz=f, impedance_ohm=z), "R0-p(R1,CPE1)")
    >>> bool(fit), round(fit.parameters["R1"].value, 3), round(fit.arcs[0].n.value, 3)
    (True, 1000.0, 0.85)
    """
    if isinstance(circuit, str) and circuit.strip().lower() == "auto":
        from ssblab.echem.impedance.auto import fit_auto

        given = [name for name, value in (("initial", initial), ("bounds", bounds),
                                          ("fixed", fixed), ("interest", interest),
                                          ("max_relative_residual", max_relative_residual))
                 if value is not None]
        if given:
            raise InputError(f"circuit 'auto': {', '.join(given)} name parameters of one "
                             "circuit; give the circuit itself to use them")

        return fit_auto(spectrum, weighting=weighting, noise_relative=noise_relative,
                        noise_source=noise_source)
    circuit = as_circuit(circuit)
    if not isinstance(spectrum, Spectrum):
        raise InputError(f"spectrum: expected a Spectrum, found {type(spectrum).__name__}")
    check_choice(weighting, WEIGHTINGS, name="weighting")
    policy = _policy(spectrum, circuit, noise_relative, interest, max_relative_residual,
                     noise_source, lazy=True)
    fixed_names, fixed_values = _split_fixed(circuit, fixed, initial)
    guesses = None
    if initial is None or any(k not in initial for k in circuit.parameter_names):
        guesses = initial_guesses(spectrum, circuit)
    starts = []
    for g in guesses or [{}]:
        start = {**g, **(initial or {}), **fixed_values}
        starts.append(circuit.vector(start, name="initial"))
    fixed_values = dict(zip(fixed_names, (starts[0][circuit.parameter_names.index(n)]
                                          for n in fixed_names)))
    problem = _problem(spectrum, circuit, weighting, bounds, fixed_values)
    for p0 in starts:
        _check_within(circuit, problem, p0)
    best = None
    # several candidates: a short run each, then the best one to convergence
    for p0 in starts:
        p, status = problem.solve(p0, max_nfev=_SCREEN_NFEV if len(starts) > 1 else None)
        if best is None or (np.isfinite(status.cost) and status.cost < best[1].cost):
            best = (p, status)
    if len(starts) > 1:
        p, status = problem.solve(best[0])
        best = (p, dataclasses.replace(status, nfev=status.nfev + _SCREEN_NFEV * len(starts)))
    inputs = dict(circuit=circuit.text, weighting=weighting, initial=initial, bounds=bounds,
                  fixed=fixed_values, noise_relative=noise_relative,
                  interest=sorted(policy.interest), source=spectrum.source)
    fit = _result(spectrum, problem, *best, weighting=weighting, policy=policy, inputs=inputs)
    if fix_nuisance:
        fit = _fix_nuisance(spectrum, fit, problem, best[0], weighting=weighting, bounds=bounds,
                            policy=policy, inputs=inputs)
    return fit


def _fix_nuisance(spectrum, fit, problem, p, *, weighting, bounds, policy, inputs) -> CircuitFit:
    """Fix undetermined nuisance parameters at zero and refit (at most twice).

    A series resistance stays free while an arc's apex lies above the highest measured
    frequency: it trades off against that arc's resistance, and fixing it at zero would hand
    the arc a resistance that is not its own with a standard error that hides it.
    """
    circuit = problem.circuit
    nuisance = [n for n in nuisance_parameters(circuit) if n not in policy.interest]
    f_max = float(np.max(spectrum.frequency_Hz))
    if any(a.apex_frequency_Hz.value > f_max for a in fit.arcs):
        nuisance = [n for n in nuisance if not n.startswith("R")]
    fixed_values = {n: float(problem.base[circuit.parameter_names.index(n)])
                    for n in np.array(circuit.parameter_names)[~problem.free]}
    notes = []
    for _ in range(2):
        bad = [n for n in nuisance if n not in fixed_values and _undetermined(fit.parameters[n])]
        if not bad:
            break
        for name in bad:
            m = fit.parameters[name]
            what = ("went to zero" if abs(m.value) <= _LOG_RANGE[0] * 1.01 else
                    f"= {m.value:.3g} +- {m.stderr:.2g} {m.unit} is not determined by the data")
            notes.append(f"{name} {what}: fixed at 0 and refitted")
            fixed_values[name] = 0.0
        p = p.copy()
        p[[circuit.parameter_names.index(n) for n in bad]] = 0.0
        problem = _problem(spectrum, circuit, weighting, bounds, fixed_values)
        p, status = problem.solve(p)
        status = dataclasses.replace(status, nfev=status.nfev + fit.n_evaluations)
        fit = _result(spectrum, problem, p, status, weighting=weighting, policy=policy,
                      inputs={**inputs, "fixed": fixed_values}, adjustments=tuple(notes))
    return fit


def _undetermined(m: Measured) -> bool:
    """No significant value: standard error above the value, or driven to ~0."""
    return not (m.stderr <= abs(m.value)) or abs(m.value) <= _LOG_RANGE[0] * 1.01


def _split_fixed(circuit, fixed, initial):
    if fixed is None:
        return (), {}
    if isinstance(fixed, Mapping):
        for k in fixed:
            _index(circuit, k, "fixed")
        return tuple(fixed), {k: float(v) for k, v in fixed.items()}
    names = tuple(fixed)
    for k in names:
        _index(circuit, k, "fixed")
        if initial is None or k not in initial:
            raise InputError(f"fixed: parameter {k!r} is fixed by name but has no value in "
                             "initial; pass fixed={name: value}")
    return names, {k: float(initial[k]) for k in names}


def _check_within(circuit, problem, p0):
    bad = (p0 < problem.lower) | (p0 > problem.upper)
    bad &= problem.free
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"initial: {circuit.parameter_names[i]} = {p0[i]:g} lies outside its "
                         f"bounds ({problem.lower[i]:g}, {problem.upper[i]:g})")


def _covariance(problem: _Problem, p: np.ndarray, chi2: float) -> np.ndarray:
    """(J^T W J)^-1 * chi2/dof in parameter space, zero rows/columns for fixed parameters."""
    n_free = int(problem.free.sum())
    cov = np.zeros((p.size, p.size))
    if not n_free:
        return cov
    jac = problem.jacobian(problem.to_u(p))
    dof = max(jac.shape[0] - n_free, 1)
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    tiny = s <= s[0] * np.finfo(float).eps * max(jac.shape)
    s_inv2 = np.where(tiny, np.inf, 1 / np.where(tiny, 1, s) ** 2)
    with np.errstate(invalid="ignore"):
        cov_u = (vt.T * s_inv2) @ vt * (chi2 / dof)
    cov_u[np.isnan(cov_u)] = np.inf
    scale = np.where(problem.log, p[problem.free], 1.0)
    with np.errstate(invalid="ignore"):
        cov_free = cov_u * np.outer(scale, scale)
    cov_free[np.isnan(cov_free)] = np.inf
    cov[np.ix_(problem.free, problem.free)] = cov_free
    return cov


def _result(spectrum, problem: _Problem, p, status: _Status, *, weighting, policy: _Policy,
            inputs, adjustments: tuple = ()) -> CircuitFit:
    circuit = problem.circuit
    if problem.free.any():
        r = problem.residuals(problem.to_u(p))
        zm = problem._zm
    else:
        r, zm = np.zeros(1), circuit.impedance(p, spectrum.frequency_Hz)
    chi2 = float(r @ r)
    dof = max(2 * spectrum.n_points - int(problem.free.sum()), 1)
    cov = _covariance(problem, p, chi2)
    stderr = np.sqrt(np.clip(np.diag(cov), 0, None))
    units = circuit.parameter_units
    parameters = {name: Measured(float(v), float(s), units[name])
                  for name, v, s in zip(circuit.parameter_names, p, stderr)}
    fit = dict(circuit=circuit.text, weighting=weighting, parameters=parameters,
               frequency_Hz=spectrum.frequency_Hz, impedance_ohm=spectrum.impedance_ohm,
               model_impedance_ohm=zm, residuals_ohm=spectrum.impedance_ohm - zm, chi2=chi2,
               chi2_reduced=chi2 / dof, covariance=cov,
               fixed=tuple(np.array(circuit.parameter_names)[~problem.free].tolist()),
               arcs=tuple(_arcs(circuit, p, cov)), n_evaluations=int(status.nfev),
               source=spectrum.source, temperature_K=spectrum.temperature_K,
               noise_relative=math.nan if policy.noise_relative is None else policy.noise_relative,
               noise_source=policy.noise_source if policy.noise_relative is not None else
               "not estimated: residual below 3 x the 0.5 % floor",
               adjustments=tuple(adjustments), provenance=provenance(**inputs))
    ok, reason = _judge(problem, p, stderr, status, fit, policy)
    if ok and adjustments:
        reason = "; ".join([*adjustments, reason] if reason else adjustments)
    return CircuitFit(ok=ok, reason=reason, **fit)


def _judge(problem: _Problem, p, stderr, status: _Status, fit, policy: _Policy):
    """(ok, reason): the data are described, then every parameter of interest is determined."""
    names = problem.circuit.parameter_names
    if status.status <= 0 or not np.isfinite(status.cost):
        why = f"the optimiser did not converge: {status.message}"
        # an unmeasured apex is the likely cause (a flat valley): say so
        unresolved = _unresolved_arc(problem, fit, policy) if np.all(np.isfinite(p)) else ""
        return False, f"{unresolved} ({why})" if unresolved else why
    if not np.all(np.isfinite(p)):
        return False, "the fit produced non-finite parameters"
    rms = _rms_relative(fit["residuals_ohm"], fit["impedance_ohm"])
    limit = policy.limit(rms)
    if rms > limit:
        fit["noise_relative"] = policy.noise_relative if policy.noise_relative is not None else math.nan
        fit["noise_source"] = policy.noise_source
        if policy.max_relative_residual is not None:
            why = f"> the limit {100 * limit:.2g} %"
        else:
            why = (f"= {rms / max(policy.noise_relative, NOISE_FLOOR):.1f} x the noise "
                   f"{100 * max(policy.noise_relative, NOISE_FLOOR):.2g} % "
                   f"({policy.noise_source}{', floored' if policy.noise_relative < NOISE_FLOOR else ''}"
                   f"; limit {MISFIT_FACTOR:g} x)")
        fix = ("; crop the drifting frequencies, or give the noise you accept "
               "(noise_relative, CLI --noise)") if policy.kk_inconsistent else ""
        return False, (f"the model misses the data: rms relative residual {100 * rms:.2g} % "
                       f"{why}; try another circuit{fix}")
    notes, ideal = [], set()
    for i in np.flatnonzero(problem.free):
        lo, hi = problem.lower[i], problem.upper[i]
        at_hi = np.isfinite(hi) and p[i] >= hi - 1e-6 * max(abs(hi), 1e-300)
        at_lo = lo != 0 and np.isfinite(lo) and p[i] <= lo + 1e-6 * abs(lo)
        if names[i].endswith("_n") and at_hi and hi == 1:
            notes.append(f"{names[i]} reached 1 (ideal capacitor)")
            ideal.add(i)
        elif at_hi or at_lo or not _LOG_RANGE[0] * 1.01 < abs(p[i]) < _LOG_RANGE[1] / 1.01:
            if names[i] in policy.interest:
                return False, (f"parameter {names[i]} = {p[i]:.4g} ended at its bound "
                               f"({lo:g}, {hi:g})")
            notes.append(f"{names[i]} ended at its bound")
    series = {}
    unresolved = _unresolved_arc(problem, fit, policy, series)
    if unresolved:
        return False, unresolved
    missing = _missing_series_resistance(problem, p, stderr, fit, policy, series)
    if missing:
        return False, missing
    if series.get("covariance") is not None:
        notes += [n for n in [_with_series_errors(problem, p, stderr, fit, series)] if n]
    for i in np.flatnonzero(problem.free):
        if i in ideal:
            continue
        if names[i] in policy.interest and not stderr[i] <= MAX_RELATIVE_STDERR * abs(p[i]):
            return False, (f"parameter {names[i]} is undetermined by the data "
                           f"(standard error {stderr[i]:.3g} vs value {p[i]:.3g}); "
                           "try a simpler circuit or fix it")
        if names[i] not in policy.interest and not stderr[i] <= abs(p[i]):
            notes.append(f"{names[i]} is not determined (standard error {stderr[i]:.3g} "
                         f"vs value {p[i]:.3g}); it is not a parameter of interest")
    return True, "; ".join(notes)


def _missing_series_resistance(problem: _Problem, p, stderr, fit, policy: _Policy, series) -> str:
    """Why a circuit without a free series resistance misreports data that have one ('' if not).

    A series resistance the circuit lacks is taken up by its other elements, and where the arcs'
    apexes lie near the top of the measured range the fit still describes the data within the
    noise. Refitted with one added (``series`` holds that fit when :func:`_unresolved_arc` already
    made it): refused where the data ask for it (above 2 standard errors) and a parameter of
    interest then moves by more than its standard error, so a resistance too small to matter
    does not refuse a good fit.
    """
    names = problem.circuit.parameter_names
    if _has_free_series_resistance(problem):
        return ""
    if "added" not in series:
        series["added"], _, series["values"], series["covariance"] = \
            _with_series_resistance(problem, fit)
    added, values = series["added"], series["values"]
    if added is None or not added.value > 2 * added.stderr:
        return ""
    moved = [(n, p[i], values[n], stderr[i]) for i, n in enumerate(names)
             if problem.free[i] and n in policy.interest
             and not abs(values[n] - p[i]) <= stderr[i]]
    if not moved:
        return ""
    name, value, other, err = max(moved, key=lambda m: abs(m[2] - m[1]) / m[3])
    return (f"the data ask for a series resistance the circuit lacks ({added.value:.4g} +- "
            f"{added.stderr:.2g} ohm when one is added), and with it {name} moves from "
            f"{value:.4g} +- {err:.2g} to {other:.4g}; add R0 in series to the circuit")


def _with_series_errors(problem: _Problem, p, stderr, fit, series) -> str:
    """Put the standard errors a free series resistance allows into ``fit`` and ``stderr``.

    The data neither ask for a series resistance nor rule one out; the circuit's own errors
    assume there is none and hide what one would take (R1 9 standard errors off at 1 % noise
    with a 1 % lead resistance, docs/eis.md). Where the data do decide (the added resistance
    beyond 2 standard errors either way: a positive one that moves nothing of interest, or a
    negative one, which rules out the physical sign) or that resistance is not determined by the
    other elements (infinite errors), the circuit's own errors stand.
    """
    added = series["added"]
    if added is None or not abs(added.value) <= 2 * added.stderr:
        return ""
    cov = series["covariance"][1:, 1:]
    wide = np.sqrt(np.clip(np.diag(cov), 0, None))
    if not np.all(np.isfinite(wide[problem.free])):
        return ""
    stderr[:] = wide
    units = problem.circuit.parameter_units
    fit["covariance"] = cov
    fit["parameters"] = {n: Measured(m.value, float(e), units[n])
                         for (n, m), e in zip(fit["parameters"].items(), wide)}
    fit["arcs"] = tuple(_arcs(problem.circuit, p, cov))
    return (f"standard errors with a series resistance free (the data neither ask for one nor "
            f"rule it out: {added.value:.3g} +- {added.stderr:.2g} ohm)")


def _unresolved_arc(problem: _Problem, fit, policy: _Policy, series=None) -> str:
    """Why an arc of interest whose apex was not measured is not determined ('' if none).

    Such an arc is seen from one side. Above the top frequency its resistance trades off against
    a series resistance, so it is judged with one free: the circuit's own (:func:`_fix_nuisance`
    leaves it free then) or, in a circuit without a free one, a series resistance added for the
    test (refused outright when the data ask for one). Below the lowest frequency the trade-off is
    with the elements of the fit itself. Either way its resistance and capacitance must be known
    to ``MAX_RELATIVE_STDERR_UNMEASURED_APEX``. The fit with a series resistance added is
    left in ``series`` for :func:`_missing_series_resistance`.
    """
    f = fit["frequency_Hz"]
    f_min, f_max = float(np.min(f)), float(np.max(f))
    caps = {a.capacitor: [n for n in problem.circuit.parameter_names
                          if n == a.capacitor or n.startswith(a.capacitor + "_")]
            for a in fit["arcs"]}
    # (an arc with no finite apex has degenerated: the checks of each parameter name it)
    outside = [a for a in fit["arcs"]
               if math.isfinite(a.apex_frequency_Hz.value)
               and not f_min <= a.apex_frequency_Hz.value <= f_max
               and (a.resistor in policy.interest
                    or any(n in policy.interest for n in caps[a.capacitor]))]
    if not outside:
        return ""
    judged, test = {a.resistor: a for a in fit["arcs"]}, ""
    where = f"the measured {f_min:.3g}-{f_max:.3g} Hz"
    for arc in outside:
        apex = arc.apex_frequency_Hz.value
        if apex > f_max:
            side, fix = (f"above the highest measured frequency ({where})",
                         "use a circuit without it (the series resistance then holds its "
                         "resistance), measure to higher frequencies, or leave its parameters "
                         "out of interest")
        else:
            side, fix = (f"below the lowest measured frequency ({where})",
                         "use a circuit without it, measure to lower frequencies, or leave its "
                         "parameters out of interest")
        head = f"arc {arc.resistor}||{arc.capacitor} is not resolved: its apex {apex:.3g} Hz lies {side}"
        if apex > f_max and not test:
            if _has_free_series_resistance(problem):
                test = "with the series resistance free, "
            else:
                test = "with a series resistance added, "
                added, judged, values, cov = _with_series_resistance(problem, fit)
                if series is not None:
                    series.update(added=added, values=values, covariance=cov)
                if added is None:
                    return f"{head}, and the fit with a series resistance added failed; {fix}"
                if added.value > 2 * added.stderr:
                    return (f"{head}, and the data ask for a series resistance "
                            f"({added.value:.4g} +- {added.stderr:.2g} ohm added), which the "
                            f"circuit lacks; {fix}")
        other = judged[arc.resistor]
        for what, m in (("resistance", other.resistance_ohm), ("capacitance", other.capacitance_F)):
            if not m.stderr <= MAX_RELATIVE_STDERR_UNMEASURED_APEX * abs(m.value):
                return (f"{head}; {test if apex > f_max else ''}its {what} {m.value:.4g} +- "
                        f"{m.stderr:.2g} {m.unit} is not known to "
                        f"{100 * MAX_RELATIVE_STDERR_UNMEASURED_APEX:g} %; {fix}")
    return ""


def _has_free_series_resistance(problem: _Problem) -> bool:
    names = problem.circuit.parameter_names
    return any(problem.free[names.index(n)] for n in nuisance_parameters(problem.circuit)
               if n.startswith("R"))


def _with_series_resistance(problem: _Problem, fit):
    """A series resistance added to ``problem``'s circuit and fitted (None if that fails), the
    arcs of the circuit's own fit with their standard errors when that resistance is free, the
    circuit's parameter values in the fit with it (empty if that fails), and the covariance at
    the circuit's own fit with it free (the added resistance first).

    The added resistance is a linear, unbounded parameter: where the data want none it ends
    near or below zero with a finite standard error instead of running to a bound of its log.
    """
    circuit = problem.circuit
    names = set(circuit.parameter_names)
    name = next(f"Rs{k or ''}" for k in range(len(names) + 1) if f"Rs{k or ''}" not in names)
    wider = as_circuit(f"{name}-{circuit.text}")
    p = np.concatenate([[0.0], [fit["parameters"][n].value for n in circuit.parameter_names]])
    test = _Problem(wider, fit["frequency_Hz"], fit["impedance_ohm"], problem.w_re, problem.w_im,
                    np.concatenate([[-np.inf], problem.lower]), np.concatenate([[np.inf], problem.upper]),
                    np.concatenate([[True], problem.free]), np.concatenate([[0.0], problem.base]))
    # the circuit's own fit is the optimum with the resistance held at zero: the covariance
    # there says how far its arcs could move were the resistance free
    r = test.residuals(test.to_u(p))
    cov_own = _covariance(test, p, float(r @ r))
    arcs = {a.resistor: a for a in _arcs(wider, p, cov_own)}
    p2, status = test.solve(p)
    if status.status <= 0 or not np.all(np.isfinite(p2)):
        return None, arcs, {}, None
    r = test.residuals(test.to_u(p2))
    cov = _covariance(test, p2, float(r @ r))
    values = dict(zip(circuit.parameter_names, p2[1:].tolist()))
    added = Measured(float(p2[0]), float(math.sqrt(max(cov[0, 0], 0.0))), "ohm")
    return added, arcs, values, cov_own


def _arcs(circuit: Circuit, p, cov) -> list[Arc]:
    """Resistance, effective capacitance and apex frequency of each p(R, C|CPE) block."""
    out = []
    for r_el, cap in circuit.arc_blocks():
        ir, iq = r_el.start, cap.start
        r, q = p[ir], p[iq]
        if cap.kind.symbol == "CPE":
            n, idx = p[iq + 1], [ir, iq, iq + 1]
        else:
            n, idx = 1.0, [ir, iq]
        with np.errstate(all="ignore"):
            log_rq = math.log(r * q) if r * q > 0 else math.nan
            c_eff = (r ** (1 - n) * q) ** (1 / n)
            f_apex = (r * q) ** (-1 / n) / (2 * math.pi)
            # gradients of ln C and ln f with respect to (R, Q[, n])
            g_c = np.array([(1 - n) / (n * r), 1 / (n * q), -log_rq / n**2][:len(idx)])
            g_f = np.array([-1 / (n * r), -1 / (n * q), log_rq / n**2][:len(idx)])
            sub = cov[np.ix_(idx, idx)]
            s_c = c_eff * math.sqrt(max(float(g_c @ sub @ g_c), 0.0))
            s_f = f_apex * math.sqrt(max(float(g_f @ sub @ g_f), 0.0))
        n_err = math.sqrt(cov[iq + 1, iq + 1]) if len(idx) == 3 else 0.0
        n_m = Measured(float(n), float(n_err), "")
        out.append(Arc(resistor=r_el.name, capacitor=cap.name,
                       resistance_ohm=Measured(float(r), float(math.sqrt(cov[ir, ir])), "ohm"),
                       capacitance_F=Measured(float(c_eff), float(s_c), "F"),
                       apex_frequency_Hz=Measured(float(f_apex), float(s_f), "Hz"), n=n_m))
    return out


class CircuitModel:
    """Scikit-learn-style estimator around :func:`fit_circuit`.

    Examples
    --------
    >>> f = np.logspace(5, 0, 30)
    >>> z = Circuit("R0-p(R1,C1)").impedance([5.0, 200.0, 1e-6], f)
    >>> model = CircuitModel("R0-p(R1,C1)").fit(Spectrum(frequency_Hz=f, impedance_ohm=z))
    >>> round(model.parameters_["R1"].value, 6)
    200.0
    """

    def __init__(self, circuit: str | Circuit, *, weighting: Weighting = "modulus",
                 initial=None, bounds=None, fixed=None, noise_relative=None):
        self.circuit = as_circuit(circuit)
        self.noise_relative = noise_relative
        self.weighting = weighting
        self.initial = initial
        self.bounds = bounds
        self.fixed = fixed

    def fit(self, spectrum: Spectrum) -> CircuitModel:
        self.result_ = fit_circuit(spectrum, self.circuit, weighting=self.weighting,
                                   initial=self.initial, bounds=self.bounds, fixed=self.fixed,
                                   noise_relative=self.noise_relative)
        self.parameters_ = dict(self.result_.parameters)
        return self

    def predict(self, frequency_Hz) -> np.ndarray:
        """Model impedance / ohm at ``frequency_Hz``."""
        return self.result_.impedance(frequency_Hz)
