"""Site network of a periodic energy landscape: sites, hops and saddle energies for KMC.

A mobile-ion energy landscape on a periodic grid (e.g. the BVSE grid of
:mod:`ssblab.atomistic.bvse`) is cut into basins of attraction by steepest descent: every grid
point points to its lowest neighbour (26-neighbourhood, periodic), and pointer jumping follows
the pointers to a local minimum while adding up the periodic cell crossings, so each point knows
which *image* of which minimum it drains to. Minima closer than ``min_separation_A`` (flat
bottoms, grid noise) are merged into the lowest of them. Two basins are neighbours where two
adjacent grid points drain to them; the saddle of that hop is the lowest such boundary pair,
``min max(E_p, E_q)``, i.e. the minimum over paths of the maximum energy between the two sites.
The hop's cell shift comes from the images the two points drain to, so a hop across the cell
boundary, or to a site's own periodic image, is kept with its true vector.

Grid points are neighbours across faces, edges and corners (26), as in bvlain. Each basin's
part below any energy is then connected (descent paths never rise), so the network with its
hops below an energy is connected exactly where the grid region below that energy is: the
percolation energies computed on the network (:func:`percolation_energies`) are the grid's, an
independent check of bvlain's own ``E_1D/E_2D/E_3D``. On a finite grid, a diagonal pair can
step over a ridge, so saddles converge from below as the grid is refined (LiCl, 3D
percolation: 0.546, 0.572, 0.570 eV at 0.3, 0.2, 0.1 A); it also adds hops between basins that
touch only at a corner, with saddles above the direct ones (a cosine landscape: 0.556 eV for
the diagonal hop against 0.3 eV for the direct one), which carry little rate.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from ssblab.errors import InputError
from ssblab.results import Result, provenance

_OFFSETS = np.array([o for o in itertools.product((-1, 0, 1), repeat=3)
                     if o != (0, 0, 0)])
# one of each +-o pair: every unordered neighbour pair of grid points is visited once
_HALF_OFFSETS = np.array([o for o in _OFFSETS if tuple(o) > (0, 0, 0)])


@dataclasses.dataclass(frozen=True, kw_only=True)
class SiteNetwork(Result):
    """Sites (minima), directed hops with cell shifts and saddle energies of a landscape.

    Edge ``e`` is a hop from site ``src[e]`` to the image of site ``dst[e]`` displaced by
    ``shifts[e]`` cells (hop vector ``hop_vectors_A[e]``); every hop is listed in both
    directions. ``barriers_eV[e] = saddle_eV[e] - site_energy_eV[src[e]]`` (directed).
    Energies are relative to the lowest site.
    """

    formula: str = ""
    cell_A: np.ndarray = dataclasses.field(default_factory=lambda: np.eye(3))
    sites_A: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))
    site_energy_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    src: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    dst: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    shifts: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3), int))
    saddle_eV: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    percolation_eV: np.ndarray = dataclasses.field(
        default_factory=lambda: np.full(3, math.nan))  # 1D, 2D, 3D from the network
    reference_percolation_eV: np.ndarray = dataclasses.field(
        default_factory=lambda: np.full(3, math.nan))  # e.g. bvlain's E_1D/E_2D/E_3D
    n_li_per_cell: int = 0  # real mobile ions of the structure in this cell
    grid_spacing_A: float = math.nan

    title = "Site network (sites, hops, saddles)"

    @property
    def barriers_eV(self) -> np.ndarray:
        return self.saddle_eV - self.site_energy_eV[self.src]

    @property
    def hop_vectors_A(self) -> np.ndarray:
        return self.sites_A[self.dst] + self.shifts @ self.cell_A - self.sites_A[self.src]

    @property
    def effective_barrier_eV(self) -> float:
        """Lowest energy, above the lowest site, at which the network percolates (any dim)."""
        return lowest(self.percolation_eV)

    def summary(self):
        b = self.barriers_eV
        rows = [("structure", self.formula), ("sites", len(self.sites_A)),
                ("directed hops", len(self.src)),
                ("site energies above the lowest (eV)", ", ".join(
                    f"{e:.3f}" for e in np.unique(np.round(self.site_energy_eV, 3))[:8])),
                ("hop barrier min / median / max (eV)",
                 f"{b.min():.3f} / {np.median(b):.3f} / {b.max():.3f}" if b.size else "-")]
        for d, e, ref in zip((1, 2, 3), self.percolation_eV, self.reference_percolation_eV):
            rows.append((f"{d}D percolation energy, network (eV)", e))
            if math.isfinite(ref):
                rows.append((f"{d}D percolation energy, bvlain (eV)", ref))
        return rows

    def table(self):
        hop = self.hop_vectors_A
        return [{"src": int(i), "dst": int(j), "shift": " ".join(str(int(x)) for x in s),
                 "hop_length_A": float(np.linalg.norm(v)),
                 "E_src_eV": float(self.site_energy_eV[i]),
                 "saddle_eV": float(sd), "barrier_eV": float(sd - self.site_energy_eV[i])}
                for i, j, s, v, sd in zip(self.src, self.dst, self.shifts, hop, self.saddle_eV)]

    def _draw(self, ax, **kwargs):
        b = self.barriers_eV
        ax.hist(b, bins=min(40, max(5, len(b) // 4)), color="0.6", label="directed hop barriers")
        for d, e in zip((1, 2, 3), self.percolation_eV):
            if math.isfinite(e):
                ax.axvline(e, ls=("-", "--", ":")[d - 1], color=f"C{d}",
                           label=f"{d}D percolation {e:.3f} eV")
        ax.set_xlabel("barrier E_saddle - E_site (eV)")
        ax.set_ylabel("hops")
        ax.legend(fontsize=8)


def lowest(values) -> float:
    """The smallest finite value, nan when there is none (no warning)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(v.min()) if v.size else math.nan


