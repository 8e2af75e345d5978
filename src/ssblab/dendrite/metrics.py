"""What a deposit looks like: fronts, penetration, branches, where the Li went, and a movie.

All functions take the order parameter ``xi`` (row 0 at the Li electrode) and the grid
spacing in um; the metal is where ``xi >= 0.5``.

Examples
--------
>>> import numpy as np
>>> xi = np.zeros((10, 4)); xi[:3] = 1.0; xi[:6, 1] = 1.0
>>> front_heights_um(xi, 1.0).tolist()
[3.0, 6.0, 3.0, 3.0]
>>> mean_front_um(xi, 1.0)
3.75
>>> count_branches(xi, 1.0, above_um=4.0)
1
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ssblab.results import Result


def front_heights_um(xi, spacing_um: float):
    """Height of the highest ``xi = 0.5`` crossing in every column (linear interpolation).

    ``xi`` may be a NumPy array or a PyTorch tensor (on any device; the phase field's history
    observer calls it on the GPU so the field stays there); the result is of the same kind.
    """
    tensor = not isinstance(xi, np.ndarray)
    if tensor:
        import torch as xp

        rows = xp.arange(xi.shape[0], device=xi.device)
    else:
        xp, rows = np, np.arange(xi.shape[0])
    n0 = xi.shape[0]
    metal = xi >= 0.5
    # index of the highest metal cell per column (-1 if none)
    top = xp.amax(xp.where(metal, rows.reshape((-1,) + (1,) * (xi.ndim - 1)), -1), 0)
    t = xp.clip(top, 0, n0 - 1)
    take = xp.take_along_dim if tensor else np.take_along_axis
    below = take(xi, t[None], 0)[0]
    above = take(xi, xp.clip(t + 1, 0, n0 - 1)[None], 0)[0]
    with np.errstate(divide="ignore", invalid="ignore"):   # 0/0 only where not selected
        frac = xp.where(below > above, (below - 0.5) / (below - above), 0.0)
    frac = xp.where(t + 1 < n0, xp.clip(frac, 0.0, 1.0), 0.5)
    return xp.where(top >= 0, (t + 0.5 + frac) * spacing_um, 0.0)


def mean_front_um(xi, spacing_um: float) -> float:
    """Mean deposit thickness: the metal volume per unit area (exact, profile independent)."""
    return float(xi.sum(0).mean() * spacing_um)


def penetration_um(xi: np.ndarray, spacing_um: float) -> float:
    """How far the leading tip runs ahead of the mean front."""
    return float(front_heights_um(xi, spacing_um).max() - mean_front_um(xi, spacing_um))


def count_branches(xi: np.ndarray, spacing_um: float, *, above_um: float) -> int:
    """Connected metal regions above the height ``above_um`` (periodic laterally).

    Each separate finger that crosses the cut counts once.
    """
    import scipy.ndimage

    start = int(np.ceil(above_um / spacing_um))
    metal = xi[start:] >= 0.5
    if not metal.any():
        return 0
    labels, n = scipy.ndimage.label(metal)
    # merge labels that touch across the periodic lateral edge(s)
    parent = np.arange(n + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for axis in range(1, metal.ndim):
        first = np.take(labels, 0, axis=axis)
        last = np.take(labels, -1, axis=axis)
        for a, b in zip(first.ravel(), last.ravel()):
            if a and b:
                parent[find(a)] = find(b)
    return len({find(k) for k in range(1, n + 1)})


def phase_fractions_of_deposit(xi: np.ndarray, xi_initial: np.ndarray,
                               labels: np.ndarray, n_phases: int) -> np.ndarray:
    """Fraction of the newly deposited Li that sits in each electrolyte phase's region."""
    grown = np.clip(xi - xi_initial, 0.0, None)
    total = grown.sum()
    if total <= 0:
        return np.full(n_phases, np.nan)
    return np.bincount(labels.ravel(), weights=grown.ravel(), minlength=n_phases) / total


