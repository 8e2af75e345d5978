"""Partial radial distribution functions, coordination numbers, time-resolved, from a trajectory.

g_AB(r) counts B atoms in shells around each A atom under the minimum-image convention,
normalised by the ideal-gas count rho_B 4 pi r^2 dr; the running coordination number is
n_AB(r) = 4 pi rho_B int_0^r g_AB(s) s^2 ds. Seed 001 follows In-S (2.8 A) and In-Cl (2.9 A)
peaks growing at an In/Li6PS5Cl interface: :func:`rdf` with ``n_windows`` > 1 gives one curve
per consecutive time window.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.atomistic.transport import Trajectory
from ssblab.errors import InputError
from ssblab.results import Result, provenance


@dataclasses.dataclass(frozen=True, kw_only=True)
class RDFResult(Result):
    """g(r) and the running coordination number, per time window."""

    pair: tuple[str, str] = ("", "")
    r_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    g: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    coordination: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    window_ps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    first_peak_A: float = math.nan
    first_shell_coordination: float = math.nan

    title = "Radial distribution function"

    def summary(self):
        a, b = self.pair
        return [("pair", f"{a}-{b}"), ("windows", len(self.window_ps)),
                ("first peak (A)", self.first_peak_A),
                ("first-shell coordination (last window)", self.first_shell_coordination)]

    def _draw(self, ax, **kwargs):
        for k, t in enumerate(self.window_ps):
            ax.plot(self.r_A, self.g[k], label=f"from {t:g} ps", alpha=0.6 + 0.4 * k / max(
                1, len(self.window_ps) - 1))
        ax.set_xlabel("r (A)")
        ax.set_ylabel(f"g {self.pair[0]}-{self.pair[1]}(r)")
        ax.legend(fontsize=8)


def rdf(trajectory: Trajectory, pair: tuple[str, str], *, r_max_A: float = 6.0,
        n_bins: int = 120, n_windows: int = 1, stride: int = 1) -> RDFResult:
    """Partial RDF g_AB(r) and coordination n_AB(r), averaged over ``n_windows`` time windows.

    The first-shell coordination is n_AB at the first minimum of g after its first peak.

    Examples
    --------
    An fcc crystal (a = 4 A) has 12 neighbours at a / sqrt(2) = 2.83 A:

    >>> basis = np.array([[0, 0, 0], [0, 2, 2], [2, 0, 2], [2, 2, 0]], float)
    >>> grid = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)]) * 4.0
    >>> pos = (grid[:, None, :] + basis[None]).reshape(-1, 3)[None]
    >>> traj = Trajectory(pos, cell_A=np.eye(3) * 12, symbols=("Cu",) * 108, timestep_ps=1.0)
    >>> res = rdf(traj, ("Cu", "Cu"), r_max_A=3.6, n_bins=36)
    >>> round(res.first_peak_A, 1), round(res.first_shell_coordination)
    (2.9, 12)
    """
    a_sym, b_sym = pair
    mask_a, mask_b = trajectory.select(a_sym), trajectory.select(b_sym)
    cells = trajectory.cell_A if trajectory.cell_A.ndim == 3 else np.broadcast_to(
        trajectory.cell_A, (trajectory.n_frames, 3, 3))
    # the minimum image is exact only below half the smallest distance between cell faces
    width = min(float(np.min(np.abs(np.linalg.det(c)) / np.linalg.norm(
        np.cross(c[[1, 2, 0]], c[[2, 0, 1]]), axis=1))) for c in cells[:1])
    if not 0 < r_max_A <= width / 2 + 1e-9:
        raise InputError(f"r_max_A: must be positive and at most half the cell width "
                         f"({width / 2:.3f} A) for the minimum-image convention; found {r_max_A}")
    if int(n_windows) < 1 or int(n_windows) > trajectory.n_frames:
        raise InputError(f"n_windows: expected 1..{trajectory.n_frames}, found {n_windows}")
    edges = np.linspace(0.0, r_max_A, int(n_bins) + 1)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    same = a_sym == b_sym
    n_a, n_b = int(mask_a.sum()), int(mask_b.sum())
    frames = np.arange(0, trajectory.n_frames, int(stride))
    windows = np.array_split(frames, int(n_windows))
    g_all, n_all, starts = [], [], []
    for win in windows:
        hist = np.zeros(int(n_bins))
        density = 0.0
        for t in win:
            cell = cells[t]
            inv = np.linalg.inv(cell)
            pa = trajectory.positions_A[t, mask_a]
            pb = trajectory.positions_A[t, mask_b]
            diff = (pb[None, :, :] - pa[:, None, :]) @ inv
            diff -= np.round(diff)
            dist = np.linalg.norm(diff @ cell, axis=-1)
            if same:
                dist = dist[~np.eye(n_a, dtype=bool)]
            hist += np.histogram(dist, bins=edges)[0]
            density += (n_b - same) / abs(np.linalg.det(cell))
        rho = density / len(win)
        g = hist / (len(win) * n_a * rho * shell)
        g_all.append(g)
        n_all.append(np.cumsum(hist) / (len(win) * n_a))
        starts.append(win[0] * trajectory.timestep_ps)
    g_arr, n_arr = np.array(g_all), np.array(n_all)
    last = g_arr[-1]
    peak = int(np.argmax(last))
    after = last[peak:]
    minimum = peak + int(np.argmax(after <= after.min() + 1e-12)) if after.size else peak
    return RDFResult(pair=(a_sym, b_sym), r_A=r, g=g_arr, coordination=n_arr,
                     window_ps=np.array(starts), first_peak_A=float(r[peak]),
                     first_shell_coordination=float(n_arr[-1][minimum]),
                     provenance=provenance(source=trajectory.source, pair=pair, r_max_A=r_max_A,
                                           n_bins=n_bins, n_windows=n_windows, stride=stride))
