"""Benchmark: ssblab's phase-field stepper against a straightforward FiPy implementation.

Same equations (docs/dendrite.md), same grid, same electrolyte map and initial film, same
simulated time. FiPy solves the linearised potential equation and then the semi-implicit
order-parameter equation every step with its default solvers at the same time step ssblab is
capped at; ssblab uses its own scheme (AMG-preconditioned CG with the potential refreshed every
5 steps and shifted in between, DCT/FFT for xi, adaptive steps). Prints wall time per
simulated hour for both, their ratio, and how far apart the fronts end up.

Then times ms per step at 128^2, 256^2 and 512^2 (``--step-sizes``) for the old default
potential solver (``solver="amg"``, pyamg), the new default (``"mg"``, geometric multigrid CG),
the torch backend on the CPU (and on CUDA when a GPU is visible) and FiPy (set up once, a few
steps), with the ratios and the 1-minute load average beside each number, and extrapolates a
512^2 x 10 000-step run from ``--big-steps`` (>= 200) measured steps of each ssblab variant.
``--size3d`` times a 3D run (128^3 for the full measurement).

    python benchmarks/bench_dendrite.py [--size 128] [--hours 0.5] [--big-steps 200]
                                        [--step-sizes 128 256 512] [--size3d 0]

Needs ``pip install -e '.[dendrite,bench-dendrite]'``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # thread oversubscription hurts on 2 cores
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from ssblab.dendrite.electrolyte import LGPS_S_m, LPSC_S_m, particle_map  # noqa: E402
from ssblab.dendrite.metrics import mean_front_um  # noqa: E402
from ssblab.dendrite.phasefield import (  # noqa: E402
    ElectrodepositionSimulation,
    PhaseFieldParameters,
    interpolation,
    interpolation_derivative,
)
from ssblab.dendrite.studies import run_for  # noqa: E402
from ssblab.units import FARADAY_C_mol  # noqa: E402


def fipy_run(sim: ElectrodepositionSimulation, hours: float, dt_s: float,
             amg: bool = False) -> tuple[np.ndarray, float]:
    """The same model written plainly in FiPy, started from ``sim``'s initial state.

    Set up the way FiPy's documentation recommends: variables, the boundary constraint and both
    equations are built once; each step only updates the values of the coefficient variables.
    ``amg``: solve the potential with CG preconditioned by smoothed aggregation (PyAMG), the
    strongest preconditioner FiPy offers; otherwise FiPy's default solver.
    """
    import fipy as fp

    p, c = sim.parameters, sim.coefficients
    ny, nx = sim.xi.shape
    h = c.h_m
    mesh = fp.PeriodicGrid2DLeftRight(dx=h, dy=h, nx=nx, ny=ny)
    # FiPy orders cells x fastest, row 0 at the bottom: the same as a C-ordered (ny, nx) array
    xi = fp.CellVariable(mesh=mesh, value=sim.xi_initial.ravel(), hasOld=True)
    psi = fp.CellVariable(mesh=mesh, value=0.0)
    sigma_e = c.sigma_e.ravel()
    f, cs, a = c.f, c.c_s, p.transfer_coefficient
    W, kappa, L_sigma, L_eta = c.W, p.gradient_coefficient_J_m, c.L_sigma, c.L_eta
    i_A_m2 = sim.current_density_mA_cm2 * 10.0
    sigma = fp.CellVariable(mesh=mesh, value=sigma_e)
    shift = fp.CellVariable(mesh=mesh, value=0.0)
    source = fp.CellVariable(mesh=mesh, value=0.0)
    explicit = fp.CellVariable(mesh=mesh, value=0.0)
    # The applied current enters through the top face; its flux variable is updated in place.
    top_flux = fp.FaceVariable(mesh=mesh, rank=1, value=0.0)
    psi.faceGrad.constrain(top_flux, where=mesh.facesTop)
    top = np.asarray(mesh.facesTop)
    potential = fp.DiffusionTerm(coeff=sigma.harmonicFaceValue) - fp.ImplicitSourceTerm(coeff=shift) == source
    order = fp.TransientTerm() == fp.DiffusionTerm(coeff=L_sigma * kappa) + explicit
    solver = (fp.LinearPCGSolver(precon=fp.SmoothedAggregationPreconditioner()) if amg else None)
    k = FARADAY_C_mol * cs * f
    steps = int(np.ceil(hours * 3600.0 / dt_s))
    for _ in range(steps):
        x = np.clip(xi.value, 0.0, 1.0)
        hp = interpolation_derivative(x)
        hx = interpolation(x)
        sigma.value = sigma_e * (1 - hx) + c.sigma_m * hx
        ac = -L_sigma * W * 2 * x * (1 - x) * (1 - 2 * x)
        background = ac + kappa * L_sigma * np.asarray(xi.faceGrad.divergence)
        flux = np.zeros((2, mesh.numberOfFaces))
        flux[1, top] = f * i_A_m2 / sigma.value.reshape(ny, nx)[-1]
        top_flux.value = flux
        for _ in range(3):  # Newton sweeps on the Butler-Volmer sink
            up, down = np.exp(a * psi.value), np.exp(-(1 - a) * psi.value)
            rate = L_eta * hp * (up - down)
            drate = L_eta * hp * (a * up + (1 - a) * down)
            shift.value = k * drate
            source.value = k * (rate - drate * psi.value + background)
            potential.solve(var=psi, solver=solver)
        up, down = np.exp(a * psi.value), np.exp(-(1 - a) * psi.value)
        explicit.value = ac + L_eta * hp * (up - down)
        xi.updateOld()
        order.solve(var=xi, dt=dt_s)
    return np.asarray(xi.value).reshape(ny, nx), steps * dt_s


def make_sim(size: int | tuple, solver: str = "auto", **options) -> ElectrodepositionSimulation:
    shape = (size, size) if isinstance(size, int) else size
    emap = particle_map(shape, fraction=0.2, radius_um=6.0,
                        conductivity_S_m=(LPSC_S_m, LGPS_S_m), rng=0)
    return ElectrodepositionSimulation(emap, parameters=PhaseFieldParameters(),
                                       current_density_mA_cm2=1.0, film_thickness_um=10.0,
                                       roughness_um=0.5, rng=0, solver=solver, **options)


def load(cpu_s: float | None = None, wall_s: float | None = None) -> str:
    """The 1-minute load average, and the process's CPU share of the wall time (below 100 %
    means it waited for a core: the machine was shared)."""
    share = "" if cpu_s is None else f", CPU {100 * cpu_s / wall_s:.0f} % of wall"
    return f"load {os.getloadavg()[0]:.1f}{share}"


def variants() -> dict[str, dict]:
    """The ssblab set-ups timed per step: old default, new default, torch (CPU, CUDA)."""
    from ssblab.backend import cuda_available

    out = {"old default (amg)": dict(solver="amg"), "new default (mg)": dict(solver="auto")}
    try:
        import torch

        torch.set_num_threads(1)  # like OPENBLAS_NUM_THREADS=1: two cores, many agents
        out["torch cpu (mg)"] = dict(backend="torch", device="cpu")
    except ImportError:
        print("torch not installed: no torch rows")
    if cuda_available():
        out["torch cuda (mg)"] = dict(backend="torch", device="cuda")
    return out


def timed_run(size, steps: int, **options) -> tuple[ElectrodepositionSimulation, float, str]:
    """The simulation after ``steps`` steps, the seconds per step from the start (set-ups
    included) and the load."""
    sim = make_sim(size, **options)
    start, cpu = time.perf_counter(), time.process_time()
    sim.run(steps)
    sim.backend.synchronize()
    wall = time.perf_counter() - start
    return sim, wall / steps, load(time.process_time() - cpu, wall)


def fipy_ms_per_step(size: int, steps: int) -> tuple[float, str]:
    reference = make_sim(size, solver="fft")
    dt_s = reference.coefficients.dt_relaxation_s
    start, cpu = time.perf_counter(), time.process_time()
    fipy_run(reference, steps * dt_s / 3600.0 * 0.999, dt_s)
    wall = time.perf_counter() - start
    return wall / steps, load(time.process_time() - cpu, wall)


def step_table(sizes, steps_small: int, fipy_steps: int) -> None:
    print("\nms per step (from step 0, set-ups included; ratio = FiPy or old default / row)")
    for size in sizes:
        steps = steps_small if size < 512 else max(steps_small // 2, 20)
        t_fipy, load_fipy = fipy_ms_per_step(size, fipy_steps)
        rows = [(name, *timed_run(size, steps, **options)[1:]) for name, options in variants().items()]
        t_old = rows[0][1]
        print(f"{size} x {size}: FiPy (default solver, set up once) {t_fipy * 1e3:9.1f} ms/step "
              f"({fipy_steps} steps, {load_fipy})")
        for name, t, where in rows:
            print(f"  {name:20s} {t * 1e3:8.1f} ms/step ({steps} steps, {where}); "
                  f"FiPy / this {t_fipy / t:6.1f}x, old default / this {t_old / t:5.2f}x")


def big_run(size: int, steps: int) -> None:
    print(f"\n{size} x {size}, {steps} steps measured, extrapolated to 10 000 steps")
    for name, options in variants().items():
        sim, t, where = timed_run(size, steps, **options)
        print(f"  {name:20s} {t * 1e3:7.1f} ms/step, {sim.time_s / 3600:.2f} h simulated; "
              f"10 000 steps: {t * 1e4 / 60:6.1f} min ({where})")


def run_3d(size: int, steps: int) -> None:
    print(f"\n3D {size}^3 (20 % LGPS spheres in LPSC, film 10 um), {steps} steps")
    for name, options in variants().items():
        if name.startswith("old"):
            continue   # pyamg's set-up alone takes minutes at 2 million cells
        sim, t, where = timed_run((size, size, size), steps, **options)
        print(f"  {name:20s} {t * 1e3:8.1f} ms/step; 10 000 steps: {t * 1e4 / 3600:5.2f} h ({where}); "
              f"charge deposited/passed "
              f"{sim.deposited_charge_mAh_cm2 / sim.passed_charge_mAh_cm2:.9f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--hours", type=float, default=0.5)
    parser.add_argument("--big-size", type=int, default=512)
    parser.add_argument("--big-steps", type=int, default=200)
    parser.add_argument("--step-sizes", type=int, nargs="*", default=[128, 256, 512])
    parser.add_argument("--step-steps", type=int, default=60)
    parser.add_argument("--fipy-steps", type=int, default=10)
    parser.add_argument("--size3d", type=int, default=0)
    parser.add_argument("--steps3d", type=int, default=20)
    parser.add_argument("--skip-hours", action="store_true", help="skip the per-simulated-hour part")
    args = parser.parse_args()
    if not args.skip_hours:
        per_simulated_hour(args)
    if args.step_sizes:
        step_table(args.step_sizes, args.step_steps, args.fipy_steps)
    if args.big_steps:
        big_run(args.big_size, args.big_steps)
    if args.size3d:
        run_3d(args.size3d, args.steps3d)


def per_simulated_hour(args) -> None:

    sim = make_sim(args.size)
    start = time.perf_counter()
    run_for(sim, args.hours)
    t_ssblab = time.perf_counter() - start
    per_h_ssblab = t_ssblab / (sim.time_s / 3600)
    print(f"grid {args.size} x {args.size}, {args.hours} h at 1 mA/cm2, 20 % LGPS in LPSC")
    print(f"ssblab: {t_ssblab:8.2f} s wall, {sim.nsteps} steps, {per_h_ssblab:8.2f} s per simulated h")
    for label, amg in (("FiPy (default solver)", False), ("FiPy (PCG + smoothed aggregation AMG)", True)):
        reference = make_sim(args.size)
        start = time.perf_counter()
        dt_s = reference.coefficients.dt_relaxation_s
        xi_fipy, simulated_s = fipy_run(reference, args.hours, dt_s, amg=amg)
        t_fipy = time.perf_counter() - start
        per_h_fipy = t_fipy / (simulated_s / 3600)
        print(f"{label}: {t_fipy:8.2f} s wall, "
              f"{int(round(simulated_s / dt_s))} steps, "
              f"{per_h_fipy:8.2f} s per simulated h; ratio to ssblab (per simulated time) "
              f"{per_h_fipy / per_h_ssblab:.1f}x")
        print(f"  mean front: ssblab {mean_front_um(sim.xi, 1.0):.3f} um, FiPy "
              f"{mean_front_um(xi_fipy, 1.0):.3f} um, Faraday "
              f"{mean_front_um(sim.xi_initial, 1.0) + 4.858 * sim.time_s / 3600:.3f} um; "
              f"max |xi difference| {np.max(np.abs(sim.xi - xi_fipy)):.3g}")



if __name__ == "__main__":
    main()
