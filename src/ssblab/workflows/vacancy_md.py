"""Composition -> vacancy-ordered supercells -> MD at several temperatures -> Arrhenius to 300 K.

Seed 000's atomistic argument as a workflow: the Rietveld refinement of cold- and hot-pressed
Li3InCl6 reports Li, In and Cl vacancy fractions and a cell volume for each; does the
hot-pressed composition conduct better, with a lower activation energy?

For each composition (:class:`ssblab.materials.defects.CompositionSpec`) the framework (a fully
occupied structure whose sites can hold each species) is scaled isotropically to the refined
cell volume, turned
into ``n_configurations`` explicit, neutral, low-Ewald-energy vacancy configurations
(:func:`ssblab.materials.defects.order_vacancies`, whose rule is stated there), and each
configuration is run by MD at every temperature in its own run directory
(:mod:`ssblab.atomistic.md`: checkpoints, exact resume). A study interrupted at any point is
continued by calling it again with the same ``run_root``: finished runs are read, unfinished
ones resumed, missing ones started. Each run gives the collective (charge) diffusion
coefficient and the Nernst-Einstein conductivity with block-averaged errors; the configurations
at one temperature are averaged (errors combined in quadrature) and the Arrhenius fit of
sigma*T carries its covariance to the 300 K extrapolation. The comparison reports the
difference of activation energies and the conductivity ratio at 300 K with their errors, so a
"more conductive" verdict is only given when the data support it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ssblab.atomistic.batch_md import BATCH_THERMOSTATS
from ssblab.atomistic.md import Thermostat
from ssblab.atomistic.potentials import Device
from ssblab.errors import InputError, check_choice, require_package
from ssblab.materials.defects import CompositionSpec
from ssblab.results import Measured, Result, provenance

#: A run enters the Arrhenius fit only if D can be measured: its Li MSD is linear in the fit
#: window (``transport.MAX_SLOPE_RATIO``) and D is significant (> 2 standard errors). A mobile
#: framework is a prediction of the model, not a failed measurement: it is reported
#: (``D_framework_over_Li``; flagged above this ratio) but does not exclude a run.
FRAMEWORK_MOBILE_RATIO = 0.1


@dataclasses.dataclass(frozen=True, kw_only=True)
class VacancyMDStudy(Result):
    """Per-run transport, per-composition Arrhenius fits and the comparison of the first two."""

    labels: tuple = ()
    runs: tuple = ()             # one dict per (composition, configuration, temperature)
    fits: tuple = ()             # ArrheniusResult per composition (conductivity)
    references: tuple = ()       # the published numbers per composition, for display
    delta_ea_eV: Measured = Measured(math.nan, math.nan, "eV")
    sigma_ratio_300K: Measured = Measured(math.nan, math.nan, "")
    verdict: str = ""

    title = "Vacancy-ordered MD study"

    def summary(self):
        rows = []
        for label, fit, ref in zip(self.labels, self.fits, self.references):
            mine = [r for r in self.runs if r["composition"] == label]
            rows.append((f"{label}: runs used / made (framework mobile)",
                         f"{sum(r['used'] for r in mine)} / {len(mine)} "
                         f"({sum(r['framework_mobile'] for r in mine)})"))
            rows.append((f"{label}: Ea (eV)", fit.activation_energy_eV if fit.ok else fit.reason))
            rows.append((f"{label}: sigma at {fit.target_K:g} K (S/cm)", _extrapolation(fit)))
            if ref:
                rows.append((f"{label}: published (MD)", ", ".join(
                    f"{k} = {v:g}" for k, v in ref.items())))
        if len(self.labels) >= 2:
            for t, ratio in self.tracer_ratio_by_T():
                rows.append((f"tracer D ratio at {t:g} K (no extrapolation)", ratio))
            rows += [(f"Ea({self.labels[1]}) - Ea({self.labels[0]}) (eV)", self.delta_ea_eV),
                     ("sigma ratio at 300 K", self.sigma_ratio_300K), ("verdict", self.verdict)]
        from ssblab.comparisons import comparison_rows

        return rows + comparison_rows(self.seed_comparisons())

    def seed_comparisons(self):
        """The fitted Arrhenius numbers beside the published MD ones (predicted: never used)."""
        from ssblab.comparisons import PREDICTED, SeedComparison

        out = []
        for label, fit, ref in zip(self.labels, self.fits, self.references):
            if not (ref and fit.ok):
                continue
            if "activation_energy_eV" in ref:
                out.append(SeedComparison(seed="seed 000", quantity=f"{label}: Ea vs the authors' MD",
                                          unit="eV",
                                          model=float(fit.activation_energy_eV.value),
                                          measured=float(ref["activation_energy_eV"]), status=PREDICTED))
            if "conductivity_300K_S_cm" in ref and abs(fit.target_K - 300) < 1:
                out.append(SeedComparison(seed="seed 000",
                                          quantity=f"{label}: sigma(300 K) vs the authors' MD",
                                          unit="S/cm", model=float(fit.extrapolated.value),
                                          measured=float(ref["conductivity_300K_S_cm"]), status=PREDICTED))
        return out

    def table(self):
        return [dict(r) for r in self.runs]

    def tracer_ratio_by_T(self):
        """(T, Measured ratio) of the second composition's Li tracer D over the first's, per
        temperature where both have usable runs (configuration means, errors in quadrature)."""
        out = []
        for t in sorted({r["temperature_K"] for r in self.runs}):
            means = []
            for label in self.labels[:2]:
                rows = [r for r in self.runs if r["composition"] == label
                        and r["temperature_K"] == t and r["used"]]
                if not rows:
                    break
                d = np.array([r["D_tracer_cm2_s"] for r in rows])
                e = np.array([r["D_tracer_stderr_cm2_s"] for r in rows])
                means.append((d.mean(), math.sqrt(np.sum(e ** 2)) / len(rows)))
            if len(means) == 2:
                (a, sa), (b, sb) = means
                out.append((t, Measured(b / a, b / a * math.hypot(sa / a, sb / b), "")))
        return out

    def _draw(self, ax, **kwargs):
        for label, fit in zip(self.labels, self.fits):
            t = np.asarray(fit.temperatures_K)
            if t.size == 0:
                continue
            points = ax.errorbar(1000.0 / t, fit.values, yerr=fit.stderrs, fmt="o", label=label)
            colour = points[0].get_color()
            if fit.ok:
                # the fitted line over the simulated temperatures only: an extrapolation to
                # 300 K over decades would look like data; its value is in the summary
                grid = np.linspace(t.min(), t.max(), 50)
                ax.plot(1000.0 / grid, fit.predict(grid), "-", lw=1, color=colour)
        ax.set_yscale("log")
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("conductivity (S/cm)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)


def _extrapolation(fit):
    """The extrapolated conductivity, or why it is not a number to use."""
    if not fit.ok:
        return "-"
    value = fit.extrapolated
    ea = fit.activation_energy_eV
    if ea.value <= 0:
        return f"not determined: Ea = {ea} is not positive (no thermally activated trend)"
    if not (value.relative_error < 1):
        return f"not determined: {value} (error larger than the value)"
    return value


def vacancy_md_study(framework, compositions: Sequence[CompositionSpec], *,
                     oxidation_states: Mapping[str, float], run_root: str | Path,
                     temperatures_K: Sequence[float] = (600.0, 700.0, 800.0),
                     supercell=(1, 1, 1), n_configurations: int = 2,
                     potential: Any = "chgnet", device: Device = "cpu", timestep_fs: float = 2.0,
                     equilibration_steps: int = 500, production_steps: int = 5000,
                     save_interval: int = 10, thermostat: Thermostat = "langevin",
                     pressure_GPa: float | None = None, mobile: str = "Li",
                     n_blocks: int = 8, target_K: float = 300.0, balance_species: str = "Li",
                     md_options: Mapping[str, Any] | None = None, batch_size: int = 1,
                     rng: int = 0) -> VacancyMDStudy:
    """Run (or continue) the study and analyse it; see the module docstring.

    ``framework`` is a pymatgen Structure whose every site is fully occupied by the species
    that may sit there. The first two compositions are compared (second minus first).
    ``md_options`` go to :func:`ssblab.atomistic.md.start` (e.g. ``friction_per_fs``,
    ``tdamp_fs``, ``calculator_options``). ``batch_size`` above 1 advances up to that many
    runs together (:mod:`ssblab.atomistic.batch_md`: one CHGNet forward pass for all of them;
    the same trajectories as one by one; Langevin or NVE at constant volume only).
    """
    check_choice(device, Device, name="device")
    check_choice(thermostat, Thermostat, name="thermostat")
    if int(batch_size) < 1:
        raise InputError(f"batch_size: expected an integer >= 1, found {batch_size}")
    if batch_size > 1 and (thermostat not in BATCH_THERMOSTATS or pressure_GPa is not None):
        raise InputError(f"batch_size: batched runs use thermostat {' or '.join(BATCH_THERMOSTATS)}"
                         f" at constant volume; found thermostat {thermostat!r}"
                         + (f" at {pressure_GPa:g} GPa" if pressure_GPa is not None else "")
                         + " (use batch_size=1)")
    require_package("pymatgen", extra="atomistic", purpose="vacancy ordering")
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssblab.atomistic import md
    from ssblab.materials.defects import configuration_structure, order_vacancies
    from ssblab.progress import progress

    if not compositions:
        raise InputError("compositions: give at least one CompositionSpec")
    labels = [c.label for c in compositions]
    if len(set(labels)) != len(labels):
        raise InputError(f"compositions: labels must be unique, found {labels}")
    temps = [float(t) for t in temperatures_K]
    if any(not (math.isfinite(t) and t > 0) for t in temps):
        raise InputError(f"temperatures_K: expected positive temperatures, found {temps}")
    root = Path(run_root)
    jobs = []
    for k, spec in enumerate(compositions):
        cell = framework.copy()
        if spec.cell_volume_A3 is not None:
            if not spec.cell_volume_A3 > 0:
                raise InputError(f"{spec.label}: cell_volume_A3 must be positive, "
                                 f"found {spec.cell_volume_A3}")
            if not 0.75 < spec.cell_volume_A3 / cell.volume < 1.33:
                # a refined volume belongs to one cell choice: a primitive framework against a
                # conventional volume would be silently inflated by the centring factor
                raise InputError(f"{spec.label}: cell_volume_A3 = {spec.cell_volume_A3:g} A^3 "
                                 f"but the framework cell holds {cell.volume:.4g} A^3; give the "
                                 "framework in the cell the refined volume refers to")
            cell.scale_lattice(float(spec.cell_volume_A3))
        configs = order_vacancies(cell, dict(spec.vacancy_fractions),
                                  oxidation_states=dict(oxidation_states), supercell=supercell,
                                  n_configurations=n_configurations,
                                  balance_species=balance_species, rng=rng + 1000 * k)
        for c in range(n_configurations):
            atoms = AseAtomsAdaptor.get_atoms(configuration_structure(cell, configs, c))
            for t in temps:
                jobs.append((spec.label, configs.formula, c, t, atoms,
                             root / _slug(spec.label) / f"config{c}" / f"T{t:g}K"))
    settings = dict(potential=potential, device=device, timestep_fs=timestep_fs,
                    equilibration_steps=equilibration_steps, production_steps=production_steps,
                    save_interval=save_interval, thermostat=thermostat, pressure_GPa=pressure_GPa,
                    **dict(md_options or {}))
    records = []
    if batch_size > 1:
        _run_batched(jobs, batch_size=int(batch_size), rng=rng, settings=settings)
    for k, (label, formula, c, t, atoms, run_dir) in enumerate(
            progress(jobs, total=len(jobs), desc="MD runs")):
        if batch_size == 1:
            _run_or_resume(md, atoms, run_dir, temperature_K=t, rng=rng + 7919 * k, **settings)
        records.append(RunRecord(composition=label, formula=formula, configuration=c,
                                 temperature_K=t, trajectory=md.read_run(run_dir),
                                 run_dir=str(run_dir)))
    return analyse_vacancy_md(
        records, compositions, mobile=mobile, n_blocks=n_blocks, target_K=target_K,
        study_provenance=provenance(compositions=[dataclasses.asdict(c) for c in compositions],
                              oxidation_states=dict(oxidation_states), temperatures_K=temps,
                              supercell=tuple(supercell), n_configurations=n_configurations,
                              potential=potential if isinstance(potential, str)
                              else type(potential).__name__,
                              rng=rng, **{k: v for k, v in settings.items() if k != "potential"}))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One MD run of a study: which composition, configuration and temperature, and its frames."""

    composition: str
    formula: str
    configuration: int
    temperature_K: float
    trajectory: Any
    run_dir: str = ""


