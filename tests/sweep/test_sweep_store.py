"""Running sweeps in process: truths, cache hits, failures, retries and the run store."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import ssblab
import ssblab.runs
from ssblab.cli import main
from ssblab.sweep import run_sweep

KB_eV_K = 8.617333262e-5  # CODATA 2018


def arrhenius(store, temps=(300, 400, 500), **fields):
    return {"name": "arr", "study": "synthetic.arrhenius", "store": str(store),
            "executor": "inprocess", "grid": {"temperature_K": list(temps)}, **fields}


def test_results_match_the_analytic_law_and_land_in_the_store(tmp_path):
    result = ssblab.sweep(arrhenius(tmp_path), progress=False)
    assert result.ok and result.counts == {"done": 3, "failed": 0, "cached": 0, "computed": 3,
                                           "retried": 0}
    for row in result.rows:
        t = row["temperature_K"]
        assert row["sigma_S_cm"] == pytest.approx(1e5 / t * math.exp(-0.3 / (KB_eV_K * t)),
                                                  rel=1e-12)
    table = ssblab.runs.query(tmp_path, sweep="arr")
    assert table["sigma_S_cm"].tolist() == [r["sigma_S_cm"] for r in result.rows]
    record = json.loads((Path(table["run_dir"][0]) / "result.json").read_text())
    assert record["versions"]["ssblab"] == ssblab.__version__
    assert record["seed"] == result.rows[0]["seed"]
    assert len(record["input_hashes"]["params_sha256"]) == 64
    assert (tmp_path / "sweeps" / "arr" / "report.html").read_text().count("<svg") == 1


def test_unchanged_points_are_cache_hits_and_new_ones_run(tmp_path):
    run_sweep(arrhenius(tmp_path), progress=False)
    again = run_sweep(arrhenius(tmp_path), progress=False)
    assert (again.counts["cached"], again.counts["computed"]) == (3, 0)
    grown = run_sweep(arrhenius(tmp_path, temps=(300, 400, 500, 600)), progress=False)
    assert (grown.counts["cached"], grown.counts["computed"]) == (3, 1)
    changed = run_sweep(arrhenius(tmp_path, fixed={"activation_energy_eV": 0.31}), progress=False)
    assert changed.counts["computed"] == 3
    forced = run_sweep(arrhenius(tmp_path), progress=False, recompute=True)
    assert forced.counts["computed"] == 3
    with ssblab.runs.RunStore(tmp_path) as store:
        assert [i["computed"] for i in store.invocations("arr")] == [3, 0, 1, 3, 3]


def test_a_failing_point_is_recorded_and_the_others_finish(tmp_path):
    # rate_capability refuses a negative C-rate: a real failure inside the cell layer
    spec = {"name": "rates", "study": "cell.rate", "store": str(tmp_path),
            "executor": {"kind": "inprocess", "retries": 1},
            "grid": {"c_rate": [0.5, -1.0]}, "fixed": {"steps_per_half_cycle": 60}}
    result = run_sweep(spec, progress=False)
    assert not result.ok and "1 of 2 points failed" in result.reason
    good, bad = result.rows
    assert good["status"] == "done" and 0 < good["discharge_capacity_mAh_g"] < 250
    assert bad["status"] == "failed" and "c_rates" in bad["error"]
    assert result.counts["retried"] == 1
    failed = ssblab.runs.query(tmp_path, status="failed")
    assert failed["attempts"].tolist() == [2] and "InputError" in failed["error"][0]


def test_cli_runs_list_show_export(tmp_path):
    run_sweep(arrhenius(tmp_path), progress=False)
    runner = CliRunner()
    listed = runner.invoke(main, ["runs", "list", "--store", str(tmp_path)])
    assert listed.exit_code == 0 and "arr  synthetic.arrhenius  points 3  done 3" in listed.output
    key = ssblab.runs.query(tmp_path)["key"][0]
    shown = runner.invoke(main, ["runs", "show", key, "--store", str(tmp_path)])
    assert shown.exit_code == 0 and json.loads(shown.output)["status"] == "done"
    for fmt, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        folder = tmp_path / f"export-{fmt}"
        done = runner.invoke(main, ["runs", "export", "--out", str(folder), "--format", fmt,
                                    "--store", str(tmp_path), "--sweep", "arr"])
        assert done.exit_code == 0, done.output
        assert read(folder / f"runs.{fmt}")["temperature_K"].tolist() == [300, 400, 500]
    bad = runner.invoke(main, ["runs", "list", "--store", str(tmp_path / "none")])
    assert bad.exit_code == 2 and "no index.sqlite in that folder" in bad.output
    typo = runner.invoke(main, ["runs", "list", "--store", str(tmp_path), "--sweep", "ar"])
    assert typo.exit_code == 2 and "did you mean 'arr'" in typo.output


def test_cli_sweep_runs_a_spec_file(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: cli\nstudy: synthetic.arrhenius\ngrid: {temperature_K: [300, '150 degC']}\n")
    out = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(tmp_path / "store"),
                                    "--executor", "inprocess", "--json"])
    assert out.exit_code == 0, out.output
    assert [r["temperature_K"] for r in json.loads(out.output)] == pytest.approx([300, 423.15])
    bad = CliRunner().invoke(main, ["sweep", str(spec), "--cluster", "remote"])
    assert bad.exit_code == 2 and "local:N" in bad.output


def test_points_run_with_the_thread_limit_asked_for(tmp_path):
    from threadpoolctl import threadpool_info

    from ssblab.sweep import REGISTRY, Parameter, Plot, register

    if "tests.threads" not in REGISTRY:
        @register("tests.threads", parameters={"k": Parameter("", int)},
                  outputs={"blas_threads": ""}, plot=Plot(x="k", y="blas_threads"))
        def threads(*, k, rng):
            return {"blas_threads": max(p["num_threads"] for p in threadpool_info())}

    if not threadpool_info():
        pytest.skip("no BLAS/OpenMP library loaded")
    for n in (1, 2):
        result = run_sweep({"study": "tests.threads", "grid": {"k": [n]},
                            "executor": {"kind": "inprocess", "threads_per_task": n}},
                           store=str(tmp_path), progress=False, write_report=False)
        # 1 is the default that must hold; 2 may be capped on a one-core machine
        assert result.rows[0]["blas_threads"] == 1 if n == 1 else 1 < result.rows[0]["blas_threads"] <= 2


def test_cli_sweep_exits_3_when_a_point_failed(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("study: cell.rate\ngrid: {c_rate: [-1]}\n")
    out = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(tmp_path / "store"),
                                    "--executor", "inprocess"])
    assert out.exit_code == 3 and "1 of 1 points failed" in out.output
