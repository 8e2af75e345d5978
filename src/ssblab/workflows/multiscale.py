"""The multiscale pipeline: bulk conductivity -> microstructure -> separator -> cell.

One call runs, and records, every step:

1. bulk conductivity (a number, or an impedance / Arrhenius / MD result);
2. a pellet microstructure (generated at a relative density, or a user's labelled volume)
   solved for its effective conductivity and tortuosity;
3. the separator's area-specific resistance and, when a dendrite growth law is given, a CCD
   estimate from the model's current staircase;
4. the full cell's rate capability and cycle life, whose cycler-like table is read back by
   the lab-data layer's short detection when that is available.

Seed 000's cold- vs hot-pressed Li3InCl6 is the showcase (:func:`seed000_pipeline`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ssblab import reference as ref
from ssblab.errors import ConvergenceError, InputError
from ssblab.results import Result, conductivity_of, provenance


def anode_face_focusing(current_density_A_cm2: np.ndarray, *, axis: int = 2) -> float:
    """How much the microstructure concentrates current where Li meets the electrolyte.

    The mean current density of the top 1 % of the anode face (index 0 along ``axis``) divided
    by the face's mean (the applied current density). A dense electrolyte gives exactly 1;
    voids at the face and constrictions behind it give more.

    Examples
    --------
    >>> round(anode_face_focusing(np.ones((10, 10, 4))), 12)
    1.0
    """
    face = np.moveaxis(np.asarray(current_density_A_cm2, float), axis, 0)[0].ravel()
    face = np.nan_to_num(face)  # voids carry no current
    count = max(1, int(np.ceil(0.01 * face.size)))
    return float(np.sort(face)[-count:].mean() / face.mean())


@dataclasses.dataclass(frozen=True, kw_only=True)
class PipelineResult(Result):
    """Every intermediate of one multiscale run."""

    label: str
    bulk_S_cm: float
    relative_density: float
    conduction: Result
    separator_resistance_ohm_cm2: float
    composite_resistance_ohm_cm2: float
    rate: Result
    life: Result
    anode_focusing: float = float("nan")
    ccd_focusing_mA_cm2: float | None = None
    ccd: Result | None = None
    short: Result | None = None
    # over several generator seeds (the run above is the first): name -> one value per seed
    generator_seeds: tuple = ()
    seed_values: dict = dataclasses.field(default_factory=dict)
    comparisons: tuple = ()

    title: ClassVar[str] = "Multiscale pipeline"

    def seed_comparisons(self):
        return list(self.comparisons)

    def spread(self, name: str) -> tuple[float, float]:
        """Mean and standard deviation over the generator seeds of a recorded number."""
        values = np.asarray(self.seed_values[name], float)
        return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0

    def summary(self):
        rows = [("label", self.label or "-"), ("bulk conductivity / (S/cm)", self.bulk_S_cm),
                ("relative density", self.relative_density),
                ("effective conductivity / (S/cm)", self.conduction.sigma_eff_S_cm),
                ("tortuosity factor", self.conduction.tortuosity_factor),
                ("separator ASR / (ohm cm2)", self.separator_resistance_ohm_cm2),
                ("composite ASR / (ohm cm2)", self.composite_resistance_ohm_cm2),
                ("anode-face current focusing (top 1 % / mean)", self.anode_focusing)]
        if self.ccd_focusing_mA_cm2 is not None:
            rows.append(("CCD estimate, current focusing / (mA/cm2)", self.ccd_focusing_mA_cm2))
        rows += [(f"discharge capacity at {c:g} C / (mAh/g)", float(q))
                 for c, q in zip(self.rate.c_rates, self.rate.discharge_capacity_mAh_g)]
        if self.ccd is not None:
            rows.append(("CCD estimate, growth-law staircase / (mA/cm2)", self.ccd.ccd_mA_cm2))
        rows += [(f"life: {label}", value) for label, value in self.life.summary()[:4]]
        if self.short is not None:
            rows.append(("short detected in the simulated cycler table", self.short.detected))
        if self.generator_seeds:
            rows.append(("generator seeds (mean +- sd below)", ", ".join(map(str, self.generator_seeds))))
            rows += [(f"{name}, mean +- sd", "{:.4g} +- {:.2g}".format(*self.spread(name)))
                     for name in self.seed_values]
        from ssblab.comparisons import comparison_rows

        return rows + comparison_rows(self.comparisons)

    def table(self):
        return [{"label": self.label, "relative_density": self.relative_density,
                 "bulk_S_cm": self.bulk_S_cm, "sigma_eff_S_cm": self.conduction.sigma_eff_S_cm,
                 "tortuosity_factor": self.conduction.tortuosity_factor,
                 "separator_asr_ohm_cm2": self.separator_resistance_ohm_cm2,
                 **{f"capacity_{c:g}C_mAh_g": float(q) for c, q in
                    zip(self.rate.c_rates, self.rate.discharge_capacity_mAh_g)},
                 "anode_focusing": self.anode_focusing,
                 "ccd_focusing_mA_cm2": (self.ccd_focusing_mA_cm2
                                         if self.ccd_focusing_mA_cm2 is not None else ""),
                 "ccd_staircase_mA_cm2": self.ccd.ccd_mA_cm2 if self.ccd is not None else ""}]

    def _draw(self, ax, **kwargs):
        self.rate.plot(ax, **kwargs)


def multiscale_pipeline(bulk_conductivity, *, relative_density: float | None = None,
                        volume: np.ndarray | None = None, conductivities_S_cm=None,
                        shape: tuple[int, int, int] = (48, 48, 48), grain_radius_voxels: float = 4.0,
                        cell=None, c_rates: Sequence[float] = (0.1, 0.5, 1.0, 1.5),
                        n_cycles: int = 500, degradation=None, dendrite=None,
                        local_critical_current_mA_cm2: float | None = None,
                        exchange_current_mA_cm2: float = 1.0,
                        separator_thickness_cm: float | None = None, layers: Sequence[str] | None = None,
                        label: str = "",
                        rng: int | None = 0) -> PipelineResult:
    """Run bulk conductivity -> microstructure -> separator and CCD -> rate and life.

    Parameters
    ----------
    bulk_conductivity : float or result
        Bulk (grain) conductivity in S/cm, or a result carrying it.
    relative_density : float, optional
        Solid fraction of a generated pellet (voids insulating). Give this or ``volume``.
    volume : ndarray of int, optional
        A labelled voxel volume instead; ``conductivities_S_cm`` maps labels to S/cm (default:
        0 -> void, 1 -> bulk).
    cell : FullCell, optional
        The full cell; default seed 000's NCM83 | Li3InCl6 | Li6PS5Cl | Li
        (:func:`ssblab.cell.studies.seed000_cell`). Its solid electrolyte gets sigma_eff.
    layers : sequence of str, optional
        Names of the cell's separator layers made of this electrolyte (default: all; for the
        default cell only "Li3InCl6", the Li6PS5Cl interlayer keeping its 2.95 mS/cm).
    degradation : Degradation, optional
        Fade mechanisms of the life simulation (:class:`ssblab.cell.life.Degradation`);
        default none, so capacity changes only through what the pipeline computed.
    dendrite : growth law or dendrite growth result, optional
        With it, a CCD is estimated on a symmetric cell of the separator.
    local_critical_current_mA_cm2 : float, optional
        Current density at which the Li/electrolyte interface fails locally. With it the CCD is
        estimated as this value over the anode-face current focusing of the microstructure
        (a material property carried from one microstructure to another, not a prediction of
        its absolute value).
    """
    from ssblab.cell.full import rate_capability
    from ssblab.cell.life import Degradation, simulate_life
    from ssblab.cell.studies import seed000_cell
    from ssblab.microstructure.generate import pellet
    from ssblab.microstructure.solve import solve

    bulk = conductivity_of(bulk_conductivity)
    if (relative_density is None) == (volume is None):
        raise InputError("give exactly one of relative_density (a generated pellet) or volume")
    if volume is None:
        if rng is not None and not isinstance(rng, (int, np.integer)):
            raise InputError("rng: expected an integer generator seed (it is recorded in the provenance)")
        volume = pellet(shape, relative_density=relative_density,
                        grain_radius_voxels=grain_radius_voxels, rng=rng).labels
        volume_record = {"generated": "ssblab.microstructure.generate.pellet", "generator_seed": rng,
                         "grain_radius_voxels": grain_radius_voxels, "relative_density": relative_density}
    else:
        volume = np.asarray(volume)
        volume_record = {"given": True}
    volume_record.update(shape=list(np.shape(volume)), sha256=_volume_hash(volume))
    conductivities = conductivities_S_cm if conductivities_S_cm is not None else {0: 0.0, 1: bulk}
    conduction = solve(volume, conductivities, direction="z", keep_fields=True)
    if not conduction.ok:
        raise InputError(f"the microstructure does not conduct: {conduction.reason}")
    focusing = anode_face_focusing(conduction.current_density_A_cm2, axis=2)
    # The 3D fields served the focusing; the recorded result keeps the slices only.
    conduction = dataclasses.replace(conduction, potential_V=None, current_density_A_cm2=None)
    if cell is None:   # seed 000's stack: the Li6PS5Cl interlayer keeps its own conductivity
        cell, layers = seed000_cell(bulk), ("Li3InCl6",)
    cell = cell.with_conductivity(conduction, layers=layers)
    rate = rate_capability(cell, tuple(c_rates), label=label)
    life = simulate_life(cell, n_cycles=n_cycles, degradation=degradation or Degradation())
    ccd = _ccd_estimate(cell, conduction, dendrite, exchange_current_mA_cm2,
                        separator_thickness_cm) if dendrite is not None else None
    short = _short_check(life)
    return PipelineResult(
        label=label, bulk_S_cm=bulk, relative_density=float(np.mean(np.asarray(volume) > 0)),
        conduction=conduction, separator_resistance_ohm_cm2=cell.separator_resistance_ohm_cm2,
        composite_resistance_ohm_cm2=cell.composite_resistance_ohm_cm2, rate=rate, life=life,
        anode_focusing=focusing,
        ccd_focusing_mA_cm2=(local_critical_current_mA_cm2 / focusing
                             if local_critical_current_mA_cm2 is not None else None),
        ccd=ccd, short=short,
        reason="" if dendrite is not None or local_critical_current_mA_cm2 is not None else
        "neither a dendrite growth law nor a local critical current given: CCD not estimated",
        provenance=provenance(bulk_S_cm=bulk, relative_density=relative_density, c_rates=list(c_rates),
                              n_cycles=n_cycles, label=label, volume=volume_record,
                              conductivities_S_cm={str(k): float(v) for k, v in conductivities.items()},
                              cell=dataclasses.asdict(cell), degradation=dataclasses.asdict(degradation)
                              if degradation is not None else None,
                              exchange_current_mA_cm2=exchange_current_mA_cm2,
                              local_critical_current_mA_cm2=local_critical_current_mA_cm2))


def _volume_hash(volume) -> str:
    """SHA-256 of a labelled volume's shape, dtype and bytes (C order)."""
    import hashlib

    arr = np.ascontiguousarray(volume)
    digest = hashlib.sha256(f"{arr.shape}{arr.dtype.str}".encode())
    digest.update(arr.tobytes())
    return digest.hexdigest()


