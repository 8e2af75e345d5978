"""The seed studies as sweep points, one per layer, registered by name.

Each function is one point of a sweep: scalar parameters in, named outputs out. They call
the layers' public functions; a layer's own whole-study function (``density_study`` etc.)
runs the same points one after another in one process.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ssblab import reference as ref
from ssblab.errors import InputError
from ssblab.results import Measured
from ssblab.sweep.registry import Parameter, Plot, register

P = Parameter

# --- synthetic: a study with a known answer and a chosen cost, for trying executors ---------


@register("synthetic.arrhenius",
          parameters={"temperature_K": P("K"), "activation_energy_eV": P("eV", default=0.3),
                      "prefactor_S_K_cm": P("S*K/cm", default=1e5),
                      "relative_noise": P("", default=0.0),
                      "cpu_seconds": P("s", default=0.0, help="busy CPU time per point")},
          outputs={"sigma_S_cm": "S/cm", "sigma_exact_S_cm": "S/cm"},
          plot=Plot(x="temperature_K", y="sigma_S_cm", hue="activation_energy_eV", logy=True))
def arrhenius_point(*, temperature_K, activation_energy_eV, prefactor_S_K_cm, relative_noise,
                    cpu_seconds, rng):
    """sigma = A / T exp(-Ea / kB T), times lognormal noise; burns ``cpu_seconds`` of CPU."""
    from ssblab.units import BOLTZMANN_eV_K

    end = time.process_time() + cpu_seconds
    spins = 0
    while time.process_time() < end:
        spins += sum(range(1000))  # pure-Python work: holds the GIL, like a CPU-bound point
    exact = prefactor_S_K_cm / temperature_K * math.exp(-activation_energy_eV
                                                        / (BOLTZMANN_eV_K * temperature_K))
    noise = np.random.default_rng(rng).normal(0.0, relative_noise) if relative_noise else 0.0
    return {"sigma_S_cm": exact * math.exp(noise), "sigma_exact_S_cm": exact}


# --- microstructure: seed 000 density series, seed 003 mixtures ----------------------------


@register("microstructure.density",
          parameters={"relative_density": P(""), "bulk_S_cm": P("S/cm", default=ref.LIC_HOT_SIGMA_S_cm.value),
                      "size_voxels": P("", int, 48), "grain_radius_voxels": P("", default=4.0),
                      "radius_spread": P("", default=0.25),
                      "packing": P(kind=str, default="overlapping",
                                   choices=("overlapping", "packed", "sintered"))},
          outputs={"sigma_eff_S_cm": "S/cm", "tortuosity_factor": "", "connected_fraction": ""},
          plot=Plot(x="relative_density", y="sigma_eff_S_cm", hue="packing", logy=True))
def density_point(*, relative_density, bulk_S_cm, size_voxels, grain_radius_voxels, radius_spread,
                  packing, rng):
    """sigma_eff and tortuosity of one generated pellet (seed 000: voids, not boundaries)."""
    from ssblab.microstructure.generate import pellet
    from ssblab.microstructure.solve import solve

    p = pellet((size_voxels,) * 3, relative_density=relative_density,
               grain_radius_voxels=grain_radius_voxels, radius_spread=radius_spread,
               packing=packing, rng=rng)
    r = solve(p.labels, [0.0, bulk_S_cm], direction="z", keep_fields=False)
    return {"sigma_eff_S_cm": r.sigma_eff_S_cm, "tortuosity_factor": r.tortuosity_factor,
            "connected_fraction": r.connected_fraction}


@register("microstructure.mixture",
          parameters={"lgps_mass_fraction": P(""), "lpsc_S_cm": P("S/cm", default=ref.LPSC_SIGMA_S_cm.value),
                      "lgps_S_cm": P("S/cm", default=ref.LGPS_SIGMA_S_cm.value),
                      "size_voxels": P("", int, 48), "lpsc_radius_voxels": P("", default=5.0),
                      "lgps_radius_voxels": P("", default=3.0)},
          outputs={"sigma_eff_S_cm": "S/cm", "lgps_volume_fraction": "",
                   "lgps_current_share": "", "lgps_anode_current_share": ""},
          plot=Plot(x="lgps_mass_fraction", y="sigma_eff_S_cm", hue="lgps_S_cm"))
def mixture_point(*, lgps_mass_fraction, lpsc_S_cm, lgps_S_cm, size_voxels, lpsc_radius_voxels,
                  lgps_radius_voxels, rng):
    """sigma_eff and LGPS current share of one LPSC + LGPS mixture (seed 003)."""
    from ssblab.microstructure.generate import mixture
    from ssblab.microstructure.solve import solve
    from ssblab.microstructure.studies import LGPS_DENSITY_g_cm3, LPSC_DENSITY_g_cm3

    labels = mixture((size_voxels,) * 3, fraction=lgps_mass_fraction, basis="mass",
                     densities_g_cm3=(LPSC_DENSITY_g_cm3, LGPS_DENSITY_g_cm3),
                     radii_voxels=(lpsc_radius_voxels, lgps_radius_voxels), rng=rng)
    r = solve(labels, [0.0, lpsc_S_cm, lgps_S_cm], direction="z", keep_fields=False)
    return {"sigma_eff_S_cm": r.sigma_eff_S_cm,
            "lgps_volume_fraction": float(np.mean(labels == 2) / np.mean(labels > 0)),
            "lgps_current_share": r.phase_current_share.get(2, 0.0),
            "lgps_anode_current_share": r.inlet_current_share.get(2, 0.0)}


# --- dendrite: seed 003 conductivity contrasts ----------------------------------------------


#: steps between phase-field checkpoints of a sweep point (its own, in its run directory)
PHASEFIELD_CHECKPOINT_STEPS = 200


@register("dendrite.conductivity_contrast",
          parameters={"conductivity_ratio": P(""), "fraction": P("", default=0.2),
                      "radius_um": P("um", default=6.0), "size_px": P("", int, 96),
                      "spacing_um": P("um", default=1.0),
                      "current_density_mA_cm2": P("mA/cm^2", default=1.0),
                      "duration_h": P("h", default=5.0)},
          outputs={"preference_A": "", "li_fraction_A": "", "area_fraction_A": "",
                   "penetration_um": "um", "branches": ""},
          plot=Plot(x="conductivity_ratio", y="preference_A", hue="fraction", logx=True),
          run_dir=True)
def contrast_point(*, conductivity_ratio, fraction, radius_um, size_px, spacing_um,
                   current_density_mA_cm2, duration_h, rng, run_dir):
    """Phase-field growth into particles of A in B: the deposit's preference for A.

    Checkpoints every ``PHASEFIELD_CHECKPOINT_STEPS`` steps to ``run_dir/phasefield.npz``
    and continues from there when the point is run again (another worker, a resumed sweep).
    """
    import io

    from ssblab.dendrite.electrolyte import LPSC_S_m, particle_map
    from ssblab.dendrite.metrics import growth_result
    from ssblab.dendrite.phasefield import ElectrodepositionSimulation
    from ssblab.dendrite.studies import run_for
    from ssblab.files import atomic_write

    emap = particle_map((size_px, size_px), spacing_um=spacing_um, fraction=fraction,
                        radius_um=radius_um,
                        conductivity_S_m=(LPSC_S_m, conductivity_ratio * LPSC_S_m), rng=rng)
    sim = ElectrodepositionSimulation(emap, current_density_mA_cm2=current_density_mA_cm2,
                                      rng=rng)
    checkpoint = run_dir / "phasefield.npz"
    if checkpoint.is_file():
        with np.load(checkpoint) as state:
            sim.restore(state)
        sim.solver.refresh()
    end_s = duration_h * 3600.0

    def save():
        if sim.time_s < end_s:  # not the last, shortened step: a longer run would not take it
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **sim.state())
            atomic_write(checkpoint, buffer.getvalue(), fsync=False)
            sim.solver.refresh()  # as after a restore, so resumed and straight runs agree

    sim.attach(save, PHASEFIELD_CHECKPOINT_STEPS)
    g = growth_result(run_for(sim, duration_h))
    return {"preference_A": float(g.preference[1]), "li_fraction_A": float(g.li_fraction_by_phase[1]),
            "area_fraction_A": float(g.area_fraction_by_phase[1]),
            "penetration_um": float(g.penetration_um), "branches": int(g.branches)}


@register("dendrite.ccd",
          parameters={"fraction": P("", help="area fraction of phase A (0: homogeneous B)"),
                      "conductivity_ratio": P("", default=ref.LGPS_SIGMA_S_cm.value
                                              / ref.LPSC_SIGMA_S_cm.value),
                      "width_px": P("", int, 64), "radius_um": P("um", default=5.0),
                      "step_duration_h": P("h", default=1.0),
                      "max_current_mA_cm2": P("mA/cm^2", default=3.1),
                      "failure_fraction": P("", default=0.1),
                      "separator_thickness_um": P("um", default=100.0)},
          outputs={"ccd_mA_cm2": "mA/cm^2", "failed": "", "last_current_mA_cm2": "mA/cm^2",
                   "note": ""},
          plot=Plot(x="fraction", y="ccd_mA_cm2", hue="conductivity_ratio"))
def ccd_point(*, fraction, conductivity_ratio, width_px, radius_um, step_duration_h,
              max_current_mA_cm2, failure_fraction, separator_thickness_um, rng):
    """Phase-field CCD staircase (seed 003: 0.1 mA/cm2 start, 0.2 mA/cm2 steps) on A-in-B.

    A relative index of current focusing, not a measured CCD (see ``dendrite.ccd``).
    """
    from ssblab.dendrite import ccd
    from ssblab.dendrite.electrolyte import LPSC_S_m, particle_map, uniform_map

    rows = ccd.staircase_window_rows(ccd.staircase_currents(0.1, 0.2, max_current_mA_cm2),
                                 step_duration_h=step_duration_h, film_thickness_um=10.0,
                                 failure_penetration_um=failure_fraction * separator_thickness_um,
                                 spacing_um=1.0)
    shape = (rows, width_px)
    emap = (uniform_map(shape, spacing_um=1.0) if fraction == 0 else
            particle_map(shape, spacing_um=1.0, fraction=fraction, radius_um=radius_um,
                         conductivity_S_m=(LPSC_S_m, conductivity_ratio * LPSC_S_m), rng=rng))
    r = ccd.phasefield_ccd(emap, step_duration_h=step_duration_h, max_current_mA_cm2=max_current_mA_cm2,
                       failure_fraction=failure_fraction,
                       separator_thickness_um=separator_thickness_um, rng=rng)
    last = float(r.current_steps_mA_cm2[-1])
    return {"ccd_mA_cm2": float(r.ccd_mA_cm2), "failed": bool(r.failed),
            "last_current_mA_cm2": last,
            "note": "" if r.failed else f"no failure up to {last:.2f} mA/cm2 (CCD above it)"}


# --- atomistic: seed 000 fast path and vacancy-ordered MD -----------------------------------

_COMPOSITIONS = ("pristine", "hot-pressed")


def _seed000_configuration(composition, supercell, rng):
    """Seed 000's refined composition on the scaled C2/m framework, one vacancy ordering."""
    from ssblab.materials.defects import SEED000_COMPOSITIONS, configuration_structure, order_vacancies
    from ssblab.materials.prototypes import layered_rocksalt_framework

    spec = SEED000_COMPOSITIONS[_COMPOSITIONS.index(composition)]
    cell = layered_rocksalt_framework(primitive=False)
    cell.scale_lattice(float(spec.cell_volume_A3))
    configs = order_vacancies(cell, dict(spec.vacancy_fractions),
                              oxidation_states={"Li": 1, "In": 3, "Cl": -1},
                              supercell=supercell, n_configurations=1, rng=rng)
    return configuration_structure(cell, configs, 0)


