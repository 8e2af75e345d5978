"""Cell models: a 2000-cycle life simulation, and the compact model beside PyBaMM.

PyBaMM (extra ``bench-cell``) runs its DFN half-cell model ("working electrode": "positive",
Li-metal counter electrode) configured as a single-ion solid conductor: cation transference
number 1 (so the electrolyte concentration stays uniform), a constant conductivity, the same
NMC811 OCV, particle, kinetics and Li-counter-electrode exchange current as ssblab's compact
model. Both run the same CC discharge from the charged state; the script prints the capacity
difference, the RMS voltage difference and the run times.

Run: python benchmarks/bench_cell.py
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np

from ssblab.cell.full import FullCell, Layer, Protocol, cycle, discharge
from ssblab.cell.life import SEED001_DENDRITE, Degradation, simulate_life
from ssblab.cell.parameters import OCV_CURVES
from ssblab.units import FARADAY_C_mol


def shared_cell(conductivity_S_cm: float = 4.4e-3) -> FullCell:
    return FullCell(cathode="NCM811", anode="Li", loading_mg_cm2=10.0, cathode_thickness_cm=45e-4,
                    catholyte_conductivity_S_cm=conductivity_S_cm, catholyte_volume_fraction=0.37,
                    separator=[Layer(name="SE", thickness_cm=0.04, conductivity_S_cm=conductivity_S_cm)])


def pybamm_parameters(cell: FullCell, c_rate: float, voltage_min_V: float = 2.7):
    """PyBaMM parameter values for ``cell`` as a single-ion conductor (t+ = 1), starting charged."""
    import pybamm

    cat = cell.cathode
    ocv, x0, x1, _ = OCV_CURVES[cat.ocv_curve]
    vol_am = cell.loading_mg_cm2 * 1e-3 / cat.density_g_cm3 / cell.cathode_thickness_cm  # fraction
    q_C_m2 = cell.capacity_mAh_cm2 * 3.6 * 1e4                                           # C/m2
    thickness_m = cell.cathode_thickness_cm * 1e-2
    c_max = q_C_m2 / (vol_am * thickness_m * FARADAY_C_mol)
    sigma_S_m = cell.catholyte_conductivity_S_cm * 100
    i0_c = cat.exchange_current_mA_cm2 * 10.0   # A/m2
    i0_a = cell.anode.exchange_current_mA_cm2 * 10.0
    sep = sum(layer.thickness_cm for layer in cell.separator) * 1e-2
    p = pybamm.ParameterValues("Xu2019")
    p.update({
        "Positive electrode OCP [V]": lambda sto: ocv(x0 + sto * (x1 - x0)),
        "Maximum concentration in positive electrode [mol.m-3]": c_max,
        "Initial concentration in positive electrode [mol.m-3]": 1e-3 * c_max,
        "Positive particle radius [m]": cat.particle_radius_cm * 1e-2,
        "Positive particle diffusivity [m2.s-1]": cat.diffusivity_cm2_s * 1e-4,
        "Positive electrode thickness [m]": thickness_m,
        "Positive electrode active material volume fraction": vol_am,
        "Positive electrode porosity": cell.catholyte_volume_fraction,
        "Positive electrode Bruggeman coefficient (electrolyte)": cell.bruggeman_exponent,
        "Positive electrode conductivity [S.m-1]": 1e6,
        "Positive electrode exchange-current density [A.m-2]":
            lambda c_e, c_s, c_max_, T: i0_c * 2 * (c_s / c_max_) ** 0.5 * (1 - c_s / c_max_) ** 0.5,
        "Positive electrode charge transfer coefficient": 0.5,
        "Separator thickness [m]": sep,
        "Separator porosity": 1.0,
        "Separator Bruggeman coefficient (electrolyte)": 1.5,
        "Electrolyte conductivity [S.m-1]": sigma_S_m,
        "Electrolyte diffusivity [m2.s-1]": 1e-10,
        "Cation transference number": 1.0,
        "Thermodynamic factor": 1.0,
        "Initial concentration in electrolyte [mol.m-3]": 1000.0,
        "Exchange-current density for lithium metal electrode [A.m-2]": lambda c_e, c_Li, T: i0_a,
        "Lower voltage cut-off [V]": voltage_min_V,
        "Upper voltage cut-off [V]": 10.0,
        "Nominal cell capacity [A.h]": q_C_m2 / 3600 * p["Electrode width [m]"] * p["Electrode height [m]"],
        "Current function [A]": c_rate * q_C_m2 / 3600 * p["Electrode width [m]"] * p["Electrode height [m]"],
        "Ambient temperature [K]": cell.temperature_K,
        "Initial temperature [K]": cell.temperature_K,
        "Reference temperature [K]": cell.temperature_K,
    }, check_already_exists=False)
    return p


def pybamm_discharge(cell: FullCell, c_rate: float, voltage_min_V: float = 2.7):
    """The same CC discharge in PyBaMM's DFN half-cell model; returns (capacity mAh/g, t_s, V)."""
    import pybamm

    p = pybamm_parameters(cell, c_rate, voltage_min_V)
    model = pybamm.lithium_ion.DFN({"working electrode": "positive"})
    sim = pybamm.Simulation(model, parameter_values=p, solver=pybamm.IDAKLUSolver())
    sol = sim.solve([0, 1.2 * 3600 / c_rate])
    t = sol["Time [s]"].entries
    v = sol["Voltage [V]"].entries
    cap = float(sol["Discharge capacity [A.h]"].entries[-1])
    area_m2 = p["Electrode width [m]"] * p["Electrode height [m]"]
    grams = cell.loading_mg_cm2 * 1e-3
    return cap * 1e3 / (area_m2 * 1e4) / grams, t, v


