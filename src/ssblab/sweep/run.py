"""The driver: expand a spec, skip what the store already holds, run the rest, index results."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from ssblab.sweep.report import SweepResult
from ssblab.sweep.spec import ExecutorSpec, Point, SweepSpec, canonical_json, load_spec
from ssblab.sweep.store import RunStore, now_utc

#: a point whose worker process died is sent again this many times (not counted as retries)
LOST_WORKER_RESUBMITS = 3
#: the driver writes finished points to the index in one transaction per this many records,
#: or after this many seconds
INDEX_BATCH, INDEX_SECONDS = 256, 1.0


def point_key(study, point: Point) -> str:
    """SHA-256 of what determines a point's result: study, its version, parameters, seed."""
    text = canonical_json({"study": study.name, "version": study.version,
                           "params": point.params, "seed": point.seed})
    return hashlib.sha256(text.encode()).hexdigest()


def make_task(study, point: Point, store: RunStore, *, threads: int, recompute: bool) -> dict:
    key = point_key(study, point)
    return {"key": key, "study": study.name, "study_version": study.version,
            "params": point.params, "seed": point.seed, "replicate": point.replicate,
            "input_hashes": {"point_sha256": key,
                             "params_sha256": hashlib.sha256(
                                 canonical_json(point.params).encode()).hexdigest()},
            "run_dir": str(store.run_dir(key)), "threads": threads,
            "recompute": recompute}


def run_sweep(spec: SweepSpec | Mapping | str | os.PathLike, *, store: str | None = None,
              executor: ExecutorSpec | str | None = None, client=None, recompute: bool = False,
              progress: bool | None = None, write_report: bool = True) -> SweepResult:
    """Run a sweep (or finish one) and return its table; also callable as ``ssblab.sweep(spec)``.

    ``spec`` is a :class:`SweepSpec`, a dict, a YAML file or a shipped spec's name.
    ``store`` and ``executor`` override the spec's (``"inprocess"``, ``"pool"``, ``"dask"`` or
    an :class:`ExecutorSpec`); ``client`` is a ``distributed.Client`` to run on.
    Points the store holds already (same study, version, parameters and seed) are not run
    again unless ``recompute``. A failing point is recorded with its error and retried
    ``executor.retries`` times; the others go on.

    Examples
    --------
    >>> import tempfile
    >>> result = run_sweep({"study": "synthetic.arrhenius", "executor": "inprocess",
    ...                     "grid": {"temperature_K": ["300 K", "100 degC"]},
    ...                     "store": tempfile.mkdtemp()}, progress=False)
    >>> [round(r["temperature_K"], 2) for r in result.rows], result.counts["computed"]
    ([300.0, 373.15], 2)
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if isinstance(executor, str):
        executor = dataclasses.replace(spec.executor, kind=executor)
    if store is not None or executor is not None:
        spec = dataclasses.replace(spec, store=str(store or spec.store),
                                   executor=executor or spec.executor)
    study = spec.study_object()
    points = spec.expand()
    started = now_utc()
    with RunStore(spec.store) as runs:
        tasks = [make_task(study, p, runs, threads=spec.executor.threads_per_task,
                           recompute=recompute) for p in points]
        runs.record_sweep(spec.name, study.name, spec.to_dict(), [t["key"] for t in tasks])
        records = {} if recompute else runs.finished(t["key"] for t in tasks)
        counts = {"done": len(records), "failed": 0, "cached": len(records), "computed": 0,
                  "retried": 0}
        todo = [t for t in tasks if t["key"] not in records]
        executor_name, dashboard = "none", ""
        if todo:
            from ssblab.sweep.executors import make_executor

            ex = make_executor(spec.executor, client)
            executor_name, dashboard = ex.name, ex.dashboard_link or ""
            bar = _Bar(len(tasks), spec.name, dashboard, progress)
            try:
                _drive(ex, todo, study, spec.executor.retries, runs, records, counts, bar)
            finally:
                bar.close()
                ex.close(wait=sys.exc_info()[0] is None)
        runs.record_invocation(spec.name, started, executor_name, counts)
        indexed = {r["key"]: r for r in runs.rows(sweep=spec.name)}
    result = _result(spec, study, tasks, points, indexed, counts, dashboard)
    if write_report:
        result.write(report_folder(spec))
    return result


def _drive(ex, todo, study, retries, runs, records, counts, bar) -> None:
    """Submit ``todo``, index each record as it comes back, resubmit failures and lost points.

    Index rows are written in batches (one transaction per :data:`INDEX_BATCH` records or
    :data:`INDEX_SECONDS`, and at the end whatever happens): a driver killed in between loses
    only index rows, whose results the run directories hold and the next run adopts.
    """
    from ssblab.sweep.executors import WorkerLost

    def submit(tasks):
        handles = ex.submit_many(tasks, [study.resources_for(t["params"]) for t in tasks])
        pending.update(zip(handles, tasks))

    tries = {t["key"]: 0 for t in todo}
    lost = dict.fromkeys(tries, 0)
    pending: dict = {}
    unindexed: list = []
    indexed_at = time.monotonic()
    submit(todo)
    bar.update(counts, pending=len(pending), running=0)
    try:
        while pending:
            again = []
            for handle, outcome in ex.wait(pending, timeout=0.5):
                task = pending.pop(handle)
                key = task["key"]
                if isinstance(outcome, WorkerLost):
                    lost[key] += 1
                    if lost[key] <= LOST_WORKER_RESUBMITS:
                        again.append(task)
                        continue
                    outcome = _lost_record(task, outcome)
                elif isinstance(outcome, BaseException):
                    raise outcome
                record = outcome
                unindexed.append(record)
                if record.get("cached"):
                    counts["cached"] += 1
                elif record["status"] == "done":
                    counts["computed"] += 1
                if record["status"] == "failed" and tries[key] < retries:
                    tries[key] += 1
                    counts["retried"] += 1
                    again.append(task)
                    continue
                counts["done" if record["status"] == "done" else "failed"] += 1
                records[key] = record
            if again:
                submit(again)
            if len(unindexed) >= INDEX_BATCH or time.monotonic() - indexed_at > INDEX_SECONDS:
                runs.record_runs(unindexed)
                unindexed.clear()
                indexed_at = time.monotonic()
            bar.update(counts, pending=len(pending),
                       running=ex.running(pending) if bar.enabled else 0)
    finally:
        runs.record_runs(unindexed)


def report_folder(spec: SweepSpec) -> Path:
    """Where a sweep's table.csv, result.json and report.html go: ``STORE/sweeps/<name>/``."""
    return Path(spec.store) / "sweeps" / _safe(spec.name)