def phase_fractions_of_region(xi: np.ndarray, xi_initial: np.ndarray,
                              labels: np.ndarray, n_phases: int) -> np.ndarray:
    """The no-preference baseline: the phase fractions the deposit would have if, at every
    height, it filled each phase in proportion to that phase's share of the row.

    Each row's phase fractions are weighted by how much Li the row received, so a deposit
    that simply advanced as a flat front scores a preference of exactly 1.
    """
    grown = np.clip(xi - xi_initial, 0.0, None).reshape(xi.shape[0], -1)
    per_row = grown.sum(axis=1)
    if per_row.sum() <= 0:
        return np.full(n_phases, np.nan)
    rows = labels.reshape(labels.shape[0], -1)
    shares = np.stack([np.bincount(r, minlength=n_phases) / r.size for r in rows])
    return per_row @ shares / per_row.sum()


def write_movie(frames: list[np.ndarray], path, *, times_h: list[float] | None = None,
                spacing_um: float = 1.0, labels: np.ndarray | None = None, fps: int = 8) -> None:
    """Write the order-parameter frames as an animated GIF (matplotlib + pillow, offline).

    ``labels`` draws the electrolyte phases' outlines under the deposit.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    if not frames:
        return
    ny, nx = frames[0].shape[:2]
    extent = (0, nx * spacing_um, 0, ny * spacing_um)
    fig, ax = plt.subplots(figsize=(4, 4 * ny / nx + 0.4), dpi=72, layout="constrained")
    image = ax.imshow(frames[0], origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=255)
    if labels is not None and labels.max() > 0:
        ax.contour(labels, levels=np.arange(labels.max()) + 0.5, colors="w", linewidths=0.5,
                   origin="lower", extent=extent)
    ax.set_xlabel("x (um)")
    ax.set_ylabel("distance from the Li electrode (um)")

    def update(k):
        image.set_data(frames[k])
        if times_h is not None:
            ax.set_title(f"t = {times_h[k]:.3g} h")
        return (image,)

    animation = FuncAnimation(fig, update, frames=len(frames), blit=False)
    import tempfile
    from pathlib import Path

    from ssblab.files import atomic_write

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "movie.gif"
        animation.save(target, writer=PillowWriter(fps=fps))
        atomic_write(path, target.read_bytes())
    plt.close(fig)


# --- the result of one growth run ---------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class GrowthResult(Result):
    """One phase-field growth run: histories, final fields and the deposit's statistics."""

    time_h: np.ndarray
    mean_front_um: np.ndarray
    max_front_um: np.ndarray
    current_density_mA_cm2: np.ndarray
    voltage_V: np.ndarray
    deposited_charge_mAh_cm2: float
    passed_charge_mAh_cm2: float
    phase_names: tuple
    li_fraction_by_phase: np.ndarray
    area_fraction_by_phase: np.ndarray
    branches: int
    short_circuit_time_h: float
    stop_reason: str
    spacing_um: float
    order_parameter: np.ndarray
    potential_V: np.ndarray
    current_magnitude_mA_cm2: np.ndarray
    labels: np.ndarray
    steps: int

    title = "Phase-field Li deposition"

    @property
    def preference(self) -> np.ndarray:
        """Li fraction in each phase over its row-weighted area fraction (1: no preference)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.li_fraction_by_phase / self.area_fraction_by_phase

    @property
    def penetration_um(self) -> float:
        return float(self.max_front_um[-1] - self.mean_front_um[-1]) if len(self.time_h) else 0.0

    def summary(self):
        rows = [("simulated time (h)", float(self.time_h[-1]) if len(self.time_h) else 0.0),
                ("steps", self.steps),
                ("mean front (um)", float(self.mean_front_um[-1]) if len(self.time_h) else math.nan),
                ("leading tip (um)", float(self.max_front_um[-1]) if len(self.time_h) else math.nan),
                ("penetration beyond the mean front (um)", self.penetration_um),
                ("branches", self.branches),
                ("deposited charge (mAh/cm2)", self.deposited_charge_mAh_cm2),
                ("passed charge (mAh/cm2)", self.passed_charge_mAh_cm2),
                ("final cell potential (V)", float(self.voltage_V[-1]) if len(self.time_h) else math.nan),
                ("time to short circuit (h)", self.short_circuit_time_h)]
        for name, li, area, pref in zip(self.phase_names, self.li_fraction_by_phase,
                                        self.area_fraction_by_phase, self.preference):
            rows.append((f"Li in {name} / area of {name} (-)", f"{li:.3f} / {area:.3f} = {pref:.2f}"))
        if self.stop_reason:
            rows.append(("stopped", self.stop_reason))
        return rows

    def table(self):
        return [{"time_h": t, "mean_front_um": m, "max_front_um": x, "current_density_mA_cm2": i,
                 "voltage_V": v} for t, m, x, i, v in zip(self.time_h, self.mean_front_um,
                                                           self.max_front_um,
                                                           self.current_density_mA_cm2, self.voltage_V)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.time_h, self.mean_front_um, label="mean front")
        ax.plot(self.time_h, self.max_front_um, label="leading tip")
        ax.set_xlabel("time (h)")
        ax.set_ylabel("height above the collector (um)")
        ax.legend()

    def plot_fields(self):
        """Order parameter, potential and current density side by side; returns the figure."""
        import matplotlib.pyplot as plt

        def cut(a):  # the middle slice of a 3D field
            return a if a.ndim == 2 else a[:, a.shape[1] // 2]

        xi, labels = cut(self.order_parameter), cut(self.labels)
        ny, nx = xi.shape
        extent = (0, nx * self.spacing_um, 0, ny * self.spacing_um)
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.6 * ny / nx + 0.6), layout="constrained")
        panels = [(xi, "order parameter xi (-)", "viridis"),
                  (cut(self.potential_V) * 1e3, "electrolyte potential (mV)", "magma"),
                  (cut(self.current_magnitude_mA_cm2), "ionic current density (mA/cm2)", "inferno")]
        for ax, (field, label, cmap) in zip(axes, panels):
            image = ax.imshow(field, origin="lower", extent=extent, cmap=cmap)
            if labels.max() > 0:
                ax.contour(labels, levels=np.arange(labels.max()) + 0.5, colors="c",
                           linewidths=0.4, origin="lower", extent=extent)
            ax.contour(xi, levels=[0.5], colors="w", linewidths=0.8, origin="lower", extent=extent)
            ax.set_xlabel("x (um)")
            fig.colorbar(image, ax=ax, label=label, shrink=0.8)
        axes[0].set_ylabel("distance from the Li electrode (um)")
        return fig


def growth_result(sim) -> GrowthResult:
    """Collect a :class:`GrowthResult` from an :class:`ElectrodepositionSimulation`."""
    from ssblab.results import provenance

    spacing = sim.electrolyte.spacing_um
    labels = np.asarray(sim.electrolyte.labels)
    n = len(sim.electrolyte.names)
    mean = np.array(sim.mean_front_history_um)
    short = math.nan
    if sim.stop_reason.startswith("short circuit"):
        short = sim.time_s / 3600.0
    front = mean[-1] if mean.size else sim.setup["film_thickness_um"]
    above = front + 2.0 * sim.parameters.interface_width_um
    potential = sim.psi / sim.coefficients.f
    sigma = sim.conductivity(sim.xi)
    grads = np.gradient(potential, sim.coefficients.h_m)
    grads = grads if isinstance(grads, (list, tuple)) else [grads]
    current = sigma * np.sqrt(sum(g**2 for g in grads)) / 10.0
    return GrowthResult(
        time_h=np.array(sim.time_history_s) / 3600.0,
        mean_front_um=mean, max_front_um=np.array(sim.max_front_history_um),
        current_density_mA_cm2=np.array(sim.current_history_mA_cm2),
        voltage_V=np.array(sim.voltage_history_V),
        deposited_charge_mAh_cm2=sim.deposited_charge_mAh_cm2,
        passed_charge_mAh_cm2=sim.passed_charge_mAh_cm2,
        phase_names=tuple(sim.electrolyte.names),
        li_fraction_by_phase=phase_fractions_of_deposit(sim.xi, sim.xi_initial, labels, n),
        area_fraction_by_phase=phase_fractions_of_region(sim.xi, sim.xi_initial, labels, n),
        branches=count_branches(sim.xi, spacing, above_um=above),
        short_circuit_time_h=short, stop_reason=sim.stop_reason, spacing_um=spacing,
        order_parameter=np.round(sim.xi, 3), potential_V=np.round(potential, 6),
        current_magnitude_mA_cm2=np.round(current, 4), labels=labels.astype(np.int8),
        steps=sim.nsteps,
        provenance=provenance(control=sim.control, current_density_mA_cm2=sim.current_density_mA_cm2,
                              voltage_V=sim.voltage_V, parameters=dataclasses.asdict(sim.parameters),
                              **sim.setup))