def analyse_vacancy_md(records: Sequence[RunRecord], compositions: Sequence[CompositionSpec], *,
                       mobile: str = "Li", n_blocks: int = 8, target_K: float = 300.0,
                       study_provenance: dict | None = None) -> VacancyMDStudy:
    """Transport per run, Arrhenius per composition and the comparison (steps 4-5 above).

    Works on the runs of :func:`vacancy_md_study` or on any trajectories labelled the same way
    (e.g. a study's frames shipped as data, or runs made elsewhere).
    """
    from ssblab.atomistic.transport import MAX_SLOPE_RATIO, arrhenius, diffusion

    labels = [c.label for c in compositions]
    runs = []
    for rec in records:
        if rec.composition not in labels:
            raise InputError(f"run {rec.run_dir or rec.formula}: composition "
                             f"{rec.composition!r} is not one of {labels}")
        res = diffusion(rec.trajectory, mobile=mobile, temperature_K=rec.temperature_K,
                        n_blocks=n_blocks)
        # the framework must stay a crystal: its species' tracer D (two blocks) against Li's
        framework_d = [diffusion(rec.trajectory, mobile=el, temperature_K=rec.temperature_K,
                                 n_blocks=2).diffusivity_cm2_s.value
                       for el in dict.fromkeys(rec.trajectory.symbols) if el != mobile]
        d_li = res.diffusivity_cm2_s
        ratio = max(framework_d, default=0.0) / d_li.value if d_li.value > 0 else math.inf
        why = []
        if not res.ok:
            why.append(res.reason)
        elif not 1 / MAX_SLOPE_RATIO <= res.msd_slope_ratio <= MAX_SLOPE_RATIO:
            why.append(f"MSD not linear (late/early slope {res.msd_slope_ratio:.2f})")
        elif not d_li.value > 2 * d_li.stderr:
            why.append("no significant diffusion")
        runs.append({"composition": rec.composition, "formula": rec.formula,
                     "configuration": rec.configuration, "temperature_K": rec.temperature_K,
                     "ok": bool(res.ok), "used": not why, "excluded_because": "; ".join(why),
                     "duration_ps": res.duration_ps, "msd_slope_ratio": res.msd_slope_ratio,
                     "D_tracer_cm2_s": d_li.value, "D_tracer_stderr_cm2_s": d_li.stderr,
                     "D_framework_over_Li": ratio,
                     "framework_mobile": bool(ratio > FRAMEWORK_MOBILE_RATIO),
                     "sigma_S_cm": res.conductivity_S_cm.value,
                     "sigma_stderr_S_cm": res.conductivity_S_cm.stderr,
                     "haven_ratio": res.haven_ratio.value, "run_dir": rec.run_dir})
    temps = sorted({r["temperature_K"] for r in runs})
    fits = tuple(_fit_composition(runs, label, temps, target_K, arrhenius) for label in labels)
    delta, ratio, verdict = _compare(labels, fits)
    return VacancyMDStudy(
        labels=tuple(labels), runs=tuple(runs), fits=fits,
        references=tuple(dict(c.reference) for c in compositions), delta_ea_eV=delta,
        sigma_ratio_300K=ratio, verdict=verdict, provenance=study_provenance or {})


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in label).strip("_") or "composition"


