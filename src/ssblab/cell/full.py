"""Full cells: a compact single-particle model with ohmic solid-electrolyte layers.

The model (equations and why PyBaMM is only a cross-check: docs/cell.md):

- cathode active material as one representative sphere, Fickian diffusion of the normalised
  lithium content ``u`` (0 charged, 1 discharged) solved by finite volumes and implicit Euler
  (conservative to round-off);
- Butler-Volmer charge transfer at the particle surface, ``i0 = i0_ref 2 sqrt(u_s (1 - u_s))``,
  and at the anode (Li, or Li-In with its 0.62 V offset);
- single-ion solid electrolytes: no concentration polarisation (t+ = 1), so each layer is an
  ohmic resistance ``L / sigma``; the composite's catholyte adds ``L_cat / (3 sigma_eff)``, the
  mean ionic drop of a uniformly reacting electrode, with ``sigma_eff = sigma eps^b``
  (Bruggeman) unless an effective conductivity is given (e.g. from the microstructure layer);
- or, with ``composite_model="porous"``, the composite resolved through its thickness
  (:class:`PorousElectrodeModel`): one particle per slab, the ionic current in the catholyte
  set by the local reactions, so a poorly conducting catholyte starves the slabs far from the
  separator and limits utilisation at high rate (the DFN with t+ = 1, ideal electronic phase);
- CC(-CV) cycling with voltage cut-offs; the current is positive on charge.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np
from scipy.linalg import lu_factor, lu_solve
from scipy.optimize import brentq

from ssblab.cell.kinetics import thermal_voltage_V
from ssblab.cell.parameters import OCV_CURVES, Anode, Cathode, anode, cathode, open_circuit_voltage
from ssblab.errors import InputError, check_choice
from ssblab.results import Result, conductivity_of, provenance

COMPOSITE_MODELS = ("uniform", "porous")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Layer:
    """A solid-electrolyte layer in series (separator, interlayer); conductivity may be a result."""

    name: str = "separator"
    thickness_cm: float
    conductivity_S_cm: float

    def __post_init__(self):
        object.__setattr__(self, "conductivity_S_cm", conductivity_of(self.conductivity_S_cm))
        if not self.thickness_cm >= 0:
            raise InputError(f"Layer {self.name!r}: thickness_cm expected >= 0, found {self.thickness_cm}")

    @property
    def resistance_ohm_cm2(self) -> float:
        return self.thickness_cm / self.conductivity_S_cm


@dataclasses.dataclass(frozen=True, kw_only=True)
class FullCell:
    """A cathode composite | solid-electrolyte layers | metal or alloy anode, per unit area."""

    cathode: Cathode
    anode: Anode = "Li"
    loading_mg_cm2: float
    cathode_thickness_cm: float
    catholyte_conductivity_S_cm: float
    catholyte_volume_fraction: float = 0.35
    bruggeman_exponent: float = 1.5
    catholyte_effective_conductivity_S_cm: float | None = None
    separator: tuple[Layer, ...] = ()
    extra_resistance_ohm_cm2: float = 0.0
    area_cm2: float = 1.0
    temperature_K: float = 298.15
    composite_model: str = "uniform"
    composite_nodes: int = 16

    def __post_init__(self):
        check_choice(self.composite_model, COMPOSITE_MODELS, name="FullCell.composite_model")
        if not (isinstance(self.composite_nodes, (int, np.integer)) and 2 <= self.composite_nodes <= 400):
            raise InputError(f"FullCell.composite_nodes: expected an integer 2-400, "
                             f"found {self.composite_nodes!r}")
        object.__setattr__(self, "cathode", cathode(self.cathode))
        object.__setattr__(self, "anode", anode(self.anode))
        object.__setattr__(self, "separator", tuple(self.separator))
        object.__setattr__(self, "catholyte_conductivity_S_cm",
                           conductivity_of(self.catholyte_conductivity_S_cm))
        if self.catholyte_effective_conductivity_S_cm is not None:
            object.__setattr__(self, "catholyte_effective_conductivity_S_cm",
                               conductivity_of(self.catholyte_effective_conductivity_S_cm))
        for name in ("loading_mg_cm2", "cathode_thickness_cm", "area_cm2", "temperature_K"):
            if not getattr(self, name) > 0:
                raise InputError(f"FullCell.{name}: expected > 0, found {getattr(self, name)!r}")
        if not 0 < self.catholyte_volume_fraction <= 1:
            raise InputError("FullCell.catholyte_volume_fraction: expected in (0, 1], found "
                             f"{self.catholyte_volume_fraction}")

    @property
    def capacity_mAh_cm2(self) -> float:
        return self.cathode.capacity_mAh_g * self.loading_mg_cm2 * 1e-3

    @property
    def catholyte_sigma_eff_S_cm(self) -> float:
        if self.catholyte_effective_conductivity_S_cm is not None:
            return self.catholyte_effective_conductivity_S_cm
        return self.catholyte_conductivity_S_cm * self.catholyte_volume_fraction ** self.bruggeman_exponent

    @property
    def composite_resistance_ohm_cm2(self) -> float:
        """Mean ionic drop per current of a uniformly reacting composite, ``L / (3 sigma_eff)``.

        The porous model does not add it as a resistance: it resolves the drop itself.
        """
        return self.cathode_thickness_cm / (3.0 * self.catholyte_sigma_eff_S_cm)

    @property
    def separator_resistance_ohm_cm2(self) -> float:
        return sum(layer.resistance_ohm_cm2 for layer in self.separator)

    @property
    def ohmic_resistance_ohm_cm2(self) -> float:
        """Series ohmic resistance; the composite's share only for the uniform-reaction model."""
        composite = self.composite_resistance_ohm_cm2 if self.composite_model == "uniform" else 0.0
        return self.separator_resistance_ohm_cm2 + composite + self.extra_resistance_ohm_cm2

    @property
    def surface_area_cm2_per_cm2(self) -> float:
        """Active-particle surface per cell area: 3 V_am / R."""
        volume = self.loading_mg_cm2 * 1e-3 / self.cathode.density_g_cm3
        return 3.0 * volume / self.cathode.particle_radius_cm

    def with_conductivity(self, conductivity_S_cm, *, layers=None) -> FullCell:
        """The same cell with its solid electrolyte at a new conductivity.

        ``layers``: names of the separator layers made of that electrolyte (default: every
        layer); the catholyte always changes. Name them when the stack holds another
        electrolyte (e.g. seed 000's Li6PS5Cl interlayer keeps its own conductivity).
        """
        sigma = conductivity_of(conductivity_S_cm)
        names = {layer.name for layer in self.separator}
        if layers is not None and not set(layers) <= names:
            raise InputError(f"layers: expected names among {sorted(names)}, "
                             f"found {sorted(set(layers) - names)}")
        return dataclasses.replace(
            self, catholyte_conductivity_S_cm=sigma, catholyte_effective_conductivity_S_cm=None,
            separator=tuple(dataclasses.replace(layer, conductivity_S_cm=sigma)
                            if layers is None or layer.name in layers else layer
                            for layer in self.separator))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Protocol:
    """CC(-CV) cycling: rates in C (1 C from ``one_C_mAh_g`` or the cathode capacity)."""

    charge_C: float = 0.5
    discharge_C: float = 0.5
    voltage_max_V: float = 4.3
    voltage_min_V: float = 2.7
    cv_cutoff_C: float | None = None
    rest_h: float = 0.0
    one_C_mAh_g: float | None = None

    def __post_init__(self):
        if not (self.charge_C > 0 and self.discharge_C > 0 and self.voltage_max_V > self.voltage_min_V):
            raise InputError("Protocol: expected positive charge_C and discharge_C and voltage_max_V > "
                             f"voltage_min_V, found {self.charge_C}, {self.discharge_C}, "
                             f"{self.voltage_max_V}, {self.voltage_min_V}")


