"""A critical-current-density estimate from the phase-field model under seed 003's staircase.

The current starts at 0.1 mA/cm2 and rises by 0.2 mA/cm2 every ``step_duration_h`` (plating
only: the model does not strip, so the window must be tall enough to hold all the Li the
staircase plates; :func:`staircase_window_rows` says how tall). The cell "fails" when the
leading tip runs ``failure_fraction`` of ``separator_thickness_um`` ahead of the mean front;
the estimated CCD is the current of the step in which that happens.

What this can and cannot claim: the model has no mechanics (no stress-driven cracking, no
creep of Li into pores), no electronic leakage and no interphase chemistry, which are what set
measured CCDs in sulfide cells. Its CCD is a *relative* index of how strongly the electrolyte's
conductivity map and the interface kinetics focus current; compare scenarios with each other,
not with measured mA/cm2.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ssblab import reference as ref
from ssblab.dendrite.electrolyte import ElectrolyteMap
from ssblab.dendrite.metrics import penetration_um
from ssblab.dendrite.phasefield import (
    ElectrodepositionSimulation,
    PhaseFieldParameters,
    flat_front_speed_um_h,
)
from ssblab.dendrite.solver import SolverMethod
from ssblab.errors import check_choice
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class PhaseFieldCCD(Result):
    """One staircase: the currents applied, the penetration after each, and the CCD."""

    label: str
    current_steps_mA_cm2: np.ndarray
    penetration_um: np.ndarray
    failure_penetration_um: float
    ccd_mA_cm2: float
    failed: bool

    title = "Critical current density (phase-field staircase)"

    def summary(self):
        ccd = (f"{self.ccd_mA_cm2:.2f}" if self.failed
               else f"> {self.current_steps_mA_cm2[-1]:.2f} (no failure)")
        return [("scenario", self.label), ("estimated CCD (mA/cm2)", ccd),
                ("failure penetration (um)", self.failure_penetration_um),
                ("steps run", len(self.current_steps_mA_cm2))]

    def table(self):
        return [{"scenario": self.label, "current_mA_cm2": i, "penetration_um": p}
                for i, p in zip(self.current_steps_mA_cm2, self.penetration_um)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.current_steps_mA_cm2, self.penetration_um, "o-", label=self.label)
        ax.axhline(self.failure_penetration_um, color="r", ls="--", lw=0.8, label="failure")
        ax.set_xlabel("current density of the step (mA/cm2)")
        ax.set_ylabel("tip ahead of the mean front (um)")
        ax.legend(fontsize=7)


def phasefield_ccd(electrolyte: ElectrolyteMap, *, label: str = "",
                   parameters: PhaseFieldParameters | None = None,
                   start_mA_cm2: float = 0.1, step_mA_cm2: float = 0.2, step_duration_h: float = 1.0,
                   max_current_mA_cm2: float = 5.0, failure_fraction: float = 0.1,
                   separator_thickness_um: float = 100.0, film_thickness_um: float = 10.0,
                   roughness_um: float = 0.5, solver: SolverMethod = "auto",
                   rng: int = 0) -> PhaseFieldCCD:
    """Run the CCD staircase on ``electrolyte`` and return the estimated CCD."""
    check_choice(solver, SolverMethod, name="solver")
    from ssblab.errors import InputError

    if not 0 < failure_fraction < 1:
        raise InputError(f"failure_fraction: expected 0 < value < 1, found {failure_fraction}")
    if start_mA_cm2 <= 0 or step_mA_cm2 <= 0 or step_duration_h <= 0:
        raise InputError("start_mA_cm2, step_mA_cm2 and step_duration_h must be > 0")
    failure_um = failure_fraction * separator_thickness_um
    currents_planned = staircase_currents(start_mA_cm2, step_mA_cm2, max_current_mA_cm2)
    rows = staircase_window_rows(currents_planned, step_duration_h=step_duration_h,
                                 film_thickness_um=film_thickness_um, failure_penetration_um=failure_um,
                                 spacing_um=electrolyte.spacing_um)
    if electrolyte.shape[0] < rows:
        raise InputError(f"electrolyte: the staircase plates "
                         f"{flat_front_speed_um_h(sum(currents_planned)) * step_duration_h:.0f} um of Li; "
                         f"the window needs at least {rows} rows, found {electrolyte.shape[0]}")
    sim = ElectrodepositionSimulation(electrolyte, parameters=parameters,
                                      current_density_mA_cm2=start_mA_cm2,
                                      film_thickness_um=film_thickness_um, roughness_um=roughness_um,
                                      stop_penetration_um=failure_um, solver=solver, rng=rng)
    currents, penetrations = [], []
    n_steps = len(currents_planned)
    for k in range(n_steps):
        current = start_mA_cm2 + k * step_mA_cm2
        sim.current_density_mA_cm2 = current
        end = sim.time_s + step_duration_h * 3600.0
        while sim.time_s < end - 1e-6 and not sim.stop_reason:
            sim.dt_s = min(sim.dt_s, end - sim.time_s)
            sim.run(1)
        currents.append(current)
        penetrations.append(penetration_um(sim.xi, electrolyte.spacing_um))
        if sim.stop_reason:
            break
    failed = bool(sim.stop_reason)
    return PhaseFieldCCD(label=label, current_steps_mA_cm2=np.array(currents),
                     penetration_um=np.array(penetrations),
                     failure_penetration_um=failure_um,
                     ccd_mA_cm2=currents[-1] if failed else float("nan"), failed=failed,
                     reason=sim.stop_reason,
                     provenance=provenance(label=label, start_mA_cm2=start_mA_cm2,
                                           step_mA_cm2=step_mA_cm2, step_duration_h=step_duration_h,
                                           failure_fraction=failure_fraction,
                                           separator_thickness_um=separator_thickness_um, rng=rng,
                                           parameters=dataclasses.asdict(sim.parameters)))


def staircase_currents(start_mA_cm2: float, step_mA_cm2: float, max_current_mA_cm2: float) -> list[float]:
    """The staircase's current steps.

    Examples
    --------
    >>> staircase_currents(0.1, 0.2, 0.9)
    [0.1, 0.3, 0.5, 0.7, 0.9]
    """
    n = int(np.floor((max_current_mA_cm2 - start_mA_cm2) / step_mA_cm2 + 1e-9)) + 1
    return [round(start_mA_cm2 + k * step_mA_cm2, 10) for k in range(n)]


def staircase_window_rows(currents_mA_cm2, *, step_duration_h: float, film_thickness_um: float,
                          failure_penetration_um: float, spacing_um: float) -> int:
    """Rows a window needs to hold the film, all the plated Li and a tip at the failure lead."""
    plated_um = flat_front_speed_um_h(sum(currents_mA_cm2)) * step_duration_h
    return int(np.ceil((film_thickness_um + plated_um + failure_penetration_um + 10.0) / spacing_um))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CCDStudyResult(Result):
    """Estimated CCDs across scenarios, beside seed 003's measured values."""

    labels: tuple
    ccd_mA_cm2: np.ndarray
    failed: np.ndarray
    runs: tuple
    measured_mA_cm2: dict

    title = "CCD estimates across electrolyte scenarios"

    def seed_comparisons(self):
        """The scenarios that are seed 003's electrolytes, beside its CCDs (nothing fitted).

        A scenario that never failed is compared through its highest step, a lower bound.
        """
        from ssblab.comparisons import PREDICTED, SeedComparison

        out = []
        for label, key in _SEED003_SCENARIOS.items():
            if label not in self.labels or key not in self.measured_mA_cm2:
                continue
            k = self.labels.index(label)
            failed = bool(self.failed[k])
            model = float(self.ccd_mA_cm2[k]) if failed else float(self.runs[k].current_steps_mA_cm2[-1])
            out.append(SeedComparison(seed="seed 003", unit="mA/cm2", model=model,
                                      measured=self.measured_mA_cm2[key],
                                      quantity=(f"phase-field CCD, {label}"
                                                + ("" if failed else " (no failure: > this)")),
                                      status=PREDICTED, note="a relative index (docs/dendrite.md)"))
        return out

    def summary(self):
        from ssblab.comparisons import comparison_rows

        rows = [(f"{label}: CCD (mA/cm2)", f"{c:.2f}" if f else f"> {r.current_steps_mA_cm2[-1]:.2f}")
                for label, c, f, r in zip(self.labels, self.ccd_mA_cm2, self.failed, self.runs)]
        return rows + comparison_rows(self.seed_comparisons())

    def table(self):
        return [{"scenario": label, "ccd_mA_cm2": c, "failed": bool(f)}
                for label, c, f in zip(self.labels, self.ccd_mA_cm2, self.failed)]

    def _draw(self, ax, **kwargs):
        y = np.arange(len(self.labels))
        shown = [c if f else r.current_steps_mA_cm2[-1] for c, f, r in
                 zip(self.ccd_mA_cm2, self.failed, self.runs)]
        ax.barh(y, shown, color=["C0" if f else "0.7" for f in self.failed])
        ax.set_yticks(y, self.labels, fontsize=7)
        ax.set_xlabel("estimated CCD (mA/cm2; grey: no failure up to this current)")