def _supercell(text):
    try:
        reps = tuple(int(v) for v in text.split(","))
    except ValueError:
        reps = ()
    if len(reps) != 3 or min(reps) < 1:
        raise InputError(f"supercell: expected three positive integers like 2,1,2, found {text!r}")
    return reps


@register("atomistic.fastpath",
          parameters={"composition": P(kind=str, choices=_COMPOSITIONS),
                      "configuration": P("", int, 0, help="index of the vacancy ordering"),
                      "supercell": P(kind=str, default="2,1,2"),
                      "temperatures_K": P(kind=str, default="500,700,900"),
                      "resolution_A": P("angstrom", default=0.3),
                      "n_samples": P("", int, 300)},
          outputs={"activation_energy_eV": "eV", "sigma_300K_S_cm": "S/cm",
                   "network_barrier_eV": "eV", "note": ""},
          plot=Plot(x="composition", y="activation_energy_eV"),
          packages=("ase", "pymatgen", "bvlain"))
def fastpath_point(*, composition, configuration, supercell, temperatures_K, resolution_A,
                   n_samples, rng):
    """BVSE -> site network -> KMC on one vacancy ordering of seed 000's Li3InCl6."""
    from ssblab.atomistic.bvse import bvse_network
    from ssblab.atomistic.fastpath import as_atoms, kmc_vs_temperature

    structure = _seed000_configuration(composition, _supercell(supercell), rng)
    network = bvse_network(as_atoms(structure), resolution_A=resolution_A, compare_bvlain=False)
    temps = [float(t) for t in temperatures_K.split(",")]
    r = kmc_vs_temperature(network, temperatures_K=temps, carrier_fraction=1.0,
                           n_samples=n_samples, rng=rng)
    fit = r.conductivity_fit
    ok = fit is not None and fit.ok
    return {"activation_energy_eV": r.activation_energy_eV if ok
            else Measured(math.nan, math.nan, "eV"),
            "sigma_300K_S_cm": fit.extrapolated if ok else Measured(math.nan, math.nan, "S/cm"),
            "network_barrier_eV": float(r.network_barrier_eV),
            "note": "" if ok else f"no Arrhenius fit: {fit.reason if fit is not None else 'none'}"}