def _ccd_estimate(cell, conduction, dendrite, exchange_current_mA_cm2, separator_thickness_cm):
    from ssblab.cell.growth import CurrentDrivenGrowth
    from ssblab.cell.symmetric_model import SymmetricCell, model_ccd

    law = dendrite if isinstance(dendrite, CurrentDrivenGrowth) else \
        CurrentDrivenGrowth.from_growth_result(dendrite)
    thickness = separator_thickness_cm or sum(layer.thickness_cm for layer in cell.separator)
    symmetric = SymmetricCell(thickness_cm=thickness, conductivity_S_cm=conduction,
                              exchange_current_mA_cm2=exchange_current_mA_cm2, dendrite=law)
    return model_ccd(symmetric)


def _short_check(life):
    """Read the simulated cycler table back through the lab-data layer's short detection."""
    from ssblab.echem.celltests.short import detect_short

    return detect_short(life.to_cycler_data())


# Seed 000 (Li3InCl6, Li et al.): relative densities of the pellets whose rate tables the
# seed reports, and their CCDs (ssblab.reference).
SEED000_PELLETS = {"cold pressed (0.5 GPa)": ref.LIC_COLD_05GPA_DENSITY.value,
                   "hot pressed (0.5 GPa, 250 C)": ref.LIC_HOT_DENSITY.value}
