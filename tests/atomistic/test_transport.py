"""Transport analysis against planted truths: random walks with known D, Haven ratio and drift."""

import math

import numpy as np
import pytest
from scipy import stats

from ssblab.atomistic.transport import Trajectory, arrhenius, diffusion, msd_fft, nernst_einstein_S_cm
from ssblab.errors import InputError
from ssblab.results import Result
from ssblab.units import BOLTZMANN_eV_K

D_A2_PS = 0.1  # planted D in A^2/ps = 1e-5 cm^2/s
D_CM2_S = D_A2_PS * 1e-4


def walk(rng, n_frames, n_atoms, *, dt=0.05, d=D_A2_PS):
    steps = rng.normal(0.0, math.sqrt(2 * d * dt), size=(n_frames, n_atoms, 3))
    steps[0] = 0.0
    return np.cumsum(steps, axis=0)


def make_traj(pos, n_framework=0, dt=0.05, rng=None):
    if n_framework:
        rng = rng or np.random.default_rng(1)
        fw = rng.uniform(0, 15, size=(1, n_framework, 3)).repeat(pos.shape[0], axis=0)
        pos = np.concatenate([pos, fw], axis=1)
    symbols = ("Li",) * (pos.shape[1] - n_framework) + ("Cl",) * n_framework
    return Trajectory(pos, cell_A=np.eye(3) * 15.0, symbols=symbols, timestep_ps=dt)


def brute_msd(x):
    n = len(x)
    return np.array([np.mean(np.sum((x[k:] - x[:n - k]) ** 2, axis=-1)) for k in range(n)])


def test_msd_fft_matches_direct_average_over_origins():
    x = walk(np.random.default_rng(3), 300, 5)
    np.testing.assert_allclose(msd_fft(x), brute_msd(x), rtol=1e-9, atol=1e-9)


def test_msd_fft_chunks_give_the_same_answer(monkeypatch):
    import ssblab.atomistic.transport as tr

    x = walk(np.random.default_rng(4), 200, 7)
    whole = msd_fft(x)
    monkeypatch.setattr(tr, "_CHUNK_BYTES", 1)  # one atom per chunk
    np.testing.assert_allclose(tr.msd_fft(x), whole, rtol=1e-10, atol=1e-12)


def test_planted_diffusivity_and_conductivity_recovered():
    rng = np.random.default_rng(11)
    traj = make_traj(walk(rng, 4000, 32), n_framework=16)
    res = diffusion(traj, mobile="Li", temperature_K=500.0)
    assert res.ok, res.reason
    d = res.diffusivity_cm2_s
    assert abs(d.value - D_CM2_S) < 4 * d.stderr
    assert d.relative_error < 0.05
    # independent walkers: collective D equals tracer D, Haven ratio 1 within its error
    assert abs(res.haven_ratio.value - 1) < 4 * res.haven_ratio.stderr
    expected_sigma = nernst_einstein_S_cm(D_CM2_S, n_ions=32, volume_A3=15.0**3,
                                          temperature_K=500.0)
    s = res.conductivity_S_cm
    assert abs(s.value - expected_sigma) < 4 * s.stderr
    assert isinstance(Result.from_json(res.to_json()), type(res))


def test_stated_uncertainty_covers_truth_at_stated_rate():
    n_seeds, n_blocks = 300, 8
    t95 = stats.t.ppf(0.975, n_blocks - 1)
    inside1 = inside95 = 0
    for seed in range(n_seeds):
        traj = make_traj(walk(np.random.default_rng(seed), 400, 6))
        d = diffusion(traj, temperature_K=300.0, n_blocks=n_blocks).diffusivity_cm2_s
        z = abs(d.value - D_CM2_S) / d.stderr
        inside1 += z <= 1
        inside95 += z <= t95
    expected1 = 2 * stats.t.cdf(1, n_blocks - 1) - 1  # 0.65 for 7 degrees of freedom
    # binomial standard deviation over 300 seeds is about 0.013-0.028
    assert abs(inside1 / n_seeds - expected1) < 0.08
    assert abs(inside95 / n_seeds - 0.95) < 0.035


def test_correlated_pairs_give_planted_haven_ratio():
    # atoms move in rigid pairs: collective D = 2 D*, Haven ratio 1/2
    rng = np.random.default_rng(5)
    half = walk(rng, 3000, 20)
    pos = np.concatenate([half, half + 1.0], axis=1)
    res = diffusion(make_traj(pos, n_framework=4), temperature_K=400.0)
    h = res.haven_ratio
    assert abs(h.value - 0.5) < 4 * h.stderr
    assert h.stderr < 0.1