def pybamm_cycles(cell: FullCell, c_rate: float, n_cycles: int):
    """ssblab's default protocol (CC charge to 4.3 V, CC discharge to 2.7 V, from discharged) in PyBaMM."""
    import pybamm

    p = pybamm_parameters(cell, c_rate)
    c_max = p["Maximum concentration in positive electrode [mol.m-3]"]
    p.update({"Initial concentration in positive electrode [mol.m-3]": (1 - 1e-3) * c_max,
              "Upper voltage cut-off [V]": 4.4, "Lower voltage cut-off [V]": 2.6})
    steps = (f"Charge at {c_rate}C until 4.3 V", f"Discharge at {c_rate}C until 2.7 V")
    sim = pybamm.Simulation(pybamm.lithium_ion.DFN({"working electrode": "positive"}), parameter_values=p,
                            experiment=pybamm.Experiment([steps] * n_cycles), solver=pybamm.IDAKLUSolver())
    sol = sim.solve()
    area_cm2 = p["Electrode width [m]"] * p["Electrode height [m]"] * 1e4
    grams = cell.loading_mg_cm2 * 1e-3 * area_cm2
    out = []
    for c in sol.cycles:
        q = c.steps[1]["Discharge capacity [A.h]"].entries
        out.append((q[-1] - q[0]) * 1e3 / grams)
    return np.array(out)