def _lost_record(task, error) -> dict:
    return {**{k: task[k] for k in ("key", "study", "study_version", "params", "seed",
                                    "replicate", "input_hashes", "run_dir")},
            "status": "failed", "outputs": None, "error": f"{error}", "attempts": 1,
            "finished_utc": now_utc(), "cached": False}


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "sweep"


def _result(spec, study, tasks, points, indexed, counts, dashboard) -> SweepResult:
    from ssblab.results import provenance

    record = set(spec.record) or set(study.outputs)
    rows = []
    for task, point in zip(tasks, points):
        r = indexed.get(task["key"], {})
        row = {**point.params, "seed": point.seed, "replicate": point.replicate,
               "status": r.get("status", "missing")}
        for name in study.outputs:
            if name not in record:
                continue
            value = (r.get("outputs") or {}).get(name, float("nan"))
            if isinstance(value, dict):
                row[name], row[f"{name}_stderr"] = value["value"], value["stderr"]
            else:
                row[name] = value
        error = (r.get("error") or "").strip().splitlines()
        row["error"] = error[-1] if error and r.get("status") == "failed" else ""
        row["key"] = task["key"][:12]
        rows.append(row)
    failed = counts["failed"]
    return SweepResult(
        name=spec.name, study=study.name, parameters=tuple(study.parameters),
        outputs={k: v for k, v in study.outputs.items() if k in record}, rows=tuple(rows),
        counts=dict(counts), store=str(spec.store), dashboard=dashboard,
        plot_spec=dataclasses.asdict(study.plot),
        ok=failed == 0, reason=f"{failed} of {len(rows)} points failed (see error column)"
        if failed else "", provenance=provenance(spec=spec.to_dict()))


class _Bar:
    """One progress bar with per-state counts; the Dask dashboard link printed once."""

    def __init__(self, total, name, dashboard, enabled):
        from ssblab.progress import progress_enabled

        self.bar = None
        self.enabled = progress_enabled(enabled)
        if self.enabled:
            from tqdm.auto import tqdm

            if dashboard:
                print(f"ssblab: Dask dashboard: {dashboard}", file=sys.stderr)
            self.bar = tqdm(total=total, desc=f"sweep {name}", file=sys.stderr, leave=True)

    def update(self, counts, *, pending, running):
        if self.bar is None:
            return
        queued = pending - running
        finished = counts["done"] + counts["failed"]
        self.bar.update(finished - self.bar.n)
        self.bar.set_postfix_str(f"queued {queued}, running {running}, done {counts['done']}, "
                                 f"failed {counts['failed']}, cached {counts['cached']}",
                                 refresh=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