class ParticleModel:
    """The time-stepper: state ``u`` on radial finite volumes; :meth:`step` advances one dt.

    Examples
    --------
    >>> cell = FullCell(cathode="NCM811", loading_mg_cm2=10, cathode_thickness_cm=50e-4,
    ...                 catholyte_conductivity_S_cm=1e-3)
    >>> model = ParticleModel(cell)
    >>> round(model.voltage(0.0), 3)   # OCV of the discharged cathode vs Li
    3.561
    """

    def __init__(self, cell: FullCell, *, shells: int = 16, state: float | np.ndarray = 1.0 - 1e-4):
        self.cell = cell
        c = cell.cathode
        self.radius = c.particle_radius_cm
        edges = np.linspace(0.0, self.radius, shells + 1)
        self.dr = edges[1] - edges[0]
        self.volume = (edges[1:] ** 3 - edges[:-1] ** 3) / 3.0
        area = edges[1:-1] ** 2
        n = shells
        k = np.zeros((n, n))
        g = c.diffusivity_cm2_s * area / self.dr
        idx = np.arange(n - 1)
        k[idx, idx] += g
        k[idx + 1, idx + 1] += g
        k[idx, idx + 1] -= g
        k[idx + 1, idx] -= g
        self.stiffness = k
        self.u = np.full(n, state, dtype=float) if np.ndim(state) == 0 else np.array(state, float)
        self._lu: dict[float, tuple] = {}
        self.vt = thermal_voltage_V(cell.temperature_K)
        self.r_ohm = cell.ohmic_resistance_ohm_cm2
        self.a_surf = cell.surface_area_cm2_per_cm2
        self.flux_per_mA = -self.radius / (3.0 * cell.capacity_mAh_cm2 * 3600.0)

    def _factor(self, dt_s: float):
        if dt_s not in self._lu:
            m = np.diag(self.volume / dt_s)
            lu = lu_factor(m + self.stiffness)
            unit = np.zeros(self.u.size)
            unit[-1] = self.radius ** 2
            self._lu[dt_s] = (lu, lu_solve(lu, unit))
        return self._lu[dt_s]

    def surface(self, u_last: float, current_mA_cm2: float) -> float:
        flux = self.flux_per_mA * current_mA_cm2
        return u_last + flux * 0.5 * self.dr / self.cell.cathode.diffusivity_cm2_s

    def voltage(self, current_mA_cm2: float, u_surface: float | None = None) -> float:
        """Cell voltage at the present state (or a given surface state) and current."""
        us = self.surface(self.u[-1], current_mA_cm2) if u_surface is None else u_surface
        if not 0.0 < us < 1.0:
            return math.copysign(math.inf, current_mA_cm2 if current_mA_cm2 else us - 0.5)
        cell = self.cell
        i0c = cell.cathode.exchange_current_mA_cm2 * 2.0 * math.sqrt(us * (1.0 - us))
        eta_c = 2.0 * self.vt * math.asinh(current_mA_cm2 / self.a_surf / (2.0 * i0c))
        eta_a = 2.0 * self.vt * math.asinh(current_mA_cm2 / (2.0 * cell.anode.exchange_current_mA_cm2))
        ocv = float(open_circuit_voltage(cell.cathode.ocv_curve, us))
        return ocv - cell.anode.potential_V + eta_c + eta_a + 1e-3 * current_mA_cm2 * self.r_ohm

    def trial(self, current_mA_cm2: float, dt_s: float) -> tuple[np.ndarray, float]:
        """State and voltage after ``dt_s`` at a constant current, without committing."""
        lu, response = self._factor(dt_s)
        base = lu_solve(lu, self.volume / dt_s * self.u)
        u_new = base + response * (self.flux_per_mA * current_mA_cm2)
        return u_new, self.voltage(current_mA_cm2, self.surface(u_new[-1], current_mA_cm2))

    def step(self, current_mA_cm2: float, dt_s: float) -> float:
        """Advance by ``dt_s`` at a constant current; return the voltage at the end."""
        self.u, volts = self.trial(current_mA_cm2, dt_s)
        return volts

    def hold_current(self, voltage_V: float, dt_s: float, current_max_mA_cm2: float) -> float:
        """Current (between 0 and ``current_max``) that holds ``voltage_V`` over the next step."""
        lu, response = self._factor(dt_s)
        base = lu_solve(lu, self.volume / dt_s * self.u)

        def excess(current):
            u_last = base[-1] + response[-1] * self.flux_per_mA * current
            return self.voltage(current, self.surface(u_last, current)) - voltage_V

        return _current_holding(excess, current_max_mA_cm2)

    @property
    def mean_state(self) -> float:
        return float(self.volume @ self.u / self.volume.sum())


