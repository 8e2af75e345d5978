"""The phase field on the multigrid solver and on PyTorch (CPU in CI; the same code runs on
CUDA): the same trajectory as NumPy, Faraday's law, resume bit for bit, float32."""

import numpy as np
import pytest

from ssblab.dendrite.electrolyte import particle_map, uniform_map
from ssblab.dendrite.phasefield import ElectrodepositionSimulation, PhaseFieldParameters
from ssblab.dendrite.studies import run_for
from ssblab.errors import InputError

OPTIONS = dict(current_density_mA_cm2=2.0, film_thickness_um=8.0, roughness_um=0.5, rng=3)


def _map(shape=(40, 24)):
    return particle_map(shape, fraction=0.2, radius_um=4.0, conductivity_S_m=(0.357, 3.57), rng=5)


def test_multigrid_and_amg_give_the_same_deposit():
    pytest.importorskip("pyamg")
    fields = [run_for(ElectrodepositionSimulation(_map(), solver=s, **OPTIONS), 0.5).xi
              for s in ("mg", "amg")]
    # amg solves to rtol 1e-6, mg to 1e-4: the deposits differ by the tolerances only
    assert np.max(np.abs(fields[0] - fields[1])) < 1e-6


def test_default_solver_conserves_charge_and_repeats_bit_for_bit():
    runs = [ElectrodepositionSimulation(_map(), **OPTIONS).run(40) for _ in range(2)]
    assert runs[0].solver.method == "mg"
    assert runs[0].deposited_charge_mAh_cm2 == pytest.approx(runs[0].passed_charge_mAh_cm2, rel=1e-9)
    np.testing.assert_array_equal(runs[0].xi, runs[1].xi)
    np.testing.assert_array_equal(runs[0].psi, runs[1].psi)


def test_potentiostatic_run_on_multigrid_matches_fft():
    fields = []
    for solver in ("mg", "fft"):
        sim = ElectrodepositionSimulation(uniform_map((48, 4), conductivity_S_m=100.0),
                                          control="potentiostatic", voltage_V=0.02,
                                          film_thickness_um=10.0, solver=solver)
        fields.append(run_for(sim, 0.3).xi)
    assert np.max(np.abs(fields[0] - fields[1])) < 1e-5


def test_float32_keeps_charge_to_its_precision():
    double = ElectrodepositionSimulation(_map(), **OPTIONS).run(40)
    single = ElectrodepositionSimulation(_map(), dtype="float32", **OPTIONS).run(40)
    assert single.xi.dtype == np.float32
    assert single.deposited_charge_mAh_cm2 == pytest.approx(single.passed_charge_mAh_cm2, rel=1e-4)
    assert np.max(np.abs(single.xi - double.xi)) < 1e-4


def test_amg_and_fft_refuse_the_torch_backend():
    pytest.importorskip("torch")
    with pytest.raises(InputError, match="solver 'amg' runs on the NumPy backend only"):
        ElectrodepositionSimulation(_map(), solver="amg", backend="torch", **OPTIONS)


@pytest.mark.parametrize("shape", [(40, 24), (24, 8, 10)])
def test_torch_cpu_follows_the_numpy_trajectory(shape):
    pytest.importorskip("torch")
    params = PhaseFieldParameters(anisotropy_strength=0.02 if len(shape) == 2 else 0.0)
    numpy_run = ElectrodepositionSimulation(_map(shape), parameters=params, **OPTIONS).run(30)
    torch_run = ElectrodepositionSimulation(_map(shape), parameters=params, backend="torch",
                                            device="cpu", **OPTIONS).run(30)
    assert isinstance(torch_run.xi, np.ndarray) and isinstance(torch_run.psi, np.ndarray)
    # the same scheme; the DCT is the FFT of the mirrored field there: round-off apart
    np.testing.assert_allclose(torch_run.xi, numpy_run.xi, rtol=0, atol=1e-9)
    np.testing.assert_allclose(torch_run.time_history_s, numpy_run.time_history_s, rtol=1e-9)
    # the histories are computed on the torch device there (front heights included)
    for name in ("max_front_history_um", "mean_front_history_um", "voltage_history_V"):
        np.testing.assert_allclose(getattr(torch_run, name), getattr(numpy_run, name), atol=1e-8)
    assert torch_run.deposited_charge_mAh_cm2 == pytest.approx(torch_run.passed_charge_mAh_cm2,
                                                               rel=1e-9)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_default_solver_run_directory_resumes_bit_for_bit(tmp_path, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    from ssblab.dendrite.rundir import resume_run, start_run

    params = PhaseFieldParameters(noise_amplitude_1_sqrt_s=0.01, exchange_current_density_mA_cm2=10.0)
    options = dict(OPTIONS, backend=backend, device="cpu")
    straight = start_run(tmp_path / "a", _map(), steps=30, checkpoint_interval=10,
                         parameters=params, movie=False, **options)
    start_run(tmp_path / "b", _map(), steps=20, checkpoint_interval=10, parameters=params,
              movie=False, **options)
    resumed = resume_run(tmp_path / "b", steps=30)
    np.testing.assert_array_equal(resumed.order_parameter, straight.order_parameter)
    np.testing.assert_array_equal(resumed.time_h, straight.time_h)


def test_solver_tolerance_is_far_below_the_lag_of_the_potential():
    """The multigrid default (rtol 1e-4, float32 V-cycle) against a tight solve every step:
    its share of the deposit error is below 1 % of what refreshing the potential every 5 steps
    (the default) costs, in the current-focusing regime (i0 = 100 mA/cm2, contrast 20)."""
    emap = particle_map((64, 64), fraction=0.2, radius_um=4.0, conductivity_S_m=(0.357, 7.14), rng=2)
    params = PhaseFieldParameters(exchange_current_density_mA_cm2=100.0)

    def deposit(interval, rtol=None):
        sim = ElectrodepositionSimulation(emap, parameters=params, current_density_mA_cm2=2.0,
                                          film_thickness_um=8.0, roughness_um=1.0, rng=1,
                                          potential_interval=interval)
        if rtol is not None:
            sim.solver.rtol, sim.solver.precondition_dtype = rtol, "float64"
        return run_for(sim, 0.5).xi

    exact = deposit(1, rtol=1e-11)
    solver_error = np.max(np.abs(deposit(1) - exact))
    lag_error = np.max(np.abs(deposit(5) - exact))
    assert 1e-5 < lag_error < 0.01
    assert solver_error < 0.01 * lag_error