def _md_resources(params):
    return {"GPU": 1} if params["device"] != "cpu" else {}


@register("atomistic.vacancy_md",
          parameters={"composition": P(kind=str, choices=_COMPOSITIONS),
                      "configuration": P("", int, 0), "temperature_K": P("K"),
                      "supercell": P(kind=str, default="1,1,1"),
                      "potential": P(kind=str, default="chgnet",
                                     choices=("chgnet", "sevennet", "emt", "lj")),
                      "device": P(kind=str, default="cpu", choices=("cpu", "cuda")),
                      "timestep_fs": P("fs", default=2.0),
                      "equilibration_steps": P("", int, 500),
                      "production_steps": P("", int, 5000),
                      "save_interval": P("", int, 10)},
          outputs={"sigma_S_cm": "S/cm", "D_tracer_cm2_s": "cm^2/s", "haven_ratio": "",
                   "msd_slope_ratio": "", "duration_ps": "ps", "note": ""},
          plot=Plot(x="temperature_K", y="sigma_S_cm", hue="composition", logy=True),
          resources=_md_resources, run_dir=True, packages=("ase", "pymatgen", "torch", "chgnet"))
def vacancy_md_point(*, composition, configuration, temperature_K, supercell, potential, device,
                     timestep_fs, equilibration_steps, production_steps, save_interval, rng,
                     run_dir):
    """MD of one vacancy ordering at one temperature; resumes from its own checkpoints."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssblab.atomistic import md
    from ssblab.atomistic.transport import diffusion
    from ssblab.workflows.vacancy_md import _run_or_resume

    # the ordering's seed depends on the configuration only, so every temperature of one
    # configuration runs the same structure
    structure = _seed000_configuration(composition, _supercell(supercell), 1000 + configuration)
    folder = run_dir / "md"
    _run_or_resume(md, AseAtomsAdaptor.get_atoms(structure), folder, temperature_K=temperature_K,
                   rng=rng, potential=potential, device=device, timestep_fs=timestep_fs,
                   equilibration_steps=equilibration_steps, production_steps=production_steps,
                   save_interval=save_interval, thermostat="langevin", pressure_GPa=None)
    res = diffusion(md.read_run(folder), mobile="Li", temperature_K=temperature_K)
    return {"sigma_S_cm": res.conductivity_S_cm, "D_tracer_cm2_s": res.diffusivity_cm2_s,
            "haven_ratio": res.haven_ratio.value, "msd_slope_ratio": res.msd_slope_ratio,
            "duration_ps": res.duration_ps,
            "note": "" if res.ok else f"not measured: {res.reason}"}


# --- cell: seed 000 rate and life grids -----------------------------------------------------


@register("cell.rate",
          parameters={"c_rate": P("1/h"), "lic_thickness_cm": P("cm", default=0.04),
                      "conductivity_S_cm": P("S/cm", default=ref.LIC_HOT_SIGMA_S_cm.value),
                      "diffusivity_cm2_s": P("cm^2/s", default=1e-9),
                      "steps_per_half_cycle": P("", int, 150)},
          outputs={"discharge_capacity_mAh_g": "mAh/g"},
          plot=Plot(x="c_rate", y="discharge_capacity_mAh_g", hue="lic_thickness_cm"))
def rate_point(*, c_rate, lic_thickness_cm, conductivity_S_cm, diffusivity_cm2_s,
               steps_per_half_cycle, rng):
    """Discharge capacity at one C-rate (after a 0.1 C cycle) of seed 000's assumed cell."""
    from ssblab.cell.full import rate_capability
    from ssblab.cell.studies import seed000_cell

    cell = seed000_cell(conductivity_S_cm, lic_thickness_cm=lic_thickness_cm,
                        diffusivity_cm2_s=diffusivity_cm2_s)
    r = rate_capability(cell, (0.1, c_rate), steps_per_half_cycle=steps_per_half_cycle)
    return {"discharge_capacity_mAh_g": float(r.discharge_capacity_mAh_g[1])}


