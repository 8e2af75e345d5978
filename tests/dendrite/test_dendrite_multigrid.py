"""The multigrid-preconditioned CG of the potential: solutions against a sparse direct solve,
a symmetric preconditioner, iteration counts that do not grow with the grid, and the same
answer on PyTorch."""

import numpy as np
import pytest
import scipy.sparse.linalg

from ssblab.backend import select_backend
from ssblab.dendrite.multigrid import hierarchy, mg_cg
from ssblab.dendrite.solver import PotentialOperator

NUMPY = select_backend()


def _problem(shape, *, dirichlet, seed=0, contrast=True):
    """A conductivity field like the model's: electrolyte 1 and 10 (particles), metal 0.01
    below a rough front, insulating voids floored at 1e-6, and a reaction sink at the front."""
    rng = np.random.default_rng(seed)
    sigma = np.where(rng.random(shape) < 0.2, 10.0, 1.0)
    if contrast:
        rows = np.arange(shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
        front = shape[0] // 3 + rng.integers(-2, 3, size=shape[1:])
        sigma = np.where(rows < front, 0.01, sigma)
        sigma = np.where(rng.random(shape) < 0.03, 1e-6, sigma)
        shift = np.where(rows == front, 0.5, 0.0) * rng.random(shape)
    else:
        shift = np.full(shape, 1e-3)
    op = PotentialOperator(sigma, dirichlet_top=dirichlet, shift=shift)
    return op, rng.standard_normal(shape)


@pytest.mark.parametrize("shape, dirichlet", [
    ((64, 48), False), ((64, 48), True),     # coarsens to a direct solve
    ((40, 24), True),                        # few levels
    ((48, 4), False),                        # too small to coarsen: one direct level
    ((66, 70), False),                       # odd after one level: a large direct level
    ((65, 130), False),                      # coarsest too large to invert: sparse LU
    ((16, 8, 12), False), ((16, 8, 12), True),
])
def test_solution_matches_a_sparse_direct_solve(shape, dirichlet):
    op, rhs = _problem(shape, dirichlet=dirichlet)
    x, iterations = mg_cg(NUMPY, op.faces, op.shift, op.top if dirichlet else None, rhs,
                          np.zeros(shape), rtol=1e-10, precondition_dtype="float64")
    truth = scipy.sparse.linalg.spsolve(op.matrix().tocsc(), rhs.ravel()).reshape(shape)
    # the residual is checked with the operator's own (np.roll) product, not the solver's
    assert np.linalg.norm(op.matvec(x) - rhs) <= 1e-9 * np.linalg.norm(rhs)
    assert np.max(np.abs(x - truth)) <= 1e-6 * np.max(np.abs(truth))
    assert iterations < 60


def test_v_cycle_is_a_symmetric_positive_definite_preconditioner():
    op, _ = _problem((64, 32), dirichlet=False)
    level = hierarchy(NUMPY, op.faces, op.shift, None)
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 64, 32))
    ma, mb = level.vcycle(a.copy()), level.vcycle(b.copy())
    assert np.vdot(ma, b) == pytest.approx(np.vdot(a, mb), rel=1e-10)
    assert np.vdot(ma, a) > 0 and np.vdot(mb, b) > 0


def test_iterations_do_not_grow_with_the_grid():
    counts = []
    for n in (32, 64, 128):
        op, rhs = _problem((n, n), dirichlet=True, contrast=False)
        _, iterations = mg_cg(NUMPY, op.faces, op.shift, op.top, rhs, np.zeros((n, n)), rtol=1e-8,
                              precondition_dtype="float64")
        counts.append(iterations)
    assert max(counts) <= min(counts) + 3, counts
    assert max(counts) <= 20, counts


def test_float32_preconditioner_reaches_the_float64_tolerance():
    op, rhs = _problem((64, 64), dirichlet=False)
    x, _ = mg_cg(NUMPY, op.faces, op.shift, None, rhs, np.zeros((64, 64)), rtol=1e-9,
                 precondition_dtype="float32")
    assert x.dtype == np.float64
    assert np.linalg.norm(op.matvec(x) - rhs) <= 1e-9 * np.linalg.norm(rhs)


def test_torch_gives_the_numpy_solution():
    torch = pytest.importorskip("torch")
    op, rhs = _problem((32, 24), dirichlet=True)
    x_np, _ = mg_cg(NUMPY, op.faces, op.shift, op.top, rhs, np.zeros(rhs.shape), rtol=1e-10,
                    precondition_dtype="float64")
    backend = select_backend(device="cpu", backend="torch")
    t = [torch.as_tensor(f) for f in op.faces]
    x_t, _ = mg_cg(backend, t, torch.as_tensor(op.shift), torch.as_tensor(op.top),
                   torch.as_tensor(rhs), torch.zeros(rhs.shape, dtype=torch.float64), rtol=1e-10,
                   precondition_dtype="float64")
    np.testing.assert_allclose(backend.to_numpy(x_t), x_np, rtol=0, atol=1e-8 * np.abs(x_np).max())


def test_zero_right_hand_side_gives_zero():
    op, _ = _problem((16, 8), dirichlet=False)
    x, iterations = mg_cg(NUMPY, op.faces, op.shift, None, np.zeros((16, 8)), np.ones((16, 8)))
    assert iterations == 0 and not x.any()
