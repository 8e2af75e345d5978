"""One array backend for the compute kernels (the phase field and the voxel solver).

A kernel takes ``device="cpu" | "cuda" | "auto"`` and, where both exist, ``backend="numpy" |
"torch"``. NumPy/SciPy on the CPU is the default and needs nothing beyond the base install;
PyTorch runs the same kernel on the CPU or on a CUDA GPU (``pip install torch``, or the
``torch`` extra). ``"auto"`` picks CUDA when PyTorch sees a GPU and the CPU otherwise.

A kernel asks for a :class:`Backend` once, at its public entry, with :func:`select_backend`,
and then writes its arithmetic against ``backend.xp`` (``numpy`` or ``torch``), converting at
the edges with :meth:`Backend.asarray` and :meth:`Backend.to_numpy`. Results handed back to the
user are always NumPy arrays, whatever ran.

Examples
--------
>>> b = select_backend(device="cpu")
>>> b.name, b.device
('numpy', 'cpu')
>>> b.to_numpy(b.asarray([1.0, 2.0], dtype="float32")).dtype
dtype('float32')
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np

from ssblab.errors import InputError, ResourceError, check_choice, require_package

Device = Literal["cpu", "cuda", "auto"]
BackendName = Literal["numpy", "torch"]
DType = Literal["float32", "float64"]


@dataclasses.dataclass(frozen=True)
class Backend:
    """Where a kernel's arrays live: ``name`` is the array library, ``device`` ``"cpu"`` or ``"cuda"``."""

    name: BackendName
    device: str

    @property
    def xp(self) -> Any:
        """The array module: :mod:`numpy` or :mod:`torch`."""
        if self.name == "numpy":
            return np
        import torch

        return torch

    def dtype(self, name: DType) -> Any:
        """The backend's dtype object for ``"float32"`` or ``"float64"``."""
        check_choice(name, DType, name="dtype")
        return getattr(self.xp, name)

    def asarray(self, a, *, dtype: DType | None = None) -> Any:
        """``a`` as an array of this backend (no copy where none is needed)."""
        if self.name == "numpy":
            return np.asarray(self.to_numpy(a), dtype=None if dtype is None else self.dtype(dtype))
        torch = self.xp
        return torch.as_tensor(a, dtype=None if dtype is None else self.dtype(dtype), device=self.device)

    def to_numpy(self, a) -> np.ndarray:
        """``a`` as a NumPy array on the host (what every result hands back)."""
        if _is_tensor(a):
            return a.detach().cpu().numpy()
        return np.asarray(a)

    def synchronize(self) -> None:
        """Wait for queued GPU work (timings of a CUDA kernel are meaningless without it)."""
        if self.name == "torch" and self.device == "cuda":
            self.xp.cuda.synchronize()


def _is_tensor(a) -> bool:
    return type(a).__module__.startswith("torch")


def cuda_available() -> bool:
    """Whether PyTorch is installed and sees a CUDA GPU (False, never an error, otherwise)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def select_backend(*, device: Device = "cpu", backend: BackendName | None = None) -> Backend:
    """The backend a kernel runs on, checked once at its public entry.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}
        ``"auto"`` is ``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``.
    backend : {"numpy", "torch"}, optional
        The array library. By default NumPy on the CPU and PyTorch on CUDA.

    Raises
    ------
    InputError
        ``backend="numpy"`` with ``device="cuda"``, or an unknown name.
    ResourceError
        PyTorch is not installed, or ``device="cuda"`` and no GPU is visible.

    Examples
    --------
    >>> select_backend(device="auto", backend="numpy").device
    'cpu'
    >>> select_backend(device="cuda", backend="numpy")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: device 'cuda' needs backend 'torch' (NumPy runs on the CPU only); ...
    """
    check_choice(device, Device, name="device")
    if backend is not None:
        check_choice(backend, BackendName, name="backend")
    if device == "auto":
        device = "cuda" if backend != "numpy" and cuda_available() else "cpu"
    if backend is None:
        backend = "numpy" if device == "cpu" else "torch"
    if backend == "numpy" and device != "cpu":
        raise InputError(f"device {device!r} needs backend 'torch' (NumPy runs on the CPU only); "
                         f"found backend {backend!r}")
    if backend == "torch":
        torch = require_package("torch", extra="torch", purpose=f"the torch backend on {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ResourceError("device 'cuda' was asked for, but PyTorch sees no CUDA GPU on this "
                                "machine; use device 'cpu' or 'auto'")
    return Backend(name=backend, device=device)
