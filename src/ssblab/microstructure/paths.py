"""Field-guided paths: where a filament growing from an electrode goes in a solved volume.

A metal filament grows where the ion current that feeds it is largest; its tip points to the
source of the ion flux (seed 003: "the ion-plating direction, which points to the source of
ion flux"). On a solved voxel field (:func:`ssblab.microstructure.solve.solve`) a path starts
in a voxel of the first face and advances one layer at a time along the transport direction,
into the voxel, among the 3 x 3 ahead of its tip (the one straight ahead and its eight
neighbours in the next layer), that carries the largest current density along that direction.
Plating at the first face reverses every current of the solve, not its magnitude, so the
paths are those of filaments growing from the first face towards the second. A path ends in
the last layer ("far electrode"), where nothing conducts ahead ("dead end") or, when
``target_labels`` are given, in the first voxel of a target phase ("captured": seed 003's
LGPS, which consumes the Li that reaches it).

The rule is winner-takes-all, as the tip of a growing filament is: a phase that conducts
better than the one around it carries a larger current density than its surroundings (a
sphere of conductivity ratio ``k`` in a uniform field carries ``3k / (k + 2)`` times the far
current density) and draws paths into it; one that conducts worse turns them away. Where
the host's own current density varies (voids, constrictions), a small contrast loses against
the host's hot spots and a large one wins: the choice is graded by the contrast.

The field is that of the electrolyte without the filament: the filament's own concentration
of the field at its tip, and the rearrangement of the field as it grows, are left out.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ssblab.errors import InputError
from ssblab.results import Result, provenance

_AXES = {"x": 0, "y": 1, "z": 2}
# the 3 x 3 voxels ahead of a tip, straight ahead first (a tie within the precision goes straight)
_AHEAD = [(0, 0)] + [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]
_PRECISION = 1e-4     # the solve's default flux_tol


@dataclasses.dataclass(frozen=True, kw_only=True)
class FieldPaths(Result):
    """Field-guided paths from the first face of a solved volume, one per start voxel.

    ``captured_layer`` is the layer index (along the transport direction, 0 at the start
    face) of the first target voxel a path entered, -1 where it entered none; ``end`` says
    how each path ended ("captured", "far electrode", "dead end") and ``end_position`` where
    (voxel indices in the volume's frame). ``weight`` is each start
    voxel's current density: paths start where current enters, in proportion to it.
    """

    title: ClassVar[str] = "Field-guided paths from the electrode face"

    start: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2), int))
    weight: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    captured_layer: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    end_position: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3), int))
    steps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    end: tuple = ()
    layers: int = 0
    voxel_size_cm: float = math.nan

    def captured_share(self, depth_um: float | None = None) -> float:
        """Current-weighted share of paths that entered a target within ``depth_um`` of the face.

        ``None``: anywhere in the volume.
        """
        if self.weight.size == 0 or self.weight.sum() <= 0:
            return 0.0
        limit = self.layers if depth_um is None else depth_um / (self.voxel_size_cm * 1e4)
        hit = (self.captured_layer >= 0) & (self.captured_layer < limit)
        return float(self.weight[hit].sum() / self.weight.sum())

    def end_shares(self) -> dict[str, float]:
        """Current-weighted share of paths per way of ending."""
        total = self.weight.sum()
        ends = np.array(self.end)
        return {e: float(self.weight[ends == e].sum() / total)
                for e in ("captured", "far electrode", "dead end")}

    def summary(self):
        rows = [("paths (start voxels)", int(self.weight.size)),
                ("depth of the volume (um)", self.layers * self.voxel_size_cm * 1e4)]
        rows += [(f"share of paths ending: {e}", v) for e, v in self.end_shares().items()]
        if self.steps.size:
            rows.append(("mean steps per path / layers", float(self.steps.mean() / max(self.layers, 1))))
        return rows

    def table(self):
        depths = np.arange(1, self.layers + 1) * self.voxel_size_cm * 1e4
        return [{"depth (um)": float(d), "captured share": self.captured_share(float(d))} for d in depths]

    def _draw(self, ax, **kwargs):
        rows = self.table()
        ax.plot([r["depth (um)"] for r in rows], [r["captured share"] for r in rows])
        ax.set_xlabel("depth from the electrode face (um)")
        ax.set_ylabel("share of paths captured (current-weighted)")


def field_paths(conduction, volume: np.ndarray, *, start_labels: Sequence[int] | None = None,
                target_labels: Sequence[int] = ()) -> FieldPaths:
    """Follow the largest current density ahead from every start voxel of the first face.

    Parameters
    ----------
    conduction : ConductionResult
        A solve of ``volume`` with ``keep_fields=True`` (its current density along the
        transport direction and that direction).
    volume : ndarray of int
        The label map that was solved.
    start_labels : sequence of int, optional
        Labels of the first-face voxels where paths start (default: every conducting label
        that is not a target). Each path weighs the current entering its start voxel.
    target_labels : sequence of int
        Labels that end a path on entry ("captured").

    Examples
    --------
    A uniform block: every path runs straight to the far electrode.

    >>> from ssblab.microstructure.solve import solve
    >>> block = np.zeros((4, 4, 6), dtype=np.uint8)
    >>> paths = field_paths(solve(block, [1.0], method="direct"), block)
    >>> paths.end_shares()["far electrode"], int(paths.steps.max())
    (1.0, 5)
    """
    current = getattr(conduction, "current_density_A_cm2", None)
    if current is None:
        raise InputError("conduction: expected a solve with keep_fields=True (it holds no current field)")
    labels = np.asarray(volume)
    if labels.shape != current.shape:
        raise InputError(f"volume: expected the solved shape {current.shape}, found {labels.shape}")
    axis = _AXES[conduction.direction]
    lab = np.moveaxis(labels, axis, -1)
    j = np.nan_to_num(np.moveaxis(np.asarray(current, float), axis, -1))    # 0 outside the cluster
    target = np.isin(lab, list(target_labels))
    starts = j[:, :, 0] > 0
    starts &= np.isin(lab[:, :, 0], list(start_labels)) if start_labels is not None else ~target[:, :, 0]
    x, y = np.nonzero(starts)
    start = np.stack([x, y], axis=1)
    weight = j[x, y, 0]
    nx, ny, nz = lab.shape
    captured = np.full(x.size, -1)
    steps = np.zeros(x.size, int)
    end = np.full(x.size, "far electrode", dtype=object)
    alive = np.ones(x.size, bool)
    for layer in range(1, nz):
        best = np.zeros(x.size)
        bx, by = x.copy(), y.copy()
        for dx, dy in _AHEAD:
            cx, cy = np.clip(x + dx, 0, nx - 1), np.clip(y + dy, 0, ny - 1)
            inside = (cx == x + dx) & (cy == y + dy)
            value = np.where(inside, j[cx, cy, layer], 0.0)
            # a neighbour must beat the best so far by more than the solve's precision
            better = value > best * (1 + _PRECISION)
            best = np.where(better, value, best)
            bx, by = np.where(better, cx, bx), np.where(better, cy, by)
        stuck = alive & (best <= 0)
        end[stuck] = "dead end"
        alive &= ~stuck
        x, y = np.where(alive, bx, x), np.where(alive, by, y)
        steps += alive
        hit = alive & target[x, y, layer]
        captured[hit] = layer
        end[hit] = "captured"
        alive &= ~hit
        if not alive.any():
            break
    # where each path ended (a step is one layer), in the caller's frame
    ends = np.empty((x.size, 3), int)
    ends[:, [k for k in range(3) if k != axis]] = np.stack([x, y], axis=1)
    ends[:, axis] = steps
    return FieldPaths(start=start, weight=weight, captured_layer=captured, steps=steps, end_position=ends,
                      end=tuple(end), layers=int(nz), voxel_size_cm=conduction.voxel_size_cm,
                      provenance=provenance(
                          shape=list(labels.shape), direction=conduction.direction,
                          start_labels=None if start_labels is None else list(start_labels),
                          target_labels=list(target_labels)))