SEED000_CCD_mA_cm2 = {"cold pressed (0.5 GPa)": ref.LIC_COLD_CCD_mA_cm2.value,
                      "hot pressed (0.5 GPa, 250 C)": ref.LIC_HOT_CCD_mA_cm2.value}


def seed000_pipeline(*, bulk_conductivity=None, shape=(48, 48, 48), n_cycles: int = 2000,
                     dendrite=None, rng: int = 0, generator_seeds: Sequence[int] | None = None
                     ) -> list[PipelineResult]:
    """Cold vs hot pressing: one bulk conductivity, two densities, two cells.

    The bulk value defaults to the microstructure layer's Li3InCl6 bulk estimate; the only
    difference between the two runs is the pellet's relative density. Capacity fade comes from
    interphase growth whose rate is fitted to the hot-pressed cell's 93.7 % retention after
    2000 cycles (:func:`ssblab.cell.studies.seed000_life_study`) and applied to both. The CCD
    estimate's local critical current is fitted on the cold-pressed CCD (1.2 mA/cm2) and
    carried to the hot-pressed microstructure, whose CCD it then predicts (seed: 4.0 mA/cm2).

    Every microstructure-dependent number is run for each of ``generator_seeds`` (default
    ``(rng, rng + 1, rng + 2)``); the returned results hold the first seed's intermediates and
    the per-seed values (``seed_values``), whose mean and spread the summary reports and the
    seed comparisons use.
    """
    from ssblab.cell.life import Degradation
    from ssblab.cell.studies import SEED000_MEASURED_MAH_G, SEED000_RATES_C, seed000_life_study
    from ssblab.comparisons import PREDICTED, SeedComparison
    from ssblab.microstructure.studies import LI3INCL6_BULK_S_cm

    seeds = tuple(generator_seeds) if generator_seeds is not None else (rng, rng + 1, rng + 2)
    if not seeds:
        raise InputError("generator_seeds: expected at least one seed")
    bulk = LI3INCL6_BULK_S_cm if bulk_conductivity is None else bulk_conductivity
    study = seed000_life_study()
    degradation = Degradation(interphase_growth_ohm_cm2_sqrt_h=study.fitted_growth_ohm_cm2_sqrt_h)
    runs = {label: [multiscale_pipeline(bulk, relative_density=density, shape=shape, n_cycles=n_cycles,
                                        degradation=degradation, dendrite=dendrite, label=label, rng=seed)
                    for seed in seeds]
            for label, density in SEED000_PELLETS.items()}
    cold_label, hot_label = SEED000_PELLETS
    # the local critical current is fitted per microstructure draw on the cold pellet's CCD
    local = [SEED000_CCD_mA_cm2[cold_label] * run.anode_focusing for run in runs[cold_label]]
    note = (f"CCD: local critical current {np.mean(local):.2f} mA/cm2 (mean over generator seeds "
            f"{list(seeds)}) fitted on the {cold_label} pellet's measured "
            f"{SEED000_CCD_mA_cm2[cold_label]} mA/cm2")
    out = []
    for label, per_seed in runs.items():
        ccd = [i_loc / run.anode_focusing for i_loc, run in zip(local, per_seed)]
        values = {"effective conductivity (S/cm)": [r.conduction.sigma_eff_S_cm for r in per_seed],
                  "tortuosity factor": [r.conduction.tortuosity_factor for r in per_seed],
                  "anode-face current focusing": [r.anode_focusing for r in per_seed],
                  "CCD estimate, current focusing (mA/cm2)": ccd}
        for c in per_seed[0].rate.c_rates:
            values[f"discharge capacity at {c:g} C (mAh/g)"] = [r.rate.capacity_at(c) for r in per_seed]
        route = "cold" if label == cold_label else "hot"
        comparisons = []
        for c, measured in zip(SEED000_RATES_C, SEED000_MEASURED_MAH_G[route]):
            key = f"discharge capacity at {c:g} C (mAh/g)"
            if np.isfinite(measured) and key in values:
                comparisons.append(SeedComparison(
                    seed="seed 000", quantity=f"{route} {c:g} C (one bulk value, density only)", unit="mAh/g",
                    model=float(np.mean(values[key])), measured=float(measured), status=PREDICTED,
                    note=f"sd {np.std(values[key], ddof=1) if len(seeds) > 1 else 0:.1f} "
                         "over generator seeds"))
        comparisons.append(SeedComparison(
            seed="seed 000", quantity=f"{route} CCD (current focusing)", unit="mA/cm2",
            model=float(np.mean(ccd)),
            measured=SEED000_CCD_mA_cm2[label],
            status=("fitted to seed 000's cold-pressed CCD (local critical current)" if route == "cold"
                    else PREDICTED),
            note=f"sd {np.std(ccd, ddof=1) if len(seeds) > 1 else 0:.2f} over generator seeds {list(seeds)}"))
        if route == "hot":
            comparisons.append(SeedComparison(
                seed="seed 000", quantity="hot retention after 2000 cycles at 0.5 C (seed000_cell)", unit="-",
                model=study.life_fit.retention_at(2000), measured=study.fit_retention,
                status="fitted to seed 000's 0.5 C retention (interphase growth k)"))
        first = per_seed[0]
        out.append(dataclasses.replace(
            first, ccd_focusing_mA_cm2=ccd[0], generator_seeds=seeds, seed_values=values,
            comparisons=tuple(comparisons),
            reason=note if label == cold_label else note + "; this one is predicted"))
    return out