def network_from_grid(energy_eV: np.ndarray, cell_A: np.ndarray, *,
                      min_separation_A: float = 0.5, merge_barrier_eV: float = 0.05,
                      energy_window_eV: float = 3.0,
                      formula: str = "", n_li_per_cell: int = 0) -> SiteNetwork:
    """Extract the :class:`SiteNetwork` of a periodic grid ``energy_eV[i, j, k]``.

    Grid point (i, j, k) sits at fractional coordinates (i/n0, j/n1, k/n2) of ``cell_A``
    (rows are cell vectors); the grid is periodic (no repeated end points). Sites and hop
    saddles more than ``energy_window_eV`` above the lowest site are dropped (a path through
    them climbs more than that; at 1000 K such a hop is 1e-15 times slower than a free one),
    so percolation above the window reads ``inf``.

    Examples
    --------
    A cosine landscape on a cubic cell holds one minimum; its six hops to the face-sharing
    images climb exactly the amplitude (the saddle lies on the grid), the corner-touching
    images are reached over higher saddles:

    >>> x = np.arange(8) / 8
    >>> e = sum(0.15 * (1 - np.cos(2 * np.pi * g)) for g in np.meshgrid(x, x, x, indexing="ij"))
    >>> net = network_from_grid(e, np.eye(3) * 3.0)
    >>> len(net.sites_A), len(net.src), np.sort(net.barriers_eV)[:7].round(6).tolist()
    (1, 26, [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.556066])
    >>> net.percolation_eV.round(6).tolist()
    [0.3, 0.3, 0.3]
    """
    energy = np.asarray(energy_eV, float)
    cell = np.asarray(cell_A, float)
    if energy.ndim != 3 or min(energy.shape) < 3:
        raise InputError(f"energy_eV: expected a 3-D grid with at least 3 points per axis, "
                         f"found shape {energy.shape}")
    if cell.shape != (3, 3) or abs(np.linalg.det(cell)) < 1e-9:
        raise InputError(f"cell_A: expected a non-singular 3x3 cell, found {cell.tolist()}")
    if not np.all(np.isfinite(energy)):
        raise InputError("energy_eV: the grid holds non-finite values")
    shape = np.array(energy.shape)
    flat = energy.ravel()
    index = np.arange(flat.size).reshape(energy.shape)

    # steepest descent: each point's lowest neighbour (itself on ties, so minima are fixed points)
    best = flat.copy()
    parent = index.ravel().copy()
    wrap = np.zeros((flat.size, 3), np.int64)
    grid_idx = np.stack(np.unravel_index(np.arange(flat.size), energy.shape), axis=1)
    for o in _OFFSETS:
        target = grid_idx + o
        cross = np.floor_divide(target, shape)
        tflat = np.ravel_multi_index(tuple((target % shape).T), energy.shape)
        lower = flat[tflat] < best
        best[lower] = flat[tflat][lower]
        parent[lower] = tflat[lower]
        wrap[lower] = cross[lower]
    # pointer jumping: root (minimum) of every point and the cell of the image it drains to
    while True:
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        wrap = wrap + wrap[parent]
        parent = nxt
    roots = np.unique(parent)
    frac = grid_idx / shape

    # merge minima closer than min_separation_A into the lowest (union-find with cell offsets)
    rank_by_energy = roots[np.argsort(flat[roots], kind="stable")]
    keep_root, keep_off = {}, {}
    kept: list[int] = []
    for r in rank_by_energy:
        if kept:
            d = frac[r] - frac[kept]
            shift = -np.round(d)
            dist = np.linalg.norm((d + shift) @ cell, axis=1)
            k = int(np.argmin(dist))
            if dist[k] < min_separation_A:
                # r's image in cell `shift` lies on kept[k]: r's home is kept[k]'s image -shift
                keep_root[r], keep_off[r] = kept[k], (-shift[k]).astype(np.int64)
                continue
        kept.append(r)
        keep_root[r], keep_off[r] = r, np.zeros(3, np.int64)
    e_min = flat[kept[0]]
    kept = [r for r in kept if flat[r] - e_min <= energy_window_eV]
    site_of_root = {r: i for i, r in enumerate(kept)}
    lut_site = np.full(flat.size, -1)
    lut_off = np.zeros((flat.size, 3), np.int64)
    for r in roots:
        lut_site[r] = site_of_root.get(keep_root[r], -1)
        lut_off[r] = keep_off[r]
    site = lut_site[parent]
    image = wrap + lut_off[parent]

    keys, saddles = _boundaries(flat, grid_idx, shape, site, image,
                                e_min + energy_window_eV)
    # shallow basins: a site whose saddle to a neighbour lies less than merge_barrier_eV above
    # it is one site with that neighbour (a carrier would flicker between them every hop)
    energies = flat[kept]
    shallow = saddles - np.maximum(energies[keys[:, 0]], energies[keys[:, 1]]) < merge_barrier_eV
    if np.any(shallow):
        root, offset = _merge_shallow(len(kept), keys[shallow], saddles[shallow], energies)
        good = site >= 0
        image[good] += offset[site[good]]
        site[good] = root[site[good]]
        used = np.unique(root)
        renumber = np.full(len(kept), -1)
        renumber[used] = np.arange(len(used))
        site[good] = renumber[site[good]]
        kept = [kept[r] for r in used]
        keys, saddles = _boundaries(flat, grid_idx, shape, site, image,
                                    e_min + energy_window_eV)

    site_energy = flat[kept] - e_min
    sites_A = frac[kept] @ cell
    saddle = saddles - e_min
    src, dst, shifts = keys[:, 0], keys[:, 1], keys[:, 2:5]
    spacing = float(np.min(np.linalg.norm(cell, axis=1) / shape))
    return SiteNetwork(
        formula=formula, cell_A=cell, sites_A=sites_A, site_energy_eV=site_energy, src=src,
        dst=dst, shifts=shifts, saddle_eV=saddle,
        percolation_eV=percolation_energies(len(kept), src, dst, shifts, saddle),
        n_li_per_cell=int(n_li_per_cell), grid_spacing_A=spacing,
        provenance=provenance(grid_shape=energy.shape, cell_A=cell,
                              min_separation_A=min_separation_A,
                              merge_barrier_eV=merge_barrier_eV,
                              energy_window_eV=energy_window_eV))


