"""Seeded synthetic microstructures: pressed pellets, grain-boundary layers, two-phase mixtures.

All generators return label maps indexed ``[x, y, z]`` (``uint8``) and take ``rng`` (a
``numpy.random.Generator`` or an int seed). Sizes are in voxels; multiply by the voxel size
you pass to the solver.

How a pellet is built: grain centres are drawn (Poisson points for ``"overlapping"``, a
hard-core random sequential addition for ``"packed"``), each with a radius from a log-normal
size distribution. Every voxel gets the *scaled distance* ``min_i |x - c_i| / r_i`` to the
grains and the grain that attains it; the solid is the set of voxels whose scaled distance is
below the quantile that gives exactly the requested relative density, so the density is met
to one voxel whatever the overlap. ``"sintered"`` smooths the solid indicator of an
overlapping packing with a Gaussian of width ``neck_voxels`` and re-thresholds it at the same
density: necks grow and pores round off, as in sintering, at constant density.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np

from ssblab.errors import InputError, check_choice

VOID, SOLID, GRAIN_BOUNDARY = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class Pellet:
    """A generated pellet: ``labels`` (0 void, 1 solid) and ``grains`` (grain id, -1 in voids)."""

    labels: np.ndarray
    grains: np.ndarray
    centres: np.ndarray
    radii_voxels: np.ndarray

    @property
    def relative_density(self) -> float:
        return float(np.mean(self.labels > 0))


Packing = Literal["overlapping", "packed", "sintered"]
Basis = Literal["mass", "volume"]


def pellet(shape: tuple[int, int, int], *, relative_density: float, grain_radius_voxels: float = 4.0,
           radius_spread: float = 0.25, packing: Packing = "overlapping",
           neck_voxels: float = 1.0, rng: np.random.Generator | int | None = None) -> Pellet:
    """A pressed-powder pellet at ``relative_density`` (solid volume fraction).

    Parameters
    ----------
    shape : (nx, ny, nz)
    relative_density : float
        Solid fraction in (0, 1]; 1 gives a dense polycrystal (grains still labelled).
    grain_radius_voxels : float
        Median grain radius.
    radius_spread : float
        Log-normal width (standard deviation of ln r); 0 gives one size.
    packing : {"overlapping", "packed", "sintered"}
    neck_voxels : float
        Gaussian width of the sintering step (``"sintered"`` only).
    rng : Generator or int

    Examples
    --------
    >>> p = pellet((24, 24, 24), relative_density=0.8, grain_radius_voxels=3, rng=1)
    >>> round(p.relative_density, 3)
    0.8
    """
    shape = _check_shape(shape)
    packing = check_choice(packing, Packing, name="packing")
    if not (0 < relative_density <= 1):
        raise InputError(f"relative_density: expected a fraction in (0, 1], found {relative_density!r}")
    if not grain_radius_voxels >= 0.5:
        raise InputError(f"grain_radius_voxels: expected >= 0.5, found {grain_radius_voxels!r}")
    if radius_spread < 0:
        raise InputError(f"radius_spread: expected >= 0, found {radius_spread!r}")
    rng = np.random.default_rng(rng)
    volume = float(np.prod(shape))
    mean_grain = 4 / 3 * math.pi * grain_radius_voxels**3 * math.exp(4.5 * radius_spread**2)
    if packing == "packed":
        centres, radii = _hard_core(shape, grain_radius_voxels, radius_spread, rng)
    else:
        # Enough Boolean-model grains that spheres of the median size alone reach the target.
        count = max(1, int(round(-math.log(max(1 - relative_density, 1e-3)) * volume / mean_grain)))
        centres = rng.uniform(0, 1, (count, 3)) * np.array(shape)
        radii = grain_radius_voxels * np.exp(radius_spread * rng.standard_normal(count))
    scaled, grains = scaled_distance(shape, centres, radii)
    solid = _threshold_fraction(scaled, relative_density, keep="low")
    if packing == "sintered" and relative_density < 1:
        from scipy import ndimage

        smooth = ndimage.gaussian_filter(solid.astype(np.float32), neck_voxels, mode="nearest")
        solid = _threshold_fraction(-smooth, relative_density, keep="low")
    labels = solid.astype(np.uint8)
    return Pellet(labels=labels, grains=np.where(solid, grains, -1), centres=centres,
                  radii_voxels=radii)


def grain_boundaries(grains: np.ndarray, *, thickness_voxels: int = 1) -> np.ndarray:
    """Label map 0 void, 1 grain interior, 2 grain-boundary layer ``thickness_voxels`` thick.

    ``grains`` holds a grain id per voxel (-1 for voids), e.g. ``Pellet.grains``. A boundary is
    marked on one side of each interface between two different grains, then thickened by
    ``thickness_voxels - 1`` voxels (so its thickness is ``thickness_voxels``).

    Examples
    --------
    >>> g = np.zeros((4, 1, 1), int); g[2:] = 1
    >>> grain_boundaries(g)[:, 0, 0].tolist()
    [1, 1, 2, 1]
    """
    grains = np.asarray(grains)
    if grains.ndim != 3:
        raise InputError(f"grains: expected a 3D array of grain ids, found shape {grains.shape}")
    if int(thickness_voxels) != thickness_voxels or thickness_voxels < 1:
        raise InputError(f"thickness_voxels: expected an integer >= 1, found {thickness_voxels!r}")
    solid = grains >= 0
    # One-sided interface (1 voxel) for odd thickness, two-sided (2 voxels) for even; then
    # grow symmetrically to the requested number of layers.
    two_sided = thickness_voxels % 2 == 0
    interface = np.zeros(grains.shape, bool)
    for ax in range(3):
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(1, None), slice(None, -1)
        differ = (grains[tuple(a)] != grains[tuple(b)]) & solid[tuple(a)] & solid[tuple(b)]
        interface[tuple(a)] |= differ
        if two_sided:
            interface[tuple(b)] |= differ
    grow = (thickness_voxels - (2 if two_sided else 1)) // 2
    if grow > 0:
        from scipy import ndimage

        interface = ndimage.distance_transform_cdt(~interface, metric="taxicab") <= grow
    labels = solid.astype(np.uint8)
    labels[interface & solid] = GRAIN_BOUNDARY
    return labels


def mixture(shape: tuple[int, int, int], *, fraction: float, basis: Basis = "mass",
            densities_g_cm3: tuple[float, float] = (1.0, 1.0), radii_voxels: tuple[float, float] = (4.0, 4.0),
            relative_density: float = 1.0, radius_spread: float = 0.2,
            rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Two-electrolyte mixture: 0 void, 1 phase A (host), 2 phase B at ``fraction`` of the solid.

    ``fraction`` is B's mass fraction (``basis="mass"``, converted with ``densities_g_cm3``
    = (rho_A, rho_B)) or volume fraction of the solid. Particles of A and B have median radii
    ``radii_voxels``; space is split between them by scaled distance, and B particles are taken
    in random order until B's volume reaches its target (within one particle).

    Examples
    --------
    >>> m = mixture((32, 32, 32), fraction=0.2, basis="volume", rng=0)
    >>> abs(float(np.mean(m == 2)) - 0.2) < 0.02
    True
    """
    shape = _check_shape(shape)
    basis = check_choice(basis, Basis, name="basis")
    if not (0 <= fraction <= 1):
        raise InputError(f"fraction: expected a fraction in [0, 1], found {fraction!r}")
    if min(densities_g_cm3) <= 0 or min(radii_voxels) < 0.5:
        raise InputError(f"densities_g_cm3 and radii_voxels: expected positive values, found "
                         f"{densities_g_cm3!r}, {radii_voxels!r}")
    volume_b = volume_fraction(fraction, densities_g_cm3) if basis == "mass" else fraction
    rng = np.random.default_rng(rng)
    total = float(np.prod(shape))
    counts = []
    for share, radius in ((1 - volume_b, radii_voxels[0]), (volume_b, radii_voxels[1])):
        grain = 4 / 3 * math.pi * radius**3
        counts.append(int(math.ceil(3 * share * total / grain)) if share > 0 else 0)
    centres = rng.uniform(0, 1, (sum(counts), 3)) * np.array(shape)
    base = np.repeat(np.array(radii_voxels, float), counts)
    radii = base * np.exp(radius_spread * rng.standard_normal(base.size))
    scaled, owner = scaled_distance(shape, centres, radii)
    solid = _threshold_fraction(scaled, relative_density, keep="low")
    # Assign particles to B, B-sized ones first, until B's share of the solid is reached.
    sizes = np.bincount(owner[solid], minlength=base.size)
    order = np.concatenate([rng.permutation(np.arange(counts[0], base.size)),
                            rng.permutation(counts[0])])
    target = volume_b * solid.sum()
    taken = order[: int(np.searchsorted(np.cumsum(sizes[order]), target, side="right"))]
    is_b = np.zeros(base.size, bool)
    is_b[taken] = True
    labels = np.where(solid, np.where(is_b[owner], 2, 1), 0).astype(np.uint8)
    return labels