class PorousElectrodeModel:
    """The composite cathode resolved through its thickness: a reduced DFN for t+ = 1.

    The composite (thickness ``L``) is cut into ``n`` slabs, each holding one representative
    particle (``ParticleModel``'s radial finite volumes) with ``1/n`` of the capacity and of the
    active surface. The electronic phase is taken as ideal (one potential ``phi_s``); the
    catholyte is a single-ion conductor (uniform concentration), so its potential obeys Ohm's
    law with ``sigma_eff``: ``-sigma_eff dphi_e/dx = i_e(x)``, ``i_e = 0`` at the current
    collector and ``I`` at the separator. Within a slab the reaction is taken uniform, so
    ``psi_k = phi_e(x_k) - phi_e(L)`` is a fixed linear map ``G`` of the slab currents
    ``I_k``. Each implicit step solves, by Newton's method, the ``n + 1`` equations

        U(u_s,k(I_k)) + eta_BV,k(I_k) + (G I)_k = E      (k = 1..n),      sum_k I_k = I

    for the slab currents and ``E = phi_s - phi_e(L)``; the cell voltage is
    ``E - U_anode + eta_a + I R_series``. Slabs whose particles are full (or empty) stop
    reacting, the current moves towards the separator, and when no distribution can carry
    ``I`` the voltage runs away: that ends the half cycle (ionic starvation).

    Examples
    --------
    >>> cell = FullCell(cathode="NCM811", loading_mg_cm2=10, cathode_thickness_cm=50e-4,
    ...                 catholyte_conductivity_S_cm=1e-3, composite_model="porous", composite_nodes=8)
    >>> model = PorousElectrodeModel(cell)
    >>> round(model.voltage(0.0), 3)
    3.561
    """

    def __init__(self, cell: FullCell, *, shells: int = 16, state: float | np.ndarray = 1.0 - 1e-4,
                 nodes: int | None = None):
        self.cell = cell
        n = int(nodes or cell.composite_nodes)
        self.n = n
        self.particle = ParticleModel(cell, shells=shells)
        p = self.particle
        self.u = (np.full((n, shells), state, dtype=float) if np.ndim(state) == 0
                  else np.array(np.broadcast_to(state, (n, shells)), float))
        self.vt = p.vt
        self.r_series = cell.separator_resistance_ohm_cm2 + cell.extra_resistance_ohm_cm2
        self.a_node = p.a_surf / n
        self.flux_per_mA = p.flux_per_mA * n          # a slab holds 1/n of the capacity
        self.surface_gain = 0.5 * p.dr / cell.cathode.diffusivity_cm2_s
        dx = cell.cathode_thickness_cm / n
        # psi_k = sum_j G_kj I_j (V per mA/cm2): the exact integral of the piecewise-linear
        # ionic current from slab k's centre to the separator (uniform reaction in a slab).
        j = np.arange(n)
        g = np.zeros((n, n))
        for k in range(n):
            g[k] = 0.5 * (j < k) + 0.375 * (j == k)
            for m in range(k + 1, n):
                g[k] += (j < m) + 0.5 * (j == m)
        self.g = 1e-3 * dx / cell.catholyte_sigma_eff_S_cm * g
        self.currents = np.full(n, math.nan)
        self._inverses: dict[float, tuple] = {}
        fn, x0, x1, _ = OCV_CURVES[cell.cathode.ocv_curve]
        self._ocv = lambda u: fn(x0 + u * (x1 - x0))

    # -- the local relation E_k = U + eta + psi at the end of a step ------------------------
    def _local(self, b, c, currents):
        us = b + c * currents
        if np.any(us <= 0.0) or np.any(us >= 1.0):
            return None
        i0 = self.cell.cathode.exchange_current_mA_cm2 * 2.0 * np.sqrt(us * (1.0 - us))
        x = currents / (2.0 * self.a_node * i0)
        h = 1e-7
        ocv = self._ocv(us)
        docv = (self._ocv(us + h) - self._ocv(us - h)) / (2 * h)
        di0 = self.cell.cathode.exchange_current_mA_cm2 * (1.0 - 2.0 * us) / np.sqrt(us * (1.0 - us))
        dx = 1.0 / (2.0 * self.a_node * i0) - x * di0 * c / i0
        value = ocv + 2.0 * self.vt * np.arcsinh(x)
        slope = docv * c + 2.0 * self.vt * dx / np.sqrt(1.0 + x * x)
        return value, slope

    def _distribute(self, base_surface, c, current):
        """Slab currents and E for a total ``current``; None when no distribution carries it."""
        n = self.n
        last = self.currents.sum()
        # the last solution's shape, scaled to the new total (same sign), is a good start
        y = self.currents * (current / last) if last * current > 0 else np.full(n, current / n)
        local = self._local(base_surface, c, y)
        if local is None:
            # share the current by each slab's headroom towards the bound it is moving to
            room = 1.0 - base_surface if c * current > 0 else base_surface
            room = np.clip(room, 0.0, None)
            if room.sum() <= 0:
                return None
            y = current * room / room.sum()
            local = self._local(base_surface, c, y)
            if local is None:
                return None
        tol = 1e-10
        for _ in range(60):
            value, slope = local
            e_k = value + self.g @ y
            e = float(np.mean(e_k))
            res = np.append(e_k - e, y.sum() - current)
            if np.max(np.abs(res[:-1])) < tol and abs(res[-1]) < 1e-12 * max(1.0, abs(current)):
                return y, e
            jac = np.zeros((n + 1, n + 1))
            jac[:n, :n] = self.g + np.diag(slope)
            jac[:n, n] = -1.0
            jac[n, :n] = 1.0
            rhs = -np.append(value + self.g @ y - e, y.sum() - current)
            try:
                step = np.linalg.solve(jac, rhs)
            except np.linalg.LinAlgError:
                return None
            norm = np.max(np.abs(res))
            lam = 1.0
            for _ in range(40):
                trial = y + lam * step[:n]
                local_t = self._local(base_surface, c, trial)
                if local_t is not None:
                    e_t = local_t[0] + self.g @ trial
                    res_t = max(np.max(np.abs(e_t - np.mean(e_t))), abs(trial.sum() - current))
                    if res_t < norm or res_t < tol:
                        break
                lam *= 0.5
            else:
                return None
            y, local = trial, local_t
        return None

    def _inverse(self, dt_s: float):
        if dt_s not in self._inverses:
            lu, response = self.particle._factor(dt_s)
            self._inverses[dt_s] = (lu_solve(lu, np.diag(self.particle.volume / dt_s)), response)
        return self._inverses[dt_s]

    def _solve(self, current_mA_cm2: float, dt_s: float | None):
        if dt_s is None:      # the present state, no time passes (surface from the flux only)
            base = self.u.T
            response_last = 0.0
        else:
            inverse, response = self._inverse(dt_s)
            base = inverse @ self.u.T      # small dense product: no LAPACK call per step
            response_last = response[-1]
        c = self.flux_per_mA * (response_last + self.surface_gain)
        found = self._distribute(base[-1], c, current_mA_cm2)
        if found is None:
            return None, math.copysign(math.inf, current_mA_cm2 if current_mA_cm2 else 1.0), None
        currents, e = found
        self.currents = currents
        cell = self.cell
        eta_a = 2.0 * self.vt * math.asinh(current_mA_cm2 / (2.0 * cell.anode.exchange_current_mA_cm2))
        volts = e - cell.anode.potential_V + eta_a + 1e-3 * current_mA_cm2 * self.r_series
        u_new = None
        if dt_s is not None:
            u_new = (base + np.outer(response, self.flux_per_mA * currents)).T
        return u_new, volts, currents

    def voltage(self, current_mA_cm2: float) -> float:
        """Cell voltage at the present state and a current (no time passes)."""
        return self._solve(current_mA_cm2, None)[1]

    def trial(self, current_mA_cm2: float, dt_s: float) -> tuple[np.ndarray, float]:
        """State and voltage after ``dt_s`` at a constant current, without committing."""
        u_new, volts, _ = self._solve(current_mA_cm2, dt_s)
        return (self.u.copy() if u_new is None else u_new), volts

    def step(self, current_mA_cm2: float, dt_s: float) -> float:
        """Advance by ``dt_s`` at a constant current; return the voltage at the end."""
        u_new, volts = self.trial(current_mA_cm2, dt_s)
        if math.isfinite(volts):
            self.u = u_new
        return volts

    def hold_current(self, voltage_V: float, dt_s: float, current_max_mA_cm2: float) -> float:
        """Current (between 0 and ``current_max``) that holds ``voltage_V`` over the next step."""
        def excess(current):
            return self.trial(current, dt_s)[1] - voltage_V

        return _current_holding(excess, current_max_mA_cm2)

    @property
    def utilisation(self) -> np.ndarray:
        """Mean state of each slab, current collector first (0 charged, 1 discharged)."""
        p = self.particle
        return self.u @ p.volume / p.volume.sum()

    @property
    def mean_state(self) -> float:
        return float(np.mean(self.utilisation))