_RESUME_KEYS = ("potential", "temperature_K", "timestep_fs", "equilibration_steps", "save_interval",
                "thermostat", "pressure_GPa", "friction_per_fs", "tdamp_fs", "pdamp_fs",
                "compressibility_per_GPa", "calculator_options")


def _same(stored, asked) -> bool:
    if isinstance(stored, (int, float)) and isinstance(asked, (int, float)):
        return float(stored) == float(asked)
    return stored == asked


def _check_stored(md, run_dir: Path, *, temperature_K: float, **settings) -> dict:
    """The stored settings of ``run_dir``, refused when they differ from those asked for."""
    saved = md.read_settings(run_dir)
    asked = dict(settings, temperature_K=temperature_K)
    if not isinstance(asked["potential"], str):
        asked.pop("potential")  # a calculator object: the caller vouches for it
    differ = [f"{key} = {saved.get(key)!r} stored, {asked[key]!r} asked"
              for key in _RESUME_KEYS if key in asked and not _same(saved.get(key), asked[key])]
    if differ:
        raise InputError(f"{run_dir}: holds a run made with other settings ("
                         + "; ".join(differ) + "); use another run_root or the same settings")
    return saved


def _run_batched(jobs, *, batch_size: int, rng: int, settings: dict) -> None:
    """Runs still to do, ``batch_size`` at a time: new ones started together, unfinished ones
    resumed together when their checkpoints stand at the same step (one by one otherwise)."""
    from ssblab.atomistic import md
    from ssblab.atomistic.batch_md import resume_batch, start_batch

    new, waiting = [], {}
    for k, (_, _, _, t, atoms, run_dir) in enumerate(jobs):
        if not (run_dir / "inputs.json").exists():
            new.append((rng + 7919 * k, t, atoms, run_dir))
            continue
        saved = _check_stored(md, run_dir, temperature_K=t, **settings)
        if settings["production_steps"] < saved["production_steps"]:
            raise InputError(f"{run_dir}: production_steps {settings['production_steps']} is "
                             f"shorter than the run's {saved['production_steps']}; a run is only "
                             "extended")
        try:
            step = int(json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"])
        except (OSError, ValueError, KeyError, TypeError):
            step = -1  # damaged: the single resume below names the problem
        if step < 0:
            _run_or_resume(md, atoms, run_dir, temperature_K=t, rng=0, **settings)
        elif step < saved["equilibration_steps"] + settings["production_steps"]:
            waiting.setdefault(step, []).append(run_dir)
    for dirs in waiting.values():
        for i in range(0, len(dirs), batch_size):
            resume_batch(dirs[i:i + batch_size], potential=settings["potential"],
                         production_steps=settings["production_steps"]).run_to_end()
    for i in range(0, len(new), batch_size):
        chunk = new[i:i + batch_size]
        start_batch([atoms for _, _, atoms, _ in chunk], [d for _, _, _, d in chunk],
                    temperatures_K=[t for _, t, _, _ in chunk], rng=[r for r, _, _, _ in chunk],
                    **settings).run_to_end()


def _run_or_resume(md, atoms, run_dir: Path, *, temperature_K: float, rng: int, **settings):
    """Start a run, resume an unfinished one, extend a shorter one, or leave a finished one."""
    if (run_dir / "inputs.json").exists():
        _check_stored(md, run_dir, temperature_K=temperature_K, **settings)
        run = md.resume(run_dir, calculator=None if isinstance(settings["potential"], str)
                        else settings["potential"],
                        potential=settings["potential"] if isinstance(settings["potential"], str)
                        else None, production_steps=settings["production_steps"])
        if run.step_count < run.total_steps:
            run.run_to_end()
        else:
            run.close()
        return
    md.start(atoms, run_dir, temperature_K=temperature_K, rng=rng, **settings).run_to_end()


def _fit_composition(runs, label, temps, target_K, arrhenius):
    """Average the configurations at each temperature, then fit sigma*T (Arrhenius)."""
    t_used, values, errors = [], [], []
    for t in temps:
        rows = [r for r in runs if r["composition"] == label and r["temperature_K"] == t
                and r["used"] and np.isfinite(r["sigma_S_cm"])]
        if not rows:
            continue
        sig = np.array([r["sigma_S_cm"] for r in rows])
        err = np.array([r["sigma_stderr_S_cm"] for r in rows])
        t_used.append(t)
        values.append(float(sig.mean()))
        errors.append(float(np.sqrt(np.sum(err ** 2)) / len(rows)))
    return arrhenius(t_used, values, errors, quantity="conductivity", target_K=target_K)


def _compare(labels, fits):
    if len(fits) < 2 or not (fits[0].ok and fits[1].ok):
        return (Measured(math.nan, math.nan, "eV"), Measured(math.nan, math.nan, ""),
                "not compared (fewer than two successful Arrhenius fits)")
    for label, fit in zip(labels, fits):
        ea = fit.activation_energy_eV
        if not ea.value > 2 * ea.stderr:
            # an extrapolation along a line without a positive slope means nothing
            return (Measured(math.nan, math.nan, "eV"), Measured(math.nan, math.nan, ""),
                    f"not compared at 300 K: {label} has no significant positive activation "
                    f"energy (Ea = {ea}); the data do not follow an Arrhenius law in this window")
    a, b = fits[0], fits[1]
    ea_a, ea_b = a.activation_energy_eV, b.activation_energy_eV
    delta = Measured(ea_b.value - ea_a.value, math.hypot(ea_b.stderr, ea_a.stderr), "eV")
    s_a, s_b = a.extrapolated, b.extrapolated
    ratio_value = s_b.value / s_a.value
    ratio = Measured(ratio_value, ratio_value * math.hypot(s_a.stderr / s_a.value,
                                                           s_b.stderr / s_b.value), "")
    ln_z = math.log(ratio_value) / math.hypot(s_a.stderr / s_a.value, s_b.stderr / s_b.value)
    ea_z = delta.value / delta.stderr if delta.stderr > 0 else math.inf * np.sign(delta.value)
    more = ("more" if ln_z > 2 else "less" if ln_z < -2 else
            "not significantly more or less (|z| < 2)")
    lower = ("a lower" if ea_z < -2 else "a higher" if ea_z > 2 else
             "no significantly different (|z| < 2)")
    verdict = (f"{labels[1]} is {more} conductive at 300 K than {labels[0]} "
               f"(ln ratio z = {ln_z:+.1f}), with {lower} activation energy "
               f"(z = {ea_z:+.1f})")
    return delta, ratio, verdict


def collect_runs(run_root: str | Path, compositions: Sequence[CompositionSpec]) -> list[RunRecord]:
    """The RunRecords of every run directory under ``run_root`` that has production frames.

    Lets a study be analysed while (or after) it runs, e.g. when some runs were stopped early;
    each run contributes the frames it has (the table shows how many).
    """
    from ssblab.atomistic import md

    records = []
    for spec in compositions:
        for run_dir in sorted((Path(run_root) / _slug(spec.label)).glob("config*/T*K")):
            if not (run_dir / "trajectory.traj").exists():
                continue
            settings = md.read_settings(run_dir)
            traj = md.read_run(run_dir)
            counts = {el: traj.symbols.count(el) for el in dict.fromkeys(traj.symbols)}
            records.append(RunRecord(
                composition=spec.label, formula=" ".join(f"{k}{v}" for k, v in counts.items()),
                configuration=int(run_dir.parent.name.removeprefix("config")),
                temperature_K=float(settings["temperature_K"]), trajectory=traj,
                run_dir=str(run_dir)))
    return records


def save_runs(records: Sequence[RunRecord], compositions: Sequence[CompositionSpec],
              path: str | Path, *, stride: int = 1) -> Path:
    """Write the runs' frames (float32 positions, unwrapped) and the compositions to one .npz.

    ``stride`` keeps every n-th frame (the time between frames grows accordingly).
    """
    if int(stride) < 1:
        raise InputError(f"stride: expected a positive integer, found {stride}")
    from ssblab.files import atomic_write

    arrays = {}
    meta = {"compositions": [dataclasses.asdict(c) for c in compositions], "runs": []}
    for k, rec in enumerate(records):
        traj = rec.trajectory
        arrays[f"positions_{k}"] = np.asarray(traj.positions_A[::int(stride)], np.float32)
        arrays[f"cell_{k}"] = np.asarray(traj.cell_A, float)
        meta["runs"].append({"composition": rec.composition, "formula": rec.formula,
                             "configuration": rec.configuration,
                             "temperature_K": rec.temperature_K,
                             "symbols": list(traj.symbols),
                             "timestep_ps": traj.timestep_ps * int(stride),
                             "masses_amu": None if traj.masses_amu is None
                             else [float(m) for m in traj.masses_amu]})
    arrays["meta"] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write(path, buffer.getvalue())


def load_runs(path) -> tuple[list[RunRecord], tuple[CompositionSpec, ...]]:
    """Read what :func:`save_runs` wrote: the RunRecords and the CompositionSpecs."""
    from ssblab.files import check_input_file

    check_input_file(path, kind="trajectory")
    try:
        return _load_runs(path)
    except InputError:
        raise
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile,
            zlib.error) as exc:  # a damaged or edited file
        raise InputError(f"{path}: not a readable ssblab MD study file ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]})") from None


def _load_runs(path):
    from ssblab.atomistic.transport import Trajectory

    # our own handle: numpy leaves its file open when the zip directory is damaged
    with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
        try:
            meta = json.loads(str(data["meta"]))
        except KeyError as exc:
            raise InputError(f"{path}: not an ssblab MD study file (no 'meta' entry)") from exc
        specs = tuple(CompositionSpec(**c) for c in meta["compositions"])
        records = []
        for k, run in enumerate(meta["runs"]):
            traj = Trajectory(data[f"positions_{k}"].astype(float), cell_A=data[f"cell_{k}"],
                              symbols=tuple(run["symbols"]), timestep_ps=run["timestep_ps"],
                              masses_amu=None if run["masses_amu"] is None
                              else np.array(run["masses_amu"]),
                              source=f"{path} run {k}")
            records.append(RunRecord(composition=run["composition"], formula=run["formula"],
                                     configuration=run["configuration"],
                                     temperature_K=run["temperature_K"], trajectory=traj,
                                     run_dir=f"{Path(path).name}#{k}"))
    return records, specs