def _boundaries(flat, grid_idx, shape, site, image, max_energy):
    """Lowest boundary height per directed (site i, site j, cell shift) between basins."""
    keys, saddles = [], []
    for o in _HALF_OFFSETS:
        target = grid_idx + o
        cross = np.floor_divide(target, shape)
        tflat = np.ravel_multi_index(tuple((target % shape).T), tuple(shape))
        s_p, s_q = site, site[tflat]
        shift = image[tflat] + cross - image
        height = np.maximum(flat, flat[tflat])
        use = ((s_p >= 0) & (s_q >= 0) & ((s_p != s_q) | np.any(shift != 0, axis=1))
               & (height <= max_energy))
        for a, b, sh in ((s_p[use], s_q[use], shift[use]), (s_q[use], s_p[use], -shift[use])):
            keys.append(np.column_stack([a, b, sh]))
            saddles.append(height[use])
    keys = np.concatenate(keys) if keys else np.zeros((0, 5), np.int64)
    saddles = np.concatenate(saddles) if saddles else np.zeros(0)
    order = np.lexsort((saddles,) + tuple(keys.T[::-1]))
    keys, saddles = keys[order], saddles[order]
    first = np.ones(len(keys), bool)
    first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    return keys[first], saddles[first]


def _find_root(parent, offset, x):
    """Root of ``x`` in a union-find forest and the cell offset of ``x``'s image from it."""
    off = np.zeros(3, np.int64)
    while parent[x] != x:
        off = off + offset[x]
        x = parent[x]
    return x, off