def electrode_model(cell: FullCell, *, shells: int = 16, state: float = 1.0 - 1e-4):
    """The time-stepper the cell asks for: :class:`ParticleModel` or :class:`PorousElectrodeModel`."""
    if cell.composite_model == "porous":
        return PorousElectrodeModel(cell, shells=shells, state=state)
    return ParticleModel(cell, shells=shells, state=state)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CyclingResult(Result):
    """Voltage, current and capacity of a simulated full cell, cycle by cycle."""

    time_s: np.ndarray
    voltage_V: np.ndarray
    current_mA_cm2: np.ndarray
    cycle: np.ndarray
    step: np.ndarray
    charge_capacity_mAh_g: np.ndarray
    discharge_capacity_mAh_g: np.ndarray
    area_cm2: float = 1.0

    title: ClassVar[str] = "Full cell cycling (compact model)"

    def summary(self):
        return [("cycles", int(self.discharge_capacity_mAh_g.size)),
                ("first charge capacity (mAh/g)", float(self.charge_capacity_mAh_g[0])),
                ("first discharge capacity (mAh/g)", float(self.discharge_capacity_mAh_g[0])),
                ("last discharge capacity (mAh/g)", float(self.discharge_capacity_mAh_g[-1]))]

    def table(self):
        return [{"cycle": k + 1, "charge capacity (mAh/g)": float(c), "discharge capacity (mAh/g)": float(d)}
                for k, (c, d) in enumerate(zip(self.charge_capacity_mAh_g, self.discharge_capacity_mAh_g))]

    def _draw(self, ax, **kwargs):
        ax.plot(self.time_s / 3600, self.voltage_V, lw=0.8)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("voltage (V)")

    def to_cycler_data(self, *, source: str = "ssblab.cell model"):
        """The trace as :class:`~ssblab.echem.cycler_data.CyclerData` (current in mA, charge > 0)."""
        from ssblab.echem.cycler_data import CyclerData

        return CyclerData(time_s=self.time_s, voltage_V=self.voltage_V,
                          current_mA=self.current_mA_cm2 * self.area_cm2, step=self.step,
                          cycle=self.cycle, source=source, cycle_definition="charge-first")


