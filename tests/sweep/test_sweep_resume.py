"""Killed sweeps: SIGKILL of the driver, of a pool worker, of a Dask worker.

Each resumes (or carries on) to the same final table as an uninterrupted run, and no point
that had finished is computed again: every run directory's log holds exactly one "finished".
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import ssblab
from ssblab.sweep import run_sweep

N_POINTS = 12


def spec(store, executor="inprocess"):
    return {"name": "resume", "study": "synthetic.arrhenius", "store": str(store),
            "executor": executor,
            "grid": {"temperature_K": [300 + 20 * k for k in range(N_POINTS)]},
            "fixed": {"relative_noise": 0.05, "cpu_seconds": 0.1}}


def finished_dirs(store):
    return [p.parent for p in Path(store).glob("runs/*/result.json")]


def finish_lines(store):
    return {p.parent.name: p.read_text().count(" finished")
            for p in Path(store).glob("runs/*/log.txt")}


def wait_for(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    store = tmp_path_factory.mktemp("reference")
    result = run_sweep(spec(store), progress=False, write_report=False)
    return [{k: v for k, v in r.items()} for r in result.rows]


def assert_complete(result, reference, store):
    assert result.ok
    assert [dict(r) for r in result.rows] == reference
    lines = finish_lines(store)
    assert len(lines) == N_POINTS and set(lines.values()) == {1}, lines


@pytest.mark.slow
def test_sigkill_of_the_driver_resumes_without_recomputing(tmp_path, reference):
    store = tmp_path / "store"
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(f"""
        from ssblab.sweep import run_sweep
        if __name__ == "__main__":
            run_sweep({spec(store, {"kind": "pool", "workers": 2})!r}, progress=False)
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(ssblab.__file__).parents[1]),
           "SSBLAB_PROGRESS": "0"}
    driver = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)
    try:
        wait_for(lambda: len(finished_dirs(store)) >= 2)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        # the orphaned pool workers notice within a second and exit
        wait_for(lambda: _group_gone(driver.pid), timeout=15)
    finally:
        if driver.poll() is None:
            os.kill(driver.pid, signal.SIGKILL)
        if not _group_gone(driver.pid):
            os.killpg(driver.pid, signal.SIGKILL)
    before = len(finished_dirs(store))
    # the orphans may finish what their queues held (adopted on resume), not the whole sweep
    assert 2 <= before < N_POINTS
    resumed = run_sweep(spec(store), progress=False, write_report=False)
    assert resumed.counts["cached"] == before
    assert resumed.counts["computed"] == N_POINTS - before
    assert_complete(resumed, reference, store)


def _group_gone(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _kill_one_when_results(store, pids, n=2):
    def target():
        wait_for(lambda: len(finished_dirs(store)) >= n)
        os.kill(pids()[0], signal.SIGKILL)
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow
def test_sigkill_of_a_pool_worker_loses_only_unfinished_points(tmp_path, reference):
    psutil = pytest.importorskip("psutil")
    store = tmp_path / "store"
    me = psutil.Process()
    killer = _kill_one_when_results(
        store, lambda: [c.pid for c in me.children()
                        if "spawn_main" in " ".join(c.cmdline())])  # not the resource tracker
    result = run_sweep(spec(store, {"kind": "pool", "workers": 2}), progress=False,
                       write_report=False)
    killer.join(timeout=5)
    assert result.counts["cached"] + result.counts["computed"] == N_POINTS
    assert_complete(result, reference, store)


@pytest.mark.slow
@pytest.mark.parametrize("points_per_task", [1, 3])
def test_sigkill_of_a_dask_worker_loses_only_unfinished_points(tmp_path, reference,
                                                                points_per_task):
    distributed = pytest.importorskip("distributed")
    store = tmp_path / "store"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killer = _kill_one_when_results(store, lambda: pids)
        result = run_sweep(spec(store, {"kind": "dask", "points_per_task": points_per_task}),
                           client=client, progress=False, write_report=False)
        killer.join(timeout=5)
        assert set(client.run(os.getpid).values()) != set(pids)  # the nanny restarted one
    assert result.counts["cached"] + result.counts["computed"] == N_POINTS
    assert_complete(result, reference, store)


def test_a_phase_field_point_continues_from_its_own_checkpoint(tmp_path, monkeypatch):
    from ssblab.dendrite.phasefield import ElectrodepositionSimulation
    from ssblab.sweep import get_study, studies

    monkeypatch.setattr(studies, "PHASEFIELD_CHECKPOINT_STEPS", 10)
    steps = []
    step = ElectrodepositionSimulation.step
    monkeypatch.setattr(ElectrodepositionSimulation, "step",
                        lambda self: (steps.append(1), step(self))[1])
    study = get_study("dendrite.conductivity_contrast")
    params = study.resolve({"conductivity_ratio": 5.0, "size_px": 24, "radius_um": 4.0,
                            "duration_h": 0.2}, "test")
    straight = study.func(**params, rng=3, run_dir=tmp_path / "straight")
    n_straight = len(steps)
    # an interrupted point: it got half way, then is run again in the same run directory
    study.func(**{**params, "duration_h": 0.1}, rng=3, run_dir=tmp_path / "resumed")
    steps.clear()
    resumed = study.func(**params, rng=3, run_dir=tmp_path / "resumed")
    assert 0 < len(steps) < n_straight - 5  # it did not start again from step 0
    for name, value in straight.items():  # the layer itself agrees to ~1e-11 (see Dask test)
        assert resumed[name] == pytest.approx(value, rel=1e-9), name
