"""Geometry of a labelled volume: porosity, phase fractions, surface area, pore and grain sizes.

- Specific surface area: the area of a marching-cubes mesh of each phase's indicator
  (scikit-image ``marching_cubes`` + ``mesh_surface_area``) of the indicator smoothed by a
  0.7-voxel Gaussian, per unit total volume (1/cm). Counting voxel faces would overestimate a
  sphere's area by 50 %; the mesh is within 1 % for balls of radius >= 10 voxels.
- Pore and grain sizes: watershed segmentation of the distance map (scikit-image, markers at
  the distance maxima), the SNOW approach used by PoreSpy, reported as equivalent-sphere
  diameters. Touching grains in a dense pellet are split where their necks are.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.errors import InputError, require_package
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class MicrostructureAnalysis(Result):
    """Porosity, phase fractions, specific surface area and size distributions."""

    title = "Microstructure analysis"

    shape: tuple = ()
    voxel_size_cm: float = math.nan
    porosity: float = math.nan
    phase_fractions: dict = dataclasses.field(default_factory=dict)
    specific_surface_area_1_cm: dict = dataclasses.field(default_factory=dict)
    pore_diameters_um: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    grain_diameters_um: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    def summary(self):
        rows = [("shape (voxels)", "x".join(str(s) for s in self.shape)),
                ("voxel size (um)", self.voxel_size_cm * 1e4),
                ("porosity (-)", self.porosity)]
        rows += [(f"volume fraction of phase {k} (-)", v) for k, v in self.phase_fractions.items()]
        rows += [(f"specific surface area of phase {k} (1/cm)", v)
                 for k, v in self.specific_surface_area_1_cm.items()]
        for name, values in (("pore", self.pore_diameters_um), ("grain", self.grain_diameters_um)):
            rows.append((f"{name} count", int(values.size)))
            if values.size:
                rows.append((f"median {name} diameter (um)", float(np.median(values))))
        return rows

    def _draw(self, ax):
        bins = None
        for name, values in (("pores", self.pore_diameters_um), ("grains", self.grain_diameters_um)):
            if values.size:
                weights = values**3 / np.sum(values**3)  # volume-weighted
                bins = np.histogram_bin_edges(np.concatenate([self.pore_diameters_um,
                                                              self.grain_diameters_um]), 30)
                ax.hist(values, bins=bins, weights=weights, histtype="step", label=name)
        ax.set_xlabel("equivalent diameter (um)")
        ax.set_ylabel("volume fraction (-)")
        if bins is not None:
            ax.legend()


def analyse(volume: np.ndarray, *, voxel_size_cm: float, pore_label: int = 0,
            sizes: bool = True) -> MicrostructureAnalysis:
    """Porosity, phase fractions, specific surface areas and pore/grain size distributions.

    ``pore_label`` marks voids; every other label counts as solid for the grain sizes.

    Needs scikit-image (the ``micro`` extra).
    """
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise InputError(f"volume: expected a 3D label array, found shape {volume.shape}")
    if not (math.isfinite(voxel_size_cm) and voxel_size_cm > 0):
        raise InputError(f"voxel_size_cm: expected a positive number, found {voxel_size_cm!r}")
    fractions = phase_fractions(volume)
    total_cm3 = volume.size * voxel_size_cm**3
    area = {k: surface_area_voxels2(volume == k) * voxel_size_cm**2 / total_cm3 for k in fractions}
    pores = grains = np.zeros(0)
    if sizes:
        pores = equivalent_diameters(volume == pore_label) * voxel_size_cm * 1e4
        grains = equivalent_diameters(volume != pore_label) * voxel_size_cm * 1e4
    return MicrostructureAnalysis(
        shape=tuple(volume.shape), voxel_size_cm=voxel_size_cm,
        porosity=fractions.get(pore_label, 0.0), phase_fractions=fractions,
        specific_surface_area_1_cm=area, pore_diameters_um=pores, grain_diameters_um=grains,
        provenance=provenance(shape=volume.shape, voxel_size_cm=voxel_size_cm, pore_label=pore_label))


def phase_fractions(volume: np.ndarray) -> dict[int, float]:
    """Volume fraction of each label present.

    Examples
    --------
    >>> v = np.zeros((20, 20, 20), np.uint8); v[5:15, 5:15, 5:15] = 1
    >>> phase_fractions(v)
    {0: 0.875, 1: 0.125}
    """
    labels, counts = np.unique(np.asarray(volume), return_counts=True)
    return {int(k): float(c / counts.sum()) for k, c in zip(labels, counts)}


def surface_area_voxels2(mask: np.ndarray) -> float:
    """Interface area of ``mask`` in voxel-face units (marching cubes on the padded indicator)."""
    measure = require_package("skimage.measure", extra="micro", purpose="surface areas")
    marching_cubes, mesh_surface_area = measure.marching_cubes, measure.mesh_surface_area

    if not mask.any() or mask.all():
        return 0.0
    from scipy import ndimage

    # Edge padding copies the boundary values, so the outer box faces (not interfaces) are not
    # meshed. A light Gaussian (0.7 voxel) removes the staircase that makes marching cubes on a
    # binary indicator overestimate areas by ~9 %; balls of radius >= 10 voxels come out within
    # 1 %, radius 5 within 6 %.
    padded = np.pad(mask.astype(np.float32), 1, mode="edge")
    padded = ndimage.gaussian_filter(padded, 0.7, mode="nearest")
    verts, faces, _, _ = marching_cubes(padded, level=0.5)
    # The padding extends interfaces half a voxel past the box; clip them back to its faces.
    verts = np.clip(verts, 0.5, np.array(mask.shape) + 0.5)
    return float(mesh_surface_area(verts, faces))


def equivalent_diameters(mask: np.ndarray, *, min_distance: int = 2) -> np.ndarray:
    """Equivalent-sphere diameters (voxels) of the regions of a watershed split of ``mask``."""
    from scipy import ndimage
    feature = require_package("skimage.feature", extra="micro", purpose="pore and grain sizes")
    peak_local_max = feature.peak_local_max
    from skimage.segmentation import watershed

    if not mask.any():
        return np.zeros(0)
    distance = ndimage.distance_transform_edt(mask)
    smooth = ndimage.gaussian_filter(distance, 0.5)
    peaks = peak_local_max(smooth, min_distance=min_distance, labels=mask.astype(np.int32),
                           exclude_border=False)
    markers = np.zeros(mask.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    regions = watershed(-smooth, markers, mask=mask)
    volumes = np.bincount(regions.ravel())[1:]
    volumes = volumes[volumes > 0]
    return (6 * volumes / math.pi) ** (1 / 3)
