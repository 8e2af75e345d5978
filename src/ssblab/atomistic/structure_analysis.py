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


@dataclasses.dataclass(frozen=True, kw_only=True)
class DensityResult(Result):
    """Probability density of one species on a grid over the (first frame's) cell."""

    species: str = ""
    density_per_A3: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0, 0)))
    cell_A: np.ndarray = dataclasses.field(default_factory=lambda: np.eye(3))
    n_frames: int = 0

    title = "Probability density"

    def summary(self):
        occupied = float(np.mean(self.density_per_A3 > 0)) if self.density_per_A3.size else 0.0
        return [("species", self.species), ("grid", "x".join(map(str, self.density_per_A3.shape))),
                ("frames", self.n_frames), ("fraction of voxels visited", occupied)]

    def _draw(self, ax, **kwargs):
        proj = self.density_per_A3.sum(axis=2).T
        ax.imshow(proj, origin="lower", cmap="viridis", aspect="auto")
        ax.set_xlabel("a grid index")
        ax.set_ylabel("b grid index")
        ax.set_title(f"{self.species} density summed along c (1/A^3)")


def density_grid(trajectory: Trajectory, species: str = "Li", *,
                 spacing_A: float = 0.2) -> DensityResult:
    """Histogram of ``species`` positions (wrapped into the cell) on a grid of about
    ``spacing_A``; normalised so it integrates to the number of those atoms.

    Examples
    --------
    >>> pos = np.array([[[1.0, 1.0, 1.0]], [[6.0, 1.0, 1.0]]])
    >>> traj = Trajectory(pos, cell_A=np.eye(3) * 5, symbols=("Li",), timestep_ps=1.0)
    >>> res = density_grid(traj, spacing_A=1.0)
    >>> res.density_per_A3.shape, round(float(res.density_per_A3.sum()), 9)
    ((5, 5, 5), 1.0)
    """
    if not spacing_A > 0:
        raise InputError(f"spacing_A: expected a positive grid spacing, found {spacing_A}")
    mask = trajectory.select(species)
    cell = trajectory.cell_A if trajectory.cell_A.ndim == 2 else trajectory.cell_A[0]
    shape = tuple(max(1, int(round(float(np.linalg.norm(v)) / spacing_A))) for v in cell)
    frac = trajectory.positions_A[:, mask, :] @ np.linalg.inv(cell)
    frac = (frac - np.floor(frac)).reshape(-1, 3)
    hist, _ = np.histogramdd(frac, bins=shape, range=[(0, 1)] * 3)
    voxel = abs(np.linalg.det(cell)) / np.prod(shape)
    return DensityResult(species=species, density_per_A3=hist / (trajectory.n_frames * voxel),
                         cell_A=cell, n_frames=trajectory.n_frames,
                         provenance=provenance(source=trajectory.source, species=species,
                                               spacing_A=spacing_A))


@dataclasses.dataclass(frozen=True, kw_only=True)
class JumpResult(Result):
    """Site-to-site jumps of one species."""

    species: str = ""
    n_jumps: int = 0
    jumps_per_atom: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    rate_per_atom_per_ps: float = math.nan
    duration_ps: float = math.nan
    jump_distance_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    title = "Jump counting"

    def summary(self):
        return [("species", self.species), ("jumps", self.n_jumps),
                ("run length (ps)", self.duration_ps),
                ("jump rate per atom (1/ps)", self.rate_per_atom_per_ps),
                ("mean jump distance (A)", float(np.mean(self.jump_distance_A))
                 if self.jump_distance_A.size else math.nan)]

    def _draw(self, ax, **kwargs):
        ax.hist(self.jump_distance_A, bins=30)
        ax.set_xlabel("jump distance (A)")
        ax.set_ylabel("count")


def count_jumps(trajectory: Trajectory, sites_A: np.ndarray, species: str = "Li", *,
                min_residence_frames: int = 3) -> JumpResult:
    """Count jumps between ``sites_A`` (n_sites, 3 Cartesian, e.g. the Li sites of the ideal
    crystal): each atom is assigned to its nearest site (minimum image) every frame, and a jump
    is counted when it settles on a new site for at least ``min_residence_frames`` frames, so
    vibrations across the midpoint between two sites do not count.

    Examples
    --------
    One atom vibrating at site 0, hopping to site 1 at frame 5:

    >>> sites = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    >>> x = np.array([0.1, -0.1, 0.1, -0.1, 0.0, 2.1, 1.9, 2.0, 2.1, 2.0])
    >>> traj = Trajectory(np.c_[x, 0 * x, 0 * x][:, None, :], cell_A=np.eye(3) * 8,
    ...                   symbols=("Li",), timestep_ps=0.1)
    >>> count_jumps(traj, sites).n_jumps
    1
    """
    sites = np.asarray(sites_A, float)
    if sites.ndim != 2 or sites.shape[1] != 3 or len(sites) < 2:
        raise InputError(f"sites_A: expected at least two sites as an (n, 3) array, found "
                         f"{sites.shape}")
    mask = trajectory.select(species)
    cell = trajectory.cell_A if trajectory.cell_A.ndim == 2 else trajectory.cell_A[0]
    inv = np.linalg.inv(cell)
    pos = trajectory.positions_A[:, mask, :]
    nearest = np.empty(pos.shape[:2], dtype=int)
    for t in range(pos.shape[0]):
        d = (pos[t][:, None, :] - sites[None]) @ inv
        d -= np.round(d)
        nearest[t] = np.argmin(np.linalg.norm(d @ cell, axis=-1), axis=1)
    jumps_per_atom = np.zeros(pos.shape[1], dtype=int)
    distances = []
    k = int(min_residence_frames)
    for atom in range(pos.shape[1]):
        current = nearest[0, atom]
        seq = nearest[:, atom]
        for t in range(1, len(seq) - k + 1):
            if seq[t] != current and np.all(seq[t:t + k] == seq[t]):
                d = (sites[seq[t]] - sites[current]) @ inv
                distances.append(float(np.linalg.norm((d - np.round(d)) @ cell)))
                current = seq[t]
                jumps_per_atom[atom] += 1
    duration = (trajectory.n_frames - 1) * trajectory.timestep_ps
    n = int(jumps_per_atom.sum())
    return JumpResult(species=species, n_jumps=n, jumps_per_atom=jumps_per_atom,
                      rate_per_atom_per_ps=n / (len(jumps_per_atom) * duration) if duration else
                      math.nan, duration_ps=duration, jump_distance_A=np.array(distances),
                      provenance=provenance(source=trajectory.source, species=species,
                                            n_sites=len(sites),
                                            min_residence_frames=min_residence_frames))