# --- Seed 000's rate tables predicted from the microstructure (nothing fitted) ------------
# Each route: relative density of the pressed Li3InCl6 and its measured 25 C conductivity.
SEED000_ROUTES = {"cold pressed (0.5 GPa)": (ref.LIC_COLD_05GPA_DENSITY.value,
                                             ref.LIC_COLD_05GPA_SIGMA_S_cm.value),
                  "hot pressed (0.5 GPa, 250 C)": (ref.LIC_HOT_DENSITY.value, ref.LIC_HOT_SIGMA_S_cm.value)}
# Composite cathode, assumed (seed 000 gives none of it): NCM83:Li3InCl6 70:30 by mass, NCM
# particles of Chen 2020's 5.22 um radius, Li3InCl6 particles of 2 um, the composite pressed to
# the same relative density as the route's pellet; X-ray densities 4.78 / 2.716 g/cm3.
SEED000_COMPOSITE = dict(catholyte_mass_fraction=0.30, densities_g_cm3=(4.78, 2.716),
                         radii_um=(5.22, 2.0), loading_mg_cm2=10.0)


def composite_catholyte(relative_density: float, *, catholyte_mass_fraction: float = 0.30,
                        densities_g_cm3: tuple[float, float] = (4.78, 2.716),
                        radii_um: tuple[float, float] = (5.22, 2.0), voxel_um: float = 1.0,
                        shape: tuple[int, int, int] = (48, 48, 48), volume: np.ndarray | None = None,
                        rng: np.random.Generator | int | None = 0):
    """Ionic transport of the catholyte in a composite cathode: ``sigma_eff / sigma`` and tortuosity.

    A generated active material (label 1) + catholyte (label 2) mixture with voids (label 0)
    at ``relative_density`` (:func:`ssblab.microstructure.generate.mixture`), or a user's
    labelled ``volume`` with the same labels, solved with only the catholyte conducting (the
    active particles' Li+ transport is the cell model's particle diffusion). Returns the
    microstructure :class:`~ssblab.microstructure.solve.ConductionResult` at unit catholyte
    conductivity, so ``sigma_eff_S_cm`` is the geometric factor.
    """
    from ssblab.microstructure.generate import mixture
    from ssblab.microstructure.solve import solve

    if volume is None:
        volume = mixture(shape, fraction=catholyte_mass_fraction, basis="mass",
                         densities_g_cm3=densities_g_cm3, radii_voxels=tuple(r / voxel_um for r in radii_um),
                         relative_density=relative_density, rng=rng)
    result = solve(volume, [0.0, 0.0, 1.0], direction="z", voxel_size_cm=voxel_um * 1e-4, keep_fields=False)
    if not result.ok:
        raise InputError(f"the composite's catholyte does not percolate: {result.reason}")
    return result