def test_framework_drift_is_removed():
    rng = np.random.default_rng(8)
    traj0 = make_traj(walk(rng, 3000, 16), n_framework=16)
    drift = np.linspace(0, 30.0, traj0.n_frames)[:, None, None] * np.array([1.0, 0.5, 0.0])
    traj = Trajectory(traj0.positions_A + drift, cell_A=traj0.cell_A, symbols=traj0.symbols,
                      timestep_ps=traj0.timestep_ps)
    corrected = diffusion(traj, temperature_K=300.0)
    raw = diffusion(traj, temperature_K=300.0, drift_correction="none")
    clean = diffusion(traj0, temperature_K=300.0)
    assert corrected.diffusivity_cm2_s.value == pytest.approx(clean.diffusivity_cm2_s.value,
                                                              rel=1e-9)
    assert raw.collective_diffusivity_cm2_s.value > 3 * clean.collective_diffusivity_cm2_s.value


def test_edge_cases_get_clear_answers():
    rng = np.random.default_rng(2)
    # no framework atoms: works, says no drift correction
    res = diffusion(make_traj(walk(rng, 1000, 4)), temperature_K=300.0)
    assert res.ok and "no framework" in res.reason
    # one mobile atom: Haven ratio is 1 by definition
    one = diffusion(make_traj(walk(rng, 2000, 1), n_framework=3), temperature_K=300.0)
    assert one.ok and one.haven_ratio.value == 1.0 and "one mobile atom" in one.reason
    # too short
    short = diffusion(make_traj(walk(rng, 30, 4)), temperature_K=300.0)
    assert not short.ok and "too short" in short.reason
    # frozen atoms: no significant diffusion noted
    frozen = make_traj(np.zeros((400, 3, 3)) + rng.normal(0, 0.01, (400, 3, 3)), n_framework=2)
    assert "no significant diffusion" in diffusion(frozen, temperature_K=300.0).reason
    with pytest.raises(InputError, match="'Na' is not in the trajectory"):
        diffusion(frozen, mobile="Na", temperature_K=300.0)
    with pytest.raises(InputError, match="n_blocks"):
        diffusion(frozen, temperature_K=300.0, n_blocks=1)
    with pytest.raises(InputError, match="drift_correction.*did you mean 'none'"):
        diffusion(frozen, temperature_K=300.0, drift_correction="nne")


def test_arrhenius_recovers_planted_energy_and_extrapolation_coverage():
    rng = np.random.default_rng(0)
    t = np.array([500.0, 600.0, 700.0, 900.0])
    truth = 2e-3 * np.exp(-0.3 / (BOLTZMANN_eV_K * t))
    truth300 = 2e-3 * math.exp(-0.3 / (BOLTZMANN_eV_K * 300.0))
    hits, n = 0, 400
    for _ in range(n):
        rel = 0.1
        y = truth * np.exp(rng.normal(0, rel, t.size))
        fit = arrhenius(t, y, rel * y)
        z = abs(math.log(fit.extrapolated.value / truth300)) / fit.extrapolated.relative_error
        hits += z <= 1.96
    # Birge scaling only ever widens the interval, so coverage is at least nominal
    assert 0.93 < hits / n <= 1.0
    exact = arrhenius(t, truth, 0.01 * truth)
    assert exact.activation_energy_eV.value == pytest.approx(0.3, abs=1e-9)
    cond = arrhenius(t, truth / t, 0.01 * truth / t, quantity="conductivity")
    assert cond.activation_energy_eV.value == pytest.approx(0.3, abs=1e-9)
    assert cond.extrapolated.value == pytest.approx(truth300 / 300.0, rel=1e-9)
    assert not arrhenius([500.0], [1e-5], [1e-6])
    assert "positive" in arrhenius([500.0, 600.0], [-1e-6, 1e-5], [1e-6, 1e-6]).reason


def test_ase_file_roundtrip_unwraps(tmp_path):
    ase = pytest.importorskip("ase")
    from ase.io import write

    from ssblab.atomistic.trajectory import read_trajectory

    rng = np.random.default_rng(9)
    pos = walk(rng, 600, 8, d=0.5) + 7.5
    cell = np.eye(3) * 15.0
    frames = []
    for p in pos:
        atoms = ase.Atoms("Li8", positions=p, cell=cell, pbc=True)
        atoms.wrap()
        frames.append(atoms)
    path = tmp_path / "walk.extxyz"
    write(path, frames)
    traj = read_trajectory(path, timestep_ps=0.05)
    np.testing.assert_allclose(traj.positions_A - traj.positions_A[0], pos - pos[0], atol=1e-6)
    with pytest.raises(InputError, match="not found"):
        read_trajectory(tmp_path / "missing.xyz", timestep_ps=1.0)


