"""The cell-test calls on traces from ``advgen`` (a generator written from the equations,
independent of ``echem.celltests.synthetic`` and of ``tracegen``): CCD staircases across the
protocol variants labs run, long symmetric cycling, full-cell capacities and GITT. Truths are
the ones planted (the failing level, the short onset, the charge integrated analytically, the
diffusion coefficient, the cycle a full cell's short began); the seeded sweeps behind
docs/validation.md are ``advsweep``'s."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))  # tests run with --import-mode=importlib
import advgen as ag
import advsweep as sw

from ssblab.cli import main
from ssblab.echem.celltests.ccd import analyse_ccd
from ssblab.echem.celltests.cycling import summarise
from ssblab.echem.celltests.gitt import analyse_gitt
from ssblab.echem.celltests.short import detect_short
from ssblab.echem.celltests.symmetric import analyse_symmetric

# ---------------------------------------------------------------- CCD: one variant at a time

# every case: a 10 s log, 1 mV noise, 20 ohm cm2, unless it says otherwise; failing level 4
BASE = {"log_s": 10.0, "mode": "interval", "every": 1, "noise_mV": 1.0, "n_glitches": 0,
        "r_bulk": 20.0, "j0": 1.0, "r_int0": 3.0, "r_d": 3.0, "tau_d": 300.0, "fail_level": 4,
        "fraction": 0.5, "geometric": False, "start": 0.1, "step": 0.1, "fixed_capacity": False,
        "half_h": 0.5, "cycles_per_level": 1, "rest_s": 0.0, "first_sign": 1, "area_cm2": 1.0}
CCD_VARIANTS = {
    "linear 0.05 steps": ("abrupt", {"start": 0.05, "step": 0.05}),
    "linear 0.5 steps": ("abrupt", {"start": 0.5, "step": 0.5}),
    "geometric x1.5": ("abrupt", {"geometric": True, "ratio": 1.5, "start": 0.1}),
    "geometric x2, 2 h halves": ("abrupt", {"geometric": True, "ratio": 2.0, "half_h": 2.0,
                                            "log_s": 30.0}),
    "fixed 0.25 mAh/cm2 per half": ("abrupt", {"fixed_capacity": True, "capacity": 0.25}),
    "three cycles per level": ("abrupt", {"cycles_per_level": 3}),
    "rests of 10 min": ("abrupt", {"rest_s": 600.0}),
    "plating negative, 0.785 cm2": ("abrupt", {"first_sign": -1, "area_cm2": 0.785}),
    "soft short over 200 s": ("soft", {"soft_s": 200.0}),
    "partial short to 30 %": ("partial", {"left": 0.3}),
    "intermittent, reopens after 600 s": ("intermittent", {"reopen_s": 600.0}),
    "20 mV noise": ("abrupt", {"noise_mV": 20.0, "r_bulk": 100.0, "start": 0.5, "step": 0.5}),
    "0.3 mV noise, 0.5 s log": ("abrupt", {"noise_mV": 0.3, "log_s": 0.5}),
    "60 s log": ("abrupt", {"log_s": 60.0, "half_h": 1.0}),
    "wall clock 7 s": ("abrupt", {"mode": "clock", "log_s": 7.0}),
    "dV-triggered log": ("abrupt", {"mode": "dv", "log_s": 1.0}),
    "decimated 10x": ("abrupt", {"log_s": 2.0, "every": 10}),
    "glitches": ("abrupt", {"n_glitches": 4}),
    "test stopped 5 min after the short": ("abrupt", {"stop_after_short_s": 300.0}),
    "never shorts": ("never", {}),
    "never shorts, 20 mV noise, glitches": ("never", {"noise_mV": 20.0, "r_bulk": 100.0, "start": 0.5,
                                                      "step": 0.5,
                                                      "n_glitches": 4}),
}


@pytest.mark.parametrize("case", CCD_VARIANTS)
def test_ccd_variant(case):
    kind, options = CCD_VARIANTS[case]
    data, truth, o = sw.ccd_case(11, kind, **{**BASE, **options})
    r = analyse_ccd(data, area_cm2=o["area_cm2"])
    assert truth["resolvable"]
    if kind == "never":
        assert not r.failed and r.ok, r.evidence
        return
    assert r.failed and r.ccd_mA_cm2 == pytest.approx(truth["ccd_mA_cm2"], rel=1e-2), r.evidence
    assert r.signature in ("voltage-drop", "ohmic-collapse")
    # found within a few records of the planted onset (a soft short: once it has fallen)
    record_s = o["log_s"] * o["every"] * (60 if o["mode"] == "dv" else 1)
    late_s = 3 * record_s + (options.get("soft_s", 0.0) if kind == "soft" else 0.0)
    assert truth["onset_s"] - record_s <= r.failure_h * 3600 <= truth["onset_s"] + late_s


@pytest.mark.parametrize("limit_given", (True, False))
def test_ccd_voltage_limit_is_a_polarisation_failure_not_a_short(limit_given):
    """Voids at the stripping electrode drive |V| to the cycler's limit, which ends the step;
    the test goes on. The CCD is the level where that happens, called "voltage-limit", with or
    without the limit given (the step ended before its time and its charge)."""
    data, truth, o = sw.ccd_case(5, "limit", **{**BASE, "limit_V": 1.0})
    r = analyse_ccd(data, area_cm2=1.0, voltage_limit_V=1.0 if limit_given else None)
    assert r.failed and r.signature == "voltage-limit", r.evidence
    assert r.ccd_mA_cm2 == pytest.approx(truth["ccd_mA_cm2"], rel=1e-2)
    assert "short" not in r.signature and r.confidence in ("high", "medium")


def test_ccd_current_in_A_from_a_csv_through_the_cli(tmp_path):
    """Current logged in A, plating negative, 0.5 cm2: the CLI with --area gives the planted
    level in mA/cm2."""
    data, truth, o = sw.ccd_case(3, "abrupt", **{**BASE, "first_sign": -1, "area_cm2": 0.5})
    path = tmp_path / "ccd.csv"
    with open(path, "w") as fh:
        fh.write("Time(s),Voltage(V),Current(A),Step,Cycle\n")
        for row in zip(data.time_s, data.voltage_V, data.current_mA / 1e3, data.step, data.cycle):
            fh.write(f"{row[0]:.3f},{row[1]:.6f},{row[2]:.9g},{row[3]},{row[4]}\n")
    out = CliRunner().invoke(main, ["ccd", "analyse", str(path), "--area", "0.5 cm^2"])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if x.lstrip().startswith("critical current"))
    assert float(line.split()[-1]) == pytest.approx(truth["ccd_mA_cm2"], rel=1e-2)


@pytest.mark.slow
def test_ccd_random_staircases():
    """12 seeded random staircases (every variant above drawn at random): no wrong call on a
    resolvable case, no failure on a healthy cell; the full sweep is in docs/validation.md."""
    rows = sw.sweep_ccd(12, start=1000)
    wrong = [r for r in rows if r[2] == "wrong"]
    assert not wrong, wrong


# ---------------------------------------------------------------- long symmetric cycling


@pytest.mark.parametrize("kind", sw.SYM_KINDS)
def test_symmetric_long_cycling(kind):
    data, truth, o = sw.symmetric_case(4, kind, cycles=150, noise_mV=2.0, log_s=60.0,
                                       mode="interval", every=1, j=0.5, half_h=1.0, at=0.5,
                                       reopen_halves=1.5, n_glitches=3)
    r = analyse_symmetric(data)
    assert sw.score_symmetric(r, truth) == "right", (r.shorted, r.short_h, r.transient_shorts,
                                                     r.settle_h, truth)
    if kind == "rising":
        assert "not settled" in str(r)


@pytest.mark.slow
def test_symmetric_random_cells():
    rows = sw.sweep_symmetric(8, start=1000)
    assert not [r for r in rows if r[2] == "wrong"], rows


# ---------------------------------------------------------------- capacities


def test_capacity_random_full_cells():
    """40 seeded CC / CC-CV full cells (rests or none, discharge first, a partial last cycle, a
    rate change; step logs, wall clocks and dV logs, decimated): every cycle's charge and
    discharge within two records' charge of the analytic integral."""
    rows = sw.sweep_capacity(40)
    assert all(r[2] == "right" for r in rows), rows