def cycle(cell: FullCell, protocol: Protocol = Protocol(), *, n_cycles: int = 1,
          steps_per_half_cycle: int = 300, model: ParticleModel | None = None) -> CyclingResult:
    """Charge/discharge ``cell`` ``n_cycles`` times under ``protocol``, starting discharged.

    Each CC half cycle is resolved by ``steps_per_half_cycle`` implicit steps of its nominal
    duration; cut-off crossings are located by linear interpolation inside the step. Pass a
    ``model`` to continue from its state (e.g. between rates).

    Examples
    --------
    >>> cell = FullCell(cathode="NCM811", loading_mg_cm2=10, cathode_thickness_cm=50e-4,
    ...                 catholyte_conductivity_S_cm=1e-3, separator=[Layer(thickness_cm=0.05,
    ...                 conductivity_S_cm=1e-3)])
    >>> r = cycle(cell, Protocol(charge_C=0.1, discharge_C=0.1))
    >>> bool(180 < r.discharge_capacity_mAh_g[0] < 200)
    True
    """
    if n_cycles < 1 or steps_per_half_cycle < 10:
        raise InputError("cycle: expected n_cycles >= 1 and steps_per_half_cycle >= 10")
    model = model or electrode_model(cell)
    one_c = (protocol.one_C_mAh_g or cell.cathode.capacity_mAh_g) * cell.loading_mg_cm2 * 1e-3
    grams = cell.loading_mg_cm2 * 1e-3
    rec_t, rec_v, rec_i, rec_c, rec_s = [0.0], [model.voltage(0.0)], [0.0], [1], [0]
    charge, discharge = [], []
    clock = 0.0

    def record(t, v, i, c, s):
        rec_t.append(t), rec_v.append(v), rec_i.append(i), rec_c.append(c), rec_s.append(s)

    for k in range(1, n_cycles + 1):
        for sign, rate, limit in ((1.0, protocol.charge_C, protocol.voltage_max_V),
                                  (-1.0, protocol.discharge_C, protocol.voltage_min_V)):
            current = sign * rate * one_c
            dt = 3600.0 / rate / steps_per_half_cycle
            step_id = 1 if sign > 0 else 3
            clock, passed = _constant_current(model, current, limit, dt, 3 * steps_per_half_cycle,
                                              clock, lambda t, v, i, k=k, s=step_id: record(t, v, i, k, s))
            if sign > 0 and protocol.cv_cutoff_C is not None:
                cutoff = protocol.cv_cutoff_C * one_c
                held = current
                for _ in range(3 * steps_per_half_cycle):
                    held = model.hold_current(protocol.voltage_max_V, dt, held)
                    if held < cutoff:
                        break
                    model.step(held, dt)
                    clock += dt
                    passed += held * dt
                    record(clock, protocol.voltage_max_V, held, k, 2)
            (charge if sign > 0 else discharge).append(passed / 3600.0 / grams)
            if protocol.rest_h > 0:
                n_rest = 10
                for _ in range(n_rest):
                    volts = model.step(0.0, protocol.rest_h * 3600.0 / n_rest)
                    clock += protocol.rest_h * 3600.0 / n_rest
                    record(clock, volts, 0.0, k, step_id + 1)
    return CyclingResult(
        time_s=np.array(rec_t), voltage_V=np.array(rec_v), current_mA_cm2=np.array(rec_i),
        cycle=np.array(rec_c), step=np.array(rec_s), charge_capacity_mAh_g=np.array(charge),
        discharge_capacity_mAh_g=np.array(discharge), area_cm2=cell.area_cm2,
        provenance=provenance(cell=dataclasses.asdict(cell), protocol=dataclasses.asdict(protocol),
                              n_cycles=n_cycles))