def volume_fraction(mass_fraction_b: float, densities_g_cm3: tuple[float, float]) -> float:
    """Volume fraction of B from its mass fraction: ``(w/rho_B) / (w/rho_B + (1-w)/rho_A)``.

    Examples
    --------
    >>> round(volume_fraction(0.5, (1.0, 2.0)), 4)
    0.3333
    """
    rho_a, rho_b = densities_g_cm3
    w = mass_fraction_b
    return (w / rho_b) / (w / rho_b + (1 - w) / rho_a)


def scaled_distance(shape, centres, radii, *, bins: int = 6):
    """``min_i |x - c_i| / r_i`` on the voxel grid and the index ``i`` attaining it.

    Radii are grouped into ``bins`` log-spaced classes and one Euclidean distance transform
    is run per class (exact within a class of equal radius; classes use their mean radius).
    """
    from scipy import ndimage

    shape = tuple(int(s) for s in shape)
    best = np.full(shape, np.inf, dtype=np.float32)
    owner = np.zeros(shape, dtype=np.int64)
    if len(radii) == 0:
        return best, owner
    cells = np.clip(np.floor(centres).astype(int), 0, np.array(shape) - 1)
    logr = np.log(radii)
    edges = np.linspace(logr.min(), logr.max() + 1e-9, bins + 1)
    group = np.clip(np.digitize(logr, edges) - 1, 0, bins - 1)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        seeds = np.ones(shape, bool)
        seeds[tuple(cells[members].T)] = False
        owner_grid = np.full(shape, -1, dtype=np.int64)
        owner_grid[tuple(cells[members].T)] = members  # last wins when two share a voxel
        distance, nearest = ndimage.distance_transform_edt(seeds, return_indices=True)
        scaled = (distance / radii[members].mean()).astype(np.float32)
        closer = scaled < best
        best[closer] = scaled[closer]
        owner[closer] = owner_grid[tuple(nearest[:, closer])]
    return best, owner