def test_capacity_cv_hold_and_discharge_first_exact_on_a_step_log():
    steps, truths = ag.run_full(5, cv_tau_s=900.0, discharge_first=True, partial_last=0.5)
    s = summarise(ag.log(steps, log_s=1.0))
    got = np.c_[s.charge_mAh, s.discharge_mAh]
    # a 1 s step log: the trapezoid of the CV's exponential is exact to (1 s / tau)^2 / 12
    np.testing.assert_allclose(got, truths, rtol=2e-4)
    assert s.first_half == "discharge"


# ---------------------------------------------------------------- GITT


GITT_CASES = {
    "10 s wall clock (pulse start and end off the grid)": ({}, {"mode": "clock", "log_s": 10.0}),
    "30 s wall clock": ({}, {"mode": "clock", "log_s": 30.0}),
    "double layer 3 s on a 5 s clock": ({"dl_tau_s": 3.0}, {"mode": "clock", "log_s": 5.0}),
    "double layer 1 s on a 1 s log": ({"dl_tau_s": 1.0}, {"log_s": 1.0}),
    "dV-triggered log": ({}, {"mode": "dv", "log_s": 1.0, "dv_V": 5e-4, "dt_max_s": 60.0}),
}


@pytest.mark.parametrize("case", GITT_CASES)
def test_gitt_off_grid_and_ir_sampling(case):
    gitt, log = GITT_CASES[case]
    r = analyse_gitt(ag.log(ag.run_gitt(**gitt), rng=1, **log), diffusion_length_cm=1e-3)
    np.testing.assert_allclose(r.diffusion_cm2_s, 1e-10, rtol=0.01)
    np.testing.assert_allclose(r.ir_drop_V, 0.005, atol=1e-4)