def _constant_current(model: ParticleModel, current: float, limit_V: float, dt: float, max_steps: int,
                      clock: float, record) -> tuple[float, float]:
    """Run at ``current`` until the voltage crosses ``limit_V``; return (clock, charge passed in mA s)."""
    sign = 1.0 if current > 0 else -1.0
    passed = 0.0
    v_old = model.voltage(current)
    for _ in range(max_steps):
        u_new, volts = model.trial(current, dt)
        if sign * (volts - limit_V) >= 0:
            frac = 0.0
            if math.isfinite(volts) and volts != v_old:
                frac = min(max((limit_V - v_old) / (volts - v_old), 0.0), 1.0)
            model.u = model.u + frac * (u_new - model.u)
            clock += frac * dt
            passed += frac * abs(current) * dt
            record(clock, limit_V, current)
            break
        model.u = u_new
        clock += dt
        passed += abs(current) * dt
        v_old = volts
        record(clock, volts, current)
    return clock, passed


def discharge(cell: FullCell, c_rate: float, *, voltage_min_V: float = 2.7, one_C_mAh_g: float | None = None,
              steps: int = 400, shells: int = 16, initial_state: float = 1e-3) -> CyclingResult:
    """One CC discharge from the charged, relaxed state ``u = initial_state`` to ``voltage_min_V``.

    The shared case of the PyBaMM cross-check (benchmarks/bench_cell.py).

    Examples
    --------
    >>> cell = FullCell(cathode="NCM811", loading_mg_cm2=10, cathode_thickness_cm=50e-4,
    ...                 catholyte_conductivity_S_cm=1e6)
    >>> round(float(discharge(cell, 0.01).discharge_capacity_mAh_g[0]))
    200
    """
    if not c_rate > 0:
        raise InputError(f"c_rate: expected > 0, found {c_rate}")
    model = electrode_model(cell, shells=shells, state=initial_state)
    one_c = (one_C_mAh_g or cell.cathode.capacity_mAh_g) * cell.loading_mg_cm2 * 1e-3
    rec_t, rec_v, rec_i = [0.0], [model.voltage(0.0)], [0.0]

    def record(t, v, i):
        rec_t.append(t), rec_v.append(v), rec_i.append(i)

    _, passed = _constant_current(model, -c_rate * one_c, voltage_min_V, 3600.0 / c_rate / steps,
                                  3 * steps, 0.0, record)
    n = len(rec_t)
    return CyclingResult(time_s=np.array(rec_t), voltage_V=np.array(rec_v), current_mA_cm2=np.array(rec_i),
                         cycle=np.ones(n, int), step=np.full(n, 3), charge_capacity_mAh_g=np.zeros(1),
                         discharge_capacity_mAh_g=np.array([passed / 3600.0 / (cell.loading_mg_cm2 * 1e-3)]),
                         area_cm2=cell.area_cm2,
                         provenance=provenance(cell=dataclasses.asdict(cell), c_rate=c_rate))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RateResult(Result):
    """Discharge capacity vs C-rate, with the voltage-capacity curves."""

    c_rates: np.ndarray
    discharge_capacity_mAh_g: np.ndarray
    charge_capacity_mAh_g: np.ndarray
    ohmic_resistance_ohm_cm2: float
    separator_resistance_ohm_cm2: float
    composite_resistance_ohm_cm2: float
    curves_capacity_mAh_g: list = dataclasses.field(default_factory=list)
    curves_voltage_V: list = dataclasses.field(default_factory=list)
    label: str = ""

    title: ClassVar[str] = "Rate capability (compact model)"

    def capacity_at(self, c_rate: float) -> float:
        return float(np.interp(c_rate, self.c_rates, self.discharge_capacity_mAh_g))

    def summary(self):
        rows = [("label", self.label or "-"),
                ("ohmic ASR total (ohm cm2)", self.ohmic_resistance_ohm_cm2),
                ("separator ASR (ohm cm2)", self.separator_resistance_ohm_cm2),
                ("composite ionic ASR (ohm cm2)", self.composite_resistance_ohm_cm2)]
        rows += [(f"discharge capacity at {c:g} C (mAh/g)", float(q))
                 for c, q in zip(self.c_rates, self.discharge_capacity_mAh_g)]
        return rows

    def table(self):
        return [{"label": self.label, "C-rate": float(c), "discharge capacity (mAh/g)": float(d),
                 "charge capacity (mAh/g)": float(q)}
                for c, d, q in zip(self.c_rates, self.discharge_capacity_mAh_g, self.charge_capacity_mAh_g)]

    def _draw(self, ax, **kwargs):
        for c, q, v in zip(self.c_rates, self.curves_capacity_mAh_g, self.curves_voltage_V):
            ax.plot(q, v, lw=0.9, label=f"{c:g} C")
        ax.set_xlabel("discharge capacity (mAh/g)")
        ax.set_ylabel("voltage (V)")
        ax.legend(fontsize=8, title=self.label or None)