def _hard_core(shape, radius, spread, rng, *, attempts: int = 20000):
    """Random sequential addition of non-overlapping spheres (a jammed-powder stand-in)."""
    volume = float(np.prod(shape))
    target = int(0.6 * volume / (4 / 3 * math.pi * radius**3))
    centres = np.empty((0, 3))
    radii = np.empty(0)
    dims = np.array(shape, float)
    for _ in range(attempts):
        r = radius * math.exp(spread * rng.standard_normal())
        c = rng.uniform(0, 1, 3) * dims
        if radii.size and np.any(np.linalg.norm(centres - c, axis=1) < 0.9 * (radii + r)):
            continue
        centres = np.vstack([centres, c])
        radii = np.append(radii, r)
        if radii.size >= target:
            break
    return centres, radii


def _threshold_fraction(values, fraction, *, keep):
    """Boolean mask of the ``fraction`` smallest ``values`` (ties broken by position)."""
    flat = values.ravel()
    count = int(round(fraction * flat.size))
    mask = np.zeros(flat.size, bool)
    if count >= flat.size:
        mask[:] = True
    elif count > 0:
        mask[np.argpartition(flat, count - 1)[:count]] = True
    return mask.reshape(values.shape)


def _check_shape(shape):
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise InputError(f"shape: expected three voxel counts (nx, ny, nz), found {shape!r}") from None
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"shape: expected three positive voxel counts, found {shape!r}")
    return shape
