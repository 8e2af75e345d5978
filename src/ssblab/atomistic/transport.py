"""Diffusion and ionic conductivity from a trajectory: MSD by FFT, block uncertainties, Arrhenius.

The mean-squared displacement (MSD) is averaged over every time origin with the FFT algorithm
of Calandrini et al. (nMoldyn, 2011): O(n log n) per atom instead of O(n^2), and atoms are
processed in chunks so memory stays bounded for long trajectories.

Uncertainties come from **block averaging**. The run is cut into ``n_blocks`` consecutive,
non-overlapping segments; in each the MSD is averaged over all origins and the diffusion
coefficient fitted by least squares. The MSD values at neighbouring lag times are strongly
correlated, so the least-squares error of a single fit is far too small (pymatgen's error bar);
segments of a Markovian trajectory are independent, so the spread of the per-segment
estimates is an honest standard error: ``std(D_blocks, ddof=1) / sqrt(n_blocks)``, a
Student-t quantity with ``n_blocks - 1`` degrees of freedom. The reported value is the mean of
the blocks, so value and error describe the same estimator.

Conventions: positions in Angstrom, time in ps, D in cm^2/s, conductivity in S/cm.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np

from ssblab.arrhenius_line import fit_arrhenius_line
from ssblab.errors import InputError, check_choice
from ssblab.results import Measured, Result, provenance
from ssblab.units import BOLTZMANN_J_K, ELEMENTARY_CHARGE_C, BOLTZMANN_eV_K

A2_PER_PS_TO_CM2_PER_S = 1e-4  # 1 A^2/ps = 1e-16 cm^2 / 1e-12 s
_CHUNK_BYTES = 4 * 2**20  # FFT working set per atom chunk: cache-sized runs fastest
#: The MSD counts as linear in the fit window (diffusive, whatever its vibrational offset) when
#: the slope over the window's second half is within this factor of the slope over its first.
MAX_SLOPE_RATIO = 1.4
DriftCorrection = Literal["framework", "none"]
TransportQuantity = Literal["diffusivity", "conductivity"]


# --- trajectories ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory:
    """Unwrapped positions of every atom in every frame, with the cell and the time step.

    ``positions_A`` has shape (n_frames, n_atoms, 3); ``cell_A`` is (3, 3) or, for a
    variable cell, (n_frames, 3, 3). Build one from arrays, or read any ASE-readable file with
    :func:`ssblab.atomistic.trajectory.read_trajectory`.

    Examples
    --------
    >>> traj = Trajectory(np.zeros((4, 2, 3)), cell_A=np.eye(3) * 5, symbols=("Li", "Cl"),
    ...                   timestep_ps=0.1)
    >>> traj.n_frames, traj.n_atoms, round(traj.volume_A3, 6)
    (4, 2, 125.0)
    """

    positions_A: np.ndarray
    cell_A: np.ndarray
    symbols: tuple[str, ...]
    timestep_ps: float
    masses_amu: np.ndarray | None = None
    source: str = ""

    def __post_init__(self):
        pos = np.asarray(self.positions_A, dtype=float)
        if pos.ndim != 3 or pos.shape[2] != 3:
            raise InputError(f"{self.source or 'trajectory'}: positions must have shape "
                             f"(n_frames, n_atoms, 3); found {pos.shape}")
        if len(self.symbols) != pos.shape[1]:
            raise InputError(f"{self.source or 'trajectory'}: {len(self.symbols)} symbols for "
                             f"{pos.shape[1]} atoms")
        if not (math.isfinite(self.timestep_ps) and self.timestep_ps > 0):
            raise InputError(f"timestep_ps: expected a positive time between frames, found "
                             f"{self.timestep_ps}")
        cell = np.asarray(self.cell_A, dtype=float)
        if cell.shape not in ((3, 3), (pos.shape[0], 3, 3)):
            raise InputError(f"cell_A: expected shape (3, 3) or ({pos.shape[0]}, 3, 3); "
                             f"found {cell.shape}")
        object.__setattr__(self, "positions_A", pos)
        object.__setattr__(self, "cell_A", cell)
        object.__setattr__(self, "symbols", tuple(str(s) for s in self.symbols))

    @property
    def n_frames(self) -> int:
        return self.positions_A.shape[0]

    @property
    def n_atoms(self) -> int:
        return self.positions_A.shape[1]

    @property
    def volume_A3(self) -> float:
        """Mean cell volume over the frames (a constant for a fixed cell)."""
        return float(np.mean(np.abs(np.linalg.det(self.cell_A))))

    def select(self, species: str | list[int] | np.ndarray) -> np.ndarray:
        """A boolean mask of the atoms given by a chemical symbol, indices or a mask."""
        if isinstance(species, str):
            mask = np.array([s == species for s in self.symbols])
            if not mask.any():
                found = ", ".join(sorted(set(self.symbols)))
                raise InputError(f"mobile species {species!r} is not in the trajectory "
                                 f"{self.source!r}; found {found}")
            return mask
        arr = np.asarray(species)
        if arr.dtype == bool:
            if arr.shape != (self.n_atoms,):
                raise InputError(f"mobile mask: expected {self.n_atoms} booleans, found {arr.shape}")
            return arr.copy()
        mask = np.zeros(self.n_atoms, bool)
        if arr.size and (arr.min() < 0 or arr.max() >= self.n_atoms):
            raise InputError(f"mobile indices must lie in 0..{self.n_atoms - 1}")
        mask[arr.astype(int)] = True
        return mask


# --- the MSD kernel -----------------------------------------------------------------------------
def msd_fft(positions_A: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """MSD(lag) averaged over all time origins and atoms, by FFT, for lags 0..max_lag.

    ``positions_A`` is (n_frames, n_atoms, 3) of unwrapped positions; ``max_lag`` defaults to
    n_frames - 1. Zero-padding to n_frames + max_lag (not 2 n_frames) is enough for the
    autocorrelation to be exact up to ``max_lag``, so shorter lag ranges cost less.

    Examples
    --------
    Two atoms moving ballistically at 1 and 2 A per frame: MSD(k) = (1 + 4) / 2 * k^2.

    >>> t = np.arange(5.0)
    >>> x = np.stack([np.c_[t, 0 * t, 0 * t], np.c_[2 * t, 0 * t, 0 * t]], axis=1)
    >>> np.round(msd_fft(x), 6)
    array([ 0. ,  2.5, 10. , 22.5, 40. ])
    """
    pos = np.asarray(positions_A, dtype=float)
    if pos.ndim != 3 or pos.shape[2] != 3 or 0 in pos.shape:
        raise InputError(f"positions_A: expected shape (n_frames, n_atoms, 3) with at least one "
                         f"frame and atom; found {pos.shape}")
    n, n_atoms, _ = pos.shape
    m = n - 1 if max_lag is None else int(min(max(max_lag, 0), n - 1))
    tracer, _ = _msd_sums(pos, m, np.arange(n_atoms))
    return tracer / (n - np.arange(m + 1)) / n_atoms


def _msd_sums(positions_A: np.ndarray, max_lag: int, atoms: np.ndarray,
              drift_A: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Squared displacements summed over origins, for lags 0..max_lag: (over atoms, of their sum).

    The first is the tracer MSD times (n_atoms x origins), the second the MSD of the summed
    position of ``atoms`` (the collective, charge MSD) times origins. Both come from one forward
    FFT per atom chunk: the transform is linear, so the summed position's spectrum is the sum
    of the atoms' spectra. ``drift_A`` (n_frames, 3) is subtracted from every position first.
    """
    from scipy import fft

    n = positions_A.shape[0]
    m = max_lag
    nfft = fft.next_fast_len(n + m, real=True)
    nf = nfft // 2 + 1
    # per atom: 3 rows of the padded buffer and of the spectrum, 8 bytes each per frame;
    # equal chunks, as a small last chunk transforms inefficiently
    n_chunks = max(1, math.ceil(len(atoms) * 3 * 8 * 2 * nfft / _CHUNK_BYTES))
    chunk = max(1, math.ceil(len(atoms) / n_chunks))
    # One zero-padded buffer with time along its rows (the FFT's fastest axis), filled in
    # place: no padded copy per transform.
    buf = np.zeros((3 * chunk, nfft))
    sq = np.zeros(n)  # per frame: sum over atoms and axes of |r(t) - r(0)|^2
    summed = np.zeros((3, n))
    power = np.zeros(nf)
    summed_spec = np.zeros((3, nf), complex)
    for start in range(0, len(atoms), chunk):
        pos = _take_atoms(positions_A, atoms[start:start + chunk])
        c = pos.shape[1]
        flat = pos.reshape(n, 3 * c)
        x = buf[:3 * c, :n]
        # transpose in cache-sized tiles: a whole-array strided transpose is 3x slower
        for t0 in range(0, n, 512):
            x[:, t0:t0 + 512] = flat[t0:t0 + 512].T
        # MSD is translation invariant; shifting to the first frame keeps the FFT precise.
        x -= x[:, :1].copy()
        by_axis = x.reshape(c, 3, n)
        if drift_A is not None:
            by_axis -= drift_A.T
        sq += np.einsum("it,it->t", x, x)
        summed += by_axis.sum(axis=0)
        spec = fft.rfft(buf[:3 * c], axis=-1, workers=-1)  # the padding stays zero
        parts = spec.view(np.float64)  # real and imaginary parts interleaved
        p = np.einsum("if,if->f", parts, parts)
        power += p[0::2] + p[1::2]
        summed_spec += spec.reshape(c, 3, nf).sum(axis=0)
    parts = summed_spec.view(np.float64)
    p = np.einsum("if,if->f", parts, parts)
    tracer = _s1(sq, m) - 2 * fft.irfft(power, nfft, workers=-1)[:m + 1]
    collective = (_s1(np.einsum("it,it->t", summed, summed), m)
                  - 2 * fft.irfft(p[0::2] + p[1::2], nfft)[:m + 1])
    tracer[0] = collective[0] = 0.0  # exactly, not FFT round-off
    return tracer, collective