def test_gitt_pre_jump_record():
    """The pulse's first record logged before the ohmic jump (the rest's voltage at the pulse's
    first time stamp) is left out of the sqrt(t) fit."""
    steps = ag.run_gitt()
    data = ag.log(steps, log_s=10.0)
    v = data.voltage_V.copy()
    first = np.flatnonzero(np.diff(np.r_[0.0, data.current_mA]) > 0)
    v[first] = v[first - 1]
    data = type(data)(time_s=data.time_s, voltage_V=v, current_mA=data.current_mA,
                      step=data.step, cycle=data.cycle)
    r = analyse_gitt(data, diffusion_length_cm=1e-3)
    np.testing.assert_allclose(r.diffusion_cm2_s, 1e-10, rtol=0.01)


def test_gitt_rest_cut_short():
    """A 1 h rest leaves 2 exp(-pi^2 D t / L^2) = 5.8 % of dEs to relax (D off by +9 % before):
    extrapolated, within 2.5 %; a 20 min rest leaves too much to extrapolate: no D, and why."""
    r = analyse_gitt(ag.log(ag.run_gitt(rest_s=3600.0), log_s=10.0), diffusion_length_cm=1e-3)
    np.testing.assert_allclose(r.diffusion_cm2_s, 1e-10, rtol=0.025)
    short = analyse_gitt(ag.log(ag.run_gitt(rest_s=1200.0), log_s=10.0), diffusion_length_cm=1e-3)
    assert np.isnan(short.diffusion_cm2_s).all() and not short.relaxed.any()
    assert not short.ok and "had not relaxed" in short.reason