def _merge_shallow(n_sites, keys, saddles, energies):
    """Union the sites joined by ``keys`` (lowest saddle first) into their lowest member.

    Returns each site's representative and the cell offset of its image relative to it. A hop
    that would join a cluster to its own periodic image is left as a hop.
    """
    parent = np.arange(n_sites)
    offset = np.zeros((n_sites, 3), np.int64)  # cell of a site relative to its parent

    def find(x):
        return _find_root(parent, offset, x)

    for e in np.argsort(saddles, kind="stable"):
        i, j, shift = int(keys[e, 0]), int(keys[e, 1]), keys[e, 2:5]
        (ri, oi), (rj, oj) = find(i), find(j)
        if ri == rj:
            continue
        # image of j at oi + shift (in ri's frame) => root rj sits at oi + shift - oj
        rel = oi + shift - oj
        if energies[rj] < energies[ri]:  # the lowest minimum represents the cluster
            ri, rj, rel = rj, ri, -rel
        parent[rj], offset[rj] = ri, rel
    root, off = zip(*(find(x) for x in range(n_sites)))
    # a voxel draining to site x's home image drains to the root's image at -off(x)
    return np.array(root), -np.array(off, np.int64)


def percolation_energies(n_sites: int, src, dst, shifts, saddle_eV) -> np.ndarray:
    """Lowest saddle energy at which a connected cluster spans 1, 2 and 3 dimensions.

    Kruskal-style: hops are added in order of saddle energy into a union-find that keeps each
    site's cell offset from its cluster root; a hop closing a loop with a non-zero net cell
    shift adds that lattice vector to the cluster, and the cluster percolates in as many
    dimensions as its loop vectors span. ``inf`` where it never does.

    Examples
    --------
    A chain along x (one site, hops to its +-x images at 0.2 eV) and a 0.5 eV hop along y:

    >>> percolation_energies(1, [0, 0, 0, 0], [0, 0, 0, 0],
    ...                      [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]],
    ...                      [0.2, 0.2, 0.5, 0.5]).tolist()
    [0.2, 0.5, inf]
    """
    parent = list(range(n_sites))
    offset = [np.zeros(3, np.int64) for _ in range(n_sites)]  # cell of a site's image vs parent
    size = [1] * n_sites
    loops: list[list[np.ndarray]] = [[] for _ in range(n_sites)]
    rank = [0] * n_sites

    def find(x):
        return _find_root(parent, offset, x)

    result = np.full(3, math.inf)
    shifts = np.asarray(shifts, np.int64).reshape(-1, 3)
    saddle = np.asarray(saddle_eV, float)
    for e in np.argsort(saddle, kind="stable"):
        (ri, oi), (rj, oj) = find(int(src[e])), find(int(dst[e]))
        cycle = oi + shifts[e] - oj
        if ri == rj:
            if not cycle.any():
                continue
            candidate = loops[ri] + [cycle]
            if np.linalg.matrix_rank(np.array(candidate)) > rank[ri]:
                loops[ri] = candidate
        else:
            # join by size (shallow trees): root rj sits at `cycle` in ri's frame
            if size[ri] < size[rj]:
                ri, rj, cycle = rj, ri, -cycle
            parent[rj], offset[rj] = ri, cycle
            size[ri] += size[rj]
            loops[ri] = loops[ri] + loops[rj]  # loop vectors are translations: frame-free
        rank[ri] = int(np.linalg.matrix_rank(np.array(loops[ri]))) if loops[ri] else 0
        for d in range(rank[ri]):
            result[d] = min(result[d], saddle[e])
        if rank[ri] == 3:
            break
    return result