def _median_time(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main():
    print("== 2000-cycle life simulation (ssblab.cell.life) ==")
    cell = shared_cell()
    deg = Degradation(interphase_growth_ohm_cm2_sqrt_h=0.5, dendrite=SEED001_DENDRITE,
                      separator_thickness_cm=0.1)
    t_life, life = _median_time(lambda: simulate_life(cell, n_cycles=2000, degradation=deg))
    print(f"ssblab life, 2000 cycles: {t_life:.2f} s  "
          f"(retention at 1000 cycles {life.retention_at(1000):.3f}, "
          f"short at cycle {life.short_cycle:.0f}, "
          f"cycler table {life.to_cycler_data().n_rows} rows)")

    try:
        import pybamm  # noqa: F401
    except ImportError:
        print("PyBaMM not installed (pip install 'ssblab[bench-cell]'): cross-check skipped")
        return
    print("\n== same cycling protocol: 5 x (CC charge 4.3 V, CC discharge 2.7 V) at 0.5 C ==")
    cell = shared_cell(4.4e-3)
    t_s, ours = _median_time(lambda: cycle(cell, Protocol(charge_C=0.5, discharge_C=0.5), n_cycles=5))
    t_p, theirs = _median_time(lambda: pybamm_cycles(cell, 0.5, 5), repeats=1)
    print(f"ssblab {t_s:.3f} s, discharge {np.round(ours.discharge_capacity_mAh_g, 1)} mAh/g")
    print(f"PyBaMM {t_p:.3f} s, discharge {np.round(theirs, 1)} mAh/g")
    print(f"ratio PyBaMM/ssblab {t_p / t_s:.0f}x; capacity difference "
          f"{100 * (ours.discharge_capacity_mAh_g[-1] - theirs[-1]) / theirs[-1]:.2f} %")

    print("\n== compact model vs PyBaMM DFN half cell, t+ = 1, same CC discharge ==")
    print(f"| {'sigma S/cm':>8} {'C-rate':>6} {'ssblab mAh/g':>12} {'PyBaMM mAh/g':>12} "
          f"{'dQ %':>6} {'RMS dV mV':>9} {'t ssblab s':>10} {'t PyBaMM s':>10} {'ratio':>6}")
    for sigma in (4.4e-3, 1.1e-3):
        cell = shared_cell(sigma)
        for rate in (0.5, 1.0, 2.0):
            t_s, ours = _median_time(lambda: discharge(cell, rate))
            try:
                t_p, (q_p, tt, vv) = _median_time(lambda: pybamm_discharge(cell, rate), repeats=1)
            except pybamm.SolverError as exc:
                print(f"{sigma:10.2e} {rate:6.2f} PyBaMM failed: {str(exc)[:80]}")
                continue
            q_s = float(ours.discharge_capacity_mAh_g[0])
            end = min(ours.time_s[-1], tt[-1])
            grid = np.linspace(0.02 * end, 0.95 * end, 200)  # skip the first-step transient and the end wall
            diff = np.interp(grid, ours.time_s, ours.voltage_V) - np.interp(grid, tt, vv)
            rms = math.sqrt(np.mean(diff**2))
            print(f"| {sigma:8.2e} {rate:6.2f} {q_s:12.1f} {q_p:12.1f} {100 * (q_s - q_p) / q_p:6.2f} "
                  f"{1e3 * rms:9.1f} {t_s:10.3f} {t_p:10.3f} {t_p / t_s:6.0f}")

    porous_vs_pybamm(pybamm)


def porous_cell(sigma_S_cm: float, thickness_um: float, loading_mg_cm2: float, model: str = "porous") -> FullCell:
    return FullCell(cathode="NCM811", anode="Li", loading_mg_cm2=loading_mg_cm2,
                    cathode_thickness_cm=thickness_um * 1e-4, catholyte_conductivity_S_cm=sigma_S_cm,
                    catholyte_volume_fraction=0.37, composite_model=model,
                    separator=[Layer(name="SE", thickness_cm=0.04, conductivity_S_cm=sigma_S_cm)])


def porous_vs_pybamm(pybamm):
    """Charge then discharge at the same rate: the resolved composite, the compact one and the DFN."""
    print("\n== composite resolved through its thickness vs PyBaMM DFN (t+ = 1): CC charge 4.3 V, "
          "CC discharge 2.7 V, same rate ==")
    print(f"| {'sigma S/cm':>10} {'L um':>5} {'C-rate':>6} {'porous':>7} {'uniform':>7} {'PyBaMM':>7} "
          f"{'dQ %':>6} {'t porous s':>10} {'t PyBaMM s':>10} {'ratio':>6}")
    for sigma, thickness, loading in ((4.4e-3, 45, 10), (1.1e-3, 45, 10), (1.1e-3, 120, 27), (0.3e-3, 120, 27)):
        for rate in (0.5, 1.0, 2.0):
            protocol = Protocol(charge_C=rate, discharge_C=rate)
            t_s, ours = _median_time(lambda: cycle(porous_cell(sigma, thickness, loading), protocol))
            uniform = cycle(porous_cell(sigma, thickness, loading, "uniform"), protocol)
            try:
                t_p, theirs = _median_time(lambda: pybamm_cycles(porous_cell(sigma, thickness, loading), rate, 1),
                                           repeats=1)
                q_p = float(theirs[0])
            except (pybamm.SolverError, IndexError) as exc:
                print(f"| {sigma:10.2e} {thickness:5.0f} {rate:6.2f} PyBaMM failed: {str(exc)[:70]}")
                continue
            q_s = float(ours.discharge_capacity_mAh_g[0])
            dq = 100 * (q_s - q_p) / q_p if q_p > 1 else math.nan
            print(f"| {sigma:10.2e} {thickness:5.0f} {rate:6.2f} {q_s:7.1f} "
                  f"{float(uniform.discharge_capacity_mAh_g[0]):7.1f} {q_p:7.1f} {dq:6.2f} {t_s:10.3f} "
                  f"{t_p:10.3f} {t_p / t_s:6.1f}")


if __name__ == "__main__":
    main()