@dataclasses.dataclass(frozen=True, kw_only=True)
class RatePrediction(Result):
    """Seed 000's cold and hot rate tables predicted over several generated microstructures.

    ``capacity_mAh_g[route][k, j]``: generator seed ``k``, C-rate ``j``. Nothing is fitted to
    the rate tables: the inputs are the measured pellet conductivities and densities, the
    assumed cell (:func:`ssblab.cell.studies.seed000_cell`) and generated microstructures.
    """

    routes: tuple
    c_rates: np.ndarray
    generator_seeds: tuple
    capacity_mAh_g: dict
    measured_rates_C: np.ndarray
    measured_mAh_g: dict
    pellet_factor: dict
    catholyte_factor: dict
    catholyte_tortuosity: dict
    catholyte_sigma_eff_S_cm: dict
    composite_model: str = "porous"

    title: ClassVar[str] = "Seed 000: rate tables predicted from microstructure (porous composite)"

    def mean(self, route: str) -> np.ndarray:
        return np.mean(self.capacity_mAh_g[route], axis=0)

    def spread(self, route: str) -> np.ndarray:
        """Standard deviation over the generator seeds (0 for a single seed)."""
        values = np.asarray(self.capacity_mAh_g[route])
        return values.std(axis=0, ddof=1) if values.shape[0] > 1 else np.zeros(values.shape[1])

    def gap_share(self, c_rate: float) -> tuple[float, float]:
        """Share of the measured hot - cold gap at ``c_rate`` the model gives: mean and spread."""
        cold, hot = self.routes
        j = int(np.argmin(np.abs(self.c_rates - c_rate)))
        m = int(np.argmin(np.abs(self.measured_rates_C - c_rate)))
        gap = self.measured_mAh_g[hot][m] - self.measured_mAh_g[cold][m]
        shares = (np.asarray(self.capacity_mAh_g[hot])[:, j]
                  - np.asarray(self.capacity_mAh_g[cold])[:, j]) / gap
        return float(shares.mean()), float(shares.std(ddof=1)) if shares.size > 1 else 0.0

    def seed_comparisons(self):
        from ssblab.comparisons import PREDICTED, SeedComparison

        out = []
        for route in self.routes:
            mean, spread = self.mean(route), self.spread(route)
            for c, measured in zip(self.measured_rates_C, self.measured_mAh_g[route]):
                if not np.isfinite(measured):
                    continue
                j = int(np.argmin(np.abs(self.c_rates - c)))
                out.append(SeedComparison(seed="seed 000", quantity=f"{route.split()[0]} {c:g} C",
                                          unit="mAh/g",
                                          model=float(mean[j]), measured=float(measured), status=PREDICTED,
                                          note=f"+- {spread[j]:.1f} over generator seeds "
                                               f"{list(self.generator_seeds)}"))
        return out

    def summary(self):
        from ssblab.comparisons import comparison_rows

        rows = [("generator seeds", ", ".join(map(str, self.generator_seeds))),
                ("composite model", self.composite_model)]
        for route in self.routes:
            name = route.split()[0]
            rows += [(f"{name}: catholyte sigma_eff (S/cm), mean",
                      float(np.mean(self.catholyte_sigma_eff_S_cm[route]))),
                     (f"{name}: catholyte tortuosity factor, mean",
                      float(np.mean(self.catholyte_tortuosity[route]))),
                     (f"{name}: capacities (mAh/g) at " + ", ".join(f"{c:g}" for c in self.c_rates) + " C",
                      " ".join(f"{m:.0f}+-{s:.0f}" for m, s in zip(self.mean(route), self.spread(route))))]
        for c in (0.5, 1.0):
            share, spread = self.gap_share(c)
            rows.append((f"share of the measured hot-cold gap at {c:g} C [predicted]",
                         f"{share:.2f} +- {spread:.2f}"))
        return rows + comparison_rows(self.seed_comparisons())

    def table(self):
        rows = []
        for route in self.routes:
            values = np.asarray(self.capacity_mAh_g[route])
            for k, seed in enumerate(self.generator_seeds):
                rows.append({"route": route, "generator seed": seed,
                             **{f"{c:g} C (mAh/g)": float(v) for c, v in zip(self.c_rates, values[k])}})
        return rows

    def _draw(self, ax, **kwargs):
        for route, color in zip(self.routes, ("C0", "C3")):
            ax.errorbar(self.c_rates, self.mean(route), yerr=self.spread(route), color=color, capsize=2,
                        label=f"{route.split()[0]}, predicted")
            ax.plot(self.measured_rates_C, self.measured_mAh_g[route], "o", color=color,
                    label=f"{route.split()[0]}, seed 000")
        ax.set_xlabel("C-rate (1/h)")
        ax.set_ylabel("discharge capacity (mAh/g)")
        ax.legend(fontsize=7)