def replicate(network: SiteNetwork, repeats=(1, 1, 1)) -> SiteNetwork:
    """The network of a ``repeats`` supercell: site ``c * n + i`` is site ``i`` in cell ``c``.

    Hop vectors and saddles are unchanged. A hop from a site to its own image must join two
    distinct sites of the supercell (site exclusion would block a hop onto itself), so a
    supercell with one repeat along such a hop raises :class:`InputError`.

    Examples
    --------
    >>> x = np.arange(8) / 8
    >>> e = sum(0.15 * (1 - np.cos(2 * np.pi * g)) for g in np.meshgrid(x, x, x, indexing="ij"))
    >>> big = replicate(network_from_grid(e, np.eye(3) * 3.0), (2, 2, 2))
    >>> len(big.sites_A), len(big.src), np.allclose(big.cell_A, np.eye(3) * 6.0)
    (8, 208, True)
    """
    reps = np.asarray(repeats, int).reshape(3)
    if np.any(reps < 1):
        raise InputError(f"supercell: expected three positive repeats, found {reps.tolist()}")
    n = len(network.sites_A)
    cells = np.array(list(itertools.product(*(range(r) for r in reps))))  # C-order = ravel
    n_cells = len(cells)
    cell_of_edge = np.repeat(np.arange(n_cells), len(network.src))
    origin = cells[cell_of_edge]
    shifts = np.tile(network.shifts, (n_cells, 1))
    target = origin + shifts
    dst_cell = np.ravel_multi_index(tuple((target % reps).T), tuple(reps))
    src = cell_of_edge * n + np.tile(network.src, n_cells)
    dst = dst_cell * n + np.tile(network.dst, n_cells)
    new_shifts = np.floor_divide(target, reps)
    if np.any(src == dst):
        raise InputError(f"supercell: {reps.tolist()} is too small, a hop to a site's own image "
                         "would land on itself; repeat the cell along that axis")
    sites = (cells @ network.cell_A)[:, None, :] + network.sites_A[None, :, :]
    return dataclasses.replace(
        network, cell_A=network.cell_A * reps[:, None], sites_A=sites.reshape(-1, 3),
        site_energy_eV=np.tile(network.site_energy_eV, n_cells), src=src, dst=dst,
        shifts=new_shifts, saddle_eV=np.tile(network.saddle_eV, n_cells),
        n_li_per_cell=network.n_li_per_cell * n_cells)
