"""Dendrite capture by a reactive electrolyte phase (seed 003: LGPS in an argyrodite).

Seed 003 (Yu et al. 2024) explains its CCD gain from mixing Li10GeP2S12 (LGPS) into Li6PS5Cl
(LPSC) in two steps: LGPS, the better conductor, draws current and dendrites to itself, and it
reacts with the Li that reaches it (Li2S, Li3P and a Li-Ge alloy; XPS shows Ge0), which
consumes the filament. This module models both steps on a 3D microstructure and runs seed
003's CCD staircase on the result. It is a reduced model: the phase field
(:mod:`ssblab.dendrite.phasefield`) resolves where current goes at the micrometre scale but
cannot fail at seed 003's currents at measured-scale kinetics (docs/validation.md), so the
failure criterion here is set at the scale of the anode face.

Model (docs/dendrite.md, "Dendrite capture"):

* **Attraction.** At the anode face LGPS holds an area share ``a`` and carries a current share
  ``s``. A filament that grows from the host follows the field: its tip advances to a voxel
  ahead with probability proportional to the current density there (dielectric breakdown
  model, :mod:`ssblab.microstructure.paths`), so it enters LGPS more often where LGPS conducts
  better than the host and less often where it conducts worse. ``q`` is the current-weighted
  share of such paths from the host at the anode face that enter LGPS (the "magnet"). ``a``,
  ``s`` and ``q`` are inputs; :func:`ssblab.workflows.multiscale.seed003_capture_study` gets
  them from generated 3D LPSC + LGPS mixtures at the seed's mass fractions solved by the
  microstructure layer.
* **Host tolerance.** The host fails where its local current density exceeds its own CCD,
  ``i (1 - s) / (1 - a) > b sigma_host``, with ``CCD_host = b sigma_host`` (assumption:
  ohmic-limited nucleation; ``b`` from seed 003's single-phase CCDs of LPSC1.25 and LPSC1.5,
  0.7 and 0.9 mA/cm2, which are inputs and not among the predicted numbers).
* **Capture.** Li plated above the host's tolerance grows filaments,
  ``f = (i - i_host)+``; filaments that meet LGPS are consumed by the reduction
  ``Li10GeP2S12 + 23.75 Li -> 12 Li2S + 2 Li3P + 0.25 Li15Ge4`` (Li15Ge4: the most lithiated
  Li-Ge phase at room temperature; assumption) at up to ``kappa q (1 - p)`` mA/cm2, with
  ``kappa`` the capture rate per unit captured path share (**fitted**, the one parameter no
  source gives) and ``p`` the reacted fraction of the LGPS within ``reach_um`` of the anode (finite
  capacity per particle: a reacted particle stops capturing). The cell fails in the first
  step where ``f`` exceeds the capture rate or the reachable LGPS is used up.
* **Product.** Li2S and Li3P are poor ionic conductors and the Li-Ge alloy conducts
  electrons (the interphase of LGPS with Li is a mixed conductor that keeps growing; Wenzel et
  al., Chem. Mater. 28, 2400 (2016)). Here the reacted region is taken as ionically blocking
  (``product_conductivity_S_cm``, default 1e-8 S/cm) and electronically isolated from the
  deposit: it draws no more current and plates no Li. The alternative (an electronically
  connected alloy on which Li plates) would make reacted LGPS a dendrite highway and cannot
  raise a CCD; seed 003 reports the opposite, so the choice follows the seed's observation.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ssblab import reference as ref
from ssblab.errors import InputError
from ssblab.results import Result, provenance
from ssblab.units import FARADAY_C_mol

# Li10GeP2S12 + 23.75 Li -> 12 Li2S + 2 Li3P + 0.25 Li15Ge4 (Li balance 10 + 23.75 = 24 + 6 + 3.75).
LI_PER_LGPS = 23.75
_ATOMIC_MASS = {"Li": 6.94, "Ge": 72.630, "P": 30.974, "S": 32.06}       # IUPAC standard weights
LGPS_MOLAR_MASS_g_mol = (10 * _ATOMIC_MASS["Li"] + _ATOMIC_MASS["Ge"] + 2 * _ATOMIC_MASS["P"]
                         + 12 * _ATOMIC_MASS["S"])


def lgps_capacity_mAh_cm3(density_g_cm3: float) -> float:
    """Li that one cm3 of LGPS consumes when fully reduced, as charge (mAh/cm3).

    Examples
    --------
    >>> round(lgps_capacity_mAh_cm3(2.04))   # X-ray density of LGPS
    2206
    """
    return density_g_cm3 / LGPS_MOLAR_MASS_g_mol * LI_PER_LGPS * FARADAY_C_mol / 3.6


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaptureParameters:
    """Parameters of the capture model; each default says where it comes from."""

    #: Capture rate per unit captured path share (mA/cm2): **fitted** on one seed-003 CCD.
    capture_rate_mA_cm2: float = 6.0
    #: Host CCD per host conductivity, (mA/cm2) / (mS/cm): from seed 003's LPSC1.25 and LPSC1.5
    #: single-phase CCDs (mean of the two ratios; 0.1385).
    host_ccd_per_conductivity: float = 0.5e-3 * (ref.LPSC125_CCD_mA_cm2.value / ref.LPSC125_SIGMA_S_cm.value
                                                 + ref.LPSC15_CCD_mA_cm2.value / ref.LPSC15_SIGMA_S_cm.value)
    #: Depth from the anode whose LGPS the filaments can consume (um), for the capacity.
    #: Assumption: 500 um, the order of a pressed pellet's thickness (seed 003 gives neither);
    #: within 6 um (one particle) the LGPS is used up before the calibration CCD.
    #: docs/validation.md reports the sensitivity.
    reach_um: float = 500.0
    #: Ionic conductivity of the reaction product (Li2S-dominated; assumption, S/cm).
    product_conductivity_S_cm: float = 1e-8
    #: Time of plating per staircase step (h): one 1-h plating/stripping cycle per step.
    plating_h: float = 0.5

    def __post_init__(self):
        for name in ("capture_rate_mA_cm2", "host_ccd_per_conductivity", "reach_um", "plating_h"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"CaptureParameters.{name}: expected a finite value >= 0, found {value!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Electrolyte:
    """One seed-003 electrolyte: host conductivity, LGPS mass fraction and densities."""

    name: str
    host_S_cm: float
    lgps_mass_fraction: float = 0.0
    lgps_S_cm: float = ref.LGPS_SIGMA_S_cm.value
    host_density_g_cm3: float = 1.87     # X-ray densities (microstructure.studies)
    lgps_density_g_cm3: float = 2.04


def staircase_ccd(electrolyte: Electrolyte, shares: tuple[float, float, float], parameters: CaptureParameters,
                  *, start_mA_cm2: float = 0.1, step_mA_cm2: float = 0.2, max_mA_cm2: float = 10.0
                  ) -> tuple[float, str, float]:
    """Seed 003's staircase on the capture model: (CCD, failure mode, reacted fraction at failure).

    ``shares`` is ``(a, s, q)``: LGPS area and current share at the anode face, captured path share.
    """
    if len(shares) != 3:
        raise InputError(f"shares: expected (area share, current share, captured path share), "
                         f"found {shares!r}")
    a, s, q = shares
    p = parameters
    host_ccd = p.host_ccd_per_conductivity * electrolyte.host_S_cm * 1e3
    i_host = host_ccd * (1 - a) / (1 - s) if s < 1 else math.inf
    capacity = a * p.reach_um * 1e-4 * lgps_capacity_mAh_cm3(electrolyte.lgps_density_g_cm3)   # mAh/cm2
    reacted = 0.0
    current = start_mA_cm2
    while current <= max_mA_cm2 + 1e-9:
        flux = max(current - i_host, 0.0)
        if flux > 0:
            if flux > p.capture_rate_mA_cm2 * q * (1 - reacted):
                return current, "filaments outrun capture" if q > 0 else "host tolerance", reacted
            reacted += flux * p.plating_h / capacity
            if reacted >= 1:
                return current, "reachable LGPS used up", 1.0
        current = round(current + step_mA_cm2, 10)
    return math.nan, "no failure", reacted


#: Seed 003's electrolytes (conductivities in S/cm, ``ssblab.reference``); LGPS by mass
SEED003_ELECTROLYTES = {
    "LPSC1.0": Electrolyte(name="LPSC1.0", host_S_cm=ref.LPSC_SIGMA_S_cm.value),
    "LPSC1.0-91": Electrolyte(name="LPSC1.0-91", host_S_cm=ref.LPSC_SIGMA_S_cm.value, lgps_mass_fraction=0.1),
    "LPSC1.0-82": Electrolyte(name="LPSC1.0-82", host_S_cm=ref.LPSC_SIGMA_S_cm.value, lgps_mass_fraction=0.2),
    "LPSC1.25-82": Electrolyte(name="LPSC1.25-82", host_S_cm=ref.LPSC125_SIGMA_S_cm.value,
                               lgps_mass_fraction=0.2),
    "LPSC1.5-82": Electrolyte(name="LPSC1.5-82", host_S_cm=ref.LPSC15_SIGMA_S_cm.value,
                              lgps_mass_fraction=0.2),
}
#: and their measured CCDs (mA/cm2)
SEED003_MEASURED_mA_cm2 = {"LPSC1.0": ref.LPSC_CCD_mA_cm2.value,
                           "LPSC1.0-91": ref.LPSC_LGPS91_CCD_mA_cm2.value,
                           "LPSC1.0-82": ref.LPSC_LGPS82_CCD_mA_cm2.value,
                           "LPSC1.25-82": ref.LPSC125_LGPS82_CCD_mA_cm2.value,
                           "LPSC1.5-82": ref.LPSC15_LGPS82_CCD_mA_cm2.value}
CALIBRATION = "LPSC1.0-82"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaptureCCDStudy(Result):
    """Seed 003's five CCDs: one fitted, four predicted, with the microstructure statistics."""

    names: tuple
    measured_mA_cm2: np.ndarray
    predicted_mA_cm2: np.ndarray          # mean over generator seeds
    predicted_spread_mA_cm2: np.ndarray   # standard deviation over generator seeds
    per_seed_mA_cm2: np.ndarray           # (electrolyte, seed)
    area_share: np.ndarray                # mean over seeds
    current_share: np.ndarray
    path_share: np.ndarray
    path_share_error: np.ndarray          # standard error of the mean path share from the path sampling
    failure_modes: tuple
    calibration: str
    capture_rate_mA_cm2: float
    generator_seeds: tuple
    parameters: dict

    title: ClassVar[str] = "Seed 003: CCD with dendrite capture by LGPS (one fitted, four predicted)"

    def seed_comparisons(self):
        from ssblab.comparisons import PREDICTED, SeedComparison

        return [SeedComparison(seed="seed 003", quantity=f"CCD {name}", unit="mA/cm2", model=float(m),
                               measured=float(x),
                               status=(f"fitted to seed 003's {name} CCD (capture rate)"
                                       if name == self.calibration else PREDICTED),
                               note=f"sd {sd:.2f} over generator seeds {list(self.generator_seeds)}; {mode}")
                for name, m, x, sd, mode in zip(self.names, self.predicted_mA_cm2, self.measured_mA_cm2,
                                                self.predicted_spread_mA_cm2, self.failure_modes)]

    def trends(self) -> dict:
        """Whether seed 003's trends come out right: the CCD rises with LGPS fraction and falls
        with the host's conductivity, each step on its own."""
        ccd = dict(zip(self.names, self.predicted_mA_cm2))
        steps = {"rises with LGPS fraction": ("LPSC1.0", "LPSC1.0-91", "LPSC1.0-82"),
                 "falls with host conductivity": ("LPSC1.5-82", "LPSC1.25-82", "LPSC1.0-82")}
        return {f"{trend} ({low} < {high})": bool(ccd[low] < ccd[high])
                for trend, names in steps.items() for low, high in zip(names, names[1:])}

    def summary(self):
        from ssblab.comparisons import comparison_rows

        rows = [("fitted parameter: capture rate kappa (mA/cm2)", self.capture_rate_mA_cm2),
                ("generator seeds", ", ".join(map(str, self.generator_seeds)))]
        inputs = (self.provenance or {}).get("inputs", {})
        if "path_rule" in inputs:
            rule = ("steepest ascent" if inputs["path_rule"] == "steepest" else
                    f"dielectric breakdown, eta = {inputs['eta']:g}, "
                    f"{inputs['paths_per_start']} per start voxel")
            rows.append(("filament paths", rule))
        rows += [(f"{name}: LGPS area / current share at the anode face, captured path share (se)",
                  f"{a:.3f} / {s:.3f}, {q:.3f} ({e:.3f})")
                 for name, a, s, q, e in zip(self.names, self.area_share, self.current_share, self.path_share,
                                             self.path_share_error)
                 if a > 0]
        rows += [(f"trend: {k}", "right" if v else "WRONG") for k, v in self.trends().items()]
        return rows + comparison_rows(self.seed_comparisons())

    def table(self):
        return [{"electrolyte": n, "measured CCD (mA/cm2)": float(x), "model CCD (mA/cm2)": float(m),
                 "sd over seeds": float(sd), "status": "fitted" if n == self.calibration else "predicted",
                 "failure": mode, "LGPS area share": float(a), "LGPS current share": float(s),
                 "captured path share": float(q), "its standard error": float(e)}
                for n, x, m, sd, mode, a, s, q, e in zip(
                    self.names, self.measured_mA_cm2, self.predicted_mA_cm2, self.predicted_spread_mA_cm2,
                    self.failure_modes, self.area_share, self.current_share, self.path_share,
                    self.path_share_error)]

    def _draw(self, ax, **kwargs):
        x = np.arange(len(self.names))
        ax.bar(x - 0.2, self.measured_mA_cm2, 0.4, color="0.6", label="seed 003 (measured)")
        ax.bar(x + 0.2, self.predicted_mA_cm2, 0.4, yerr=self.predicted_spread_mA_cm2, capsize=2,
               color=["C3" if n == self.calibration else "C0" for n in self.names],
               label="model (red: fitted, blue: predicted)")
        ax.set_xticks(x, self.names, fontsize=7)
        ax.set_ylabel("CCD (mA/cm2)")
        ax.legend(fontsize=7)