def rate_capability(cell: FullCell, c_rates=(0.1, 0.5, 1.0, 1.5), *, voltage_max_V: float = 4.3,
                    voltage_min_V: float = 2.7, cycles_per_rate: int = 1, one_C_mAh_g: float | None = None,
                    steps_per_half_cycle: int = 200, label: str = "") -> RateResult:
    """Discharge capacity at each C-rate (charge and discharge at that rate, CC, rates in order).

    Examples
    --------
    >>> cell = FullCell(cathode="NCM811", loading_mg_cm2=10, cathode_thickness_cm=50e-4,
    ...                 catholyte_conductivity_S_cm=1e-3, separator=[Layer(thickness_cm=0.05,
    ...                 conductivity_S_cm=1e-3)])
    >>> r = rate_capability(cell, (0.2, 2.0), steps_per_half_cycle=100)
    >>> bool(r.discharge_capacity_mAh_g[1] < r.discharge_capacity_mAh_g[0])
    True
    """
    rates = np.asarray(c_rates, dtype=float)
    if rates.ndim != 1 or rates.size == 0 or np.any(rates <= 0):
        raise InputError(f"c_rates: expected positive C-rates, found {c_rates!r}")
    model = electrode_model(cell)
    dis, cha, curves_q, curves_v = [], [], [], []
    grams = cell.loading_mg_cm2 * 1e-3
    for rate in rates:
        protocol = Protocol(charge_C=rate, discharge_C=rate, voltage_max_V=voltage_max_V,
                            voltage_min_V=voltage_min_V, one_C_mAh_g=one_C_mAh_g)
        run = cycle(cell, protocol, n_cycles=cycles_per_rate, model=model,
                    steps_per_half_cycle=steps_per_half_cycle)
        dis.append(run.discharge_capacity_mAh_g[-1])
        cha.append(run.charge_capacity_mAh_g[-1])
        last = (run.cycle == cycles_per_rate) & (run.current_mA_cm2 < 0)
        t = run.time_s[last]
        curves_q.append(np.abs(run.current_mA_cm2[last]) * (t - t[0]) / 3600.0 / grams)
        curves_v.append(run.voltage_V[last])
    return RateResult(c_rates=rates, discharge_capacity_mAh_g=np.array(dis),
                      charge_capacity_mAh_g=np.array(cha),
                      ohmic_resistance_ohm_cm2=cell.ohmic_resistance_ohm_cm2,
                      separator_resistance_ohm_cm2=cell.separator_resistance_ohm_cm2,
                      composite_resistance_ohm_cm2=cell.composite_resistance_ohm_cm2,
                      curves_capacity_mAh_g=curves_q, curves_voltage_V=curves_v, label=label,
                      provenance=provenance(cell=dataclasses.asdict(cell), c_rates=rates))


def _current_holding(excess, current_max_mA_cm2: float) -> float:
    """The current in [0, current_max] at which ``excess(current)`` (voltage above the hold
    voltage, falling with current) is zero, clipped to the bounds."""
    if excess(current_max_mA_cm2) <= 0:
        return current_max_mA_cm2
    if excess(0.0) >= 0:
        return 0.0
    return brentq(excess, 0.0, current_max_mA_cm2, xtol=1e-9 * abs(current_max_mA_cm2))
