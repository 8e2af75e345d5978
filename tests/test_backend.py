"""The array backend: defaults, device resolution, refusals and round trips."""

import numpy as np
import pytest

from ssblab.backend import cuda_available, select_backend
from ssblab.errors import InputError, ResourceError


def test_default_is_numpy_on_the_cpu():
    b = select_backend()
    assert (b.name, b.device) == ("numpy", "cpu")
    assert b.xp is np


def test_auto_falls_back_to_the_cpu_without_a_gpu():
    b = select_backend(device="auto")
    assert b.device == ("cuda" if cuda_available() else "cpu")


def test_numpy_cannot_run_on_cuda():
    with pytest.raises(InputError, match="device 'cuda' needs backend 'torch'"):
        select_backend(device="cuda", backend="numpy")


def test_unknown_device_is_named():
    with pytest.raises(InputError, match="device"):
        select_backend(device="gpu")


def test_cuda_without_a_gpu_is_refused():
    if cuda_available():
        pytest.skip("this machine has a GPU")
    pytest.importorskip("torch")
    with pytest.raises(ResourceError, match="no CUDA GPU"):
        select_backend(device="cuda")


def test_torch_round_trip_keeps_values_and_dtype():
    pytest.importorskip("torch")
    b = select_backend(device="cpu", backend="torch")
    a = np.linspace(0, 1, 7)
    t = b.asarray(a, dtype="float32")
    assert type(t).__module__.startswith("torch")
    back = b.to_numpy(t)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, a, rtol=1e-7)
    # a tensor handed to the NumPy backend comes back as a NumPy array
    assert isinstance(select_backend().asarray(t), np.ndarray)