def seed000_rate_prediction(*, generator_seeds: Sequence[int] = (0, 1, 2), shape=(48, 48, 48),
                            c_rates: Sequence[float] = (0.1, 0.2, 0.5, 1.0, 1.5, 2.0),
                            composite_model: str = "porous", grain_radius_voxels: float = 4.0,
                            steps_per_half_cycle: int = 150) -> RatePrediction:
    """Predict seed 000's cold- and hot-pressed rate tables (Li3InCl6 catholyte and separator).

    For each route and generator seed:

    1. the route's measured pellet conductivity is divided by the geometric factor of a
       generated pellet at its relative density: the void-free Li3InCl6 conductivity of that
       route (its grain boundaries included, its voids not);
    2. a generated NCM83 + Li3InCl6 composite at the same relative density
       (:func:`composite_catholyte`) gives the catholyte's effective conductivity and
       tortuosity;
    3. the full cell (:func:`ssblab.cell.studies.seed000_cell`: the Li3InCl6 layer at the
       measured pellet conductivity, the Li6PS5Cl interlayer at its own 2.95 mS/cm, composite
       thickness from the loading and the relative density) runs the rate table with the
       composite resolved through its thickness.

    Nothing is fitted to the rate tables.
    """
    from ssblab.cell.full import rate_capability
    from ssblab.cell.studies import SEED000_MEASURED_MAH_G, SEED000_RATES_C, seed000_cell
    from ssblab.microstructure.generate import pellet, volume_fraction
    from ssblab.microstructure.solve import solve

    comp = SEED000_COMPOSITE
    rho_am, rho_se = comp["densities_g_cm3"]
    w = comp["catholyte_mass_fraction"]
    solid_cm3_cm2 = comp["loading_mg_cm2"] * 1e-3 * (1 / rho_am + w / (1 - w) / rho_se)
    caps, pf, cf, ct, cs = {}, {}, {}, {}, {}
    for route, (density, measured) in SEED000_ROUTES.items():
        caps[route], pf[route], cf[route], ct[route], cs[route] = [], [], [], [], []
        for seed in generator_seeds:
            labels = pellet(shape, relative_density=density, grain_radius_voxels=grain_radius_voxels,
                            rng=seed).labels
            factor = solve(labels, {0: 0.0, 1: 1.0}, keep_fields=False).sigma_eff_S_cm
            catholyte = composite_catholyte(density, catholyte_mass_fraction=w,
                                            densities_g_cm3=(rho_am, rho_se), radii_um=comp["radii_um"],
                                            shape=shape, rng=seed)
            intrinsic = measured / factor
            sigma_cat = intrinsic * catholyte.sigma_eff_S_cm
            cell = seed000_cell(measured, catholyte_conductivity_S_cm=intrinsic,
                                catholyte_effective_conductivity_S_cm=sigma_cat,
                                catholyte_volume_fraction=density * volume_fraction(w, (rho_am, rho_se)),
                                cathode_thickness_cm=solid_cm3_cm2 / density, composite_model=composite_model)
            rate = rate_capability(cell, tuple(c_rates), steps_per_half_cycle=steps_per_half_cycle,
                                   label=route)
            caps[route].append(rate.discharge_capacity_mAh_g)
            pf[route].append(factor), cf[route].append(catholyte.sigma_eff_S_cm)
            ct[route].append(catholyte.tortuosity_factor), cs[route].append(sigma_cat)
    measured = {route: np.array(SEED000_MEASURED_MAH_G["cold" if route.startswith("cold") else "hot"])
                for route in SEED000_ROUTES}
    return RatePrediction(
        routes=tuple(SEED000_ROUTES), c_rates=np.asarray(c_rates, float),
        generator_seeds=tuple(generator_seeds),
        capacity_mAh_g={r: np.array(v) for r, v in caps.items()},
        measured_rates_C=np.array(SEED000_RATES_C), measured_mAh_g=measured,
        pellet_factor={r: np.array(v) for r, v in pf.items()},
        catholyte_factor={r: np.array(v) for r, v in cf.items()},
        catholyte_tortuosity={r: np.array(v) for r, v in ct.items()},
        catholyte_sigma_eff_S_cm={r: np.array(v) for r, v in cs.items()}, composite_model=composite_model,
        provenance=provenance(generator_seeds=list(generator_seeds), shape=shape,
                              grain_radius_voxels=grain_radius_voxels,
                              routes=SEED000_ROUTES, composite=comp, c_rates=list(c_rates),
                              composite_model=composite_model, voxel_um=1.0))


