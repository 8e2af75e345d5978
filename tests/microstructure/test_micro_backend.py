"""The voxel solver on the torch backend (CPU in CI; CUDA where a GPU is present) against the
NumPy path and the direct solution."""

import numpy as np
import pytest

from ssblab.backend import cuda_available
from ssblab.errors import InputError
from ssblab.microstructure.generate import pellet
from ssblab.microstructure.solve import solve

torch = pytest.importorskip("torch")
DEVICES = ["cpu"] + (["cuda"] if cuda_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", [(17, 23, 9), (5, 40, 3), (16, 16, 16)])
def test_torch_matches_the_direct_solution(device, shape):
    """Odd and even sizes (both prolongations), three phases, one insulating."""
    rng = np.random.default_rng(sum(shape))
    volume = rng.choice(3, size=shape, p=[0.25, 0.5, 0.25]).astype(np.uint8)
    conductivities = [0.0, 1.0, 30.0]
    exact = solve(volume, conductivities, method="direct", direction="x")
    for dtype, tol in (("float64", 1e-9), ("float32", 1e-4)):
        r = solve(volume, conductivities, direction="x", flux_tol=tol, dtype=dtype,
                  backend="torch", device=device)
        assert r.ok and r.flux_spread <= tol
        assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=10 * tol)
        np.testing.assert_allclose(np.nan_to_num(r.potential_V), np.nan_to_num(exact.potential_V),
                                   atol=100 * tol)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_and_numpy_agree_on_a_pellet(device):
    volume = pellet((40, 36, 32), relative_density=0.7, rng=4).labels
    a = solve(volume, [0.0, 1e-3], direction="z", flux_tol=1e-5, dtype="float32")
    b = solve(volume, [0.0, 1e-3], direction="z", flux_tol=1e-5, dtype="float32",
              backend="torch", device=device)
    assert a.ok and b.ok
    assert b.sigma_eff_S_cm == pytest.approx(a.sigma_eff_S_cm, rel=2e-5)
    assert b.phase_current_share == pytest.approx(a.phase_current_share, rel=1e-4)
    assert isinstance(b.potential_V, np.ndarray)
    np.testing.assert_allclose(np.nan_to_num(b.potential_V), np.nan_to_num(a.potential_V), atol=1e-4)


def test_torch_refines_in_float64_when_float32_stalls():
    rng = np.random.default_rng(7)
    volume = rng.choice(3, size=(32, 32, 32), p=[0.2, 0.5, 0.3]).astype(np.uint8)
    conductivities = [0.0, 1.0, 100.0]
    exact = solve(volume, conductivities, method="direct", direction="x")
    r = solve(volume, conductivities, direction="x", flux_tol=1e-7, dtype="float32",
              max_iterations=300, backend="torch")
    assert r.ok and r.precision.startswith("float32+float64 refinement")
    assert r.sigma_eff_S_cm == pytest.approx(exact.sigma_eff_S_cm, rel=1e-7)


def test_algebraic_methods_refuse_the_torch_backend():
    with pytest.raises(InputError, match="method: 'sa' runs with NumPy on the CPU only"):
        solve(np.ones((4, 4, 4), int), [0, 1], method="sa", backend="torch")


def test_numpy_thread_pool_honours_omp_num_threads(monkeypatch):
    """A sweep pins each worker with OMP_NUM_THREADS; the solver's own pool must follow it."""
    from ssblab.microstructure import multigrid

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert multigrid._threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert multigrid._threads() >= 1
