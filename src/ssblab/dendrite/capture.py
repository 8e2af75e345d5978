"""Dendrite capture by a reactive electrolyte phase (seed 003: LGPS in an argyrodite).

Seed 003 (Yu et al. 2024) explains its CCD gain from mixing Li10GeP2S12 (LGPS) into Li6PS5Cl
(LPSC) in two steps: LGPS, the better conductor, draws current and dendrites to itself (a
"magnet" that weakens as the host's conductivity rises), and it reacts with the Li that
reaches it (Li2S, Li3P and a Li-Ge alloy; XPS shows Ge0), which consumes the filament. This
module models both steps on a 3D microstructure and runs seed 003's CCD staircase on the
result. It is a reduced model: the phase field (:mod:`ssblab.dendrite.phasefield`) resolves
where current goes at the micrometre scale but cannot fail at seed 003's currents at
measured-scale kinetics (docs/validation.md), so the failure criterion here is set at the
scale of the anode face.

Model (docs/dendrite.md, "Dendrite capture"):

* **Attraction: a race of screened fronts.** Filaments grow from the anode face at a speed
  proportional to the current density that feeds them (ohmic-limited growth), and in
  Laplacian growth a front that leads draws more current and screens the fronts behind it
  (Mullins & Sekerka, J. Appl. Phys. 35, 444 (1964); the dielectric breakdown model of
  Niemeyer, Pietronero & Wiesmann, PRL 52, 1033 (1984)). A front fed ``1 + e`` times the mean
  current density leads by ``e h`` after a mean growth ``h``; a lead ``d`` in a front
  modulated with period ``lambda`` multiplies its current by ``1 + 2 pi d / lambda``, so the
  front then carries ``(1 + e)(1 + 2 pi e h / lambda) ~ (1 + e)^N`` of the mean,
  ``N = 1 + 2 pi h / lambda`` (first order in ``e``; the power keeps every weight positive).
  :func:`screened_share` gives the share ``phi`` of the plating current that fronts on LGPS
  hold after that race, from the current densities of the solved anode face. ``h / lambda``
  (``growth_per_spacing``) is an **assumption**, 1: the race is decided within one spacing
  of the competing fronts; docs/validation.md reports 0, 0.5 and 2. At contrast 1 the face
  current is uniform and ``phi`` is LGPS's area share (no attraction); a better-conducting
  LGPS draws more, a worse one less, and ``N > 1`` sharpens that against the ohmic share
  (``N = 1``).
* **Host tolerance.** The host fails where its local current density exceeds its own CCD,
  ``i (1 - s) / (1 - a) > b sigma_host`` (``a``, ``s``: LGPS's area and current share at the
  face), with ``CCD_host = b sigma_host`` (assumption: ohmic-limited nucleation; ``b`` from
  seed 003's single-phase CCDs of LPSC1.25 and LPSC1.5, 0.7 and 0.9 mA/cm2, which are inputs
  and not among the predicted numbers).
* **Capture.** Li plated above the host's tolerance grows filaments,
  ``f = (i - i_host)+``; the fronts on LGPS deliver theirs into it, where the reduction
  ``Li10GeP2S12 + 23.75 Li -> 12 Li2S + 2 Li3P + 0.25 Li15Ge4`` (Li15Ge4: the most lithiated
  Li-Ge phase at room temperature; assumption) consumes it at up to ``kappa phi (1 - p)``
  mA/cm2, ``kappa`` the capture rate (**fitted**, the one parameter no source gives) and ``p``
  the reacted fraction of the LGPS that can capture. The cell fails in the first step where
  ``f`` exceeds the capture rate or that LGPS is used up.
* **Which LGPS can capture: the cluster connected to the anode.** The reduction's product
  conducts electrons (the Li-Ge alloy; the LGPS|Li interphase is a mixed conductor that keeps
  growing, Wenzel et al., Chem. Mater. 28, 2400 (2016)), so a reaction started at the anode
  spreads through LGPS grains in contact with each other, and stops at LPSC, whose
  interphase with Li passivates (seed 003: at 30 % LGPS "the side reactions ... could not be
  passivated by LPSC1.0 in time"). The capacity is the LGPS connected to the anode face
  through LGPS (:func:`anode_connected_lgps_um`; grains touching by a face or an edge of a
  voxel); a cluster that spans the volume is taken to continue to ``reach_um`` (assumption,
  500 um, the order of a pellet's thickness). Below percolation (10 % LGPS) that is a few
  tenths of a mAh/cm2 and is used up within two staircase steps; above it, tens.
* **Product.** Li2S and Li3P are poor ionic conductors and the Li-Ge alloy conducts
  electrons. Here the reacted region is taken as ionically blocking
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
from scipy import ndimage

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


def screened_share(current_density, mask, *, growth_per_spacing: float = 1.0) -> float:
    """Share of the plating current that fronts on ``mask`` hold after the race of screened fronts.

    Each face voxel's front is weighted ``(j / mean j)^N``, ``N = 1 + 2 pi growth_per_spacing``
    (module docstring); voxels that carry no current (pores, nan) take no part.

    Examples
    --------
    Two fronts, one fed twice the current of the other: the ohmic share 2/3 (``N = 1``) becomes
    ``2^N / (1 + 2^N)``.

    >>> round(screened_share([1.0, 2.0], [False, True], growth_per_spacing=0.0), 4)
    0.6667
    >>> round(screened_share([1.0, 2.0], [False, True]), 4)
    0.9936
    """
    if not (math.isfinite(growth_per_spacing) and growth_per_spacing >= 0):
        raise InputError(f"growth_per_spacing: expected a finite value >= 0, found {growth_per_spacing!r}")
    j = np.nan_to_num(np.asarray(current_density, float)).ravel()
    mask = np.asarray(mask, bool).ravel()
    if j.shape != mask.shape:
        raise InputError(f"mask: expected the shape of the current density {j.shape}, found {mask.shape}")
    live = j > 0
    if not np.any(live):
        return 0.0
    # logs: (j / mean)^N overflows for long races on a contrasted face
    log_w = (1 + 2 * math.pi * growth_per_spacing) * np.log(j[live] / j[live].mean())
    w = np.exp(log_w - log_w.max())
    return float(w[mask[live]].sum() / w.sum())


def anode_connected_lgps_um(labels, phase: int, *, voxel_um: float, reach_um: float, axis: int = 2
                            ) -> tuple[float, bool]:
    """LGPS that a reaction started at the anode can reach: (thickness of LGPS per face area in um,
    whether that cluster spans the volume).

    The voxels of ``phase`` connected through ``phase`` (face or edge contact) to the anode face
    (index 0 along ``axis``), as volume per face area. A cluster that reaches the far face is
    taken to continue to ``reach_um``: its volume per face area is scaled by ``reach_um`` over
    the volume's depth.

    Examples
    --------
    A column of LGPS one voxel wide on a 4 x 4 face spans the volume: 1/16 of the depth, scaled
    to the reach; a grain that does not touch the anode gives nothing.

    >>> v = np.zeros((4, 4, 8), int); v[0, 0, :] = 2
    >>> anode_connected_lgps_um(v, 2, voxel_um=1.0, reach_um=80.0)
    (5.0, True)
    >>> v[:] = 0; v[1, 1, 3:5] = 2
    >>> anode_connected_lgps_um(v, 2, voxel_um=1.0, reach_um=80.0)
    (0.0, False)
    """
    labels = np.moveaxis(np.asarray(labels), axis, -1)
    clusters, _ = ndimage.label(labels == phase, structure=ndimage.generate_binary_structure(3, 2))
    at_anode = np.unique(clusters[:, :, 0])
    connected = np.isin(clusters, at_anode[at_anode > 0])
    spans = bool(np.any(connected[:, :, -1]))
    face = labels.shape[0] * labels.shape[1]
    thickness_um = connected.sum() / face * voxel_um
    if spans:
        thickness_um *= reach_um / (labels.shape[2] * voxel_um)
    return float(thickness_um), spans


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaptureParameters:
    """Parameters of the capture model; each default says where it comes from."""

    #: Capture rate per unit attracted share (mA/cm2): **fitted** on one seed-003 CCD.
    capture_rate_mA_cm2: float = 6.0
    #: Host CCD per host conductivity, (mA/cm2) / (mS/cm): from seed 003's LPSC1.25 and LPSC1.5
    #: single-phase CCDs (mean of the two ratios; 0.1385).
    host_ccd_per_conductivity: float = 0.5e-3 * (ref.LPSC125_CCD_mA_cm2.value / ref.LPSC125_SIGMA_S_cm.value
                                                 + ref.LPSC15_CCD_mA_cm2.value / ref.LPSC15_SIGMA_S_cm.value)
    #: Depth to which an LGPS cluster that spans the solved volume continues (um), for the capacity.
    #: Assumption: 500 um, the order of a pressed pellet's thickness (seed 003 gives none).
    #: docs/validation.md reports the sensitivity.
    reach_um: float = 500.0
    #: Growth of the competing fronts before the race is decided, in units of their spacing
    #: (h / lambda; assumption). docs/validation.md reports the sensitivity.
    growth_per_spacing: float = 1.0
    #: Ionic conductivity of the reaction product (Li2S-dominated; assumption, S/cm).
    product_conductivity_S_cm: float = 1e-8
    #: Time of plating per staircase step (h): one 1-h plating/stripping cycle per step.
    plating_h: float = 0.5

    def __post_init__(self):
        for name in ("capture_rate_mA_cm2", "host_ccd_per_conductivity", "reach_um", "growth_per_spacing",
                     "plating_h"):
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


def staircase_ccd(electrolyte: Electrolyte, shares: tuple[float, float, float, float],
                  parameters: CaptureParameters, *, start_mA_cm2: float = 0.1, step_mA_cm2: float = 0.2,
                  max_mA_cm2: float = 10.0) -> tuple[float, str, float]:
    """Seed 003's staircase on the capture model: (CCD, failure mode, reacted fraction at failure).

    ``shares`` is ``(a, s, phi, lgps_um)``: LGPS area and current share at the anode face, its
    share of the plating current after the race (:func:`screened_share`), and the LGPS that can
    capture as a thickness per face area (um; :func:`anode_connected_lgps_um`).
    """
    if len(shares) != 4:
        raise InputError(f"shares: expected (area share, current share, attracted share, connected LGPS um), "
                         f"found {shares!r}")
    a, s, phi, lgps_um = shares
    p = parameters
    host_ccd = p.host_ccd_per_conductivity * electrolyte.host_S_cm * 1e3
    i_host = host_ccd * (1 - a) / (1 - s) if s < 1 else math.inf
    capacity = lgps_um * 1e-4 * lgps_capacity_mAh_cm3(electrolyte.lgps_density_g_cm3)   # mAh/cm2
    reacted = 0.0
    current = start_mA_cm2
    while current <= max_mA_cm2 + 1e-9:
        flux = max(current - i_host, 0.0)
        if flux > 0:
            if flux > p.capture_rate_mA_cm2 * phi * (1 - reacted):
                return current, "filaments outrun capture" if phi > 0 else "host tolerance", reacted
            reacted = reacted + flux * p.plating_h / capacity if capacity > 0 else math.inf
            if reacted >= 1:
                return current, "connected LGPS used up", 1.0
        current = round(current + step_mA_cm2, 10)
    return math.nan, "no failure", reacted


#: Seed 003's electrolytes (conductivities in S/cm, ``ssblab.reference``); LGPS by mass
SEED003_ELECTROLYTES = {
    "LPSC1.0": Electrolyte(name="LPSC1.0", host_S_cm=ref.LPSC_SIGMA_S_cm.value),
    "LPSC1.0-91": Electrolyte(name="LPSC1.0-91", host_S_cm=ref.LPSC_SIGMA_S_cm.value, lgps_mass_fraction=0.1),
    "LPSC1.0-82": Electrolyte(name="LPSC1.0-82", host_S_cm=ref.LPSC_SIGMA_S_cm.value, lgps_mass_fraction=0.2),
    "LPSC1.0-73": Electrolyte(name="LPSC1.0-73", host_S_cm=ref.LPSC_SIGMA_S_cm.value, lgps_mass_fraction=0.3),
    "LPSC1.25-82": Electrolyte(name="LPSC1.25-82", host_S_cm=ref.LPSC125_SIGMA_S_cm.value,
                               lgps_mass_fraction=0.2),
    "LPSC1.5-82": Electrolyte(name="LPSC1.5-82", host_S_cm=ref.LPSC15_SIGMA_S_cm.value,
                              lgps_mass_fraction=0.2),
}
#: and their measured CCDs (mA/cm2)
SEED003_MEASURED_mA_cm2 = {"LPSC1.0": ref.LPSC_CCD_mA_cm2.value,
                           "LPSC1.0-91": ref.LPSC_LGPS91_CCD_mA_cm2.value,
                           "LPSC1.0-82": ref.LPSC_LGPS82_CCD_mA_cm2.value,
                           "LPSC1.0-73": ref.LPSC_LGPS73_CCD_mA_cm2.value,
                           "LPSC1.25-82": ref.LPSC125_LGPS82_CCD_mA_cm2.value,
                           "LPSC1.5-82": ref.LPSC15_LGPS82_CCD_mA_cm2.value}
CALIBRATION = "LPSC1.0-82"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaptureCCDStudy(Result):
    """Seed 003's six CCDs: one fitted, five predicted, with the microstructure statistics."""

    names: tuple
    measured_mA_cm2: np.ndarray
    predicted_mA_cm2: np.ndarray          # mean over generator seeds
    predicted_spread_mA_cm2: np.ndarray   # standard deviation over generator seeds
    per_seed_mA_cm2: np.ndarray           # (electrolyte, seed)
    area_share: np.ndarray                # mean over seeds
    current_share: np.ndarray
    attracted_share: np.ndarray           # phi, after the race of screened fronts
    connected_lgps_um: np.ndarray         # LGPS that can capture, per face area
    spanning_share: np.ndarray            # share of the draws whose anode-connected LGPS spans the volume
    failure_modes: tuple
    calibration: str
    capture_rate_mA_cm2: float
    generator_seeds: tuple
    parameters: dict

    title: ClassVar[str] = "Seed 003: CCD with dendrite capture by LGPS (one fitted, five predicted)"

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
        steps = {"rises with LGPS fraction": ("LPSC1.0", "LPSC1.0-91", "LPSC1.0-82", "LPSC1.0-73"),
                 "falls with host conductivity": ("LPSC1.5-82", "LPSC1.25-82", "LPSC1.0-82")}
        return {f"{trend} ({low} < {high})": bool(ccd[low] < ccd[high])
                for trend, names in steps.items() for low, high in zip(names, names[1:])}

    def summary(self):
        from ssblab.comparisons import comparison_rows

        p = self.parameters
        rows = [("fitted parameter: capture rate kappa (mA/cm2)", self.capture_rate_mA_cm2),
                ("generator seeds", ", ".join(map(str, self.generator_seeds))),
                ("race of screened fronts: growth per spacing h/lambda (assumption), exponent N",
                 f"{p['growth_per_spacing']:g}, {1 + 2 * math.pi * p['growth_per_spacing']:.2f}")]
        rows += [(f"{name}: LGPS area / current share at the anode face, attracted share phi; "
                  f"connected LGPS (um), spans",
                  f"{a:.3f} / {s:.3f}, {phi:.3f}; {um:.2f}, {span:.0%} of draws")
                 for name, a, s, phi, um, span in zip(self.names, self.area_share, self.current_share,
                                                      self.attracted_share, self.connected_lgps_um,
                                                      self.spanning_share)
                 if a > 0]
        rows += [(f"trend: {k}", "right" if v else "WRONG") for k, v in self.trends().items()]
        return rows + comparison_rows(self.seed_comparisons())

    def table(self):
        return [{"electrolyte": n, "measured CCD (mA/cm2)": float(x), "model CCD (mA/cm2)": float(m),
                 "sd over seeds": float(sd), "status": "fitted" if n == self.calibration else "predicted",
                 "failure": mode, "LGPS area share": float(a), "LGPS current share": float(s),
                 "attracted share": float(phi), "connected LGPS (um)": float(um),
                 "spanning share of draws": float(span)}
                for n, x, m, sd, mode, a, s, phi, um, span in zip(
                    self.names, self.measured_mA_cm2, self.predicted_mA_cm2, self.predicted_spread_mA_cm2,
                    self.failure_modes, self.area_share, self.current_share, self.attracted_share,
                    self.connected_lgps_um, self.spanning_share)]

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
    """Fit the capture rate on one seed-003 CCD and predict the others.

    ``shares`` maps each name of :data:`SEED003_ELECTROLYTES` to a list of
    ``(a, s, phi, lgps_um, spans)``, one per microstructure draw: the LGPS area and current
    shares at the anode face, the attracted share (:func:`screened_share`), the LGPS that can
    capture as a thickness per face area (um) and whether its cluster spans the volume
    (:func:`anode_connected_lgps_um`). Plain values:
    :func:`ssblab.workflows.multiscale.seed003_capture_study` computes them on generated 3D
    mixtures. The capture rate is fitted (bisection on the staircase, middle of the interval
    that gives the calibration CCD) on the mean shares of the calibration electrolyte; every
    electrolyte then runs the staircase with each draw's shares.

    Examples
    --------
    >>> shares = {"LPSC1.0": [(0.0, 0.0, 0.0, 0.0, False)],
    ...           "LPSC1.0-91": [(0.07, 0.09, 0.39, 0.2, False)],
    ...           "LPSC1.0-82": [(0.15, 0.19, 0.58, 35.0, True)],
    ...           "LPSC1.0-73": [(0.27, 0.32, 0.7, 90.0, True)],
    ...           "LPSC1.25-82": [(0.15, 0.16, 0.21, 35.0, True)],
    ...           "LPSC1.5-82": [(0.15, 0.13, 0.05, 35.0, True)]}
    >>> study = capture_ccd_study(shares)
    >>> [round(float(c), 1) for c in study.predicted_mA_cm2]
    [0.5, 0.7, 2.1, 2.7, 1.5, 1.3]
    """
    base = parameters or CaptureParameters()
    if calibration not in SEED003_ELECTROLYTES:
        raise InputError(f"calibration: expected one of {sorted(SEED003_ELECTROLYTES)}, "
                         f"found {calibration!r}")
    missing = sorted(set(SEED003_ELECTROLYTES) - set(shares))
    if missing:
        raise InputError(f"shares: expected an entry for every seed-003 electrolyte, missing {missing}")
    bad = sorted(n for n, v in shares.items() if any(len(x) != 5 for x in v))
    if bad:
        raise InputError(f"shares: expected (area share, current share, attracted share, connected LGPS um, "
                         f"spans) per draw, found another length for {bad}")
    spans = {n: [bool(x[4]) for x in v] for n, v in shares.items()}
    shares = {n: [tuple(float(y) for y in x[:4]) for x in v] for n, v in shares.items()}
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
        spanning = sum(spans[calibration])
        raise InputError(f"the capture model cannot reach {calibration}'s {target} mA/cm2: the LGPS "
                         f"connected to the anode is used up first (it spans the volume in {spanning} of "
                         f"{len(spans[calibration])} draws; a larger volume, e.g. --size 64, or another "
                         f"reach_um than {base.reach_um} um)")
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
    mean = {n: np.mean(shares[n], axis=0) for n in names}
    return CaptureCCDStudy(
        names=names, measured_mA_cm2=np.array([SEED003_MEASURED_mA_cm2[n] for n in names]),
        predicted_mA_cm2=per_seed.mean(axis=1),
        predicted_spread_mA_cm2=per_seed.std(axis=1, ddof=1) if len(seeds) > 1 else np.zeros(len(names)),
        per_seed_mA_cm2=per_seed, area_share=np.array([mean[n][0] for n in names]),
        current_share=np.array([mean[n][1] for n in names]),
        attracted_share=np.array([mean[n][2] for n in names]),
        connected_lgps_um=np.array([mean[n][3] for n in names]),
        spanning_share=np.array([np.mean(spans[n]) for n in names]),
        failure_modes=tuple(modes),
        calibration=calibration, capture_rate_mA_cm2=kappa, generator_seeds=seeds,
        parameters=dataclasses.asdict(fitted),
        provenance=provenance(generator_seeds=list(seeds),
                              shares={n: [list(x) + [span] for x, span in zip(v, spans[n])]
                                      for n, v in shares.items()},
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