@register("cell.life",
          parameters={"c_rate": P("1/h"), "interphase_growth_ohm_cm2_sqrt_h": P("", default=0.5),
                      "conductivity_S_cm": P("S/cm", default=ref.LIC_HOT_SIGMA_S_cm.value),
                      "n_cycles": P("", int, 500), "grid_points": P("", int, 8)},
          outputs={"retention": "", "final_capacity_mAh_g": "mAh/g"},
          plot=Plot(x="interphase_growth_ohm_cm2_sqrt_h", y="retention", hue="c_rate"))
def life_point(*, c_rate, interphase_growth_ohm_cm2_sqrt_h, conductivity_S_cm, n_cycles,
               grid_points, rng):
    """Capacity retention after ``n_cycles`` with interphase growth R = k sqrt(t)."""
    from ssblab.cell.full import Protocol
    from ssblab.cell.life import Degradation, simulate_life
    from ssblab.cell.studies import seed000_cell

    life = simulate_life(seed000_cell(conductivity_S_cm), Protocol(charge_C=c_rate, discharge_C=c_rate),
                         n_cycles=n_cycles, grid_points=grid_points, steps_per_half_cycle=100,
                         degradation=Degradation(interphase_growth_ohm_cm2_sqrt_h=interphase_growth_ohm_cm2_sqrt_h),
                         show_progress=False)
    return {"retention": life.retention_at(n_cycles),
            "final_capacity_mAh_g": float(life.discharge_capacity_mAh_g[-1])}
