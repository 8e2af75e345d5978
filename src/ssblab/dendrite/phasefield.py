"""Nonlinear phase-field electrodeposition of Li metal into a single-ion solid electrolyte.

The model is that of L. Chen et al., J. Power Sources 300 (2015) 376 (order parameter xi,
1 = Li metal, 0 = electrolyte; double well g, interpolation h, anisotropic gradient energy,
Butler-Volmer driving force), adapted to a single-ion solid conductor:

* The Li+ concentration in the solid electrolyte is fixed by the anion framework
  (transference number 1, electroneutrality), so Chen's ion-transport equation drops out and
  ``c+/c0 = 1`` in the Butler-Volmer term. What is solved is the order parameter and the
  electrolyte potential.
* The potential obeys charge conservation with the deposition as the only sink,
  ``div(sigma grad phi) = F c_s dxi/dt``, with ``sigma = sigma_e(x) (1 - h) + sigma_m h``. The
  metal is taken as equipotential at 0 V (Li/Li+ reference, so ``E0 = 0``) and the
  overpotential is ``eta = -phi``. Ions cannot enter the metal or the current collector:
  ``sigma_m`` is a small fraction of the electrolyte's, and the collector face is blocking.
  All ionic current that enters at the counter electrode is therefore consumed by deposition,
  so Faraday's law holds by construction in galvanostatic runs.
* The Butler-Volmer rate constant is set from the exchange current density: on a flat
  interface the model's current is exactly ``i0 [exp(alpha f eta) - exp(-(1-alpha) f eta)]``.

Equations, units and the non-dimensionalisation are written out in ``docs/dendrite.md``.

Examples
--------
>>> from ssblab.dendrite.electrolyte import uniform_map
>>> sim = ElectrodepositionSimulation(uniform_map((32, 8)), current_density_mA_cm2=1.0,
...                                   film_thickness_um=8.0, solver="fft")
>>> _ = sim.run(20)
>>> round(sim.current_history_mA_cm2[-1], 3)
1.0
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Literal

import numpy as np
import scipy.fft

from ssblab.backend import BackendName, Device, DType, select_backend
from ssblab.dendrite.electrolyte import ElectrolyteMap
from ssblab.dendrite.solver import PotentialOperator, PotentialSolver, SolverMethod, laplacian_eigenvalues
from ssblab.dynamics import Dynamics, check_state
from ssblab.errors import InputError, check_choice
from ssblab.units import A_m2_PER_mA_cm2, C_m2_PER_mAh_cm2, FARADAY_C_mol, GAS_CONSTANT_J_molK

Control = Literal["galvanostatic", "potentiostatic"]
XI_BOUNDS = (-1.0, 2.0)  # the order parameter lives in [0, 1]; beyond this it has blown up


@dataclasses.dataclass(frozen=True, kw_only=True)
class PhaseFieldParameters:
    """Material and model parameters (SI or unit-suffixed), with where each default comes from.

    ``interface_energy_J_m2`` and ``interface_width_um`` fix Chen's barrier height
    ``W = 3 gamma / lambda`` and gradient coefficient ``kappa0 = 6 gamma lambda`` for
    ``g = W xi^2 (1 - xi)^2``, whose equilibrium profile is ``1 / (1 + exp(x / lambda))``.
    """

    temperature_K: float = 298.15
    #: Li metal molar volume (13.02 cm3/mol, density 0.534 g/cm3); c_s = 1/V_m.
    molar_volume_cm3_mol: float = 13.02
    #: Li|sulfide electrolyte exchange current density, order of magnitude of reported values
    #: (about 1 mA/cm2 for Li|Li6PS5Cl; it lumps any interfacial resistance).
    exchange_current_density_mA_cm2: float = 1.0
    #: Symmetric charge transfer, as in Chen et al. 2015.
    transfer_coefficient: float = 0.5
    #: Li surface energy, about 0.5 J/m2 (DFT, Tran et al., Sci. Data 3 (2016) 160080).
    interface_energy_J_m2: float = 0.5
    #: Diffuse-interface width lambda; a numerical parameter (>= one grid spacing).
    interface_width_um: float = 1.5
    #: Allen-Cahn interface mobility L_sigma. Chen et al. used 2.5e-6 m3/(J s) for liquids at
    #: -0.45 V; at solid-electrolyte current densities (um/h fronts) that smooths every
    #: perturbation, so the default is chosen so capillary smoothing of 10-um features is
    #: comparable to deposition at 1 mA/cm2. It is the least constrained parameter; see docs.
    interface_mobility_m3_Js: float = 2.0e-9
    #: Anisotropy strength and mode of kappa(theta) = kappa0 (1 + delta cos(mode theta))^2;
    #: Chen et al. 2015 used delta = 0.044 with four-fold symmetry. 0 switches it off.
    anisotropy_strength: float = 0.0
    anisotropy_mode: int = 4
    #: Ionic conductivity of the metal phase relative to the most conductive electrolyte phase:
    #: ions do not cross Li metal; a small non-zero value keeps the linear system regular.
    metal_conductivity_ratio: float = 0.01
    #: Langevin noise on the interface, in 1/sqrt(s) (0: deterministic).
    noise_amplitude_1_sqrt_s: float = 0.0

    def __post_init__(self):
        positive = ("temperature_K", "molar_volume_cm3_mol", "exchange_current_density_mA_cm2",
                    "interface_energy_J_m2", "interface_width_um", "interface_mobility_m3_Js",
                    "metal_conductivity_ratio")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"PhaseFieldParameters.{name}: expected a finite value > 0, "
                                 f"found {value}")
        if not 0 < self.transfer_coefficient < 1:
            raise InputError(f"PhaseFieldParameters.transfer_coefficient: expected 0 < alpha < 1, "
                             f"found {self.transfer_coefficient}")
        if not 0 <= self.anisotropy_strength < 1.0 / (self.anisotropy_mode**2 - 1 or 1):
            raise InputError(f"PhaseFieldParameters.anisotropy_strength: expected 0 <= delta < "
                             f"1/(mode^2 - 1) (convex Wulff shape), found {self.anisotropy_strength}")
        if self.noise_amplitude_1_sqrt_s < 0:
            raise InputError("PhaseFieldParameters.noise_amplitude_1_sqrt_s: expected >= 0")

    # -- derived quantities (SI) ----------------------------------------------------------
    @property
    def site_density_mol_m3(self) -> float:
        return 1.0 / (self.molar_volume_cm3_mol * 1e-6)

    @property
    def thermal_voltage_V(self) -> float:
        return GAS_CONSTANT_J_molK * self.temperature_K / FARADAY_C_mol

    @property
    def barrier_height_J_m3(self) -> float:
        return 3.0 * self.interface_energy_J_m2 / (self.interface_width_um * 1e-6)

    @property
    def gradient_coefficient_J_m(self) -> float:
        return 6.0 * self.interface_energy_J_m2 * self.interface_width_um * 1e-6

    @property
    def reaction_constant_1_s(self) -> float:
        """Chen's L_eta from i0.

        A flat front under a uniform overpotential travels at ``v = L_eta B(eta) / int xi'^2 dx``
        (multiply the xi equation by xi' and integrate: the double well and gradient terms
        vanish, ``int h'(xi) xi' dx = -1``), and ``int xi'^2 dx = 1 / (6 lambda)`` for the
        equilibrium profile. Setting ``F c_s v = i0 B(eta)`` gives ``L_eta``.
        """
        i0_A_m2 = self.exchange_current_density_mA_cm2 * A_m2_PER_mA_cm2
        return i0_A_m2 / (FARADAY_C_mol * self.site_density_mol_m3 * 6.0 * self.interface_width_um * 1e-6)


def flat_front_speed_um_h(current_density_mA_cm2: float, molar_volume_cm3_mol: float = 13.02) -> float:
    """Faraday's law: a flat Li front moves at ``i V_m / F``.

    Examples
    --------
    >>> round(flat_front_speed_um_h(1.0), 2)
    4.86
    """
    return current_density_mA_cm2 * A_m2_PER_mA_cm2 * molar_volume_cm3_mol * 1e-6 / FARADAY_C_mol * 1e6 * 3600


def butler_volmer_mA_cm2(overpotential_V: float, *, exchange_current_density_mA_cm2: float,
                         transfer_coefficient: float = 0.5, temperature_K: float = 298.15) -> float:
    """Deposition current for a cathodic overpotential magnitude ``overpotential_V`` (> 0 plates).

    Examples
    --------
    >>> round(butler_volmer_mA_cm2(0.0, exchange_current_density_mA_cm2=1.0), 6)
    0.0
    """
    f = FARADAY_C_mol / (GAS_CONSTANT_J_molK * temperature_K)
    a = transfer_coefficient
    return exchange_current_density_mA_cm2 * (math.exp(a * f * overpotential_V)
                                              - math.exp(-(1 - a) * f * overpotential_V))


def interpolation(xi):
    """h(xi) = xi^3 (6 xi^2 - 15 xi + 10): h(0)=0, h(1)=1, h'(0)=h'(1)=0."""
    return xi**3 * (6.0 * xi**2 - 15.0 * xi + 10.0)


def interpolation_derivative(xi):
    return 30.0 * xi**2 * (1.0 - xi) ** 2


def initial_order_parameter(shape: tuple[int, ...], *, spacing_um: float, film_thickness_um: float,
                            interface_width_um: float, roughness_um: float = 0.0,
                            nuclei: int = 0, nucleus_radius_um: float = 3.0, rng=None) -> np.ndarray:
    """A Li film on the collector (row 0) with an equilibrium profile, optional random roughness
    (smooth, amplitude ``roughness_um``) and hemispherical nuclei at random positions."""
    rng = np.random.default_rng(rng)
    lateral = shape[1:]
    height = np.full(lateral, float(film_thickness_um))
    if roughness_um > 0:
        noise = rng.standard_normal(lateral)
        k2 = sum(np.meshgrid(*[np.fft.fftfreq(n) ** 2 for n in lateral], indexing="ij"))
        smooth = np.real(np.fft.ifftn(np.fft.fftn(noise) * np.exp(-k2 * (8.0**2))))
        height += roughness_um * smooth / max(np.std(smooth), 1e-12)
    coords = np.meshgrid(*[(np.arange(n) + 0.5) * spacing_um for n in lateral], indexing="ij")
    for _ in range(int(nuclei)):
        centre = [rng.uniform(0, n * spacing_um) for n in lateral]
        d2 = np.zeros(lateral)
        for c, g, n in zip(centre, coords, lateral):
            d = np.abs(g - c)
            d2 += np.minimum(d, n * spacing_um - d) ** 2
        cap = np.sqrt(np.maximum(nucleus_radius_um**2 - d2, 0.0))
        height = np.maximum(height, film_thickness_um + cap)
    y = (np.arange(shape[0]) + 0.5) * spacing_um
    y = y.reshape((-1,) + (1,) * len(lateral))
    return 1.0 / (1.0 + np.exp(np.clip((y - height) / interface_width_um, -60, 60)))


@dataclasses.dataclass
class Coefficients:
    """Derived coefficients, computed once from the map and the parameters. Lengths in grid
    spacings unless a name says otherwise, time in s, potential in RT/F."""

    h_m: float                  #: grid spacing
    sigma_e: np.ndarray         #: electrolyte conductivity map (S/m), floored for voids
    sigma_ref: float            #: the largest electrolyte conductivity (S/m)
    sigma_m: float              #: metal-phase conductivity (S/m)
    f: float                    #: F / RT (1/V)
    c_s: float                  #: Li site density (mol/m3)
    W: float                    #: double-well barrier height (J/m3)
    kappa: float                #: gradient coefficient per grid spacing^2 (J/m)
    L_sigma: float              #: interface mobility (m3/(J s))
    L_eta: float                #: Butler-Volmer rate constant (1/s)
    G: float                    #: charge-balance sink factor in grid units / sigma_ref
    minus_lap: np.ndarray       #: -Laplacian eigenvalues (DCT growth axis, FFT lateral)
    dt_relaxation_s: float      #: time-step cap: 0.05 of the profile relaxation time

    @classmethod
    def derive(cls, electrolyte: ElectrolyteMap, p: PhaseFieldParameters) -> Coefficients:
        h = electrolyte.spacing_um * 1e-6
        sigma_e = electrolyte.conductivity()
        sigma_ref = float(sigma_e.max())
        f = 1.0 / p.thermal_voltage_V
        c_s = p.site_density_mol_m3
        W = p.barrier_height_J_m3
        return cls(
            h_m=h,
            # a floor keeps insulating voids in the linear system without carrying current
            sigma_e=np.maximum(sigma_e, 1e-6 * sigma_ref), sigma_ref=sigma_ref,
            sigma_m=p.metal_conductivity_ratio * sigma_ref, f=f, c_s=c_s, W=W,
            kappa=p.gradient_coefficient_J_m / h**2, L_sigma=p.interface_mobility_m3_Js,
            L_eta=p.reaction_constant_1_s,
            # charge balance in grid units, divided by sigma_ref: G * rate is the scaled sink
            G=FARADAY_C_mol * c_s * h**2 * f / sigma_ref,
            minus_lap=laplacian_eigenvalues(electrolyte.shape, dirichlet_top=False),
            # the time step cap keeps the explicit double well stable and, more strictly, the
            # moving profile is only right while a step is short against its relaxation time
            dt_relaxation_s=0.05 / (p.interface_mobility_m3_Js * W))


def _history():
    return dataclasses.field(default_factory=list, metadata={"history": True})


@dataclasses.dataclass
class PhaseFieldState:
    """Everything that evolves. The checkpoint is exactly these fields (plus the step count,
    the random generator and the stop reason), so a new field needs one line here."""

    xi: np.ndarray
    xi_initial: np.ndarray
    psi: np.ndarray
    time_s: float = 0.0
    dt_s: float = 1.0
    passed_charge_C_m2: float = 0.0
    #: mean deposition current of the last step (what the current history records)
    step_current_A_m2: float = 0.0
    time_history_s: list = _history()
    current_history_mA_cm2: list = _history()
    voltage_history_V: list = _history()
    mean_front_history_um: list = _history()
    max_front_history_um: list = _history()
    snapshots: list = dataclasses.field(default_factory=list, metadata={"history": True, "frames": True})
    snapshot_times_s: list = _history()

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.metadata.get("frames"):
                shape = (len(value),) + (self.xi.shape[0], self.xi.shape[-1])
                value = np.array(value, dtype=np.uint8).reshape(shape)
            out[field.name] = np.array(value)
        return out

    @classmethod
    def from_arrays(cls, arrays) -> PhaseFieldState:
        values = {}
        for field in dataclasses.fields(cls):
            data = arrays[field.name]
            if field.metadata.get("frames"):
                values[field.name] = list(np.asarray(data, dtype=np.uint8))
            elif field.metadata.get("history"):
                values[field.name] = [float(v) for v in data]
            elif field.type == "float":
                values[field.name] = float(data)
            else:
                values[field.name] = np.array(data, dtype=float)
        return cls(**values)


def _state_attribute(name: str):
    def get(self):
        return getattr(self.state_, name)

    def set_(self, value):
        setattr(self.state_, name, value)

    return property(get, set_, doc=f"``state_.{name}``")


def _field_attribute(name: str):
    """``sim.xi`` and ``sim.psi``: NumPy arrays whatever the backend (no copy on NumPy)."""
    def get(self):
        return self.backend.to_numpy(getattr(self.state_, name))

    def set_(self, value):
        setattr(self.state_, name, self.backend.asarray(value, dtype=self.dtype))

    return property(get, set_, doc=f"``state_.{name}`` as a NumPy array")


class ElectrodepositionSimulation(Dynamics):
    """Time-stepper for the phase-field model (``step()``; ``run``/``irun``/``attach`` from
    :class:`~ssblab.dynamics.Dynamics`).

    Scheme per step: (1) the potential psi = F phi / RT from the linearised (Newton) charge
    balance with the reaction rate at the new potential, by preconditioned CG (every
    ``potential_interval`` steps; shifted as a whole in between); (2) xi by a semi-implicit
    spectral step (gradient term implicit, the rest explicit; DCT in the growth direction, FFT
    laterally); (3) the next time step from the largest change of xi, capped at 0.05 of the
    profile relaxation time 1/(L_sigma W). Lengths inside are in grid spacings, time in s,
    potential in RT/F.

    The pieces: ``parameters`` (:class:`PhaseFieldParameters`, the material), ``coefficients``
    (:class:`Coefficients`, derived once), ``state_`` (:class:`PhaseFieldState`, everything
    that evolves and all that a checkpoint holds; its fields also read as attributes, e.g.
    ``sim.xi``) and observers: the histories and snapshots are recorded by observers attached
    through :meth:`attach` before any of the caller's.

    Parameters
    ----------
    electrolyte : ElectrolyteMap
        Conductivity map; its shape and spacing define the grid (row 0 at the Li electrode).
    parameters : PhaseFieldParameters
    control : {"galvanostatic", "potentiostatic"}
    current_density_mA_cm2 : float
        Applied current (galvanostatic).
    voltage_V : float
        Electrolyte potential at the counter electrode vs the Li deposit (potentiostatic).
    film_thickness_um, roughness_um, nuclei, nucleus_radius_um
        Initial deposit.
    dt_s, dt_max_s, max_change_per_step
        First time step, largest time step, and the target largest |dxi| per step.
    stop_penetration_um
        Stop when the leading tip runs this far ahead of the mean front.
    solver
        Potential solver: "auto" (= "mg"), "mg" (geometric multigrid CG), "amg" (pyamg, the
        default before) or "fft" (FFT-preconditioned CG); "amg" and "fft" run on NumPy only.
    potential_interval
        Steps between full potential solves; in between (galvanostatic) the potential is
        shifted as a whole so the total reaction still equals the applied current.
    snapshot_interval
        Keep a movie frame every this many steps (0: none).
    rng
        Seed for the initial roughness, nuclei and noise.
    device, backend
        Where the arrays live (:func:`ssblab.backend.select_backend`): NumPy on the CPU by
        default; ``backend="torch"`` runs the same scheme on PyTorch, ``device="cuda"`` (or
        ``"auto"``) on a GPU. ``sim.xi`` and ``sim.psi`` are NumPy arrays whatever ran.
    dtype
        ``"float64"`` (default) or ``"float32"`` for the fields; float32 halves the memory
        traffic but charge is then conserved only to about 1e-5 (float32 sums).
    """

    def __init__(self, electrolyte: ElectrolyteMap, *, parameters: PhaseFieldParameters | None = None,
                 control: Control = "galvanostatic",
                 current_density_mA_cm2: float = 1.0, voltage_V: float = 0.05,
                 film_thickness_um: float = 10.0, roughness_um: float = 0.0, nuclei: int = 0,
                 nucleus_radius_um: float = 3.0, dt_s: float = 1.0, dt_max_s: float = 600.0,
                 max_change_per_step: float = 0.02, stop_penetration_um: float | None = None,
                 solver: SolverMethod = "auto", potential_interval: int = 5, snapshot_interval: int = 0,
                 rng=None, device: Device = "cpu", backend: BackendName | None = None,
                 dtype: DType = "float64"):
        super().__init__()
        self.backend = select_backend(device=device, backend=backend)
        self.dtype = check_choice(dtype, DType, name="dtype")
        self.electrolyte = electrolyte
        self.parameters = parameters or PhaseFieldParameters()
        self.control = check_choice(control, Control, name="control")
        check_choice(solver, SolverMethod, name="solver")
        self.current_density_mA_cm2 = float(current_density_mA_cm2)
        self.voltage_V = float(voltage_V)
        if self.control == "galvanostatic" and self.current_density_mA_cm2 < 0:
            raise InputError("current_density_mA_cm2: expected >= 0 (plating); stripping is not modelled")
        if not 0 < max_change_per_step <= 0.2:
            raise InputError(f"max_change_per_step: expected 0 < value <= 0.2, found {max_change_per_step}")
        if dt_s <= 0 or dt_max_s <= 0:
            raise InputError("dt_s and dt_max_s: expected > 0")
        shape = electrolyte.shape
        if shape[0] < 8 or any(n < 2 for n in shape[1:]):
            raise InputError(f"electrolyte shape: expected at least 8 rows and 2 columns, found {shape}")
        h_um = electrolyte.spacing_um
        if film_thickness_um >= 0.8 * shape[0] * h_um:
            raise InputError(f"film_thickness_um: {film_thickness_um} leaves too little electrolyte "
                             f"in a {shape[0] * h_um:g} um tall domain")
        if self.parameters.interface_width_um < 0.7 * h_um:
            raise InputError(f"interface_width_um ({self.parameters.interface_width_um}) must be at "
                             f"least 0.7 grid spacings ({h_um} um) to be resolved")
        if self.parameters.anisotropy_strength > 0 and len(shape) != 2:
            raise InputError("anisotropy is implemented in 2D only")
        self.dt_max_s = float(dt_max_s)
        self.max_change_per_step = float(max_change_per_step)
        self.stop_penetration_um = stop_penetration_um
        self.snapshot_interval = int(snapshot_interval)
        if int(potential_interval) < 1:
            raise InputError(f"potential_interval: expected an integer >= 1, found {potential_interval}")
        self.potential_interval = int(potential_interval)
        self.rng = np.random.default_rng(rng)
        self.solver = PotentialSolver(solver, backend=self.backend)
        self.setup = dict(film_thickness_um=film_thickness_um, roughness_um=roughness_um,
                          nuclei=nuclei, nucleus_radius_um=nucleus_radius_um)
        xi = initial_order_parameter(shape, spacing_um=h_um, film_thickness_um=film_thickness_um,
                                     interface_width_um=self.parameters.interface_width_um,
                                     roughness_um=roughness_um, nuclei=nuclei,
                                     nucleus_radius_um=nucleus_radius_um, rng=self.rng)
        xi = self.backend.asarray(xi, dtype=self.dtype)
        self.state_ = PhaseFieldState(xi=xi, xi_initial=self.backend.to_numpy(xi).astype(float),
                                      psi=self.backend.asarray(np.zeros(shape), dtype=self.dtype),
                                      dt_s=float(dt_s))
        self.coefficients = Coefficients.derive(electrolyte, self.parameters)
        self._sigma_e_source = self._sigma_e_device = None
        if self.backend.name != "numpy":
            # DCT-II along the growth axis as the FFT of the mirrored field (torch has no DCT)
            n0 = shape[0]
            lateral = self.coefficients.minus_lap[:1]    # row k0 = 0 holds the lateral part
            growth = 2.0 - 2.0 * np.cos(np.pi * np.arange(2 * n0) / n0)
            lam = growth.reshape((-1,) + (1,) * (len(shape) - 1)) + lateral
            self._minus_lap = self.backend.asarray(lam, dtype=self.dtype)
        else:
            self._minus_lap = self.coefficients.minus_lap.astype(self.dtype)
        #: an optional reaction of the map with the metal (e.g. dendrite.capture.ReactivePhase)
        self.chemistry = None
        # the histories are observers, attached first so that later observers see them updated
        self.attach(self._record)
        if self.snapshot_interval:
            self.attach(self._snapshot_observer, self.snapshot_interval)

    # -- model pieces -------------------------------------------------------------------
    def conductivity(self, xi):
        """Ionic conductivity (S/m) of the two-phase mixture for ``xi`` (NumPy or backend)."""
        c = self.coefficients
        host = isinstance(xi, np.ndarray) and self.backend.name != "numpy"  # e.g. from metrics
        h = interpolation((np if host else self.backend.xp).clip(xi, 0.0, 1.0))
        sigma_e = c.sigma_e if host else self._device_sigma_e()
        return sigma_e * (1.0 - h) + c.sigma_m * h

    def _device_sigma_e(self):
        """The electrolyte map on the backend, uploaded again only when it was replaced (a
        reaction such as dendrite.capture.ReactivePhase writes a new one)."""
        c = self.coefficients
        if self._sigma_e_source is not c.sigma_e:
            self._sigma_e_source = c.sigma_e
            self._sigma_e_device = self.backend.asarray(c.sigma_e, dtype=self.dtype)
        return self._sigma_e_device

    def _reaction(self, psi, hp):
        """Butler-Volmer rate (1/s) and its derivative in psi, with eta = -phi."""
        xp = self.backend.xp
        a = self.parameters.transfer_coefficient
        psi = xp.clip(psi, -40.0, 40.0)
        up, down = xp.exp(a * psi), xp.exp(-(1.0 - a) * psi)
        rate_constant = self.coefficients.L_eta * hp
        return rate_constant * (up - down), rate_constant * (a * up + (1.0 - a) * down)

    def _laplacian(self, xi):
        """Five-point (seven in 3D) Laplacian: Neumann in the growth direction, periodic across."""
        lap = (-2.0 * xi.ndim) * xi
        lap[1:] += xi[:-1]
        lap[:-1] += xi[1:]
        lap[0] += xi[0]
        lap[-1] += xi[-1]
        xp = self.backend.xp
        for axis in range(1, xi.ndim):
            lap += xp.roll(xi, 1, axis)
            lap += xp.roll(xi, -1, axis)
        return lap

    def _anisotropic_extra(self, xi):
        """Kobayashi's anisotropic gradient term minus its isotropic part (treated implicitly)."""
        p = self.parameters
        xp = self.backend.xp
        concat = np.concatenate if xp is np else xp.cat
        padded = concat([xi[:1], xi, xi[-1:]], 0)
        gy = 0.5 * (padded[2:] - padded[:-2])
        gx = 0.5 * (xp.roll(xi, -1, 1) - xp.roll(xi, 1, 1))
        theta = xp.arctan2(gy, gx)
        eps = 1.0 + p.anisotropy_strength * xp.cos(p.anisotropy_mode * theta)
        deps = -p.anisotropy_strength * p.anisotropy_mode * xp.sin(p.anisotropy_mode * theta)
        fx = (eps**2 - 1.0) * gx - eps * deps * gy
        fy = (eps**2 - 1.0) * gy + eps * deps * gx
        fy_pad = concat([-fy[:1], fy, -fy[-1:]], 0)
        div = 0.5 * (xp.roll(fx, -1, 1) - xp.roll(fx, 1, 1)) + 0.5 * (fy_pad[2:] - fy_pad[:-2])
        return self.coefficients.kappa * div

    def _allen_cahn_rate(self, xi):
        """Explicit part of -L_sigma dF/dxi (double well, anisotropy) in 1/s."""
        c = self.coefficients
        rate = 1.0 - xi          # in place from here: a 512^2 field is several ms a pass
        rate *= xi
        rate *= 1.0 - 2.0 * xi
        rate *= -2.0 * c.L_sigma * c.W
        if self.parameters.anisotropy_strength > 0:
            rate += c.L_sigma * self._anisotropic_extra(xi)
        return rate

    def _scalars(self, *values) -> list[float]:
        """Host floats of 0-d backend values, in one transfer (one GPU sync, not one each)."""
        if self.backend.name == "numpy":
            return [float(v) for v in values]
        return self.backend.xp.stack([v.to(self.backend.xp.float64) for v in values]).tolist()

    # -- the step -----------------------------------------------------------------------
    def step(self) -> None:
        if self.nsteps % 100 == 0:
            self.solver.refresh()  # on a fixed schedule, so a resumed run repeats it exactly
        state = self.state_
        xi, dt = state.xi, state.dt_s
        clipped = self.backend.xp.clip(xi, 0.0, 1.0)
        hp = 1.0 - clipped       # interpolation_derivative, in place
        hp *= clipped
        hp *= hp
        hp *= 30.0
        ac = self._allen_cahn_rate(xi)
        if self.nsteps % self.potential_interval == 0:
            # local rate used as the charge sink: everything but the reaction, lagged
            c = self.coefficients
            background = ac + (c.L_sigma * c.kappa) * self._laplacian(xi)
            state.psi = self._solve_potential(clipped, hp, background)
        if self.control == "galvanostatic":
            rate = self._galvanostatic_rate(hp, ac)
        else:
            rate, _ = self._reaction(state.psi, hp)
        self._advance(xi, hp, ac, rate, dt)
        if self.chemistry is not None:   # e.g. dendrite.capture.ReactivePhase: Li consumed by the map
            self.chemistry.apply(self, dt)
        xi, psi = self.state_.xi, self.state_.psi
        if self.backend.name == "numpy":
            check_state("phase field", self.nsteps + 1, xi=(xi, *XI_BOUNDS), psi=psi)
        else:
            lo, hi, plo, phi = self._scalars(xi.min(), xi.max(), psi.min(), psi.max())
            check_state("phase field", self.nsteps + 1, xi=(np.array([lo, hi]), *XI_BOUNDS),
                        psi=np.array([plo, phi]))

    def _solve_potential(self, clipped, hp, background):
        """Newton iterations on the charge balance with the nonlinear Butler-Volmer sink.

        Galvanostatic runs take one linearised solve: the scalar shift that follows restores
        the total current exactly, and the warm start carries the rest of the Newton
        convergence over to the next solve.
        """
        c = self.coefficients
        sigma = self.conductivity(clipped) * (1.0 / c.sigma_ref)
        psi = self.state_.psi
        dirichlet = self.control == "potentiostatic"
        for _ in range(8 if dirichlet else 1):
            rate, drate = self._reaction(psi, hp)
            op = PotentialOperator(sigma, dirichlet_top=dirichlet, shift=c.G * drate)
            rhs = c.G * (drate * psi - rate - background)
            if dirichlet:
                rhs[-1] += op.top * (self.voltage_V * c.f)
            else:
                rhs[-1] += self.current_density_mA_cm2 * A_m2_PER_mA_cm2 * c.h_m * c.f / c.sigma_ref
            new = self.solver.solve(op, rhs, psi)
            (change,) = self._scalars(self.backend.xp.abs(new - psi).max())
            psi = new
            if change < 1e-6:
                break
        return psi

    def _galvanostatic_rate(self, hp, ac):
        """The reaction rate after moving the whole potential so the total reaction equals the
        applied current (keeping Faraday's law exact between and after full solves).

        The shift ``o`` enters the Butler-Volmer rate only through ``exp(a o)`` and
        ``exp(-(1 - a) o)``, so two sums of the field fix the total rate for any ``o``: the
        scalar Newton runs on them alone, and the field is touched once.
        """
        c = self.coefficients
        xp = self.backend.xp
        a = self.parameters.transfer_coefficient
        psi = xp.clip(self.state_.psi, -40.0, 40.0)
        k = c.L_eta * hp
        up = xp.exp(a * psi)
        # symmetric transfer (the default): one exp, the other factor is its reciprocal
        down = 1.0 / up if a == 0.5 else xp.exp(-(1.0 - a) * psi)
        up *= k
        down *= k
        s_up, s_down, s_ac = self._scalars(up.sum(), down.sum(), ac.sum())
        # the Laplacian sums to zero (Neumann and periodic), so the background sums to ac's
        target = self.current_density_mA_cm2 * A_m2_PER_mA_cm2 / (FARADAY_C_mol * c.c_s * c.h_m)
        target = target * math.prod(self.xi_initial.shape[1:]) - s_ac
        offset = 0.0
        for _ in range(50):
            g_up, g_down = math.exp(a * offset), math.exp(-(1.0 - a) * offset)
            step = (target - (s_up * g_up - s_down * g_down)) / max(
                a * s_up * g_up + (1.0 - a) * s_down * g_down, 1e-300)
            offset = min(max(offset + step, -80.0), 80.0)   # as the clip of psi: no overflow
            if abs(step) < 1e-10:
                break
        up *= math.exp(a * offset)
        down *= math.exp(-(1.0 - a) * offset)
        up -= down
        self.state_.psi = self.state_.psi + offset
        return up

    def _implicit_gradient_step(self, w, dt):
        """Solve ``(1 - dt L_sigma kappa Laplacian) xi = w``: DCT-II along the growth axis
        (Neumann), FFT across (periodic); on torch the DCT is the FFT of the mirrored field."""
        c = self.coefficients
        scale = dt * c.L_sigma * c.kappa
        if self.backend.name == "numpy":
            # the lateral FFT first: the DCT along axis 0 then runs on half as many columns
            axes = range(1, w.ndim)
            hat = scipy.fft.dct(scipy.fft.rfftn(w, axes=axes), type=2, axis=0, norm="ortho",
                                overwrite_x=True)
            denominator = self._minus_lap * scale
            denominator += 1.0
            hat /= denominator
            return scipy.fft.irfftn(scipy.fft.idct(hat, type=2, axis=0, norm="ortho", overwrite_x=True),
                                    s=w.shape[1:], axes=axes, overwrite_x=True)
        torch = self.backend.xp
        mirrored = torch.cat([w, w.flip(0)], 0)
        hat = torch.fft.rfftn(mirrored)
        hat /= 1.0 + scale * self._minus_lap
        return torch.fft.irfftn(hat, s=mirrored.shape)[: w.shape[0]].contiguous()

    def _advance(self, xi, hp, ac, rate, dt) -> None:
        c = self.coefficients
        explicit = ac + rate
        if self.parameters.noise_amplitude_1_sqrt_s > 0:
            draw = self.backend.asarray(self.rng.standard_normal(xi.shape), dtype=self.dtype) * hp
            explicit += (self.parameters.noise_amplitude_1_sqrt_s / math.sqrt(dt)) * (draw - draw.mean())
        explicit *= dt
        explicit += xi
        new = self._implicit_gradient_step(explicit, dt)
        dxi = new - xi
        state = self.state_
        state.xi = new
        state.time_s += dt
        total, largest = self._scalars(dxi.sum(), self.backend.xp.abs(dxi).max())
        area_rate = total / dt / math.prod(xi.shape[1:])  # grid spacings / s
        state.step_current_A_m2 = FARADAY_C_mol * c.c_s * area_rate * c.h_m
        state.passed_charge_C_m2 += (self.current_density_mA_cm2 * A_m2_PER_mA_cm2 if self.control ==
                                     "galvanostatic" else state.step_current_A_m2) * dt
        factor = self.max_change_per_step / max(largest, 1e-300)
        state.dt_s = min(self.dt_max_s, c.dt_relaxation_s, dt * min(1.5, max(0.3, factor)))

    # -- observers (attached in __init__; not called before the first step) ----------------
    def _record(self) -> None:
        """Histories of the step just taken, and the stop conditions on the front."""
        from ssblab.dendrite.metrics import front_heights_um

        if self.nsteps == 0:
            return
        state = self.state_
        state.time_history_s.append(state.time_s)
        state.current_history_mA_cm2.append(float(state.step_current_A_m2) / A_m2_PER_mA_cm2)
        spacing = self.electrolyte.spacing_um
        xi = state.xi   # on the backend: three numbers come back, not the field
        top_psi, tip, volume = self._scalars(state.psi[-1].mean(), front_heights_um(xi, spacing).max(),
                                             xi.sum(0).mean())
        mean = volume * spacing     # metrics.mean_front_um
        state.voltage_history_V.append(top_psi / self.coefficients.f)
        state.mean_front_history_um.append(mean)
        state.max_front_history_um.append(tip)
        top = xi.shape[0] * spacing
        if tip >= top - spacing:
            self.stop_reason = "short circuit: the deposit reached the counter electrode"
        elif self.stop_penetration_um is not None and tip - mean >= self.stop_penetration_um:
            self.stop_reason = (f"the leading tip ran {self.stop_penetration_um:.3g} um ahead of "
                                "the mean front")

    def _snapshot_observer(self) -> None:
        if self.nsteps:
            self.take_snapshot()

    def take_snapshot(self) -> None:
        """Keep a movie frame (8-bit; the middle slice in 3D)."""
        frame = self.xi if self.xi.ndim == 2 else self.xi[:, self.xi.shape[1] // 2]
        self.snapshots.append(np.round(np.clip(frame, 0, 1) * 255).astype(np.uint8))
        self.snapshot_times_s.append(self.time_s)

    # -- derived numbers ----------------------------------------------------------------
    @property
    def deposited_charge_mAh_cm2(self) -> float:
        """Charge stored in the deposit since the start, from the order parameter."""
        grown = float((self.xi - self.xi_initial).sum()) / np.prod(self.xi.shape[1:]) * self.coefficients.h_m
        return float(FARADAY_C_mol * self.coefficients.c_s * grown / C_m2_PER_mAh_cm2)

    @property
    def passed_charge_mAh_cm2(self) -> float:
        return self.passed_charge_C_m2 / C_m2_PER_mAh_cm2

    # -- checkpoint state ---------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """Everything a resumed run needs to continue bit for bit: the fields of
        :class:`PhaseFieldState`, the step count, the random generator and the stop reason."""
        host = dataclasses.replace(self.state_, xi=self.xi, psi=self.psi)
        return {**host.to_arrays(), "nsteps": np.array(self.nsteps),
                "rng_state": np.array(json.dumps(self.rng.bit_generator.state)),
                "stop_reason": np.array(self.stop_reason)}

    def restore(self, state) -> None:
        if "scalars" in state:  # a checkpoint written before the state split: same numbers
            state = dict(state)
            time_s, dt_s, charge, nsteps = (float(v) for v in state.pop("scalars"))
            state.update(time_s=time_s, dt_s=dt_s, passed_charge_C_m2=charge, nsteps=nsteps,
                         step_current_A_m2=0.0)
        restored = PhaseFieldState.from_arrays(state)
        self.state_ = dataclasses.replace(
            restored, xi=self.backend.asarray(restored.xi, dtype=self.dtype),
            psi=self.backend.asarray(restored.psi, dtype=self.dtype))
        self.nsteps = int(state["nsteps"])
        self.rng.bit_generator.state = json.loads(str(state["rng_state"]))
        self.stop_reason = str(state["stop_reason"])


# state fields read and written as attributes (sim.xi, sim.time_s, sim.current_history_mA_cm2)
for _field in dataclasses.fields(PhaseFieldState):
    setattr(ElectrodepositionSimulation, _field.name,
            (_field_attribute if _field.name in ("xi", "psi") else _state_attribute)(_field.name))
del _field