def _s1(sq: np.ndarray, m: int) -> np.ndarray:
    """sum over origins t of |r(t)|^2 + |r(t + k)|^2 for k = 0..m, from the per-frame |r|^2."""
    cs = np.concatenate(([0.0], np.cumsum(sq)))
    csr = np.concatenate(([0.0], np.cumsum(sq[::-1])))
    return 2 * cs[-1] - cs[:m + 1] - csr[:m + 1]


def _take_atoms(positions_A: np.ndarray, atoms: np.ndarray) -> np.ndarray:
    """The (n_frames, len(atoms), 3) positions of ``atoms``: a view when they are contiguous."""
    if atoms[-1] - atoms[0] + 1 == len(atoms) and np.all(np.diff(atoms) == 1):
        return positions_A[:, atoms[0]:atoms[-1] + 1, :]
    return positions_A[:, atoms, :]


# --- diffusion ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class DiffusionResult(Result):
    """Tracer and collective diffusion, Nernst-Einstein conductivity and the Haven ratio."""

    species: str = ""
    temperature_K: float = math.nan
    n_mobile: int = 0
    volume_A3: float = math.nan
    duration_ps: float = math.nan
    diffusivity_cm2_s: Measured = Measured(math.nan, math.nan, "cm^2/s")
    collective_diffusivity_cm2_s: Measured = Measured(math.nan, math.nan, "cm^2/s")
    conductivity_S_cm: Measured = Measured(math.nan, math.nan, "S/cm")
    tracer_conductivity_S_cm: Measured = Measured(math.nan, math.nan, "S/cm")
    haven_ratio: Measured = Measured(math.nan, math.nan, "")
    n_blocks: int = 0
    fit_window_ps: tuple[float, float] = (math.nan, math.nan)
    block_diffusivity_cm2_s: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    block_collective_cm2_s: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    lag_ps: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    msd_A2: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    collective_msd_A2: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    drift_correction: str = "framework"
    msd_slope_ratio: float = math.nan  # late / early slope of the MSD in the fit window (1: linear)

    title = "Diffusion and conductivity"

    def summary(self):
        rows = [("species", self.species), ("temperature (K)", self.temperature_K),
                ("mobile atoms", self.n_mobile), ("run length (ps)", self.duration_ps),
                ("blocks", self.n_blocks), ("drift correction", self.drift_correction)]
        if self.ok:
            rows += [("tracer D (cm^2/s)", self.diffusivity_cm2_s),
                     ("collective D (cm^2/s)", self.collective_diffusivity_cm2_s),
                     ("conductivity (S/cm)", self.conductivity_S_cm),
                     ("Nernst-Einstein from tracer D (S/cm)", self.tracer_conductivity_S_cm),
                     ("Haven ratio", self.haven_ratio),
                     ("MSD slope, late / early half of the fit window (1 = linear)",
                      self.msd_slope_ratio)]
        return rows

    def _draw(self, ax, **kwargs):
        if self.lag_ps.size == 0:
            return super()._draw(ax)
        ax.plot(self.lag_ps, self.msd_A2, label="tracer MSD (block mean)")
        ax.plot(self.lag_ps, self.collective_msd_A2, label="collective MSD / N", alpha=0.7)
        lo, hi = self.fit_window_ps
        if self.ok:
            d = self.diffusivity_cm2_s.value / A2_PER_PS_TO_CM2_PER_S
            t = np.array([0.0, self.lag_ps[-1]])
            ax.plot(t, 6 * d * t, "k--", lw=1, label=f"6 D t, D = {self.diffusivity_cm2_s}")
        ax.axvspan(lo, hi, color="0.9", zorder=0, label="fit window")
        ax.set_xlabel("lag time (ps)")
        ax.set_ylabel("MSD (A^2)")
        ax.set_title(f"{self.species} at {self.temperature_K:g} K")
        ax.legend(fontsize=8)