# --- Seed 003: dendrite capture by LGPS on generated 3D mixtures ---------------------------
def lgps_face_shares(host_S_cm: float, lgps_mass_fraction: float, *,
                     lgps_S_cm: float = ref.LGPS_SIGMA_S_cm.value,
                     densities_g_cm3: tuple[float, float] = (1.87, 2.04),
                     radii_um: tuple[float, float] = (5.0, 3.0),
                     relative_density: float = 1.0, shape=(48, 48, 48), growth_per_spacing: float = 1.0,
                     reach_um: float = 500.0, rng: int = 0) -> tuple[float, float, float, float, bool]:
    """LGPS area share ``a``, current share ``s`` and attracted share ``phi`` at the anode face;
    the LGPS connected to the anode (um per face area) and whether it spans the volume.

    On a generated mixture (1-um voxels) solved at the given conductivities: ``a`` and ``s`` at
    the anode face (index 0 along z); ``phi`` from the face's current densities after the race
    of screened fronts (:func:`ssblab.dendrite.capture.screened_share` with
    ``growth_per_spacing``); the connected LGPS from
    :func:`ssblab.dendrite.capture.anode_connected_lgps_um` (a spanning cluster continues to
    ``reach_um``). LPSC particles larger than LGPS ones, as seed 003 reports (radii 5 and 3 um:
    assumption on the values); the phases' X-ray densities (``microstructure.studies``). ``rng``
    seeds the generator; nothing else is random.

    Examples
    --------
    >>> lgps_face_shares(1e-3, 0.0)
    (0.0, 0.0, 0.0, 0.0, False)
    """
    from ssblab.dendrite.capture import anode_connected_lgps_um, screened_share
    from ssblab.microstructure.generate import mixture
    from ssblab.microstructure.solve import solve

    if lgps_mass_fraction == 0:
        return 0.0, 0.0, 0.0, 0.0, False
    labels = mixture(shape, fraction=lgps_mass_fraction, basis="mass", densities_g_cm3=densities_g_cm3,
                     radii_voxels=tuple(radii_um), relative_density=relative_density, rng=rng)
    conductivities = [0.0, host_S_cm, lgps_S_cm]
    r = solve(labels, conductivities, direction="z", keep_fields=True)
    if not r.ok:  # a current share from an unconverged solve is not a number to average
        raise ConvergenceError(f"LGPS mixture (generator seed {rng}): {r.reason}")
    face = r.current_density_A_cm2[:, :, 0]
    phi = screened_share(face, labels[:, :, 0] == 2, growth_per_spacing=growth_per_spacing)
    lgps_um, spans = anode_connected_lgps_um(labels, 2, voxel_um=1.0, reach_um=reach_um)
    return (float(r.inlet_area_share.get(2, 0.0)), float(r.inlet_current_share.get(2, 0.0)), phi,
            lgps_um, spans)