#: Seed 003 (Yu et al. 2024), symmetric Li cells, 0.1 mA/cm2 start, 0.2 mA/cm2 steps.
SEED003_CCD_mA_cm2 = {"LPSC1.0": ref.LPSC_CCD_mA_cm2.value,
                      "LPSC1.0-91 (10 % LGPS)": ref.LPSC_LGPS91_CCD_mA_cm2.value,
                      "LPSC1.0-82 (20 % LGPS)": ref.LPSC_LGPS82_CCD_mA_cm2.value}
#: ccd_study's scenarios that are seed 003's electrolytes
_SEED003_SCENARIOS = {"LPSC (homogeneous)": "LPSC1.0", "10 % LGPS": "LPSC1.0-91 (10 % LGPS)",
                      "20 % LGPS": "LPSC1.0-82 (20 % LGPS)"}


def ccd_study(*, width: int = 64, spacing_um: float = 1.0, radius_um: float = 5.0,
              parameters: PhaseFieldParameters | None = None, step_duration_h: float = 1.0,
              max_current_mA_cm2: float = 3.1, failure_fraction: float = 0.1,
              separator_thickness_um: float = 100.0, solver: SolverMethod = "auto",
              rng: int = 0) -> CCDStudyResult:
    """CCD against conductivity contrast, A fraction, voids and interfacial resistance.

    Each window is ``width`` cells wide and as tall as the staircase needs.
    """
    check_choice(solver, SolverMethod, name="solver")
    from ssblab.dendrite.electrolyte import LGPS_S_m, LPSC_S_m, add_voids, particle_map, uniform_map
    from ssblab.progress import progress

    parameters = parameters or PhaseFieldParameters()
    i0 = parameters.exchange_current_density_mA_cm2
    rows = staircase_window_rows(staircase_currents(0.1, 0.2, max_current_mA_cm2),
                                 step_duration_h=step_duration_h, film_thickness_um=10.0,
                                 failure_penetration_um=failure_fraction * separator_thickness_um,
                                 spacing_um=spacing_um)
    shape = (rows, width)

    def mixed(fraction, ratio):
        return particle_map(shape, spacing_um=spacing_um, fraction=fraction, radius_um=radius_um,
                            conductivity_S_m=(LPSC_S_m, ratio * LPSC_S_m), rng=rng)

    scenarios = [
        ("LPSC (homogeneous)", uniform_map(shape, spacing_um=spacing_um), parameters),
        ("10 % LGPS", mixed(0.1, LGPS_S_m / LPSC_S_m), parameters),
        ("20 % LGPS", mixed(0.2, LGPS_S_m / LPSC_S_m), parameters),
        ("20 % A, sigma_A/sigma_B = 5", mixed(0.2, 5.0), parameters),
        ("20 % A, sigma_A/sigma_B = 20", mixed(0.2, 20.0), parameters),
        ("LPSC + 5 % voids", add_voids(uniform_map(shape, spacing_um=spacing_um), fraction=0.05,
                                       radius_um=radius_um, rng=rng + 1), parameters),
        (f"LPSC, i0 = {10 * i0:g} mA/cm2 (lower interfacial resistance)",
         uniform_map(shape, spacing_um=spacing_um),
         dataclasses.replace(parameters, exchange_current_density_mA_cm2=10 * i0)),
        (f"LPSC, i0 = {i0 / 10:g} mA/cm2 (higher interfacial resistance)",
         uniform_map(shape, spacing_um=spacing_um),
         dataclasses.replace(parameters, exchange_current_density_mA_cm2=i0 / 10)),
    ]
    runs = [phasefield_ccd(emap, label=label, parameters=params, step_duration_h=step_duration_h,
                          max_current_mA_cm2=max_current_mA_cm2, failure_fraction=failure_fraction,
                          separator_thickness_um=separator_thickness_um, solver=solver, rng=rng)
            for label, emap, params in progress(scenarios, desc="CCD scenarios")]
    return CCDStudyResult(labels=tuple(r.label for r in runs),
                          ccd_mA_cm2=np.array([r.ccd_mA_cm2 for r in runs]),
                          failed=np.array([r.failed for r in runs]), runs=tuple(runs),
                          measured_mA_cm2=dict(SEED003_CCD_mA_cm2),
                          provenance=provenance(shape=list(shape), spacing_um=spacing_um,
                                                separator_thickness_um=separator_thickness_um,
                                                step_duration_h=step_duration_h,
                                                failure_fraction=failure_fraction, rng=rng,
                                                parameters=dataclasses.asdict(parameters)))
