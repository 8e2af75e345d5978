"""Seeded random cases from ``advgen`` for the cell-test calls, with their planted truths, and a
sweep that scores the calls on them (``python tests/echem/advsweep.py [N]`` prints the table
recorded in docs/validation.md; the tests run a few of each kind).

A CCD case draws every protocol variant a lab runs: linear or geometric levels, fixed time or
fixed capacity per half cycle, one or several cycles per level, rests or none, plating positive
or negative, an area other than 1 cm2; a failure that is an abrupt short, a soft one (the
parallel path closes over 30-300 s), a partial one (to 10-40 % of the polarisation), an
intermittent one (reopens), a polarisation failure at the cycler's voltage limit, or none; noise
0.3-20 mV, logs every 0.1-60 s (interval, wall clock or dV-triggered), decimation, glitches.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import advgen as ag  # noqa: E402

KINDS = ("abrupt", "soft", "partial", "intermittent", "limit", "never")


def _loguniform(gen, lo, hi):
    return float(math.exp(gen.uniform(math.log(lo), math.log(hi))))


def ccd_case(seed: int, kind: str | None = None, **force):
    """One random CCD test: ``(data, truth, info)``. ``truth``: ``kind``, ``ccd_mA_cm2`` (the
    planted failing level, None for a cell that never fails), ``onset_s``, ``resolvable``
    (the change at the failure is at least 10 noise widths over at least 5 records: a call
    must get it right; otherwise it may also refuse or say low confidence)."""
    gen = np.random.default_rng(seed)
    kind = kind or KINDS[seed % len(KINDS)]
    o = {
        "geometric": gen.random() < 0.3,
        "start": float(gen.choice([0.05, 0.1, 0.2, 0.25, 0.5])),
        "step": float(gen.choice([0.05, 0.1, 0.2, 0.25, 0.5])),
        "ratio": float(gen.choice([1.25, 1.5, 2.0])),
        "fixed_capacity": gen.random() < 0.3,
        "half_h": float(gen.choice([0.5, 1.0, 2.0])),
        "capacity": float(gen.choice([0.1, 0.25, 0.5])),
        "cycles_per_level": int(gen.choice([1, 1, 2, 3, 5])),
        "rest_s": float(gen.choice([0, 0, 60, 600, 1800])),
        "first_sign": int(gen.choice([1, -1])),
        "area_cm2": float(gen.choice([1.0, 0.785, 2.0, 0.196])),
        "noise_mV": _loguniform(gen, 0.3, 20.0),
        "log_s": _loguniform(gen, 0.1, 60.0),
        "mode": str(gen.choice(["interval", "interval", "clock", "dv"])),
        "every": int(gen.choice([1, 1, 1, 2, 5, 10])),
        "n_glitches": int(gen.choice([0, 0, 1, 3])),
        "r_bulk": _loguniform(gen, 3.0, 40.0),
        "j0": _loguniform(gen, 0.3, 5.0),
        "r_int0": gen.uniform(0, 10),
        "r_d": gen.uniform(0, 10),
        "tau_d": _loguniform(gen, 60, 1200),
        "fail_level": int(gen.integers(1, 8)),
        "fraction": gen.uniform(0.1, 0.8),
        "soft_s": gen.uniform(30, 300),
        "left": gen.uniform(0.1, 0.4),
        "reopen_s": _loguniform(gen, 60, 1200),
        "limit_V": float(gen.choice([0.5, 1.0, 2.0, 5.0])),
    }
    o.update(force)
    n_levels = o["fail_level"] + 4
    halves = ag.ccd_halves(start=o["start"], step=o["step"],
                           geometric=o["ratio"] if o["geometric"] else None, n_levels=n_levels,
                           half_s=3600 * o["half_h"],
                           capacity_mAh_cm2=o["capacity"] if o["fixed_capacity"] else None,
                           cycles_per_level=o["cycles_per_level"])
    cell = ag.Cell(r_bulk=o["r_bulk"], j0=o["j0"], r_int0=o["r_int0"], r_d=o["r_d"],
                   tau_d=o["tau_d"])
    # the failing half cycle: a random one of the failing level, at a random fraction of it
    first = next(n for n, h in enumerate(halves) if h[2] == o["fail_level"])
    which = first + int(gen.integers(0, 2 * o["cycles_per_level"]))
    j_fail, d_fail = halves[which][0], halves[which][1]
    # a dV log on a plateau records only every dt_max_s (60 log_s)
    records_per_s = 1 / (o["log_s"] * o["every"] * (60 if o["mode"] == "dv" else 1))
    short = limit = None
    healthy_mV = 1e3 * float(cell.healthy_V(j_fail, d_fail * o["fraction"], 0.0, 0.0))
    after_mV = 0.0
    if kind in ("abrupt", "soft", "partial", "intermittent"):
        r_eff = healthy_mV / j_fail  # ohm cm2
        r_final = {"partial": r_eff * o["left"] / (1 - o["left"])}.get(kind, 0.02 * r_eff)
        soft = min(o["soft_s"], 0.4 * d_fail) if kind == "soft" else 0.0
        fraction = min(o["fraction"], 1 - soft / d_fail - 0.05)
        reopen = (min(o["reopen_s"], (1 - fraction) * d_fail * 0.9) if kind == "intermittent" else None)
        # onset: the planted fraction of the failing half cycle (rests counted in between)
        steps0 = ag.run_symmetric(cell, halves[:which], rest_s=o["rest_s"],
                                  first_sign=o["first_sign"]) if which else []
        rest_before = o["rest_s"] if which else 0.0
        t_start = (steps0[-1].end_s + rest_before) if steps0 else 0.0
        short = ag.Short(onset_s=t_start + fraction * d_fail, r_final=r_final, soft_s=soft,
                         reopen_s=reopen)
        after_mV = healthy_mV * r_final / (r_eff + r_final)
    if kind == "limit":
        # voids open when stripping faster than the failing level's current allows
        cell.j_void = 0.999 * j_fail
        cell.q_void = max(0.3 * j_fail * d_fail / 3600, 1e-3)
        limit = max(o["limit_V"], 3 * healthy_mV / 1e3)
    steps = ag.run_symmetric(cell, halves, area_cm2=o["area_cm2"], short=short, limit_V=limit,
                             rest_s=o["rest_s"], first_sign=o["first_sign"],
                             stop_after_short_s=o.get("stop_after_short_s"))
    total_s = steps[-1].end_s
    glitch_times = gen.uniform(0, total_s, o["n_glitches"])
    glitch_kinds = gen.choice(["zero", "spike+", "spike-"], o["n_glitches"])
    data = ag.log(steps, mode=o["mode"], log_s=o["log_s"], dv_V=max(3 * o["noise_mV"], 1.0) * 1e-3,
                  dt_max_s=60 * o["log_s"], every=o["every"], noise_mV=o["noise_mV"],
                  glitches=list(zip(glitch_times, glitch_kinds)), current_sign=o["first_sign"],
                  rng=seed)
    truth = {"kind": kind, "ccd_mA_cm2": None, "onset_s": math.nan, "resolvable": True,
             "healthy_mV": healthy_mV, "after_mV": after_mV}
    if short is not None:
        lv = ag.onset_level(steps, short.onset_s)
        truth.update(ccd_mA_cm2=float(next(h[0] for h in halves if h[2] == lv)), onset_s=short.onset_s)
        lasting_s = (short.reopen_s if short.reopen_s is not None else d_fail * (1 - fraction))
        truth["resolvable"] = bool(healthy_mV - after_mV > 10 * o["noise_mV"]
                                   and lasting_s * records_per_s >= 5)
    # too few records in the failing half cycle to see anything: a refusal or a low-confidence
    # call is then right too
    truth["resolvable"] &= bool(d_fail * records_per_s >= 5)
    if kind == "limit":
        cut = [s for s in steps if s.cut]
        truth.update(ccd_mA_cm2=float(next(h[0] for h in halves if h[2] == cut[0].level)),
                     onset_s=cut[0].end_s, limit_V=limit)
    if kind == "never":  # the noise may hide every level: refusing is then right
        truth["resolvable"] = bool(healthy_mV > 10 * o["noise_mV"])
    # glitches inside the failure's window would move the truth: none planted there
    return data, truth, o


def score_ccd(result, truth, *, with_limit: bool) -> str:
    """``"right"``, ``"flagged"`` (refused or low confidence) or ``"wrong"``."""
    kind = truth["kind"]
    if kind == "never":
        if not result.failed:
            return "right" if result.ok or not truth["resolvable"] else "flagged"
        return "flagged" if result.confidence == "low" else "wrong"
    if kind == "limit":
        if not result.failed:
            # without the limit given, a cut-off must at least not be called a short
            return "wrong" if with_limit else "missed"
        short_like = result.signature in ("voltage-drop", "ohmic-collapse")
        if short_like:
            return "flagged" if result.confidence == "low" and not truth["resolvable"] else "wrong"
        same = math.isclose(result.ccd_mA_cm2, truth["ccd_mA_cm2"], rel_tol=1e-2)
        return "right" if same else ("flagged" if result.confidence == "low" else "wrong")
    if result.failed and math.isclose(result.ccd_mA_cm2, truth["ccd_mA_cm2"], rel_tol=1e-2):
        return "right"
    if not result.ok or (result.failed and result.confidence == "low"):
        return "flagged"
    if not truth["resolvable"]:
        return "flagged" if not result.failed or result.ccd_mA_cm2 > truth["ccd_mA_cm2"] else "wrong"
    return "wrong"


def sweep_ccd(n: int, *, start: int = 0, verbose: bool = False):
    from ssblab.echem.celltests.ccd import analyse_ccd

    rows = []
    for seed in range(start, start + n):
        data, truth, o = ccd_case(seed)
        with_limit = truth["kind"] == "limit" and (seed // 6) % 2 == 0  # half given the limit
        r = analyse_ccd(data, area_cm2=o["area_cm2"],
                        voltage_limit_V=truth.get("limit_V") if with_limit else None)
        s = score_ccd(r, truth, with_limit=with_limit)
        rows.append((seed, truth["kind"], s, truth["resolvable"]))
        if verbose and s != "right":
            print(seed, truth["kind"], s, "truth", truth["ccd_mA_cm2"], round(truth["onset_s"] / 3600, 3),
                  "got", r.failed, r.ok, round(r.ccd_mA_cm2, 4), r.signature, round(r.failure_h, 3),
                  r.confidence, "| noise", round(o["noise_mV"], 2), "log", round(o["log_s"], 1),
                  o["mode"], o["every"], "pol", round(truth["healthy_mV"], 1), round(truth["after_mV"], 1),
                  "|", r.evidence[:150], r.reason[:100])
    return rows


def table(rows):
    from collections import Counter

    out = {}
    for _, kind, s, _ in rows:
        out.setdefault(kind, Counter())[s] += 1
    return out




# ------------------------------------------------------------------ long symmetric cycling

SYM_KINDS = ("settling", "rising", "short", "transient")


def symmetric_case(seed: int, kind: str | None = None, **force):
    """Hundreds of cycles of a Li|SE|Li cell at one current density: ``(data, truth, info)``.
    ``settling``: a self-limiting interphase (settles 10 % of the change after
    ``Q = q_c ln 10``, i.e. ``t = 3600 q_c ln 10 / j``); ``rising``: parabolic growth (never
    settles); ``short``: parabolic growth and an abrupt short at a random cycle; ``transient``:
    a short that reopens after 0.1-3 half cycles."""
    gen = np.random.default_rng(10_000 + seed)
    kind = kind or SYM_KINDS[seed % len(SYM_KINDS)]
    o = {
        "j": float(gen.choice([0.1, 0.2, 0.5, 1.0])),
        "half_h": float(gen.choice([0.5, 1.0, 2.0])),
        "cycles": int(gen.integers(100, 400)),
        "noise_mV": _loguniform(gen, 0.3, 20.0),
        "log_s": _loguniform(gen, 10.0, 120.0),
        "mode": str(gen.choice(["interval", "clock", "dv"])),
        "every": int(gen.choice([1, 1, 2, 5])),
        "r_bulk": _loguniform(gen, 20.0, 150.0),
        "j0": _loguniform(gen, 0.1, 2.0),
        "r_int0": gen.uniform(20, 100),
        "first_sign": int(gen.choice([1, -1])),
        "at": gen.uniform(0.2, 0.9),
        "reopen_halves": _loguniform(gen, 0.1, 3.0),
        "n_glitches": int(gen.choice([0, 2, 5])),
    }
    o.update(force)
    half_s = 3600 * o["half_h"]
    hours = 2 * o["cycles"] * o["half_h"]
    if kind == "settling":  # settles (10 %) at a random quarter to two thirds of the test
        t_settle_h = gen.uniform(0.25, 0.6) * hours
        q_c = o["j"] * t_settle_h / math.log(10)
    else:  # parabolic: keeps rising
        q_c = gen.uniform(0.5, 5.0)
    cell = ag.Cell(r_bulk=o["r_bulk"], j0=o["j0"], r_int0=o["r_int0"], r_d=5.0, tau_d=300.0, q_c=q_c,
                   growth="limiting" if kind == "settling" else "parabolic")
    halves = [(o["j"], half_s, 0, n // 2 + 1) for n in range(2 * o["cycles"])]
    short = None
    truth = {"kind": kind, "short_h": math.nan, "reopen_h": math.nan, "settle_h": math.nan}
    if kind in ("short", "transient"):
        n_half = int(o["at"] * len(halves))
        onset = (n_half + gen.uniform(0.05, 0.6)) * half_s
        reopen = o["reopen_halves"] * half_s if kind == "transient" else None
        short = ag.Short(onset_s=onset, r_final=0.02 * o["r_bulk"], reopen_s=reopen)
        truth.update(short_h=onset / 3600,
                     reopen_h=(onset + reopen) / 3600 if reopen else math.nan)
    record_s = o["log_s"] * o["every"] * (10 if o["mode"] == "dv" else 1)
    if kind == "settling":
        # the noise-free curve is within 10 % of the change from t_settle_h and within 30 %
        # from t_settle_h ln(1/0.3) / ln 10: a band the noise widens settles in between
        change = o["j"] * o["r_int0"] * (1 - math.exp(-o["j"] * hours / q_c))
        mean_noise = o["noise_mV"] / math.sqrt(max(half_s / record_s, 1.0))
        # the running median of 11 half-cycle means is held to its own end value: the band's
        # edge is uncertain by ~2 sigma_c of that comparison, so the last excursion out of the
        # band can come when the noise-free curve is as close as 10 % - 2 sigma_c (3 % at least)
        sigma_c = math.sqrt(2) * 1.25 * mean_noise / math.sqrt(11)
        tau_h = t_settle_h / math.log(10)
        truth.update(settle_h=t_settle_h, settle_30_h=tau_h * math.log(1 / 0.3),
                     settle_late_h=tau_h * math.log(1 / max(0.1 - 2 * sigma_c / change, 0.03)),
                     settle_resolvable=bool(3 * sigma_c < 0.1 * change))
    steps = ag.run_symmetric(cell, halves, short=short, first_sign=o["first_sign"])
    total_s = steps[-1].end_s
    glitches = list(zip(gen.uniform(0, total_s, o["n_glitches"]),
                        gen.choice(["zero", "spike+", "spike-"], o["n_glitches"])))
    if short is not None:  # none in the planted short's window
        glitches = [g for g in glitches if not short.onset_s - half_s < g[0] < short.onset_s + 4 * half_s]
    data = ag.log(steps, mode=o["mode"], log_s=o["log_s"], dv_V=max(3 * o["noise_mV"], 1.0) * 1e-3,
                  dt_max_s=10 * o["log_s"], every=o["every"], noise_mV=o["noise_mV"],
                  glitches=glitches, current_sign=o["first_sign"], rng=seed)
    pol = 1e3 * float(cell.healthy_V(o["j"], half_s, 0.0, 0.0))
    truth.update(record_s=record_s, pol_mV=pol,
                 resolvable=bool(pol > 10 * o["noise_mV"] and half_s >= 3 * record_s  # noise measurable
                                 and (kind != "transient" or o["reopen_halves"] * half_s >= 5 * record_s)))
    return data, truth, o


def score_symmetric(r, truth) -> str:
    kind, tol_h = truth["kind"], 2 * truth["record_s"] / 3600
    if kind in ("settling", "rising"):
        if r.shorted or r.transient_shorts:
            return "wrong"
        if kind == "rising":
            return "right" if not math.isfinite(r.settle_h) else "wrong"
        # settled near the planted time: within two half cycles of it plus 10 % (the band)
        half_h = r.end_h[1] - r.end_h[0] if r.end_h.size > 1 else 1.0
        ok = (math.isfinite(r.settle_h) and truth["settle_30_h"] - 2 * half_h <= r.settle_h
              <= max(1.1 * truth["settle_h"], truth["settle_late_h"]) + 2 * half_h)
        if ok:
            return "right"
        return "flagged" if not math.isfinite(r.settle_h) and not truth["settle_resolvable"] else "wrong"
    events = [(e["start_h"], e["end_h"]) for e in r.transient_shorts]
    if kind == "short":
        if r.shorted and abs(r.short_h - truth["short_h"]) <= tol_h:
            return "right"
        return "flagged" if not truth["resolvable"] or r.confidence == "low" else "wrong"
    hit = any(abs(a - truth["short_h"]) <= tol_h and abs(b - truth["reopen_h"]) <= tol_h + 0.01
              for a, b in events)
    if hit:
        return "right"
    return "flagged" if not truth["resolvable"] else "wrong"


def _sweep(n, start, case, call, score, describe, verbose):
    """Rows (seed, kind, score, resolvable) of ``n`` seeded cases; with ``verbose`` the cases
    not scored right are printed by ``describe(r, truth, o)``."""
    rows = []
    for seed in range(start, start + n):
        data, truth, o = case(seed)
        r = call(data)
        s = score(r, truth)
        rows.append((seed, truth["kind"], s, truth["resolvable"]))
        if verbose and s != "right":
            print(seed, truth["kind"], s, *describe(r, truth, o))
    return rows


def sweep_symmetric(n: int, *, start: int = 0, verbose: bool = False):
    from ssblab.echem.celltests.symmetric import analyse_symmetric

    def describe(r, truth, o):
        return ("truth", round(truth["short_h"], 3), round(truth["reopen_h"], 3),
                round(truth["settle_h"], 1), "got", r.shorted, round(r.short_h, 3), r.reopened,
                [(round(e["start_h"], 3), round(e["end_h"], 3)) for e in r.transient_shorts][:3],
                round(r.settle_h, 1), "| noise", round(o["noise_mV"], 2), "rec",
                round(truth["record_s"]), o["mode"], "pol", round(truth["pol_mV"], 1), "half",
                o["half_h"])

    return _sweep(n, start, symmetric_case, analyse_symmetric, score_symmetric, describe, verbose)


# ------------------------------------------------------------------ full-cell capacities

def capacity_case(seed: int, **force):
    """Full-cell cycling with every logging adversity: ``(data, truths, info)`` with truths
    the per-cycle (charge, discharge) mAh integrated analytically (``advgen.run_full``)."""
    gen = np.random.default_rng(20_000 + seed)
    o = {
        "cycles": int(gen.integers(4, 12)),
        "i_mA": float(gen.choice([0.5, 1.0, 2.0])),
        "cv_tau_s": float(gen.choice([0.0, 0.0, 600.0, 1800.0])),
        "rest_s": float(gen.choice([0.0, 300.0, 1800.0])),
        "discharge_first": bool(gen.random() < 0.3),
        "partial_last": float(gen.choice([0.0, 0.0, 0.3, 0.7])),
        "current_change": ((int(gen.integers(2, 4)), float(gen.choice([0.5, 2.0])))
                           if gen.random() < 0.3 else None),
        "mode": str(gen.choice(["interval", "clock", "dv"])),
        "step_end": bool(gen.random() < 0.5),
        "log_s": _loguniform(gen, 1.0, 120.0),
        "every": int(gen.choice([1, 1, 2, 5])),
        "noise_mV": _loguniform(gen, 0.3, 20.0),
    }
    o.update(force)
    steps, truths = ag.run_full(o["cycles"], i_mA=o["i_mA"], cv_tau_s=o["cv_tau_s"], rest_s=o["rest_s"],
                                discharge_first=o["discharge_first"], partial_last=o["partial_last"],
                                current_change=o["current_change"])
    data = ag.log(steps, mode=o["mode"], log_s=o["log_s"], step_end=o["step_end"],
                  dv_V=max(3 * o["noise_mV"], 1.0) * 1e-3, dt_max_s=10 * o["log_s"],
                  every=o["every"], noise_mV=o["noise_mV"], rng=seed)
    return data, np.array(truths), o


def score_capacity(summary, truths, o) -> tuple[str, float]:
    """``right`` when every cycle's charge and discharge is within the charge of two records at
    the largest current (one at each end of a half cycle the log may miss), plus 0.1 %."""
    record_s = o["log_s"] * o["every"] * (10 if o["mode"] == "dv" else 1)
    i_max = o["i_mA"] * max(1.0, o["current_change"][1] if o["current_change"] else 1.0)
    tol = 2 * i_max * record_s / 3600
    if summary.cycle.size != len(truths):
        return "wrong", math.inf
    got = np.c_[summary.charge_mAh, summary.discharge_mAh]
    err = np.abs(got - truths) - 1e-3 * truths
    worst = float(np.max(err / tol))
    return ("right" if worst <= 1 else "wrong"), worst


def sweep_capacity(n: int, *, start: int = 0, verbose: bool = False):
    from ssblab.echem.celltests.cycling import summarise

    rows = []
    for seed in range(start, start + n):
        data, truths, o = capacity_case(seed)
        r = summarise(data)
        s, worst = score_capacity(r, truths, o)
        rows.append((seed, "capacity", s, True))
        if verbose and s != "right":
            print(seed, s, round(worst, 2), {k: o[k] for k in o if k != "noise_mV"}, "| cycles",
                  r.cycle.size, len(truths), np.round(np.c_[r.charge_mAh, r.discharge_mAh][:4], 4).tolist(),
                  np.round(truths[:4], 4).tolist(), r.first_half)
    return rows


# ------------------------------------------------------------------ full-cell shorts

SHORT_KINDS = ("healthy", "abrupt", "soft", "partial", "reopening")


def short_case(seed: int, kind: str | None = None, **force):
    """Full-cell cycling with or without an internal short (``advgen.run_full_shorted``):
    ``(data, truth, info)``. Healthy cells fade 0-0.5 %/cycle, CC or CC-CV, rests or none;
    a short from a random point of cycle N's charge: ``abrupt`` (a hard path, the leak above
    the charging current), ``soft`` (closing over 1-4 cycles), ``partial`` (a leak of 15-60 %
    of the current) or ``reopening`` (hard, open again after 1-4 cycles). Logs every 1-60 s
    from each step or on a wall clock, with or without step-end records, decimated 1, 5 or 10x,
    0.3-20 mV noise and 0-4 single glitch records. Truth: ``onset_cycle`` (N) and ``seen_cycle``
    (the first cycle whose charge the cycler passed shows the leak: CE below 0.9, or a charge
    at the safety time limit); ``resolvable`` when three cycles from N have CE below 0.85 or
    one charge hit the limit (what ``detect_short``'s thresholds claim to see)."""
    gen = np.random.default_rng(30_000 + seed)
    kind = kind or SHORT_KINDS[seed % len(SHORT_KINDS)]
    o = {
        "cycles": int(gen.integers(12, 26)),
        "i_mA": float(gen.choice([0.5, 1.0, 2.0])),
        "fade": gen.uniform(0.0, 0.005),
        "cv_tau_s": float(gen.choice([0.0, 0.0, 600.0, 1800.0])),
        "rest_s": float(gen.choice([0.0, 300.0, 1800.0])),
        "mode": str(gen.choice(["interval", "interval", "clock"])),
        "step_end": bool(gen.random() < 0.5),
        "log_s": _loguniform(gen, 1.0, 60.0),
        "every": int(gen.choice([1, 1, 5, 10])),
        "noise_mV": _loguniform(gen, 0.3, 20.0),
        "n_glitches": int(gen.choice([0, 1, 1, 4])),
        "short_at": gen.uniform(0.05, 0.95),
        "leak": gen.uniform(0.15, 0.6),          # partial: leak / charging current
        "soft_cycles": gen.uniform(1.0, 4.0),
        "reopen_cycles": gen.uniform(1.0, 4.0),
    }
    o.update(force)
    n = o["cycles"]
    o.setdefault("short_cycle", int(gen.integers(4, n - 3)))
    hard = 1e3 * 3.5 / (3 * o["i_mA"])  # ohm: a leak three times the charging current
    short = {"healthy": {},
             "abrupt": {"r_short_ohm": hard},
             "soft": {"r_short_ohm": hard, "soft_cycles": o["soft_cycles"]},
             "partial": {"r_short_ohm": 1e3 * 3.5 / (o["leak"] * o["i_mA"])},
             "reopening": {"r_short_ohm": hard, "reopen_cycles": o["reopen_cycles"]}}[kind]
    if short:
        short.update(short_cycle=o["short_cycle"], short_at=o["short_at"])
    steps, tr = ag.run_full_shorted(n, i_mA=o["i_mA"], fade=o["fade"], cv_tau_s=o["cv_tau_s"],
                                    rest_s=o["rest_s"], **short)
    total_s = steps[-1].end_s
    glitches = list(zip(gen.uniform(0, total_s, o["n_glitches"]),
                        gen.choice(["zero", "spike+", "spike-"], o["n_glitches"])))
    data = ag.log(steps, mode=o["mode"], log_s=o["log_s"], step_end=o["step_end"],
                  every=o["every"], noise_mV=o["noise_mV"], glitches=glitches, rng=seed)
    q = np.array(tr["capacities"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = q[:, 1] / q[:, 0]
    nominal = np.array([2.0 * (1 - o["fade"]) ** c for c in range(n)]) * 3600 / o["i_mA"]
    at_limit = q[:, 0] >= 0.999 * 1.5 * nominal * o["i_mA"] / 3600
    truth = {"kind": kind, "onset_cycle": None, "seen_cycle": None, "resolvable": True,
             "glitch_s": [g[0] for g in glitches]}
    if short:
        N = o["short_cycle"]
        after = np.arange(1, n + 1) >= N
        seen = after & ((ce < 0.9) | at_limit)
        truth.update(onset_cycle=N,
                     seen_cycle=int(np.flatnonzero(seen)[0]) + 1 if seen.any() else None,
                     resolvable=bool(at_limit[after].any() or (after & (ce < 0.85)).sum() >= 3))
    return data, truth, o


def score_short(r, truth) -> str:
    """``right``: a healthy cell not called shorted; a short found from its planted cycle to
    one cycle after the first cycle that shows it (``seen_cycle``). ``flagged``: a short found
    late with low confidence, or one below the detector's thresholds not found. ``missed``: a
    resolvable short not found. ``wrong``: a false alarm, an onset before the planted cycle, or
    a confident call more than one cycle late."""
    if truth["kind"] == "healthy":
        return "wrong" if r.detected else "right"
    if not r.detected:
        return "missed" if truth["resolvable"] else "flagged"
    n, seen = truth["onset_cycle"], truth["seen_cycle"] or truth["onset_cycle"]
    if r.onset_cycle < n:
        return "wrong"
    if r.onset_cycle <= seen + 1:
        return "right"
    return "flagged" if "low" in r.confidence else "wrong"


def sweep_short(n: int, *, start: int = 0, verbose: bool = False):
    from ssblab.echem.celltests.short import detect_short

    def describe(r, truth, o):
        return ("truth", truth["onset_cycle"], truth["seen_cycle"], truth["resolvable"], "got",
                r.detected, r.onset_cycle, r.rules, r.confidence, r.rule_onsets, "glitches",
                r.glitch_cycles, "| noise", round(o["noise_mV"], 2), "log", round(o["log_s"], 1),
                o["mode"], o["every"], o["step_end"], "cv", o["cv_tau_s"], "rest", o["rest_s"],
                "fade", round(o["fade"], 4))

    return _sweep(n, start, short_case, detect_short, score_short, describe, verbose)


if __name__ == "__main__":
    what = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 120
    start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    sweep = {"ccd": sweep_ccd, "symmetric": sweep_symmetric, "capacity": sweep_capacity,
             "short": sweep_short}[what]
    rows = sweep(n, start=start, verbose=True)
    for kind, counts in table(rows).items():
        print(kind, dict(counts))
