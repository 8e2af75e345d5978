"""Field-guided paths: where a filament growing from an electrode goes in a solved volume.

A metal filament grows where the ion current that feeds it is largest; its tip points to the
source of the ion flux (seed 003: "the ion-plating direction, which points to the source of
ion flux"). On a solved voxel field (:func:`ssblab.microstructure.solve.solve`) a path starts
in a voxel of the first face and advances one layer at a time along the transport direction
into one of the 3 x 3 voxels ahead of its tip (the one straight ahead and its eight
neighbours in the next layer). Plating at the first face reverses every current of the solve,
not its magnitude, so the paths are those of filaments growing from the first face towards
the second. A path ends in the last layer ("far electrode"), where nothing conducts ahead
("dead end") or, when ``target_labels`` are given, in the first voxel of a target phase
("captured": seed 003's LGPS, which consumes the Li that reaches it).

Which voxel ahead (``rule``):

* ``"dbm"`` (default): the dielectric breakdown model of field-driven growth (Niemeyer,
  Pietronero & Wiesmann, Phys. Rev. Lett. 52, 1033 (1984)), the rule behind the fractal
  electrodeposits of Brady & Ball (Nature 309, 225 (1984)): the tip advances to a voxel ahead
  with probability proportional to its current density to the power ``eta``. ``eta = 1`` is
  the standard value (Laplacian growth: the growth rate is the local flux; ``eta = 1``
  reproduces diffusion-limited aggregation) and is not fitted. Each start voxel sends
  ``paths_per_start`` seeded paths, so every share is an average with a standard error.
  The choice is graded by contrast: a phase that conducts ``k`` times better than the host
  carries a larger current density (a sphere in a uniform field carries ``3k / (k + 2)`` times
  the far current density) and draws more paths; one that conducts worse draws fewer. In a
  uniform field the path is an unbiased random walk across the layers (each of the nine voxels
  ahead has probability 1/9).
* ``"steepest"``: the limit ``eta -> infinity``, the voxel with the largest current density
  (a tie within the solve's precision goes straight); deterministic, one path per start
  voxel. It makes attraction a switch at contrast 1 (docs/validation.md).

The side walls of the solve are insulating, so a neighbour beyond a side face is the mirror
image of the voxel inside it. The field is that of the electrolyte without the filament: the
filament's own concentration of the field at its tip, and the rearrangement of the field as
it grows, are left out.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
from scipy.ndimage import maximum_filter

from ssblab.errors import InputError, check_choice
from ssblab.results import Result, provenance

_AXES = {"x": 0, "y": 1, "z": 2}
# the 3 x 3 voxels ahead of a tip, straight ahead first (a tie within the precision goes straight)
_AHEAD = np.array([(0, 0)] + [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)])
_PRECISION = 1e-4     # the solve's default flux_tol
Rule = Literal["dbm", "steepest"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FieldPaths(Result):
    """Field-guided paths from the first face of a solved volume, ``paths_per_start`` per start voxel.

    Per path: ``start`` (its start voxel on the face), ``start_id`` (index of that voxel among
    the start voxels), ``weight`` (the start voxel's current density shared among its paths:
    paths start where current enters, in proportion to it), ``captured_layer`` (the layer
    index along the transport direction, 0 at the start face, of the first target voxel the
    path entered, -1 where it entered none), ``met_layer`` (the first layer where a target
    voxel was among the nine ahead of the tip, -1 where none was), ``end`` (how it ended:
    "captured", "far electrode", "dead end") and ``end_position`` (where, in voxel indices of
    the volume's frame).
    """

    title: ClassVar[str] = "Field-guided paths from the electrode face"

    start: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2), int))
    start_id: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    weight: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    captured_layer: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    met_layer: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    end_position: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3), int))
    steps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    end: tuple = ()
    layers: int = 0
    voxel_size_cm: float = math.nan
    rule: str = "dbm"
    eta: float = 1.0
    paths_per_start: int = 1

    def _limit(self, depth_um):
        return self.layers if depth_um is None else depth_um / (self.voxel_size_cm * 1e4)

    def captured_share(self, depth_um: float | None = None) -> float:
        """Current-weighted share of paths that entered a target within ``depth_um`` of the face.

        ``None``: anywhere in the volume.
        """
        if self.weight.size == 0 or self.weight.sum() <= 0:
            return 0.0
        hit = (self.captured_layer >= 0) & (self.captured_layer < self._limit(depth_um))
        return float(self.weight[hit].sum() / self.weight.sum())

    def captured_share_error(self, depth_um: float | None = None) -> float:
        """Standard error of :meth:`captured_share` from the sampling of the paths (0 for ``"steepest"``).

        The field is given; the error is that of a finite number of paths per start voxel:
        ``sum_v (w_v / W)^2 q_v (1 - q_v) / (n - 1)`` over start voxels ``v`` of inlet current
        ``w_v`` (``W`` in all), each with ``n`` paths of which a share ``q_v`` was captured.
        """
        n = self.paths_per_start
        if n < 2 or self.weight.size == 0 or self.weight.sum() <= 0:
            return 0.0
        hit = ((self.captured_layer >= 0) & (self.captured_layer < self._limit(depth_um))).astype(float)
        w = np.bincount(self.start_id, weights=self.weight)
        q = np.bincount(self.start_id, weights=hit) / n
        return float(math.sqrt(np.sum((w / w.sum()) ** 2 * q * (1 - q)) / (n - 1)))

    def entry_at_first_meeting(self) -> float:
        """Current-weighted share of the paths that met a target (one among the nine voxels ahead)
        which entered it at that first meeting; nan where no path met one.

        Unlike :meth:`captured_share` it does not grow with the depth of the volume: it is the
        attraction of one encounter.
        """
        met = self.met_layer >= 0
        if not np.any(self.weight[met] > 0):
            return math.nan
        entered = met & (self.captured_layer == self.met_layer)
        return float(self.weight[entered].sum() / self.weight[met].sum())

    def end_shares(self) -> dict[str, float]:
        """Current-weighted share of paths per way of ending."""
        total = self.weight.sum()
        ends = np.array(self.end)
        return {e: float(self.weight[ends == e].sum() / total)
                for e in ("captured", "far electrode", "dead end")}

    def summary(self):
        rows = [("rule", self.rule if self.rule == "steepest" else f"dbm, eta = {self.eta:g}"),
                ("start voxels, paths per start voxel", f"{int(np.unique(self.start_id).size)}, "
                                                         f"{self.paths_per_start}"),
                ("depth of the volume (um)", self.layers * self.voxel_size_cm * 1e4)]
        rows += [(f"share of paths ending: {e}", v) for e, v in self.end_shares().items()]
        if np.any(self.met_layer >= 0):
            rows.append(("captured share (standard error)",
                         f"{self.captured_share():.4f} ({self.captured_share_error():.4f})"))
            rows.append(("entry at the first meeting with a target", self.entry_at_first_meeting()))
        if self.steps.size:
            rows.append(("mean steps per path / layers", float(self.steps.mean() / max(self.layers, 1))))
        return rows

    def table(self):
        depths = np.arange(1, self.layers + 1) * self.voxel_size_cm * 1e4
        return [{"depth (um)": float(d), "captured share": self.captured_share(float(d)),
                 "standard error": self.captured_share_error(float(d))} for d in depths]

    def _draw(self, ax, **kwargs):
        rows = self.table()
        ax.plot([r["depth (um)"] for r in rows], [r["captured share"] for r in rows])
        ax.set_xlabel("depth from the electrode face (um)")
        ax.set_ylabel("share of paths captured (current-weighted)")


def _mirror(i: np.ndarray, n: int) -> np.ndarray:
    """Index ``i`` reflected at the faces of ``range(n)`` (-1 -> 0, n -> n - 1)."""
    return np.where(i < 0, -i - 1, np.where(i >= n, 2 * n - 1 - i, i))


def field_paths(conduction, volume: np.ndarray, *, start_labels: Sequence[int] | None = None,
                target_labels: Sequence[int] = (), rule: Rule = "dbm", eta: float = 1.0,
                paths_per_start: int = 16, rng: int | np.random.Generator = 0) -> FieldPaths:
    """Grow filament paths through the field from every start voxel of the first face.

    Parameters
    ----------
    conduction : ConductionResult
        A solve of ``volume`` with ``keep_fields=True`` (its current density along the
        transport direction and that direction).
    volume : ndarray of int
        The label map that was solved.
    start_labels : sequence of int, optional
        Labels of the first-face voxels where paths start (default: every conducting label
        that is not a target). Each start voxel's paths share the current entering it.
    target_labels : sequence of int
        Labels that end a path on entry ("captured").
    rule : {"dbm", "steepest"}
        ``"dbm"``: a step goes to a voxel ahead with probability proportional to its current
        density to the power ``eta`` (dielectric breakdown model); ``"steepest"``: to the
        largest current density ahead (deterministic; one path per start voxel).
    eta : float
        Exponent of the dielectric breakdown model (> 0; 1 is the standard value).
    paths_per_start : int
        Paths from each start voxel (``"dbm"`` only).
    rng : int or numpy.random.Generator
        Seed of the steps (``"dbm"``).

    Examples
    --------
    A uniform block: every path reaches the far electrode, one layer per step.

    >>> from ssblab.microstructure.solve import solve
    >>> block = np.zeros((4, 4, 6), dtype=np.uint8)
    >>> paths = field_paths(solve(block, [1.0], method="direct"), block, paths_per_start=8, rng=1)
    >>> paths.end_shares()["far electrode"], int(paths.steps.max()), paths.weight.size
    (1.0, 5, 128)
    """
    current = getattr(conduction, "current_density_A_cm2", None)
    if current is None:
        raise InputError("conduction: expected a solve with keep_fields=True (it holds no current field)")
    labels = np.asarray(volume)
    if labels.shape != current.shape:
        raise InputError(f"volume: expected the solved shape {current.shape}, found {labels.shape}")
    rule = check_choice(rule, Rule, name="rule")
    if not (math.isfinite(eta) and eta > 0):
        raise InputError(f"eta: expected a finite exponent > 0, found {eta!r}")
    if int(paths_per_start) != paths_per_start or paths_per_start < 1:
        raise InputError(f"paths_per_start: expected an integer >= 1, found {paths_per_start!r}")
    per_start = 1 if rule == "steepest" else int(paths_per_start)
    generator = np.random.default_rng(rng)
    axis = _AXES[conduction.direction]
    lab = np.moveaxis(labels, axis, -1)
    j = np.nan_to_num(np.moveaxis(np.asarray(current, float), axis, -1))    # 0 outside the cluster
    j = np.maximum(j, 0.0)                                                    # backflow feeds no tip
    target = np.isin(lab, list(target_labels))
    starts = j[:, :, 0] > 0
    starts &= np.isin(lab[:, :, 0], list(start_labels)) if start_labels is not None else ~target[:, :, 0]
    sx, sy = np.nonzero(starts)
    start_id = np.repeat(np.arange(sx.size), per_start)
    x, y = sx[start_id], sy[start_id]
    weight = j[x, y, 0] / per_start
    nx, ny, nz = lab.shape
    n = x.size
    captured = np.full(n, -1)
    met = np.full(n, -1)
    steps = np.zeros(n, int)
    end = np.full(n, "far electrode", dtype=object)
    # layer-major copies padded by one mirrored voxel on each side face (insulating walls: the
    # neighbour beyond a side face is the mirror image of the voxel inside it), so that the
    # nine voxels ahead of a tip are nine fixed offsets of its flat index in the layer
    pad = ((1, 1), (1, 1), (0, 0))
    odds_field = j if rule == "steepest" else j ** eta
    field = np.ascontiguousarray(np.moveaxis(np.pad(odds_field, pad, mode="symmetric"), -1, 0))
    field = field.reshape(nz, -1)
    # whether a target voxel is among the nine ahead of each voxel of the previous layer
    near = maximum_filter(target, size=(3, 3, 1), mode="reflect")
    offset = _AHEAD[:, 0] * (ny + 2) + _AHEAD[:, 1]
    alive = np.arange(n)                        # the paths still growing, and their tips
    tx, ty = x.copy(), y.copy()
    for layer in range(1, nz):
        ahead = ((tx + 1) * (ny + 2) + ty + 1)[:, None] + offset
        value = np.take(field[layer], ahead)
        meeting = near[tx, ty, layer]
        first = meeting & (met[alive] < 0)
        met[alive[first]] = layer
        if rule == "steepest":
            # a neighbour must beat the best so far by more than the solve's precision
            pick = np.zeros(alive.size, int)
            best = value[:, 0].copy()
            for k in range(1, offset.size):
                better = value[:, k] > best * (1 + _PRECISION)
                best = np.where(better, value[:, k], best)
                pick = np.where(better, k, pick)
            stuck = best <= 0
        else:
            odds = np.cumsum(value, axis=1)
            stuck = odds[:, -1] <= 0
            draw = generator.random(alive.size) * odds[:, -1]
            pick = np.minimum((odds <= draw[:, None]).sum(axis=1), offset.size - 1)   # zero odds: never
        tx = _mirror(tx + _AHEAD[pick, 0], nx)
        ty = _mirror(ty + _AHEAD[pick, 1], ny)
        hit = ~stuck & meeting & target[tx, ty, layer]
        grow = ~stuck
        steps[alive[grow]] += 1
        x[alive[grow]], y[alive[grow]] = tx[grow], ty[grow]
        end[alive[stuck]] = "dead end"
        captured[alive[hit]] = layer
        end[alive[hit]] = "captured"
        keep = grow & ~hit
        alive, tx, ty = alive[keep], tx[keep], ty[keep]
        if not alive.size:
            break
    # where each path ended (a step is one layer), in the caller's frame
    ends = np.empty((n, 3), int)
    ends[:, [k for k in range(3) if k != axis]] = np.stack([x, y], axis=1)
    ends[:, axis] = steps
    return FieldPaths(start=np.stack([sx[start_id], sy[start_id]], axis=1), start_id=start_id, weight=weight,
                      captured_layer=captured, met_layer=met, steps=steps, end_position=ends, end=tuple(end),
                      layers=int(nz), voxel_size_cm=conduction.voxel_size_cm, rule=rule, eta=float(eta),
                      paths_per_start=per_start,
                      provenance=provenance(
                          shape=list(labels.shape), direction=conduction.direction,
                          start_labels=None if start_labels is None else list(start_labels),
                          target_labels=list(target_labels), rule=rule, eta=float(eta),
                          paths_per_start=per_start,
                          rng=rng if isinstance(rng, int) else "generator"))