def capture_ccd_study(shares: dict, *, parameters: CaptureParameters | None = None,
                      calibration: str = CALIBRATION, generator_seeds=None, provenance_inputs=None
                      ) -> CaptureCCDStudy:
    """Fit the capture rate on one seed-003 CCD and predict the other four.

    ``shares`` maps each name of :data:`SEED003_ELECTROLYTES` to a list of ``(a, s, q)`` or
    ``(a, s, q, q_se)``, the LGPS area and current shares at the anode face, the captured path
    share and its standard error from the sampled paths, one per microstructure draw (a plain-value
    input: :func:`ssblab.workflows.multiscale.seed003_capture_study` computes them on
    generated 3D mixtures). The capture rate is fitted (bisection on the staircase, middle of
    the interval that gives the calibration CCD) on the mean shares of the calibration
    electrolyte; every electrolyte then runs the staircase with each draw's shares.

    Examples
    --------
    >>> shares = {"LPSC1.0": [(0.0, 0.0, 0.0)], "LPSC1.0-91": [(0.07, 0.09, 1.0)],
    ...           "LPSC1.0-82": [(0.15, 0.19, 1.0)], "LPSC1.25-82": [(0.15, 0.16, 1.0)],
    ...           "LPSC1.5-82": [(0.15, 0.13, 0.03)]}
    >>> study = capture_ccd_study(shares)
    >>> [round(float(c), 1) for c in study.predicted_mA_cm2]
    [0.5, 1.9, 2.1, 2.3, 1.1]
    """
    base = parameters or CaptureParameters()
    if calibration not in SEED003_ELECTROLYTES:
        raise InputError(f"calibration: expected one of {sorted(SEED003_ELECTROLYTES)}, "
                         f"found {calibration!r}")
    missing = sorted(set(SEED003_ELECTROLYTES) - set(shares))
    if missing:
        raise InputError(f"shares: expected an entry for every seed-003 electrolyte, missing {missing}")
    bad = sorted(n for n, v in shares.items() if any(len(x) not in (3, 4) for x in v))
    if bad:
        raise InputError(f"shares: expected (area share, current share, captured path share[, its standard "
                         f"error]) per draw, found another length for {bad}")
    errors = {n: [x[3] if len(x) == 4 else 0.0 for x in v] for n, v in shares.items()}
    shares = {n: [tuple(x[:3]) for x in v] for n, v in shares.items()}
    counts = {len(v) for v in shares.values()}
    if len(counts) != 1 or 0 in counts:
        raise InputError("shares: expected the same number (>= 1) of microstructure draws per electrolyte")
    seeds = tuple(generator_seeds) if generator_seeds is not None else tuple(range(counts.pop()))
    target = SEED003_MEASURED_mA_cm2[calibration]
    cal_shares = tuple(np.mean(shares[calibration], axis=0))

    def ccd_at(kappa):
        return staircase_ccd(SEED003_ELECTROLYTES[calibration], cal_shares,
                             dataclasses.replace(base, capture_rate_mA_cm2=kappa))[0]

    def first_reaching(level):      # smallest kappa whose CCD reaches `level` (None: none does)
        lo, hi = 0.0, 1e3
        if not ccd_at(hi) >= level - 1e-9:
            return None
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if ccd_at(mid) >= level - 1e-9 else (mid, hi)
        return hi

    low = first_reaching(target)
    if low is None:
        raise InputError(f"the capture model cannot reach {calibration}'s {target} mA/cm2 with reach_um = "
                         f"{base.reach_um} (the reachable LGPS is used up first)")
    high = first_reaching(target + 0.2 - 1e-6)
    # middle of the kappa interval that gives the calibration CCD; when a higher CCD is out of
    # reach (capacity-limited), kappa is only bounded below and 1.5x the bound is taken
    kappa = 0.5 * (low + high) if high is not None else 1.5 * low
    fitted = dataclasses.replace(base, capture_rate_mA_cm2=kappa)
    names = tuple(SEED003_ELECTROLYTES)
    per_seed, modes = [], []
    for name in names:
        runs = [staircase_ccd(SEED003_ELECTROLYTES[name], sh, fitted) for sh in shares[name]]
        per_seed.append([r[0] for r in runs])
        modes.append(runs[0][1])
    per_seed = np.array(per_seed)
    return CaptureCCDStudy(
        names=names, measured_mA_cm2=np.array([SEED003_MEASURED_mA_cm2[n] for n in names]),
        predicted_mA_cm2=per_seed.mean(axis=1),
        predicted_spread_mA_cm2=per_seed.std(axis=1, ddof=1) if len(seeds) > 1 else np.zeros(len(names)),
        per_seed_mA_cm2=per_seed, area_share=np.array([np.mean([a for a, _, _ in shares[n]]) for n in names]),
        current_share=np.array([np.mean([s for _, s, _ in shares[n]]) for n in names]),
        path_share=np.array([np.mean([q for _, _, q in shares[n]]) for n in names]),
        path_share_error=np.array([np.sqrt(np.sum(np.square(errors[n]))) / len(errors[n]) for n in names]),
        failure_modes=tuple(modes),
        calibration=calibration, capture_rate_mA_cm2=kappa, generator_seeds=seeds,
        parameters=dataclasses.asdict(fitted),
        provenance=provenance(generator_seeds=list(seeds),
                              shares={n: [list(x) for x in v] for n, v in shares.items()},
                              path_share_errors=errors,
                              parameters=dataclasses.asdict(fitted), calibration=calibration,
                              electrolytes={n: dataclasses.asdict(e)
                                            for n, e in SEED003_ELECTROLYTES.items()},
                              **(provenance_inputs or {})))


