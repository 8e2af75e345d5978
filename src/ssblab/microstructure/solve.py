"""Steady-state conduction through a voxel image: effective conductivity, tortuosity, currents.

The volume is a label map indexed ``[x, y, z]``; each label has a conductivity in S/cm (0 for
voids). The potential sits at voxel centres. Two neighbouring voxels are joined by the harmonic
mean of their conductivities (the exact series conductance of two half-voxels); a voxel in
the first or last layer is joined to its electrode by twice its own conductivity (a half-voxel),
so a uniform block of ``n`` voxels has exactly ``n`` voxel resistances, as in TauFactor. The
electrodes hold ``voltage_V`` and 0 on the two faces normal to ``direction``; the other faces
are insulating (``boundary="no-flux"``) or wrap around (``"periodic"``).

Before solving, voxels that do not belong to a conducting cluster touching *both* electrodes
are removed (isolated grains, clusters touching one electrode only): they carry no current, and
removing them makes the matrix symmetric positive definite. Dead-end branches of a percolating
cluster stay; they carry no net current. The linear system is solved by conjugate gradients
preconditioned with multigrid: by default (no-flux sides) the matrix-free aggregation K-cycle of
:mod:`ssblab.microstructure.multigrid` (``method="gmg"``) with flexible CG, in NumPy or in
PyTorch on the CPU or a CUDA GPU (``device``, ``backend``); with periodic sides,
or on request, an algebraic V-cycle from pyamg (``"sa"`` smoothed aggregation, ``"rs"``
Ruge-Stuben); ``"direct"`` is sparse LU for small volumes and reference solutions.

Convergence is judged on the flux, not only on the residual: the current through every one of
the ``n + 1`` cross-sections normal to the transport direction (the two electrode faces
included) must agree with their mean to ``flux_tol``. Their spread is bounded by the l1 norm
of the residual, so the solver tightens the residual tolerance until the flux criterion holds.

Definitions
-----------
``sigma_eff = I L / (A dV)`` with the total current ``I``, length ``L``, cross-section ``A``
and applied voltage ``dV``; ``I`` is read from the dissipated power ``P = I dV`` summed over
every link (Dirichlet's principle: an upper bound for an approximate potential, with an error
quadratic in the potential's, where the mean cross-section current's is linear). The
tortuosity factor is ``tau = eps * sigma_phase / sigma_eff``, where ``eps`` is the volume
fraction of conducting voxels (all of them, dead ends and isolated clusters included, as in
TauFactor) and ``sigma_phase`` their volume-weighted mean conductivity (for one conducting
phase: its conductivity). ``tau >= 1`` always.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from ssblab.backend import BackendName, Device, select_backend
from ssblab.errors import ConvergenceError, InputError, check_choice, require_package
from ssblab.microstructure.multigrid import _compiled, _for_chunks, _threads, lattice, solve_potential
from ssblab.results import Result, provenance

Direction = Literal["x", "y", "z"]
Boundary = Literal["no-flux", "periodic"]
SolveMethod = Literal["auto", "gmg", "sa", "rs", "direct"]
SolveDtype = Literal["auto", "float32", "float64"]
_AXES = {"x": 0, "y": 1, "z": 2}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConductionResult(Result):
    """Effective transport of one voxel volume in one direction.

    Full 3D fields (``potential_V``, ``current_density_A_cm2`` as the component along the
    transport direction) are kept only with ``keep_fields=True``; mid-plane slices always are.
    """

    title = "Voxel conduction"

    direction: str = "z"
    shape: tuple = ()
    voxel_size_cm: float = math.nan
    voltage_V: float = 1.0
    sigma_eff_S_cm: float = 0.0
    tortuosity_factor: float = math.inf
    conducting_fraction: float = 0.0
    connected_fraction: float = 0.0
    percolates: bool = False
    phase_fractions: dict = dataclasses.field(default_factory=dict)
    phase_current_share: dict = dataclasses.field(default_factory=dict)
    inlet_area_share: dict = dataclasses.field(default_factory=dict)
    inlet_current_share: dict = dataclasses.field(default_factory=dict)
    hot_spot_top1_share: float = math.nan
    hot_spot_peak_to_mean: float = math.nan
    flux_spread: float = math.nan
    inlet_outlet_mismatch: float = math.nan
    plane_current_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    iterations: int = 0
    relative_residual: float = math.nan
    method: str = "sa"
    #: working precision; "float32+float64 refinement" when float32 rounding stalled the solve
    precision: str = "float64"
    potential_slice_V: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    current_slice_A_cm2: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    potential_V: np.ndarray | None = dataclasses.field(default=None, compare=False)
    current_density_A_cm2: np.ndarray | None = dataclasses.field(default=None, compare=False)

    def summary(self):
        rows = [
            ("direction", self.direction),
            ("shape (voxels)", "x".join(str(s) for s in self.shape)),
            ("effective conductivity (S/cm)", self.sigma_eff_S_cm),
            ("tortuosity factor tau = eps*sigma_phase/sigma_eff (-)", self.tortuosity_factor),
            ("conducting volume fraction eps (-)", self.conducting_fraction),
            ("connected (percolating) fraction of conducting voxels (-)", self.connected_fraction),
            ("percolates", self.percolates),
        ]
        if not self.percolates:
            return rows
        rows += [(f"current share of phase {k} (-)", v) for k, v in self.phase_current_share.items()]
        rows += [
            ("current share of top 1 % voxels (-)", self.hot_spot_top1_share),
            ("peak / mean |j| (-)", self.hot_spot_peak_to_mean),
            ("cross-section current spread (-)", self.flux_spread),
            ("CG iterations", self.iterations),
            ("precision", self.precision),
        ]
        return rows

    def _draw(self, ax, *, field: str = "potential"):
        check_choice(field, ("potential", "current"), name="field")
        data = self.potential_slice_V if field == "potential" else self.current_slice_A_cm2
        take = 1 if _AXES[self.direction] != 1 else 0
        other = [a for i, a in enumerate("xyz") if i != take]
        # Voxels outside the percolating cluster (NaN potential) are left blank in both plots.
        data = np.ma.masked_where(~np.isfinite(self.potential_slice_V), data)
        # physical axes (um) when the voxel size is known, else voxel indices
        if np.isfinite(self.voxel_size_cm) and self.voxel_size_cm > 0:
            step, unit = self.voxel_size_cm * 1e4, "um"
        else:
            step, unit = 1.0, "voxels"
        extent = (0, data.shape[0] * step, 0, data.shape[1] * step)
        image = ax.imshow(data.T, origin="lower", extent=extent,
                          cmap="viridis" if field == "potential" else "inferno")
        label = ("potential (V)" if field == "potential"
                 else f"current density along {self.direction} (A/cm$^2$)")
        ax.figure.colorbar(image, ax=ax, label=label)
        ax.set_xlabel(f"{other[0]} ({unit})")
        ax.set_ylabel(f"{other[1]} ({unit})")
        ax.set_title(f"mid-plane slice, transport along {self.direction}", fontsize=9)

    def figures(self):
        """``[(caption, Figure)]``: mid-plane slices of the potential and of the current."""
        import matplotlib.pyplot as plt

        out = []
        for field, caption in (("potential", "potential, mid-plane slice"),
                               ("current", "current density along the transport direction")):
            fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
            self._draw(ax, field=field)
            out.append((caption, fig))
        return out


def solve(volume: np.ndarray, conductivities_S_cm: Mapping[int, float] | Sequence[float], *,
          direction: Direction = "z", voxel_size_cm: float = 1e-4, voltage_V: float = 1.0,
          boundary: Boundary = "no-flux",
          method: SolveMethod = "auto", flux_tol: float = 1e-4,
          rtol: float = 1e-6, max_iterations: int = 500, dtype: SolveDtype = "auto",
          device: Device = "cpu", backend: BackendName | None = None,
          keep_fields: bool = True, raise_on_failure: bool = False) -> ConductionResult:
    """Solve steady conduction through a labelled voxel volume.

    Parameters
    ----------
    volume : ndarray of int, shape (nx, ny, nz)
        Label map (phase index per voxel).
    conductivities_S_cm : mapping or sequence
        Conductivity of each label in S/cm (0 for an insulating phase such as voids).
    direction : {"x", "y", "z"}
        Transport direction; the electrodes are the two faces normal to it.
    voxel_size_cm : float
        Edge of a cubic voxel in cm; it sets the current densities (sigma_eff does not depend
        on it).
    voltage_V : float
        Potential difference between the electrodes.
    boundary : {"no-flux", "periodic"}
        Condition on the four side faces.
    method : {"auto", "gmg", "sa", "rs", "direct"}
        ``"gmg"``: matrix-free CG with a voxel aggregation multigrid preconditioner
        (:mod:`~ssblab.microstructure.multigrid`; fast, low memory, no-flux sides only);
        ``"sa"``/``"rs"``: CG preconditioned by pyamg's smoothed-aggregation or Ruge-Stuben
        algebraic multigrid; ``"direct"``: sparse LU (small volumes, reference solutions).
        ``"auto"`` is ``"gmg"`` with no-flux sides and ``"sa"`` with periodic ones.
    flux_tol : float
        Required agreement of the current through every cross-section with their mean.
    rtol : float
        pyamg methods: initial relative residual tolerance, tightened tenfold until
        ``flux_tol`` holds (``"gmg"`` stops on the flux criterion directly).
    dtype : {"auto", "float32", "float64"}
        Working precision of ``"gmg"``; ``"auto"`` is float32 for ``flux_tol >= 1e-5``. When
        float32 rounding stops the spread falling short of ``flux_tol`` (large volumes), the
        solution is refined in float64 with the float32 multigrid (``result.precision`` says so).
    device : {"cpu", "cuda", "auto"}
        Where ``"gmg"`` runs (:func:`ssblab.backend.select_backend`); ``"cuda"`` needs PyTorch
        and a GPU, ``"auto"`` takes the GPU when there is one. The other methods run on the CPU.
    backend : {"numpy", "torch"}, optional
        Array library of ``"gmg"``: NumPy by default on the CPU, PyTorch on CUDA; PyTorch on
        the CPU uses all its threads. Every output is a NumPy array whatever ran.
    keep_fields : bool
        Keep the full 3D potential and current-density fields on the result.
    raise_on_failure : bool
        Raise :class:`~ssblab.errors.ConvergenceError` instead of returning a failed result.

    Examples
    --------
    Two layers in series, 1 and 3 S/cm: the harmonic mean 1.5 S/cm.

    >>> layers = np.zeros((2, 2, 4), dtype=np.uint8); layers[:, :, 2:] = 1
    >>> result = solve(layers, [1.0, 3.0], direction="z", method="direct")
    >>> round(result.sigma_eff_S_cm, 6)
    1.5
    """
    labels, lut, counts = _check_inputs(volume, conductivities_S_cm)
    direction = check_choice(direction, Direction, name="direction")
    boundary = check_choice(boundary, Boundary, name="boundary")
    method = check_choice(method, SolveMethod, name="method")
    dtype = check_choice(dtype, SolveDtype, name="dtype")
    if method == "auto":
        method = "gmg" if boundary == "no-flux" else "sa"
    if method == "gmg" and boundary == "periodic":
        raise InputError("method: 'gmg' supports no-flux sides only; use 'sa' or 'rs' with "
                         "boundary='periodic'")
    array_backend = select_backend(device=device, backend=backend)
    if method != "gmg" and array_backend.name != "numpy":
        raise InputError(f"method: {method!r} runs with NumPy on the CPU only; use method 'gmg' "
                         f"for backend {array_backend.name!r} on device {array_backend.device!r}")
    if dtype == "auto":
        dtype = "float32" if flux_tol >= 1e-5 else "float64"
    for name, value in (("voxel_size_cm", voxel_size_cm), ("voltage_V", voltage_V),
                        ("flux_tol", flux_tol), ("rtol", rtol)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{name}: expected a positive finite number, found {value!r}")
    axis = _AXES[direction]
    inputs = dict(shape=labels.shape, conductivities_S_cm=lut.tolist(), direction=direction,
                  voxel_size_cm=voxel_size_cm, boundary=boundary, method=method, flux_tol=flux_tol,
                  backend=f"{array_backend.name} on {array_backend.device}")
    # Work with the transport axis first; every array below is in that frame. Memory matters
    # at 512^3 (134 M voxels): full-size arrays are labels, masks and float32 fields; float64
    # work is done a slab of layers at a time.
    lab = np.moveaxis(labels, axis, 0)
    present = np.flatnonzero(counts)
    phase_fractions = {int(p): float(counts[p] / lab.size) for p in present}
    conducting = np.take(lut > 0, lab)
    eps = float(counts[lut > 0].sum() / lab.size)
    common = dict(direction=direction, shape=tuple(labels.shape), voxel_size_cm=voxel_size_cm,
                  voltage_V=voltage_V, conducting_fraction=eps, phase_fractions=phase_fractions,
                  method=method, provenance=provenance(**inputs))
    if not conducting.any():
        return _failed("no conducting voxel: every label present has conductivity 0", common,
                       raise_on_failure)
    active = percolating_mask(conducting, axis=0, periodic=boundary == "periodic")
    n_active = np.count_nonzero(active)  # not bool.sum(): 8x slower
    connected = float(n_active / np.count_nonzero(conducting))
    del conducting
    if not n_active:
        return _failed(f"nothing percolates: no conducting path joins the two faces normal to "
                       f"{direction}", dict(common, connected_fraction=connected), raise_on_failure)

    precision = "float64"
    # The potential does not depend on the conductivity scale; solving with the largest
    # conductivity at 1 keeps float32 sums well inside their precision. Currents are computed
    # with the solver's link conductances, in lattice units times ``scale``.
    scale = float(lut.max())
    wrap = None
    if method == "gmg":
        # every conducting label present at the largest conductivity (one conducting phase):
        # every scaled conductivity is 0 or 1, every conductance a whole number
        conductivities = lut[present]
        unit = bool(np.all(conductivities[conductivities > 0] == scale))
        if unit:
            scaled = active.astype(dtype)  # the percolating cluster is the conducting phase
        else:
            scaled = np.take((lut / scale).astype(dtype), lab)
            np.multiply(scaled, active, out=scaled)
        level = lattice(scaled, dtype=np.dtype(dtype), backend=array_backend,
                        unit_conductivity=unit)
        del scaled
        potential, iterations, residual, _, _, refinements = solve_potential(
            level, flux_tol=flux_tol, max_iterations=max_iterations)
        precision = dtype + (f"+float64 refinement ({refinements} rounds)" if refinements else "")
    else:
        sigma = np.where(active, lut[lab], 0.0)
        matrix, rhs, index, faces = _assemble(sigma, active, periodic=boundary == "periodic")
        potential = np.zeros(sigma.shape)
        potential[active], iterations, residual, _ = _solve_system(
            matrix, rhs, index, faces, method=method, flux_tol=flux_tol, rtol=rtol,
            max_iterations=max_iterations)
        del matrix
        sigma /= scale
        level = lattice(sigma, dtype=np.float64)
        if boundary == "periodic":
            wrap = (_harmonic(sigma[:, -1, :], sigma[:, 0, :]), _harmonic(sigma[:, :, -1], sigma[:, :, 0]))
        del sigma
    to_numpy = array_backend.to_numpy
    conductances = [to_numpy(g) for g in level.g]
    electrodes = to_numpy(level.inlet), to_numpy(level.outlet)
    del level
    potential = to_numpy(potential)
    planes, j_axial, j_mag, power = _currents(potential, conductances, *electrodes, wrap=wrap)
    del conductances
    planes *= scale
    power *= scale
    mean = planes.mean()
    # a mean current <= 0 (or NaN) is no solution at all, never a small spread
    spread = float(np.max(np.abs(planes - mean)) / mean) if mean > 0 else math.inf
    mismatch = float(abs(planes[0] - planes[-1]) / mean) if mean > 0 else math.inf
    converged = spread <= flux_tol
    n_axis, n1, n2 = lab.shape
    # Lattice currents: unit voxel and unit voltage; rescale to physical units at the end. The
    # current is read from the dissipated power (module docstring): its error is the square of
    # the potential's, where the mean plane current's is linear in it.
    sigma_eff = float(power * n_axis / (n1 * n2))
    sigma_mean = float((counts * lut)[lut > 0].sum() / counts[lut > 0].sum())
    tau = eps * sigma_mean / sigma_eff

    # current per phase: one weighted count (j_axial is zero outside the active voxels); with
    # a single conducting phase it carries everything
    carriers = [int(p) for p in present if lut[p] > 0]
    if len(carriers) == 1:
        phase_share = {carriers[0]: 1.0}
    else:
        per_phase = np.bincount(lab.reshape(-1), weights=j_axial.reshape(-1), minlength=lut.size)
        phase_share = {p: float(per_phase[p] / per_phase.sum()) for p in carriers}
    inlet = electrodes[0] * (1.0 - potential[0].astype(np.float64))  # zero off the cluster
    per_phase = np.bincount(lab[0].reshape(-1), weights=inlet.reshape(-1), minlength=lut.size)
    inlet_current = {int(p): float(per_phase[p] / inlet.sum()) for p in present}
    area = np.bincount(lab[0].reshape(-1), minlength=lut.size) / lab[0].size
    inlet_area = {int(p): float(area[p]) for p in present}
    top1, peak = _hot_spots(j_mag, j_axial, n_active)
    del j_mag

    scale_j = scale * voltage_V / voxel_size_cm  # lattice current density -> A/cm^2
    mid = labels.shape[1 if axis != 1 else 0] // 2
    take = 1 if axis != 1 else 0
    # the slices (and full fields on request) in the caller's frame; NaN outside the cluster
    potential_V = np.moveaxis(potential, 0, axis)
    current = np.moveaxis(j_axial, 0, axis)
    active_xyz = np.moveaxis(active, 0, axis)
    kept = {}
    if keep_fields:
        kept = dict(potential_V=np.where(active_xyz, potential_V.astype(float) * voltage_V, np.nan),
                    current_density_A_cm2=current.astype(float) * scale_j)
    potential_slice = np.where(np.take(active_xyz, mid, axis=take),
                               np.take(potential_V, mid, axis=take).astype(float) * voltage_V, np.nan)
    result = ConductionResult(
        **common, sigma_eff_S_cm=sigma_eff, tortuosity_factor=float(tau),
        connected_fraction=connected, percolates=True, phase_current_share=phase_share,
        inlet_area_share=inlet_area, inlet_current_share=inlet_current,
        hot_spot_top1_share=top1, hot_spot_peak_to_mean=peak, flux_spread=spread,
        inlet_outlet_mismatch=mismatch,
        plane_current_A=planes * voltage_V * voxel_size_cm,
        iterations=iterations, relative_residual=residual, precision=precision,
        potential_slice_V=potential_slice,
        current_slice_A_cm2=np.take(current, mid, axis=take).astype(float) * scale_j,
        **kept,
        ok=converged,
        reason="" if converged else (f"flux criterion not met after {iterations} iterations: "
                                     f"cross-section currents spread {spread:.2e} > {flux_tol:.0e}"))
    if not converged and raise_on_failure:
        raise ConvergenceError(result.reason)
    return result


def percolating_mask(conducting: np.ndarray, *, axis: int = 0, periodic: bool = False) -> np.ndarray:
    """Voxels of ``conducting`` in a face-connected cluster touching both faces normal to ``axis``.

    With ``periodic=True`` clusters also join across the other two pairs of faces.

    Examples
    --------
    >>> m = np.zeros((3, 3, 3), bool); m[:, 1, 1] = True; m[0, 0, 0] = True
    >>> int(percolating_mask(m, axis=0).sum())
    3
    """
    kernels = None if periodic else _compiled()
    if kernels is not None:  # one compiled union-find pass (the fast extra): 2x ndimage.label
        conducting = np.asarray(conducting, dtype=bool)
        mask = np.empty(conducting.shape, dtype=bool)
        kernels.percolating(np.moveaxis(conducting, axis, 0), np.moveaxis(mask, axis, 0))
        return mask
    from scipy import ndimage

    labels, count = ndimage.label(conducting)
    if count == 0:
        return np.zeros_like(conducting, dtype=bool)
    roots = np.arange(count + 1)
    if periodic:
        # Union clusters that meet across the wrapped faces (union-find on labels).
        import scipy.sparse as sp
        from scipy.sparse.csgraph import connected_components

        pairs = []
        for other in {0, 1, 2} - {axis}:
            a = np.take(labels, 0, axis=other)
            b = np.take(labels, -1, axis=other)
            both = (a > 0) & (b > 0)
            pairs.append(np.stack([a[both], b[both]]))
        pairs = np.concatenate(pairs, axis=1)
        graph = sp.coo_array((np.ones(pairs.shape[1]), (pairs[0], pairs[1])),
                             shape=(count + 1, count + 1))
        _, roots = connected_components(graph, directed=False)
    first = np.unique(roots[np.take(labels, 0, axis=axis)])
    last = np.unique(roots[np.take(labels, -1, axis=axis)])
    both = np.intersect1d(first, last)
    both = both[both != roots[0]]
    # label 0 (the background) is never kept, so no ``& conducting`` is needed
    return np.take(np.isin(roots, both), labels)


def _check_inputs(volume, conductivities):
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise InputError(f"volume: expected a 3D label array (nx, ny, nz), found {volume.ndim} "
                         f"dimension(s) with shape {volume.shape}")
    if min(volume.shape) < 1 or volume.size < 2:
        raise InputError(f"volume: expected at least 2 voxels, found shape {volume.shape}")
    if volume.dtype == bool:
        volume = volume.astype(np.uint8)
    if not np.issubdtype(volume.dtype, np.integer):
        if not np.all(np.isfinite(volume)) or np.any(volume != np.round(volume)):
            raise InputError("volume: expected integer phase labels, found non-integer values; "
                             "segment the image first (ssblab.microstructure.io.segment)")
        volume = volume.astype(np.int64)
    if volume.min() < 0:
        raise InputError(f"volume: expected labels >= 0, found {volume.min()}")
    if isinstance(conductivities, Mapping):
        size = max(int(volume.max()), *(int(k) for k in conductivities)) + 1
        lut = np.full(size, np.nan)
        for key, value in conductivities.items():
            lut[int(key)] = float(value)
    else:
        lut = np.asarray(conductivities, dtype=float).ravel()
    top = int(volume.max())
    # a count per label is one pass; sorting (np.unique) is the fallback for sparse huge labels
    if top < 16 and volume.itemsize == 1:  # segmented images: a cheap comparison per label
        per_label = np.array([np.count_nonzero(volume == k) for k in range(top + 1)])
    elif top < 1 << 20:
        per_label = np.bincount(volume.reshape(-1))
    else:
        present, per_label = np.unique(volume, return_counts=True)
    if top < 1 << 20:
        present = np.flatnonzero(per_label)
        per_label = per_label[present]
    missing = [int(p) for p in present if p >= lut.size or not np.isfinite(lut[p])]
    if missing:
        raise InputError(f"conductivities_S_cm: no finite conductivity for label(s) {missing} "
                         f"present in the volume (given for {lut.size} labels)")
    if np.any(lut[np.isfinite(lut)] < 0):
        raise InputError(f"conductivities_S_cm: expected values >= 0, found {lut.tolist()}")
    counts = np.zeros(lut.size, np.int64)  # voxels per label (every label present is < lut.size)
    counts[present] = per_label
    return volume, np.nan_to_num(lut, nan=0.0), counts


def _failed(reason, common, raise_on_failure):
    if raise_on_failure:
        raise ConvergenceError(reason)
    return ConductionResult(**common, ok=False, reason=reason, sigma_eff_S_cm=0.0,
                            tortuosity_factor=math.inf)


def _harmonic(a, b):
    total = a + b
    return np.divide(2 * a * b, total, out=np.zeros_like(total), where=total > 0)


def _assemble(sigma, active, *, periodic):
    """Conductance matrix (lattice units) over active voxels; electrode at V=1 on layer 0."""
    import scipy.sparse as sp

    n = int(active.sum())
    index = np.full(sigma.shape, -1, dtype=np.int64)
    index[active] = np.arange(n)
    s = np.where(active, sigma, 0.0)
    rows, cols, vals = [], [], []
    for ax in range(3):
        lo, hi = s, np.roll(s, -1, axis=ax)
        g = _harmonic(lo, hi)
        if not (periodic and ax > 0):
            cut = [slice(None)] * 3
            cut[ax] = -1
            g[tuple(cut)] = 0.0  # no wrap-around link
        link = g > 0
        rows.append(index[link])
        cols.append(np.roll(index, -1, axis=ax)[link])
        vals.append(g[link])
    rows, cols, vals = (np.concatenate(v) for v in (rows, cols, vals))
    inlet = 2 * s[0]
    outlet = 2 * s[-1]
    diag = np.bincount(rows, vals, n) + np.bincount(cols, vals, n)
    diag[index[0][active[0]]] += inlet[active[0]]
    diag[index[-1][active[-1]]] += outlet[active[-1]]
    rhs = np.zeros(n)
    rhs[index[0][active[0]]] = inlet[active[0]]
    matrix = sp.csr_array(sp.coo_array(
        (np.concatenate([-vals, -vals, diag]),
         (np.concatenate([rows, cols, np.arange(n)]), np.concatenate([cols, rows, np.arange(n)]))),
        shape=(n, n)))
    faces = {"inlet_g": inlet, "outlet_g": outlet, "s": s}
    return matrix, rhs, index, faces


def _solve_system(matrix, rhs, index, faces, *, method, flux_tol, rtol, max_iterations):
    if method == "direct":
        from scipy.sparse.linalg import spsolve

        x = spsolve(matrix.tocsc(), rhs)
        residual = float(np.linalg.norm(rhs - matrix @ x) / np.linalg.norm(rhs))
        return x, 0, residual, _plane_currents(x, index, faces)
    pyamg = require_package("pyamg", extra="micro", purpose="the voxel conduction solver")
    if method == "sa":
        ml = pyamg.smoothed_aggregation_solver(matrix, symmetry="symmetric", max_coarse=500)
    else:
        ml = pyamg.ruge_stuben_solver(matrix, max_coarse=500)
    s = faces["s"]
    # Start from the linear profile: exact for a uniform block, close for most media.
    n_axis = s.shape[0]
    guess = np.broadcast_to(1 - (np.arange(n_axis) + 0.5) / n_axis, s.shape[::-1]).T
    x = np.ascontiguousarray(guess[index >= 0])
    norm_b = np.linalg.norm(rhs)
    iterations, tol = 0, rtol
    while True:
        residuals: list[float] = []
        x = ml.solve(rhs, x0=x, tol=tol, accel="cg", maxiter=max_iterations, residuals=residuals)
        iterations += max(len(residuals) - 1, 0)
        planes = _plane_currents(x, index, faces)
        spread = np.max(np.abs(planes - planes.mean())) / planes.mean()
        if spread <= flux_tol or tol < 1e-13 or iterations >= max_iterations:
            break
        tol /= 10
    residual = float(np.linalg.norm(rhs - matrix @ x) / norm_b)
    return x, iterations, residual, planes


def _plane_currents(x, index, faces):
    """Current through each of the n+1 cross-sections (lattice units), electrodes included."""
    s = faces["s"]
    v = np.zeros(s.shape)
    active = index >= 0
    v[active] = x
    g = _harmonic(s[:-1], s[1:])
    inner = (g * (v[:-1] - v[1:])).sum(axis=(1, 2))
    first = (faces["inlet_g"] * (1.0 - v[0]) * active[0]).sum()
    last = (faces["outlet_g"] * v[-1] * active[-1]).sum()
    return np.concatenate([[first], inner, [last]])


def _currents(potential, g, inlet, outlet, *, wrap=None, slab=16):
    """Currents from the potential (lattice units: unit voxel, electrode at 1 on layer 0).

    ``g`` are the three link-conductance arrays of :func:`~ssblab.microstructure.multigrid.lattice`
    (0 off the cluster and on each axis's last layer), ``inlet``/``outlet`` the electrode
    conductances of layers 0 and -1, ``wrap`` the conductances of the links that close the
    periodic sides (axes 1 and 2) or None. Returns the current through each of the n+1
    cross-sections (float64 sums), the axial current per voxel (mean of its two axial faces;
    in the working precision), ``|j|`` per voxel from the face-averaged components along
    all three axes (float32), both 0 outside the cluster, and the dissipated power
    ``sum g (du)^2`` over every link and electrode contact (float64 sum). Products run in the
    potential's precision (neighbouring float32 potentials subtract exactly), a slab of
    layers at a time.
    """
    n0 = potential.shape[0]
    dtype = np.result_type(potential, g[0])
    planes = np.empty(n0 + 1)
    kernels = _compiled() if wrap is None and dtype == potential.dtype else None
    if kernels is not None:  # one compiled pass (the fast extra), one run of layers a thread
        j_axial = np.empty(potential.shape, potential.dtype)
        j_mag = np.empty(potential.shape, np.float32)
        heat = np.zeros(n0)  # per layer, added in layer order: independent of the thread count

        def run(i0, i1, _):
            kernels.currents(potential, *g, inlet, outlet, planes, j_axial, j_mag, heat, i0, i1)

        _for_chunks(n0, dtype, run, chunk=-(-n0 // _threads()))
        return planes, j_axial, j_mag, float(heat.sum())
    power = np.zeros(-(-n0 // slab))  # one entry per slab (the threads write their own)
    j_axial = np.empty(potential.shape, dtype)  # float64 only for float64 solves
    j_mag = np.empty(potential.shape, np.float32)
    lo = [(slice(None), slice(None, -1)), (slice(None), slice(None), slice(None, -1))]
    hi = [(slice(None), slice(1, None)), (slice(None), slice(None), slice(1, None))]

    def layers(i0, i1, _):  # slabs are independent (plane i1 is written twice, the same value)
        v = potential[i0:i1]
        face = np.empty((i1 - i0 + 1, *v.shape[1:]), dtype)  # axial faces i0 .. i1
        face[0] = (inlet * (1.0 - v[0]) if i0 == 0
                   else g[0][i0 - 1] * (potential[i0 - 1] - v[0]))
        heat = _dissipated(face[0], 1.0 - v[0]) if i0 == 0 else 0.0
        last = min(i1, n0 - 1)
        drop = face[1:last - i0 + 1]
        np.subtract(potential[i0:last], potential[i0 + 1:last + 1], out=drop)
        heat += _dissipated(drop, drop, g[0][i0:last])
        drop *= g[0][i0:last]
        if i1 == n0:
            face[-1] = outlet * v[-1]
            heat += _dissipated(face[-1], v[-1])
        planes[i0:i1 + 1] = face.reshape(face.shape[0], -1).sum(axis=1, dtype=np.float64)
        axial = face[1:]
        axial += face[:-1]
        axial *= 0.5
        j_axial[i0:i1] = axial
        total = np.square(axial, out=axial)
        for k in range(2):
            flux = np.zeros_like(face[1:])  # to the next voxel along axis k + 1
            np.subtract(v[lo[k]], v[hi[k]], out=flux[lo[k]])
            heat += _dissipated(flux[lo[k]], flux[lo[k]], g[k + 1][i0:i1][lo[k]])
            flux[lo[k]] *= g[k + 1][i0:i1][lo[k]]
            component = flux.copy()
            component[hi[k]] += flux[lo[k]]
            if wrap is not None:  # the link from the last voxel to the first
                edge = (slice(None),) * (k + 1)
                closing = wrap[k][i0:i1] * (v[edge + (-1,)] - v[edge + (0,)])
                heat += _dissipated(closing, v[edge + (-1,)] - v[edge + (0,)])
                component[edge + (-1,)] += closing
                component[edge + (0,)] += closing
            component *= 0.5
            total += np.square(component, out=component)
        j_mag[i0:i1] = np.sqrt(total, out=total)
        power[i0 // slab] = heat

    _for_chunks(n0, dtype, layers, chunk=slab)
    return planes, j_axial, j_mag, float(power.sum())


def _dissipated(a, b, c=None):
    """``sum(a * b [* c])`` accumulated in float64."""
    product = np.multiply(a, b)
    if c is not None:
        product *= c
    return float(product.sum(dtype=np.float64))


def _hot_spots(magnitude, axial, n_active):
    """Share of the axial current carried by the top 1 % of the ``n_active`` cluster voxels by
    ``|j|``; peak/mean ``|j|``. Both fields are 0 off the cluster, so the top voxels and the
    sums can be taken over the whole grid (no boolean gather)."""
    values, along = magnitude.reshape(-1), axial.reshape(-1)
    count = max(1, int(math.ceil(0.01 * n_active)))
    top = _top_indices(values, count)
    # pairwise sums in the field's precision (error ~log2(n) ulp; a float64 accumulation of
    # float32 was 4x slower)
    share = float(along[top].sum(dtype=np.float64) / float(along.sum()))
    peak = float(values.max() / (float(values.sum()) / n_active))
    return share, peak


def _top_indices(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest entries of a flat array (ties broken arbitrarily).

    A threshold from every 64th entry keeps a few times ``count`` candidates, and only those
    are partitioned; if the sample guessed too high, the whole array is (exact either way:
    when at least ``count`` entries reach the threshold, the top ``count`` all do).
    """
    stride = 64
    sample = values[::stride]
    k = min(sample.size, 4 * count // stride + 1)
    threshold = np.partition(sample, -k)[-k]
    candidates = np.flatnonzero(values >= threshold)
    if candidates.size < count:
        return np.argpartition(values, -count)[-count:]
    return candidates[np.argpartition(values[candidates], -count)[-count:]]