def test_generator_gitt_is_exact_where_weppner_huggins_is():
    """The generator's own check: a 1 s step log of the slab with a 3 h rest gives D to 1e-3
    (tau D / L^2 = 0.06, the rest relaxes to 2 exp(-10.7))."""
    r = analyse_gitt(ag.log(ag.run_gitt(), log_s=1.0), diffusion_length_cm=1e-3)
    np.testing.assert_allclose(r.diffusion_cm2_s, 1e-10, rtol=1e-3)
    assert math.isclose(float(np.median(r.delta_es_V)), 0.01, rel_tol=1e-3)


# ---------------------------------------------------------------- full-cell shorts

# 14 cycles, short from cycle 7, 1 mA on 2 mAh, 10 s log, 1 mV noise, unless it says otherwise
SHORT_BASE = {"cycles": 14, "short_cycle": 7, "i_mA": 1.0, "fade": 0.002, "cv_tau_s": 0.0,
              "rest_s": 300.0, "mode": "interval", "step_end": True, "log_s": 10.0, "every": 1,
              "noise_mV": 1.0, "n_glitches": 0, "short_at": 0.5, "leak": 0.3,
              "soft_cycles": 2.0, "reopen_cycles": 2.0}
SHORT_VARIANTS = {
    "healthy, 20 mV noise, decimated 10x, no step ends": (
        "healthy", {"noise_mV": 20.0, "every": 10, "step_end": False}),
    "healthy CC-CV, fade 0.5 %/cycle, 60 s wall clock, glitches": (
        "healthy", {"cv_tau_s": 1800.0, "fade": 0.005, "mode": "clock", "log_s": 60.0,
                    "n_glitches": 4}),
    "abrupt, CC-CV": ("abrupt", {"cv_tau_s": 600.0}),
    "soft over 2 cycles, decimated 5x": ("soft", {"every": 5}),
    "partial, 30 % leak, 20 mV noise": ("partial", {"noise_mV": 20.0}),
    "reopening after 2 cycles, no rests": ("reopening", {"rest_s": 0.0}),
}


@pytest.mark.parametrize("case", SHORT_VARIANTS)
def test_full_cell_short(case):
    """A short solved with the cell (Kirchhoff, advgen.run_full_shorted): found from its cycle
    to one cycle after the first whose charge shows it; no alarm on healthy cells."""
    kind, options = SHORT_VARIANTS[case]
    data, truth, o = sw.short_case(7, kind, **{**SHORT_BASE, **options})
    r = detect_short(data)
    assert sw.score_short(r, truth) == "right", (r.detected, r.onset_cycle, r.evidence, truth)


def test_full_cell_short_glitches_reported_not_called():
    """One-record glitches while charging, high and low, on a healthy cell: no short, each
    listed as a glitch (a high one is no fall that the next record keeps)."""
    steps, _ = ag.run_full_shorted(8, rest_s=300.0)
    charges = [s for s in steps if not callable(s.current_mA) and s.current_mA > 0]
    when = [(charges[k].start_s + 0.5 * (charges[k].end_s - charges[k].start_s), kind)
            for k, kind in ((2, "spike+"), (4, "spike-"), (5, "zero"))]
    r = detect_short(ag.log(steps, log_s=10.0, noise_mV=1.0, glitches=when, rng=2))
    assert not r.detected, r.evidence
    assert set(r.glitch_cycles) == {3, 5, 6}


@pytest.mark.slow
def test_full_cell_short_random_cells():
    """20 seeded random full cells (every variant above drawn at random): no false alarm, no
    early or confidently late onset; the full sweep is in docs/validation.md."""
    rows = sw.sweep_short(20, start=2000)
    assert not [r for r in rows if r[2] in ("wrong", "missed")], rows

