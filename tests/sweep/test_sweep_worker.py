"""The worker's run directories and the driver's batched index, in process."""

import json
from pathlib import Path

import pytest

import ssblab.runs
from ssblab.sweep import REGISTRY, Parameter, Plot, register, run_sweep


def _register_tests_studies():
    if "tests.steps" in REGISTRY:
        return

    @register("tests.steps", parameters={"k": Parameter("", int)}, outputs={"twice": ""},
              plot=Plot(x="k", y="twice"))
    def steps(*, k, rng):
        if k < 0:
            raise ValueError(f"negative k {k}")
        if k == 99:
            raise KeyboardInterrupt  # a Ctrl-C in the middle of a sweep
        return {"twice": 2 * k}

    @register("tests.intruder", parameters={"k": Parameter("", int)}, outputs={"k": ""},
              plot=Plot(x="k", y="k"))
    def intruder(*, k, rng):
        # another execution of the same point starts in the run directory while this one runs
        INTRUDED[0].mkdir()
        (INTRUDED[0] / "log.txt").write_text("2026-01-01T00:00:00 elsewhere:1 start\n")
        return {"k": k}


INTRUDED: list = []  # the run directory the intruder makes


@pytest.fixture(autouse=True)
def studies():
    _register_tests_studies()


def spec(store, ks, study="tests.steps", **fields):
    return {"name": "w", "study": study, "store": str(store), "executor": "inprocess",
            "grid": {"k": list(ks)}, **fields}


def test_a_finished_point_appears_whole_and_leaves_no_staging_folder(tmp_path):
    result = run_sweep(spec(tmp_path, [1, 2]), progress=False, write_report=False)
    assert [r["twice"] for r in result.rows] == [2, 4]
    runs = tmp_path / "runs"
    assert sorted(p.name for p in runs.iterdir()) == sorted(
        ssblab.runs.query(tmp_path)["run_dir"].map(lambda d: Path(d).name))
    for folder in runs.iterdir():
        assert sorted(p.name for p in folder.iterdir()) == ["log.txt", "result.json"]
        log = (folder / "log.txt").read_text().splitlines()
        assert [line.split()[-1] for line in log] == ["start", "finished"]
        record = json.loads((folder / "result.json").read_text())
        assert record["key"] == folder.name and record["status"] == "done"
        assert record["params"] == {"k": record["outputs"]["twice"] // 2}
        assert record["worker"] == log[0].split()[1]


def test_a_failed_point_keeps_its_error_and_its_retry_writes_in_place(tmp_path):
    result = run_sweep(spec(tmp_path, [-1], executor={"kind": "inprocess", "retries": 1}),
                       progress=False, write_report=False)
    assert result.counts["failed"] == 1 and result.counts["retried"] == 1
    (folder,) = (tmp_path / "runs").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["error.txt", "inputs.json", "log.txt"]
    assert "negative k -1" in (folder / "error.txt").read_text()
    log = (folder / "log.txt").read_text().splitlines()
    assert [line.split()[2] for line in log] == ["start", "failed:", "start", "failed:"]
    assert ssblab.runs.query(tmp_path)["attempts"].tolist() == [2]


def test_a_point_whose_folder_appeared_meanwhile_is_written_in_place(tmp_path, monkeypatch):
    from ssblab.sweep import worker
    from ssblab.sweep.run import point_key
    from ssblab.sweep.spec import load_spec

    published = []
    publish = worker._publish
    monkeypatch.setattr(worker, "_publish", lambda *a: published.append(publish(*a)) or
                        published[-1])
    s = load_spec(spec(tmp_path, [7], study="tests.intruder"))
    folder = tmp_path / "runs" / point_key(REGISTRY["tests.intruder"], s.expand()[0])
    INTRUDED[:] = [folder]
    result = run_sweep(s, progress=False, write_report=False)
    assert result.ok and result.rows[0]["k"] == 7
    assert published == [False]  # the staged folder could not be renamed into place
    assert sorted(p.name for p in folder.iterdir()) == ["log.txt", "result.json"]
    log = (folder / "log.txt").read_text().splitlines()
    assert [line.split()[1:] for line in log][0] == ["elsewhere:1", "start"]
    assert [line.split()[-1] for line in log[1:]] == ["start", "finished"]
    assert json.loads((folder / "result.json").read_text())["outputs"] == {"k": 7}
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".")]


def test_points_that_came_back_are_indexed_when_the_sweep_is_interrupted(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec(tmp_path, [1, 2, 99, 3]), progress=False, write_report=False)
    table = ssblab.runs.query(tmp_path)
    assert sorted(table["twice"]) == [2, 4] and set(table["status"]) == {"done"}
    again = run_sweep(spec(tmp_path, [1, 2, 3]), progress=False, write_report=False)
    assert (again.counts["cached"], again.counts["computed"]) == (2, 1)
