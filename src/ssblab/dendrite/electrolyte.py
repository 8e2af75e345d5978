"""Electrolyte maps: the ionic conductivity field the deposit grows into.

A map is a label image (one integer per phase) plus one conductivity per label. Generators
give particles of a phase A in a host B at an area fraction and particle size, an insulating
void phase, a resistive grain-boundary network, or any user image. Arrays are ``(ny, nx)``
with row 0 at the Li metal electrode (bottom) and the last row at the counter electrode.

Examples
--------
>>> emap = particle_map((40, 60), spacing_um=1.0, fraction=0.2, radius_um=4.0,
...                     conductivity_S_m=(LPSC_S_m, LGPS_S_m), rng=1)
>>> emap.names
('B', 'A')
>>> round(float(emap.area_fractions()[1]), 2)
0.2
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ssblab import reference as ref
from ssblab.errors import InputError
from ssblab.units import S_m_PER_S_cm

#: Room-temperature conductivities of seed 003 (Yu et al. 2024) in S/m.
LPSC_S_m = ref.LPSC_SIGMA_S_cm.value * S_m_PER_S_cm   # Li6PS5Cl (LPSC1.0), seed 003
LGPS_S_m = ref.LGPS_SIGMA_S_cm.value * S_m_PER_S_cm   # Li10GeP2S12, seed 003


@dataclasses.dataclass(frozen=True)
class ElectrolyteMap:
    """Phase labels and the ionic conductivity of each phase.

    ``labels`` is an integer array ``(ny, nx)`` (or ``(nz, ny, nx)``), ``conductivity_S_m``
    one value per label (0 is allowed: an insulating void), ``names`` one name per label.
    """

    labels: np.ndarray
    conductivity_S_m: tuple[float, ...]
    names: tuple[str, ...]
    spacing_um: float = 1.0

    def __post_init__(self):
        labels = np.asarray(self.labels)
        if labels.ndim not in (2, 3) or not np.issubdtype(labels.dtype, np.integer):
            raise InputError(f"electrolyte labels: expected a 2D or 3D integer array, found "
                             f"{labels.ndim}D {labels.dtype}")
        n = len(self.conductivity_S_m)
        if len(self.names) != n:
            raise InputError(f"electrolyte: {n} conductivities but {len(self.names)} names")
        if labels.min() < 0 or labels.max() >= n:
            raise InputError(f"electrolyte labels: expected values 0..{n - 1}, found "
                             f"{labels.min()}..{labels.max()}")
        if any(not np.isfinite(s) or s < 0 for s in self.conductivity_S_m):
            raise InputError(f"electrolyte conductivity_S_m: expected finite values >= 0, "
                             f"found {self.conductivity_S_m}")
        if max(self.conductivity_S_m) <= 0:
            raise InputError("electrolyte conductivity_S_m: at least one phase must conduct")
        if self.spacing_um <= 0:
            raise InputError(f"electrolyte spacing_um: expected > 0, found {self.spacing_um}")

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.labels)

    def conductivity(self) -> np.ndarray:
        """The conductivity field in S/m."""
        return np.asarray(self.conductivity_S_m, dtype=float)[np.asarray(self.labels)]

    def area_fractions(self) -> np.ndarray:
        """Area (volume) fraction of each phase."""
        counts = np.bincount(np.asarray(self.labels).ravel(), minlength=len(self.names))
        return counts / counts.sum()


def uniform_map(shape: tuple[int, ...], *, spacing_um: float = 1.0,
                conductivity_S_m: float = LPSC_S_m, name: str = "B") -> ElectrolyteMap:
    """A homogeneous electrolyte."""
    return ElectrolyteMap(np.zeros(shape, dtype=np.int8), (float(conductivity_S_m),), (name,),
                          spacing_um)


def particle_map(shape: tuple[int, ...], *, spacing_um: float = 1.0, fraction: float = 0.2,
                 radius_um: float = 5.0, conductivity_S_m: tuple[float, float] = (LPSC_S_m, LGPS_S_m),
                 names: tuple[str, str] = ("B", "A"), rng=None) -> ElectrolyteMap:
    """Round particles of phase A (label 1) in a host B (label 0) at an area fraction.

    Discs (spheres in 3D) of ``radius_um`` are dropped at random centres (overlap allowed,
    periodic in x) until the A fraction reaches ``fraction``; the last disc is kept only as far
    as needed, so the fraction is met to one pixel.
    """
    if not 0.0 <= fraction < 1.0:
        raise InputError(f"fraction: expected 0 <= fraction < 1, found {fraction}")
    if radius_um <= 0:
        raise InputError(f"radius_um: expected > 0, found {radius_um}")
    rng = np.random.default_rng(rng)
    labels = np.zeros(shape, dtype=np.int8)
    target = int(round(fraction * labels.size))
    r = radius_um / spacing_um
    filled = 0
    while filled < target:
        centre = [rng.uniform(0, n) for n in shape]
        # only the cells of the disc's bounding box (periodic in x): a 3D map of 128^3 cells
        # and hundreds of discs is then a second, not a minute; same cells, same order
        index, d2 = [], 0.0
        for axis, (n, c) in enumerate(zip(shape, centre)):
            g = np.arange(int(np.floor(c - r - 1)), int(np.ceil(c + r + 1)) + 1)
            if axis == len(shape) - 1:  # x is periodic
                g = np.unique(np.mod(g, n)) if len(g) < n else np.arange(n)
                delta = np.abs(g + 0.5 - c)
                delta = np.minimum(delta, n - delta)
            else:
                g = g[(g >= 0) & (g < n)]
                delta = np.abs(g + 0.5 - c)
            index.append(g)
            d2 = np.add.outer(d2, delta**2) if axis else delta**2
        box = np.ix_(*index)
        disc = (d2 <= r * r) & (labels[box] == 0)
        missing = target - filled
        if np.count_nonzero(disc) > missing:
            # keep the pixels nearest the centre so the last disc just meets the target
            # (ties in the order of the flat index of the whole map)
            flat = np.ravel_multi_index(np.nonzero(disc), disc.shape)
            cells = [i[k] for i, k in zip(index, np.unravel_index(flat, disc.shape))]
            order = np.argsort(np.ravel_multi_index(cells, shape), kind="stable")
            flat = flat[order]
            keep = flat[np.argsort(d2.ravel()[flat], kind="stable")[:missing]]
            disc = np.zeros(disc.shape, dtype=bool)
            disc.ravel()[keep] = True
        sub = labels[box]
        sub[disc] = 1
        labels[box] = sub
        filled += int(np.count_nonzero(disc))
    return ElectrolyteMap(labels, tuple(float(s) for s in conductivity_S_m), tuple(names),
                          spacing_um)


def add_voids(emap: ElectrolyteMap, *, fraction: float, radius_um: float,
              rng=None) -> ElectrolyteMap:
    """Return a copy with insulating round voids (a new phase, conductivity 0)."""
    voids = particle_map(emap.shape, spacing_um=emap.spacing_um, fraction=fraction,
                         radius_um=radius_um, rng=rng)
    labels = np.asarray(emap.labels).astype(np.int8).copy()
    labels[np.asarray(voids.labels) == 1] = len(emap.names)
    return ElectrolyteMap(labels, (*emap.conductivity_S_m, 0.0), (*emap.names, "void"),
                          emap.spacing_um)


def add_grain_boundaries(emap: ElectrolyteMap, *, grain_size_um: float, width_um: float = 1.0,
                         conductivity_factor: float = 0.1, rng=None) -> ElectrolyteMap:
    """Return a copy with a resistive grain-boundary network (a new phase).

    Grains are the Voronoi cells of random seeds (mean spacing ``grain_size_um``); a pixel is
    grain boundary where its distances to the nearest and second-nearest seed differ by less
    than ``width_um``. The boundary conductivity is ``conductivity_factor`` times the host's
    (label 0) conductivity.
    """
    from scipy.spatial import cKDTree

    if grain_size_um <= 0 or width_um <= 0 or conductivity_factor < 0:
        raise InputError("grain boundaries: grain_size_um and width_um must be > 0 and "
                         "conductivity_factor >= 0")
    rng = np.random.default_rng(rng)
    shape = emap.shape
    extent = np.array(shape, dtype=float) * emap.spacing_um
    n_seeds = max(2, int(round(np.prod(extent) / grain_size_um ** len(shape))))
    seeds = rng.uniform(0, 1, size=(n_seeds, len(shape))) * extent
    # copies shifted by the period make the x direction periodic
    shift = np.zeros(len(shape))
    shift[-1] = extent[-1]
    tree = cKDTree(np.concatenate([seeds - shift, seeds, seeds + shift]))
    points = np.stack([(g + 0.5) * emap.spacing_um for g in
                       np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")], axis=-1)
    dist, _ = tree.query(points.reshape(-1, len(shape)), k=2)
    boundary = (dist[:, 1] - dist[:, 0] < width_um).reshape(shape)
    labels = np.asarray(emap.labels).astype(np.int8).copy()
    labels[boundary] = len(emap.names)
    sigma_gb = conductivity_factor * emap.conductivity_S_m[0]
    return ElectrolyteMap(labels, (*emap.conductivity_S_m, sigma_gb), (*emap.names, "gb"),
                          emap.spacing_um)


def image_map(image, *, conductivity_S_m: tuple[float, ...], names: tuple[str, ...] | None = None,
              spacing_um: float = 1.0, thresholds: tuple[float, ...] | None = None) -> ElectrolyteMap:
    """A map from a user image: an integer label array, a ``.npy`` file or a PNG/TIFF file.

    Grey images are cut into ``len(conductivity_S_m)`` phases at ``thresholds`` (default: equal
    steps between the image's minimum and maximum). Row 0 of the image is the electrode side.
    """
    from pathlib import Path

    if isinstance(image, (str, Path)):
        from ssblab.files import check_input_file

        path = check_input_file(Path(image), kind="volume")
        try:
            if path.suffix == ".npy":
                array = np.load(path, allow_pickle=False)
            else:
                import matplotlib.image

                array = matplotlib.image.imread(path)
                if array.ndim == 3:  # RGB(A) -> grey
                    array = array[..., :3].mean(axis=-1)
        except Exception as exc:  # numpy, PIL and matplotlib raise many kinds on damaged files
            raise InputError(f"electrolyte image {path}: not readable as a .npy or image file "
                             f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") \
                from None
        if array.ndim not in (2, 3) or array.dtype.kind not in "biuf" or array.size == 0:
            raise InputError(f"electrolyte image {path}: expected a 2D or 3D array of labels or "
                             f"grey values, found shape {array.shape}, dtype {array.dtype}")
    else:
        array = np.asarray(image)
    n = len(conductivity_S_m)
    if np.issubdtype(array.dtype, np.integer):
        labels = array.astype(np.int8)
    else:
        if thresholds is None:
            lo, hi = float(array.min()), float(array.max())
            thresholds = tuple(lo + (hi - lo) * k / n for k in range(1, n))
        labels = np.digitize(array, thresholds).astype(np.int8)
    names = tuple(names) if names is not None else tuple(f"phase{k}" for k in range(n))
    return ElectrolyteMap(labels, tuple(float(s) for s in conductivity_S_m), names, spacing_um)