def seed003_capture_study(*, generator_seeds: Sequence[int] = (0, 1, 2), shape=(64, 64, 64),
                          relative_density: float = 1.0, parameters=None, calibration: str = "LPSC1.0-82"):
    """Seed 003's six CCDs with dendrite capture: shares from generated 3D mixtures, one fit.

    For each electrolyte of :data:`ssblab.dendrite.capture.SEED003_ELECTROLYTES` and each
    generator seed, :func:`lgps_face_shares` on a mixture at the seed's LGPS mass fraction and
    measured conductivities (with ``parameters``' growth per spacing and reach); then
    :func:`ssblab.dendrite.capture.capture_ccd_study` fits the capture rate on ``calibration``
    and predicts the others. The default 64^3 um volume is large enough for the 20 % mixture's
    LGPS to span it in every draw tried (at 48^3 it spans in half of them: the mixture is near
    its percolation threshold; docs/validation.md).
    """
    from ssblab.dendrite.capture import SEED003_ELECTROLYTES, CaptureParameters, capture_ccd_study

    seeds = tuple(generator_seeds)
    if not seeds:
        raise InputError("generator_seeds: expected at least one seed")
    parameters = parameters or CaptureParameters()
    shares = {name: [lgps_face_shares(e.host_S_cm, e.lgps_mass_fraction, lgps_S_cm=e.lgps_S_cm,
                                      densities_g_cm3=(e.host_density_g_cm3, e.lgps_density_g_cm3),
                                      relative_density=relative_density, shape=shape,
                                      growth_per_spacing=parameters.growth_per_spacing,
                                      reach_um=parameters.reach_um, rng=seed)
                     for seed in seeds]
              for name, e in SEED003_ELECTROLYTES.items()}
    return capture_ccd_study(shares, parameters=parameters, calibration=calibration, generator_seeds=seeds,
                             provenance_inputs=dict(shape=list(shape), relative_density=relative_density,
                                                    radii_um=[5.0, 3.0], voxel_um=1.0))


def pipeline_report(results, report=None):
    """One section per pipeline step and run, with every intermediate's figure."""
    from ssblab.report import Report

    report = report or Report("Multiscale pipeline")
    for result in results:
        if not hasattr(result, "conduction"):      # the rate-table prediction
            report.add(result, table=True)
            continue
        report.add(result, heading=f"{result.label}: summary", table=True, figures=[])
        conduction = result.conduction
        report.add(conduction, heading=f"{result.label}: microstructure",
                   figures=conduction.figures() if conduction.ok and hasattr(conduction, "figures")
                   else None)
        report.add(result.rate, heading=f"{result.label}: rate capability")
        report.add(result.life, heading=f"{result.label}: cycle life")
        if result.ccd is not None:
            report.add(result.ccd, heading=f"{result.label}: CCD estimate")
    return report