class ReactivePhase:
    """A reactive electrolyte phase in the phase-field map: Li that reaches it is consumed.

    Attach to an :class:`~ssblab.dendrite.phasefield.ElectrodepositionSimulation` with
    ``sim.chemistry = ReactivePhase(sim, phase="A")``; after every step the stepper calls
    :meth:`apply`. In each cell of ``phase`` that holds metal (``xi``) and unreacted capacity,
    metal is converted to product at ``rate_1_s`` (first order in the local metal content,
    ``dxi = -k xi dt``), each cell holding ``capacity`` of Li per cell volume (from the
    stoichiometry: ``lgps_capacity_mAh_cm3``). The reacted fraction ``p`` moves the cell's
    conductivity from the phase's towards ``product_conductivity_S_m``; a fully reacted cell
    stops capturing. The product is taken as electronically isolated (docs/dendrite.md), so the
    consumed Li leaves the metal: deposited (in ``xi``) + captured = passed.

    ``rate_1_s`` is not given by any source (an assumption or a fit). Checkpoints do not hold
    the reacted fraction: resume a run with a reactive phase from its start.
    """

    def __init__(self, sim, *, phase: str = "A", rate_1_s: float = 1e-3,
                 capacity_mAh_cm3: float | None = None, product_conductivity_S_m: float = 1e-6,
                 density_g_cm3: float = 2.04):
        names = sim.electrolyte.names
        if phase not in names:
            raise InputError(f"phase: expected one of the map's phases {list(names)}, found {phase!r}")
        if not (rate_1_s >= 0 and math.isfinite(rate_1_s)) or product_conductivity_S_m < 0:
            raise InputError("rate_1_s and product_conductivity_S_m: expected finite values >= 0")
        self.mask = np.asarray(sim.electrolyte.labels) == names.index(phase)
        capacity = lgps_capacity_mAh_cm3(density_g_cm3) if capacity_mAh_cm3 is None else capacity_mAh_cm3
        # in units of the order parameter: the Li metal volume one cell can consume
        li_metal_mAh_cm3 = sim.coefficients.c_s * 1e-6 * FARADAY_C_mol / 3.6
        self.capacity_xi = capacity / li_metal_mAh_cm3
        self.remaining = np.where(self.mask, self.capacity_xi, 0.0)
        self.rate_1_s = float(rate_1_s)
        self.sigma_phase = sim.coefficients.sigma_e.copy()
        self.sigma_product = max(float(product_conductivity_S_m), 1e-6 * sim.coefficients.sigma_ref)
        self.captured_xi = 0.0

    @property
    def reacted_fraction(self) -> np.ndarray:
        return np.where(self.mask, 1.0 - self.remaining / self.capacity_xi, 0.0)

    def captured_charge_mAh_cm2(self, sim) -> float:
        """Li consumed by the reaction since the start, as charge per electrode area."""
        return float(FARADAY_C_mol * sim.coefficients.c_s * self.captured_xi / np.prod(sim.xi.shape[1:])
                     * sim.coefficients.h_m / 36000.0)

    def apply(self, sim, dt: float) -> None:
        metal = np.clip(sim.xi, 0.0, 1.0)
        take = np.minimum(metal * (1.0 - math.exp(-self.rate_1_s * dt)), self.remaining)
        take[~self.mask] = 0.0
        sim.xi = sim.xi - take
        self.remaining -= take
        self.captured_xi += float(take.sum())
        p = self.reacted_fraction
        sim.coefficients.sigma_e = np.where(self.mask, self.sigma_phase * (1 - p) + self.sigma_product * p,
                                            sim.coefficients.sigma_e)