def test_msd_fft_shorter_lag_range_is_exact():
    x = walk(np.random.default_rng(12), 257, 3)
    np.testing.assert_allclose(msd_fft(x, max_lag=40), brute_msd(x)[:41], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("chunk_bytes", [None, 1])
def test_block_msds_equal_direct_all_origin_average(monkeypatch, chunk_bytes):
    # Mobile atoms interleaved with a drifting, vibrating framework: the optimised path (one
    # FFT per atom chunk for tracer and collective MSD, drift subtracted in place) against the
    # O(n^2) average over every origin of explicitly drift-corrected positions.
    import ssblab.atomistic.transport as tr

    if chunk_bytes is not None:
        monkeypatch.setattr(tr, "_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(21)
    n_frames, n_blocks = 800, 4
    mobile = walk(rng, n_frames, 6)
    framework = (rng.uniform(0, 15, (1, 4, 3)) + rng.normal(0, 0.1, (n_frames, 4, 3))
                 + np.linspace(0, 3.0, n_frames)[:, None, None])
    pos = np.empty((n_frames, 10, 3))
    pos[:, 0::2], pos[:, 1:8:2], pos[:, 9] = mobile[:, :5], framework[:, :4], mobile[:, 5]
    is_li = np.zeros(10, bool)
    is_li[0::2] = is_li[9] = True
    masses = np.where(is_li, 6.94, 35.45)
    masses[3] = 20.0  # unequal framework weights
    traj = Trajectory(pos, cell_A=np.eye(3) * 15.0, symbols=tuple(np.where(is_li, "Li", "Cl")),
                      timestep_ps=0.05, masses_amu=masses)
    res = tr.diffusion(traj, temperature_K=300.0, n_blocks=n_blocks)

    w = masses[~is_li] / masses[~is_li].sum()
    com = np.einsum("tad,a->td", pos[:, ~is_li], w)
    corrected = pos[:, is_li] - (com - com[0])[:, None, :]
    block = n_frames // n_blocks
    lags = np.rint(res.lag_ps / 0.05).astype(int)
    tracer = np.mean([brute_msd(corrected[b * block:(b + 1) * block])[lags]
                      for b in range(n_blocks)], axis=0)
    collective = np.mean([brute_msd(corrected[b * block:(b + 1) * block].sum(axis=1))[lags]
                          for b in range(n_blocks)], axis=0) / is_li.sum()
    np.testing.assert_allclose(res.msd_A2, tracer, rtol=1e-10, atol=0)
    np.testing.assert_allclose(res.collective_msd_A2, collective, rtol=1e-10, atol=0)
    np.testing.assert_allclose(tr.msd_fft(corrected), brute_msd(corrected), rtol=1e-10, atol=0)


def test_msd_fft_rejects_empty_or_misshaped_positions():
    with pytest.raises(InputError, match="n_frames, n_atoms, 3"):
        msd_fft(np.zeros((10, 0, 3)))
    with pytest.raises(InputError, match="n_frames, n_atoms, 3"):
        msd_fft(np.zeros((10, 3)))


def test_linearity_flags_caged_motion_not_diffusion():
    """Atoms rattling in cages (an Ornstein-Uhlenbeck process, MSD saturating at 6 s^2) must be
    flagged; a random walk must not."""
    rng = np.random.default_rng(5)
    n_frames, n_atoms, dt = 2000, 16, 0.01
    walk = np.cumsum(rng.normal(0, 0.05, (n_frames, n_atoms, 3)), axis=0)
    caged = np.zeros_like(walk)
    keep = np.exp(-dt / 0.05)  # relaxation time 0.05 ps, far below the fit window
    for k in range(1, n_frames):
        caged[k] = keep * caged[k - 1] + rng.normal(0, 0.3 * np.sqrt(1 - keep ** 2),
                                                   (n_atoms, 3))
    for positions, linear in ((walk, True), (caged, False)):
        traj = Trajectory(positions, cell_A=np.eye(3) * 30, symbols=("Li",) * n_atoms,
                          timestep_ps=dt)
        res = diffusion(traj, mobile="Li", temperature_K=600)
        assert ("MSD not linear" not in res.reason) is linear, res.reason
        assert (abs(res.msd_slope_ratio - 1) < 0.3) is linear