def nernst_einstein_S_cm(diffusivity_cm2_s: float, *, n_ions: int, volume_A3: float,
                         temperature_K: float, charge_e: float = 1.0) -> float:
    """Conductivity sigma = n q^2 D / (kB T) in S/cm for ``n_ions`` in ``volume_A3``.

    Examples
    --------
    >>> round(nernst_einstein_S_cm(1e-6, n_ions=100, volume_A3=5000.0, temperature_K=300.0), 5)
    0.12395
    """
    density_cm3 = n_ions / (volume_A3 * 1e-24)
    q = charge_e * ELEMENTARY_CHARGE_C
    return density_cm3 * q * q * diffusivity_cm2_s / (BOLTZMANN_J_K * temperature_K)


def diffusion(trajectory: Trajectory, *, mobile: str | np.ndarray = "Li",
              temperature_K: float, charge_e: float = 1.0, n_blocks: int = 8,
              fit_window: tuple[float, float] = (0.1, 0.5),
              drift_correction: DriftCorrection = "framework",
              min_block_frames: int = 20) -> DiffusionResult:
    """Tracer and collective diffusion coefficients, conductivity and Haven ratio.

    Parameters
    ----------
    trajectory
        Unwrapped positions (:class:`Trajectory`).
    mobile
        The mobile species (chemical symbol), or atom indices, or a boolean mask.
    temperature_K
        Temperature of the run, for Nernst-Einstein.
    charge_e
        Charge of the mobile ion in elementary charges.
    n_blocks
        Independent consecutive segments for the error bar (at least 2).
    fit_window
        Lags fitted in each block, as fractions of the block length (start, end); the start
        skips the ballistic regime, the end keeps enough origins per lag.
    drift_correction
        ``"framework"`` subtracts the centre-of-mass motion of the non-mobile atoms from
        every position (thermostats and integrators let the whole cell drift);
        ``"none"`` leaves positions as they are. With no framework atoms nothing is subtracted
        and the result says so.
    min_block_frames
        Shortest block accepted; a shorter run gives ``ok=False`` with the reason.

    Examples
    --------
    A random walk with D = 1e-5 cm^2/s = 0.1 A^2/ps (steps of variance 2 D dt per axis):

    >>> rng = np.random.default_rng(0)
    >>> steps = rng.normal(0, np.sqrt(2 * 0.1 * 0.05), size=(4000, 64, 3))
    >>> traj = Trajectory(np.cumsum(steps, axis=0), cell_A=np.eye(3) * 20,
    ...                   symbols=("Li",) * 64, timestep_ps=0.05)
    >>> res = diffusion(traj, mobile="Li", temperature_K=600)
    >>> bool(abs(res.diffusivity_cm2_s.value - 1e-5) < 3 * res.diffusivity_cm2_s.stderr)
    True
    >>> round(res.haven_ratio.value, 0)
    1.0
    """
    drift_correction = check_choice(drift_correction, DriftCorrection,
                                    name="drift_correction")
    if not (math.isfinite(temperature_K) and temperature_K > 0):
        raise InputError(f"temperature_K: expected a positive temperature, found {temperature_K}")
    if int(n_blocks) < 2:
        raise InputError(f"n_blocks: need at least 2 independent blocks for an error bar, "
                         f"found {n_blocks}")
    lo_f, hi_f = fit_window
    if not 0 <= lo_f < hi_f <= 1:
        raise InputError(f"fit_window: expected 0 <= start < end <= 1 (fractions of a block), "
                         f"found {fit_window}")
    mask = trajectory.select(mobile)
    species = mobile if isinstance(mobile, str) else "selected atoms"
    n_mobile = int(mask.sum())
    dt = trajectory.timestep_ps
    common = dict(species=species, temperature_K=float(temperature_K), n_mobile=n_mobile,
                  volume_A3=trajectory.volume_A3, n_blocks=int(n_blocks),
                  duration_ps=(trajectory.n_frames - 1) * dt,
                  provenance=provenance(source=trajectory.source, mobile=species,
                                        temperature_K=temperature_K, n_blocks=n_blocks,
                                        fit_window=fit_window, drift_correction=drift_correction,
                                        timestep_ps=dt, n_frames=trajectory.n_frames))
    if n_mobile == 0:
        return DiffusionResult(ok=False, reason="no mobile atoms selected", **common)

    notes = []
    framework = ~mask
    weights = None
    if drift_correction == "framework":
        if framework.any():
            w = (np.asarray(trajectory.masses_amu, float)[framework]
                 if trajectory.masses_amu is not None else np.ones(int(framework.sum())))
            weights = w / w.sum()
            # com = positions (frames, 3 atoms) @ com_matrix: weight w_a on atom a's own axis
            com_matrix = (weights[:, None, None] * np.eye(3)).reshape(-1, 3)
        else:
            drift_correction = "none"
            notes.append("no framework atoms: no drift correction applied")
    common["drift_correction"] = drift_correction

    def drift(lo, hi):
        """Framework centre-of-mass displacement over frames lo..hi-1 (one block at a time)."""
        if weights is None:
            return None
        seg = _take_atoms(trajectory.positions_A[lo:hi], framework_atoms)
        com = seg.reshape(len(seg), -1) @ com_matrix  # one BLAS product
        return com - com[0]

    if n_mobile == 1:
        notes.append("one mobile atom: collective and tracer diffusion coincide (Haven ratio 1)")

    block_len = trajectory.n_frames // int(n_blocks)
    first = max(1, int(round(lo_f * (block_len - 1))))
    last = int(round(hi_f * (block_len - 1)))
    if block_len < min_block_frames or last - first < 2:
        return DiffusionResult(
            ok=False, reason=(f"run too short: {trajectory.n_frames} frames give {n_blocks} "
                              f"blocks of {block_len} frames; need at least {min_block_frames} "
                              f"frames per block (use fewer blocks or a longer run)"), **common)

    lags = np.arange(first, last + 1)
    d_blocks, dc_blocks = [], []
    shown = min(block_len - 1, last + last // 4)  # lags computed: the fit range and a margin
    mean_msd, mean_msd_c = np.zeros(shown + 1), np.zeros(shown + 1)
    counts = block_len - np.arange(shown + 1)  # time origins per lag
    mobile_atoms, framework_atoms = np.flatnonzero(mask), np.flatnonzero(framework)
    for b in range(int(n_blocks)):
        lo, hi = b * block_len, (b + 1) * block_len
        tracer, collective = _msd_sums(trajectory.positions_A[lo:hi], shown, mobile_atoms,
                                       drift(lo, hi))
        msd = tracer / counts / n_mobile
        msd_c = collective / counts / n_mobile  # collective: the summed positions' MSD / N
        mean_msd += msd / n_blocks
        mean_msd_c += msd_c / n_blocks
        d_blocks.append(_slope(lags * dt, msd[lags]) / 6.0 * A2_PER_PS_TO_CM2_PER_S)
        dc_blocks.append(_slope(lags * dt, msd_c[lags]) / 6.0 * A2_PER_PS_TO_CM2_PER_S)
    d_blocks, dc_blocks = np.array(d_blocks), np.array(dc_blocks)

    nb = len(d_blocks)
    d, d_se = float(d_blocks.mean()), float(d_blocks.std(ddof=1) / math.sqrt(nb))
    dc, dc_se = float(dc_blocks.mean()), float(dc_blocks.std(ddof=1) / math.sqrt(nb))
    # Haven ratio by the delta method with the block covariance of (D*, D_sigma)
    cov = float(np.cov(d_blocks, dc_blocks, ddof=1)[0, 1]) / nb
    if n_mobile == 1:
        haven = Measured(1.0, 0.0, "")
    elif dc != 0:
        h = d / dc
        var_h = h * h * ((d_se / d) ** 2 + (dc_se / dc) ** 2 - 2 * cov / (d * dc)) if d else math.nan
        haven = Measured(h, math.sqrt(max(var_h, 0.0)), "")
    else:
        haven = Measured(math.nan, math.nan, "")
    ne = dict(n_ions=n_mobile, volume_A3=trajectory.volume_A3, temperature_K=temperature_K,
              charge_e=charge_e)
    sigma = nernst_einstein_S_cm(1.0, **ne)  # S/cm per cm^2/s
    if d < 0 or d < 2 * d_se:
        notes.append("no significant diffusion: D is within two standard errors of zero")
    # Diffusion makes the MSD linear (any vibrational offset aside); a slope that falls across
    # the window means caging/vibration, one that rises means ballistic flight.
    half = len(lags) // 2
    early = _slope(lags[:half + 1] * dt, mean_msd[lags[:half + 1]])
    late = _slope(lags[half:] * dt, mean_msd[lags[half:]])
    ratio = late / early if early > 0 else math.nan
    if not 1 / MAX_SLOPE_RATIO <= ratio <= MAX_SLOPE_RATIO:
        notes.append(f"MSD not linear in the fit window (late / early slope {ratio:.2f}): the "
                     "blocks are too short to reach the diffusive regime; D is not reliable "
                     "(run longer or use fewer blocks)")

    # the block-averaged MSD for the plot, downsampled to keep results small
    keep = np.unique(np.linspace(0, shown, 400).astype(int))
    return DiffusionResult(
        reason="; ".join(notes),
        diffusivity_cm2_s=Measured(d, d_se, "cm^2/s"),
        collective_diffusivity_cm2_s=Measured(dc, dc_se, "cm^2/s"),
        conductivity_S_cm=Measured(sigma * dc, sigma * dc_se, "S/cm"),
        tracer_conductivity_S_cm=Measured(sigma * d, sigma * d_se, "S/cm"),
        haven_ratio=haven, fit_window_ps=(first * dt, last * dt), msd_slope_ratio=ratio,
        block_diffusivity_cm2_s=d_blocks, block_collective_cm2_s=dc_blocks,
        lag_ps=keep * dt, msd_A2=mean_msd[keep], collective_msd_A2=mean_msd_c[keep], **common)


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    xm = x - x.mean()
    return float(np.dot(xm, y - y.mean()) / np.dot(xm, xm))


# --- Arrhenius -----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class ArrheniusResult(Result):
    """Activation energy and the value extrapolated to another temperature."""

    quantity: str = "diffusivity"
    unit: str = "cm^2/s"
    temperatures_K: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    values: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    stderrs: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    activation_energy_eV: Measured = Measured(math.nan, math.nan, "eV")
    target_K: float = 300.0
    extrapolated: Measured = Measured(math.nan, math.nan, "")
    ln_prefactor: float = math.nan
    reduced_chi2: float = math.nan

    title = "Arrhenius fit"

    def summary(self):
        return [("quantity", self.quantity), ("temperatures (K)", ", ".join(
            f"{t:g}" for t in self.temperatures_K)),
            ("activation energy (eV)", self.activation_energy_eV),
            (f"{self.quantity} at {self.target_K:g} K ({self.unit})", self.extrapolated),
            ("reduced chi^2", self.reduced_chi2)]

    def predict(self, temperature_K):
        """The fitted value at ``temperature_K`` (array or float)."""
        t = np.asarray(temperature_K, float)
        ea = self.activation_energy_eV.value
        y = np.exp(self.ln_prefactor - ea / (BOLTZMANN_eV_K * t))
        return y / t if self.quantity == "conductivity" else y

    def _draw(self, ax, **kwargs):
        inv = 1000.0 / self.temperatures_K
        ax.errorbar(inv, self.values, yerr=self.stderrs, fmt="o", label="data")
        t = np.linspace(min(self.temperatures_K.min(), self.target_K),
                        self.temperatures_K.max(), 100)
        ax.plot(1000.0 / t, self.predict(t), "-",
                label=f"Ea = {self.activation_energy_eV}")
        ex = self.extrapolated
        ax.errorbar([1000.0 / self.target_K], [ex.value], yerr=[ex.stderr], fmt="s",
                    label=f"{self.target_K:g} K: {ex}")
        ax.set_yscale("log")
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel(f"{self.quantity} ({self.unit})")
        ax.legend(fontsize=8)


def arrhenius(temperatures_K, values, stderrs, *,
              quantity: TransportQuantity = "diffusivity",
              target_K: float = 300.0) -> ArrheniusResult:
    """Weighted Arrhenius fit and extrapolation with its uncertainty.

    ``diffusivity``: D = D0 exp(-Ea / kT). ``conductivity``: sigma T = A exp(-Ea / kT).
    The fit is weighted least squares on ln(y) with weights from the relative errors; when the
    scatter exceeds the errors (reduced chi^2 > 1) the covariance is scaled by chi^2 (Birge),
    never shrunk. The error of the extrapolation carries the covariance of slope and intercept.

    Examples
    --------
    >>> t = np.array([500.0, 600.0, 700.0, 800.0])
    >>> d = 1e-3 * np.exp(-0.3 / (BOLTZMANN_eV_K * t))
    >>> fit = arrhenius(t, d, 0.05 * d)
    >>> round(fit.activation_energy_eV.value, 6)
    0.3
    """
    quantity = check_choice(quantity, TransportQuantity, name="quantity")
    t = np.asarray(temperatures_K, float)
    y = np.asarray(values, float)
    s = np.asarray(stderrs, float)
    if not (t.shape == y.shape == s.shape) or t.ndim != 1:
        raise InputError("arrhenius: temperatures, values and stderrs must be 1-D and equally long")
    unit = "cm^2/s" if quantity == "diffusivity" else "S/cm"
    base = dict(quantity=quantity, unit=unit, temperatures_K=t, values=y, stderrs=s,
                target_K=float(target_K), provenance=provenance(temperatures_K=t, values=y,
                                                                stderrs=s, quantity=quantity))
    if t.size < 2 or len(np.unique(t)) < 2:
        return ArrheniusResult(ok=False, reason="need at least two distinct temperatures", **base)
    if np.any(y <= 0) or np.any(t <= 0):
        return ArrheniusResult(ok=False, reason=(
            "every value must be positive for a log fit; a run without significant "
            "diffusion cannot enter an Arrhenius fit"), **base)
    ln_y = np.log(y * t) if quantity == "conductivity" else np.log(y)
    relative = s / y
    # Without usable errors: unit weights, covariance from the scatter.
    line = fit_arrhenius_line(t, ln_y, relative if np.all((s > 0) & np.isfinite(s)) else None)
    ln_pred, ln_pred_se = line.ln_value(target_K)
    pred = math.exp(ln_pred) / (target_K if quantity == "conductivity" else 1.0)
    dof = t.size - 2
    notes = "" if dof > 0 else "two temperatures: the errors come from the inputs alone"
    return ArrheniusResult(
        reason=notes, activation_energy_eV=Measured(line.activation_energy_eV, line.stderr[1], "eV"),
        extrapolated=Measured(pred, pred * ln_pred_se, unit), ln_prefactor=line.ln_prefactor,
        reduced_chi2=line.reduced_chi2, **base)
