"""Seed 003's phase-field study: does the deposit prefer the more conductive phase A?

Particles of A (20 % by area in seed 003, LGPS in LPSC1.0) in a host B; sigma_A / sigma_B =
1, 1.47 (LGPS / LPSC1.0, seed 003), 5 and 20 on the same particle arrangement. The preference for A is
the fraction of the deposited Li inside A divided by A's area fraction in the band the deposit
swept (1 = no preference).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ssblab.dendrite.electrolyte import LGPS_S_m, LPSC_S_m, particle_map
from ssblab.dendrite.metrics import GrowthResult, growth_result
from ssblab.dendrite.phasefield import ElectrodepositionSimulation, PhaseFieldParameters
from ssblab.dendrite.solver import SolverMethod
from ssblab.errors import check_choice
from ssblab.progress import progress
from ssblab.results import Result, provenance

SEED003_RATIOS = (1.0, LGPS_S_m / LPSC_S_m, 5.0, 20.0)


def run_for(sim: ElectrodepositionSimulation, duration_h: float, *, max_steps: int = 200_000):
    """Advance ``sim`` until ``duration_h`` of simulated time (or a stop); return it."""
    end = duration_h * 3600.0
    for _ in range(max_steps):
        if sim.time_s >= end or sim.stop_reason:
            break
        sim.dt_s = min(sim.dt_s, end - sim.time_s + 1e-9)
        sim.run(1)
    return sim


@dataclasses.dataclass(frozen=True, kw_only=True)
class RatioStudyResult(Result):
    """Preference of the deposit for phase A against the conductivity ratio."""

    ratios: np.ndarray
    preference_A: np.ndarray
    li_fraction_A: np.ndarray
    area_fraction_A: np.ndarray
    penetration_um: np.ndarray
    branches: np.ndarray
    runs: tuple

    title = "Deposit preference for the more conductive phase (seed 003)"

    def summary(self):
        rows = []
        for r, p, li, area, pen, b in zip(self.ratios, self.preference_A, self.li_fraction_A,
                                          self.area_fraction_A, self.penetration_um, self.branches):
            rows.append((f"sigma_A/sigma_B = {r:.3g}: Li in A / area of A (-)",
                         f"{li:.3f} / {area:.3f} = {p:.3f}; penetration {pen:.2f} um; branches {b}"))
        return rows

    def table(self):
        return [{"sigma_A_over_sigma_B": r, "preference_A": p, "li_fraction_A": li,
                 "area_fraction_A": a, "penetration_um": pen, "branches": int(b)}
                for r, p, li, a, pen, b in zip(self.ratios, self.preference_A, self.li_fraction_A,
                                               self.area_fraction_A, self.penetration_um, self.branches)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.ratios, self.preference_A, "o-")
        ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
        # at least +-10 % around 1 (no preference): a 0.4 % effect must not fill the axes
        values = np.asarray(self.preference_A, dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            ax.set_ylim(min(0.9, values.min() - 0.02), max(1.1, values.max() + 0.02))
        ax.set_xscale("log")
        ax.set_xlabel("sigma_A / sigma_B (-)")
        ax.set_ylabel("Li in A / area of A (-)")

    def plot_deposits(self):
        """The final deposits side by side, particle outlines in white."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(self.runs), figsize=(3.2 * len(self.runs), 3.4),
                                 layout="constrained", squeeze=False)
        for ax, run, ratio in zip(axes[0], self.runs, self.ratios):
            ny, nx = run.order_parameter.shape
            extent = (0, nx * run.spacing_um, 0, ny * run.spacing_um)
            ax.imshow(run.order_parameter, origin="lower", extent=extent, vmin=0, vmax=1)
            ax.contour(run.labels, levels=[0.5], colors="w", linewidths=0.5, origin="lower",
                       extent=extent)
            ax.set_title(f"sigma_A/sigma_B = {ratio:.3g}")
            ax.set_xlabel("x (um)")
        axes[0][0].set_ylabel("distance from the Li electrode (um)")
        return fig


def conductivity_ratio_study(ratios=SEED003_RATIOS, *, fraction: float = 0.2,
                             radius_um: float = 6.0, shape: tuple[int, int] = (96, 96),
                             spacing_um: float = 1.0, host_conductivity_S_m: float = LPSC_S_m,
                             current_density_mA_cm2: float = 1.0, duration_h: float = 5.0,
                             parameters: PhaseFieldParameters | None = None,
                             film_thickness_um: float = 10.0, roughness_um: float = 0.5,
                             snapshot_interval: int = 0, solver: SolverMethod = "auto",
                             rng: int = 0) -> RatioStudyResult:
    """Grow Li into the same A-in-B arrangement at each conductivity ratio (galvanostatic)."""
    check_choice(solver, SolverMethod, name="solver")
    parameters = parameters or PhaseFieldParameters()
    runs: list[GrowthResult] = []
    for ratio in progress(list(ratios), desc="conductivity ratios"):
        emap = particle_map(shape, spacing_um=spacing_um, fraction=fraction, radius_um=radius_um,
                            conductivity_S_m=(host_conductivity_S_m, ratio * host_conductivity_S_m),
                            rng=rng)
        sim = ElectrodepositionSimulation(emap, parameters=parameters,
                                          current_density_mA_cm2=current_density_mA_cm2,
                                          film_thickness_um=film_thickness_um,
                                          roughness_um=roughness_um, solver=solver,
                                          snapshot_interval=snapshot_interval, rng=rng)
        runs.append(growth_result(run_for(sim, duration_h)))
    return RatioStudyResult(
        ratios=np.asarray(ratios, dtype=float),
        preference_A=np.array([r.preference[1] for r in runs]),
        li_fraction_A=np.array([r.li_fraction_by_phase[1] for r in runs]),
        area_fraction_A=np.array([r.area_fraction_by_phase[1] for r in runs]),
        penetration_um=np.array([r.penetration_um for r in runs]),
        branches=np.array([r.branches for r in runs]),
        runs=tuple(runs),
        provenance=provenance(ratios=list(ratios), fraction=fraction, radius_um=radius_um,
                              shape=list(shape), spacing_um=spacing_um,
                              current_density_mA_cm2=current_density_mA_cm2, duration_h=duration_h,
                              parameters=dataclasses.asdict(parameters), rng=rng))
